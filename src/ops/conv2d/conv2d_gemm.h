/* conv2d_gemm.h - the stride-1 "shift GEMM" path of SpatialConvolution (conv2d_gemm.c):
 * forward and backward_input as one GEMM per group, out[Cout x pixels] = W[Cout x Cin*taps]
 * x shifted views of a flattened, row-pitched plane (no patch copy), on a register tile of
 * output channels x pixels of the flattened plane (rows of 14 or 28 do not waste lanes). */
#ifndef GC_CONV2D_GEMM_H
#define GC_CONV2D_GEMM_H

#include "ops/conv2d/conv2d.h"

#include "kernels/conv2d_gemm_tile.h"

/* The kernel set for an ISA and dtype (conv2d_gemm.c). */
gc_cg_kernels gc_cg_kernels_for(gc_isa isa, gc_dtype dt);

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
