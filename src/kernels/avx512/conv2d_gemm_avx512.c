/* conv2d_gemm_avx512.c - AVX-512 shift-GEMM tile kernels (contract: gc_cg_fn in
 * kernels/conv2d_gemm_tile.h; body in conv2d_gemm_body.h; plain references
 * gc_cg_tile_*_scalar).
 *   float32: 8 output channels x 3 vectors of 16 pixels = 24 zmm accumulators; per
 *            (channel, tap) 3 pixel loads + 8 broadcasts + 24 FMAs.
 *   float64: 8 x 3 vectors of 8.
 *   bfloat16 (GC_PRECISION_BF16, forward): the float32 tile over channel pairs: Z and the
 *            weights hold one 32-bit word per (pair, pixel / tap), two bf16; per (pair,
 *            tap) 3 loads of 16 words + 8 broadcast words + 24 vdpbf16ps (each 2 products
 *            per lane, summed in float32). AVX512-BF16, compiled per function (the driver
 *            checks the CPU). */
#include "kernels/conv2d_gemm_tile.h"

#define MR 8
#define NV 3

/* ---- float32 ---- */
#define GC_DT f32
#include "kernels/avx512/simd.h"
#include "kernels/conv2d_gemm_body.h"
#undef GC_DT

/* ---- float64 ---- */
#define GC_DT f64
#include "kernels/avx512/simd.h"
#include "kernels/conv2d_gemm_body.h"
#undef GC_DT

/* ---- bfloat16 pairs, float32 sums ---- */
#define GC_DT bf16
#include "kernels/avx512/simd.h"
#include "kernels/conv2d_gemm_body.h"
#undef GC_DT

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
