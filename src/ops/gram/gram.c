/* gram.c - the optimised Gram drivers: the kernel sets, forward (a SYRK on packed panels) and
 * the public entry points (forward, backward, the accumulate variant, the fused style loss);
 * the backward GEMM is in gram_backward.c, the row means for centring in gram_means.c.
 *
 *
 * Forward, per batch item: K is cut into chunks of KC columns. A chunk of Fc = F - mu (rows
 * centred if asked) is packed into panels of L rows in the kernel set's layout (gram.h: k-major,
 * or, for float32 on AVX-512, 4-row panels with k in quads), rows past M zero. The lower
 * triangle of G is covered by tiles of (v <= vmax consecutive row panels) x (NR columns of one
 * panel); only tiles that touch i >= j are computed, so the waste is the upper half of the
 * L x L diagonal blocks (L = 4: 6 of 16 products of a diagonal block). Each kernel call sums
 * its chunk fresh in the tensors' dtype and adds the tile into a float64 accumulator: blocked
 * summation, so float32 error grows with KC, not with K. At the end each (i >= j) value is
 * scaled once and stored to both (i, j) and (j, i): G is exactly symmetric.
 *
 * Threads: items are split over threads when N >= threads. Otherwise each item is split
 * either over K (S parts of whole chunks, partial accumulators added in part order in a
 * second pass) when M <= 256 and K has at least two chunks per part (F is read and packed
 * once; the partials are small), or over groups of 16 columns (R parts, group g going to
 * part g mod R; each part packs the chunk itself, which costs less than M x M partials for big
 * M). S and R depend only on the shapes and the thread count, so results are bitwise
 * reproducible for a given thread count and ISA (and no split changes a sum: each element's
 * chunks are added in order). */
#include "ops/gram/gram.h"
#include "ops/gram/gram_internal.h"

#include <math.h>
#include <string.h>

/* The k-major sets:
 * {syrk, pack, gemm, L, NR, KC, GR, GW, pesz, colb, syrk_pf, vmax, set, store, band} */
gc_gram_kernels gc_gram_kernels_for(gc_isa isa, gc_dtype dt)
{
    gc_gram_kernels k;
    if (dt == GC_DTYPE_F32)
        k = (gc_gram_kernels){gc_syrk_f32_scalar, NULL, gc_gemm_f32_scalar, 8, 4, 256, 4, 16, 4, 4,
                              NULL, GC_SYRK_VMAX, 0, NULL, 0, 0};
    else
        k = (gc_gram_kernels){gc_syrk_f64_scalar, NULL, gc_gemm_f64_scalar, 4, 4, 256, 4, 8, 8, 8,
                              NULL, GC_SYRK_VMAX, 0, NULL, 0, 0};
#if defined(GC_HAVE_AVX2)
    if (isa == GC_ISA_AVX2) {
        if (dt == GC_DTYPE_F32)
            k = (gc_gram_kernels){gc_syrk_f32_avx2, gc_pack_f32_avx2, gc_gemm_f32_avx2, 8, 4, 256,
                                  4, 24, 4, 4, NULL, GC_SYRK_VMAX, 0, NULL, 0, 0};
        else
            k = (gc_gram_kernels){gc_syrk_f64_avx2, NULL, gc_gemm_f64_avx2, 4, 4, 256, 4, 12, 8, 8,
                                  NULL, GC_SYRK_VMAX, 0, NULL, 0, 0};
    }
#endif
#if defined(GC_HAVE_AVX512)
    if (isa == GC_ISA_AVX512) {
        if (dt == GC_DTYPE_F32)
            k = (gc_gram_kernels){gc_syrk_f32_avx512, gc_pack_f32_avx512, gc_gemm_f32_avx512, 16,
                                  8, 256, 8, 48, 4, 4, NULL, GC_SYRK_VMAX, 0, NULL, 0, 0};
        else
            k = (gc_gram_kernels){gc_syrk_f64_avx512, gc_pack_f64_avx512, gc_gemm_f64_avx512, 8, 8,
                                  256, 8, 24, 8, 8, NULL, GC_SYRK_VMAX, 0, NULL, 0, 0};
    }
#endif
    (void)isa;
    return k;
}

