/* corr.c - the optimised driver for xcorr2/conv2/xcorr3/conv3.
 *
 * The work is cut into tasks of (plane group, output depth z, block of output rows). A task
 * gathers, for each term (input plane i, kernel depth a) that feeds it, pointers to the input
 * rows its outputs read (straight into the input when rows are contiguous and need no
 * padding, else into a zero-padded copy in the thread's scratch), then runs the ISA's block
 * kernel over groups of output planes. Rows above and below the input point at a shared zero
 * row. Wide rows that need column padding (modes F and S, conv2d's pad) are split in columns:
 * the interior output columns, whose taps all fall inside the input, read the input rows in
 * place, and only the few edge columns on each side get zero-padded copies (instead of
 * copying every row whole). The kernel is packed once per call (flipped for conv)
 * into a contiguous buffer of the compute dtype. Block sizes do not depend on the thread
 * count, so every output element is summed in the same order whatever the thread count. */
#include "ops/corr/corr_fft.h"

#include <string.h>

typedef struct gc_corr_plan {
    const gc_corr_problem *p;
    gc_corr_kernels kern;
    size_t esz;               /* element size */
    const char *kpack;        /* [nout][kin][kd][kh][kw], flipped for conv */
    int64_t kvol, kin;
    int64_t nb_out;           /* output planes per kernel call (SUM only) */
    int64_t R;                /* output rows per task */
    int64_t nrb;              /* row blocks per (plane group, z) */
    int64_t ngroups;          /* plane groups: 1 for SUM, nout otherwise */
    int64_t wp;               /* padded row width: ow + kw - 1 */
    int64_t zw;               /* width of the zero row: max(wp, wl + wr) */
    int direct_rows, direct_out;
    /* column split (direct_rows false, unit column stride, wide interior): output columns
     * [xl, xr) read the input in place; [0, xl) and [xr, ow) read edge copies of wl and wr
     * padded columns */
    int split;
    int64_t xl, xr, wl, wr;
    int64_t max_terms, rows_per_term;
    /* per-thread scratch */
    char *scratch;
    size_t per_thread;
    size_t off_kptr, off_erows, off_zero, off_panel, off_tile, off_etile;
} gc_corr_plan;

/* Narrowest interior (output columns) worth a column split: below it the two edge calls of
 * the block kernel cost more than copying whole rows. */
#define GC_CORR_SPLIT_MIN 128

static size_t gc_align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Copy w columns of input row (plane i, depth iz, row iy) into dst, starting at input
 * column c0, with zeros outside the input. */
static void gc_corr_fill_row(const gc_corr_plan *pl, int64_t i, int64_t iz, int64_t iy, int64_t c0,
                             int64_t w, char *dst)
{
    const gc_corr_problem *p = pl->p;
    const size_t esz = pl->esz;
    const int64_t lo = c0 < 0 ? (-c0 < w ? -c0 : w) : 0; /* first dst column inside the input */
    int64_t hi = p->n[2] - c0;                          /* one past the last */
    if (hi > w)
        hi = w;
    if (hi < lo)
        hi = lo;
    if (lo > 0)
        memset(dst, 0, (size_t)lo * esz);
    if (hi < w)
        memset(dst + (size_t)hi * esz, 0, (size_t)(w - hi) * esz);
    if (hi == lo)
        return;
    const char *src = (const char *)p->in +
                      (size_t)(i * p->in_s[0] + iz * p->in_s[1] + iy * p->in_s[2]) * esz;
    const int64_t sx = p->in_s[3];
    if (sx == 1) {
        memcpy(dst + (size_t)lo * esz, src + (size_t)(lo + c0) * esz, (size_t)(hi - lo) * esz);
    } else if (esz == 4) {
        const float *sp = (const float *)src;
        float *d = (float *)dst;
        for (int64_t c = lo; c < hi; c++)
            d[c] = sp[(c + c0) * sx];
    } else {
        const double *sp = (const double *)src;
        double *d = (double *)dst;
        for (int64_t c = lo; c < hi; c++)
            d[c] = sp[(c + c0) * sx];
    }
}

