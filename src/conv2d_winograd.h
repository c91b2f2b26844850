/* conv2d_winograd.h - the Winograd F(4x4, 3x3) and F(2x2, 5x5) forward path (conv2d_winograd.c) and its
 * per-ISA transform kernels (conv2d_winograd_body.h, compiled in conv2d_winograd_*.c). */
#ifndef GC_CONV2D_WINOGRAD_H
#define GC_CONV2D_WINOGRAD_H

#include "conv2d.h"

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

/* Transform kernels; arrays are float (f32) or double (f64). Shapes in
 * conv2d_winograd_body.h. */
typedef void (*gc_wino_wt_fn)(const void *k, int64_t gw, void *u, int64_t uxs);
typedef void (*gc_wino_in_fn)(const void *src, int64_t cs, int64_t rs, const int64_t *off,
                              int64_t step, int64_t nc, void *v, int64_t vxs);
typedef void (*gc_wino_out_fn)(const void *m, int64_t mxs, int64_t ncol, const void *bias,
                               int64_t bs, void *out, int64_t os, int64_t ys, int64_t xs,
                               int64_t nr, int64_t nx);

#define GC_WINO_KERNELS(SFX)                                                                   \
    void gc_wino_wt_##SFX(const void *k, int64_t gw, void *u, int64_t uxs);                    \
    void gc_wino_wt5_##SFX(const void *k, int64_t gw, void *u, int64_t uxs);                   \
    void gc_wino_in_##SFX(const void *src, int64_t cs, int64_t rs, const int64_t *off,         \
                          int64_t step, int64_t nc, void *v, int64_t vxs);                     \
    void gc_wino_out_##SFX(const void *m, int64_t mxs, int64_t ncol, const void *bias,         \
                           int64_t bs, void *out, int64_t os, int64_t ys, int64_t xs,          \
                           int64_t nr, int64_t nx);                                            \
    void gc_wino_out2_##SFX(const void *m, int64_t mxs, int64_t ncol, const void *bias,        \
                            int64_t bs, void *out, int64_t os, int64_t ys, int64_t xs,         \
                            int64_t nr, int64_t nx);
GC_WINO_KERNELS(f32_scalar)
GC_WINO_KERNELS(f64_scalar)
#if defined(GC_HAVE_AVX2)
GC_WINO_KERNELS(f32_avx2)
GC_WINO_KERNELS(f64_avx2)
#endif
#if defined(GC_HAVE_AVX512)
GC_WINO_KERNELS(f32_avx512)
GC_WINO_KERNELS(f64_avx512)
#endif
#undef GC_WINO_KERNELS

#endif
