/* corr_block_avx2.c - AVX2+FMA block kernels for the correlation driver (contract in
 * kernels/corr_block.h), float32 (8 lanes) and float64 (4 lanes).
 *
 * The twin of corr_block_avx512.c with 16 ymm registers instead of 32 zmm: the same kernel
 * body (corr_block_body.h), included once per dtype, with smaller tiles. Tails use vmaskmov loads/stores, which cost more than
 * plain ones, so the last vector of a row is masked only in the chunk that holds it.
 *
 * Every output element is summed the same way whatever tile computes it: the accumulator
 * starts at 0 (or the old output), then one FMA per term t, kernel row ky, kernel column kx,
 * in that nesting order. Results depend only on the inputs, not on block or tile shapes or
 * the thread count.
 *
 * Tiles (accumulators stay in registers over the whole term loop, stored once):
 *  - tap tile, JB planes x RB rows x V vectors, JB*RB*V <= 12: per (t, ky, kx) it loads the
 *    RB*V input vectors once and FMAs each into the JB planes (JB = 4: one row of 3 vectors,
 *    7 loads per 12 FMAs).
 *  - stream tile, one plane x 4 rows x 3 vectors, kernel height KH (2..8) fixed: each input
 *    vector loaded at (row, kx) feeds up to KH output rows with broadcast k[ky][kx].
 * Blocks are walked in groups of 4 output rows; in each, planes in groups of up to 4, then
 * columns in chunks of 3 vectors. The paired-tail tile of the AVX-512 file is not built here. */

#include "kernels/corr_block.h"

/* tile limits shared by both dtypes */
#define GC_JBMAX 4   /* output planes per tap tile */
#define GC_RG 4      /* output rows per row group (multiple of every RB below) */
#define GC_VMAX 3    /* vectors per column chunk */
#define GC_SRB 4     /* rows of the stream tile */
#define GC_KHMAX 8   /* largest kernel height with a stream tile */
#define GC_KREGMAX 1 /* no kernel values in registers (16 ymm registers) */
#define GC_STREAM_K3 0
/* rows of the tap tile for JB planes: JB*RB*GC_VMAX <= 12 accumulators */
#define GC_RB_FOR(jb) ((jb) >= 3 ? 1 : (jb) == 2 ? 2 : 4)
#define GC_TAIL_ALWAYS 0 /* vmaskmov is slower than a plain load: mask only the tail chunk */
/* the tap tile shapes (JB, RB) instantiated: every JB <= GC_JBMAX with RB <= GC_RB_FOR(JB) */
#define GC_TAP_SHAPES(X) X(4, 1) X(3, 1) X(2, 2) X(2, 1) X(1, 4) X(1, 3) X(1, 2) X(1, 1)
#define GC_STREAM_KHS(X) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#define GC_PAIR_TAIL 0 /* no paired-tail tiles (they need merge-masked loads) */

/* ---- float32 ---- */
#define GC_DT f32
#include "kernels/avx2/simd.h"
#include "kernels/corr_block_body.h"
#undef GC_DT

/* ---- float64 ---- */
#define GC_DT f64
#include "kernels/avx2/simd.h"
#include "kernels/corr_block_body.h"
#undef GC_DT
