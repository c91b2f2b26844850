/* conv2d.c - SpatialConvolution forward / backward_input / backward_weight: argument checks,
 * workspace sizing and the choice of algorithm.
 *
 * DIRECT (stride 1, dilation 1) runs on the correlation driver (corr.c) once per batch item
 * and group: forward is the 3D x 4D sum pairing with the convolution's padding; backward_input
 * is the same pairing over grad_output with the weight transposed (planes o <-> c) and turned
 * 180 degrees, padded by k-1-pad. Padding modes other than zeros go through a padded copy of
 * the input (forward) or a gradient of the padded input folded back onto its sources
 * (backward_input). backward_weight, any geometry, is a packed GEMM on the Gram kernels
 * (conv2d_wgrad.c). IM2COL (any geometry; AUTO's choice for stride or dilation > 1) packs
 * the input per stride residue and runs the Gram GEMM tile kernel (conv2d_im2col.c). */
#include "ops/conv2d/conv2d.h"
#include "ops/conv2d/conv2d_gemm.h"
#include "ops/conv2d/conv2d_winograd.h"
#include "ops/corr/corr.h"

#include <string.h>

/* base + off elements, or NULL for a NULL base (the workspace queries pass no data). */
static const char *gc_at(const char *base, int64_t off, size_t esz)
{
    return base ? base + (size_t)off * esz : NULL;
}

static int gc_conv2d_direct_ok(const gc_conv2d_problem *p)
{
    return p->sh == 1 && p->sw == 1 && p->dh == 1 && p->dw == 1;
}

/* The algorithm a pass runs. AUTO, forward / backward_input: WINOGRAD (conv2d_winograd.c)
 * for 3x3 and 5x5 stride 1 dilation 1 float32 layers where gc_conv2d_winograd_preferred says so
 * (enough channels and tiles; error budget; backward_input: zeros padding, one group).
 * Then GEMM (conv2d_gemm.c) where gc_conv2d_gemm_preferred says so (stride 1 on AVX2 /
 * AVX-512: a reduction of >= 128 and better lane use than the direct kernel's row tiles -
 * small planes, many channels, 1x1 -
 * or dilation > 1; the rule and its measurements are in conv2d_gemm.c), else DIRECT for
 * stride 1 and dilation 1, IM2COL otherwise. backward_weight: GEMM (conv2d_gemm_wgrad.c,
 * stride 1) where gc_conv2d_gemm_wgrad_preferred says so (small planes with many channels,
 * 1x1), else the packed-panel GEMM of conv2d_wgrad.c (any geometry), which DIRECT and IM2COL
 * also take. */
static gc_status gc_conv2d_pick(gc_context *ctx, const gc_conv2d_desc *desc,
                                const gc_conv2d_problem *p, gc_conv_pass pass, gc_conv_algo *algo)
{
    *algo = desc->algo;
    if (p->bf16 && pass == GC_CONV_PASS_FORWARD) { /* conv2d_gemm.c's bfloat16 kernel */
        if (*algo != GC_CONV_ALGO_AUTO && *algo != GC_CONV_ALGO_GEMM)
            return gc_fail(ctx, GC_ERR_ARG, "conv2d: bf16 precision runs on the gemm algorithm "
                           "(algo auto or gemm)");
        if (!gc_conv2d_gemm_ok(p, pass))
            return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: bf16 precision needs stride 1");
        *algo = GC_CONV_ALGO_GEMM;
        return GC_OK;
    }
    if (*algo == GC_CONV_ALGO_AUTO) {
        if (pass == GC_CONV_PASS_BACKWARD_WEIGHT)
            *algo = gc_conv2d_gemm_wgrad_preferred(p, gc_context_isa(ctx)) ? GC_CONV_ALGO_GEMM
                                                                           : GC_CONV_ALGO_IM2COL;
        else if (gc_conv2d_winograd_preferred(p, pass)) /* rule in conv2d_winograd.c */
            *algo = GC_CONV_ALGO_WINOGRAD;
        else if (gc_conv2d_gemm_preferred(p, pass, gc_context_isa(ctx)))
            *algo = GC_CONV_ALGO_GEMM;
        else
            *algo = gc_conv2d_direct_ok(p) ? GC_CONV_ALGO_DIRECT : GC_CONV_ALGO_IM2COL;
    }
    if (*algo == GC_CONV_ALGO_DIRECT && !gc_conv2d_direct_ok(p))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: the direct algorithm needs stride 1 and dilation 1");
    if (*algo == GC_CONV_ALGO_WINOGRAD) { /* conv2d_winograd.c: forward, backward_input */
        if (!gc_conv2d_winograd_ok(p))
            return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                           "conv2d: the Winograd algorithm needs a 3x3 or 5x5 kernel, stride 1 and dilation 1");
        if (pass == GC_CONV_PASS_BACKWARD_WEIGHT || (pass == GC_CONV_PASS_BACKWARD_INPUT && !gc_conv2d_winograd_bwd_ok(p)))
            *algo = GC_CONV_ALGO_IM2COL;
    }
    if (*algo == GC_CONV_ALGO_GEMM && pass != GC_CONV_PASS_BACKWARD_WEIGHT && !gc_conv2d_gemm_ok(p, pass)) {
        if (p->sh != 1 || p->sw != 1) /* conv2d_gemm.c: stride 1 */
            return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: the gemm algorithm needs stride 1");
        *algo = GC_CONV_ALGO_IM2COL; /* backward_input with a padding mode other than zeros */
    }
    return GC_OK;
}

