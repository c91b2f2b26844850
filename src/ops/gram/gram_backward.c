/* gram_backward.c - the optimised Gram backward driver (gram.c holds the entry points).
 *
 * Backward: dF = beta * S Fc with S = dG + dG^T (symmetric, built once per call, padded with
 * zeros). Centring: with Fc = F - mean_k(F), dL/dF = dL/dFc - mean_k(dL/dFc), and the row
 * means of S Fc are S mean_k(Fc) = 0, so the subtraction is identically zero and is skipped
 * (the reference performs it literally). The work is cut into tasks of (item, a range of
 * GW-wide panels of K: all of it up to 8 MiB of packed Fc, else ~512 KiB; balanced over the
 * threads): a task packs its columns as M x GW panels and runs the GEMM kernel over GR-row
 * tiles, each output element being written by one task, in a fixed sum order (j
 * increasing). */
#include "ops/gram/gram.h"
#include "ops/gram/gram_internal.h"

#include <string.h>

typedef struct gc_bwd_plan {
    const gc_gram_problem *p;
    gc_gram_kernels kern;
    gc_gram_gview dg;
    size_t esz;
    int64_t mpad, GR, GW, KT, nkp; /* KT: most columns per task, a multiple of GW */
    int64_t npan, tb;        /* GW-wide panels along K; threads the tasks are balanced over */
    double beta;
    int accumulate;
    int64_t in_ks, out_ks;   /* uniform k strides (or -1) of input and gradient */
    int64_t out_s[4];        /* gradient strides like p->in_s */
    void *out;
    const double *mu;
    char *sym;               /* n * mpad * mpad, row-major, zero padded */
    char *scratch;           /* per thread: panels (m * KT), tile (GR * GW) */
    size_t per_thread, off_tile;
} gc_bwd_plan;

/* sym[b][j][i] = dG[b][i][j] + dG[b][j][i] for rows j of one task (item b, row j). */
static void gc_sym_task(int64_t task, int thread, void *arg)
{
    (void)thread;
    const gc_bwd_plan *pl = arg;
    const gc_gram_problem *p = pl->p;
    const int64_t b = task / pl->mpad, j = task % pl->mpad;
    const int64_t *s = pl->dg.s;
    if (pl->esz == 4) {
        float *row = (float *)pl->sym + (size_t)(b * pl->mpad + j) * (size_t)pl->mpad;
        const float *d = pl->dg.data;
        for (int64_t i = 0; i < pl->mpad; i++)
            row[i] = (j < p->m && i < p->m) ? d[b * s[0] + i * s[1] + j * s[2]] +
                                                  d[b * s[0] + j * s[1] + i * s[2]]
                                            : 0.0f;
    } else {
        double *row = (double *)pl->sym + (size_t)(b * pl->mpad + j) * (size_t)pl->mpad;
        const double *d = pl->dg.data;
        for (int64_t i = 0; i < pl->mpad; i++)
            row[i] = (j < p->m && i < p->m) ? d[b * s[0] + i * s[1] + j * s[2]] +
                                                  d[b * s[0] + j * s[1] + i * s[2]]
                                            : 0.0;
    }
}

/* panel sp: panels[sp][j*GW + c] = Fc[b][j][k0 + sp*GW + c] for j < m, c < GW, sp < nsub
 * (zero past K); each row of F read in one sequential run. */
