/* conv2d_wgrad.c - SpatialConvolution accGradParameters on the optimised path:
 *   gw[o][c][a][b] += scale * sum_{n,y,x} gout[n][o][y][x] * P(in)[n][g*Cg+c][y*sh+a*dh-pt][x*sw+b*dw-pl]
 *   gb[o]          += scale * sum_{n,y,x} gout[n][o][y][x]
 *
 * GEMM path (the Gram SYRK microkernels of gram.h, reached through gc_gram_kernels_for): per
 * group and tap t = (a, b) the weight gradient is an A B^T product, (Og x K) (K x Cg), with K
 * running over the output pixels of every batch item. Shift layout: k = y*Wq + x with a row
 * pitch Wq = OW + qw (qw = floor((KW-1)*dw / sw)); gout is packed with zeros at x >= OW, and
 * the input is packed once per "variant" (row residue ra = a*dh mod sh, column residue
 * rb = b*dw mod sw) as Z[c][y*Wq + x] = P(in)[c][y*sh + ra - pt][x*sw + rb - pl]; then
 *   X_ab[c][k] = Z_(ra,rb)[c][k + (a*dh / sh)*Wq + b*dw / sw]
 * so a tap is a shifted window of a packed panel, and stride 1 packs the input once for all
 * KH*KW taps. Every gw entry is sum over k-chunks of KS (the kernel's KC; chunk boundaries
 * at multiples of KS from each item's k = 0) of a float-typed in-kernel sum, accumulated in
 * float64 in that fixed order: results do not depend on the thread count or the job split.
 * Jobs: (group, block of output channels, block of input channels), each writing its own
 * part of gw; one workspace slot (accumulators + packed panels) per thread.
 * (Zero gout columns x >= OW meet real input pixels: an Inf/NaN in the input can reach gw
 * entries that a plain loop would leave finite.)
 *
 * Fallback (few channels per group, e.g. depthwise, where 16-row panels would be mostly
 * padding): one task per output channel; each (n, y) row contributes a dot product over the
 * valid x range, 8 lanes of partial sums in the tensor's dtype, rows summed in float64. The
 * bias gradient always takes this loop (float64 sums per output channel). */
#include "ops/conv2d/conv2d.h"
#include "ops/gram/gram.h"

#include <string.h>

#define GC_LANES 8

static double gc_dot_f32(const float *g, const float *in, int64_t n, int64_t in_stride)
{
    float lane[GC_LANES] = {0};
    int64_t x = 0;
    if (in_stride == 1)
        for (; x + GC_LANES <= n; x += GC_LANES)
            for (int l = 0; l < GC_LANES; l++)
                lane[l] += g[x + l] * in[x + l];
    double s = 0.0;
    for (; x < n; x++)
        s += (double)g[x] * in[x * in_stride];
    for (int l = 0; l < GC_LANES; l++)
        s += lane[l];
    return s;
}

static double gc_dot_f64(const double *g, const double *in, int64_t n, int64_t in_stride)
{
    double lane[GC_LANES] = {0};
    int64_t x = 0;
    if (in_stride == 1)
        for (; x + GC_LANES <= n; x += GC_LANES)
            for (int l = 0; l < GC_LANES; l++)
                lane[l] += g[x + l] * in[x + l];
    double s = 0.0;
    for (; x < n; x++)
        s += g[x] * in[x * in_stride];
    for (int l = 0; l < GC_LANES; l++)
        s += lane[l];
    return s;
}

typedef struct {
    const gc_conv2d_problem *p;
    const char *in, *gout;
    double scale;
    char *gw, *gb;
    int64_t gw_s[4], gb_s;
    int do_w; /* 0: the bias only (the GEMM path did the weights) */
} gc_wgrad_arg;

