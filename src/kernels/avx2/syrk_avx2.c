/* syrk_avx2.c - AVX2 + FMA Gram kernels (contracts in kernels/syrk.h; the plain references
 * are the portable kernels in syrk_scalar.c, which compute the same sums per lane).
 *   float32 SYRK: panels of L = 8 rows, tiles of (v <= 3 panels = 24 rows) x NR = 4 columns:
 *     12 ymm accumulators, per k: v loads + 4 broadcasts + 4v FMAs (v = 3: 98-101 GFLOP/s
 *     with its operands in L1/L2 on a 3.2 GHz Zen 3, whose 2 FMA pipes peak at 101; v = 2
 *     the same; v = 1 half: 4 chains cannot cover the FMA latency). Takes GC_SYRK_SET.
 *   float64 SYRK: L = 4, NR = 4, (12 rows) x 4 columns.
 *   float32 GEMM: GR x GW = 4 x 24;  float64 GEMM: 4 x 12.
 * Names follow kernels/kernel_name.h (gc_<op>_<dtype>_avx2). The float32 SYRK is written out:
 * it has the store-first mode (GC_SYRK_SET) that the shared body kernels/syrk_body.h lacks;
 * the float64 SYRK and both GEMMs come from that body, at the end of this file. */
#include "kernels/syrk.h"

#include <immintrin.h>

#define GC_INLINE static inline __attribute__((always_inline))

/* acc[c*ld + r] += sum_k a[(r/8)*ps + k*8 + r%8] * b[k*8 + c],  r < 8V, c < 4 (set: =).
 * 12 ymm accumulators; per k: V loads, 4 broadcasts, 4V FMAs. */
GC_INLINE void gc_syrk_f32_v2(const int V, int64_t kc, const float *a, int64_t ps,
                              const float *b, double *acc, int64_t ld, int set)
{
    /* the accumulator tile (V lines per column) is read at the end: fetch it under the loop */
    if (!set) {
        #pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            #pragma GCC unroll 3
            for (int u = 0; u < V; u++)
                _mm_prefetch((const char *)(acc + j * ld + u * 8), _MM_HINT_T0);
    }
    __m256 c0[4], c1[4], c2[4];
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        c0[j] = c1[j] = c2[j] = _mm256_setzero_ps();
    const float *a0 = a, *a1 = a + ps, *a2 = a + 2 * ps;
    for (int64_t k = 0; k < kc; k++) {
        const __m256 x0 = _mm256_loadu_ps(a0 + k * 8);
        const __m256 x1 = V > 1 ? _mm256_loadu_ps(a1 + k * 8) : x0;
        const __m256 x2 = V > 2 ? _mm256_loadu_ps(a2 + k * 8) : x0;
        const float *bk = b + k * 8;
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m256 y = _mm256_broadcast_ss(bk + j);
            c0[j] = _mm256_fmadd_ps(x0, y, c0[j]);
            if (V > 1)
                c1[j] = _mm256_fmadd_ps(x1, y, c1[j]);
            if (V > 2)
                c2[j] = _mm256_fmadd_ps(x2, y, c2[j]);
        }
    }
    #pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        #pragma GCC unroll 3
        for (int u = 0; u < V; u++) {
            const __m256 c = u == 0 ? c0[j] : u == 1 ? c1[j] : c2[j];
            double *d = acc + j * ld + u * 8;
            const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(c));
            const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(c, 1));
            if (set) {
                _mm256_storeu_pd(d, lo);
                _mm256_storeu_pd(d + 4, hi);
            } else {
                _mm256_storeu_pd(d, _mm256_add_pd(_mm256_loadu_pd(d), lo));
                _mm256_storeu_pd(d + 4, _mm256_add_pd(_mm256_loadu_pd(d + 4), hi));
            }
        }
}

void gc_syrk_f32_avx2(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                      int64_t ld)
{
    const int set = (v & GC_SYRK_SET) != 0; /* the first chunk: the sums are stored */
    switch (v & ~GC_SYRK_SET) {
    case 1: gc_syrk_f32_v2(1, kc, a, ps, b, acc, ld, set); break;
    case 2: gc_syrk_f32_v2(2, kc, a, ps, b, acc, ld, set); break;
    default: gc_syrk_f32_v2(3, kc, a, ps, b, acc, ld, set); break;
    }
}

