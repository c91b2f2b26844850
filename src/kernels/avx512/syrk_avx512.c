/* syrk_avx512.c - AVX-512 Gram kernels (contracts in kernels/syrk.h). The plain references: for the
 * k-major sets, the portable kernels in syrk_scalar.c (the same sums per lane); for the quad
 * and octet sets, gc_gram_forward_reference, which the tests hold the forward to.
 *   float32 SYRK: panels of L = 16 rows, tiles of (v <= 3 panels = 48 rows) x NR = 8 columns:
 *     24 zmm accumulators, per k: v vector loads + 8 broadcasts + 8v FMAs (the convolution
 *     drivers' set).
 *   float32 quad SYRK (the Gram forward's set): panels of L = 4 rows with k in quads, tiles of
 *     (v <= 6 panels = 24 rows) x NR = 4 columns: 24 accumulators, per 4 k: v loads + 4
 *     128-bit broadcasts + 4v FMAs; its pack needs no transpose.
 *   float64 SYRK: L = 8, NR = 8, (24 rows) x 8 columns, 24 accumulators.
 *   float32 GEMM: GR x GW = 8 x 48 (8 broadcasts of S, 3 vectors of Fc per j).
 *   float64 GEMM: 8 x 24.
 *   bfloat16 SYRK (GC_PRECISION_BF16): the quad set's tiling with k in octets (vdpbf16ps takes
 *     pairs), products summed in float32; the plain reference is gc_gram_forward_reference on
 *     bf16-rounded inputs. */
#include "kernels/syrk.h"

/* ---- k-major SYRK and GEMM tiles, float32 and float64 from one body (syrk_body.h) -------- */
#define NR 8 /* columns per SYRK tile */
#define GR 8 /* rows per GEMM tile */
/* float32 SYRK: acc[c*ld + r] += sum_k a[(r/16)*ps + k*16 + r%16] * b[k*16 + c], r < 16v, c < 8
 * float32 GEMM: tile[r*48 + c] = sum_j s[j*lds + r] * b[j*48 + c], r < 8, c < 48 */
#define GC_DT f32
#include "kernels/avx512/simd.h"
#include "kernels/syrk_body.h"
#undef GC_DT
/* float64 SYRK: acc[c*ld + r] += sum_k a[(r/8)*ps + k*8 + r%8] * b[k*8 + c], r < 8v, c < 8
 * float64 GEMM: tile[r*24 + c] = sum_j s[j*lds + r] * b[j*24 + c], r < 8, c < 24 */
#define GC_DT f64
#include "kernels/avx512/simd.h"
#include "kernels/syrk_body.h"
#undef GC_DT
#undef NR
#undef GR

/* ---- hand-written: the code below exists for one dtype only (the quad and octet sets, the
 * float32 store), or differs between the dtypes beyond the vector width: the float32 pack
 * transposes 16 x 16 blocks of 32-bit lanes (gc_tr16, shared with the store) after a test
 * for a block of plain loads, the float64 pack 8 x 8 blocks with 64-bit shuffles. */

/* ---- float32 quad SYRK (the Gram forward's set): panels of L = 4 rows, k in quads -------
 *   acc[c*ld + r] += sum_k a[(r/4)*ps + (k/4)*16 + (r%4)*4 + k%4] * b[(k/4)*16 + c*4 + k%4]
 * for r < 4v (v <= 6), c < 4, k < kc rounded up to 4 (the pack zero-fills the last quad).
 * One zmm holds a quad of 4 rows x 4 k, lane r*4 + kk; a column's quad is one 128-bit
 * broadcast. Per quad: v loads, 4 broadcasts, 4v FMAs into 24 accumulators whose lanes each
 * sum every fourth k; gc_red4 adds the 4 lanes of a row at the end. No transpose anywhere:
 * the pack moves 128-bit blocks, a quarter of the shuffles of a 16 x 16 transpose. */