/* One block-kernel call: nb output planes from plane j0 of the group, nr rows, ow columns
 * at out, reading nt terms' row pointers rows (rows-per-term nr + kh - 1). */
static void gc_corr_call(const gc_corr_plan *pl, char *out, int64_t ops, int64_t ors, int64_t nb,
                         int64_t nr, int64_t ow, int64_t nt, const void **rows, const void **kptr,
                         int64_t kos, int64_t j0)
{
    const gc_corr_problem *p = pl->p;
    const size_t esz = pl->esz;
    /* shift the kernel pointers to this group of output planes */
    for (int64_t t = 0; t < nt; t++)
        kptr[t] = (const char *)kptr[t] + (size_t)(j0 * kos) * esz;
    if (esz == 4) {
        gc_corr_block_f32 b = {
            .out = (float *)out, .out_plane_stride = ops, .out_row_stride = ors,
            .nout = nb, .nrows = nr, .ow = ow, .nterms = nt,
            .rows = (const float *const *)rows, .kernels = (const float *const *)kptr,
            .kernel_out_stride = kos, .kh = p->k[1], .kw = p->k[2], .accumulate = 0};
        pl->kern.f32(&b);
    } else {
        gc_corr_block_f64 b = {
            .out = (double *)out, .out_plane_stride = ops, .out_row_stride = ors,
            .nout = nb, .nrows = nr, .ow = ow, .nterms = nt,
            .rows = (const double *const *)rows, .kernels = (const double *const *)kptr,
            .kernel_out_stride = kos, .kh = p->k[1], .kw = p->k[2], .accumulate = 0};
        pl->kern.f64(&b);
    }
    for (int64_t t = 0; t < nt; t++)
        kptr[t] = (const char *)kptr[t] - (size_t)(j0 * kos) * esz;
}

/* Phase 1 of a task: the terms (input slot, depth) that reach output plane z, their kernels
 * in kptr and their rpt input rows each in rows (direct pointers, or rows built with their
 * padding in the panel; the edge rows of a split plan in erows). Returns the count. */
static int64_t gc_corr_gather_rows(const gc_corr_plan *pl, char *ws, int64_t g, int64_t z,
                                   int64_t y0, int64_t rpt)
{
    const gc_corr_problem *p = pl->p;
    const size_t esz = pl->esz;
    const void **rows = (const void **)ws;
    const void **kptr = (const void **)(ws + pl->off_kptr);
    const void **erows = (const void **)(ws + pl->off_erows); /* split: left, then right */
    const int64_t nrowptr = pl->max_terms * pl->rows_per_term;
    const char *zero = ws + pl->off_zero;
    char *panel = ws + pl->off_panel;
    const int sum = p->pairing == GC_PAIR_SUM;
    const int64_t i0 = sum ? 0 : g, i1 = sum ? p->nin : g + 1;
    const int64_t khw = p->k[1] * p->k[2];

    /* terms and their rows */
    int64_t nt = 0;
    for (int64_t i = i0; i < i1; i++)
        for (int64_t a = 0; a < p->k[0]; a++) {
            const int64_t iz = z + a - p->pad[0];
            if (iz < 0 || iz >= p->n[0])
                continue;
            /* kernel for output plane (sum ? 0 : g), input slot (sum ? i : 0), depth a */
            const int64_t kidx = sum ? (i * p->k[0] + a) : (g * p->k[0] + a);
            kptr[nt] = pl->kpack + (size_t)(kidx * khw) * esz;
            for (int64_t r = 0; r < rpt; r++) {
                const int64_t iy = y0 + r - p->pad[1];
                const void **slot = &rows[nt * rpt + r];
                const int64_t ir = nt * rpt + r;
                if (iy < 0 || iy >= p->n[1]) {
                    *slot = zero;
                    if (pl->split)
                        erows[ir] = erows[nrowptr + ir] = zero;
                } else if (pl->direct_rows || pl->split) {
                    const char *src = (const char *)p->in +
                        (size_t)(i * p->in_s[0] + iz * p->in_s[1] + iy * p->in_s[2]) * esz;
                    *slot = src + (size_t)(pl->split ? pl->xl - p->pad[2] : 0) * esz;
                    if (pl->split) {
                        char *dst = panel + (size_t)(ir * (pl->wl + pl->wr)) * esz;
                        if (pl->wl) {
                            gc_corr_fill_row(pl, i, iz, iy, -p->pad[2], pl->wl, dst);
                            erows[ir] = dst;
                        }
                        if (pl->wr) {
                            gc_corr_fill_row(pl, i, iz, iy, pl->xr - p->pad[2], pl->wr,
                                             dst + (size_t)pl->wl * esz);
                            erows[nrowptr + ir] = dst + (size_t)pl->wl * esz;
                        }
                    }
                } else {
                    char *dst = panel + (size_t)(ir * pl->wp) * esz;
                    gc_corr_fill_row(pl, i, iz, iy, -p->pad[2], pl->wp, dst);
                    *slot = dst;
                }
            }
            nt++;
        }
    return nt;
}

