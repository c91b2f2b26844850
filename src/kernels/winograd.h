/* kernels/winograd.h - the Winograd F(4x4, 3x3) / F(2x2, 5x5) transform kernels
 * (kernels/{scalar,avx2,avx512}/conv2d_winograd_*.c; driver ops/conv2d/conv2d_winograd.c).
 * Private. */
#ifndef GC_KERNELS_WINOGRAD_H
#define GC_KERNELS_WINOGRAD_H

#include <stdint.h>

#include "kernels/kernel_name.h"

/* Transform kernels; arrays are float (f32) or double (f64). Shapes in
 * conv2d_winograd_body.h. */
typedef void (*gc_wino_wt_fn)(const void *k, int64_t gw, void *u, int64_t uxs);
typedef void (*gc_wino_in_fn)(const void *src, int64_t cs, int64_t rs, const int64_t *off,
                              int64_t step, int64_t nc, void *v, int64_t vxs);
typedef void (*gc_wino_out_fn)(const void *m, int64_t mxs, int64_t ncol, const void *bias,
                               int64_t bs, void *out, int64_t os, int64_t ys, int64_t xs,
                               int64_t nr, int64_t nx);

/* gc_wino_{wt,wt5,in,out,out2}_<dtype>_<isa> (kernels/kernel_name.h) */
#define GC_WINO_KERNELS(DT, ISA)                                                               \
    void GC_KERNEL(wino_wt, DT, ISA)(const void *k, int64_t gw, void *u, int64_t uxs);         \
    void GC_KERNEL(wino_wt5, DT, ISA)(const void *k, int64_t gw, void *u, int64_t uxs);        \
    void GC_KERNEL(wino_in, DT, ISA)(const void *src, int64_t cs, int64_t rs,                  \
                                     const int64_t *off, int64_t step, int64_t nc, void *v,    \
                                     int64_t vxs);                                             \
    void GC_KERNEL(wino_out, DT, ISA)(const void *m, int64_t mxs, int64_t ncol,                \
                                      const void *bias, int64_t bs, void *out, int64_t os,     \
                                      int64_t ys, int64_t xs, int64_t nr, int64_t nx);         \
    void GC_KERNEL(wino_out2, DT, ISA)(const void *m, int64_t mxs, int64_t ncol,               \
                                       const void *bias, int64_t bs, void *out, int64_t os,    \
                                       int64_t ys, int64_t xs, int64_t nr, int64_t nx);
GC_WINO_KERNELS(f32, scalar)
GC_WINO_KERNELS(f64, scalar)
#if defined(GC_HAVE_AVX2)
GC_WINO_KERNELS(f32, avx2)
GC_WINO_KERNELS(f64, avx2)
#endif
#if defined(GC_HAVE_AVX512)
GC_WINO_KERNELS(f32, avx512)
GC_WINO_KERNELS(f64, avx512)
#endif
#undef GC_WINO_KERNELS

#endif /* GC_KERNELS_WINOGRAD_H */