/* sum over x of gout_row[x] * P(in_row)[x*sw + off] for one row pair. */
static double gc_wgrad_row(const gc_conv2d_problem *p, const char *grow, int64_t gstride,
                           const char *irow, int64_t istride, int64_t off)
{
    const size_t esz = gc_dtype_size(p->dtype);
    if (p->pmode == GC_BOUNDARY_FILL && gstride == 1) {
        /* valid x: 0 <= x*sw + off < W */
        int64_t lo = off >= 0 ? 0 : (-off + p->sw - 1) / p->sw;
        int64_t hi = p->W - 1 - off < 0 ? 0 : (p->W - 1 - off) / p->sw + 1;
        if (hi > p->OW)
            hi = p->OW;
        if (hi <= lo)
            return 0.0;
        const char *a = grow + (size_t)lo * esz;
        const char *b = irow + (size_t)((lo * p->sw + off) * istride) * esz;
        return p->dtype == GC_DTYPE_F32
                   ? gc_dot_f32((const float *)a, (const float *)b, hi - lo, p->sw * istride)
                   : gc_dot_f64((const double *)a, (const double *)b, hi - lo, p->sw * istride);
    }
    double s = 0.0;
    for (int64_t x = 0; x < p->OW; x++) {
        const int64_t ix = gc_pad_index(x * p->sw + off, p->W, p->pmode);
        if (ix >= 0)
            s += gc_load(grow, p->dtype, x * gstride) * gc_load(irow, p->dtype, ix * istride);
    }
    return s;
}

static void gc_wgrad_task(int64_t o, int thread, void *argp)
{
    (void)thread;
    const gc_wgrad_arg *w = argp;
    const gc_conv2d_problem *p = w->p;
    const size_t esz = gc_dtype_size(p->dtype);
    const int64_t g = o / p->Og;
    for (int64_t c = 0; c < (w->do_w ? p->Cg : 0); c++)
        for (int64_t a = 0; a < p->KH; a++)
            for (int64_t b = 0; b < p->KW; b++) {
                double acc = 0.0;
                for (int64_t n = 0; n < p->N; n++)
                    for (int64_t y = 0; y < p->OH; y++) {
                        const int64_t iy = gc_pad_index(y * p->sh + a * p->dh - p->pt, p->H, p->pmode);
                        if (iy < 0)
                            continue;
                        const char *grow = w->gout + (size_t)(n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2]) * esz;
                        const char *irow = w->in + (size_t)(n * p->in_s[0] + (g * p->Cg + c) * p->in_s[1] + iy * p->in_s[2]) * esz;
                        acc += gc_wgrad_row(p, grow, p->out_s[3], irow, p->in_s[3], b * p->dw - p->pl);
                    }
                const int64_t off = o * w->gw_s[0] + c * w->gw_s[1] + a * w->gw_s[2] + b * w->gw_s[3];
                gc_store(w->gw, p->dtype, off, gc_load(w->gw, p->dtype, off) + w->scale * acc);
            }
    if (w->gb) {
        double s = 0.0;
        for (int64_t n = 0; n < p->N; n++)
            for (int64_t y = 0; y < p->OH; y++)
                for (int64_t x = 0; x < p->OW; x++)
                    s += gc_load(w->gout, p->dtype, n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2] + x * p->out_s[3]);
        gc_store(w->gb, p->dtype, o * w->gb_s, gc_load(w->gb, p->dtype, o * w->gb_s) + w->scale * s);
    }
}

/* ---- GEMM path ------------------------------------------------------------------------ */

typedef struct gc_wg_plan {
    gc_gram_kernels kern;
    size_t esz;
    int64_t L, NR, KS, KB;  /* panel rows, tile columns, kernel chunk, packed chunk */
    int64_t Wq, K1;         /* row pitch of the shift layout; k per batch item (OH*Wq) */
    int64_t nvh, nvw, nv;   /* distinct row / column residues, variants = nvh * nvw */
    int64_t maxshift, zcols;
    int64_t ntaps;
    int64_t npo, npc;       /* panels of Og / Cg */
    int64_t nob, ncb, njobs;
    int64_t obp, cbp;       /* largest job block, rows (multiple of L) */
    size_t tab_bytes, slot_bytes, acc_off, gp_off, zp_off;
    int nslots;
} gc_wg_plan;

static size_t gc_round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

