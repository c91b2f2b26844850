/* conv2d_gemm_avx512.c - AVX-512 shift-GEMM tile kernels (contract: gc_cg_fn in
 * conv2d_gemm.h; body in conv2d_gemm_body.h; plain references gc_cg_tile_*_scalar).
 *   float32: 8 output channels x 3 vectors of 16 pixels = 24 zmm accumulators; per
 *            (channel, tap) 3 pixel loads + 8 broadcasts + 24 FMAs.
 *   float64: 8 x 3 vectors of 8.
 *   bfloat16 (GC_PRECISION_BF16, forward): the float32 tile over channel pairs: Z and the
 *            weights hold one 32-bit word per (pair, pixel / tap), two bf16; per (pair,
 *            tap) 3 loads of 16 words + 8 broadcast words + 24 vdpbf16ps (each 2 products
 *            per lane, summed in float32). AVX512-BF16, compiled per function (the driver
 *            checks the CPU). */
#include "kernels/conv2d_gemm_tile.h"

#include <immintrin.h>
#include <string.h>

#define GC_AI static inline __attribute__((always_inline))
#define GC_CAT_(a, b) a##b
#define GC_CAT(a, b) GC_CAT_(a, b)
#define FN(name) GC_CAT(name, GC_SFX)
#define MR 8
#define NV 3

/* ---- float32 ---- */
#define GC_SFX _f32_avx512
#define T float
#define VT __m512
#define MT __mmask16
#define W 16
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_LOADM(m, p) _mm512_maskz_loadu_ps((m), (p))
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define V_BCAST(p) _mm512_set1_ps(*(p))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_ZERO() _mm512_setzero_ps()
#define V_MASK(n) ((MT)((1u << (n)) - 1u))
#include "kernels/conv2d_gemm_body.h"

/* ---- float64 ---- */
#define GC_SFX _f64_avx512
#define T double
#define VT __m512d
#define MT __mmask8
#define W 8
#define V_LOADU(p) _mm512_loadu_pd(p)
#define V_LOADM(m, p) _mm512_maskz_loadu_pd((m), (p))
#define V_STOREU(p, v) _mm512_storeu_pd((p), (v))
#define V_STOREM(p, m, v) _mm512_mask_storeu_pd((p), (m), (v))
#define V_BCAST(p) _mm512_set1_pd(*(p))
#define V_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define V_ZERO() _mm512_setzero_pd()
#define V_MASK(n) ((MT)((1u << (n)) - 1u))
#include "kernels/conv2d_gemm_body.h"

/* ---- bfloat16 pairs, float32 sums ---- */
#undef GC_AI
#define GC_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define GC_AI static inline __attribute__((always_inline)) GC_BF16_TARGET
#define GC_CG_ENTRY GC_BF16_TARGET
GC_BF16_TARGET static inline __m512 gc_cg_bcast_word(const float *p)
{
    int32_t u;
    memcpy(&u, p, sizeof u);
    return _mm512_castsi512_ps(_mm512_set1_epi32(u));
}
#define GC_SFX _bf16_avx512
#define T float /* a 32-bit carrier: Z and the weights hold bf16 pairs, out and init floats */
#define VT __m512
#define MT __mmask16
#define W 16
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_LOADM(m, p) _mm512_maskz_loadu_ps((m), (p))
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define V_BCAST(p) gc_cg_bcast_word(p)
#define V_FMA(a, b, c) _mm512_dpbf16_ps((c), (__m512bh)(a), (__m512bh)(b))
#define V_ZERO() _mm512_setzero_ps()
#define V_MASK(n) ((MT)((1u << (n)) - 1u))
#include "kernels/conv2d_gemm_body.h"
#undef GC_CG_ENTRY

/* dst[j] = bf16(lo[j]) | bf16(hi[j]) << 16, j < n (vcvtneps2bf16: nearest even, as
 * gc_bf16_round). */
GC_BF16_TARGET void gc_cg_pairs_bf16_avx512(const float *lo, const float *hi, uint32_t *dst, int64_t n)
{
    for (int64_t j = 0; j < n; j += 16) {
        const __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1u);
        const __m512 a = _mm512_maskz_loadu_ps(m, lo + j), b = _mm512_maskz_loadu_ps(m, hi + j);
        const __m512i la = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(a));
        const __m512i hb = _mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(b)), 16);
        _mm512_mask_storeu_epi32(dst + j, m, _mm512_or_si512(la, hb));
    }
}