static void gc_bwd_pack(const gc_bwd_plan *pl, int64_t b, int64_t k00, int64_t nsub, char *panels)
{
    const gc_gram_problem *p = pl->p;
    const int64_t GW = pl->GW, m = p->m;
    const size_t panel_bytes = (size_t)(m * GW) * pl->esz;
    for (int64_t j = 0; j < m; j++)
    for (int64_t sp = 0; sp < nsub; sp++) {
        const int64_t k0 = k00 + sp * GW;
        const int64_t kc = p->k - k0 < GW ? p->k - k0 : GW;
        char *panel = panels + (size_t)sp * panel_bytes;
        const double mu = pl->mu ? pl->mu[b * m + j] : 0.0;
        if (pl->esz == 4) {
            float *d = (float *)panel + j * GW;
            const float muf = (float)mu;
            if (pl->in_ks == 1) {
                const float *src = (const float *)p->in + gc_ioff(p->in_s, p->kw, b, j, k0);
                for (int64_t c = 0; c < kc; c++)
                    d[c] = src[c] - muf;
            } else if (pl->in_ks >= 0) {
                const float *src = (const float *)p->in + gc_ioff(p->in_s, p->kw, b, j, k0);
                const int64_t ks = pl->in_ks;
                for (int64_t c = 0; c < kc; c++)
                    d[c] = src[c * ks] - muf;
            } else {
                for (int64_t c = 0; c < kc; c++)
                    d[c] = ((const float *)p->in)[gc_ioff(p->in_s, p->kw, b, j, k0 + c)] - muf;
            }
            for (int64_t c = kc; c < GW; c++)
                d[c] = 0.0f;
        } else {
            double *d = (double *)panel + j * GW;
            if (pl->in_ks == 1) {
                const double *src = (const double *)p->in + gc_ioff(p->in_s, p->kw, b, j, k0);
                for (int64_t c = 0; c < kc; c++)
                    d[c] = src[c] - mu;
            } else if (pl->in_ks >= 0) {
                const double *src = (const double *)p->in + gc_ioff(p->in_s, p->kw, b, j, k0);
                const int64_t ks = pl->in_ks;
                for (int64_t c = 0; c < kc; c++)
                    d[c] = src[c * ks] - mu;
            } else {
                for (int64_t c = 0; c < kc; c++)
                    d[c] = ((const double *)p->in)[gc_ioff(p->in_s, p->kw, b, j, k0 + c)] - mu;
            }
            for (int64_t c = kc; c < GW; c++)
                d[c] = 0.0;
        }
    }
}

/* grad[b][i0 + r][k0 + c] (=, or +=) beta * tile[r*GW + c] for valid r, c. */
static void gc_bwd_store(const gc_bwd_plan *pl, int64_t b, int64_t i0, int64_t k0, const char *tile)
{
    const gc_gram_problem *p = pl->p;
    const int64_t GW = pl->GW, GR = pl->GR, m = p->m;
    const int64_t kc = p->k - k0 < GW ? p->k - k0 : GW;
    const int64_t nr = m - i0 < GR ? m - i0 : GR;
    for (int64_t r = 0; r < nr; r++) {
        const int64_t i = i0 + r;
        if (pl->out_ks >= 0) {
            const int64_t base = gc_ioff(pl->out_s, p->kw, b, i, k0), ks = pl->out_ks;
            if (pl->esz == 4 && ks == 1) {
                /* float32 scale: one more rounding, far inside the sum's own error */
                float *o = (float *)pl->out + base;
                const float *t = (const float *)tile + r * GW;
                const float bf = (float)pl->beta;
                if (pl->accumulate)
                    for (int64_t c = 0; c < kc; c++)
                        o[c] += bf * t[c];
                else
                    for (int64_t c = 0; c < kc; c++)
                        o[c] = bf * t[c];
            } else if (pl->esz == 4) { /* the same float arithmetic as above */
                float *o = (float *)pl->out + base;
                const float *t = (const float *)tile + r * GW;
                const float bf = (float)pl->beta;
                if (pl->accumulate)
                    for (int64_t c = 0; c < kc; c++)
                        o[c * ks] += bf * t[c];
                else
                    for (int64_t c = 0; c < kc; c++)
                        o[c * ks] = bf * t[c];
            } else {
                double *o = (double *)pl->out + base;
                const double *t = (const double *)tile + r * GW;
                if (pl->accumulate)
                    for (int64_t c = 0; c < kc; c++)
                        o[c * ks] += pl->beta * t[c];
                else
                    for (int64_t c = 0; c < kc; c++)
                        o[c * ks] = pl->beta * t[c];
            }
        } else if (pl->esz == 4) { /* any strides; still the same float arithmetic */
            float *o = pl->out;
            const float *t = (const float *)tile + r * GW;
            const float bf = (float)pl->beta;
            for (int64_t c = 0; c < kc; c++) {
                const int64_t off = gc_ioff(pl->out_s, p->kw, b, i, k0 + c);
                o[off] = pl->accumulate ? o[off] + bf * t[c] : bf * t[c];
            }
        } else {
            double *o = pl->out;
            const double *t = (const double *)tile + r * GW;
            for (int64_t c = 0; c < kc; c++) {
                const int64_t off = gc_ioff(pl->out_s, p->kw, b, i, k0 + c);
                o[off] = pl->accumulate ? o[off] + pl->beta * t[c] : pl->beta * t[c];
            }
        }
    }
}

