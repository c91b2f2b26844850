/* conv2d_winograd.c - SpatialConvolution forward by Winograd F(4x4, 3x3) for 3 x 3 kernels
 * and F(2x2, 5x5) for 5 x 5 kernels, stride 1, dilation 1 (any padding mode, groups, batch;
 * float32 and float64). Both use 6 x 6 transforms on the same points (one B^T): only the
 * weight and output transforms and the tile size mt (4 or 2) differ.
 *
 * The output of each item is cut into mt x mt tiles (ty, tx), ntx = ceil(OW / mt) per row,
 * the edge tiles clipped. Tile (ty, tx) reads the 6 x 6 window at (mt ty, mt tx) of the
 * padded input, and with U = G g G^T (weights) and V = B^T d B (input) its 36 transform
 * positions xi are 36 independent products
 *   M_xi[t][o] = sum_c V_xi[c][t] U_xi[c][o]          (one GEMM per xi: tiles x Cg x Og)
 * after which out[o][mt ty + i][mt tx + j] = bias[o] + (A^T M[t][o] A)[i][j].
 * Matrices and transform kernels: conv2d_winograd_body.h (compiled per ISA).
 *
 * Per group g: the weights are transformed once into U[xi][ob][c][GW] (GW-wide panels of
 * output channels, the Gram GEMM kernel's b operand, gram.h); per item the padded input is
 * packed once into P[c][Hp][Wp] (Hp = mt nty + r - 1, Wp = mt ntx + r - 1, zeros past the
 * padding);
 * then per band of BT tiles (sized so V and M stay near the cache; several bands run in
 * parallel, one per thread, each in its own V + M; one band runs its steps in parallel):
 *   1. V[xi][tb][c][8] for the band's 8-tile blocks tb   (input transform, task: block;
 *      V and M planes are padded by 32 elements so that they do not alias in the caches);
 *   2. M[xi][ob][t][GW] = the GEMM tile kernel over c with s = V (lds 8, rows = tiles) and
 *      b = U's panel (task: xi, chunk of 64 tiles, ob: the chunk's V stays in cache over ob);
 *   3. output transform + bias, clipped (task: tile).
 * When one band holds the item ("fused"), U is made one GW block at a time right before its
 * GEMMs. Each block is one thread's task (several threads: whole blocks each, a U slot
 * each), made GC_WINO_CB input channels at a time so U stays in L2, the GEMMs of each
 * chunk added into M (only one thread and one GW block: the block's transform and GEMMs
 * run in parallel steps instead). At 14 x 14 (16 tiles) the weight transform is about a
 * third of the time: weights are read with the kernel set's transpose-pack.
 * Every output element is written by one task from sums in a fixed order: results do not
 * depend on the thread count.
 *
 * Error: the transforms amplify rounding (coefficients up to 8 and 1/24); measured max
 * |y - ref| / max |ref| in float32 in docs/PERFORMANCE.md and tests/test_conv2d_winograd.c. */
#include "ops/conv2d/conv2d_winograd.h"
#include "ops/gram/gram.h"

#include <stddef.h>
#include <string.h>

enum { GC_WINO_XI = 36, GC_WINO_NL = 8, GC_WINO_CHUNK = 64, GC_WINO_BUDGET_MIB = 4, GC_WINO_CB = 64 };

typedef struct gc_wino_plan {
    gc_gram_kernels kern;
    gc_wino_wt_fn wt;
    gc_wino_in_fn tin;
    gc_wino_out_fn tout;
    size_t esz;
    int64_t GR, GW, nb;        /* GEMM tile, GW-wide blocks of Og */
    int64_t KL;                /* weight-transform column block: the kernel set's L when it
                                  divides GW and the set has a transpose-pack, else GW */
    gc_pack_fn pack;           /* that transpose-pack, or NULL */
    int64_t mt, r, rr;         /* F(mt x mt, r x r): tile 4 and r 3, or tile 2 and r 5; r*r */
    int64_t ntx, nty, T;       /* tiles per row, rows of tiles, tiles per item */
    int64_t Hp, Wp;            /* packed plane */
    int64_t BT, BTc;           /* tiles per band; capacity of a band's V and M (BT rounded up
                                  to 8) */
    int64_t vxs, mxs;          /* elements between transform positions in V and M: the plane
                                  plus 32 (planes a multiple of 4 KiB apart alias in caches) */
    int fused;                 /* one band per item: U made per item one GW block at a time */
    int64_t unb;               /* GW blocks U holds (nb, or 1 when fused) */
    int chunked;               /* fused, each GW block run by one thread (one thread, or
                                  several blocks): U made GC_WINO_CB input channels at a
                                  time, the GEMMs accumulating over the chunks */
    int64_t uxs;               /* chunked: elements between transform positions in U (a
                                  chunk's GC_WINO_CB x GW, plus 16 against cache aliasing) */
    size_t u_bytes, p_bytes, v_bytes, m_bytes;
    int nthreads;
    int64_t uslots;            /* U buffers: one, or one per thread when chunked with several
                                  threads (each thread owns whole GW blocks) */
    int64_t nslots;            /* V + M buffers: one, or one per thread when the bands of an
                                  item run in parallel (not fused, more than one band) */
} gc_wino_plan;