/* The correlation problem for batch item n, group g of the forward pass, reading the input
 * from `in` with strides in_s (the real input, or a padded copy with pad 0). */
static gc_corr_problem gc_conv2d_fwd_corr(const gc_conv2d_problem *p, const char *in,
                                          const int64_t in_s[4], int64_t pt, int64_t pl,
                                          int64_t h, int64_t w, const char *weight, char *out,
                                          int64_t n, int64_t g)
{
    const size_t esz = gc_dtype_size(p->dtype);
    gc_corr_problem q;
    memset(&q, 0, sizeof q);
    q.pairing = GC_PAIR_SUM;
    q.dtype = p->dtype;
    q.nin = p->Cg;
    q.nout = p->Og;
    q.n[0] = 1, q.n[1] = h, q.n[2] = w;
    q.k[0] = 1, q.k[1] = p->KH, q.k[2] = p->KW;
    q.o[0] = 1, q.o[1] = p->OH, q.o[2] = p->OW;
    q.pad[1] = pt, q.pad[2] = pl;
    q.in_s[0] = in_s[1], q.in_s[2] = in_s[2], q.in_s[3] = in_s[3];
    q.k_s[0] = p->w_s[0], q.k_s[1] = p->w_s[1], q.k_s[3] = p->w_s[2], q.k_s[4] = p->w_s[3];
    q.out_s[0] = p->out_s[1], q.out_s[2] = p->out_s[2], q.out_s[3] = p->out_s[3];
    q.in = gc_at(in, n * in_s[0] + g * p->Cg * in_s[1], esz);
    q.ker = gc_at(weight, g * p->Og * p->w_s[0], esz);
    q.out = (char *)gc_at(out, n * p->out_s[0] + g * p->Og * p->out_s[1], esz);
    return q;
}

/* The problem for backward_input of batch item n, group g, writing the gradient of an
 * h x w input (the real one, or the padded one with pt = pl = 0) at `gin` with strides gin_s. */
static gc_corr_problem gc_conv2d_bwd_corr(const gc_conv2d_problem *p, const char *gout,
                                          const char *weight, char *gin, const int64_t gin_s[4],
                                          int64_t pt, int64_t pl, int64_t h, int64_t w,
                                          int64_t n, int64_t g)
{
    const size_t esz = gc_dtype_size(p->dtype);
    gc_corr_problem q;
    memset(&q, 0, sizeof q);
    q.pairing = GC_PAIR_SUM;
    q.flip = 1;
    q.dtype = p->dtype;
    q.nin = p->Og;
    q.nout = p->Cg;
    q.n[0] = 1, q.n[1] = p->OH, q.n[2] = p->OW;
    q.k[0] = 1, q.k[1] = p->KH, q.k[2] = p->KW;
    q.o[0] = 1, q.o[1] = h, q.o[2] = w;
    q.pad[1] = p->KH - 1 - pt, q.pad[2] = p->KW - 1 - pl;
    q.in_s[0] = p->out_s[1], q.in_s[2] = p->out_s[2], q.in_s[3] = p->out_s[3];
    q.k_s[0] = p->w_s[1], q.k_s[1] = p->w_s[0], q.k_s[3] = p->w_s[2], q.k_s[4] = p->w_s[3];
    q.out_s[0] = gin_s[1], q.out_s[2] = gin_s[2], q.out_s[3] = gin_s[3];
    q.in = gc_at(gout, n * p->out_s[0] + g * p->Og * p->out_s[1], esz);
    q.ker = gc_at(weight, g * p->Og * p->w_s[0], esz);
    q.out = (char *)gc_at(gin, n * gin_s[0] + g * p->Cg * gin_s[1], esz);
    return q;
}