/* lanes r*4 + kk of a0..a3 -> lane u*4 + r of the result = sum_kk au[r*4 + kk] */
GC_AI __m512 gc_red4(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
    const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
    const __m512d d01 = _mm512_castps_pd(s01), d23 = _mm512_castps_pd(s23);
    /* lane r*4 + u: row r of a_u */
    const __m512 s = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(d01, d23)),
                                   _mm512_castpd_ps(_mm512_unpackhi_pd(d01, d23)));
    const __m512i idx = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
    return _mm512_permutexvar_ps(idx, s);
}

/* d[0 .. n) += the first n lanes of s, in float64 (n <= 16); set: d[0 .. n) = them */
GC_AI void gc_add_lanes_pd(double *d, __m512 s, int n, int set)
{
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(s));
    const __m512d hi =
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
    if (set) {
        _mm512_mask_storeu_pd(d, (__mmask8)(n >= 8 ? 0xff : (1u << n) - 1u), lo);
        if (n > 8)
            _mm512_mask_storeu_pd(d + 8, (__mmask8)(n >= 16 ? 0xff : (1u << (n - 8)) - 1u), hi);
    } else if (n >= 8) {
        _mm512_storeu_pd(d, _mm512_add_pd(_mm512_loadu_pd(d), lo));
        if (n == 16) {
            _mm512_storeu_pd(d + 8, _mm512_add_pd(_mm512_loadu_pd(d + 8), hi));
        } else if (n > 8) {
            const __mmask8 m = (__mmask8)((1u << (n - 8)) - 1u);
            _mm512_mask_storeu_pd(d + 8, m, _mm512_add_pd(_mm512_maskz_loadu_pd(m, d + 8), hi));
        }
    } else {
        const __mmask8 m = (__mmask8)((1u << n) - 1u);
        _mm512_mask_storeu_pd(d, m, _mm512_add_pd(_mm512_maskz_loadu_pd(m, d), lo));
    }
}

/* The prefetch cursor of a quad-set kernel (pf NULL: none): up to pf->n lines, one every sp
 * steps of its k loop, sp a power of two spreading them over the loop's nsteps; written back
 * at the end (gram.h, gc_syrk_prefetch). */
typedef struct gc_pf_cursor {
    uintptr_t row, ld;
    int64_t n, line, lpr, sp;
} gc_pf_cursor;

GC_AI gc_pf_cursor gc_pf_begin(const gc_syrk_prefetch *pf, int64_t nsteps)
{
    gc_pf_cursor c = {0, 0, 0, 0, 1, 1};
    if (pf) {
        c = (gc_pf_cursor){pf->row, (uintptr_t)pf->ld, pf->n, pf->line, pf->lpr, 1};
        while (c.sp * 2 * c.n <= nsteps)
            c.sp *= 2;
    }
    return c;
}

GC_AI void gc_pf_step(gc_pf_cursor *c, int64_t step)
{
    if (c->n > 0 && (step & (c->sp - 1)) == 0) {
        _mm_prefetch((const char *)(c->row + (uintptr_t)c->line * 64), _MM_HINT_T1);
        c->n--;
        if (++c->line == c->lpr) {
            c->line = 0;
            c->row += c->ld;
        }
    }
}

GC_AI void gc_pf_end(gc_syrk_prefetch *pf, const gc_pf_cursor *c)
{
    if (pf) {
        pf->row = c->row;
        pf->line = c->line;
        pf->n = c->n;
    }
}

/* The end of a quad-set kernel: each column's v accumulators (lane r*4 + w) reduced to 4v
 * row sums and added to (set: stored in) acc[j*ld + 0 .. 4v) */
GC_AI void gc_q4_flush(const int V, __m512 c[6][4], double *acc, int64_t ld, int set)
{
    const __m512 z = _mm512_setzero_ps();
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        double *d = acc + j * ld;
        if (V >= 4)
            gc_add_lanes_pd(d, gc_red4(c[0][j], c[1][j], c[2][j], c[3][j]), 16, set);
        if (V != 4) {
            const int o = V > 4 ? 4 : 0, n = V - o;
            gc_add_lanes_pd(d + o * 4,
                            gc_red4(c[o][j], n > 1 ? c[o + 1][j] : z, n > 2 ? c[o + 2][j] : z, z),
                            n * 4, set);
        }
    }
}