static void gc_wino_bwd_problem(const gc_conv2d_problem *p, gc_conv2d_problem *q);

int gc_conv2d_winograd_ok(const gc_conv2d_problem *p)
{
    return (p->KH == 3 || p->KH == 5) && p->KW == p->KH && p->sh == 1 && p->sw == 1 && p->dh == 1 &&
           p->dw == 1;
}

int gc_conv2d_winograd_bwd_ok(const gc_conv2d_problem *p)
{
    const int64_t r1 = p->KH - 1;
    return gc_conv2d_winograd_ok(p) && p->pmode == GC_BOUNDARY_FILL && p->G == 1 && p->pt <= r1 &&
           p->pb <= r1 && p->pl <= r1 && p->pr <= r1;
}

/* backward_input of an r x r (3 or 5) stride-1 convolution (zeros padding, one group, pads
 * <= r - 1) as a forward one: gin[c][y][x] = sum_o sum_{a,b} gout[o][y + pt - a][x + pl - b]
 * w[o][c][a][b] is the correlation of gout, padded by r - 1 - pad on each side, with
 * w'[c][o][a][b] = w[o][c][r-1 - a][r-1 - b] (a view of w: channel strides swapped, tap
 * strides negated, from element (r - 1)(w_s[2] + w_s[3])). */
static void gc_wino_bwd_problem(const gc_conv2d_problem *p, gc_conv2d_problem *q)
{
    *q = *p;
    q->C = q->Cg = p->O;
    q->O = q->Og = p->C;
    q->H = p->OH, q->W = p->OW, q->OH = p->H, q->OW = p->W;
    const int64_t r1 = p->KH - 1;
    q->pt = r1 - p->pt, q->pb = r1 - p->pb, q->pl = r1 - p->pl, q->pr = r1 - p->pr;
    for (int i = 0; i < 4; i++)
        q->in_s[i] = p->out_s[i], q->out_s[i] = p->in_s[i];
    q->w_s[0] = p->w_s[1], q->w_s[1] = p->w_s[0], q->w_s[2] = -p->w_s[2], q->w_s[3] = -p->w_s[3];
    q->b_s = 0;
}

/* AUTO's rule. Measured by thread CPU time against the direct / GEMM paths (AVX-512 and
 * AVX2, 2026-11-28, docs/PERFORMANCE.md): Winograd wins 1.6x-2.2x on the VGG layers with 64
 * to 512 channels and >= 28 x 28 outputs, 1.15x at 32 -> 32 channels, and loses where the
 * transforms are not paid back by the GEMMs: 3 or 16 input channels (0.6x, 0.5x), 16 output
 * channels (the GEMM tile is 48 channels wide: 0.6x), and fewer than 16 tiles (10 x 10:
 * 0.75x-0.9x; 7 x 7: 0.5x-0.75x: the 36 Cg Og weight transform outweighs the GEMMs). With
 * the weight transform chunked and packed (2026-11-28), 4 x 4 = 16 tiles (14 x
 * 14 outputs) wins 1.07x (32 channels) to 1.6x-2x (128 to 512 channels). The error
 * (max |y - ref| / max |ref|, float32, normal inputs) grows with the reduction: 1.4e-5 at Cg = 512, 3.7e-5 at 4096: above 4096 AUTO stays off (the 1e-4
 * budget). float64 stays on the exact-order paths.
 * F(2x2, 5x5) (same day, against the shift-GEMM path, 1 thread): 1.7x-1.9x from 64 channels
 * at 14 x 14 outputs and up (64 -> 64 @56: 5.9 -> 3.5 ms), 1.0x-1.2x at 32 channels, a loss
 * at 16 channels or 7 x 7 outputs (16 tiles); max relative error 1.2e-5 at Cg = 512, 2.6e-5
 * at 4096 (bench/wino_error.c). */
int gc_conv2d_winograd_preferred(const gc_conv2d_problem *p, gc_conv_pass pass)
{
    gc_conv2d_problem q;
    if (pass == GC_CONV_PASS_BACKWARD_INPUT) { /* the same rule on the forward problem it runs */
        if (!gc_conv2d_winograd_bwd_ok(p))
            return 0;
        gc_wino_bwd_problem(p, &q);
        p = &q;
    } else if (pass != GC_CONV_PASS_FORWARD) {
        return 0;
    }
    if (p->dtype != GC_DTYPE_F32 || !gc_conv2d_winograd_ok(p) || p->Cg > 4096)
        return 0;
    if (p->KH == 5) /* F(2x2, 5x5): 2 x 2 tiles */
        return p->Cg >= 32 && p->Og >= 32 && ((p->OH + 1) / 2) * ((p->OW + 1) / 2) >= 49;
    return p->Cg >= 16 && p->Og >= 32 && ((p->OH + 3) / 4) * ((p->OW + 3) / 4) >= 16;
}

static size_t gc_wino_round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