/* Workspace layout for DIRECT: [corr workspace][padded C x Hp x Wp buffer if not zeros]. */
static gc_status gc_conv2d_direct_ws(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                                     size_t *corr_bytes, size_t *pad_bytes)
{
    const int64_t hp = p->H + p->pt + p->pb, wp = p->W + p->pl + p->pr;
    int64_t pad_elems = 0;
    *pad_bytes = 0;
    if (p->pmode != GC_BOUNDARY_FILL) {
        if (!gc_mul_ok(p->C, hp, &pad_elems) || !gc_mul_ok(pad_elems, wp, &pad_elems) ||
            !gc_mul_ok(pad_elems, (int64_t)gc_dtype_size(p->dtype), &pad_elems))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: workspace size overflows");
        *pad_bytes = ((size_t)pad_elems + 63) & ~(size_t)63;
    }
    /* hp * wp only where the padded copy exists: its C * hp * wp was checked (the workspace
     * size); at zero padding the product may not fit in 64 bits and is never needed */
    const int64_t dense[4] = {0, p->pmode == GC_BOUNDARY_FILL ? 0 : hp * wp, wp, 1};
    gc_corr_problem q = pass == GC_CONV_PASS_FORWARD
                            ? gc_conv2d_fwd_corr(p, NULL, p->in_s, p->pt, p->pl, p->H, p->W, NULL, NULL, 0, 0)
                            : gc_conv2d_bwd_corr(p, NULL, NULL, NULL, p->pmode == GC_BOUNDARY_FILL ? p->in_s : dense,
                                                 p->pmode == GC_BOUNDARY_FILL ? p->pt : 0,
                                                 p->pmode == GC_BOUNDARY_FILL ? p->pl : 0,
                                                 p->pmode == GC_BOUNDARY_FILL ? p->H : hp,
                                                 p->pmode == GC_BOUNDARY_FILL ? p->W : wp, 0, 0);
    return gc_corr_workspace(ctx, &q, corr_bytes);
}

gc_status gc_conv2d_workspace_size(gc_context *ctx, const gc_conv2d_desc *desc,
                                   const gc_tensor *input, const gc_tensor *weight,
                                   gc_conv_pass pass, size_t *bytes)
{
    if (!bytes)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d: NULL size pointer");
    *bytes = 0;
    if (pass < GC_CONV_PASS_FORWARD || pass > GC_CONV_PASS_BACKWARD_WEIGHT)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: unknown pass %d", (int)pass);
    gc_conv2d_problem p;
    gc_status st = gc_conv2d_prepare(ctx, desc, input, weight, NULL, NULL, &p);
    gc_conv_algo algo;
    if (st == GC_OK)
        st = gc_conv2d_pick(ctx, desc, &p, pass, &algo);
    if (st != GC_OK || algo == GC_CONV_ALGO_REFERENCE)
        return st;
    if (pass == GC_CONV_PASS_BACKWARD_WEIGHT && algo == GC_CONV_ALGO_GEMM)
        return gc_conv2d_gemm_wgrad_workspace(ctx, &p, bytes);
    if (pass == GC_CONV_PASS_BACKWARD_WEIGHT)
        return gc_conv2d_wgrad_workspace(ctx, &p, bytes);
    if (algo == GC_CONV_ALGO_IM2COL)
        return gc_conv2d_im2col_workspace(ctx, &p, pass, bytes);
    if (algo == GC_CONV_ALGO_WINOGRAD)
        return pass == GC_CONV_PASS_FORWARD ? gc_conv2d_winograd_workspace(ctx, &p, bytes)
                                       : gc_conv2d_winograd_bwd_workspace(ctx, &p, bytes);
    if (algo == GC_CONV_ALGO_GEMM)
        return gc_conv2d_gemm_workspace(ctx, &p, pass, bytes);
    size_t cb, pb;
    st = gc_conv2d_direct_ws(ctx, &p, pass, &cb, &pb);
    if (st == GC_OK)
        *bytes = cb + pb;
    return st;
}

