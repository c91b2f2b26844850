/* conv2d_gemm_avx2.c - AVX2 shift-GEMM tile kernels (contract: gc_cg_fn in
 * kernels/conv2d_gemm_tile.h; body in conv2d_gemm_body.h; plain references gc_cg_tile_*_scalar).
 *   float32: 4 output channels x 3 vectors of 8 pixels = 12 ymm accumulators (+ 3 pixel
 *            vectors + 1 broadcast: the 16 registers); per (channel, tap) 3 loads,
 *            4 broadcasts, 12 FMAs. float64: 4 x 3 vectors of 4. Tails: vmaskmov. */
#include "kernels/conv2d_gemm_tile.h"

#define MR 4
#define NV 3

/* ---- float32 ---- */
#define GC_DT f32
#include "kernels/avx2/simd.h"
#include "kernels/conv2d_gemm_body.h"
#undef GC_DT

/* ---- float64 ---- */
#define GC_DT f64
#include "kernels/avx2/simd.h"
#include "kernels/conv2d_gemm_body.h"
#undef GC_DT
