/* conv2d_winograd.h - the Winograd F(4x4, 3x3) and F(2x2, 5x5) forward path (conv2d_winograd.c) and its
 * per-ISA transform kernels (conv2d_winograd_body.h, compiled in conv2d_winograd_*.c). */
#ifndef GC_CONV2D_WINOGRAD_H
#define GC_CONV2D_WINOGRAD_H

#include "ops/conv2d/conv2d.h"
#include "kernels/winograd.h"

/* 1 if the Winograd path takes this problem: 3 x 3 or 5 x 5 kernel, stride 1, dilation 1 (any
 * padding mode, groups, batch, dtype). */
int gc_conv2d_winograd_ok(const gc_conv2d_problem *p);
/* 1 if backward_input can run on the Winograd path (as a forward correlation of grad_output
 * with the turned, transposed weights): winograd_ok, zeros padding, one group, pads <= k-1. */
int gc_conv2d_winograd_bwd_ok(const gc_conv2d_problem *p);
/* backward_input on the Winograd path; workspace: gc_conv2d_winograd_bwd_workspace bytes. */
gc_status gc_conv2d_winograd_bwd_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes);
gc_status gc_conv2d_winograd_backward_input(gc_context *ctx, const gc_conv2d_problem *p,
                                            const void *gout, const void *w, void *gin, void *ws,
                                            size_t ws_bytes);
/* 1 if AUTO should take the Winograd path: forward (or backward_input with bwd_ok, judged on
 * the forward problem it becomes) with winograd_ok, float32, Cg <= 4096; 3x3: Cg >= 16, Og >=
 * 32, at least 16 output tiles per item; 5x5: Cg, Og >= 32, at least 49 tiles (rule and
 * measurements in conv2d_winograd.c). */
int gc_conv2d_winograd_preferred(const gc_conv2d_problem *p, gc_conv_pass pass);
/* forward on the Winograd path. Workspace: gc_conv2d_winograd_workspace bytes, 64-byte
 * aligned (depends on the context's ISA and thread count: bands run one per thread). */
gc_status gc_conv2d_winograd_workspace(gc_context *ctx, const gc_conv2d_problem *p, size_t *bytes);
gc_status gc_conv2d_winograd_forward(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                     const void *w, const void *bias, void *out, void *ws,
                                     size_t ws_bytes);

#endif