static void gc_wino_pick_kernels(gc_isa isa, gc_dtype dt, int r5, gc_wino_plan *pl)
{
    const int f32 = dt == GC_DTYPE_F32;
#define GC_WINO_PICK(SFX32, SFX64)                                                              \
    do {                                                                                       \
        pl->wt = r5 ? (f32 ? gc_wino_wt5_##SFX32 : gc_wino_wt5_##SFX64)                         \
                    : (f32 ? gc_wino_wt_##SFX32 : gc_wino_wt_##SFX64);                          \
        pl->tin = f32 ? gc_wino_in_##SFX32 : gc_wino_in_##SFX64;                                \
        pl->tout = r5 ? (f32 ? gc_wino_out2_##SFX32 : gc_wino_out2_##SFX64)                     \
                      : (f32 ? gc_wino_out_##SFX32 : gc_wino_out_##SFX64);                      \
    } while (0)
    GC_WINO_PICK(f32_scalar, f64_scalar);
#if defined(GC_HAVE_AVX2)
    if (isa == GC_ISA_AVX2)
        GC_WINO_PICK(f32_avx2, f64_avx2);
#endif
#if defined(GC_HAVE_AVX512)
    if (isa == GC_ISA_AVX512)
        GC_WINO_PICK(f32_avx512, f64_avx512);
#endif
#undef GC_WINO_PICK
    (void)isa;
}

static gc_status gc_wino_plan_make(gc_context *ctx, const gc_conv2d_problem *p, gc_wino_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    if (!gc_conv2d_winograd_ok(p))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                       "conv2d: the Winograd algorithm needs a 3x3 or 5x5 kernel, stride 1 and dilation 1");
    const gc_isa isa = gc_context_isa(ctx);
    pl->kern = gc_gram_kernels_for(isa, p->dtype);
#if defined(GC_HAVE_AVX2)
    if (isa == GC_ISA_AVX512) {
        /* The AVX2 GEMM tile (half as wide) when it pads the output channels less: about the
         * same speed per useful FLOP on the CPU measured (Zen 4), and 64 channels fill 64 of
         * 72 columns instead of 64 of 96 (64 -> 64 @224: 20.4 -> 17.5 ms). */
        const gc_gram_kernels k2 = gc_gram_kernels_for(GC_ISA_AVX2, p->dtype);
        if (k2.gemm != pl->kern.gemm && (p->Og + k2.GW - 1) / k2.GW * k2.GW * 10 <
                                             (p->Og + pl->kern.GW - 1) / pl->kern.GW * pl->kern.GW * 9)
            pl->kern = k2;
    }
#endif
    gc_wino_pick_kernels(isa, p->dtype, p->KH == 5, pl);
    pl->esz = gc_dtype_size(p->dtype);
    pl->GR = pl->kern.GR;
    pl->GW = pl->kern.GW;
    pl->pack = pl->kern.pack && pl->kern.L <= pl->GW && pl->GW % pl->kern.L == 0 ? pl->kern.pack : NULL;
    pl->KL = pl->pack ? pl->kern.L : pl->GW;
    pl->nb = (p->Og + pl->GW - 1) / pl->GW;
    pl->r = p->KH;
    pl->rr = pl->r * pl->r;
    pl->mt = 6 - pl->r + 1;
    pl->ntx = (p->OW + pl->mt - 1) / pl->mt;
    pl->nty = (p->OH + pl->mt - 1) / pl->mt;
    pl->Hp = pl->mt * pl->nty + pl->r - 1;
    pl->Wp = pl->mt * pl->ntx + pl->r - 1;
    int64_t T, u, pe, per_tile, v, m;
    const int64_t esz = (int64_t)pl->esz, ocols = pl->nb * pl->GW;
    if (!gc_mul_ok(pl->nty, pl->ntx, &T) || T > INT64_MAX / 64 ||
        !gc_mul_ok(GC_WINO_XI * ocols, p->Cg, &u) || !gc_mul_ok(u, esz, &u) || u > INT64_MAX / 64 ||
        !gc_mul_ok(p->Cg, pl->Hp, &pe) || !gc_mul_ok(pe, pl->Wp, &pe) || !gc_mul_ok(pe, esz, &pe) ||
        !gc_mul_ok(GC_WINO_XI * esz, p->Cg + ocols, &per_tile) || u > INT64_MAX / 64 ||
        pe > INT64_MAX / 64)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: Winograd workspace size overflows");
    pl->T = T;
    /* band: about 4 MiB of V + M, at least 64 tiles (U is read once per band), at most the item */
    int64_t bt = ((int64_t)GC_WINO_BUDGET_MIB << 20) / per_tile / GC_WINO_NL * GC_WINO_NL;
    if (bt < 64)
        bt = 64;
    const int64_t tall = (T + GC_WINO_NL - 1) / GC_WINO_NL * GC_WINO_NL;
    pl->BT = bt < tall ? bt : tall;
    /* One band per item: transform the weights one GW block at a time just before its GEMMs,
     * so U (36 Cg GW per block) stays in cache instead of 36 Cg Og going through memory. */
    pl->fused = tall <= pl->BT;
    pl->unb = pl->fused ? 1 : pl->nb;
    pl->nthreads = gc_context_threads(ctx);
    /* More than one band: a multiple of the thread count (the bands run in parallel, a V + M
     * slot per thread), their lengths equal to within one tile. A tile's sums do not depend on
     * its band, so neither do the results. */
    int64_t nbands = (T + pl->BT - 1) / pl->BT;
    if (nbands > 1) {
        nbands = (nbands + pl->nthreads - 1) / pl->nthreads * pl->nthreads;
        pl->BT = (T + nbands - 1) / nbands;
        nbands = (T + pl->BT - 1) / pl->BT;
    }
    pl->BTc = (pl->BT + GC_WINO_NL - 1) / GC_WINO_NL * GC_WINO_NL;
    if (!gc_mul_ok(p->Cg, pl->BTc, &pl->vxs) || !gc_mul_ok(ocols, pl->BTc, &pl->mxs) ||
        pl->vxs > INT64_MAX / 64 || pl->mxs > INT64_MAX / 64 ||
        !gc_mul_ok(GC_WINO_XI * esz, pl->vxs + 32, &v) || !gc_mul_ok(GC_WINO_XI * esz, pl->mxs + 32, &m) ||
        v > INT64_MAX / 64 || m > INT64_MAX / 64)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: Winograd workspace size overflows");
    pl->vxs += 32, pl->mxs += 32;
    pl->u_bytes = gc_wino_round64((size_t)(u / pl->nb * pl->unb));
    pl->chunked = pl->fused && (pl->nthreads == 1 || pl->nb > 1);
    if (pl->chunked) { /* 36 x (min(GC_WINO_CB, Cg) x GW + 16) elements */
        const int64_t cw = p->Cg < GC_WINO_CB ? p->Cg : GC_WINO_CB;
        pl->uxs = cw * pl->GW + 16;
        pl->u_bytes = gc_wino_round64((size_t)(GC_WINO_XI * pl->uxs) * pl->esz);
    }
    pl->p_bytes = gc_wino_round64((size_t)pe);
    pl->v_bytes = gc_wino_round64((size_t)v);
    pl->m_bytes = gc_wino_round64((size_t)m);
    pl->nslots = pl->fused || nbands < 2 ? 1 : (nbands < pl->nthreads ? nbands : pl->nthreads);
    pl->uslots = pl->chunked && pl->nthreads > 1
                     ? (pl->nb < pl->nthreads ? pl->nb : pl->nthreads) : 1;
    if (pl->v_bytes + pl->m_bytes > SIZE_MAX / 4 / (size_t)pl->nslots ||
        pl->u_bytes > SIZE_MAX / 4 / (size_t)pl->uslots - pl->p_bytes -
                          (size_t)pl->nslots * (pl->v_bytes + pl->m_bytes))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: Winograd workspace size overflows");
    return GC_OK;
}

static size_t gc_wino_bytes(const gc_wino_plan *pl)
{
    return (size_t)pl->uslots * pl->u_bytes + pl->p_bytes +
           (size_t)pl->nslots * (pl->v_bytes + pl->m_bytes);
}

gc_status gc_conv2d_winograd_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes)
{
    gc_wino_plan pl;
    *bytes = 0;
    gc_status st = gc_wino_plan_make(ctx, p, &pl);
    if (st == GC_OK)
        *bytes = gc_wino_bytes(&pl);
    return st;
}

typedef struct {
    const gc_conv2d_problem *p;
    const gc_wino_plan *pl;
    const char *in, *w, *bias;
    char *out;
    char *u, *pk, *v, *m;
    int64_t g, n;      /* group, batch item */
    int64_t ob0, nob;  /* the GW blocks of output channels U holds now: ob0 .. ob0 + nob - 1 */
    int64_t t0, nt;    /* the band: tiles t0 .. t0 + nt - 1 of the item */
} gc_wino_arg;

/* Weights of GW block ob, input channels c0 .. c0 + nc - 1 (nc <= 8), transformed:
 * dst[xi*uxs + c*cs + o] = (G W[g*Og + ob*GW + o][c0 + c] G^T)[xi] (zero for o >= Og).
 * The taps (RR = r*r of them) are first gathered o-minor in KL-wide column blocks,
 * k[j][c*RR + ab][KL] (o = j*KL + lane), by the kernel set's transpose-pack when the weights
 * are contiguous (runs of nc*RR taps per o: the forward weights; or backward_input's turned
 * view, runs of GW*RR packed then reversed), else element by element along the shorter
 * stride; then each block is transformed. */
static void gc_wino_wt_block(const gc_wino_arg *A, int64_t ob, int64_t c0, int64_t nc, char *dst,
                             int64_t cs, int64_t uxs)
{
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    const int64_t GW = pl->GW, KL = pl->KL, R = pl->r, RR = pl->rr, ne = nc * RR, *ws = p->w_s;
    const int64_t ncol = p->Og - ob * GW < GW ? p->Og - ob * GW : GW;
    const int64_t base = (A->g * p->Og + ob * GW) * ws[0] + c0 * ws[1];
    const size_t esz = pl->esz;
    double kbuf[GC_WINO_NL * 25 * 24]; /* GW * esz <= 192 bytes: 8 x 25 x GW elements */
    char *k = (char *)kbuf;
    if (pl->pack && ws[1] == RR && ws[2] == R && ws[3] == 1) {
        for (int64_t j = 0; j * KL < GW; j++) {
            const int64_t rows = ncol - j * KL < KL ? ncol - j * KL : KL;
            char *kj = k + (size_t)(j * ne * KL) * esz;
            if (rows > 0)
                pl->kern.pack(ne, rows, (const char *)A->w + (ptrdiff_t)(base + j * KL * ws[0]) * (ptrdiff_t)esz,
                              ws[0], NULL, kj);
            else
                memset(kj, 0, (size_t)(ne * KL) * esz);
        }
    } else if (pl->pack && ws[0] == RR && ws[2] == -R && ws[3] == -1) {
        /* backward_input's view of contiguous weights: per channel c a run of ncol x RR taps
         * in turned order (o stride RR), packed per column block, then the RR rows reversed */
        for (int64_t j = 0; j * KL < GW; j++) {
            const int64_t rows = ncol - j * KL < KL ? ncol - j * KL : KL;
            for (int64_t c = 0; c < nc; c++) {
                char *kc = k + (size_t)((j * ne + c * RR) * KL) * esz;
                if (rows <= 0) {
                    memset(kc, 0, (size_t)(RR * KL) * esz);
                    continue;
                }
                /* signed: the run starts before A->w (the view's first element is its last tap) */
                const int64_t at = base + c * ws[1] + j * KL * RR - (RR - 1);
                pl->kern.pack(RR, rows, (const char *)A->w + (ptrdiff_t)at * (ptrdiff_t)esz, RR, NULL, kc);
                for (int64_t t = 0; t < RR / 2; t++) { /* row t <-> row RR - 1 - t */
                    char tmp[16 * 8];
                    const size_t rb = (size_t)KL * esz;
                    memcpy(tmp, kc + t * rb, rb);
                    memcpy(kc + t * rb, kc + (RR - 1 - t) * rb, rb);
                    memcpy(kc + (RR - 1 - t) * rb, tmp, rb);
                }
            }
        }
    } else {
        int64_t tap[25];
        for (int ab = 0; ab < RR; ab++)
            tap[ab] = ab / R * ws[2] + ab % R * ws[3];
        const int64_t s0 = ws[0] < 0 ? -ws[0] : ws[0], s1 = ws[1] < 0 ? -ws[1] : ws[1];
        const int o_inner = s0 < s1;
        for (int64_t o = ncol; o < GW; o++)
            for (int64_t e = 0; e < ne; e++)
                gc_store(k, p->dtype, (o / KL * ne + e) * KL + o % KL, 0.0);
#define GC_WINO_GATHER(T)                                                                      \
    do {                                                                                       \
        const T *w = (const T *)A->w + base;                                                   \
        T *kk = (T *)k;                                                                        \
        if (o_inner) {                                                                         \
            for (int64_t c = 0; c < nc; c++)                                                   \
                for (int ab = 0; ab < RR; ab++)                                                \
                    for (int64_t o0 = 0; o0 < ncol; o0 += KL) {                                \
                        const T *src = w + c * ws[1] + tap[ab] + o0 * ws[0];                   \
                        T *d = kk + (o0 / KL * ne + c * RR + ab) * KL;                         \
                        const int64_t nl = ncol - o0 < KL ? ncol - o0 : KL;                    \
                        for (int64_t l = 0; l < nl; l++)                                       \
                            d[l] = src[l * ws[0]];                                             \
                    }                                                                          \
        } else {                                                                               \
            for (int64_t o = 0; o < ncol; o++)                                                 \
                for (int64_t c = 0; c < nc; c++) {                                             \
                    const T *src = w + o * ws[0] + c * ws[1];                                  \
                    for (int ab = 0; ab < RR; ab++)                                            \
                        kk[(o / KL * ne + c * RR + ab) * KL + o % KL] = src[tap[ab]];          \
                }                                                                              \
        }                                                                                      \
    } while (0)
        if (p->dtype == GC_DTYPE_F32)
            GC_WINO_GATHER(float);
        else
            GC_WINO_GATHER(double);
#undef GC_WINO_GATHER
    }
    for (int64_t j = 0; j * KL < GW; j++)
        for (int64_t c = 0; c < nc; c++)
            pl->wt(k + (size_t)((j * ne + c * RR) * KL) * esz, KL, dst + (size_t)(c * cs + j * KL) * esz, uxs);
}

/* Task (ob, block of 8 input channels) of group g. Shape: U[xi][ob][c][GW] from
 * W[g*Og + ob*GW + o][c][a][b] (zero for o >= Og): transformed into a local [xi][8][GW]
 * buffer, then copied out as 36 runs of 8*GW (stores a plane apart alias in the caches). */
static void gc_wino_wt_task(int64_t job, int thread, void *argp)
{
    (void)thread;
    const gc_wino_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    const int64_t GW = pl->GW, ncb = (p->Cg + GC_WINO_NL - 1) / GC_WINO_NL;
    const int64_t ob = A->ob0 + job / ncb, c0 = job % ncb * GC_WINO_NL;
    const int64_t nc = p->Cg - c0 < GC_WINO_NL ? p->Cg - c0 : GC_WINO_NL;
    const size_t esz = pl->esz;
    double buf[GC_WINO_XI * GC_WINO_NL * 24]; /* 36 x 8 x GW elements */
    gc_wino_wt_block(A, ob, c0, nc, (char *)buf, GW, GC_WINO_NL * GW);
    for (int64_t xi = 0; xi < GC_WINO_XI; xi++)
        memcpy(A->u + (size_t)(((xi * pl->unb + ob - A->ob0) * p->Cg + c0) * GW) * esz,
               (char *)buf + (size_t)(xi * GC_WINO_NL * GW) * esz, (size_t)(nc * GW) * esz);
}

/* Task: channel c of group g, item n. Shape: P[c][y][x] = Pad(in)[n][g*Cg + c][y - pt][x - pl]
 * for y < Hp, x < Wp, zero outside the padded input. */
static void gc_wino_pack_task(int64_t c, int thread, void *argp)
{
    (void)thread;
    const gc_wino_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    const int64_t base = A->n * p->in_s[0] + (A->g * p->Cg + c) * p->in_s[1];
    const int64_t Wp = pl->Wp, xs = p->in_s[3];
    /* columns [x0, x1) copy input columns 0 .. W-1 in order; the rest go through the padding */
    const int64_t x0 = p->pl, x1 = p->pl + p->W < Wp ? p->pl + p->W : Wp;
    for (int64_t y = 0; y < pl->Hp; y++) {
        const int64_t Y = y - p->pt;
        const int64_t iy = Y < p->H + p->pb ? gc_pad_index(Y, p->H, p->pmode) : -1;
        const int64_t row = (c * pl->Hp + y) * Wp, src = base + (iy < 0 ? 0 : iy) * p->in_s[2];
        for (int64_t x = 0; x < Wp; x++) {
            if (x == x0 && iy >= 0) { /* the interior run */
                if (p->dtype == GC_DTYPE_F32) {
                    float *d = (float *)A->pk + row;
                    const float *sr = (const float *)A->in + src;
                    for (; x < x1; x++)
                        d[x] = sr[(x - x0) * xs];
                } else {
                    double *d = (double *)A->pk + row;
                    const double *sr = (const double *)A->in + src;
                    for (; x < x1; x++)
                        d[x] = sr[(x - x0) * xs];
                }
                if (x >= Wp)
                    break;
            }
            const int64_t X = x - p->pl;
            const int64_t ix = iy >= 0 && X < p->W + p->pr ? gc_pad_index(X, p->W, p->pmode) : -1;
            gc_store(A->pk, p->dtype, row + x, ix < 0 ? 0.0 : gc_load(A->in, p->dtype, src + ix * xs));
        }
    }
}

/* Task: 8-tile block tb of the band. Shape: V[xi][tb][c][l] for c < Cg, l < 8 (lanes past the
 * band repeat its last tile). */
static void gc_wino_in_task(int64_t tb, int thread, void *argp)
{
    (void)thread;
    const gc_wino_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    int64_t off[GC_WINO_NL];
    for (int64_t l = 0; l < GC_WINO_NL; l++) {
        int64_t t = tb * GC_WINO_NL + l;
        t = A->t0 + (t < A->nt ? t : A->nt - 1);
        off[l] = pl->mt * ((t / pl->ntx) * pl->Wp + t % pl->ntx);
    }
    pl->tin(A->pk, pl->Hp * pl->Wp, pl->Wp, off, pl->mt, p->Cg, A->v + (size_t)(tb * p->Cg * GC_WINO_NL) * pl->esz,
            pl->vxs);
}

/* Task (xi, chunk of 64 tiles, ob). Shape: M[xi][ob][t][GW] = sum_c V[xi][t/8][c][t%8] *
 * U[xi][ob][c][GW] over the chunk's tiles t, GR rows per kernel call. */
static void gc_wino_gemm_task(int64_t job, int thread, void *argp)
{
    (void)thread;
    const gc_wino_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    const int64_t nch = (A->nt + GC_WINO_CHUNK - 1) / GC_WINO_CHUNK;
    const int64_t xi = job / (nch * A->nob), ch = job / A->nob % nch, ob = A->ob0 + job % A->nob;
    const int64_t GR = pl->GR, GW = pl->GW, Cg = p->Cg;
    const int64_t t1 = (ch + 1) * GC_WINO_CHUNK < A->nt ? (ch + 1) * GC_WINO_CHUNK : A->nt;
    const size_t esz = pl->esz;
    const char *b = A->u + (size_t)((xi * pl->unb + ob - A->ob0) * Cg * GW) * esz;
    const char *vx = A->v + (size_t)(xi * pl->vxs) * esz;
    char *mx = A->m + (size_t)(xi * pl->mxs + ob * pl->BTc * GW) * esz;
    for (int64_t t = ch * GC_WINO_CHUNK; t < t1; t += GR) {
        const char *s = vx + (size_t)((t / GC_WINO_NL) * Cg * GC_WINO_NL + t % GC_WINO_NL) * esz;
        pl->kern.gemm(Cg, s, GC_WINO_NL, b, mx + (size_t)(t * GW) * esz);
    }
}

/* Task: tile t0 + t of the band. Shape: out[n][g*Og + o][4ty + i][4tx + j] = bias[o] +
 * (A^T M[.][ob][t] A)[i][j], i < min(4, OH - 4ty), j < min(4, OW - 4tx). */
static void gc_wino_out_task(int64_t t, int thread, void *argp)
{
    (void)thread;
    const gc_wino_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    const int64_t GW = pl->GW, tt = A->t0 + t, ty = tt / pl->ntx, tx = tt % pl->ntx;
    const int64_t mt = pl->mt, nr = p->OH - mt * ty < mt ? p->OH - mt * ty : mt;
    const int64_t nx = p->OW - mt * tx < mt ? p->OW - mt * tx : mt;
    for (int64_t ob = 0; ob < pl->nb; ob++) {
        const int64_t o0 = A->g * p->Og + ob * GW;
        const int64_t ncol = p->Og - ob * GW < GW ? p->Og - ob * GW : GW;
        const char *m = A->m + (size_t)((ob * pl->BTc + t) * GW) * pl->esz;
        const char *bias = A->bias ? A->bias + (size_t)(o0 * p->b_s) * pl->esz : NULL;
        char *o = A->out + (size_t)(A->n * p->out_s[0] + o0 * p->out_s[1] + mt * ty * p->out_s[2] +
                                    mt * tx * p->out_s[3]) * pl->esz;
        pl->tout(m, pl->mxs, ncol, bias, p->b_s, o, p->out_s[1], p->out_s[2], p->out_s[3], nr, nx);
    }
}

gc_status gc_conv2d_winograd_bwd_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes)
{
    gc_conv2d_problem q;
    *bytes = 0;
    if (!gc_conv2d_winograd_bwd_ok(p))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: Winograd backward_input needs zeros padding, "
                       "pads <= 2 and one group");
    gc_wino_bwd_problem(p, &q);
    return gc_conv2d_winograd_workspace(ctx, &q, bytes);
}