/* Fill *pl; returns 0 (and pl->nslots = 0) when the fallback loop is the better choice. */
static gc_status gc_wg_plan_make(gc_context *ctx, const gc_conv2d_problem *p, gc_wg_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->kern = gc_gram_kernels_for(gc_context_isa(ctx), p->dtype);
    pl->esz = gc_dtype_size(p->dtype);
    pl->L = pl->kern.L;
    pl->NR = pl->kern.NR;
    pl->KS = pl->kern.KC;
    const int64_t L = pl->L;
    pl->npo = (p->Og + L - 1) / L;
    pl->npc = (p->Cg + L - 1) / L;
    /* panels: rows padded to L (o) and columns to NR (c); below 1/12 useful lanes the
     * dot-product loop wins */
    const int64_t ncol = (p->Cg + pl->NR - 1) / pl->NR * pl->NR;
    if (p->Og * p->Cg * 12 < pl->npo * L * ncol)
        return GC_OK;
    pl->nvh = gc_cv_residues(p->KH, p->dh, p->sh, NULL, NULL);
    pl->nvw = gc_cv_residues(p->KW, p->dw, p->sw, NULL, NULL);
    pl->nv = pl->nvh * pl->nvw;
    pl->ntaps = p->KH * p->KW;
    const int64_t qh = (p->KH - 1) * p->dh / p->sh, qw = (p->KW - 1) * p->dw / p->sw;
    pl->Wq = p->OW + qw;
    if (!gc_mul_ok(p->OH, pl->Wq, &pl->K1) || !gc_mul_ok(qh, pl->Wq, &pl->maxshift) ||
        pl->maxshift > INT64_MAX / 8)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: backward_weight workspace size overflows");
    pl->maxshift += qw;
    int64_t kb = 4 * pl->maxshift;
    if (kb < 2048)
        kb = 2048;
    if (kb > 8192)
        kb = 8192;
    const int64_t kmax = (pl->K1 + pl->KS - 1) / pl->KS * pl->KS;
    pl->KB = (kb + pl->KS - 1) / pl->KS * pl->KS;
    if (pl->KB > kmax)
        pl->KB = kmax;
    pl->zcols = pl->KB + pl->maxshift;
    /* job blocks: up to 96 rows of o (tiles of up to 3 panels) and as many rows of c as keep
     * the job's float64 accumulators (taps x 96 x c rows) within 256 KiB (L2; 32 rows for
     * 3x3, all 256 of a 1x1 layer: each job packs its gout rows once per c block, so
     * fewer c blocks pack less); split further until every thread has a job */
    const int T = gc_context_threads(ctx);
    int64_t cbrows = (256 * 1024) / (pl->ntaps * 96 * 8);
    if (cbrows < 32)
        cbrows = 32;
    int64_t obmax = 96 / L > 0 ? 96 / L : 1, cbmax = cbrows / L > 0 ? cbrows / L : 1;
    pl->nob = (pl->npo + obmax - 1) / obmax;
    pl->ncb = (pl->npc + cbmax - 1) / cbmax;
    while (p->G * pl->nob * pl->ncb < T && (pl->nob < pl->npo || pl->ncb < pl->npc)) {
        if (pl->ncb < pl->npc && (pl->npc + pl->ncb - 1) / pl->ncb >= (pl->npo + pl->nob - 1) / pl->nob)
            pl->ncb++;
        else if (pl->nob < pl->npo)
            pl->nob++;
        else
            pl->ncb++;
    }
    pl->obp = (pl->npo + pl->nob - 1) / pl->nob * L;
    pl->cbp = (pl->npc + pl->ncb - 1) / pl->ncb * L;
    pl->njobs = p->G * pl->nob * pl->ncb;
    pl->nslots = (int64_t)T < pl->njobs ? T : (int)pl->njobs;
    int64_t acc, gp, zp;
    if (!gc_mul_ok(pl->ntaps, pl->obp * pl->cbp + 8, &acc) || !gc_mul_ok(acc, 8, &acc) ||
        !gc_mul_ok(pl->obp * pl->KB, (int64_t)pl->esz, &gp) ||
        !gc_mul_ok(pl->nv * pl->cbp, pl->zcols, &zp) || !gc_mul_ok(zp, (int64_t)pl->esz, &zp) ||
        acc > INT64_MAX / 64 || gp > INT64_MAX / 64 || zp > INT64_MAX / 64)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: backward_weight workspace size overflows");
    pl->tab_bytes = gc_round64((size_t)(2 * pl->ntaps + pl->nvh + pl->nvw + p->KH + p->KW) * sizeof(int64_t));
    pl->acc_off = 0;
    pl->gp_off = gc_round64((size_t)acc);
    pl->zp_off = pl->gp_off + gc_round64((size_t)gp);
    pl->slot_bytes = pl->zp_off + gc_round64((size_t)zp);
    return GC_OK;
}

