/* conv2d_winograd_avx2.c - the Winograd F(4x4, 3x3) transforms (conv2d_winograd_body.h)
 * compiled with this file's ISA flags, float32 and float64. */
#include "kernels/winograd.h"

#define WT float
#define WN(name) name##_f32_avx2
#include "kernels/conv2d_winograd_body.h"
#undef WT
#undef WN

#define WT double
#define WN(name) name##_f64_avx2
#include "kernels/conv2d_winograd_body.h"
#undef WT
#undef WN
