/* conv2d_gemm_body.h - the shift-GEMM tile kernel (contract: gc_cg_fn in
 * kernels/conv2d_gemm_tile.h), written once over the vector vocabulary of the ISA folder's
 * simd.h (T, VT, MT, W, V_*, GC_AI, GC_DT_TARGET) and compiled per dtype as
 * kernels/kernel_name.h describes; defines gc_cg_tile_<dtype>_<isa>. The includer also
 * defines MR (output channels per tile) and NV (<= 4, vectors per tile). No include guard.
 *
 * Register tile: MR output channels x V (<= NV) vectors of the flattened pixel row; per
 * reduction channel c and tap t it loads V pixel vectors (a shifted window of plane c) once
 * and FMAs each into the MR rows with a broadcast weight. Tiles of fewer than MR rows repeat
 * the last row's weights (computed, not stored), so one code path serves every row count. */

#if !defined(GC_DT) || !defined(VT) || !defined(MR) || !defined(NV)
#error "define GC_DT, MR and NV and include the folder's simd.h before conv2d_gemm_body.h"
#endif

/* KH, KW > 0: compile-time taps (the regular tables, zrow = the tap row step); 0: tables. */
GC_AI GC_DT_TARGET void GC_KN(cg_body)(const int V, const int TAIL, const int KH, const int KW,
                                       const int FLIP, const gc_cg_call *a)
{
    const T *wp[MR];
    VT acc[MR][NV];
    const int rows = a->rows;
    const int64_t wr = a->wr, wc = a->wc, zs = a->zs, zrow = a->zrow, nred = a->nred;
    const int64_t ntaps = a->ntaps;
    const int64_t *zsh = a->zsh, *wsh = a->wsh;
    const T *z = a->z, *w = a->w, *init = a->init;
    T *out = a->out;
    const MT m = V_MASK(TAIL ? a->last : W);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        const int rr = r < rows ? r : rows - 1;
        wp[r] = w + rr * wr;
        const VT a0 = init ? V_BCAST(init + rr) : V_ZERO();
#pragma GCC unroll 8
        for (int v = 0; v < V; v++)
            acc[r][v] = a0;
    }
/* one tap: V pixel vectors at zt, weights at wp[r] + o */
#define GC_CG_TAP(zt, o)                                                                           \
    do {                                                                                           \
        VT in[NV];                                                                                 \
        _Pragma("GCC unroll 8") for (int v = 0; v < V; v++) in[v] =                               \
            (TAIL && v == V - 1) ? V_LOADM(m, (zt) + v * W) : V_LOADU((zt) + v * W);               \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                                      \
        {                                                                                          \
            const VT b = V_BCAST(wp[r] + (o));                                                     \
            _Pragma("GCC unroll 8") for (int v = 0; v < V; v++) acc[r][v] =                        \
                V_FMA(in[v], b, acc[r][v]);                                                        \
        }                                                                                          \
    } while (0)
    if (KH > 0) {
        for (int64_t c = 0; c < nred; c++) {
            const T *zc = z + c * zs;
            const int64_t wo = c * wc;
#pragma GCC unroll 8
            for (int ta = 0; ta < KH; ta++)
#pragma GCC unroll 8
                for (int tb = 0; tb < KW; tb++)
                    GC_CG_TAP(zc + ta * zrow + tb, wo + (FLIP ? KH * KW - 1 - (ta * KW + tb) : ta * KW + tb));
        }
    } else {
        for (int64_t c = 0; c < nred; c++) {
            const T *zc = z + c * zs;
            const int64_t wo = c * wc;
            for (int64_t t = 0; t < ntaps; t++)
                GC_CG_TAP(zc + zsh[t], wo + wsh[t]);
        }
    }
#undef GC_CG_TAP
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        if (r >= rows)
            break;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) {
            if (TAIL && v == V - 1)
                V_STOREM(out + r * a->ors + v * W, m, acc[r][v]);
            else
                V_STOREU(out + r * a->ors + v * W, acc[r][v]);
        }
    }
}

/* The taps' form for a call: 1 = 1x1, 3 = 3x3, 5 = 5x5 (regular tables), 0 = tables. */
GC_AI GC_DT_TARGET void GC_KN(cg_shape)(const int V, const int TAIL, const gc_cg_call *a)
{
    const int k = a->regular && a->kh == a->kw && (a->kh == 1 || a->kh == 3 || a->kh == 5) ? (int)a->kh : 0;
    if (k == 3 && a->flip)
        GC_KN(cg_body)(V, TAIL, 3, 3, 1, a);
    else if (k == 3)
        GC_KN(cg_body)(V, TAIL, 3, 3, 0, a);
    else if (k == 1)
        GC_KN(cg_body)(V, TAIL, 1, 1, 0, a);
    else if (k == 5 && a->flip)
        GC_KN(cg_body)(V, TAIL, 5, 5, 1, a);
    else if (k == 5)
        GC_KN(cg_body)(V, TAIL, 5, 5, 0, a);
    else
        GC_KN(cg_body)(V, TAIL, 0, 0, 0, a);
}

GC_DT_TARGET void GC_KN(cg_tile)(const gc_cg_call *a)
{
    const int tail = a->last < W;
#define GC_CG_CASE(V)                                                                              \
    if (tail)                                                                                      \
        GC_KN(cg_shape)(V, 1, a);                                                                  \
    else                                                                                           \
        GC_KN(cg_shape)(V, 0, a);
#if NV >= 4
    if (a->nv >= 4) {
        GC_CG_CASE(4)
        return;
    }
#endif
    if (a->nv >= 3) {
        GC_CG_CASE(3)
    } else if (a->nv == 2) {
        GC_CG_CASE(2)
    } else {
        GC_CG_CASE(1)
    }
#undef GC_CG_CASE
}