gc_status gc_conv2d_wgrad_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes)
{
    gc_wg_plan pl;
    gc_status st = gc_wg_plan_make(ctx, p, &pl);
    *bytes = 0;
    if (st != GC_OK || pl.nslots == 0)
        return st;
    if ((size_t)pl.nslots > (SIZE_MAX - pl.tab_bytes) / pl.slot_bytes)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: backward_weight workspace size overflows");
    *bytes = pl.tab_bytes + (size_t)pl.nslots * pl.slot_bytes;
    return GC_OK;
}

typedef struct {
    const gc_conv2d_problem *p;
    const gc_wg_plan *pl;
    const char *in, *gout;
    double scale;
    char *gw;
    int64_t gw_s[4];
    const int64_t *tap_var, *tap_shift, *var_ra, *var_rb;
    char *slots;
} gc_wg_arg;

/* Pack gout rows o0 .. o0+rows-1 (rows <= L) of item n, k in [k0, k0+kc) of the shift layout
 * (k = y*Wq + x; zero at x >= OW) into one panel: dst[(k-k0)*L + r]. */
static void gc_wg_pack_gout(const gc_conv2d_problem *p, const gc_wg_plan *pl, const char *gout,
                            int64_t n, int64_t o0, int64_t rows, int64_t k0, int64_t kc, char *dst)
{
    const int64_t L = pl->L, Wq = pl->Wq;
    const size_t esz = pl->esz;
    for (int64_t k = k0; k < k0 + kc;) {
        const int64_t y = k / Wq, x = k % Wq;
        const int64_t len = Wq - x < k0 + kc - k ? Wq - x : k0 + kc - k;
        const int64_t rl = x >= p->OW ? 0 : (p->OW - x < len ? p->OW - x : len);
        char *d = dst + (size_t)((k - k0) * L) * esz;
        if (rl > 0) {
            const char *s = gout + (size_t)(n * p->out_s[0] + o0 * p->out_s[1] + y * p->out_s[2] +
                                            x * p->out_s[3]) * esz;
            if (p->out_s[3] == 1 && pl->kern.pack)
                pl->kern.pack(rl, rows, s, p->out_s[1], NULL, d);
            else
                gc_cv_pack_rows(rl, rows, s, p->out_s[1], p->out_s[3], L, esz, d);
        }
        if (len > rl)
            memset(d + (size_t)(rl * L) * esz, 0, (size_t)((len - rl) * L) * esz);
        k += len;
    }
}

/* Pack variant (ra, rb) of input channels c0 .. c0+rows-1 (rows <= L) of item n:
 * dst[(j-j0)*L + r] = P(in)[n][c0+r][y*sh + ra - pt][x*sw + rb - pl] for j = y*Wq + x in
 * [j0, j0+len); zero outside the padded input. */
static void gc_wg_pack_z(const gc_conv2d_problem *p, const gc_wg_plan *pl, const char *in,
                         int64_t n, int64_t c0, int64_t rows, int64_t ra, int64_t rb, int64_t j0,
                         int64_t len, char *dst)
{
    const int64_t L = pl->L, Wq = pl->Wq;
    const size_t esz = pl->esz;
    const int64_t cs = p->in_s[1];
    /* x range whose column is a real input pixel: 0 <= x*sw + rb - pl < W */
    const int64_t lo = rb >= p->pl ? 0 : (p->pl - rb + p->sw - 1) / p->sw;
    const int64_t hi = p->W - 1 + p->pl - rb < 0 ? 0 : (p->W - 1 + p->pl - rb) / p->sw + 1;
    for (int64_t j = j0; j < j0 + len;) {
        const int64_t y = j / Wq, x0 = j % Wq;
        const int64_t seg = Wq - x0 < j0 + len - j ? Wq - x0 : j0 + len - j;
        char *d = dst + (size_t)((j - j0) * L) * esz;
        const int64_t Y = y * p->sh + ra - p->pt;
        const int64_t iy = Y >= -p->pt && Y < p->H + p->pb ? gc_pad_index(Y, p->H, p->pmode) : -1;
        if (iy < 0) {
            memset(d, 0, (size_t)(seg * L) * esz);
            j += seg;
            continue;
        }
        const char *row = in + (size_t)(n * p->in_s[0] + c0 * cs + iy * p->in_s[2]) * esz;
        const int64_t xa = lo > x0 ? (lo < x0 + seg ? lo : x0 + seg) : x0;
        const int64_t xb = hi < x0 + seg ? (hi > xa ? hi : xa) : x0 + seg;
        for (int64_t x = x0; x < x0 + seg; x++) {
            if (x == xa && xb > xa) { /* the interior run */
                const int64_t X = x * p->sw + rb - p->pl;
                const char *s = row + (size_t)(X * p->in_s[3]) * esz;
                char *dd = d + (size_t)((x - x0) * L) * esz;
                if (p->sw * p->in_s[3] == 1 && pl->kern.pack)
                    pl->kern.pack(xb - xa, rows, s, cs, NULL, dd);
                else
                    gc_cv_pack_rows(xb - xa, rows, s, cs, p->sw * p->in_s[3], L, esz, dd);
                x = xb - 1;
                continue;
            }
            const int64_t X = x * p->sw + rb - p->pl;
            const int64_t ix = X >= -p->pl && X < p->W + p->pr ? gc_pad_index(X, p->W, p->pmode) : -1;
            gc_cv_pack_col(rows, ix < 0 ? NULL : row + (size_t)(ix * p->in_s[3]) * esz, cs, L, esz,
                           d + (size_t)((x - x0) * L) * esz);
        }
        j += seg;
    }
}

