/* conv2d_gemm_avx2.c - AVX2 shift-GEMM tile kernels (contract: gc_cg_fn in conv2d_gemm.h;
 * body in conv2d_gemm_body.h; plain references gc_cg_tile_*_scalar).
 *   float32: 4 output channels x 3 vectors of 8 pixels = 12 ymm accumulators (+ 3 pixel
 *            vectors + 1 broadcast: the 16 registers); per (channel, tap) 3 loads,
 *            4 broadcasts, 12 FMAs. float64: 4 x 3 vectors of 4. Tails: vmaskmov. */
#include "kernels/conv2d_gemm_tile.h"

#include <immintrin.h>

#define GC_AI static inline __attribute__((always_inline))
#define GC_CAT_(a, b) a##b
#define GC_CAT(a, b) GC_CAT_(a, b)
#define FN(name) GC_CAT(name, GC_SFX)
#define MR 4
#define NV 3

/* lane masks for vmaskmov: n lanes on = the 8 (4) entries from index 8-n (4-n) */
static const int32_t gc_cg_mask32[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static const int64_t gc_cg_mask64[8] = {-1, -1, -1, -1, 0, 0, 0, 0};

/* ---- float32 ---- */
#define GC_SFX _f32_avx2
#define T float
#define VT __m256
#define MT __m256i
#define W 8
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_LOADM(m, p) _mm256_maskload_ps((p), (m))
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define V_STOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_ZERO() _mm256_setzero_ps()
#define V_MASK(n) _mm256_loadu_si256((const __m256i *)(gc_cg_mask32 + 8 - (n)))
#include "kernels/conv2d_gemm_body.h"

/* ---- float64 ---- */
#define GC_SFX _f64_avx2
#define T double
#define VT __m256d
#define MT __m256i
#define W 4
#define V_LOADU(p) _mm256_loadu_pd(p)
#define V_LOADM(m, p) _mm256_maskload_pd((p), (m))
#define V_STOREU(p, v) _mm256_storeu_pd((p), (v))
#define V_STOREM(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#define V_BCAST(p) _mm256_broadcast_sd(p)
#define V_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define V_ZERO() _mm256_setzero_pd()
#define V_MASK(n) _mm256_loadu_si256((const __m256i *)(gc_cg_mask64 + 4 - (n)))
#include "kernels/conv2d_gemm_body.h"