gc_status gc_conv2d_winograd_backward_input(gc_context *ctx, const gc_conv2d_problem *p,
                                            const void *gout, const void *w, void *gin, void *ws,
                                            size_t ws_bytes)
{
    gc_conv2d_problem q;
    if (!gc_conv2d_winograd_bwd_ok(p))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: Winograd backward_input needs zeros padding, "
                       "pads <= 2 and one group");
    gc_wino_bwd_problem(p, &q);
    const char *wf = (const char *)w + (size_t)((p->KH - 1) * (p->w_s[2] + p->w_s[3])) * gc_dtype_size(p->dtype);
    return gc_conv2d_winograd_forward(ctx, &q, gout, wf, NULL, gin, ws, ws_bytes);
}

/* Task: band b of item n, all three steps on one thread, in its own V + M slot (several
 * bands in parallel instead of three parallel steps per band). */
static void gc_wino_band_task(int64_t b, int thread, void *argp)
{
    const gc_wino_arg *A0 = argp;
    const gc_wino_plan *pl = A0->pl;
    gc_wino_arg A = *A0;
    A.v = A0->v + (size_t)thread * (pl->v_bytes + pl->m_bytes);
    A.m = A.v + pl->v_bytes;
    A.t0 = b * pl->BT;
    A.nt = pl->T - A.t0 < pl->BT ? pl->T - A.t0 : pl->BT;
    const int64_t nblk = (A.nt + GC_WINO_NL - 1) / GC_WINO_NL;
    const int64_t nch = (A.nt + GC_WINO_CHUNK - 1) / GC_WINO_CHUNK;
    for (int64_t tb = 0; tb < nblk; tb++)
        gc_wino_in_task(tb, thread, &A);
    for (int64_t job = 0; job < GC_WINO_XI * nch * pl->nb; job++)
        gc_wino_gemm_task(job, thread, &A);
    for (int64_t t = 0; t < A.nt; t++)
        gc_wino_out_task(t, thread, &A);
}

