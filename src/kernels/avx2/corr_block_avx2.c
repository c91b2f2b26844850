/* corr_block_avx2.c - AVX2+FMA block kernels for the correlation driver (contract in
 * internal.h), float32 (8 lanes) and float64 (4 lanes).
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

#include <immintrin.h>

#define GC_AI static inline __attribute__((always_inline))
#define GC_CAT_(a, b) a##b
#define GC_CAT(a, b) GC_CAT_(a, b)
#define FN(name) GC_CAT(name, GC_SFX)
/* Keep a loaded vector in a register: stops the compiler from folding the load into every
 * FMA that uses it (one load per plane instead of one per tap). Emits no instruction. */
#define GC_KEEP(x) __asm__("" : "+v"(x))

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

/* lane masks for vmaskmov: n lanes on = the 8 (4) entries from index 8-n (4-n) */
static const int32_t gc_mask32[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static const int64_t gc_mask64[8] = {-1, -1, -1, -1, 0, 0, 0, 0};

/* ---- float32 ---- */
#define GC_SFX _f32
#define T float
#define BT gc_corr_block_f32
#define VT __m256
#define MT __m256i
#define W 8
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_LOADM(m, p) _mm256_maskload_ps((p), (m))
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_STOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_ZERO() _mm256_setzero_ps()
#define V_MASK(n) _mm256_loadu_si256((const __m256i *)(gc_mask32 + 8 - (n)))
#define GC_PUBLIC gc_corr_block_f32_avx2
#include "kernels/corr_block_body.h"
#undef GC_SFX
#undef T
#undef BT
#undef VT
#undef MT
#undef W
#undef V_LOAD
#undef V_LOADM
#undef V_STORE
#undef V_STOREM
#undef V_BCAST
#undef V_FMA
#undef V_ZERO
#undef V_MASK
#undef GC_PUBLIC

/* ---- float64 ---- */
#define GC_SFX _f64
#define T double
#define BT gc_corr_block_f64
#define VT __m256d
#define MT __m256i
#define W 4
#define V_LOAD(p) _mm256_loadu_pd(p)
#define V_LOADM(m, p) _mm256_maskload_pd((p), (m))
#define V_STORE(p, v) _mm256_storeu_pd((p), (v))
#define V_STOREM(p, m, v) _mm256_maskstore_pd((p), (m), (v))
#define V_BCAST(p) _mm256_broadcast_sd(p)
#define V_FMA(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define V_ZERO() _mm256_setzero_pd()
#define V_MASK(n) _mm256_loadu_si256((const __m256i *)(gc_mask64 + 4 - (n)))
#define GC_PUBLIC gc_corr_block_f64_avx2
#include "kernels/corr_block_body.h"

