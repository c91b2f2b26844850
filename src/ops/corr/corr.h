/* src/ops/corr/ - layer 2, cross-correlation and convolution (xcorr2, conv2, xcorr3, conv3):
 * the shape checks (corr_shape.c), the plain-loop reference (corr_ref.c), the direct driver
 * over the block kernels of src/kernels/ (corr.c), the FFT path with its boundaries and plans
 * (corr_fft.c, corr_boundary.c, fft_plan.c) and the choice between them (corr_method.c). It
 * includes base/ and kernels/ only. */
/* corr.h - the validated, rank-normalised form of a correlation request, shared by the
 * reference kernel (corr_ref.c) and the optimised driver (corr.c). */
#ifndef GC_CORR_H
#define GC_CORR_H

#include "kernels/corr_block.h"

typedef enum gc_corr_pairing {
    GC_PAIR_SINGLE = 0,   /* S with K */
    GC_PAIR_PLANEWISE = 1,/* p x S with p x K: plane i with kernel i */
    GC_PAIR_SUM = 2       /* p x S with q x p x K: out j = sum_i */
} gc_corr_pairing;

/* Everything is expressed in 3 spatial dims (depth 1 for the 2-D ops). */
typedef struct gc_corr_problem {
    gc_corr_pairing pairing;
    int flip;                 /* conv: kernel turned in every spatial dim */
    gc_dtype dtype;
    int64_t nin;              /* input planes P (1 for SINGLE) */
    int64_t nout;             /* output planes (1, P, or Q) */
    int64_t n[3];             /* input spatial D, H, W */
    int64_t k[3];             /* kernel spatial */
    int64_t o[3];             /* output spatial */
    int64_t pad[3];           /* out[y] reads in[y + ky - pad] with the (flipped) kernel */
    /* element strides of the input (plane, d, h, w), kernel (out, in, d, h, w), output
     * (plane, d, h, w); dims absent from a rank get stride 0 */
    int64_t in_s[4], k_s[5], out_s[4];
    const void *in, *ker;
    void *out;
    int out_rank;
    int64_t out_dims[GC_MAX_RANK];
    /* Values read outside the input (modes F, S): FILL with fill 0 is zero padding, the only
     * case gc_corr_run and the FFT path take directly; gc_corr pads other boundaries into a
     * workspace first (corr_boundary.c). Zero-initialised: zeros. */
    gc_boundary boundary;
    double fill;
} gc_corr_problem;

/* Validate desc/input/kernel (and output if non-NULL) and fill *p. */
gc_status gc_corr_prepare(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                          const gc_tensor *kernel, const gc_tensor *output, gc_corr_problem *p);

/* Run a prepared problem on the optimised path. Other ops (conv2d) build problems directly:
 * pad may be any value (negative crops), o[] any output size >= 1, strides anything valid. */
gc_status gc_corr_run(gc_context *ctx, const gc_corr_problem *p, void *workspace,
                      size_t workspace_bytes);
/* Bytes of (64-byte aligned) workspace gc_corr_run needs with ctx's thread count; given NULL
 * it allocates that much itself. */
gc_status gc_corr_workspace(gc_context *ctx, const gc_corr_problem *p, size_t *bytes);

/* Index i (any integer) of a dimension of size n mapped into [0, n) by a boundary other than
 * FILL (corr_boundary.c). */
int64_t gc_boundary_index(gc_boundary b, int64_t i, int64_t n);

#endif /* GC_CORR_H */
