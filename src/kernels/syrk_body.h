/* syrk_body.h - the SYRK and GEMM tiles of the k-major Gram kernel sets (contract in
 * kernels/syrk.h), written once over the vector vocabulary of the ISA folder's simd.h (T, VT,
 * W, V_*, GC_AI) and compiled per dtype as kernels/kernel_name.h describes; defines
 * gc_syrk_<dtype>_<isa> and gc_gemm_<dtype>_<isa>. The includer also defines NR (columns per
 * SYRK tile) and GR (rows per GEMM tile). Panels of L = W rows. No include guard.
 *   SYRK: acc[c*ld + r] += sum_{k<kc} a[(r/W)*ps + k*W + r%W] * b[k*W + c],  r < vW, c < NR,
 *     v <= 3 panels: 3 NR accumulators, per k: v loads + NR broadcasts + v NR FMAs; each
 *     lane sums in T in increasing k, then is added to acc in float64 (V_ACC_F64).
 *   GEMM: tile[r*3W + c] = sum_{j<m} s[j*lds + r] * b[j*3W + c],  r < GR, c < 3W: per j 3
 *     loads of b, GR broadcasts of s, 3 GR FMAs, in increasing j. */

#if !defined(GC_DT) || !defined(VT) || !defined(NR) || !defined(GR)
#error "define GC_DT, NR and GR and include the folder's simd.h before syrk_body.h"
#endif

#ifndef GC_SYRK_BODY_GEMM_ONLY /* an ISA with its own SYRK for this dtype takes the GEMM only */
GC_AI void GC_KN(syrk_v)(const int V, int64_t kc, const T *a, int64_t ps, const T *b,
                         double *acc, int64_t ld)
{
    VT c0[NR], c1[NR], c2[NR];
    /* the accumulator tile is touched once per chunk, usually from L3: fetch it now, under
     * the k loop (a column of V panels is V*W float64, (V*W + 7)/8 cache lines) */
    #pragma GCC unroll 8
    for (int j = 0; j < NR; j++)
        for (int l = 0; l < (V * W + 7) / 8; l++)
            _mm_prefetch((const char *)(acc + j * ld + l * 8), _MM_HINT_T0);
    #pragma GCC unroll 8
    for (int j = 0; j < NR; j++)
        c0[j] = c1[j] = c2[j] = V_ZERO();
    const T *a0 = a, *a1 = a + ps, *a2 = a + 2 * ps;
    for (int64_t k = 0; k < kc; k++) {
        const VT x0 = V_LOADU(a0 + k * W);
        const VT x1 = V > 1 ? V_LOADU(a1 + k * W) : x0;
        const VT x2 = V > 2 ? V_LOADU(a2 + k * W) : x0;
        const T *bk = b + k * W;
#pragma GCC unroll 8
        for (int j = 0; j < NR; j++) {
            const VT y = V_BCAST(bk + j);
            c0[j] = V_FMA(x0, y, c0[j]);
            if (V > 1)
                c1[j] = V_FMA(x1, y, c1[j]);
            if (V > 2)
                c2[j] = V_FMA(x2, y, c2[j]);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NR; j++) {
        double *d = acc + j * ld;
        V_ACC_F64(d, c0[j]);
        if (V > 1)
            V_ACC_F64(d + W, c1[j]);
        if (V > 2)
            V_ACC_F64(d + 2 * W, c2[j]);
    }
}

void GC_KN(syrk)(int64_t kc, int v, const void *a, int64_t ps, const void *b, double *acc,
                 int64_t ld)
{
    if (v >= 3)
        GC_KN(syrk_v)(3, kc, a, ps, b, acc, ld);
    else if (v == 2)
        GC_KN(syrk_v)(2, kc, a, ps, b, acc, ld);
    else
        GC_KN(syrk_v)(1, kc, a, ps, b, acc, ld);
}

#endif /* GC_SYRK_BODY_GEMM_ONLY */

void GC_KN(gemm)(int64_t m, const void *s, int64_t lds, const void *b, void *tile)
{
    const T *S = s, *B = b;
    VT c0[GR], c1[GR], c2[GR];
    #pragma GCC unroll 8
    for (int r = 0; r < GR; r++)
        c0[r] = c1[r] = c2[r] = V_ZERO();
    for (int64_t j = 0; j < m; j++) {
        const VT b0 = V_LOADU(B + j * (3 * W));
        const VT b1 = V_LOADU(B + j * (3 * W) + W);
        const VT b2 = V_LOADU(B + j * (3 * W) + 2 * W);
        const T *sj = S + j * lds;
#pragma GCC unroll 8
        for (int r = 0; r < GR; r++) {
            const VT y = V_BCAST(sj + r);
            c0[r] = V_FMA(y, b0, c0[r]);
            c1[r] = V_FMA(y, b1, c1[r]);
            c2[r] = V_FMA(y, b2, c2[r]);
        }
    }
    T *o = tile;
    #pragma GCC unroll 8
    for (int r = 0; r < GR; r++) {
        V_STOREU(o + r * (3 * W), c0[r]);
        V_STOREU(o + r * (3 * W) + W, c1[r]);
        V_STOREU(o + r * (3 * W) + 2 * W, c2[r]);
    }
}
