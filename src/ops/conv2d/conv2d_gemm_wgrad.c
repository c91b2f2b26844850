/* conv2d_gemm_wgrad.c - SpatialConvolution accGradParameters at stride 1 on the shift-GEMM
 * tile kernel (conv2d_gemm.h):
 *   gw[o][c][a][b] += scale * sum_{n,k} G[o][n*zlen + k] * ZT[n*zlen + k + shift_ab][c]
 *   gb[o]          += scale * sum_{n,y,x} gout[n][o][y][x]
 * with the layout of conv2d_gemm.c: k = y*Wq + x over the row-pitched padded plane, shift_ab
 * = a*dh*Wq + b*dw. G is grad_output packed with pitch Wq (zero at junk columns x >= OW and
 * past the last row), the items one after another every zlen positions; ZT is the padded
 * input transposed to pixel-major rows of all channels, ZT[n*zlen + j][c] = Z_n[c][j], so
 * a tap is again a shifted view (of rows). For each tap, a GEMM over k: the tile kernel's
 * rows are output channels (broadcasts of G, stepping k), its vectors input channels (rows
 * of ZT), with the 1x1 form (one tap per call, the shift folded into the pointer).
 * Sums: per (o, c, tap) float-typed kernel sums over chunks of GC_WG_KC positions, chunk
 * sums added in float64 in chunk order, then gw = gw + scale * total: every entry summed in
 * one fixed order whatever the threads. Jobs: (group, block of TW input channels, block of
 * output channels), c outer so a job's ZT columns stay in L2 across its output channels.
 * (As in conv2d_wgrad.c: zero G entries meet real input values, so an Inf/NaN in the input
 * can reach gw entries a plain loop would leave finite.) */
#include "ops/conv2d/conv2d_gemm.h"

#include <string.h>

#define GC_WG_KC 4096 /* positions per float-typed kernel sum */

typedef struct gc_gw_plan {
    gc_cg_kernels kern;
    size_t esz;
    int64_t Wq, zlen, kz, kend, maxshift, cp, ntaps;
    int64_t TW, nct, OB, nob, njobs;
    size_t tab_bytes, g_bytes, zt_bytes, slot_bytes;
    int nthreads;
} gc_gw_plan;

static size_t gc_gw_round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

static gc_status gc_gw_plan_make(gc_context *ctx, const gc_conv2d_problem *p, gc_gw_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    if (p->sh != 1 || p->sw != 1)
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: the gemm algorithm needs stride 1");
    pl->kern = gc_cg_kernels_for(gc_context_isa(ctx), p->dtype);
    pl->esz = gc_dtype_size(p->dtype);
    pl->ntaps = p->KH * p->KW;
    const int64_t wfull = p->OW + (p->KW - 1) * p->dw, hz = p->OH + (p->KH - 1) * p->dh;
    pl->Wq = wfull;
    if (p->pmode == GC_BOUNDARY_FILL && p->pl >= 0 && p->pr >= 0) {
        const int64_t m = p->pl < p->pr ? p->pl : p->pr;
        pl->Wq = wfull - m < p->OW ? p->OW : wfull - m;
    }
    int64_t zl, g, zt;
    if (!gc_mul_ok(hz - 1, pl->Wq, &zl) || zl > INT64_MAX / 16 || !gc_mul_ok(p->dh * (p->KH - 1), pl->Wq, &pl->maxshift))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: gemm workspace size overflows");
    pl->zlen = zl + wfull;
    pl->kend = (p->OH - 1) * pl->Wq + p->OW;
    pl->maxshift += (p->KW - 1) * p->dw;
    pl->cp = (p->C + 15) / 16 * 16;
    if (!gc_mul_ok(p->N, pl->zlen, &pl->kz) || pl->kz > INT64_MAX / 16 ||
        !gc_mul_ok(p->O, pl->kz, &g) || !gc_mul_ok(g, (int64_t)pl->esz, &g) ||
        !gc_mul_ok(pl->kz + pl->maxshift, pl->cp, &zt) || !gc_mul_ok(zt, (int64_t)pl->esz, &zt) ||
        g > INT64_MAX / 64 || zt > INT64_MAX / 64)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: gemm workspace size overflows");
    pl->TW = (int64_t)pl->kern.NV * pl->kern.W;
    pl->nct = (p->Cg + pl->TW - 1) / pl->TW;
    pl->nthreads = gc_context_threads(ctx);
    const int64_t MR = pl->kern.MR, nmt = (p->Og + MR - 1) / MR;
    pl->nob = 1;
    while (pl->nob < nmt && p->G * pl->nct * pl->nob < 4 * (int64_t)pl->nthreads)
        pl->nob++;
    pl->OB = (nmt + pl->nob - 1) / pl->nob * MR;
    pl->nob = (p->Og + pl->OB - 1) / pl->OB;
    pl->njobs = p->G * pl->nct * pl->nob;
    pl->tab_bytes = gc_gw_round64(2 * sizeof(int64_t));
    pl->g_bytes = gc_gw_round64((size_t)g);
    pl->zt_bytes = gc_gw_round64((size_t)zt);
    /* per thread: a kernel tile (MR x TW, dtype) and its float64 chunk sums */
    pl->slot_bytes = gc_gw_round64((size_t)(MR * pl->TW) * pl->esz) + gc_gw_round64((size_t)(MR * pl->TW) * sizeof(double)) +
                     gc_gw_round64((size_t)(MR * pl->TW * pl->ntaps) * sizeof(float));
    return GC_OK;
}

