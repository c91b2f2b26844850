/* syrk_avx512.c - AVX-512 Gram kernels (contracts in gram.h; the plain references are the
 * portable kernels in syrk_scalar.c, which compute the same sums per lane).
 *   float32 SYRK: panels of L = 16 rows, tiles of (v <= 3 panels = 48 rows) x NR = 8 columns:
 *     24 zmm accumulators, per k: v vector loads + 8 broadcasts + 8v FMAs.
 *   float64 SYRK: L = 8, NR = 8, (24 rows) x 8 columns, 24 accumulators.
 *   float32 GEMM: GR x GW = 8 x 48 (8 broadcasts of S, 3 vectors of Fc per j).
 *   float64 GEMM: 8 x 24. */
#include "gram.h"

#include <immintrin.h>

#define GC_INLINE static inline __attribute__((always_inline))

/* ---- float32 SYRK: acc[c*ld + r] += sum_k a[(r/16)*ps + k*16 + r%16] * b[k*16 + c] ---- */
GC_INLINE void gc_syrk_f32_v(const int V, int64_t kc, const float *a, int64_t ps,
                             const float *b, double *acc, int64_t ld)
{
    __m512 c0[8], c1[8], c2[8];
    /* the accumulator tile is touched once per chunk, usually from L3: fetch it now, under
     * the k loop */
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < 2 * V; l++)
            _mm_prefetch((const char *)(acc + j * ld + l * 8), _MM_HINT_T0);
    for (int j = 0; j < 8; j++)
        c0[j] = c1[j] = c2[j] = _mm512_setzero_ps();
    const float *a0 = a, *a1 = a + ps, *a2 = a + 2 * ps;
    for (int64_t k = 0; k < kc; k++) {
        const __m512 x0 = _mm512_loadu_ps(a0 + k * 16);
        const __m512 x1 = V > 1 ? _mm512_loadu_ps(a1 + k * 16) : x0;
        const __m512 x2 = V > 2 ? _mm512_loadu_ps(a2 + k * 16) : x0;
        const float *bk = b + k * 16;
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const __m512 y = _mm512_set1_ps(bk[j]);
            c0[j] = _mm512_fmadd_ps(x0, y, c0[j]);
            if (V > 1)
                c1[j] = _mm512_fmadd_ps(x1, y, c1[j]);
            if (V > 2)
                c2[j] = _mm512_fmadd_ps(x2, y, c2[j]);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        for (int u = 0; u < V; u++) {
            const __m512 c = u == 0 ? c0[j] : u == 1 ? c1[j] : c2[j];
            double *d = acc + j * ld + u * 16;
            const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(c));
            const __m512d hi = _mm512_cvtps_pd(
                _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(c), 1)));
            _mm512_storeu_pd(d, _mm512_add_pd(_mm512_loadu_pd(d), lo));
            _mm512_storeu_pd(d + 8, _mm512_add_pd(_mm512_loadu_pd(d + 8), hi));
        }
    }
}

void gc_syrk_f32_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld)
{
    if (v >= 3)
        gc_syrk_f32_v(3, kc, a, ps, b, acc, ld);
    else if (v == 2)
        gc_syrk_f32_v(2, kc, a, ps, b, acc, ld);
    else
        gc_syrk_f32_v(1, kc, a, ps, b, acc, ld);
}

/* ---- float64 SYRK: acc[c*ld + r] += sum_k a[(r/8)*ps + k*8 + r%8] * b[k*8 + c] ---------- */
GC_INLINE void gc_syrk_f64_v(const int V, int64_t kc, const double *a, int64_t ps,
                             const double *b, double *acc, int64_t ld)
{
    __m512d c0[8], c1[8], c2[8];
    for (int j = 0; j < 8; j++)
        for (int l = 0; l < V; l++)
            _mm_prefetch((const char *)(acc + j * ld + l * 8), _MM_HINT_T0);
    for (int j = 0; j < 8; j++)
        c0[j] = c1[j] = c2[j] = _mm512_setzero_pd();
    const double *a0 = a, *a1 = a + ps, *a2 = a + 2 * ps;
    for (int64_t k = 0; k < kc; k++) {
        const __m512d x0 = _mm512_loadu_pd(a0 + k * 8);
        const __m512d x1 = V > 1 ? _mm512_loadu_pd(a1 + k * 8) : x0;
        const __m512d x2 = V > 2 ? _mm512_loadu_pd(a2 + k * 8) : x0;
        const double *bk = b + k * 8;
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            const __m512d y = _mm512_set1_pd(bk[j]);
            c0[j] = _mm512_fmadd_pd(x0, y, c0[j]);
            if (V > 1)
                c1[j] = _mm512_fmadd_pd(x1, y, c1[j]);
            if (V > 2)
                c2[j] = _mm512_fmadd_pd(x2, y, c2[j]);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        double *d = acc + j * ld;
        _mm512_storeu_pd(d, _mm512_add_pd(_mm512_loadu_pd(d), c0[j]));
        if (V > 1)
            _mm512_storeu_pd(d + 8, _mm512_add_pd(_mm512_loadu_pd(d + 8), c1[j]));
        if (V > 2)
            _mm512_storeu_pd(d + 16, _mm512_add_pd(_mm512_loadu_pd(d + 16), c2[j]));
    }
}

