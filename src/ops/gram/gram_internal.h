/* gram_internal.h - what the optimised Gram drivers share (gram.c, gram_backward.c,
 * gram_means.c): element offsets of F, its k stride, the row means. Not for other folders. */
#ifndef GC_GRAM_INTERNAL_H
#define GC_GRAM_INTERNAL_H

#include "ops/gram/gram.h"

static inline size_t gc_align64(size_t n) { return (n + 63) & ~(size_t)63; }

static inline int64_t gc_ioff(const int64_t *s, int64_t kw, int64_t b, int64_t i, int64_t k)
{
    return b * s[0] + i * s[1] + (k / kw) * s[2] + (k % kw) * s[3];
}

/* The stride along k if it is uniform (else -1). */
static inline int64_t gc_kstride(int64_t kh, int64_t kw, const int64_t *s)
{
    if (kh == 1)
        return s[3];
    if (kw == 1)
        return s[2];
    return s[2] == kw * s[3] ? s[3] : -1;
}

/* mu[b * m + i] = the mean over k of F[b][i][k], in float64 (fixed sum order), over
 * nthreads threads. */
gc_status gc_gram_means(gc_context *ctx, const gc_gram_problem *p, int nthreads, double *mu);

#endif