static gc_status gc_conv2d_check_ws(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                                    void *ws, size_t ws_bytes, size_t *cb, size_t *pb)
{
    gc_status st = gc_conv2d_direct_ws(ctx, p, pass, cb, pb);
    if (st != GC_OK)
        return st;
    if (ws_bytes < *cb + *pb || (!ws && *cb + *pb > 0))
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace of %zu bytes is too small (needs %zu; "
                       "ask gc_conv2d_workspace_size)", ws_bytes, *cb + *pb);
    if ((uintptr_t)ws & 63)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace must be 64-byte aligned");
    return GC_OK;
}

static void gc_conv2d_add_bias(const gc_conv2d_problem *p, const void *bias, void *out)
{
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t o = 0; o < p->O; o++) {
            const double b = gc_load(bias, p->dtype, o * p->b_s);
            for (int64_t y = 0; y < p->OH; y++) {
                const int64_t base = n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2];
                if (p->dtype == GC_DTYPE_F32) {
                    float *r = (float *)out + base;
                    for (int64_t x = 0; x < p->OW; x++)
                        r[x * p->out_s[3]] += (float)b;
                } else {
                    double *r = (double *)out + base;
                    for (int64_t x = 0; x < p->OW; x++)
                        r[x * p->out_s[3]] += b;
                }
            }
        }
}

/* Copy batch item n of the input into a dense C x hp x wp buffer with the padding mode. */
static void gc_conv2d_pad_input(const gc_conv2d_problem *p, const void *in, int64_t n, void *dst)
{
    const int64_t hp = p->H + p->pt + p->pb, wp = p->W + p->pl + p->pr;
    int64_t e = 0;
    for (int64_t c = 0; c < p->C; c++)
        for (int64_t y = 0; y < hp; y++) {
            const int64_t sy = gc_pad_index(y - p->pt, p->H, p->pmode);
            for (int64_t x = 0; x < wp; x++, e++) {
                const int64_t sx = gc_pad_index(x - p->pl, p->W, p->pmode);
                const double v = sy < 0 || sx < 0 ? 0.0
                                 : gc_load(in, p->dtype, n * p->in_s[0] + c * p->in_s[1] +
                                                             sy * p->in_s[2] + sx * p->in_s[3]);
                gc_store(dst, p->dtype, e, v);
            }
        }
}

static gc_status gc_conv2d_alias(gc_context *ctx, const gc_tensor *out, const gc_tensor *a,
                                 const gc_tensor *b, const gc_tensor *c)
{
    if (gc_tensor_overlap(out, a) || gc_tensor_overlap(out, b) || (c && gc_tensor_overlap(out, c)))
        return gc_fail(ctx, GC_ERR_ALIAS, "conv2d: an output overlaps an input");
    if (gc_tensor_self_overlaps(out))
        return gc_fail(ctx, GC_ERR_LAYOUT, "conv2d: an output has overlapping (broadcast) strides");
    return GC_OK;
}