/* One job: group g, output-channel panels [po0, po1), input-channel panels [pc0, pc1).
 * Shape: for every tap t, acc_t (cb x ob, column-major, ld = obp) = sum over items and k of
 * gout_panel (ob x K) * Z_shifted (K x cb), then gw += scale * acc_t. */
static void gc_wg_task(int64_t job, int thread, void *argp)
{
    const gc_wg_arg *w = argp;
    const gc_conv2d_problem *p = w->p;
    const gc_wg_plan *pl = w->pl;
    const int64_t L = pl->L, NR = pl->NR, KB = pl->KB, obp = pl->obp, cbp = pl->cbp;
    const size_t esz = pl->esz;
    const int64_t g = job / (pl->nob * pl->ncb), ib = job / pl->ncb % pl->nob, jb = job % pl->ncb;
    const int64_t po0 = ib * pl->npo / pl->nob, po1 = (ib + 1) * pl->npo / pl->nob;
    const int64_t pc0 = jb * pl->npc / pl->ncb, pc1 = (jb + 1) * pl->npc / pl->ncb;
    const int64_t o0 = po0 * L, orows = (po1 * L < p->Og ? po1 * L : p->Og) - o0;
    const int64_t c0 = pc0 * L, crows = (pc1 * L < p->Cg ? pc1 * L : p->Cg) - c0;
    const int64_t npo = po1 - po0, npc = pc1 - pc0, ncolb = (crows + NR - 1) / NR;
    char *slot = w->slots + (size_t)thread * pl->slot_bytes;
    double *acc = (double *)(slot + pl->acc_off);
    char *gp = slot + pl->gp_off, *zp = slot + pl->zp_off;
    /* one cache line between taps: 9 taps of 96 x 32 doubles (24 KiB each) would otherwise
     * share one L1 set */
    const size_t tap_acc = (size_t)(obp * cbp + 8);
    memset(acc, 0, (size_t)pl->ntaps * tap_acc * sizeof(double));
    const int64_t ngroups = (npo + GC_SYRK_VMAX - 1) / GC_SYRK_VMAX;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t k0 = 0; k0 < pl->K1; k0 += KB) {
            const int64_t kc = KB < pl->K1 - k0 ? KB : pl->K1 - k0;
            for (int64_t pi = 0; pi < npo; pi++) {
                const int64_t r0 = pi * L, rows = orows - r0 < L ? orows - r0 : L;
                gc_wg_pack_gout(p, pl, w->gout, n, g * p->Og + o0 + r0, rows, k0, kc,
                                gp + (size_t)(pi * KB * L) * esz);
            }
            for (int64_t vi = 0; vi < pl->nv; vi++)
                for (int64_t pc = 0; pc < npc; pc++) {
                    const int64_t r0 = pc * L, rows = crows - r0 < L ? crows - r0 : L;
                    gc_wg_pack_z(p, pl, w->in, n, g * p->Cg + c0 + r0, rows, w->var_ra[vi / pl->nvw],
                                 w->var_rb[vi % pl->nvw], k0, kc + pl->maxshift,
                                 zp + (size_t)((vi * npc + pc) * pl->zcols * L) * esz);
                }
            for (int64_t s0 = 0; s0 < kc; s0 += pl->KS) {
                const int64_t ks = pl->KS < kc - s0 ? pl->KS : kc - s0;
                for (int64_t gi = 0; gi < ngroups; gi++) {
                    const int64_t q0 = gi * npo / ngroups, q1 = (gi + 1) * npo / ngroups;
                    const char *a = gp + (size_t)((q0 * KB + s0) * L) * esz;
                    for (int64_t t = 0; t < pl->ntaps; t++) {
                        const int64_t vi = w->tap_var[t], shift = w->tap_shift[t];
                        double *at = acc + (size_t)t * tap_acc + q0 * L;
                        for (int64_t cb = 0; cb < ncolb; cb++) {
                            const int64_t col = cb * NR, pc = col / L;
                            const char *b = zp + (size_t)(((vi * npc + pc) * pl->zcols + s0 + shift) * L +
                                                          col % L) * esz;
                            pl->kern.syrk(ks, (int)(q1 - q0), a, KB * L, b, at + col * obp, obp);
                        }
                    }
                }
            }
        }
    /* gw += scale * acc, walking gw in memory order (o, c, taps): the acc lines of 8
     * consecutive o stay in L1 across them */
    for (int64_t r = 0; r < orows; r++)
        for (int64_t c = 0; c < crows; c++) {
            const int64_t base = (g * p->Og + o0 + r) * w->gw_s[0] + (c0 + c) * w->gw_s[1];
            const double *ac = acc + c * obp + r;
            for (int64_t ta = 0; ta < p->KH; ta++)
                for (int64_t tb = 0; tb < p->KW; tb++, ac += tap_acc) {
                    const int64_t off = base + ta * w->gw_s[2] + tb * w->gw_s[3];
                    if (p->dtype == GC_DTYPE_F32)
                        ((float *)w->gw)[off] = (float)((double)((float *)w->gw)[off] + w->scale * *ac);
                    else
                        ((double *)w->gw)[off] += w->scale * *ac;
                }
        }
}

