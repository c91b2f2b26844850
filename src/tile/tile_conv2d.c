/* tile_conv2d.c - conv2d forward and backward_input in horizontal bands with halos (see
 * "Tiled conv2d" in gramconv.h), the pieces the MPI row split reuses.
 *
 * Coordinates: padded row p = input row y + pad_top. Output row oy reads padded rows
 * oy*sh + a*dh, a < KH. A forward band of output rows [oy0, oy0+b) reads padded rows
 * [oy0*sh, oy0*sh + R) with R = (b-1)*sh + dh*(KH-1) + 1; the band buffer holds exactly those
 * rows, padded in width too (Wp = W + pad_left + pad_right), every padding written out, so the
 * inner call is an unpadded convolution: band buffer N x C x R x Wp -> output band
 * N x O x b x OW. backward_input of input rows [iy0, iy1) takes grad_output rows
 * [olo, ohi) (those whose window touches the band), runs the unpadded backward_input into a
 * virtual grad of N x C x R x Wp (R for ohi-olo output rows, starting at padded row olo*sh)
 * and keeps the band's rows and the unpadded columns. */
#include "ops/conv2d/conv2d.h"
#include "tile/tile.h"

#include <string.h>

static int64_t gc_floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Padding before/after in height (from desc and KH) and the output height for h rows. */
static gc_status gc_tile_geom(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h, int64_t kh,
                              int64_t *pt, int64_t *oh)
{
    if (!desc)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d tile: NULL descriptor");
    if (h < 1 || kh < 1 || desc->stride[0] < 1 || desc->dilation[0] < 1 || desc->pad[0] < 0 ||
        desc->dilation[0] > INT32_MAX || kh > INT32_MAX || desc->pad[0] > INT32_MAX ||
        desc->stride[0] > INT32_MAX)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d tile: bad height %lld, kernel %lld, stride, "
                       "dilation or pad", (long long)h, (long long)kh);
    const int64_t span = desc->dilation[0] * (kh - 1);
    int64_t pb;
    if (desc->same_padding) {
        *pt = span / 2;
        pb = span - *pt;
    } else {
        *pt = pb = desc->pad[0];
    }
    const int64_t eff = h + *pt + pb - span;
    if (eff < 1)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d tile: output height would be below 1");
    *oh = (eff - 1) / desc->stride[0] + 1;
    return GC_OK;
}

gc_status gc_conv2d_rows_needed(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                int64_t kh, int64_t oy0, int64_t oy1, int64_t *iy0, int64_t *iy1)
{
    int64_t pt = 0, oh = 0;
    if (!iy0 || !iy1)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d_rows_needed: NULL output");
    gc_status st = gc_tile_geom(ctx, desc, h, kh, &pt, &oh);
    if (st != GC_OK)
        return st;
    if (oy0 < 0 || oy1 < oy0 || oy1 > oh)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d_rows_needed: rows [%lld, %lld) outside [0, %lld)",
                       (long long)oy0, (long long)oy1, (long long)oh);
    if (oy1 == oy0) {
        *iy0 = *iy1 = 0;
        return GC_OK;
    }
    int64_t a = oy0 * desc->stride[0] - pt;
    int64_t b = (oy1 - 1) * desc->stride[0] + desc->dilation[0] * (kh - 1) - pt + 1;
    *iy0 = a < 0 ? 0 : (a > h ? h : a);
    *iy1 = b < 0 ? 0 : (b > h ? h : b);
    if (*iy1 < *iy0)
        *iy1 = *iy0;
    return GC_OK;
}