gc_status gc_conv2d_forward(gc_context *ctx, const gc_conv2d_desc *desc, const gc_tensor *input,
                            const gc_tensor *weight, const gc_tensor *bias, gc_tensor *output,
                            void *workspace, size_t workspace_bytes)
{
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d: output is NULL");
    gc_conv2d_problem p;
    gc_conv_algo algo;
    gc_status st = gc_conv2d_prepare(ctx, desc, input, weight, output, bias, &p);
    if (st == GC_OK)
        st = gc_conv2d_alias(ctx, output, input, weight, bias);
    if (st == GC_OK)
        st = gc_conv2d_pick(ctx, desc, &p, GC_CONV_PASS_FORWARD, &algo);
    if (st != GC_OK)
        return st;
    if (algo == GC_CONV_ALGO_REFERENCE)
        return gc_conv2d_forward_reference(ctx, &p, input->data, weight->data, bias ? bias->data : NULL,
                                           output->data);
    if (algo == GC_CONV_ALGO_IM2COL)
        return gc_conv2d_im2col_forward(ctx, &p, input->data, weight->data, bias ? bias->data : NULL,
                                        output->data, workspace, workspace_bytes);
    if (algo == GC_CONV_ALGO_WINOGRAD)
        return gc_conv2d_winograd_forward(ctx, &p, input->data, weight->data, bias ? bias->data : NULL,
                                          output->data, workspace, workspace_bytes);
    if (algo == GC_CONV_ALGO_GEMM)
        return gc_conv2d_gemm_forward(ctx, &p, input->data, weight->data, bias ? bias->data : NULL,
                                      output->data, workspace, workspace_bytes);
    size_t cb, pb;
    st = gc_conv2d_check_ws(ctx, &p, GC_CONV_PASS_FORWARD, workspace, workspace_bytes, &cb, &pb);
    if (st != GC_OK)
        return st;
    const int64_t hp = p.H + p.pt + p.pb, wp = p.W + p.pl + p.pr;
    /* hp * wp only where the padded copy exists: its C * hp * wp was checked (the workspace
     * size); at zero padding the product may not fit in 64 bits and is never needed */
    const int64_t dense[4] = {0, p.pmode == GC_BOUNDARY_FILL ? 0 : hp * wp, wp, 1};
    char *padbuf = (char *)workspace + cb;
    for (int64_t n = 0; n < p.N && st == GC_OK; n++) {
        if (p.pmode != GC_BOUNDARY_FILL)
            gc_conv2d_pad_input(&p, input->data, n, padbuf);
        for (int64_t g = 0; g < p.G && st == GC_OK; g++) {
            gc_corr_problem q =
                p.pmode == GC_BOUNDARY_FILL
                    ? gc_conv2d_fwd_corr(&p, input->data, p.in_s, p.pt, p.pl, p.H, p.W, weight->data, output->data, n, g)
                    : gc_conv2d_fwd_corr(&p, padbuf, dense, 0, 0, hp, wp, weight->data, output->data, 0, g);
            if (p.pmode != GC_BOUNDARY_FILL) /* the padded buffer holds item n only */
                q.out = (char *)output->data + (size_t)(n * p.out_s[0] + g * p.Og * p.out_s[1]) * gc_dtype_size(p.dtype);
            st = gc_corr_run(ctx, &q, workspace, cb);
        }
    }
    if (st == GC_OK && bias)
        gc_conv2d_add_bias(&p, bias->data, output->data);
    return st;
}

gc_status gc_conv2d_backward_input(gc_context *ctx, const gc_conv2d_desc *desc,
                                   const gc_tensor *grad_output, const gc_tensor *weight,
                                   gc_tensor *grad_input, void *workspace, size_t workspace_bytes)
{
    if (!grad_input)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d: grad_input is NULL");
    gc_conv2d_problem p;
    gc_conv_algo algo;
    gc_status st = gc_conv2d_prepare(ctx, desc, grad_input, weight, grad_output, NULL, &p);
    if (st == GC_OK && !grad_output)
        st = gc_fail(ctx, GC_ERR_NULL, "conv2d: grad_output is NULL");
    if (st == GC_OK)
        st = gc_conv2d_alias(ctx, grad_input, grad_output, weight, NULL);
    if (st == GC_OK)
        st = gc_conv2d_pick(ctx, desc, &p, GC_CONV_PASS_BACKWARD_INPUT, &algo);
    if (st != GC_OK)
        return st;
    if (algo == GC_CONV_ALGO_REFERENCE)
        return gc_conv2d_backward_input_reference(ctx, &p, grad_output->data, weight->data, grad_input->data);
    if (algo == GC_CONV_ALGO_IM2COL)
        return gc_conv2d_im2col_backward_input(ctx, &p, grad_output->data, weight->data, grad_input->data,
                                               workspace, workspace_bytes);
    if (algo == GC_CONV_ALGO_WINOGRAD)
        return gc_conv2d_winograd_backward_input(ctx, &p, grad_output->data, weight->data, grad_input->data,
                                                 workspace, workspace_bytes);
    if (algo == GC_CONV_ALGO_GEMM)
        return gc_conv2d_gemm_backward_input(ctx, &p, grad_output->data, weight->data, grad_input->data,
                                             workspace, workspace_bytes);
    size_t cb, pb;
    st = gc_conv2d_check_ws(ctx, &p, GC_CONV_PASS_BACKWARD_INPUT, workspace, workspace_bytes, &cb, &pb);
    if (st != GC_OK)
        return st;
    const int64_t hp = p.H + p.pt + p.pb, wp = p.W + p.pl + p.pr;
    /* hp * wp only where the padded copy exists: its C * hp * wp was checked (the workspace
     * size); at zero padding the product may not fit in 64 bits and is never needed */
    const int64_t dense[4] = {0, p.pmode == GC_BOUNDARY_FILL ? 0 : hp * wp, wp, 1};
    char *padbuf = (char *)workspace + cb;
    for (int64_t n = 0; n < p.N && st == GC_OK; n++) {
        for (int64_t g = 0; g < p.G && st == GC_OK; g++) {
            gc_corr_problem q =
                p.pmode == GC_BOUNDARY_FILL
                    ? gc_conv2d_bwd_corr(&p, grad_output->data, weight->data, grad_input->data, p.in_s, p.pt, p.pl, p.H, p.W, n, g)
                    : gc_conv2d_bwd_corr(&p, grad_output->data, weight->data, padbuf, dense, 0, 0, hp, wp, n, g);
            if (p.pmode != GC_BOUNDARY_FILL)
                q.out = padbuf + (size_t)(g * p.Cg * dense[1]) * gc_dtype_size(p.dtype);
            st = gc_corr_run(ctx, &q, workspace, cb);
        }
        if (st == GC_OK && p.pmode != GC_BOUNDARY_FILL) {
            /* fold the padded gradient onto the pixels each padded one copies */
            for (int64_t c = 0; c < p.C; c++)
                for (int64_t y = 0; y < p.H; y++)
                    for (int64_t x = 0; x < p.W; x++)
                        gc_store(grad_input->data, p.dtype, n * p.in_s[0] + c * p.in_s[1] + y * p.in_s[2] + x * p.in_s[3], 0.0);
            int64_t e = 0;
            for (int64_t c = 0; c < p.C; c++)
                for (int64_t y = 0; y < hp; y++) {
                    const int64_t sy = gc_pad_index(y - p.pt, p.H, p.pmode);
                    for (int64_t x = 0; x < wp; x++, e++) {
                        const int64_t sx = gc_pad_index(x - p.pl, p.W, p.pmode);
                        if (sy < 0 || sx < 0)
                            continue;
                        const int64_t off = n * p.in_s[0] + c * p.in_s[1] + sy * p.in_s[2] + sx * p.in_s[3];
                        gc_store(grad_input->data, p.dtype, off,
                                 gc_load(grad_input->data, p.dtype, off) + gc_load(padbuf, p.dtype, e));
                    }
                }
        }
    }
    return st;
}

