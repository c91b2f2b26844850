/* kernels/avx2/simd.h - the vector vocabulary of the AVX2 + FMA kernels (the convention in
 * kernels/kernel_name.h), for the dtype GC_DT the includer defines (f32 or f64). No include
 * guard on the vocabulary: each inclusion redefines it for the GC_DT of the moment. The
 * names are those of kernels/avx512/simd.h (which lists them), with these differences:
 * MT is a vector of lane masks (all ones = on) for vmaskmov, which costs more than a plain
 * load or store; V_LOADMM and bf16 do not exist here. */
#include "kernels/kernel_name.h"

#ifndef GC_KERNELS_AVX2_SIMD_ONCE
#define GC_KERNELS_AVX2_SIMD_ONCE
#include <immintrin.h>
#include <stdint.h>

#define GC_ISA avx2
#define GC_AI static inline __attribute__((always_inline))
#define GC_KEEP(x) __asm__("" : "+v"(x))

/* lane masks for vmaskmov: n lanes on = the 8 (4) entries from index 8-n (4-n) */
__attribute__((unused)) static const int32_t gc_mask32_avx2[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                                    0,  0,  0,  0,  0,  0,  0,  0};
__attribute__((unused)) static const int64_t gc_mask64_avx2[8] = {-1, -1, -1, -1, 0, 0, 0, 0};
#endif /* GC_KERNELS_AVX2_SIMD_ONCE */

#ifndef GC_DT
#error "define GC_DT (f32 or f64) before including kernels/avx2/simd.h"
#endif

#undef T
#undef VT
#undef MT
#undef W
#undef V_ZERO
#undef V_LOADU
#undef V_LOADM
#undef V_STOREU
#undef V_STOREM
#undef V_BCAST
#undef V_FMA
#undef V_ADD
#undef V_MUL
#undef V_MASK
#undef V_ACC_F64
#undef GC_DT_TARGET

#if GC_DT_IS(f32)
#define T float
#define VT __m256
#define MT __m256i
#define W 8
#define V_ZERO() _mm256_setzero_ps()
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_LOADM(m, p) _mm256_maskload_ps((p), (m))
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define V_STOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_MASK(n) _mm256_loadu_si256((const __m256i *)(gc_mask32_avx2 + 8 - (n)))
#define V_ACC_F64(d, v)                                                                        \
    do {                                                                                       \
        const __m256d lo_ = _mm256_cvtps_pd(_mm256_castps256_ps128(v));                        \
        const __m256d hi_ = _mm256_cvtps_pd(_mm256_extractf128_ps((v), 1));                    \
        _mm256_storeu_pd((d), _mm256_add_pd(_mm256_loadu_pd(d), lo_));                         \
        _mm256_storeu_pd((d) + 4, _mm256_add_pd(_mm256_loadu_pd((d) + 4), hi_));               \
    } while (0)
#define GC_DT_TARGET

#elif GC_DT_IS(f64)
#define T double
#define VT __m256d
#define MT __m256i
#define W 4
#define V_ZERO() _mm256_setzero_pd()
#define V_LOADU(p) _mm256_loadu_pd(p)
#define V_LOADM(m, p) _mm256_maskload_pd((p), (m))
#define V_STOREU(p, v) _mm256_storeu_pd((p), (v))
#define V_STOREM(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#define V_BCAST(p) _mm256_broadcast_sd(p)
#define V_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define V_ADD(a, b) _mm256_add_pd((a), (b))
#define V_MUL(a, b) _mm256_mul_pd((a), (b))
#define V_MASK(n) _mm256_loadu_si256((const __m256i *)(gc_mask64_avx2 + 4 - (n)))
#define V_ACC_F64(d, v) _mm256_storeu_pd((d), _mm256_add_pd(_mm256_loadu_pd(d), (v)))
#define GC_DT_TARGET

#else
#error "kernels/avx2/simd.h: GC_DT must be f32 or f64"
#endif