gc_status gc_conv2d_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                          const void *gout, double scale, void *gw, const int64_t gw_s[4],
                          void *gb, int64_t gb_s, void *ws, size_t ws_bytes)
{
    gc_wg_plan pl;
    gc_status st = gc_wg_plan_make(ctx, p, &pl);
    if (st != GC_OK)
        return st;
    const size_t need = pl.nslots ? pl.tab_bytes + (size_t)pl.nslots * pl.slot_bytes : 0;
    if (ws_bytes < need || (!ws && need > 0))
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace of %zu bytes is too small (needs %zu; "
                       "ask gc_conv2d_workspace_size)", ws_bytes, need);
    if ((uintptr_t)ws & 63)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace must be 64-byte aligned");
    gc_wgrad_arg w = {.p = p, .in = in, .gout = gout, .scale = scale, .gw = gw, .gb = gb, .gb_s = gb_s,
                      .do_w = pl.nslots == 0};
    for (int i = 0; i < 4; i++)
        w.gw_s[i] = gw_s[i];
    if (pl.nslots > 0) {
        int64_t *tab = ws;
        int64_t *tap_var = tab, *tap_shift = tab + pl.ntaps, *var_ra = tab + 2 * pl.ntaps,
                *var_rb = var_ra + pl.nvh, *ih = var_rb + pl.nvw, *iw = ih + p->KH;
        gc_cv_residues(p->KH, p->dh, p->sh, ih, var_ra);
        gc_cv_residues(p->KW, p->dw, p->sw, iw, var_rb);
        for (int64_t t = 0; t < pl.ntaps; t++) {
            const int64_t ta = t / p->KW, tb = t % p->KW;
            tap_var[t] = ih[ta] * pl.nvw + iw[tb];
            tap_shift[t] = (ta * p->dh / p->sh) * pl.Wq + tb * p->dw / p->sw;
        }
        gc_wg_arg a = {.p = p, .pl = &pl, .in = in, .gout = gout, .scale = scale, .gw = gw,
                       .tap_var = tap_var, .tap_shift = tap_shift, .var_ra = var_ra,
                       .var_rb = var_rb, .slots = (char *)ws + pl.tab_bytes};
        for (int i = 0; i < 4; i++)
            a.gw_s[i] = gw_s[i];
        st = gc_parallel_for(ctx, pl.nslots, pl.njobs, gc_wg_task, &a);
        if (st != GC_OK || !gb)
            return st;
    }
    return gc_parallel_for(ctx, gc_context_threads(ctx), p->O, gc_wgrad_task, &w);
}
