/* corr_block_avx512.c - AVX-512 block kernels for the correlation driver (contract in
 * kernels/corr_block.h), float32 (16 lanes) and float64 (8 lanes).
 *
 * The kernel body lives in corr_block_body.h, shared with corr_block_avx2.c; this file
 * sets the AVX-512 tile limits and compiles it once per dtype with the vocabulary of
 * kernels/avx512/simd.h.
 *
 * Every output element is summed the same way whatever tile computes it: the accumulator
 * starts at 0 (or the old output), then one FMA per term t, kernel row ky, kernel column kx,
 * in that nesting order - the scalar kernel's order. Results therefore depend only on the
 * inputs, not on the block shape, the tile choice or the thread count.
 *
 * Register tiles (accumulators live in zmm registers for the whole term loop and are
 * stored once; the last vector of each output row is read and written under a lane mask so
 * no tile touches memory beyond the ow+kw-1 readable input elements or ow output elements):
 *  - tap tile, JB output planes x RB output rows x V vectors of 16 (8) columns, with
 *    JB*RB*V <= 24: for each (t, ky, kx) it loads the RB*V input vectors once and FMAs each
 *    into the JB planes with a broadcast kernel value. Used for multi-plane sums (JB = 6: one
 *    row of 4 vectors for 6 planes, 10 loads per 24 FMAs) and for any kernel height.
 *  - stream tile, one plane x 6 rows x 4 vectors, kernel height KH (2..8) a compile-time
 *    constant: it walks the 6+KH-1 input rows once, and every input vector loaded at
 *    (row, kx) feeds up to KH output rows (row - ky) with broadcast k[ky][kx]. Used for a
 *    single output plane, where the tap tile would need one load per FMA.
 *  - paired-tail tile, JB (<= 3) planes x 2 rows x (VF full vectors + 1 shared vector): when a
 *    row ends in a short vector (<= 8 of 16 lanes, e.g. 54 = 3*16 + 6), the tails of both
 *    rows share one vector, lanes 0.. for the first row and 8.. for the second (merge-masked
 *    loads and masked stores), so 2x54 outputs take 7 vectors instead of 8.
 * Blocks are walked in groups of 6 output rows; in each group the output planes are taken
 * in groups of up to 6, then columns in chunks of 4 vectors. */

#include "kernels/corr_block.h"

/* tile limits shared by both dtypes */
#define GC_JBMAX 6   /* output planes per tap tile */
#define GC_RG 6      /* output rows per row group (multiple of every RB below) */
#define GC_VMAX 4    /* vectors per column chunk */
#define GC_SRB 6     /* rows of the stream tile */
#define GC_KHMAX 8   /* largest kernel height with a stream tile */
#define GC_KREGMAX 9 /* kernel values a stream tile may hold in registers */
#define GC_STREAM_K3 1 /* 3x3 stream tile with the kernel in registers, 2 vectors wide */
#define GC_K3V 2
/* rows of the tap tile for JB planes: JB*RB*GC_VMAX <= 24 accumulators */
#define GC_RB_FOR(jb) ((jb) >= 4 ? 1 : (jb) == 3 ? 2 : (jb) == 2 ? 3 : 6)
#define GC_TAIL_ALWAYS 1 /* masked loads cost nothing extra: always mask the last vector */
/* the tap tile shapes (JB, RB) instantiated: every JB <= GC_JBMAX with RB <= GC_RB_FOR(JB) */
#define GC_TAP_SHAPES(X) X(6, 1) X(5, 1) X(4, 1) X(3, 2) X(3, 1) X(2, 3) X(2, 2) X(2, 1) \
    X(1, 6) X(1, 5) X(1, 4) X(1, 3) X(1, 2) X(1, 1)
#define GC_STREAM_KHS(X) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
/* paired-tail tiles (below): 1 = built, with shapes (JB, VF) */
#define GC_PAIR_TAIL 1
#define GC_PJBMAX 3
#define GC_PAIR_SHAPES(X) X(3, 3) X(2, 3) X(1, 3) X(3, 2) X(2, 2) X(1, 2) X(3, 1) X(2, 1) X(1, 1)

/* ---- float32 ---- */
#define GC_DT f32
#include "kernels/avx512/simd.h"
#include "kernels/corr_block_body.h"
#undef GC_DT

/* ---- float64 ---- */
#define GC_DT f64
#include "kernels/avx512/simd.h"
#include "kernels/corr_block_body.h"
#undef GC_DT