static size_t gc_gw_bytes(const gc_gw_plan *pl)
{
    return pl->tab_bytes + pl->g_bytes + pl->zt_bytes + (size_t)pl->nthreads * pl->slot_bytes;
}

gc_status gc_conv2d_gemm_wgrad_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes)
{
    gc_gw_plan pl;
    *bytes = 0;
    gc_status st = gc_gw_plan_make(ctx, p, &pl);
    if (st == GC_OK)
        *bytes = gc_gw_bytes(&pl);
    return st;
}

/* AUTO's rule for backward_weight (measured like conv2d_gemm.c's, thread CPU time, float32
 * AVX-512, this path vs conv2d_wgrad.c's panel GEMM in GFLOP/s): 512->512 3x3 @28 98 vs 91,
 * @14 80 vs 70, 256->256 1x1 @56 85 vs 71, 256->256 3x3 @56 102 vs 97, 64->64 5x5 @56 105
 * vs 98, but 128->128 3x3 @112 95 vs 100 (long reductions favour the panel kernel). So:
 * output planes of at most 64 x 64 pixels or 1x1 kernels, channels per group that fill the
 * kernel's vectors and rows (Cg >= TW/2, Og >= MR), AVX2 / AVX-512, and a workspace of at
 * most 64 MiB (it holds the whole batch; the panel path needs only per-thread slots).
 * Where the FMAs outrun L2 (gc_cpu_fma_outruns_l2: two 512-bit FMA pipes, a 48 KiB L1D)
 * this path's kernel stalls once its operands leave L2: on an AVX-512 Xeon (2 MiB L2),
 * 1 thread, gemm / panel time: 256->256 3x3 @56 2.4, 1x1 @56 2.3, 128->128 @56 1.21,
 * 512->512 3x3 @28 1.20 (workspace 3.5-7 MiB), but 256->256 @28 0.85, 512->512 @14 0.78,
 * 4 x 256 @14 0.91, 64->64 @56 0.93 (1.8-2.4 MiB). So there the workspace must also stay
 * under 3 MiB. */
int gc_conv2d_gemm_wgrad_preferred(const gc_conv2d_problem *p, gc_isa isa)
{
    if (p->sh != 1 || p->sw != 1 || (isa != GC_ISA_AVX2 && isa != GC_ISA_AVX512))
        return 0;
    const gc_cg_kernels k = gc_cg_kernels_for(isa, p->dtype);
    if (p->Cg * 2 < (int64_t)k.NV * k.W || p->Og < k.MR)
        return 0;
    const double ws = (double)p->N * (double)(p->OH + p->KH + 1) * (double)(p->OW + p->KW) *
                      (double)(p->O + p->C) * (double)gc_dtype_size(p->dtype);
    if (ws > 64.0 * 1024 * 1024 || (gc_cpu_fma_outruns_l2() && ws > 3.0 * 1024 * 1024))
        return 0;
    return p->OH * p->OW <= 64 * 64 || p->KH * p->KW == 1;
}