GC_AI void gc_syrk_q4_v(const int V, int64_t kc, const float *a, int64_t ps, const float *b,
                            double *acc, int64_t ld, gc_syrk_prefetch *pf, int set)
{
    const int64_t nq = (kc + 3) / 4;
    gc_pf_cursor cur = gc_pf_begin(pf, nq);
    __m512 c[6][4];
    #pragma GCC unroll 6
    for (int u = 0; u < 6; u++)
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            c[u][j] = _mm512_setzero_ps();
    for (int64_t q = 0; q < nq; q++) {
        if (pf)
            gc_pf_step(&cur, q);
        __m512 x[6];
        #pragma GCC unroll 6
        for (int u = 0; u < V; u++)
            x[u] = _mm512_loadu_ps(a + u * ps + q * 16);
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m512 y = _mm512_broadcast_f32x4(_mm_loadu_ps(b + q * 16 + j * 4));
            #pragma GCC unroll 6
            for (int u = 0; u < V; u++)
                c[u][j] = _mm512_fmadd_ps(x[u], y, c[u][j]);
        }
    }
    gc_pf_end(pf, &cur);
    gc_q4_flush(V, c, acc, ld, set);
}

GC_AI void gc_syrk_q4_any(const int PF, int64_t kc, int v, const void *a, int64_t ps,
                              const void *b, double *acc, int64_t ld, gc_syrk_prefetch *pf)
{
    if (!PF)
        pf = NULL;
    const int set = (v & GC_SYRK_SET) != 0; /* the sums are stored (the chunk is the first) */
    switch (v & ~GC_SYRK_SET) {
    case 6: gc_syrk_q4_v(6, kc, a, ps, b, acc, ld, pf, set); break;
    case 5: gc_syrk_q4_v(5, kc, a, ps, b, acc, ld, pf, set); break;
    case 4: gc_syrk_q4_v(4, kc, a, ps, b, acc, ld, pf, set); break;
    case 3: gc_syrk_q4_v(3, kc, a, ps, b, acc, ld, pf, set); break;
    case 2: gc_syrk_q4_v(2, kc, a, ps, b, acc, ld, pf, set); break;
    default: gc_syrk_q4_v(1, kc, a, ps, b, acc, ld, pf, set); break;
    }
}

void gc_syrk_q4_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                           double *acc, int64_t ld)
{
    gc_syrk_q4_any(0, kc, v, a, ps, b, acc, ld, NULL);
}

void gc_syrk_q4_pf_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b,
                              double *acc, int64_t ld, gc_syrk_prefetch *pf)
{
    gc_syrk_q4_any(1, kc, v, a, ps, b, acc, ld, pf);
}

/* Columns k0 .. k0+n-1 (n <= 16) of row r of a pack's source, minus m[r] (m NULL: nothing
 * subtracted); zero past n and for r >= rows. The float32 packs' one row load (the two
 * float32 packs test for a whole block of plain loads first: per-row tests cost the 16 x 16
 * transpose ~20 %, `bench/pack_cost.c`). */
GC_AI __m512 gc_row16(const float *s, int64_t lds, int64_t rows, const __m512 *m, int r,
                          int64_t k0, int64_t n)
{
    if (r >= rows)
        return _mm512_setzero_ps();
    if (n == 16 && !m)
        return _mm512_loadu_ps(s + r * lds + k0);
    const __mmask16 mask = (__mmask16)((1u << n) - 1u);
    const __m512 x = _mm512_maskz_loadu_ps(mask, s + r * lds + k0);
    return m ? _mm512_maskz_sub_ps(mask, x, m[r]) : x;
}

/* ---- float32 quad pack: dst[(k/4)*16 + r*4 + k%4] = src[r*lds + k] - mu[r] ----------------
 * r < 4 (rows from `rows` on and k from kc up to the next multiple of 4 are zero). Per 16
 * columns: 4 row loads, a 4 x 4 transpose of 128-bit blocks (8 shuffles), 4 stores. */
