/* conv2d_gemm.h - the stride-1 "shift GEMM" path of SpatialConvolution (conv2d_gemm.c):
 * forward and backward_input as one GEMM per group, out[Cout x pixels] = W[Cout x Cin*taps]
 * x shifted views of a flattened, row-pitched plane (no patch copy), on a register tile of
 * output channels x pixels of the flattened plane (rows of 14 or 28 do not waste lanes). */
#ifndef GC_CONV2D_GEMM_H
#define GC_CONV2D_GEMM_H

#include "conv2d.h"

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

gc_cg_kernels gc_cg_kernels_for(gc_isa isa, gc_dtype dt);

/* Portable kernels (conv2d_gemm.c), the plain references of the SIMD ones. */
void gc_cg_tile_f32_scalar(const gc_cg_call *a);
void gc_cg_tile_f64_scalar(const gc_cg_call *a);
#if defined(GC_HAVE_AVX2)
void gc_cg_tile_f32_avx2(const gc_cg_call *a);
void gc_cg_tile_f64_avx2(const gc_cg_call *a);
/* backward_weight at stride 1 on the same kernel (conv2d_gemm_wgrad.c; contract as
 * gc_conv2d_wgrad in conv2d.h) and AUTO's rule for it. */
int gc_conv2d_gemm_wgrad_preferred(const gc_conv2d_problem *p, gc_isa isa);
gc_status gc_conv2d_gemm_wgrad_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes);
gc_status gc_conv2d_gemm_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                               const void *gout, double scale, void *gw, const int64_t gw_s[4],
                               void *gb, int64_t gb_s, void *ws, size_t ws_bytes);

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
/* backward_weight at stride 1 on the same kernel (conv2d_gemm_wgrad.c; contract as
 * gc_conv2d_wgrad in conv2d.h) and AUTO's rule for it. */
int gc_conv2d_gemm_wgrad_preferred(const gc_conv2d_problem *p, gc_isa isa);
gc_status gc_conv2d_gemm_wgrad_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes);
gc_status gc_conv2d_gemm_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                               const void *gout, double scale, void *gw, const int64_t gw_s[4],
                               void *gb, int64_t gb_s, void *ws, size_t ws_bytes);

#endif

/* Whether the path takes this problem and pass (stride 1; backward_input: zeros padding). */
int gc_conv2d_gemm_ok(const gc_conv2d_problem *p, gc_conv_pass pass);
/* AUTO's choice between this path and DIRECT / IM2COL (rule in conv2d_gemm.c). */
int gc_conv2d_gemm_preferred(const gc_conv2d_problem *p, gc_conv_pass pass, gc_isa isa);
gc_status gc_conv2d_gemm_workspace(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                                   size_t *bytes);
gc_status gc_conv2d_gemm_forward(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                 const void *w, const void *bias, void *out, void *ws,
                                 size_t ws_bytes);
gc_status gc_conv2d_gemm_backward_input(gc_context *ctx, const gc_conv2d_problem *p,
                                        const void *gout, const void *w, void *gin, void *ws,
                                        size_t ws_bytes);

/* backward_weight at stride 1 on the same kernel (conv2d_gemm_wgrad.c; contract as
 * gc_conv2d_wgrad in conv2d.h) and AUTO's rule for it. */
int gc_conv2d_gemm_wgrad_preferred(const gc_conv2d_problem *p, gc_isa isa);
gc_status gc_conv2d_gemm_wgrad_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes);
gc_status gc_conv2d_gemm_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                               const void *gout, double scale, void *gw, const int64_t gw_s[4],
                               void *gb, int64_t gb_s, void *ws, size_t ws_bytes);

#endif
