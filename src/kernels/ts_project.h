/* kernels/ts_project.h - the projection kernels behind gc_texture_score_compute
 * (synth/texture_score.c; kernels/{scalar,avx2}/ts_project_*.c). Private. */
#ifndef GC_KERNELS_TS_PROJECT_H
#define GC_KERNELS_TS_PROJECT_H

#include <stdint.h>

/* Directions per projection block (and per parallel task). */
#define GC_TS_KB 8

/* P[k ldp + r] = sum over d in [0, D), in increasing d, of X[r D + d] * ut[d GC_TS_KB + k], for
 * r in [0, n) and k in [0, GC_TS_KB): each product rounded, then added (no fused
 * multiply-add), so every kernel gives the same bits. */
void gc_ts_project_f64_scalar(const double *X, int64_t n, int64_t D, const double *ut,
                              double *P, int64_t ldp);
#if defined(GC_HAVE_AVX2)
void gc_ts_project_f64_avx2(const double *X, int64_t n, int64_t D, const double *ut,
                            double *P, int64_t ldp);
#endif

#endif /* GC_KERNELS_TS_PROJECT_H */