void gc_pack_q4_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds,
                           const double *mu, void *dst)
{
    const float *s = src;
    float *d = dst;
    __m512 m[4];
    for (int r = 0; r < 4; r++)
        m[r] = _mm512_set1_ps(mu && r < rows ? (float)mu[r] : 0.0f);
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
        const int64_t n = kc - k0 < 16 ? kc - k0 : 16;
        __m512 z[4];
        for (int r = 0; r < 4; r++)
            z[r] = !mu && rows == 4 && n == 16 ? _mm512_loadu_ps(s + r * lds + k0)
                                               : gc_row16(s, lds, rows, mu ? m : NULL, r, k0, n);
        const __m512 t0 = _mm512_shuffle_f32x4(z[0], z[1], 0x44); /* z0 q0 q1 | z1 q0 q1 */
        const __m512 t1 = _mm512_shuffle_f32x4(z[0], z[1], 0xEE); /* z0 q2 q3 | z1 q2 q3 */
        const __m512 t2 = _mm512_shuffle_f32x4(z[2], z[3], 0x44);
        const __m512 t3 = _mm512_shuffle_f32x4(z[2], z[3], 0xEE);
        float *o = d + k0 * 4;
        const int64_t nq = (n + 3) / 4;
        _mm512_storeu_ps(o, _mm512_shuffle_f32x4(t0, t2, 0x88)); /* quad 0 of rows 0..3 */
        if (nq > 1)
            _mm512_storeu_ps(o + 16, _mm512_shuffle_f32x4(t0, t2, 0xDD));
        if (nq > 2)
            _mm512_storeu_ps(o + 32, _mm512_shuffle_f32x4(t1, t3, 0x88));
        if (nq > 3)
            _mm512_storeu_ps(o + 48, _mm512_shuffle_f32x4(t1, t3, 0xDD));
    }
}

/* ---- float32 transpose-pack, L = 16: dst[k*16 + r] = src[r*lds + k] - mu[r] ------------ */
/* Columns k0 .. k0+n-1 (n <= 16) of the 16 rows (zero rows from `rows` on), minus m[r] (m
 * NULL: nothing subtracted), transposed: out[c] = column k0 + c as a vector of the 16 rows. */
/* out[c] lane r = t[r] lane c (t is clobbered) */
GC_AI void gc_tr16(__m512 t[16], __m512 out[16])
{
    __m512 u[16];
    for (int r = 0; r < 16; r += 2) {
        u[r] = _mm512_unpacklo_ps(t[r], t[r + 1]);
        u[r + 1] = _mm512_unpackhi_ps(t[r], t[r + 1]);
    }
    for (int r = 0; r < 16; r += 4) {
        t[r] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(u[r]), _mm512_castps_pd(u[r + 2])));
        t[r + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(u[r]), _mm512_castps_pd(u[r + 2])));
        t[r + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(u[r + 1]), _mm512_castps_pd(u[r + 3])));
        t[r + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(u[r + 1]), _mm512_castps_pd(u[r + 3])));
    }
    /* t[4g + q] holds, per 128-bit lane L, column 4L + q of rows 4g..4g+3 */
    for (int q = 0; q < 4; q++) {
        const __m512 a01l = _mm512_shuffle_f32x4(t[q], t[4 + q], 0x44);   /* g0 L0,L1 | g1 L0,L1 */
        const __m512 a01h = _mm512_shuffle_f32x4(t[q], t[4 + q], 0xEE);   /* g0 L2,L3 | g1 L2,L3 */
        const __m512 a23l = _mm512_shuffle_f32x4(t[8 + q], t[12 + q], 0x44);
        const __m512 a23h = _mm512_shuffle_f32x4(t[8 + q], t[12 + q], 0xEE);
        out[q] = _mm512_shuffle_f32x4(a01l, a23l, 0x88);      /* lane 0: column q */
        out[4 + q] = _mm512_shuffle_f32x4(a01l, a23l, 0xDD);  /* lane 1: column 4 + q */
        out[8 + q] = _mm512_shuffle_f32x4(a01h, a23h, 0x88);  /* lane 2 */
        out[12 + q] = _mm512_shuffle_f32x4(a01h, a23h, 0xDD); /* lane 3 */
    }
}

