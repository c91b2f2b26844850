/* kernels/avx512/simd.h - the vector vocabulary of the AVX-512 kernels (the convention in
 * kernels/kernel_name.h), for the dtype GC_DT the includer defines (f32, f64 or bf16). No
 * include guard on the vocabulary: each inclusion redefines it for the GC_DT of the moment.
 *
 *   GC_ISA               avx512
 *   T, VT, MT, W         element type, vector type, lane-mask type, lanes per vector
 *   V_ZERO()             all lanes 0
 *   V_LOADU(p)           W elements from p (unaligned)
 *   V_LOADM(m, p)        lanes in mask m from p, the others 0 (masked-off lanes are not read)
 *   V_LOADMM(s, m, p)    lanes in m from p, the others from vector s
 *   V_STOREU(p, v)       W elements to p (unaligned)
 *   V_STOREM(p, m, v)    lanes in m to p (the others are not written)
 *   V_BCAST(p)           *p in every lane
 *   V_FMA(a, b, c)       a*b + c, one rounding
 *   V_ADD(a, b), V_MUL(a, b)
 *   V_MASK(n)            lanes 0 .. n-1 (1 <= n <= W)
 *   V_ACC_F64(d, v)      d[0 .. W) += the lanes of v, in float64 (f32: widened first)
 *   GC_DT_TARGET         the target attribute functions of this dtype need (bf16 only)
 *   GC_AI                static, always inlined
 *   GC_KEEP(x)           keeps vector x in a register (stops the compiler from folding its
 *                        load into every use); emits no instruction
 *   GC_BF16_TARGET       the AVX512-BF16 target attribute (the caller checks the CPU)
 *
 * bf16: pairs of bfloat16 (channels or k 2q, 2q + 1) in the 32-bit lanes of a float32
 * vector; T is float (the carrier, and the type of sums and outputs), V_BCAST broadcasts the
 * 32-bit word at p and V_FMA(a, b, c) = c + a.lo*b.lo + a.hi*b.hi in float32 (vdpbf16ps);
 * functions that use them carry GC_DT_TARGET. */
#include "kernels/kernel_name.h"

#ifndef GC_KERNELS_AVX512_SIMD_ONCE
#define GC_KERNELS_AVX512_SIMD_ONCE
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define GC_ISA avx512
#define GC_AI static inline __attribute__((always_inline))
#define GC_KEEP(x) __asm__("" : "+v"(x))
#define GC_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

/* the 32-bit word at p (a bf16 pair) in every lane */
GC_BF16_TARGET static inline __m512 gc_bcast_word_avx512(const float *p)
{
    int32_t u;
    memcpy(&u, p, sizeof u);
    return _mm512_castsi512_ps(_mm512_set1_epi32(u));
}
#endif /* GC_KERNELS_AVX512_SIMD_ONCE */

#ifndef GC_DT
#error "define GC_DT (f32, f64 or bf16) before including kernels/avx512/simd.h"
#endif

#undef T
#undef VT
#undef MT
#undef W
#undef V_ZERO
#undef V_LOADU
#undef V_LOADM
#undef V_LOADMM
#undef V_STOREU
#undef V_STOREM
#undef V_BCAST
#undef V_FMA
#undef V_ADD
#undef V_MUL
#undef V_MASK
#undef V_ACC_F64
#undef GC_DT_TARGET

#if GC_DT_IS(f32) || GC_DT_IS(bf16)
#define T float
#define VT __m512
#define MT __mmask16
#define W 16
#define V_ZERO() _mm512_setzero_ps()
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_LOADM(m, p) _mm512_maskz_loadu_ps((m), (p))
#define V_LOADMM(s, m, p) _mm512_mask_loadu_ps((s), (m), (p))
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_MASK(n) ((MT)((1u << (n)) - 1u))
#define V_ACC_F64(d, v)                                                                        \
    do {                                                                                       \
        const __m512d lo_ = _mm512_cvtps_pd(_mm512_castps512_ps256(v));                        \
        const __m512d hi_ = _mm512_cvtps_pd(                                                   \
            _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));                 \
        _mm512_storeu_pd((d), _mm512_add_pd(_mm512_loadu_pd(d), lo_));                         \
        _mm512_storeu_pd((d) + 8, _mm512_add_pd(_mm512_loadu_pd((d) + 8), hi_));               \
    } while (0)
#if GC_DT_IS(f32)
#define V_BCAST(p) _mm512_set1_ps(*(p))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define GC_DT_TARGET
#else
#define V_BCAST(p) gc_bcast_word_avx512(p)
#define V_FMA(a, b, c) _mm512_dpbf16_ps((c), (__m512bh)(a), (__m512bh)(b))
#define GC_DT_TARGET GC_BF16_TARGET
#endif

#elif GC_DT_IS(f64)
#define T double
#define VT __m512d
#define MT __mmask8
#define W 8
#define V_ZERO() _mm512_setzero_pd()
#define V_LOADU(p) _mm512_loadu_pd(p)
#define V_LOADM(m, p) _mm512_maskz_loadu_pd((m), (p))
#define V_LOADMM(s, m, p) _mm512_mask_loadu_pd((s), (m), (p))
#define V_STOREU(p, v) _mm512_storeu_pd((p), (v))
#define V_STOREM(p, m, v) _mm512_mask_storeu_pd((p), (m), (v))
#define V_BCAST(p) _mm512_set1_pd(*(p))
#define V_FMA(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define V_ADD(a, b) _mm512_add_pd((a), (b))
#define V_MUL(a, b) _mm512_mul_pd((a), (b))
#define V_MASK(n) ((MT)((1u << (n)) - 1u))
#define V_ACC_F64(d, v) _mm512_storeu_pd((d), _mm512_add_pd(_mm512_loadu_pd(d), (v)))
#define GC_DT_TARGET

#else
#error "kernels/avx512/simd.h: GC_DT must be f32, f64 or bf16"
#endif