/* 8 x 8 transpose: out[c] = (x[0][c], ..., x[7][c]) */
GC_INLINE void gc_tr8(const __m256 x[8], __m256 out[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]), t1 = _mm256_unpackhi_ps(x[0], x[1]);
    const __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]), t3 = _mm256_unpackhi_ps(x[2], x[3]);
    const __m256 t4 = _mm256_unpacklo_ps(x[4], x[5]), t5 = _mm256_unpackhi_ps(x[4], x[5]);
    const __m256 t6 = _mm256_unpacklo_ps(x[6], x[7]), t7 = _mm256_unpackhi_ps(x[6], x[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    out[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    out[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    out[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    out[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    out[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    out[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    out[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    out[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Transpose-pack, L = 8: dst[k*8 + r] = src[r*lds + k] - mu[r] for r < rows (0 past them),
 * k < kc (the portable packer in gram.c is the reference). Whole blocks of 8 rows x 8
 * columns: each register takes 4 columns of row r and of row r + 4 (two 128-bit loads), so
 * the transpose stays inside the 128-bit lanes (8 shuffles per 4 columns; 20-40 % faster than
 * the full 8 x 8 transpose on Zen 3). The edges (the last columns, fewer rows) go through
 * masked loads and a full transpose. */
void gc_pack_f32_avx2(int64_t kc, int64_t rows, const void *src, int64_t lds, const double *mu,
                      void *dst)
{
    const float *s = src;
    float *d = dst;
    int64_t k0 = 0;
    if (rows == 8) {
        __m128 mh[8];
        for (int r = 0; r < 8; r++)
            mh[r] = _mm_set1_ps(mu ? (float)mu[r] : 0.0f);
        for (; k0 + 8 <= kc; k0 += 8)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                const int64_t k = k0 + 4 * h;
                __m256 x[4];
#pragma GCC unroll 4
                for (int r = 0; r < 4; r++) {
                    __m128 lo = _mm_loadu_ps(s + r * lds + k);
                    __m128 hi = _mm_loadu_ps(s + (r + 4) * lds + k);
                    if (mu) {
                        lo = _mm_sub_ps(lo, mh[r]);
                        hi = _mm_sub_ps(hi, mh[r + 4]);
                    }
                    x[r] = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
                }
                /* lane 0: rows 0-3, lane 1: rows 4-7, of columns k .. k+3 */
                const __m256 t0 = _mm256_unpacklo_ps(x[0], x[1]);
                const __m256 t1 = _mm256_unpackhi_ps(x[0], x[1]);
                const __m256 t2 = _mm256_unpacklo_ps(x[2], x[3]);
                const __m256 t3 = _mm256_unpackhi_ps(x[2], x[3]);
                _mm256_storeu_ps(d + k * 8, _mm256_shuffle_ps(t0, t2, 0x44));
                _mm256_storeu_ps(d + (k + 1) * 8, _mm256_shuffle_ps(t0, t2, 0xEE));
                _mm256_storeu_ps(d + (k + 2) * 8, _mm256_shuffle_ps(t1, t3, 0x44));
                _mm256_storeu_ps(d + (k + 3) * 8, _mm256_shuffle_ps(t1, t3, 0xEE));
            }
    }
    if (k0 == kc)
        return;
    __m256 m[8];
    for (int r = 0; r < 8; r++)
        m[r] = _mm256_set1_ps(mu && r < rows ? (float)mu[r] : 0.0f);
    for (; k0 < kc; k0 += 8) {
        const int64_t n = kc - k0 < 8 ? kc - k0 : 8;
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 x[8], col[8];
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++)
            x[r] = r < rows ? _mm256_sub_ps(_mm256_maskload_ps(s + r * lds + k0, mask), m[r])
                            : _mm256_setzero_ps();
        gc_tr8(x, col);
#pragma GCC unroll 8
        for (int c = 0; c < 8; c++)
            if (c < n)
                _mm256_storeu_ps(d + (k0 + c) * 8, col[c]);
    }
}

/* The float32 GEMM and the float64 SYRK and GEMM from the shared body (kernels/syrk_body.h):
 * NR = 4 columns per SYRK tile, GR = 4 rows per GEMM tile (24 float32 or 12 float64 wide). */
#define NR 4
#define GR 4
#define GC_DT f32
#define GC_SYRK_BODY_GEMM_ONLY
#include "kernels/avx2/simd.h"
#include "kernels/syrk_body.h"
#undef GC_SYRK_BODY_GEMM_ONLY
#undef GC_DT
#define GC_DT f64
#include "kernels/avx2/simd.h"
#include "kernels/syrk_body.h"
#undef GC_DT
#undef NR
#undef GR