void gc_pack_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                        void *dst)
{
    float *d = dst;
    __m512 m[16];
    for (int r = 0; r < 16; r++)
        m[r] = _mm512_set1_ps(mu && r < rows ? (float)mu[r] : 0.0f);
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
        const int64_t n = kc - k0 < 16 ? kc - k0 : 16;
        __m512 t[16], cols[16];
        if (!mu && rows == 16 && n == 16) { /* the common case: plain loads */
            for (int r = 0; r < 16; r++)
                t[r] = _mm512_loadu_ps((const float *)src + r * lds + k0);
        } else {
            for (int r = 0; r < 16; r++)
                t[r] = gc_row16(src, lds, rows, mu ? m : NULL, r, k0, n);
        }
        gc_tr16(t, cols);
        for (int64_t c = 0; c < n; c++)
            _mm512_storeu_ps(d + (k0 + c) * 16, cols[c]);
    }
}

/* ---- float32 Gram store: a group of 16 columns of the float64 accumulator into G ----------
 *   g[j*ldg + i] = g[i*ldg + j] = (float)(acc[j*lda + i] * alpha),  j0 <= j < j1 <= j0 + 16,
 *   j <= i < m
 * Rows j of G from acc's columns (contiguous), then the mirror rows i >= j0 + 16 sixteen at a
 * time: 16 columns of 16 values each, turned by gc_tr16 into 16 row pieces of one cache line.
 * The plain reference is gram.c's portable loop (same values: one multiply, one rounding). */
GC_AI __m512 gc_acc16(const double *a, int64_t n, __m512d al)
{
    const __mmask8 m0 = (__mmask8)(n >= 8 ? 0xff : (1u << n) - 1u);
    const __mmask8 m1 = (__mmask8)(n >= 16 ? 0xff : n > 8 ? (1u << (n - 8)) - 1u : 0);
    const __m256 lo = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_maskz_loadu_pd(m0, a), al));
    const __m256 hi = _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_maskz_loadu_pd(m1, a + 8), al));
    return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
}

void gc_gram_store_f32_avx512(const double *acc, int64_t lda, int64_t j0, int64_t j1, int64_t m,
                              double alpha, float *g, int64_t ldg)
{
    const __m512d al = _mm512_set1_pd(alpha);
    for (int64_t j = j0; j < j1; j++) { /* G[j][j..m) */
        const double *a = acc + j * lda;
        float *gj = g + j * ldg;
        for (int64_t i = j; i < m; i += 16) {
            const int64_t n = m - i < 16 ? m - i : 16;
            _mm512_mask_storeu_ps(gj + i, (__mmask16)((1u << n) - 1u), gc_acc16(a + i, n, al));
        }
    }
    const int64_t jn = j1 - j0;
    const __mmask16 cm = (__mmask16)((1u << jn) - 1u);
    for (int64_t i = j0 + 1; i < j0 + 16 && i < m; i++) /* the diagonal block's mirror */
        for (int64_t j = j0; j < j1 && j < i; j++)
            g[i * ldg + j] = (float)(acc[j * lda + i] * alpha);
    for (int64_t i0 = j0 + 16; i0 < m; i0 += 16) { /* G[i][j0..j1), 16 rows at a time */
        const int64_t n = m - i0 < 16 ? m - i0 : 16;
        __m512 t[16], rows[16];
        for (int64_t c = 0; c < 16; c++)
            t[c] = c < jn ? gc_acc16(acc + (j0 + c) * lda + i0, n, al) : _mm512_setzero_ps();
        gc_tr16(t, rows);
        for (int64_t r = 0; r < n; r++)
            _mm512_mask_storeu_ps(g + (i0 + r) * ldg + j0, cm, rows[r]);
    }
}