gc_status gc_conv2d_rows_feeding(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                 int64_t kh, int64_t iy0, int64_t iy1, int64_t *oy0, int64_t *oy1)
{
    int64_t pt = 0, oh = 0;
    if (!oy0 || !oy1)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d_rows_feeding: NULL output");
    gc_status st = gc_tile_geom(ctx, desc, h, kh, &pt, &oh);
    if (st != GC_OK)
        return st;
    if (iy0 < 0 || iy1 < iy0 || iy1 > h)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d_rows_feeding: rows [%lld, %lld) outside [0, %lld)",
                       (long long)iy0, (long long)iy1, (long long)h);
    const int64_t sh = desc->stride[0], span = desc->dilation[0] * (kh - 1);
    int64_t lo = iy0 == iy1 ? 0 : -gc_floordiv(-(iy0 + pt - span), sh); /* ceil */
    int64_t hi = iy0 == iy1 ? 0 : gc_floordiv(iy1 - 1 + pt, sh) + 1;
    if (lo < 0)
        lo = 0;
    if (hi > oh)
        hi = oh;
    if (hi < lo)
        hi = lo;
    *oy0 = lo;
    *oy1 = hi;
    return GC_OK;
}

/* The full problem (input N x C x h x W) for validation and padding, without touching data:
 * a descriptor of the whole input with zero strides over `data`. */
static gc_status gc_tile_problem(gc_context *ctx, const gc_conv2d_desc *desc, int rank,
                                 const int64_t *dims_nc_w, int64_t h, const gc_tensor *weight,
                                 const gc_tensor *bias, gc_dtype dt, void *data,
                                 gc_conv2d_problem *p)
{
    int64_t d[4], s[4] = {0, 0, 0, 0};
    int o = rank == 4 ? 1 : 0;
    if (rank == 4)
        d[0] = dims_nc_w[0];
    d[o] = dims_nc_w[1], d[o + 1] = h, d[o + 2] = dims_nc_w[2];
    gc_tensor full;
    gc_status st = gc_tensor_wrap(&full, dt, rank, d, s, data);
    if (st != GC_OK)
        return gc_fail(ctx, st, "conv2d tile: bad input shape");
    return gc_conv2d_prepare(ctx, desc, &full, weight, NULL, bias, p);
}

static gc_conv2d_desc gc_tile_inner(const gc_conv2d_desc *desc)
{
    gc_conv2d_desc in = gc_conv2d_desc_default();
    in.stride[0] = desc->stride[0], in.stride[1] = desc->stride[1];
    in.dilation[0] = desc->dilation[0], in.dilation[1] = desc->dilation[1];
    in.groups = desc->groups;
    in.algo = desc->algo;
    return in;
}

static gc_status gc_tile_run_fwd(gc_context *ctx, const gc_conv2d_desc *inner, const gc_tensor *in,
                                 const gc_tensor *weight, const gc_tensor *bias, gc_tensor *out)
{
    size_t ws_bytes = 0;
    void *ws = NULL;
    gc_status st = gc_conv2d_workspace_size(ctx, inner, in, weight, GC_CONV_PASS_FORWARD, &ws_bytes);
    if (st == GC_OK && ws_bytes)
        st = gc_alloc(ctx, (int64_t)ws_bytes, 1, &ws);
    if (st == GC_OK)
        st = gc_conv2d_forward(ctx, inner, in, weight, bias, out, ws, ws_bytes);
    gc_free(ctx, ws);
    return st;
}

