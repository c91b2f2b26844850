/* ts_project_avx2.c - the AVX2 projection kernel of the texture score (kernels/ts_project.h):
 * 4 descriptors x GC_TS_KB directions per step, products and sums as separate instructions
 * (no FMA) in the scalar kernel's order, so both give the same bits. */
#include "kernels/ts_project.h"

/* one dtype, written by hand in the folder's vocabulary (kernels/avx2/simd.h) */
#define GC_DT f64
#include "kernels/avx2/simd.h"

void gc_ts_project_f64_avx2(const double *X, int64_t n, int64_t D, const double *ut,
                            double *P, int64_t ldp)
{
    int64_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const double *x0 = X + r * D, *x1 = x0 + D, *x2 = x1 + D, *x3 = x2 + D;
        VT a00 = V_ZERO(), a01 = a00, a10 = a00, a11 = a00;
        VT a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int64_t d = 0; d < D; d++) {
            const VT u0 = V_LOADU(ut + d * GC_TS_KB);
            const VT u1 = V_LOADU(ut + d * GC_TS_KB + W);
            VT b = V_BCAST(x0 + d);
            a00 = V_ADD(a00, V_MUL(b, u0));
            a01 = V_ADD(a01, V_MUL(b, u1));
            b = V_BCAST(x1 + d);
            a10 = V_ADD(a10, V_MUL(b, u0));
            a11 = V_ADD(a11, V_MUL(b, u1));
            b = V_BCAST(x2 + d);
            a20 = V_ADD(a20, V_MUL(b, u0));
            a21 = V_ADD(a21, V_MUL(b, u1));
            b = V_BCAST(x3 + d);
            a30 = V_ADD(a30, V_MUL(b, u0));
            a31 = V_ADD(a31, V_MUL(b, u1));
        }
        double t[4][GC_TS_KB];
        V_STOREU(t[0], a00);
        V_STOREU(t[0] + W, a01);
        V_STOREU(t[1], a10);
        V_STOREU(t[1] + W, a11);
        V_STOREU(t[2], a20);
        V_STOREU(t[2] + W, a21);
        V_STOREU(t[3], a30);
        V_STOREU(t[3] + W, a31);
        for (int k = 0; k < GC_TS_KB; k++)
            for (int i = 0; i < 4; i++)
                P[k * ldp + r + i] = t[i][k];
    }
    if (r < n)
        gc_ts_project_f64_scalar(X + r * D, n - r, D, ut, P + r, ldp);
}
