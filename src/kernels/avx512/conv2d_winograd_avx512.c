/* conv2d_winograd_avx512.c - the Winograd F(4x4, 3x3) and F(2x2, 5x5) transforms
 * (conv2d_winograd_body.h) compiled with this file's ISA flags, float32 and float64. */
#include "kernels/winograd.h"

#define GC_DT f32
#include "kernels/avx512/simd.h"
#include "kernels/conv2d_winograd_body.h"
#undef GC_DT

#define GC_DT f64
#include "kernels/avx512/simd.h"
#include "kernels/conv2d_winograd_body.h"
#undef GC_DT