gc_status gc_conv2d_forward_band(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                 const gc_tensor *input_rows, int64_t iy0,
                                 const gc_tensor *weight, const gc_tensor *bias, int64_t oy0,
                                 gc_tensor *output_band)
{
    gc_clear_error(ctx);
    if (!desc || !input_rows || !weight || !output_band)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d_forward_band: NULL argument");
    gc_status st = gc_tensor_check(ctx, input_rows, "input_rows");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, output_band, "output_band");
    if (st != GC_OK)
        return st;
    const int rank = input_rows->rank;
    if ((rank != 3 && rank != 4) || output_band->rank != rank)
        return gc_fail(ctx, GC_ERR_RANK, "conv2d_forward_band: input_rows and output_band must "
                       "both be C x H x W or N x C x H x W");
    const int o = rank == 4 ? 1 : 0;
    const int64_t n = rank == 4 ? input_rows->dims[0] : 1;
    const int64_t hr = input_rows->dims[o + 1];
    const int64_t ncw[3] = {n, input_rows->dims[o], input_rows->dims[o + 2]};
    gc_conv2d_problem p;
    if ((st = gc_tile_problem(ctx, desc, rank, ncw, h, weight, bias, input_rows->dtype,
                              input_rows->data, &p)) != GC_OK)
        return st;
    const int64_t band = output_band->dims[o + 1];
    if (iy0 < 0 || hr > h - iy0)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d_forward_band: input rows [%lld, %lld) outside "
                       "[0, %lld)", (long long)iy0, (long long)(iy0 + hr), (long long)h);
    if (oy0 < 0 || band < 1 || band > p.OH - oy0 || (rank == 4 && output_band->dims[0] != n) ||
        output_band->dims[o] != p.O || output_band->dims[o + 2] != p.OW)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d_forward_band: output band must be %s%lld x "
                       "(1..%lld) x %lld for rows from %lld", rank == 4 ? "N x " : "",
                       (long long)p.O, (long long)(p.OH - oy0), (long long)p.OW, (long long)oy0);
    if (output_band->dtype != p.dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "conv2d_forward_band: output band dtype differs");
    if (gc_tensor_overlap(output_band, input_rows))
        return gc_fail(ctx, GC_ERR_ALIAS, "conv2d_forward_band: output overlaps the input");
    const int64_t R = (band - 1) * p.sh + p.dh * (p.KH - 1) + 1;
    const int64_t Wp = p.W + p.pl + p.pr;
    const size_t esz = gc_dtype_size(p.dtype);
    int64_t elems;
    if (!gc_mul_ok(p.N * p.C, R, &elems) || !gc_mul_ok(elems, Wp, &elems))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d_forward_band: band size overflows");
    /* check that the rows the band reads (after padding-mode mapping) are there */
    for (int64_t r = 0; r < R; r++) {
        const int64_t y = gc_pad_index(oy0 * p.sh + r - p.pt, p.H, p.pmode);
        if (y >= 0 && (y < iy0 || y >= iy0 + hr))
            return gc_fail(ctx, GC_ERR_SHAPE, "conv2d_forward_band: output rows from %lld read "
                           "input row %lld, not in the given rows [%lld, %lld)", (long long)oy0,
                           (long long)y, (long long)iy0, (long long)(iy0 + hr));
    }
    void *buf;
    if ((st = gc_alloc(ctx, elems, esz, &buf)) != GC_OK)
        return st;
    const int64_t *is = input_rows->strides;
    const int64_t sn = rank == 4 ? is[0] : 0, sc = is[o], sy = is[o + 1], sx = is[o + 2];
    for (int64_t b = 0; b < p.N; b++)
        for (int64_t c = 0; c < p.C; c++)
            for (int64_t r = 0; r < R; r++) {
                const int64_t y = gc_pad_index(oy0 * p.sh + r - p.pt, p.H, p.pmode);
                char *dst = (char *)buf + (size_t)(((b * p.C + c) * R + r) * Wp) * esz;
                if (y < 0) { /* a zero-padding row */
                    memset(dst, 0, (size_t)Wp * esz);
                    continue;
                }
                const char *src = (const char *)input_rows->data +
                                  (size_t)(b * sn + c * sc + (y - iy0) * sy) * esz;
                if (sx == 1) /* the row's own W elements in one run */
                    memcpy(dst + (size_t)p.pl * esz, src, (size_t)p.W * esz);
                for (int64_t q = 0; q < Wp; q++) {
                    if (sx == 1 && q >= p.pl && q < p.pl + p.W)
                        continue;
                    const int64_t x = gc_pad_index(q - p.pl, p.W, p.pmode);
                    if (x >= 0)
                        memcpy(dst + (size_t)q * esz, src + (size_t)(x * sx) * esz, esz);
                    else
                        memset(dst + (size_t)q * esz, 0, esz);
                }
            }
    int64_t bd[4];
    if (rank == 4)
        bd[0] = p.N;
    bd[o] = p.C, bd[o + 1] = R, bd[o + 2] = Wp;
    gc_tensor bt;
    gc_conv2d_desc inner = gc_tile_inner(desc);
    st = gc_tensor_wrap(&bt, p.dtype, rank, bd, NULL, buf);
    if (st == GC_OK)
        st = gc_tile_run_fwd(ctx, &inner, &bt, weight, bias, output_band);
    gc_free(ctx, buf);
    return st;
}