/* Task (item b, part kp): its panels [p0, p1) of K's npan GW-wide panels. The static schedule
 * gives task t to thread t mod tb (nkp a multiple of tb), so the panels are first split into
 * tb near-equal thread ranges, each cut into nkp / tb near-equal tasks: the threads' loads
 * differ by at most one panel (22 panels on 2 threads: 11 + 11, not 6 + 6 | 6 + 4). */
static void gc_bwd_range(const gc_bwd_plan *pl, int64_t kp, int64_t *p0, int64_t *p1)
{
    const int64_t t = kp % pl->tb, j = kp / pl->tb, parts = pl->nkp / pl->tb;
    const int64_t a = t * pl->npan / pl->tb, e = (t + 1) * pl->npan / pl->tb;
    *p0 = a + j * (e - a) / parts;
    *p1 = a + (j + 1) * (e - a) / parts;
}

/* Task (item b, panels [p0, p1)): pack the columns as GW-wide panels, then for each GR-row
 * tile of dF run the GEMM over the panels in order (dF rows written in long runs). */
static void gc_bwd_task(int64_t task, int thread, void *arg)
{
    const gc_bwd_plan *pl = arg;
    const gc_gram_problem *p = pl->p;
    const size_t esz = pl->esz;
    const int64_t b = task / pl->nkp, kp = task % pl->nkp;
    const int64_t GW = pl->GW, GR = pl->GR, m = p->m;
    int64_t p0, p1;
    gc_bwd_range(pl, kp, &p0, &p1);
    const int64_t k0 = p0 * GW;
    const int64_t kt = p->k - k0 < (p1 - p0) * GW ? p->k - k0 : (p1 - p0) * GW;
    const int64_t nsub = (kt + GW - 1) / GW;
    char *ws = pl->scratch + (size_t)thread * pl->per_thread;
    char *panels = ws;
    char *tile = ws + pl->off_tile;
    const size_t panel_bytes = (size_t)(m * GW) * esz;
    gc_bwd_pack(pl, b, k0, nsub, panels);
    const char *symb = pl->sym + (size_t)(b * pl->mpad * pl->mpad) * esz;
    for (int64_t i0 = 0; i0 < m; i0 += GR)
        for (int64_t sp = 0; sp < nsub; sp++) {
            pl->kern.gemm(m, symb + (size_t)i0 * esz, pl->mpad, panels + (size_t)sp * panel_bytes,
                          tile);
            gc_bwd_store(pl, b, i0, k0 + sp * GW, tile);
        }
}