gc_gram_kernels gc_gram_fwd_kernels_for(gc_isa isa, gc_dtype dt)
{
    gc_gram_kernels k = gc_gram_kernels_for(isa, dt);
#if defined(GC_HAVE_AVX2)
    /* the k-major set, its first chunk's tiles stored (no zeroing), in row bands of 56: a
     * band's packed rows (56 x KC, KC = 1024 by gc_gram_chunk_cols: 224 KiB) stay in L2 while
     * every column tile left of it streams past (band 0, KC 256: ~75 GFLOP/s at 256 x 128^2
     * on Zen 3; bands of 24-56 with KC 1024-2048: 77-84) */
    if (isa == GC_ISA_AVX2 && dt == GC_DTYPE_F32) {
        k.set = 1;
        k.band = 56;
    }
#endif
#if defined(GC_HAVE_AVX512)
    /* 4-row panels with k in quads: a pack without transposes, 4 x 4 diagonal blocks (the
     * forward runs no GEMM: none in this set). Where the FMAs outrun L2
     * (gc_cpu_fma_outruns_l2), from M = 128 on: bands of one 24-row tile with KC =
     * 256 (24 KiB, in L1), so each tile reads its 6 row vectors per quad from L1 and only
     * the column quad from L2; with two 512-bit FMA pipes L2 could not feed the 6 (256 x
     * 128^2, 1 thread, an AVX-512 Xeon: 116-122 -> 131-139 GFLOP/s, docs/PERFORMANCE.md);
     * smaller M keeps the whole chunk in L2 (64 x 512^2 loses 16 % with the short chunks) */
    if (isa == GC_ISA_AVX512 && dt == GC_DTYPE_F32)
        k = (gc_gram_kernels){gc_syrk_q4_f32_avx512, gc_pack_q4_f32_avx512, NULL, 4, 4, 256, 0, 0,
                              4, 4, gc_syrk_q4_pf_f32_avx512, 6, 1, gc_gram_store_f32_avx512, 96,
                              gc_cpu_fma_outruns_l2() ? 128 : 0};
#endif
    return k;
}

#if defined(GC_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
#include <cpuid.h>
static int gc_cpu_has_avx512bf16(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 5) & 1;
}
#endif

int gc_bf16_available(gc_context *ctx)
{
#if defined(GC_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
    return gc_context_isa(ctx) == GC_ISA_AVX512 && gc_cpu_has_avx512bf16();
#else
    (void)ctx;
    return 0;
#endif
}

int gc_gram_bf16_kernels(gc_context *ctx, gc_gram_kernels *k)
{
#if defined(GC_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
    if (gc_bf16_available(ctx)) {
        /* the quad set's tiling, k in octets (the forward only: no GEMM) */
        *k = (gc_gram_kernels){gc_syrk_bf16_avx512, gc_pack_bf16_avx512, NULL, 4, 4, 256, 0, 0,
                               2, 16, gc_syrk_pf_bf16_avx512, 6, 1, gc_gram_store_f32_avx512,
                               96, 0};
        return 1;
    }
#endif
    (void)ctx;
    (void)k;
    return 0;
}

float gc_bf16_round(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0x7f800000u) { /* Inf stays, NaN stays NaN */
        if (u & 0x007fffffu)
            u |= 0x00400000u;
    } else if ((u & 0x7f800000u) == 0) { /* zero and subnormals: flushed, as the hardware */
        u &= 0x80000000u;
    } else {
        u += 0x7fffu + ((u >> 16) & 1u);
    }
    u &= 0xffff0000u;
    float y;
    memcpy(&y, &u, sizeof y);
    return y;
}

/* ---- forward -------------------------------------------------------------------------- */

/* Columns of G per ownership and store group (a float32 cache line): a task owns whole groups,
 * so the mirror rows G[i][j0..j0+16) it stores are whole lines. A multiple of every NR. */
#define GC_FWD_GROUP 16

