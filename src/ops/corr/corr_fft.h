/* corr_fft.h - the FFT path of the correlation ops, its plan cache, boundary padding and the
 * automatic choice of method. Private. */
#ifndef GC_CORR_FFT_H
#define GC_CORR_FFT_H

#include "ops/corr/corr.h"

/* ---- boundaries (corr_boundary.c) ---------------------------------------------------- */
/* 1 if p reads values outside its input that are not zeros (a boundary other than zero fill
 * in mode F or S): then gc_corr pads the input first. */
int gc_corr_needs_padding(const gc_corr_problem *p);
/* *q = p on a padded copy of the input (n = o+k-1, pad 0, zero-fill); *owned is the copy,
 * to be released with gc_free. */
gc_status gc_corr_pad_input(gc_context *ctx, const gc_corr_problem *p, gc_corr_problem *q,
                            void **owned);

/* ---- plans (fft_plan.c) --------------------------------------------------------------- */
typedef enum gc_fft_kind {
    GC_FFT_R2C = 0,     /* one real row of n -> n/2+1 complex, out of place */
    GC_FFT_C2R = 1,     /* one complex row of n/2+1 -> n real, out of place */
    GC_FFT_C2C_FWD = 2, /* howmany complex transforms of n, stride `stride`, dist 1, in place */
    GC_FFT_C2C_BWD = 3,
    GC_FFT_R2C_ND = 4,  /* a rank-1..3 real array -> its half spectrum, out of place */
    GC_FFT_C2R_ND = 5   /* back (destroys its input) */
} gc_fft_kind;

/* A cached FFTW plan for this shape and these arrays' alignment (made under the planner
 * mutex on first use); NULL if FFTW could not plan it or the build has no FFTW. */
void *gc_fft_plan(gc_dtype dt, gc_fft_kind kind, int64_t n, int64_t howmany, int64_t stride,
                  void *in, void *out);
/* The same for a whole rank-1..3 array of dims[0..rank) (R2C_ND / C2R_ND). */
void *gc_fft_plan_nd(gc_dtype dt, gc_fft_kind kind, int rank, const int64_t *dims, void *in,
                     void *out);
/* Execute a plan from gc_fft_plan on new arrays of the same alignment (thread-safe). */
void gc_fft_exec(gc_dtype dt, gc_fft_kind kind, void *plan, void *in, void *out);

/* ---- the FFT correlation (corr_fft.c) ------------------------------------------------- */
/* Run p (zero padding only: pad in [0, k-1], boundary FILL with fill 0) on the FFT path. */
gc_status gc_corr_fft_run(gc_context *ctx, const gc_corr_problem *p);
/* The tiling the FFT path uses for p: output tiles of B[d] per spatial dim (depth, rows,
 * columns), each computed from the input window [t*B - pad, t*B - pad + B + k - 1) with a
 * transform of T[d] >= B[d] + k[d] - 1 points (chosen for one thread: the tiling, hence
 * every result, never depends on the thread count); *cost: the model's estimate in ns on
 * `threads` threads (corr_method.c compares it with the direct sums). */
void gc_corr_fft_tiling(const gc_corr_problem *p, int threads, int64_t T[3], int64_t B[3],
                        double *cost);

/* Bytes of workspace gc_corr_fft_run would allocate for p on `threads` threads. */
double gc_corr_fft_workspace(const gc_corr_problem *p, int threads);

/* ---- the choice (corr_method.c) ------------------------------------------------------- */
/* Resolve `requested` for p (already boundary-padded) into DIRECT or FFT. */
gc_status gc_corr_choose(gc_context *ctx, const gc_corr_problem *p, gc_corr_method requested,
                         gc_corr_method *chosen);

#endif /* GC_CORR_FFT_H */
