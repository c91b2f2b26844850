/* ts_project_scalar.c - the portable projection kernel of the texture score (contract in
 * kernels/ts_project.h): descriptor by descriptor, GC_TS_KB directions at a time, each product
 * rounded before it is added. The AVX2 kernel gives the same bits. */
#include "kernels/ts_project.h"

void gc_ts_project_f64_scalar(const double *X, int64_t n, int64_t D, const double *ut,
                              double *P, int64_t ldp)
{
    for (int64_t r = 0; r < n; r++) {
        double a[GC_TS_KB] = {0};
        const double *x = X + r * D;
        for (int64_t d = 0; d < D; d++) {
            const double *u = ut + d * GC_TS_KB;
            for (int k = 0; k < GC_TS_KB; k++) {
                const double prod = x[d] * u[k];
                a[k] += prod;
            }
        }
        for (int k = 0; k < GC_TS_KB; k++)
            P[k * ldp + r] = a[k];
    }
}