typedef struct gc_fwd_plan {
    const gc_gram_problem *p;
    gc_gram_kernels kern;
    gc_gram_gview g;
    size_t esz;
    int64_t L, NR, KC, mpad, npanels, ncols, nchunks;
    int64_t MB; /* panels per row band */
    int64_t SG, ngroups; /* column tiles per group of GC_FWD_GROUP columns; groups */
    int64_t S, R;
    int64_t kstride;     /* uniform stride along k, or -1 */
    const double *mu;    /* n * m, or NULL */
    char *scratch;       /* per thread: pack, stage, acc (S == 1) */
    size_t per_thread, off_pack2, off_stage, off_acc; /* per thread: 2 packs, stage, acc */
    double *partials;    /* n * S slots of mpad * mpad (S > 1) */
} gc_fwd_plan;

/* Columns in chunk ch (KC, or what is left of K). */
static int64_t gc_fwd_chunk_len(const gc_fwd_plan *pl, int64_t ch)
{
    const int64_t k0 = ch * pl->KC;
    return pl->p->k - k0 < pl->KC ? pl->p->k - k0 : pl->KC;
}

/* Whether task part r owns column tile c: the tiles of groups r, r + R, ... */
static int gc_fwd_owns(const gc_fwd_plan *pl, int64_t r, int64_t c)
{
    return (c / pl->SG) % pl->R == r;
}

/* Portable transpose-pack of `rows` rows (row stride lds, contiguous k) into a panel of L. */
static void gc_pack_generic(const gc_fwd_plan *pl, int64_t kc, int64_t rows, const char *src,
                            int64_t lds, const double *mu, char *dst)
{
    const int64_t L = pl->L;
    if (pl->esz == 4) {
        const float *s = (const float *)src;
        float *d = (float *)dst;
        for (int64_t r = 0; r < L; r++) {
            if (r >= rows) {
                for (int64_t k = 0; k < kc; k++)
                    d[k * L + r] = 0.0f;
                continue;
            }
            const float m = mu ? (float)mu[r] : 0.0f;
            for (int64_t k = 0; k < kc; k++)
                d[k * L + r] = s[r * lds + k] - m;
        }
    } else {
        const double *s = (const double *)src;
        double *d = (double *)dst;
        for (int64_t r = 0; r < L; r++) {
            if (r >= rows) {
                for (int64_t k = 0; k < kc; k++)
                    d[k * L + r] = 0.0;
                continue;
            }
            const double m = mu ? mu[r] : 0.0;
            for (int64_t k = 0; k < kc; k++)
                d[k * L + r] = s[r * lds + k] - m;
        }
    }
}

/* Pack rows [i0, i0+rows) x columns [k0, k0+kc) of item b into one panel. */
static void gc_fwd_pack_panel(const gc_fwd_plan *pl, int64_t b, int64_t i0, int64_t rows,
                              int64_t k0, int64_t kc, char *dst, char *stage)
{
    const gc_gram_problem *p = pl->p;
    const size_t esz = pl->esz;
    const char *src;
    int64_t lds;
    if (pl->kstride == 1) {
        src = (const char *)p->in + (size_t)gc_ioff(p->in_s, p->kw, b, i0, k0) * esz;
        lds = p->in_s[1];
    } else {
        for (int64_t r = 0; r < rows; r++)
            for (int64_t k = 0; k < kc; k++) {
                const int64_t off = gc_ioff(p->in_s, p->kw, b, i0 + r, k0 + k);
                if (esz == 4)
                    ((float *)stage)[r * pl->KC + k] = ((const float *)p->in)[off];
                else
                    ((double *)stage)[r * pl->KC + k] = ((const double *)p->in)[off];
            }
        src = stage;
        lds = pl->KC;
    }
    const double *mu = pl->mu ? pl->mu + b * p->m + i0 : NULL;
    if (pl->kern.pack)
        pl->kern.pack(kc, rows, src, lds, mu, dst);
    else
        gc_pack_generic(pl, kc, rows, src, lds, mu, dst);
}

/* Pack panels [p0, p1) of chunk ch of item b. */
static void gc_fwd_pack_chunk(const gc_fwd_plan *pl, int64_t b, int64_t ch, int64_t p0,
                              int64_t p1, char *pack, char *stage)
{
    const gc_gram_problem *p = pl->p;
    const int64_t k0 = ch * pl->KC, L = pl->L, kc = gc_fwd_chunk_len(pl, ch);
    for (int64_t pi = p0; pi < p1; pi++) {
        const int64_t i0 = pi * L;
        const int64_t rows = p->m - i0 < L ? p->m - i0 : L;
        gc_fwd_pack_panel(pl, b, i0, rows, k0, kc,
                          pack + (size_t)(pi * pl->KC * L * pl->kern.pesz), stage);
    }
}