/* Phase 2: output planes j0 .. j0 + nb of rows y0 .. y0 + nr into `out` (plane stride ops,
 * row stride ors) from the nt terms gathered: zeros without terms, else the kernel over the
 * interior and, for a split plan, over the edges. */
static void gc_corr_compute_block(const gc_corr_plan *pl, char *ws, char *out, int64_t ops,
                                  int64_t ors, int64_t nb, int64_t nr, int64_t nt, int64_t j0)
{
    const gc_corr_problem *p = pl->p;
    const size_t esz = pl->esz;
    const void **rows = (const void **)ws;
    const void **kptr = (const void **)(ws + pl->off_kptr);
    const void **erows = (const void **)(ws + pl->off_erows); /* split: left, then right */
    const int64_t nrowptr = pl->max_terms * pl->rows_per_term;
    const int sum = p->pairing == GC_PAIR_SUM;
    const int64_t khw = p->k[1] * p->k[2];
    const int64_t ow = p->o[2];
    if (nt == 0) {
        for (int64_t jb = 0; jb < nb; jb++)
            for (int64_t r = 0; r < nr; r++)
                memset(out + (size_t)(jb * ops + r * ors) * esz, 0, (size_t)ow * esz);
    } else {
        const int64_t kos = sum ? p->nin * p->k[0] * khw : 0;
        if (!pl->split) {
            gc_corr_call(pl, out, ops, ors, nb, nr, ow, nt, rows, kptr, kos, j0);
        } else {
            gc_corr_call(pl, out + (size_t)pl->xl * esz, ops, ors, nb, nr, pl->xr - pl->xl, nt,
                         rows, kptr, kos, j0);
            if (pl->wl && pl->wr) {
                /* both edges in one call over the joined edge rows [left | right]: its
                 * outputs are xl left ones, kw-1 straddling ones (dropped), then the
                 * right ones; into a small tile, then copied out */
                const int64_t gap = pl->xl + p->k[2] - 1, owe = pl->wl + pl->wr - p->k[2] + 1;
                char *et = ws + pl->off_etile;
                gc_corr_call(pl, et, nr * owe, owe, nb, nr, owe, nt, erows, kptr, kos, j0);
                for (int64_t jb = 0; jb < nb; jb++)
                    for (int64_t r = 0; r < nr; r++) {
                        const char *e = et + (size_t)(jb * nr * owe + r * owe) * esz;
                        char *o = out + (size_t)(jb * ops + r * ors) * esz;
                        memcpy(o, e, (size_t)pl->xl * esz);
                        memcpy(o + (size_t)pl->xr * esz, e + (size_t)gap * esz,
                               (size_t)(ow - pl->xr) * esz);
                    }
            } else if (pl->wl) {
                gc_corr_call(pl, out, ops, ors, nb, nr, pl->xl, nt, erows, kptr, kos, j0);
            } else if (pl->wr) {
                gc_corr_call(pl, out + (size_t)pl->xr * esz, ops, ors, nb, nr, ow - pl->xr, nt,
                             erows + nrowptr, kptr, kos, j0);
            }
        }
    }
}

