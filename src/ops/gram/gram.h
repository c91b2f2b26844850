/* src/ops/gram/ - layer 2, Gram matrices: the shape checks (gram_shape.c), the plain-loop
 * reference (gram_ref.c), the forward driver over the SYRK kernels of src/kernels/ (gram.c),
 * the backward pass and style loss (gram_backward.c) and the row means for centring
 * (gram_means.c). It includes base/ and kernels/ only. */
/* gram.h - the validated form of a Gram request, shared by the references (gram_ref.c) and
 * the optimised drivers (gram.c), and the packed-panel kernels behind them (syrk_*.c). */
#ifndef GC_GRAM_H
#define GC_GRAM_H

#include "base/internal.h"
#include "kernels/syrk.h"

/* A tensor of G's shape (N x M x M, N = 1 for rank-2/3 inputs) as data + strides. */
typedef struct gc_gram_gview {
    void *data;
    int64_t s[3]; /* batch (0 when absent), row, column */
} gc_gram_gview;

/* The input read as N items of M rows of K = kh * kw elements:
 *   F[b][i][k] = in[b*in_s[0] + i*in_s[1] + (k / kw)*in_s[2] + (k % kw)*in_s[3]]
 * (rank 2: kh = 1; rank 3: N = 1, in_s[0] = 0). */
typedef struct gc_gram_problem {
    gc_dtype dtype;
    int in_rank;
    int64_t n, m, kh, kw, k;
    int64_t in_s[4];
    const void *in;
    double alpha;  /* norm * scale */
    int center;
    int bf16;      /* GC_PRECISION_BF16: forward operands rounded to bfloat16 */
    int g_rank;
    int64_t g_dims[GC_MAX_RANK];
} gc_gram_problem;

/* Validate desc and input, fill *p (op names the caller in messages). */
gc_status gc_gram_prepare(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                          const char *op, gc_gram_problem *p);
/* Check that t is a G-shaped (what = "output", ...) tensor of p's dtype, writable (no
 * broadcast strides) if `writable`; fill *v. */
gc_status gc_gram_check_g(gc_context *ctx, const gc_gram_problem *p, const gc_tensor *t,
                          const char *op, const char *what, int writable, gc_gram_gview *v);
/* Check that t has the input's shape and dtype and is writable (a gradient). */
gc_status gc_gram_check_like_input(gc_context *ctx, const gc_tensor *input, const gc_tensor *t,
                                   const char *op, const char *what);

/* Optimised drivers (gram.c, gram_backward.c). */
gc_status gc_gram_forward_run(gc_context *ctx, const gc_gram_problem *p, const gc_gram_gview *g);
/* grad (strides gs, input-shaped) = (accumulate ? grad : 0) + beta * (S) Fc with
 * S = dG + dG^T (dG from `dg`), the row-mean subtraction being identically zero (see
 * gram_backward.c). */
gc_status gc_gram_backward_run(gc_context *ctx, const gc_gram_problem *p, const gc_gram_gview *dg,
                               double beta, int accumulate, const gc_tensor *grad);

/* ---- kernel sets (gram.c) ---------------------------------------------------------------- */
/* The k-major sets (the Gram backward, the convolution drivers, and the Gram forward where
 * gc_gram_fwd_kernels_for has nothing else). */
gc_gram_kernels gc_gram_kernels_for(gc_isa isa, gc_dtype dt);
/* The Gram forward's set (gram.c, tile_gram.c): the quad set for float32 on AVX-512, else
 * gc_gram_kernels_for. */
gc_gram_kernels gc_gram_fwd_kernels_for(gc_isa isa, gc_dtype dt);
/* Whether the forward of M (padded to panels) runs bands one tile high from L1 (gram.c). */
int gc_gram_l1_bands(const gc_gram_kernels *kern, int64_t mpad);
/* Columns per forward chunk for a kernel set and M padded to panels (gram.c). */
int64_t gc_gram_chunk_cols(const gc_gram_kernels *kern, int64_t mpad);
/* The bf16 forward kernel set (AVX512-BF16): 0 and *k untouched where the CPU, the build or
 * the context's ISA cannot run it. */
int gc_gram_bf16_kernels(gc_context *ctx, gc_gram_kernels *k);
/* x rounded to bfloat16 (nearest even), returned as a float: the reference's emulation. */
float gc_bf16_round(float x);
/* 1 if the context's ISA is AVX-512 and the CPU (and build) have AVX512-BF16. */
int gc_bf16_available(gc_context *ctx);

#endif /* GC_GRAM_H */