/* ---- float64 transpose-pack, L = 8: dst[k*8 + r] = src[r*lds + k] - mu[r] ------------- */
void gc_pack_f64_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                        void *dst)
{
    const double *s = src;
    double *d = dst;
    __m512d m[8];
    for (int r = 0; r < 8; r++)
        m[r] = _mm512_set1_pd(mu && r < rows ? mu[r] : 0.0);
    for (int64_t k0 = 0; k0 < kc; k0 += 8) {
        const int64_t n = kc - k0 < 8 ? kc - k0 : 8;
        const __mmask8 mask = (__mmask8)((1u << n) - 1u);
        __m512d x[8], u[8];
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++)
            x[r] = r < rows ? _mm512_maskz_sub_pd(mask, _mm512_maskz_loadu_pd(mask, s + r * lds + k0), m[r])
                            : _mm512_setzero_pd();
#pragma GCC unroll 4
        for (int r = 0; r < 8; r += 2) {
            u[r] = _mm512_unpacklo_pd(x[r], x[r + 1]);     /* lane L: column 2L, rows r, r+1 */
            u[r + 1] = _mm512_unpackhi_pd(x[r], x[r + 1]); /* lane L: column 2L+1 */
        }
        __m512d col[8];
#pragma GCC unroll 2
        for (int q = 0; q < 2; q++) {
            const __m512d a01l = _mm512_shuffle_f64x2(u[q], u[2 + q], 0x44);
            const __m512d a01h = _mm512_shuffle_f64x2(u[q], u[2 + q], 0xEE);
            const __m512d a23l = _mm512_shuffle_f64x2(u[4 + q], u[6 + q], 0x44);
            const __m512d a23h = _mm512_shuffle_f64x2(u[4 + q], u[6 + q], 0xEE);
            col[q] = _mm512_shuffle_f64x2(a01l, a23l, 0x88);     /* column q */
            col[2 + q] = _mm512_shuffle_f64x2(a01l, a23l, 0xDD); /* column 2 + q */
            col[4 + q] = _mm512_shuffle_f64x2(a01h, a23h, 0x88); /* column 4 + q */
            col[6 + q] = _mm512_shuffle_f64x2(a01h, a23h, 0xDD); /* column 6 + q */
        }
        for (int64_t c = 0; c < n; c++)
            _mm512_storeu_pd(d + (k0 + c) * 8, col[c]);
    }
}

/* ---- bfloat16 (AVX512-BF16, compiled per function; the caller checks the CPU) ----------
 * The float32 quad set's tiling with k in octets: a panel of 4 rows, one zmm of 32 bf16 per
 * 8 k, 128-bit lane r = row r's 8 values (dword w = the pair k = 2w, 2w + 1):
 *   dst[(k/8)*32 + r*8 + k%8] = bf16(src[r*lds + k] - mu[r])
 * (round to nearest even, as vcvtneps2bf16; rows from `rows` on and k from kc up to the next
 * multiple of 8 are zero). A column's octet is one 128-bit broadcast; vdpbf16ps adds both
 * products of a pair into a float32 lane, lane r*4 + w, and gc_red4 adds a row's 4 lanes at
 * the end, as in the float32 quad kernel. */