/* Phase 3 (when the output is not written directly): the tile into the strided output. */
static void gc_corr_scatter_tile(const gc_corr_plan *pl, const char *out, int64_t ops,
                                 int64_t ors, int64_t nb, int64_t nr, int64_t jglob, int64_t z,
                                 int64_t y0)
{
    const gc_corr_problem *p = pl->p;
    const size_t esz = pl->esz;
    const int64_t ow = p->o[2];
    for (int64_t jb = 0; jb < nb; jb++)
        for (int64_t r = 0; r < nr; r++) {
            const char *src = out + (size_t)(jb * ops + r * ors) * esz;
            const int64_t base = (jglob + jb) * p->out_s[0] + z * p->out_s[1] +
                                 (y0 + r) * p->out_s[2];
            for (int64_t x = 0; x < ow; x++) {
                if (esz == 4)
                    ((float *)p->out)[base + x * p->out_s[3]] = ((const float *)src)[x];
                else
                    ((double *)p->out)[base + x * p->out_s[3]] = ((const double *)src)[x];
            }
        }
}

static void gc_corr_task(int64_t task, int thread, void *arg)
{
    const gc_corr_plan *pl = arg;
    const gc_corr_problem *p = pl->p;
    const size_t esz = pl->esz;
    char *ws = pl->scratch + (size_t)thread * pl->per_thread;

    const int64_t rb = task % pl->nrb;
    const int64_t z = (task / pl->nrb) % p->o[0];
    const int64_t g = task / pl->nrb / p->o[0];
    const int64_t y0 = rb * pl->R;
    const int64_t nr = p->o[1] - y0 < pl->R ? p->o[1] - y0 : pl->R;
    const int64_t rpt = nr + p->k[1] - 1;
    const int sum = p->pairing == GC_PAIR_SUM;

    const int64_t nt = gc_corr_gather_rows(pl, ws, g, z, y0, rpt);

    const int64_t ow = p->o[2];
    const int64_t nplanes = sum ? p->nout : 1;
    for (int64_t j0 = 0; j0 < nplanes; j0 += pl->nb_out) {
        const int64_t nb = nplanes - j0 < pl->nb_out ? nplanes - j0 : pl->nb_out;
        const int64_t jglob = sum ? j0 : g;
        char *out;
        int64_t ops, ors;
        if (pl->direct_out) {
            out = (char *)p->out + (size_t)(jglob * p->out_s[0] + z * p->out_s[1] +
                                            y0 * p->out_s[2]) * esz;
            ops = p->out_s[0];
            ors = p->out_s[2];
        } else {
            out = ws + pl->off_tile;
            ops = nr * ow;
            ors = ow;
        }
        gc_corr_compute_block(pl, ws, out, ops, ors, nb, nr, nt, j0);
        if (!pl->direct_out) /* scatter the tile into the strided output */
            gc_corr_scatter_tile(pl, out, ops, ors, nb, nr, jglob, z, y0);
    }
}

/* Pack the kernel contiguously, flipped in every spatial dim for conv:
 * [nout'][kin][kd][kh][kw] with nout' = nout for SUM and PLANEWISE, 1 for SINGLE. */