/* Store alpha * acc for the columns of group g (i >= j) to G[b] and its mirror. */
static void gc_fwd_store_group(const gc_fwd_plan *pl, int64_t b, int64_t g, const double *acc,
                               const double *const *parts, int64_t nparts)
{
    const gc_gram_problem *p = pl->p;
    const int64_t j0 = g * pl->SG * pl->NR;
    const int64_t j1 = j0 + pl->SG * pl->NR < p->m ? j0 + pl->SG * pl->NR : p->m;
    const double alpha = p->alpha;
    char *gd = pl->g.data;
    const int64_t *gs = pl->g.s;
    if (!parts && pl->esz == 4 && gs[2] == 1 && pl->kern.store) {
        pl->kern.store(acc, pl->mpad, j0, j1, p->m, alpha, (float *)gd + b * gs[0], gs[1]);
        return;
    }
    if (!parts && pl->esz == 4 && gs[2] == 1) {
        /* float32 rows of G contiguous: row j's run G[j][j..m) from acc's column j in one
         * vectorisable loop, then G[i][j0..j1) (16 floats, a cache line, per row i) from the
         * same values */
        float *g0 = (float *)gd + b * gs[0];
        for (int64_t j = j0; j < j1; j++) {
            const double *a = acc + j * pl->mpad;
            float *gj = g0 + j * gs[1];
            for (int64_t i = j; i < p->m; i++)
                gj[i] = (float)(a[i] * alpha);
        }
        for (int64_t i = j0 + 1; i < p->m; i++) {
            float *gi = g0 + i * gs[1];
            const int64_t je = j1 < i ? j1 : i;
            for (int64_t j = j0; j < je; j++)
                gi[j] = (float)(acc[j * pl->mpad + i] * alpha);
        }
        return;
    }
    /* i outer, the group's columns inner: G[i][j0..j1) is one short run, G[j][i] 16 streams */
    for (int64_t i = j0; i < p->m; i++)
        for (int64_t j = j0; j < j1 && j <= i; j++) {
            double v;
            if (parts) {
                v = parts[0][j * pl->mpad + i];
                for (int64_t s = 1; s < nparts; s++)
                    v += parts[s][j * pl->mpad + i];
            } else {
                v = acc[j * pl->mpad + i];
            }
            v *= alpha;
            const int64_t o1 = b * gs[0] + i * gs[1] + j * gs[2];
            const int64_t o2 = b * gs[0] + j * gs[1] + i * gs[2];
            if (pl->esz == 4) {
                ((float *)gd)[o1] = (float)v;
                ((float *)gd)[o2] = (float)v;
            } else {
                ((double *)gd)[o1] = v;
                ((double *)gd)[o2] = v;
            }
        }
}