typedef struct {
    const gc_conv2d_problem *p;
    const gc_gw_plan *pl;
    const char *in, *gout;
    double scale;
    char *gw, *gb;
    int64_t gw_s[4], gb_s;
    const int64_t *zsh, *wsh;
    char *g, *zt, *slots;
} gc_gw_arg;

/* Task: output channel o: G[o][n*zlen + y*Wq + x] = gout[n][o][y][x] (0 elsewhere), and the
 * bias gradient gb[o] += scale * (float64 sum of the channel, items, rows, columns in order). */
static void gc_gw_pack_g_task(int64_t o, int thread, void *argp)
{
    (void)thread;
    const gc_gw_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_gw_plan *pl = A->pl;
    const size_t esz = pl->esz;
    char *d = A->g + (size_t)(o * pl->kz) * esz;
    memset(d, 0, (size_t)pl->kz * esz);
    double s = 0.0;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t y = 0; y < p->OH; y++) {
            const int64_t src = n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2];
            char *row = d + (size_t)(n * pl->zlen + y * pl->Wq) * esz;
            if (p->out_s[3] == 1)
                memcpy(row, A->gout + (size_t)src * esz, (size_t)p->OW * esz);
            else
                for (int64_t x = 0; x < p->OW; x++)
                    memcpy(row + (size_t)x * esz, A->gout + (size_t)(src + x * p->out_s[3]) * esz, esz);
            if (A->gb)
                for (int64_t x = 0; x < p->OW; x++)
                    s += gc_load(row, p->dtype, x);
        }
    if (A->gb)
        gc_store(A->gb, p->dtype, o * A->gb_s, gc_load(A->gb, p->dtype, o * A->gb_s) + A->scale * s);
}

/* Task: Z row y (positions j = y*Wq + x, x < Wq, j < zlen) of item n, all channels, into ZT
 * rows n*zlen + j: ZT[..][c] = P(in)[n][c][y*dh.. - pt][x - pl] (stride 1), 0 outside. */
static void gc_gw_pack_zt_task(int64_t job, int thread, void *argp)
{
    (void)thread;
    const gc_gw_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_gw_plan *pl = A->pl;
    const size_t esz = pl->esz;
    const int64_t nrows = (pl->zlen + pl->Wq - 1) / pl->Wq;
    const int64_t n = job / nrows, y = job % nrows;
    const int64_t j0 = y * pl->Wq, len = pl->zlen - j0 < pl->Wq ? pl->zlen - j0 : pl->Wq;
    char *d = A->zt + (size_t)((n * pl->zlen + j0) * pl->cp) * esz;
    memset(d, 0, (size_t)(len * pl->cp) * esz);
    const int64_t Y = y - p->pt;
    const int64_t iy = Y >= -p->pt && Y < p->H + p->pb ? gc_pad_index(Y, p->H, p->pmode) : -1;
    if (iy < 0)
        return;
    if (p->pmode == GC_BOUNDARY_FILL && p->in_s[3] == 1) {
        /* columns with a source pixel: 0 <= x - pl < W; 16 channels at a time, so each
         * destination row segment is written whole */
        const int64_t xa = p->pl > 0 ? (p->pl < len ? p->pl : len) : 0;
        const int64_t xb = p->pl + p->W < len ? (p->pl + p->W > xa ? p->pl + p->W : xa) : len;
        for (int64_t c0 = 0; c0 < p->C; c0 += 16) {
            const int64_t cn = p->C - c0 < 16 ? p->C - c0 : 16;
            const int64_t base = n * p->in_s[0] + c0 * p->in_s[1] + iy * p->in_s[2] - p->pl;
            if (p->dtype == GC_DTYPE_F32) {
                const float *s0 = (const float *)A->in + base;
                float *dd = (float *)d + c0;
                for (int64_t x = xa; x < xb; x++)
                    for (int64_t c = 0; c < cn; c++)
                        dd[x * pl->cp + c] = s0[c * p->in_s[1] + x];
            } else {
                const double *s0 = (const double *)A->in + base;
                double *dd = (double *)d + c0;
                for (int64_t x = xa; x < xb; x++)
                    for (int64_t c = 0; c < cn; c++)
                        dd[x * pl->cp + c] = s0[c * p->in_s[1] + x];
            }
        }
        return;
    }
    for (int64_t c = 0; c < p->C; c++) {
        const int64_t base = n * p->in_s[0] + c * p->in_s[1] + iy * p->in_s[2];
        for (int64_t x = 0; x < len; x++) {
            const int64_t X = x - p->pl;
            const int64_t ix = X >= -p->pl && X < p->W + p->pr ? gc_pad_index(X, p->W, p->pmode) : -1;
            if (ix >= 0) {
                if (p->dtype == GC_DTYPE_F32)
                    ((float *)d)[x * pl->cp + c] = ((const float *)A->in)[base + ix * p->in_s[3]];
                else
                    ((double *)d)[x * pl->cp + c] = ((const double *)A->in)[base + ix * p->in_s[3]];
            }
        }
    }
}