gc_status gc_conv2d_backward_input_band(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                        const gc_tensor *grad_output_rows, int64_t oy0,
                                        const gc_tensor *weight, int64_t iy0,
                                        gc_tensor *grad_input_band)
{
    gc_clear_error(ctx);
    if (!desc || !grad_output_rows || !weight || !grad_input_band)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d_backward_input_band: NULL argument");
    gc_status st = gc_tensor_check(ctx, grad_output_rows, "grad_output_rows");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, grad_input_band, "grad_input_band");
    if (st != GC_OK)
        return st;
    const int rank = grad_input_band->rank;
    if ((rank != 3 && rank != 4) || grad_output_rows->rank != rank)
        return gc_fail(ctx, GC_ERR_RANK, "conv2d_backward_input_band: grad_output_rows and "
                       "grad_input_band must both be C x H x W or N x C x H x W");
    const int o = rank == 4 ? 1 : 0;
    const int64_t n = rank == 4 ? grad_input_band->dims[0] : 1;
    const int64_t band = grad_input_band->dims[o + 1];
    const int64_t ncw[3] = {n, grad_input_band->dims[o], grad_input_band->dims[o + 2]};
    gc_conv2d_problem p;
    if ((st = gc_tile_problem(ctx, desc, rank, ncw, h, weight, NULL, grad_input_band->dtype,
                              grad_input_band->data, &p)) != GC_OK)
        return st;
    if (p.pmode != GC_BOUNDARY_FILL && (p.pt || p.pb || p.pl || p.pr))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d_backward_input_band: tiles take zero "
                       "padding only (the gradient of reflected/wrapped rows crosses bands)");
    if (iy0 < 0 || band < 1 || band > h - iy0)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d_backward_input_band: rows [%lld, %lld) "
                       "outside [0, %lld)", (long long)iy0, (long long)(iy0 + band), (long long)h);
    const int64_t gor = grad_output_rows->dims[o + 1];
    if ((rank == 4 && grad_output_rows->dims[0] != n) || grad_output_rows->dims[o] != p.O ||
        grad_output_rows->dims[o + 2] != p.OW || grad_output_rows->dtype != p.dtype)
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d_backward_input_band: grad_output rows must be "
                       "%s%lld x r x %lld of the input's dtype", rank == 4 ? "N x " : "",
                       (long long)p.O, (long long)p.OW);
    if (gc_tensor_overlap(grad_input_band, grad_output_rows) ||
        gc_tensor_overlap(grad_input_band, weight))
        return gc_fail(ctx, GC_ERR_ALIAS, "conv2d_backward_input_band: grad_input overlaps an input");
    if (gc_tensor_self_overlaps(grad_input_band))
        return gc_fail(ctx, GC_ERR_LAYOUT, "conv2d_backward_input_band: grad_input has broadcast "
                       "strides");
    int64_t olo, ohi;
    if ((st = gc_conv2d_rows_feeding(ctx, desc, h, p.KH, iy0, iy0 + band, &olo, &ohi)) != GC_OK)
        return st;
    if (ohi > olo && (olo < oy0 || ohi > oy0 + gor))
        return gc_fail(ctx, GC_ERR_SHAPE, "conv2d_backward_input_band: input rows from %lld need "
                       "grad_output rows [%lld, %lld), given [%lld, %lld)", (long long)iy0,
                       (long long)olo, (long long)ohi, (long long)oy0, (long long)(oy0 + gor));
    const size_t esz = gc_dtype_size(p.dtype);
    const int64_t Wp = p.W + p.pl + p.pr;
    const int64_t R = ohi > olo ? (ohi - olo - 1) * p.sh + p.dh * (p.KH - 1) + 1 : 0;
    void *buf = NULL;
    if (R > 0) {
        int64_t elems;
        if (!gc_mul_ok(p.N * p.C, R, &elems) || !gc_mul_ok(elems, Wp, &elems))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d_backward_input_band: band size overflows");
        if ((st = gc_alloc(ctx, elems, esz, &buf)) != GC_OK)
            return st;
        int64_t bd[4];
        if (rank == 4)
            bd[0] = p.N;
        bd[o] = p.C, bd[o + 1] = R, bd[o + 2] = Wp;
        gc_tensor vg, go;
        gc_conv2d_desc inner = gc_tile_inner(desc);
        size_t ws_bytes = 0;
        void *ws = NULL;
        st = gc_tensor_wrap(&vg, p.dtype, rank, bd, NULL, buf);
        if (st == GC_OK)
            st = gc_tensor_narrow(grad_output_rows, o + 1, olo - oy0, ohi - olo, &go);
        if (st == GC_OK)
            st = gc_conv2d_workspace_size(ctx, &inner, &vg, weight, GC_CONV_PASS_BACKWARD_INPUT, &ws_bytes);
        if (st == GC_OK && ws_bytes)
            st = gc_alloc(ctx, (int64_t)ws_bytes, 1, &ws);
        if (st == GC_OK)
            st = gc_conv2d_backward_input(ctx, &inner, &go, weight, &vg, ws, ws_bytes);
        gc_free(ctx, ws);
        if (st != GC_OK) {
            gc_free(ctx, buf);
            return st;
        }
    }
    const int64_t *gs = grad_input_band->strides;
    const int64_t sn = rank == 4 ? gs[0] : 0, sc = gs[o], sy = gs[o + 1], sx = gs[o + 2];
    const int64_t P0 = olo * p.sh;
    for (int64_t b = 0; b < p.N; b++)
        for (int64_t c = 0; c < p.C; c++)
            for (int64_t r = 0; r < band; r++) {
                const int64_t pr = iy0 + r + p.pt - P0;
                const int has = buf && pr >= 0 && pr < R;
                const int64_t row = ((b * p.C + c) * R + pr) * Wp + p.pl;
                for (int64_t x = 0; x < p.W; x++)
                    gc_store(grad_input_band->data, p.dtype, b * sn + c * sc + r * sy + x * sx,
                             has ? gc_load(buf, p.dtype, row + x) : 0.0);
            }
    gc_free(ctx, buf);
    return GC_OK;
}