static void gc_fwd_task(int64_t task, int thread, void *arg)
{
    const gc_fwd_plan *pl = arg;
    const gc_gram_problem *p = pl->p;
    const int64_t r = task % pl->R;
    const int64_t s = (task / pl->R) % pl->S;
    const int64_t b = task / pl->R / pl->S;
    char *ws = pl->scratch + (size_t)thread * pl->per_thread;
    char *packs[2] = {ws, ws + pl->off_pack2}; /* this chunk's, the next one's */
    char *stage = ws + pl->off_stage;
    double *acc = pl->S > 1 ? pl->partials + (size_t)(b * pl->S + s) * (size_t)(pl->mpad * pl->mpad)
                            : (double *)(ws + pl->off_acc);
    const int64_t L = pl->L, NR = pl->NR, mpad = pl->mpad, P = pl->npanels;
    const int64_t ps = pl->KC * L; /* panel stride, packed elements */
    const int64_t pesz = pl->kern.pesz;
    const int64_t SG = pl->SG;
    const int64_t first_panel = r * SG * NR / L; /* of the task's first tile */
    const int64_t VM = pl->kern.vmax;

    const int64_t ch0 = s * pl->nchunks / pl->S, ch1 = (s + 1) * pl->nchunks / pl->S;
    /* zero the accumulator columns this task owns (rows from the tile's panel down), unless
     * the first chunk's calls store them (every one of them is written by exactly one call) */
    const int first_sets = pl->kern.set && ch0 < ch1;
    for (int64_t c = r * SG; c < pl->ncols && !first_sets; c++) {
        if (!gc_fwd_owns(pl, r, c))
            continue;
        const int64_t q = c * NR / L;
        for (int64_t j = c * NR; j < c * NR + NR; j++)
            memset(acc + j * mpad + q * L, 0, (size_t)(mpad - q * L) * sizeof(double));
    }
    /* SYRK calls per chunk, to spread the prefetch of the next chunk's rows of F over them */
    const int64_t MB = pl->MB;
    int64_t ncalls = 0;
    for (int64_t b0 = 0; b0 < P; b0 += MB) {
        const int64_t b1 = P - b0 < MB ? P : b0 + MB;
        for (int64_t c = r * SG; c < pl->ncols && c * NR / L < b1; c++) {
            if (!gc_fwd_owns(pl, r, c))
                continue;
            const int64_t q = c * NR / L, g0 = q > b0 ? q : b0;
            ncalls += (b1 - g0 + VM - 1) / VM;
        }
    }
    if (ch0 < ch1)
        gc_fwd_pack_chunk(pl, b, ch0, first_panel, P, packs[0], stage);
    for (int64_t ch = ch0; ch < ch1; ch++) {
        const int64_t k0 = ch * pl->KC, kc = gc_fwd_chunk_len(pl, ch);
        /* without the fetch under the tiles, the next chunk is packed after the last tile:
         * into the same buffer, whose lines are still in cache */
        const int64_t alt = pl->kern.syrk_pf ? 1 : 0;
        char *pack = packs[(ch - ch0) & alt], *next = packs[(ch - ch0 + 1) & alt];
        const int more = ch + 1 < ch1;
        /* the next chunk's rows of F (contiguous along k only) are fetched under this chunk's
         * tiles, and each of its panels is packed (into the other buffer) a call after its
         * rows were fetched: the pack reads cache, and its work sits between the tiles
         * instead of stalling on memory at the chunk's start */
        gc_syrk_prefetch pf = {0, 0, 1, 0, 0};
        int64_t pf_left = 0, pf_per = 0, pf_all = 0;
        if (pl->kern.syrk_pf && pl->kstride == 1 && more && ncalls > 0) {
            const int64_t kn = gc_fwd_chunk_len(pl, ch + 1);
            pf.row = (uintptr_t)p->in +
                     (uintptr_t)gc_ioff(p->in_s, p->kw, b, first_panel * L, k0 + pl->KC) * pl->esz;
            pf.ld = p->in_s[1] * (int64_t)pl->esz;
            pf.lpr = (kn * (int64_t)pl->esz + 63) / 64 + 1;
            pf_all = pf_left = (p->m - first_panel * L) * pf.lpr;
            pf_per = (pf_left + ncalls - 1) / ncalls;
        }
        int64_t next_packed = first_panel; /* the next chunk's panels packed so far */
        int64_t rows_ready = 0;            /* its rows fetched before the last call */
        /* row bands of MB panels (one band unless the kernel set asks for them): a band's
         * panels stay in L2 while every column tile at or left of it runs against them;
         * each (row, column) is still summed by exactly one call per chunk */
        for (int64_t b0 = 0; b0 < P; b0 += MB) {
            const int64_t b1 = P - b0 < MB ? P : b0 + MB;
            for (int64_t c = r * SG; c < pl->ncols && c * NR / L < b1; c++) {
                if (!gc_fwd_owns(pl, r, c))
                    continue;
                const int64_t q = c * NR / L;
                const char *bp = pack + (size_t)(q * ps * pesz + (c * NR - q * L) * pl->kern.colb);
                for (int64_t pg = q > b0 ? q : b0, v0; pg < b1; pg += v0) {
                    /* VM + 1 panels left: two tiles of about half (a one-panel tile has a
                     * third of the accumulators and runs at half the FMA rate); the call
                     * count is the same */
                    v0 = b1 - pg < VM ? b1 - pg : b1 - pg == VM + 1 ? (VM + 2) / 2 : VM;
                    const int v = (int)v0 | (first_sets && ch == ch0 ? GC_SYRK_SET : 0);
                    if (pf_left > 0) {
                        const int64_t given = pf_per < pf_left ? pf_per : pf_left;
                        pf.n = given;
                        pl->kern.syrk_pf(kc, v, pack + (size_t)(pg * ps * pesz), ps, bp,
                                         acc + c * NR * mpad + pg * L, mpad, &pf);
                        pf_left -= given - pf.n;
                        if (pf.n == given) /* the kernel issued none: stop asking */
                            pf_left = 0;
                    } else {
                        pl->kern.syrk(kc, v, pack + (size_t)(pg * ps * pesz), ps, bp,
                                      acc + c * NR * mpad + pg * L, mpad);
                    }
                    if (pf_all > 0) {
                        const int64_t ready = first_panel + rows_ready / L;
                        if (ready > next_packed) {
                            gc_fwd_pack_chunk(pl, b, ch + 1, next_packed, ready, next, stage);
                            next_packed = ready;
                        }
                        rows_ready = (pf_all - pf_left) / pf.lpr;
                    }
                }
            }
        }
        if (more)
            gc_fwd_pack_chunk(pl, b, ch + 1, next_packed, P, next, stage);
    }
    if (pl->S == 1)
        for (int64_t g = r; g < pl->ngroups; g += pl->R)
            gc_fwd_store_group(pl, b, g, acc, NULL, 0);
}