/* Task (g, c tile, o block): gw[g*Og + o][ct*TW + col][tap] for the block's o, col < TW. */
static void gc_gw_task(int64_t job, int thread, void *argp)
{
    const gc_gw_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_gw_plan *pl = A->pl;
    const size_t esz = pl->esz;
    const int64_t MR = pl->kern.MR, W = pl->kern.W, TW = pl->TW;
    const int64_t g = job / (pl->nct * pl->nob), ct = job / pl->nob % pl->nct, ob = job % pl->nob;
    const int64_t c0 = ct * TW, nc = p->Cg - c0 < TW ? p->Cg - c0 : TW;
    const int nv = (int)((nc + W - 1) / W), last = (int)(nc - (nv - 1) * W);
    const int64_t o_end = (ob + 1) * pl->OB < p->Og ? (ob + 1) * pl->OB : p->Og;
    char *tile = A->slots + (size_t)thread * pl->slot_bytes;
    double *sum = (double *)(tile + gc_gw_round64((size_t)(MR * TW) * esz));
    float *buf = (float *)(tile + gc_gw_round64((size_t)(MR * TW) * esz) + gc_gw_round64((size_t)(MR * TW) * sizeof(double)));
    const int dense = p->dtype == GC_DTYPE_F32 && p->N == 1 && pl->kend <= GC_WG_KC && A->gw_s[3] == 1 &&
                      A->gw_s[2] == p->KW && A->gw_s[1] == pl->ntaps;
    gc_cg_call call = {.ntaps = 1, .zs = pl->cp, .zsh = A->zsh, .wr = pl->kz, .wc = 1, .wsh = A->wsh,
                       .nv = nv, .last = last, .out = tile, .ors = TW, .regular = 1, .kh = 1, .kw = 1};
    for (int64_t o0 = ob * pl->OB; o0 < o_end; o0 += MR) {
        const int rows = (int)(o_end - o0 < MR ? o_end - o0 : MR);
        call.rows = rows;
        for (int64_t t = 0; t < pl->ntaps; t++) {
            const int64_t ta = t / p->KW, tb = t % p->KW;
            const int64_t shift = ta * p->dh * pl->Wq + tb * p->dw;
            /* chunks: each item's positions [0, kend) (G is zero past them) in pieces of at
             * most GC_WG_KC */
            const int one = p->N == 1 && pl->kend <= GC_WG_KC;
            if (!one)
                memset(sum, 0, (size_t)(MR * TW) * sizeof(double));
            for (int64_t n = 0; n < p->N; n++)
                for (int64_t k0 = n * pl->zlen; k0 < n * pl->zlen + pl->kend; k0 += GC_WG_KC) {
                    const int64_t k1 = n * pl->zlen + pl->kend;
                    call.nred = k1 - k0 < GC_WG_KC ? k1 - k0 : GC_WG_KC;
                    call.z = A->zt + (size_t)((k0 + shift) * pl->cp + g * p->Cg + c0) * esz;
                    call.w = A->g + (size_t)((g * p->Og + o0) * pl->kz + k0) * esz;
                    pl->kern.tile(&call);
                    if (one)
                        break;
                    for (int r = 0; r < rows; r++)
                        for (int64_t c = 0; c < nc; c++)
                            sum[r * TW + c] += p->dtype == GC_DTYPE_F32 ? (double)((const float *)tile)[r * TW + c]
                                                                         : ((const double *)tile)[r * TW + c];
                }
            if (dense) { /* gather the taps: buf[r][c*ntaps + t], written to gw below */
                for (int r = 0; r < rows; r++)
                    for (int64_t c = 0; c < nc; c++)
                        buf[(r * TW + c) * pl->ntaps + t] = ((const float *)tile)[r * TW + c];
                continue;
            }
            for (int r = 0; r < rows; r++) {
                const int64_t base = (g * p->Og + o0 + r) * A->gw_s[0] + c0 * A->gw_s[1] + ta * A->gw_s[2] + tb * A->gw_s[3];
                for (int64_t c = 0; c < nc; c++) {
                    const int64_t off = base + c * A->gw_s[1];
                    const double v = one ? (p->dtype == GC_DTYPE_F32 ? (double)((const float *)tile)[r * TW + c]
                                                                     : ((const double *)tile)[r * TW + c])
                                         : sum[r * TW + c];
                    if (p->dtype == GC_DTYPE_F32)
                        ((float *)A->gw)[off] = (float)((double)((float *)A->gw)[off] + A->scale * v);
                    else
                        ((double *)A->gw)[off] += A->scale * v;
                }
            }
        }
        /* dense float32 gw, one chunk: row r's entries for channels c0.. and all taps are
         * nc*ntaps consecutive floats */
        for (int r = 0; dense && r < rows; r++) {
            float *gr = (float *)A->gw + (g * p->Og + o0 + r) * A->gw_s[0] + c0 * A->gw_s[1];
            const float *br = buf + (size_t)(r * TW) * pl->ntaps;
            for (int64_t j = 0; j < nc * pl->ntaps; j++)
                gr[j] = (float)((double)gr[j] + A->scale * (double)br[j]);
        }
    }
}

