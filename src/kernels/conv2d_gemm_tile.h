/* kernels/conv2d_gemm_tile.h - the register-tile kernel of the convolution's shift-GEMM path
 * (kernels/{scalar,avx2,avx512}/conv2d_gemm_*.c; driver ops/conv2d/conv2d_gemm.c). Private. */
#ifndef GC_KERNELS_CONV2D_GEMM_TILE_H
#define GC_KERNELS_CONV2D_GEMM_TILE_H

#include "base/internal.h"

/* One tile kernel call. Shape: rows (<= MR) output channels x nv (<= NV) vectors of W
 * pixels, the last vector holding `last` (1..W) valid lanes:
 *   out[r*ors + k] = init[r] + sum_{c<nred} sum_{t<ntaps} w[r*wr + c*wc + wsh[t]] * z[c*zs + zsh[t] + k]
 * (init NULL: 0), c outer, t inner, one FMA each in the dtype, for k < (nv-1)*W + last; lanes
 * past `last` are neither read from z nor written to out. Every output element gets this
 * order whatever the tile, kernel set or thread count. `regular` declares the tables to be
 * zsh[t] = (t / kw)*zrow + t % kw and wsh[t] = flip ? ntaps-1-t : t (ntaps = kh*kw): the
 * SIMD kernels then take compile-time taps for 1x1, 3x3 and 5x5 (same sums). */
typedef struct gc_cg_call {
    int64_t nred, ntaps;
    const void *z;
    int64_t zs;
    const int64_t *zsh;
    const void *w;
    int64_t wr, wc;
    const int64_t *wsh;
    const void *init;
    int rows, nv, last;
    void *out;
    int64_t ors;
    int regular, flip;
    int64_t kh, kw, zrow;
} gc_cg_call;

typedef void (*gc_cg_fn)(const gc_cg_call *a);

typedef struct gc_cg_kernels {
    gc_cg_fn tile;
    int MR;   /* output channels per tile */
    int NV;   /* vectors per tile */
    int W;    /* lanes per vector */
} gc_cg_kernels;

/* Portable kernels (conv2d_gemm.c), the plain references of the SIMD ones. */
void gc_cg_tile_f32_scalar(const gc_cg_call *a);
void gc_cg_tile_f64_scalar(const gc_cg_call *a);
#if defined(GC_HAVE_AVX2)
void gc_cg_tile_f32_avx2(const gc_cg_call *a);
void gc_cg_tile_f64_avx2(const gc_cg_call *a);
#endif
#if defined(GC_HAVE_AVX512)
void gc_cg_tile_f32_avx512(const gc_cg_call *a);
void gc_cg_tile_f64_avx512(const gc_cg_call *a);
/* bfloat16 pairs (forward, GC_PRECISION_BF16; needs AVX512-BF16 at run time): z and w hold
 * 32-bit words of two bf16 (channels 2q, 2q+1), nred counts pairs, init and out are float:
 *   out[r*ors + k] = init[r] + sum_q sum_t sum_{e<2} bf16 w[..][q][t].e * bf16 z[q][..].e
 * summed in float32 by vdpbf16ps (both products of a pair per step). */
void gc_cg_tile_bf16_avx512(const gc_cg_call *a);
/* dst[j] = bf16(lo[j]) | bf16(hi[j]) << 16 for j < n (nearest even): Z's and W2's words. */
void gc_cg_pairs_bf16_avx512(const float *lo, const float *hi, uint32_t *dst, int64_t n);

#endif

#endif /* GC_KERNELS_CONV2D_GEMM_TILE_H */