/* Task: GW block ob of output channels, fused (chunked plan): for each chunk of GC_WINO_CB
 * input channels c0.., the block's weights are transformed into this thread's own U slot
 * (U[xi][c - c0][GW], xi planes uxs apart, small enough for L2), then for every xi the
 * GEMM over the chunk's channels is added into M[xi][ob][t][GW] (written by the first
 * chunk). V is shared and complete; M's block ob is written by this task alone, its sums in
 * a fixed order (chunks in order), whatever the thread count. */
static void gc_wino_ob_task(int64_t ob, int thread, void *argp)
{
    const gc_wino_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_wino_plan *pl = A->pl;
    const int64_t GW = pl->GW, GR = pl->GR, Cg = p->Cg, uxs = pl->uxs;
    const size_t esz = pl->esz;
    char *u = A->u + (size_t)thread * pl->u_bytes;
    _Alignas(64) double tmp[8 * 24]; /* GR x GW <= 8 x 48 float or 8 x 24 double */
    for (int64_t c0 = 0; c0 < Cg; c0 += GC_WINO_CB) {
        const int64_t ncc = Cg - c0 < GC_WINO_CB ? Cg - c0 : GC_WINO_CB;
        for (int64_t cb = 0; cb < ncc; cb += GC_WINO_NL)
            gc_wino_wt_block(A, ob, c0 + cb, ncc - cb < GC_WINO_NL ? ncc - cb : GC_WINO_NL,
                             u + (size_t)(cb * GW) * esz, GW, uxs);
        for (int64_t xi = 0; xi < GC_WINO_XI; xi++) {
            const char *b = u + (size_t)(xi * uxs) * esz;
            const char *vx = A->v + (size_t)(xi * pl->vxs + c0 * GC_WINO_NL) * esz;
            char *mx = A->m + (size_t)(xi * pl->mxs + ob * pl->BTc * GW) * esz;
            for (int64_t t = 0; t < A->nt; t += GR) {
                const char *sp = vx + (size_t)((t / GC_WINO_NL) * Cg * GC_WINO_NL + t % GC_WINO_NL) * esz;
                char *mt = mx + (size_t)(t * GW) * esz;
                if (c0 == 0) {
                    pl->kern.gemm(ncc, sp, GC_WINO_NL, b, mt);
                    continue;
                }
                pl->kern.gemm(ncc, sp, GC_WINO_NL, b, tmp);
                if (p->dtype == GC_DTYPE_F32) {
                    float *d = (float *)mt;
                    const float *e = (const float *)tmp;
                    for (int64_t i = 0; i < GR * GW; i++)
                        d[i] += e[i];
                } else {
                    double *d = (double *)mt;
                    for (int64_t i = 0; i < GR * GW; i++)
                        d[i] += tmp[i];
                }
            }
        }
    }
}