gc_status gc_conv2d_gemm_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                               const void *gout, double scale, void *gw, const int64_t gw_s[4],
                               void *gb, int64_t gb_s, void *ws, size_t ws_bytes)
{
    gc_gw_plan pl;
    gc_status st = gc_gw_plan_make(ctx, p, &pl);
    if (st != GC_OK)
        return st;
    const size_t need = gc_gw_bytes(&pl);
    if (ws_bytes < need || !ws)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace of %zu bytes is too small (needs %zu; "
                       "ask gc_conv2d_workspace_size)", ws_bytes, need);
    if ((uintptr_t)ws & 63)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace must be 64-byte aligned");
    gc_gw_arg A;
    memset(&A, 0, sizeof A);
    A.p = p, A.pl = &pl, A.in = in, A.gout = gout, A.scale = scale, A.gw = gw, A.gb = gb, A.gb_s = gb_s;
    memcpy(A.gw_s, gw_s, sizeof A.gw_s);
    int64_t *tab = ws;
    tab[0] = tab[1] = 0; /* one tap per call: zsh = wsh = {0} */
    A.zsh = tab, A.wsh = tab + 1;
    A.g = (char *)ws + pl.tab_bytes;
    A.zt = A.g + pl.g_bytes;
    A.slots = A.zt + pl.zt_bytes;
    /* the rows past the last item (read by shifted windows, met by zero G entries) */
    memset(A.zt + (size_t)(pl.kz * pl.cp) * pl.esz, 0, (size_t)(pl.maxshift * pl.cp) * pl.esz);
    const int T = pl.nthreads;
    st = gc_parallel_for(ctx, T, p->O, gc_gw_pack_g_task, &A);
    if (st == GC_OK)
        st = gc_parallel_for(ctx, T, p->N * ((pl.zlen + pl.Wq - 1) / pl.Wq), gc_gw_pack_zt_task, &A);
    if (st == GC_OK)
        st = gc_parallel_for(ctx, T, pl.njobs, gc_gw_task, &A);
    return st;
}