GC_BF16_TARGET void gc_pack_bf16_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds,
                                        const double *mu, void *dst)
{
    /* per 16 columns: each row converted to 16 bf16 (octets 0 and 1 in its two 128-bit
     * halves), then the 4 rows' halves regrouped by octet: 4 converts, 4 shuffles */
    const float *s = src;
    uint16_t *d = dst;
    __m512 m[4];
    for (int r = 0; r < 4; r++)
        m[r] = _mm512_set1_ps(mu && r < rows ? (float)mu[r] : 0.0f);
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
        const int64_t n = kc - k0 < 16 ? kc - k0 : 16;
        __m256i h[4];
        for (int r = 0; r < 4; r++)
            h[r] = (__m256i)_mm512_cvtneps_pbh(gc_row16(s, lds, rows, mu ? m : NULL, r, k0, n));
        const __m512i t01 = _mm512_inserti64x4(_mm512_castsi256_si512(h[0]), h[1], 1);
        const __m512i t23 = _mm512_inserti64x4(_mm512_castsi256_si512(h[2]), h[3], 1);
        uint16_t *o = d + k0 * 4;
        _mm512_storeu_si512(o, _mm512_shuffle_i64x2(t01, t23, 0x88)); /* octet 0 of rows 0-3 */
        if (n > 8)
            _mm512_storeu_si512(o + 32, _mm512_shuffle_i64x2(t01, t23, 0xDD));
    }
}

/* acc[c*ld + r] += (double) sum_k bf16 A(r, k) * B(c, k), r < 4V, c < 4 (set: =), a and b in
 * the octet layout above (ps in bf16 elements), sums in float32 (vdpbf16ps) */
GC_BF16_TARGET GC_AI void
gc_syrk_bf16_v(const int V, int64_t kc, const uint16_t *a, int64_t ps, const uint16_t *b,
               double *acc, int64_t ld, gc_syrk_prefetch *pf, int set)
{
    const int64_t no = (kc + 7) / 8;
    gc_pf_cursor cur = gc_pf_begin(pf, no);
    __m512 c[6][4];
    #pragma GCC unroll 6
    for (int u = 0; u < 6; u++)
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            c[u][j] = _mm512_setzero_ps();
    for (int64_t o = 0; o < no; o++) {
        if (pf)
            gc_pf_step(&cur, o);
        __m512bh x[6];
        #pragma GCC unroll 6
        for (int u = 0; u < V; u++)
            x[u] = (__m512bh)_mm512_loadu_si512(a + u * ps + o * 32);
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m128i bj = _mm_loadu_si128((const __m128i *)(b + o * 32 + j * 8));
            const __m512bh y = (__m512bh)_mm512_broadcast_i32x4(bj);
            #pragma GCC unroll 6
            for (int u = 0; u < V; u++)
                c[u][j] = _mm512_dpbf16_ps(c[u][j], x[u], y);
        }
    }
    gc_pf_end(pf, &cur);
    gc_q4_flush(V, c, acc, ld, set);
}

GC_BF16_TARGET GC_AI void
gc_syrk_bf16_any(const int PF, int64_t kc, int v, const void *a, int64_t ps, const void *b,
                 double *acc, int64_t ld, gc_syrk_prefetch *pf)
{
    if (!PF)
        pf = NULL;
    const int set = (v & GC_SYRK_SET) != 0;
    switch (v & ~GC_SYRK_SET) {
    case 6: gc_syrk_bf16_v(6, kc, a, ps, b, acc, ld, pf, set); break;
    case 5: gc_syrk_bf16_v(5, kc, a, ps, b, acc, ld, pf, set); break;
    case 4: gc_syrk_bf16_v(4, kc, a, ps, b, acc, ld, pf, set); break;
    case 3: gc_syrk_bf16_v(3, kc, a, ps, b, acc, ld, pf, set); break;
    case 2: gc_syrk_bf16_v(2, kc, a, ps, b, acc, ld, pf, set); break;
    default: gc_syrk_bf16_v(1, kc, a, ps, b, acc, ld, pf, set); break;
    }
}

GC_BF16_TARGET void gc_syrk_bf16_avx512(int64_t kc, int v, const void *a, int64_t ps,
                                        const void *b, double *acc, int64_t ld)
{
    gc_syrk_bf16_any(0, kc, v, a, ps, b, acc, ld, NULL);
}

GC_BF16_TARGET void gc_syrk_pf_bf16_avx512(int64_t kc, int v, const void *a, int64_t ps,
                                           const void *b, double *acc, int64_t ld,
                                           gc_syrk_prefetch *pf)
{
    gc_syrk_bf16_any(1, kc, v, a, ps, b, acc, ld, pf);
}
