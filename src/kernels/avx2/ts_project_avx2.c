/* ts_project_avx2.c - the AVX2 projection kernel of the texture score (kernels/ts_project.h):
 * 4 descriptors x GC_TS_KB directions per step, products and sums as separate instructions
 * (no FMA) in the scalar kernel's order, so both give the same bits. */
#include "kernels/ts_project.h"

#include <immintrin.h>

void gc_ts_project_avx2(const double *X, int64_t n, int64_t D, const double *ut, double *P,
                        int64_t ldp)
{
    int64_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const double *x0 = X + r * D, *x1 = x0 + D, *x2 = x1 + D, *x3 = x2 + D;
        __m256d a00 = _mm256_setzero_pd(), a01 = a00, a10 = a00, a11 = a00;
        __m256d a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int64_t d = 0; d < D; d++) {
            const __m256d u0 = _mm256_loadu_pd(ut + d * GC_TS_KB);
            const __m256d u1 = _mm256_loadu_pd(ut + d * GC_TS_KB + 4);
            __m256d b = _mm256_broadcast_sd(x0 + d);
            a00 = _mm256_add_pd(a00, _mm256_mul_pd(b, u0));
            a01 = _mm256_add_pd(a01, _mm256_mul_pd(b, u1));
            b = _mm256_broadcast_sd(x1 + d);
            a10 = _mm256_add_pd(a10, _mm256_mul_pd(b, u0));
            a11 = _mm256_add_pd(a11, _mm256_mul_pd(b, u1));
            b = _mm256_broadcast_sd(x2 + d);
            a20 = _mm256_add_pd(a20, _mm256_mul_pd(b, u0));
            a21 = _mm256_add_pd(a21, _mm256_mul_pd(b, u1));
            b = _mm256_broadcast_sd(x3 + d);
            a30 = _mm256_add_pd(a30, _mm256_mul_pd(b, u0));
            a31 = _mm256_add_pd(a31, _mm256_mul_pd(b, u1));
        }
        double t[4][GC_TS_KB];
        _mm256_storeu_pd(t[0], a00);
        _mm256_storeu_pd(t[0] + 4, a01);
        _mm256_storeu_pd(t[1], a10);
        _mm256_storeu_pd(t[1] + 4, a11);
        _mm256_storeu_pd(t[2], a20);
        _mm256_storeu_pd(t[2] + 4, a21);
        _mm256_storeu_pd(t[3], a30);
        _mm256_storeu_pd(t[3] + 4, a31);
        for (int k = 0; k < GC_TS_KB; k++)
            for (int i = 0; i < 4; i++)
                P[k * ldp + r + i] = t[i][k];
    }
    if (r < n)
        gc_ts_project_scalar(X + r * D, n - r, D, ut, P + r, ldp);
}