/* Second pass when K was split: task = (item, column group). */
static void gc_fwd_reduce_task(int64_t task, int thread, void *arg)
{
    (void)thread;
    const gc_fwd_plan *pl = arg;
    const int64_t b = task / pl->ngroups, g = task % pl->ngroups;
    const double *parts[64];
    for (int64_t s = 0; s < pl->S; s++)
        parts[s] = pl->partials + (size_t)(b * pl->S + s) * (size_t)(pl->mpad * pl->mpad);
    gc_fwd_store_group(pl, b, g, NULL, parts, pl->S);
}

/* Whether the forward runs bands one tile high from L1 for this M (the set's l1_from). */
int gc_gram_l1_bands(const gc_gram_kernels *kern, int64_t mpad)
{
    return kern->l1_from > 0 && mpad >= kern->l1_from;
}

/* KC: the kernel's minimum, raised while one band of the packed chunk stays in L1 (bands one
 * tile high, gc_gram_l1_bands) or the packed chunk (or, for a set that tiles in row bands,
 * one band of it) stays ~384 KiB (L2-resident): longer runs along rows of F for the
 * prefetchers when M is small, fewer accumulator updates. Capped at 2048 so that float32
 * in-register sums stay short (blocked sums).
 * (tile_gram.c chunks its streamed columns with the same width: same sums, same bits.) */
int64_t gc_gram_chunk_cols(const gc_gram_kernels *kern, int64_t mpad)
{
    int64_t kc = kern->KC;
    if (gc_gram_l1_bands(kern, mpad)) {
        while (kc < 2048 && (kc * 2) * kern->vmax * kern->L * kern->pesz <= GC_GRAM_L1_BAND)
            kc *= 2;
        return kc;
    }
    const int64_t rows = kern->band && kern->band < mpad ? kern->band : mpad;
    while (kc < 2048 && (kc * 2) * rows * kern->pesz <= (384 << 10))
        kc *= 2;
    return kc;
}