gc_status gc_gram_backward_run(gc_context *ctx, const gc_gram_problem *p, const gc_gram_gview *dg,
                               double beta, int accumulate, const gc_tensor *grad)
{
    gc_bwd_plan pl = {.p = p, .dg = *dg, .beta = beta, .accumulate = accumulate};
    pl.kern = gc_gram_kernels_for(gc_context_isa(ctx), p->dtype);
    pl.esz = gc_dtype_size(p->dtype);
    pl.GR = pl.kern.GR, pl.GW = pl.kern.GW;
    pl.mpad = (p->m + pl.kern.L - 1) / pl.kern.L * pl.kern.L;
    /* Panels per task: all of an item's K when its packed Fc takes at most 8 MiB (measured
     * faster: 4 x 256 x 64^2 95 vs 89 GFLOP/s with 512 KiB tasks), else ~512 KiB (L2; long
     * runs along the rows of F and dF). The task count is then a multiple of the threads and
     * the panels balanced over them (gc_bwd_range). Which task computes an element of dF
     * changes none of its sums. */
    const int T = gc_context_threads(ctx);
    pl.npan = (p->k + pl.GW - 1) / pl.GW;
    const int64_t panel_b = pl.GW * (int64_t)pl.esz * p->m;
    const int64_t per = pl.npan <= (8 << 20) / panel_b ? pl.npan : (512 << 10) / panel_b + 1;
    pl.nkp = (pl.npan + per - 1) / per;
    pl.tb = 1;
    if (T > 1 && pl.npan >= T) {
        pl.tb = T;
        pl.nkp = (pl.nkp + T - 1) / T * T;
    }
    {
        const int64_t parts = pl.nkp / pl.tb, trange = (pl.npan + pl.tb - 1) / pl.tb;
        pl.KT = (trange + parts - 1) / parts * pl.GW;
    }
    pl.in_ks = p->k == 1 ? 1 : gc_kstride(p->kh, p->kw, p->in_s);
    const int64_t *gs = grad->strides;
    if (p->in_rank == 2)
        pl.out_s[0] = 0, pl.out_s[1] = gs[0], pl.out_s[2] = 0, pl.out_s[3] = gs[1];
    else if (p->in_rank == 3)
        pl.out_s[0] = 0, pl.out_s[1] = gs[0], pl.out_s[2] = gs[1], pl.out_s[3] = gs[2];
    else
        memcpy(pl.out_s, gs, sizeof pl.out_s);
    pl.out_ks = p->k == 1 ? 1 : gc_kstride(p->kh, p->kw, pl.out_s);
    pl.out = grad->data;
    const int64_t ntasks = p->n * pl.nkp;
    const int nthreads = (int64_t)T < ntasks ? T : (int)ntasks;

    int64_t mm, sym_elems, panel_elems;
    if (!gc_mul_ok(pl.mpad, pl.mpad, &mm) || !gc_mul_ok(p->n, mm, &sym_elems) ||
        !gc_mul_ok(p->m, pl.KT, &panel_elems) || panel_elems > INT64_MAX / 16)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "gram_backward: workspace size overflows");
    pl.off_tile = gc_align64((size_t)panel_elems * pl.esz);
    pl.per_thread = pl.off_tile + gc_align64((size_t)(pl.GR * pl.GW) * pl.esz);

    double *mu = NULL;
    char *sym = NULL, *scratch = NULL;
    gc_status st = GC_OK;
    if (p->center)
        st = gc_alloc(ctx, p->n * p->m, sizeof(double), (void **)&mu);
    if (st == GC_OK)
        st = gc_alloc(ctx, sym_elems, pl.esz, (void **)&sym);
    if (st == GC_OK)
        st = gc_alloc(ctx, nthreads, pl.per_thread, (void **)&scratch);
    if (st == GC_OK && mu)
        st = gc_gram_means(ctx, p, T, mu);
    pl.mu = mu;
    pl.sym = sym;
    pl.scratch = scratch;
    if (st == GC_OK)
        st = gc_parallel_for(ctx, T, p->n * pl.mpad, gc_sym_task, &pl);
    if (st == GC_OK)
        st = gc_parallel_for(ctx, nthreads, ntasks, gc_bwd_task, &pl);
    gc_free(ctx, scratch);
    gc_free(ctx, sym);
    gc_free(ctx, mu);
    return st;
}