/* ---- whole ops in bands under a budget ----------------------------------------------------- */

/* Bytes a band of `rows` rows (forward: output rows; backward: input rows) takes. */
static gc_status gc_tile_band_bytes(gc_context *ctx, const gc_conv2d_desc *desc,
                                    const gc_conv2d_problem *p, int rank, const gc_tensor *weight,
                                    int backward, int64_t rows, uint64_t *bytes)
{
    int64_t orows = rows;
    if (backward) { /* output rows feeding `rows` input rows, at most */
        orows = (rows + p->dh * (p->KH - 1) - 1) / p->sh + 1;
        if (orows > p->OH)
            orows = p->OH;
    }
    const int64_t R = (orows - 1) * p->sh + p->dh * (p->KH - 1) + 1;
    const int64_t Wp = p->W + p->pl + p->pr;
    int64_t d[4], s[4] = {0, 0, 0, 0};
    const int o = rank == 4 ? 1 : 0;
    if (rank == 4)
        d[0] = p->N;
    d[o] = p->C, d[o + 1] = R, d[o + 2] = Wp;
    gc_tensor fake;
    gc_conv2d_desc inner = gc_tile_inner(desc);
    size_t ws = 0;
    gc_status st = gc_tensor_wrap(&fake, p->dtype, rank, d, s, weight->data);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &inner, &fake, weight,
                                      backward ? GC_CONV_PASS_BACKWARD_INPUT : GC_CONV_PASS_FORWARD, &ws);
    if (st != GC_OK)
        return st;
    *bytes = (uint64_t)(p->N * p->C * R) * (uint64_t)Wp * gc_dtype_size(p->dtype) + ws + 128;
    return GC_OK;
}

