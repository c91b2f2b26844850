/* kernels/scalar/simd.h - the vocabulary of the portable kernels compiled from a body (the
 * convention in kernels/kernel_name.h), for the dtype GC_DT the includer defines (f32 or
 * f64): GC_ISA (scalar), T and GC_AI, as in kernels/avx512/simd.h. No vectors: the bodies
 * compiled here are plain loops, vectorised by the compiler with the baseline ISA. No
 * include guard on the vocabulary: each inclusion redefines it for the GC_DT of the moment. */
#include "kernels/kernel_name.h"

#ifndef GC_KERNELS_SCALAR_SIMD_ONCE
#define GC_KERNELS_SCALAR_SIMD_ONCE
#define GC_ISA scalar
#define GC_AI static inline __attribute__((always_inline))
#endif

#ifndef GC_DT
#error "define GC_DT (f32 or f64) before including kernels/scalar/simd.h"
#endif

#undef T
#undef GC_DT_TARGET
#if GC_DT_IS(f32)
#define T float
#elif GC_DT_IS(f64)
#define T double
#else
#error "kernels/scalar/simd.h: GC_DT must be f32 or f64"
#endif
#define GC_DT_TARGET