static void gc_corr_pack_kernel(const gc_corr_problem *p, int64_t kin, char *dst, size_t esz)
{
    const int64_t nj = p->pairing == GC_PAIR_SINGLE ? 1 : p->nout;
    int64_t e = 0;
    for (int64_t j = 0; j < nj; j++)
        for (int64_t i = 0; i < kin; i++)
            for (int64_t a = 0; a < p->k[0]; a++)
                for (int64_t b = 0; b < p->k[1]; b++)
                    for (int64_t c = 0; c < p->k[2]; c++, e++) {
                        const int64_t ka = p->flip ? p->k[0] - 1 - a : a;
                        const int64_t kb = p->flip ? p->k[1] - 1 - b : b;
                        const int64_t kc = p->flip ? p->k[2] - 1 - c : c;
                        const int64_t off = j * p->k_s[0] + i * p->k_s[1] + ka * p->k_s[2] +
                                            kb * p->k_s[3] + kc * p->k_s[4];
                        if (esz == 4)
                            ((float *)dst)[e] = ((const float *)p->ker)[off];
                        else
                            ((double *)dst)[e] = ((const double *)p->ker)[off];
                    }
}

/* The SIMD kernels walk a block in groups of 6 (AVX-512) or 4 (AVX2) rows and take its
 * output planes 6 (4) at a time inside each group, so a block's input rows stay in cache
 * while every plane group uses them: blocks of 24 rows and up to 24 planes. */
gc_corr_kernels gc_corr_kernels_for(gc_isa isa)
{
    gc_corr_kernels k = {gc_corr_block_f32_scalar, gc_corr_block_f64_scalar, 4, 4};
#if defined(GC_HAVE_AVX2)
    if (isa == GC_ISA_AVX2)
        k = (gc_corr_kernels){gc_corr_block_f32_avx2, gc_corr_block_f64_avx2, 24, 24};
#endif
#if defined(GC_HAVE_AVX512)
    if (isa == GC_ISA_AVX512)
        k = (gc_corr_kernels){gc_corr_block_f32_avx512, gc_corr_block_f64_avx512, 24, 24};
#endif
    (void)isa;
    return k;
}

gc_status gc_corr(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                  const gc_tensor *kernel, gc_tensor *output)
{
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "output is NULL");
    gc_corr_problem p, padded;
    gc_status st = gc_corr_prepare(ctx, desc, input, kernel, output, &p);
    if (st != GC_OK)
        return st;
    /* a boundary other than zeros: pad into a workspace, then a valid-mode problem */
    void *owned = NULL;
    const gc_corr_problem *run = &p;
    if (gc_corr_needs_padding(&p)) {
        if ((st = gc_corr_pad_input(ctx, &p, &padded, &owned)) != GC_OK)
            return st;
        run = &padded;
    }
    gc_corr_method method;
    st = gc_corr_choose(ctx, run, desc->method, &method);
    if (st == GC_OK)
        st = method == GC_CORR_METHOD_FFT ? gc_corr_fft_run(ctx, run) : gc_corr_run(ctx, run, NULL, 0);
    gc_free(ctx, owned);
    return st;
}

gc_status gc_corr_select_method(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                                const gc_tensor *kernel, gc_corr_method *method)
{
    if (!method)
        return gc_fail(ctx, GC_ERR_NULL, "method is NULL");
    *method = GC_CORR_METHOD_DIRECT;
    gc_corr_problem p, padded;
    gc_status st = gc_corr_prepare(ctx, desc, input, kernel, NULL, &p);
    if (st != GC_OK)
        return st;
    void *owned = NULL;
    const gc_corr_problem *run = &p;
    if (desc->method == GC_CORR_METHOD_AUTO && gc_corr_needs_padding(&p)) {
        if ((st = gc_corr_pad_input(ctx, &p, &padded, &owned)) != GC_OK)
            return st;
        run = &padded;
    }
    st = gc_corr_choose(ctx, run, desc->method, method);
    gc_free(ctx, owned);
    return st;
}