void gc_syrk_f64_avx512(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                        int64_t ld)
{
    if (v >= 3)
        gc_syrk_f64_v(3, kc, a, ps, b, acc, ld);
    else if (v == 2)
        gc_syrk_f64_v(2, kc, a, ps, b, acc, ld);
    else
        gc_syrk_f64_v(1, kc, a, ps, b, acc, ld);
}

/* ---- float32 transpose-pack, L = 16: dst[k*16 + r] = src[r*lds + k] - mu[r] ------------ */
void gc_pack_f32_avx512(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                        void *dst)
{
    const float *s = src;
    float *d = dst;
    __m512 m[16];
    for (int r = 0; r < 16; r++)
        m[r] = _mm512_set1_ps(mu && r < rows ? (float)mu[r] : 0.0f);
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
        const int64_t n = kc - k0 < 16 ? kc - k0 : 16;
        const __mmask16 mask = (__mmask16)((1u << n) - 1u);
        __m512 t[16];
        for (int r = 0; r < 16; r++)
            t[r] = r < rows ? _mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, s + r * lds + k0),
                                                  m[r])
                            : _mm512_setzero_ps();
        /* 16 x 16 transpose */
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
            /* gather lane L of groups 0..3 -> the column vector for column 4L + q */
            const __m512 a01l = _mm512_shuffle_f32x4(t[q], t[4 + q], 0x44);   /* g0 L0,L1 | g1 L0,L1 */
            const __m512 a01h = _mm512_shuffle_f32x4(t[q], t[4 + q], 0xEE);   /* g0 L2,L3 | g1 L2,L3 */
            const __m512 a23l = _mm512_shuffle_f32x4(t[8 + q], t[12 + q], 0x44);
            const __m512 a23h = _mm512_shuffle_f32x4(t[8 + q], t[12 + q], 0xEE);
            const __m512 c0 = _mm512_shuffle_f32x4(a01l, a23l, 0x88); /* L0: g0 g1 g2 g3 */
            const __m512 c1 = _mm512_shuffle_f32x4(a01l, a23l, 0xDD); /* L1 */
            const __m512 c2 = _mm512_shuffle_f32x4(a01h, a23h, 0x88); /* L2 */
            const __m512 c3 = _mm512_shuffle_f32x4(a01h, a23h, 0xDD); /* L3 */
            const __m512 cols[4] = {c0, c1, c2, c3};
            for (int l = 0; l < 4; l++) {
                const int64_t col = 4 * l + q;
                if (col < n)
                    _mm512_storeu_ps(d + (k0 + col) * 16, cols[l]);
            }
        }
    }
}

/* ---- float32 GEMM: tile[r*48 + c] = sum_j s[j*lds + r] * b[j*48 + c], r < 8, c < 48 ----- */
void gc_gemm_f32_avx512(int64_t m, const void *s, int64_t lds, const void *b, void *tile)
{
    const float *S = s, *B = b;
    __m512 c0[8], c1[8], c2[8];
    for (int r = 0; r < 8; r++)
        c0[r] = c1[r] = c2[r] = _mm512_setzero_ps();
    for (int64_t j = 0; j < m; j++) {
        const __m512 b0 = _mm512_loadu_ps(B + j * 48);
        const __m512 b1 = _mm512_loadu_ps(B + j * 48 + 16);
        const __m512 b2 = _mm512_loadu_ps(B + j * 48 + 32);
        const float *sj = S + j * lds;
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) {
            const __m512 y = _mm512_set1_ps(sj[r]);
            c0[r] = _mm512_fmadd_ps(y, b0, c0[r]);
            c1[r] = _mm512_fmadd_ps(y, b1, c1[r]);
            c2[r] = _mm512_fmadd_ps(y, b2, c2[r]);
        }
    }
    float *o = tile;
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_ps(o + r * 48, c0[r]);
        _mm512_storeu_ps(o + r * 48 + 16, c1[r]);
        _mm512_storeu_ps(o + r * 48 + 32, c2[r]);
    }
}

/* ---- float64 GEMM: tile[r*24 + c] = sum_j s[j*lds + r] * b[j*24 + c], r < 8, c < 24 ----- */
void gc_gemm_f64_avx512(int64_t m, const void *s, int64_t lds, const void *b, void *tile)
{
    const double *S = s, *B = b;
    __m512d c0[8], c1[8], c2[8];
    for (int r = 0; r < 8; r++)
        c0[r] = c1[r] = c2[r] = _mm512_setzero_pd();
    for (int64_t j = 0; j < m; j++) {
        const __m512d b0 = _mm512_loadu_pd(B + j * 24);
        const __m512d b1 = _mm512_loadu_pd(B + j * 24 + 8);
        const __m512d b2 = _mm512_loadu_pd(B + j * 24 + 16);
        const double *sj = S + j * lds;
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) {
            const __m512d y = _mm512_set1_pd(sj[r]);
            c0[r] = _mm512_fmadd_pd(y, b0, c0[r]);
            c1[r] = _mm512_fmadd_pd(y, b1, c1[r]);
            c2[r] = _mm512_fmadd_pd(y, b2, c2[r]);
        }
    }
    double *o = tile;
    for (int r = 0; r < 8; r++) {
        _mm512_storeu_pd(o + r * 24, c0[r]);
        _mm512_storeu_pd(o + r * 24 + 8, c1[r]);
        _mm512_storeu_pd(o + r * 24 + 16, c2[r]);
    }
}
