/* conv2d_gemm_avx512.c - AVX-512 shift-GEMM tile kernels (contract: gc_cg_fn in
 * conv2d_gemm.h; body in conv2d_gemm_body.h; plain references gc_cg_tile_*_scalar).
 *   float32: 8 output channels x 3 vectors of 16 pixels = 24 zmm accumulators; per
 *            (channel, tap) 3 pixel loads + 8 broadcasts + 24 FMAs.
 *   float64: 8 x 3 vectors of 8. */
#include "conv2d_gemm.h"

#include <immintrin.h>

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
#include "conv2d_gemm_body.h"
#undef GC_SFX
#undef T
#undef VT
#undef MT
#undef W
#undef V_LOADU
#undef V_LOADM
#undef V_STOREU
#undef V_STOREM
#undef V_BCAST
#undef V_FMA
#undef V_ZERO
#undef V_MASK

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
#include "conv2d_gemm_body.h"