gc_status gc_conv2d_backward_weight(gc_context *ctx, const gc_conv2d_desc *desc,
                                    const gc_tensor *input, const gc_tensor *grad_output,
                                    double scale, gc_tensor *grad_weight, gc_tensor *grad_bias,
                                    void *workspace, size_t workspace_bytes)
{
    if (!grad_weight || !grad_output)
        return gc_fail(ctx, GC_ERR_NULL, "conv2d: grad_weight or grad_output is NULL");
    gc_conv2d_problem p;
    gc_conv_algo algo;
    gc_status st = gc_conv2d_prepare(ctx, desc, input, grad_weight, grad_output, grad_bias, &p);
    if (st == GC_OK && !(scale == scale && scale - scale == 0.0))
        st = gc_fail(ctx, GC_ERR_ARG, "conv2d: scale must be finite");
    if (st == GC_OK)
        st = gc_conv2d_alias(ctx, grad_weight, input, grad_output, grad_bias);
    if (st == GC_OK && grad_bias)
        st = gc_conv2d_alias(ctx, grad_bias, input, grad_output, grad_weight);
    if (st == GC_OK)
        st = gc_conv2d_pick(ctx, desc, &p, GC_CONV_PASS_BACKWARD_WEIGHT, &algo);
    if (st != GC_OK)
        return st;
    if (algo == GC_CONV_ALGO_REFERENCE)
        return gc_conv2d_backward_weight_reference(ctx, &p, input->data, grad_output->data, scale,
                                                   grad_weight->data, grad_bias ? grad_bias->data : NULL,
                                                   grad_weight->strides, grad_bias ? grad_bias->strides[0] : 0);
    if (algo == GC_CONV_ALGO_GEMM)
        return gc_conv2d_gemm_wgrad(ctx, &p, input->data, grad_output->data, scale, grad_weight->data,
                                    grad_weight->strides, grad_bias ? grad_bias->data : NULL,
                                    grad_bias ? grad_bias->strides[0] : 0, workspace, workspace_bytes);
    return gc_conv2d_wgrad(ctx, &p, input->data, grad_output->data, scale, grad_weight->data,
                           grad_weight->strides, grad_bias ? grad_bias->data : NULL,
                           grad_bias ? grad_bias->strides[0] : 0, workspace, workspace_bytes);
}