gc_status gc_gram_forward_run(gc_context *ctx, const gc_gram_problem *p, const gc_gram_gview *g)
{
    gc_fwd_plan pl = {.p = p, .g = *g};
    pl.kern = gc_gram_fwd_kernels_for(gc_context_isa(ctx), p->dtype);
    if (p->bf16 && !gc_gram_bf16_kernels(ctx, &pl.kern))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                       "gram: bf16 precision needs AVX512-BF16 (this CPU, build or ISA setting "
                       "has none)");
    pl.esz = gc_dtype_size(p->dtype);
    pl.L = pl.kern.L, pl.NR = pl.kern.NR;
    pl.npanels = (p->m + pl.L - 1) / pl.L;
    pl.mpad = pl.npanels * pl.L;
    pl.KC = gc_gram_chunk_cols(&pl.kern, pl.mpad);
    pl.MB = gc_gram_l1_bands(&pl.kern, pl.mpad) ? pl.kern.vmax
            : pl.kern.band                      ? pl.kern.band / pl.L
                                                : pl.npanels;
    pl.ncols = pl.mpad / pl.NR;
    pl.SG = GC_FWD_GROUP / pl.NR;
    pl.ngroups = (pl.ncols + pl.SG - 1) / pl.SG;
    pl.nchunks = (p->k + pl.KC - 1) / pl.KC;
    pl.kstride = gc_kstride(p->kh, p->kw, p->in_s);
    if (p->k == 1)
        pl.kstride = 1;
    const int T = gc_context_threads(ctx);
    pl.S = pl.R = 1;
    if (p->n < T) {
        const int64_t parts = (T + p->n - 1) / p->n;
        if (pl.nchunks >= 2 * parts && pl.mpad <= 256)
            pl.S = parts < 64 ? parts : 64;
        else
            pl.R = parts < pl.ngroups ? parts : pl.ngroups;
    }
    const int64_t ntasks = p->n * pl.S * pl.R;
    const int nthreads = (int64_t)T < ntasks ? T : (int)ntasks;

    gc_status st;
    int64_t acc_elems, pack_elems, nslots, slot_elems;
    if (!gc_mul_ok(pl.mpad, pl.mpad, &acc_elems) || !gc_mul_ok(pl.mpad, pl.KC, &pack_elems) ||
        !gc_mul_ok(p->n, pl.S, &nslots) || !gc_mul_ok(nslots, acc_elems, &slot_elems) ||
        acc_elems > INT64_MAX / 16 || pack_elems > INT64_MAX / 16)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "gram_forward: workspace size overflows");
    pl.off_pack2 = gc_align64((size_t)pack_elems * (size_t)pl.kern.pesz);
    pl.off_stage = (pl.kern.syrk_pf ? 2 : 1) * pl.off_pack2; /* one pack buffer without it */
    pl.off_acc = pl.off_stage + gc_align64((size_t)(pl.L * pl.KC) * pl.esz);
    pl.per_thread = pl.off_acc + (pl.S == 1 ? gc_align64((size_t)acc_elems * sizeof(double)) : 0);

    double *mu = NULL, *partials = NULL;
    char *scratch = NULL;
    st = GC_OK;
    if (p->center)
        st = gc_alloc(ctx, p->n * p->m, sizeof(double), (void **)&mu);
    if (st == GC_OK)
        st = gc_alloc(ctx, nthreads, pl.per_thread, (void **)&scratch);
    if (st == GC_OK && pl.S > 1)
        st = gc_alloc(ctx, slot_elems, sizeof(double), (void **)&partials);
    if (st == GC_OK && mu)
        st = gc_gram_means(ctx, p, T, mu);
    if (st == GC_OK) {
        pl.mu = mu;
        pl.scratch = scratch;
        pl.partials = partials;
        st = gc_parallel_for(ctx, nthreads, ntasks, gc_fwd_task, &pl);
    }
    if (st == GC_OK && pl.S > 1)
        st = gc_parallel_for(ctx, T, p->n * pl.ngroups, gc_fwd_reduce_task, &pl);
    gc_free(ctx, partials);
    gc_free(ctx, scratch);
    gc_free(ctx, mu);
    return st;
}

/* ---- public entry points -------------------------------------------------------------- */

gc_status gc_gram_forward(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                          gc_tensor *output)
{
    const char *op = "gram_forward";
    gc_gram_problem p;
    gc_gram_gview g;
    gc_status st = gc_gram_prepare(ctx, desc, input, op, &p);
    if (st != GC_OK)
        return st;
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "%s: output is NULL", op);
    st = gc_gram_check_g(ctx, &p, output, op, "output", 1, &g);
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(output, input))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: output overlaps the input", op);
    return gc_gram_forward_run(ctx, &p, &g);
}