/* Largest band height in [1, total] within the budget (binary search; bytes grow with rows). */
static gc_status gc_tile_pick_rows(gc_context *ctx, const gc_conv2d_desc *desc,
                                   const gc_conv2d_problem *p, int rank, const gc_tensor *weight,
                                   int backward, int64_t total, uint64_t budget, int64_t *rows)
{
    uint64_t b;
    gc_status st = gc_tile_band_bytes(ctx, desc, p, rank, weight, backward, 1, &b);
    if (st != GC_OK)
        return st;
    if (b > budget)
        return gc_fail(ctx, GC_ERR_LIMIT, "conv2d tiled: a memory budget of %llu bytes is too "
                       "small: a band of one row needs %llu", (unsigned long long)budget,
                       (unsigned long long)b);
    int64_t lo = 1, hi = total;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo + 1) / 2;
        if ((st = gc_tile_band_bytes(ctx, desc, p, rank, weight, backward, mid, &b)) != GC_OK)
            return st;
        if (b <= budget)
            lo = mid;
        else
            hi = mid - 1;
    }
    *rows = lo;
    return GC_OK;
}

gc_status gc_conv2d_forward_tiled(gc_context *ctx, const gc_conv2d_desc *desc,
                                  const gc_tensor *input, const gc_tensor *weight,
                                  const gc_tensor *bias, gc_tensor *output, uint64_t max_memory)
{
    gc_clear_error(ctx);
    gc_conv2d_problem p;
    if (!input || !output)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d_forward_tiled: NULL input or output");
    gc_status st = gc_conv2d_prepare(ctx, desc, input, weight, output, bias, &p);
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(output, input) || gc_tensor_overlap(output, weight) ||
        (bias && gc_tensor_overlap(output, bias)))
        return gc_fail(ctx, GC_ERR_ALIAS, "conv2d_forward_tiled: output overlaps an input");
    const int rank = input->rank, o = rank == 4 ? 1 : 0;
    int64_t rows;
    if ((st = gc_tile_pick_rows(ctx, desc, &p, rank, weight, 0, p.OH, max_memory, &rows)) != GC_OK)
        return st;
    for (int64_t oy = 0; oy < p.OH && st == GC_OK; oy += rows) {
        const int64_t b = p.OH - oy < rows ? p.OH - oy : rows;
        gc_tensor ob;
        st = gc_tensor_narrow(output, o + 1, oy, b, &ob);
        if (st == GC_OK)
            st = gc_conv2d_forward_band(ctx, desc, p.H, input, 0, weight, bias, oy, &ob);
    }
    return st;
}

gc_status gc_conv2d_backward_input_tiled(gc_context *ctx, const gc_conv2d_desc *desc,
                                         const gc_tensor *grad_output, const gc_tensor *weight,
                                         gc_tensor *grad_input, uint64_t max_memory)
{
    gc_clear_error(ctx);
    gc_conv2d_problem p;
    if (!grad_output || !grad_input)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d_backward_input_tiled: NULL grad_output or grad_input");
    gc_status st = gc_conv2d_prepare(ctx, desc, grad_input, weight, grad_output, NULL, &p);
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(grad_input, grad_output) || gc_tensor_overlap(grad_input, weight))
        return gc_fail(ctx, GC_ERR_ALIAS, "conv2d_backward_input_tiled: grad_input overlaps an input");
    if (p.pmode != GC_BOUNDARY_FILL && (p.pt || p.pb || p.pl || p.pr))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d_backward_input_tiled: tiles take zero "
                       "padding only (the gradient of reflected/wrapped rows crosses bands)");
    const int rank = grad_input->rank, o = rank == 4 ? 1 : 0;
    int64_t rows;
    if ((st = gc_tile_pick_rows(ctx, desc, &p, rank, weight, 1, p.H, max_memory, &rows)) != GC_OK)
        return st;
    for (int64_t iy = 0; iy < p.H && st == GC_OK; iy += rows) {
        const int64_t b = p.H - iy < rows ? p.H - iy : rows;
        gc_tensor gb;
        st = gc_tensor_narrow(grad_input, o + 1, iy, b, &gb);
        if (st == GC_OK)
            st = gc_conv2d_backward_input_band(ctx, desc, p.H, grad_output, 0, weight, iy, &gb);
    }
    return st;
}