/* Fill the plan for problem p (which must outlive it) and size its workspace. */
static gc_status gc_corr_plan_init(gc_context *ctx, const gc_corr_problem *p, gc_corr_plan *pl,
                                   int *nthreads_out, size_t *kpack_bytes, size_t *bytes)
{
    memset(pl, 0, sizeof *pl);
    pl->p = p;
    pl->kern = gc_corr_kernels_for(gc_context_isa(ctx));
    pl->esz = gc_dtype_size(p->dtype);
    pl->kvol = p->k[0] * p->k[1] * p->k[2];
    pl->kin = p->pairing == GC_PAIR_SUM ? p->nin : 1;
    pl->nb_out = p->pairing == GC_PAIR_SUM ? pl->kern.max_nout : 1;
    pl->R = pl->kern.rows;
    pl->nrb = (p->o[1] + pl->R - 1) / pl->R;
    pl->ngroups = p->pairing == GC_PAIR_SUM ? 1 : p->nout;
    pl->wp = p->o[2] + p->k[2] - 1;
    pl->direct_rows = p->in_s[3] == 1 && p->pad[2] == 0 && pl->wp <= p->n[2];
    pl->direct_out = p->out_s[3] == 1;
    pl->max_terms = pl->kin * p->k[0];
    pl->rows_per_term = pl->R + p->k[1] - 1;
    /* (not for sums over input planes: there one copy of a row serves every output plane,
     * while the edge call costs per plane; measured 16 -> 16 planes of 256 x 256, 3x3 S:
     * 3.2 ms copying rows, 4.0 ms split) */
    if (!pl->direct_rows && p->in_s[3] == 1 && p->pairing != GC_PAIR_SUM) {
        const int64_t xl = p->pad[2] > 0 ? p->pad[2] : 0;
        const int64_t xr = p->n[2] - p->k[2] + 1 + p->pad[2] < p->o[2]
                               ? p->n[2] - p->k[2] + 1 + p->pad[2] : p->o[2];
        if (xr - xl >= GC_CORR_SPLIT_MIN) {
            pl->split = 1;
            pl->xl = xl;
            pl->xr = xr;
            pl->wl = xl > 0 ? xl + p->k[2] - 1 : 0;
            pl->wr = xr < p->o[2] ? p->o[2] - xr + p->k[2] - 1 : 0;
        }
    }

    /* sizes, overflow-checked */
    int64_t nrowptr, panel_elems = 0, tile_elems = 0, etile_elems = 0, kelems, ntasks, total;
    if (!gc_mul_ok(pl->max_terms, pl->rows_per_term, &nrowptr) ||
        (!pl->direct_rows && !gc_mul_ok(nrowptr, pl->split ? pl->wl + pl->wr : pl->wp,
                                        &panel_elems)) ||
        !gc_mul_ok(pl->nb_out * pl->R, p->o[2], &tile_elems) ||
        (pl->split && !gc_mul_ok(pl->nb_out * pl->R, pl->wl + pl->wr, &etile_elems)) ||
        !gc_mul_ok(p->pairing == GC_PAIR_SINGLE ? 1 : p->nout, pl->kin * pl->kvol, &kelems) ||
        !gc_mul_ok(kelems, (int64_t)pl->esz + 64, &total) ||
        !gc_mul_ok(pl->ngroups * p->o[0], pl->nrb, &ntasks))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "correlation workspace size overflows");
    if (pl->direct_out)
        tile_elems = 0;
    pl->off_kptr = gc_align64((size_t)nrowptr * sizeof(void *));
    pl->off_erows = pl->off_kptr + gc_align64((size_t)pl->max_terms * sizeof(void *));
    pl->off_zero = pl->off_erows + (pl->split ? gc_align64((size_t)nrowptr * 2 * sizeof(void *)) : 0);
    pl->zw = pl->split && pl->wl + pl->wr > pl->wp ? pl->wl + pl->wr : pl->wp;
    pl->off_panel = pl->off_zero + gc_align64((size_t)pl->zw * pl->esz);
    pl->off_tile = pl->off_panel + gc_align64((size_t)panel_elems * pl->esz);
    pl->off_etile = pl->off_tile + gc_align64((size_t)tile_elems * pl->esz);
    pl->per_thread = pl->off_etile + gc_align64((size_t)etile_elems * pl->esz);

    int nthreads = gc_context_threads(ctx);
    if ((int64_t)nthreads > ntasks)
        nthreads = (int)ntasks;
    *nthreads_out = nthreads;
    *kpack_bytes = gc_align64((size_t)kelems * pl->esz);
    int64_t scratch;
    if (!gc_mul_ok(nthreads, (int64_t)pl->per_thread, &scratch) ||
        !gc_add_ok(scratch, (int64_t)*kpack_bytes, &scratch))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "correlation workspace size overflows");
    *bytes = (size_t)scratch;
    return GC_OK;
}