static gc_status gc_gram_backward_common(gc_context *ctx, const gc_gram_desc *desc,
                                         const gc_tensor *input, const gc_tensor *grad_output,
                                         double alpha, int accumulate, gc_tensor *grad_input,
                                         const char *op)
{
    gc_gram_problem p;
    gc_gram_gview dg;
    gc_status st = gc_gram_prepare(ctx, desc, input, op, &p);
    if (st != GC_OK)
        return st;
    if (!grad_output || !grad_input)
        return gc_fail(ctx, GC_ERR_NULL, "%s: grad_output or grad_input is NULL", op);
    if (!isfinite(alpha))
        return gc_fail(ctx, GC_ERR_ARG, "%s: alpha must be finite", op);
    st = gc_gram_check_g(ctx, &p, grad_output, op, "grad_output", 0, &dg);
    if (st == GC_OK)
        st = gc_gram_check_like_input(ctx, input, grad_input, op, "grad_input");
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(grad_input, input) || gc_tensor_overlap(grad_input, grad_output))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: grad_input overlaps an input", op);
    return gc_gram_backward_run(ctx, &p, &dg, alpha * p.alpha, accumulate, grad_input);
}

gc_status gc_gram_backward(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                           const gc_tensor *grad_output, gc_tensor *grad_input)
{
    return gc_gram_backward_common(ctx, desc, input, grad_output, 1.0, 0, grad_input,
                                   "gram_backward");
}

gc_status gc_gram_backward_accumulate(gc_context *ctx, const gc_gram_desc *desc,
                                      const gc_tensor *input, const gc_tensor *grad_output,
                                      double alpha, gc_tensor *grad_input)
{
    return gc_gram_backward_common(ctx, desc, input, grad_output, alpha, 1, grad_input,
                                   "gram_backward_accumulate");
}

gc_status gc_gram_style_loss(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                             const gc_tensor *target, double weight, double *loss,
                             gc_tensor *grad_input, gc_tensor *workspace)
{
    const char *op = "gram_style_loss";
    gc_gram_problem p;
    gc_gram_gview tv, wv;
    gc_status st = gc_gram_prepare(ctx, desc, input, op, &p);
    if (st != GC_OK)
        return st;
    if (!target || !loss || !workspace)
        return gc_fail(ctx, GC_ERR_NULL, "%s: target, loss or workspace is NULL", op);
    if (!isfinite(weight))
        return gc_fail(ctx, GC_ERR_ARG, "%s: weight must be finite", op);
    st = gc_gram_check_g(ctx, &p, target, op, "target", 0, &tv);
    if (st == GC_OK)
        st = gc_gram_check_g(ctx, &p, workspace, op, "workspace", 1, &wv);
    if (st == GC_OK && grad_input)
        st = gc_gram_check_like_input(ctx, input, grad_input, op, "grad_input");
    if (st != GC_OK)
        return st;
    if (gc_tensor_overlap(workspace, input) || gc_tensor_overlap(workspace, target))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: workspace overlaps the input or the target", op);
    if (grad_input && (gc_tensor_overlap(grad_input, input) ||
                       gc_tensor_overlap(grad_input, target) ||
                       gc_tensor_overlap(grad_input, workspace)))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: grad_input overlaps another argument", op);

    st = gc_gram_forward_run(ctx, &p, &wv);
    if (st != GC_OK)
        return st;
    /* workspace = G - T; the sum of squares in float64, in (b, i, j) order */
    double sum = 0.0;
    for (int64_t b = 0; b < p.n; b++)
        for (int64_t i = 0; i < p.m; i++)
            for (int64_t j = 0; j < p.m; j++) {
                const int64_t wo = b * wv.s[0] + i * wv.s[1] + j * wv.s[2];
                const int64_t to = b * tv.s[0] + i * tv.s[1] + j * tv.s[2];
                double d;
                if (p.dtype == GC_DTYPE_F32) {
                    float *w = wv.data;
                    w[wo] = w[wo] - ((const float *)tv.data)[to];
                    d = (double)w[wo];
                } else {
                    double *w = wv.data;
                    w[wo] = w[wo] - ((const double *)tv.data)[to];
                    d = w[wo];
                }
                sum += d * d;
            }
    const double numel = (double)p.n * (double)p.m * (double)p.m;
    *loss = weight * sum / numel;
    if (!grad_input)
        return GC_OK;
    return gc_gram_backward_run(ctx, &p, &wv, weight * 2.0 / numel * p.alpha, 0, grad_input);
}
