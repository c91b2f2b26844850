/* src/ops/conv2d/ - layer 2, SpatialConvolution (conv2d) forward and backward: the shape
 * checks (conv2d_shape.c), the plain-loop reference (conv2d_ref.c), the dispatcher
 * (conv2d.c) and its paths: im2col + GEMM, the stride-1 shift GEMM, Winograd, and the weight
 * gradients (conv2d_*.c). It includes base/, kernels/ and the other ops. */
/* conv2d.h - the validated form of a SpatialConvolution request, shared by the reference
 * (conv2d_ref.c) and the fast paths (conv2d.c). */
#ifndef GC_CONV2D_H
#define GC_CONV2D_H

#include "base/internal.h"

typedef struct gc_conv2d_problem {
    gc_dtype dtype;
    int batched;                  /* input given as N x C x H x W (else C x H x W, N = 1) */
    int64_t N, C, H, W, O, KH, KW, G, Cg, Og, OH, OW;
    int64_t sh, sw, dh, dw;
    int64_t pt, pb, pl, pr;       /* padding before/after, height then width */
    gc_boundary pmode;
    int64_t in_s[4], w_s[4], out_s[4], b_s; /* element strides; N stride 0 when unbatched */
    int bf16;                     /* GC_PRECISION_BF16 asked (float32 tensors): the forward
                                     pass runs the GEMM path's bfloat16 kernel */
} gc_conv2d_problem;

/* Validate geometry from the shapes of input (or grad_input), weight and, if non-NULL, the
 * output-shaped tensor (output or grad_output) and bias. */
gc_status gc_conv2d_prepare(gc_context *ctx, const gc_conv2d_desc *desc, const gc_tensor *input,
                            const gc_tensor *weight, const gc_tensor *output,
                            const gc_tensor *bias, gc_conv2d_problem *p);

/* The boundaries conv2d pads with (PyTorch's padding modes): FILL (zeros), REFLECT, REPLICATE,
 * WRAP (circular). SYMM and values outside the enum are refused. */
static inline int gc_conv2d_padding_mode_ok(gc_boundary mode)
{
    return mode == GC_BOUNDARY_FILL || mode == GC_BOUNDARY_REFLECT ||
           mode == GC_BOUNDARY_REPLICATE || mode == GC_BOUNDARY_WRAP;
}

/* Index into the input for padded coordinate i of a dim of size n (before-padding already
 * subtracted): the source index, or -1 for a zero. */
static inline int64_t gc_pad_index(int64_t i, int64_t n, gc_boundary mode)
{
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case GC_BOUNDARY_FILL: return -1;
    case GC_BOUNDARY_REFLECT: return i < 0 ? -i : 2 * (n - 1) - i; /* pad < n checked */
    case GC_BOUNDARY_REPLICATE: return i < 0 ? 0 : n - 1;
    case GC_BOUNDARY_WRAP: return ((i % n) + n) % n;
    case GC_BOUNDARY_SYMM: break; /* refused by gc_conv2d_prepare */
    }
    return -1;
}

gc_status gc_conv2d_forward_reference(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                      const void *w, const void *bias, void *out);
gc_status gc_conv2d_backward_input_reference(gc_context *ctx, const gc_conv2d_problem *p,
                                             const void *gout, const void *w, void *gin);
gc_status gc_conv2d_backward_weight_reference(gc_context *ctx, const gc_conv2d_problem *p,
                                              const void *in, const void *gout, double scale,
                                              void *gw, void *gb, int64_t gw_s[4], int64_t gb_s);

/* backward_weight on the optimised path (conv2d_wgrad.c): packed-panel GEMM on the Gram
 * kernels for any geometry (a dot-product loop when the channels per group are too few to
 * fill panels). Workspace: gc_conv2d_wgrad_workspace bytes (depends on the context's ISA and
 * thread count), 64-byte aligned. */
gc_status gc_conv2d_wgrad_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes);
gc_status gc_conv2d_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                          const void *gout, double scale, void *gw, const int64_t gw_s[4],
                          void *gb, int64_t gb_s, void *ws, size_t ws_bytes);

/* Portable panel packers (conv2d_pack.c), the Gram kernels' panel format (gram.h):
 * dst[k*L + r] = src[r*lds + k*ks] for r < rows, k < kc; zero for rows <= r < L. */
void gc_cv_pack_rows(int64_t kc, int64_t rows, const void *src, int64_t lds, int64_t ks,
                     int64_t L, size_t esz, void *dst);
/* One column of that: dst[r] = src[r*lds] (src NULL: zeros), r < L. */
void gc_cv_pack_col(int64_t rows, const void *src, int64_t lds, int64_t L, size_t esz, void *dst);
/* Number of distinct values of (i*d) mod s for i < k; with idx non-NULL, idx[i] = the rank
 * (order of first appearance) of i's residue and val[rank] = the residue. */
int64_t gc_cv_residues(int64_t k, int64_t d, int64_t s, int64_t *idx, int64_t *val);

/* forward / backward_input for any geometry (conv2d_im2col.c): the shift layout of
 * conv2d_wgrad.c (input planes packed once per stride residue, a tap = a shifted window)
 * and the Gram GEMM tile kernel. Workspace: gc_conv2d_im2col_workspace bytes. */
gc_status gc_conv2d_im2col_workspace(gc_context *ctx, const gc_conv2d_problem *p,
                                     gc_conv_pass pass, size_t *bytes);
gc_status gc_conv2d_im2col_forward(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                   const void *w, const void *bias, void *out, void *ws,
                                   size_t ws_bytes);
gc_status gc_conv2d_im2col_backward_input(gc_context *ctx, const gc_conv2d_problem *p,
                                          const void *gout, const void *w, void *gin, void *ws,
                                          size_t ws_bytes);

#endif