gc_status gc_conv2d_winograd_forward(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                     const void *w, const void *bias, void *out, void *ws,
                                     size_t ws_bytes)
{
    gc_wino_plan pl;
    gc_status st = gc_wino_plan_make(ctx, p, &pl);
    if (st != GC_OK)
        return st;
    const size_t need = gc_wino_bytes(&pl);
    if (ws_bytes < need || !ws)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace of %zu bytes is too small (needs %zu; "
                       "ask gc_conv2d_workspace_size)", ws_bytes, need);
    if ((uintptr_t)ws & 63)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace must be 64-byte aligned");
    gc_wino_arg A;
    memset(&A, 0, sizeof A);
    A.p = p, A.pl = &pl, A.in = in, A.w = w, A.bias = bias, A.out = out;
    A.u = ws;
    A.pk = A.u + (size_t)pl.uslots * pl.u_bytes;
    A.v = A.pk + pl.p_bytes;
    A.m = A.v + pl.v_bytes;
    const int T = pl.nthreads;
    const int64_t ncb = (p->Cg + GC_WINO_NL - 1) / GC_WINO_NL;
    for (int64_t g = 0; g < p->G && st == GC_OK; g++) {
        A.g = g;
        A.ob0 = 0, A.nob = pl.nb;
        if (!pl.fused)
            st = gc_parallel_for(ctx, T, pl.nb * ncb, gc_wino_wt_task, &A);
        for (int64_t n = 0; n < p->N && st == GC_OK; n++) {
            A.n = n;
            st = gc_parallel_for(ctx, T, p->Cg, gc_wino_pack_task, &A);
            if (pl.nslots > 1) {
                if (st == GC_OK)
                    st = gc_parallel_for(ctx, (int)pl.nslots, (pl.T + pl.BT - 1) / pl.BT, gc_wino_band_task, &A);
                continue;
            }
            for (int64_t t0 = 0; t0 < pl.T && st == GC_OK; t0 += pl.BT) {
                A.t0 = t0;
                A.nt = pl.T - t0 < pl.BT ? pl.T - t0 : pl.BT;
                const int64_t nblk = (A.nt + GC_WINO_NL - 1) / GC_WINO_NL;
                const int64_t nch = (A.nt + GC_WINO_CHUNK - 1) / GC_WINO_CHUNK;
                st = gc_parallel_for(ctx, T, nblk, gc_wino_in_task, &A);
                if (!pl.fused && st == GC_OK)
                    st = gc_parallel_for(ctx, T, GC_WINO_XI * nch * pl.nb, gc_wino_gemm_task, &A);
                if (pl.chunked && st == GC_OK)
                    st = gc_parallel_for(ctx, (int)pl.uslots, pl.nb, gc_wino_ob_task, &A);
                for (int64_t ob = 0; pl.fused && !pl.chunked && ob < pl.nb && st == GC_OK; ob++) {
                    A.ob0 = ob, A.nob = 1;
                    st = gc_parallel_for(ctx, T, ncb, gc_wino_wt_task, &A);
                    if (st == GC_OK)
                        st = gc_parallel_for(ctx, T, GC_WINO_XI * nch, gc_wino_gemm_task, &A);
                }
                if (st == GC_OK)
                    st = gc_parallel_for(ctx, T, A.nt, gc_wino_out_task, &A);
            }
        }
    }
    return st;
}