gc_status gc_corr_workspace(gc_context *ctx, const gc_corr_problem *p, size_t *bytes)
{
    gc_corr_plan pl;
    int nthreads = 1;
    size_t kb = 0;
    return gc_corr_plan_init(ctx, p, &pl, &nthreads, &kb, bytes);
}

gc_status gc_corr_run(gc_context *ctx, const gc_corr_problem *p, void *workspace,
                      size_t workspace_bytes)
{
    gc_corr_plan pl;
    int nthreads = 1;
    size_t kbytes = 0, bytes = 0;
    gc_status st = gc_corr_plan_init(ctx, p, &pl, &nthreads, &kbytes, &bytes);
    if (st != GC_OK)
        return st;
    void *owned = NULL;
    if (!workspace) {
        st = gc_alloc(ctx, (int64_t)bytes, 1, &owned);
        if (st != GC_OK)
            return st;
        workspace = owned;
    } else if (workspace_bytes < bytes || ((uintptr_t)workspace & 63)) {
        return gc_fail(ctx, GC_ERR_ARG, "workspace of %zu bytes is too small (needs %zu, 64-byte aligned)",
                       workspace_bytes, bytes);
    }
    char *kpack = workspace;
    char *scratch = kpack + kbytes;
    gc_corr_pack_kernel(p, pl.kin, kpack, pl.esz);
    for (int t = 0; t < nthreads; t++)
        memset(scratch + (size_t)t * pl.per_thread + pl.off_zero, 0, (size_t)pl.zw * pl.esz);
    pl.kpack = kpack;
    pl.scratch = scratch;
    st = gc_parallel_for(ctx, nthreads, pl.ngroups * p->o[0] * pl.nrb, gc_corr_task, &pl);
    gc_free(ctx, owned);
    return st;
}

static gc_status gc_corr_short(gc_context *ctx, gc_corr_kind kind, int sd, const gc_tensor *input,
                               const gc_tensor *kernel, gc_mode mode, gc_tensor *output)
{
    const gc_corr_desc d = {.kind = kind, .spatial_dims = sd, .mode = mode,
                            .method = GC_CORR_METHOD_AUTO, .boundary = GC_BOUNDARY_FILL};
    return gc_corr(ctx, &d, input, kernel, output);
}

gc_status gc_xcorr2(gc_context *ctx, const gc_tensor *in, const gc_tensor *k, gc_mode mode, gc_tensor *out)
{
    return gc_corr_short(ctx, GC_CORR_KIND_XCORR, 2, in, k, mode, out);
}
gc_status gc_conv2(gc_context *ctx, const gc_tensor *in, const gc_tensor *k, gc_mode mode, gc_tensor *out)
{
    return gc_corr_short(ctx, GC_CORR_KIND_CONV, 2, in, k, mode, out);
}
gc_status gc_xcorr3(gc_context *ctx, const gc_tensor *in, const gc_tensor *k, gc_mode mode, gc_tensor *out)
{
    return gc_corr_short(ctx, GC_CORR_KIND_XCORR, 3, in, k, mode, out);
}
gc_status gc_conv3(gc_context *ctx, const gc_tensor *in, const gc_tensor *k, gc_mode mode, gc_tensor *out)
{
    return gc_corr_short(ctx, GC_CORR_KIND_CONV, 3, in, k, mode, out);
}
