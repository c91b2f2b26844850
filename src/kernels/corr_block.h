/* kernels/corr_block.h - the correlation's block kernels (kernels/{scalar,avx2,avx512}/
 * corr_block_*.c; driver ops/corr/corr.c). Private. */
#ifndef GC_KERNELS_CORR_BLOCK_H
#define GC_KERNELS_CORR_BLOCK_H

#include "base/internal.h"

/* ---- correlation block kernels ------------------------------------------------------ */
/*
 * One block of output for the correlation driver (corr.c):
 *   for jb in [0, nout), r in [0, nrows), x in [0, ow):
 *     out[jb*out_plane_stride + r*out_row_stride + x]  (=, or += if accumulate)
 *       sum over t in [0, nterms), ky in [0, kh), kx in [0, kw) of
 *         rows[t*(nrows+kh-1) + r+ky][x+kx] * kernels[t][jb*kernel_out_stride + ky*kw + kx]
 * Each row pointer gives ow+kw-1 readable elements. The kernel is already flipped for conv.
 * A "term" is one (input plane, kernel depth slice) pair that feeds every output plane of the
 * block; the sum over terms runs in increasing t, and, within a term, in (ky, kx) order
 * or any fixed order that depends only on the block's shape (never on the thread count).
 * out rows are contiguous in x; planes and rows may be anywhere.
 */
typedef struct gc_corr_block_f32 {
    float *out;
    int64_t out_plane_stride, out_row_stride;
    int64_t nout, nrows, ow;
    int64_t nterms;
    const float *const *rows;     /* nterms * (nrows + kh - 1) row pointers, term-major */
    const float *const *kernels;  /* nterms pointers to kh*kw kernels (output plane 0) */
    int64_t kernel_out_stride;    /* elements between the kernels of output planes jb, jb+1 */
    int64_t kh, kw;
    int accumulate;
} gc_corr_block_f32;

typedef struct gc_corr_block_f64 {
    double *out;
    int64_t out_plane_stride, out_row_stride;
    int64_t nout, nrows, ow;
    int64_t nterms;
    const double *const *rows;     /* nterms * (nrows + kh - 1) row pointers, term-major */
    const double *const *kernels;  /* nterms pointers to kh*kw kernels (output plane 0) */
    int64_t kernel_out_stride;    /* elements between the kernels of output planes jb, jb+1 */
    int64_t kh, kw;
    int accumulate;
} gc_corr_block_f64;

typedef void (*gc_corr_block_f32_fn)(const gc_corr_block_f32 *b);
typedef void (*gc_corr_block_f64_fn)(const gc_corr_block_f64 *b);

/* Block sizes the driver should use with a kernel set. */
typedef struct gc_corr_kernels {
    gc_corr_block_f32_fn f32;
    gc_corr_block_f64_fn f64;
    int64_t max_nout;  /* output planes per block the kernel handles best (>= 1) */
    int64_t rows;      /* output rows per block it handles best (>= 1) */
} gc_corr_kernels;

void gc_corr_block_f32_scalar(const gc_corr_block_f32 *b);
void gc_corr_block_f64_scalar(const gc_corr_block_f64 *b);
#if defined(GC_HAVE_AVX2)
void gc_corr_block_f32_avx2(const gc_corr_block_f32 *b);
void gc_corr_block_f64_avx2(const gc_corr_block_f64 *b);
#endif
#if defined(GC_HAVE_AVX512)
void gc_corr_block_f32_avx512(const gc_corr_block_f32 *b);
void gc_corr_block_f64_avx512(const gc_corr_block_f64 *b);
#endif
/* The kernel set for an ISA (falls back to scalar for ISAs this build lacks). */
gc_corr_kernels gc_corr_kernels_for(gc_isa isa);

#endif /* GC_KERNELS_CORR_BLOCK_H */
