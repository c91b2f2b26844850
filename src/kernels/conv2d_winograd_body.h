/* conv2d_winograd_body.h - the Winograd F(4x4, 3x3) and F(2x2, 5x5) transforms as plain
 * loops over a short vector dimension, written once and compiled per ISA (conv2d_winograd_scalar.c,
 * _avx2.c, _avx512.c) so the compiler vectorises them with that file's flags. Instantiated
 * per dtype as kernels/kernel_name.h describes (GC_DT, then the folder's simd.h: GC_ISA, T
 * and GC_AI); defines gc_wino_{wt,wt5,in,out,out2}_<dtype>_<isa> (contract in winograd.h).
 *
 * Matrices (Lavin & Gray, points 0, +-1, +-2, infinity):
 *   B^T d:  r0 = 4 d0 - 5 d2 + d4          r3 = -2 d1 - d2 + 2 d3 + d4
 *           r1 = -4 d1 - 4 d2 + d3 + d4    r4 = 2 d1 - d2 - 2 d3 + d4
 *           r2 = 4 d1 - 4 d2 - d3 + d4     r5 = 4 d1 - 5 d3 + d5
 *   G g:    u0 = g0 / 4                    u3 = g0 / 24 + g1 / 12 + g2 / 6   (the fractions
 *                                                                      as rounded constants)
 *           u1 = -(g0 + g1 + g2) / 6       u4 = g0 / 24 - g1 / 12 + g2 / 6
 *           u2 = -(g0 - g1 + g2) / 6       u5 = g2
 *   A^T m:  y0 = m0 + m1 + m2 + m3 + m4    y2 = m1 + m2 + 4 m3 + 4 m4
 *           y1 = m1 - m2 + 2 m3 - 2 m4     y3 = m1 - m2 + 8 m3 - 8 m4 + m5
 * so that y = A^T [(G g G^T) .* (B^T d B)] A is the 4 x 4 valid correlation of the 6 x 6
 * input tile d with the 3 x 3 kernel g. Transform position xi = 6 * row + column.
 *
 * F(2x2, 5x5) on the same six points has the same B^T (it depends only on the points; the
 * normalisations 1 / prod_{q != p} (p - q) = 1/4, -1/6, -1/6, 1/24, 1/24 sit in G):
 *   G g:    u0 = g0 / 4            u1 = -(g0 + g1 + g2 + g3 + g4) / 6
 *           u5 = g4                u2 = -(g0 - g1 + g2 - g3 + g4) / 6
 *           u3 = (g0 + 2 g1 + 4 g2 + 8 g3 + 16 g4) / 24
 *           u4 = (g0 - 2 g1 + 4 g2 - 8 g3 + 16 g4) / 24
 *   A^T m:  y0 = m0 + m1 + m2 + m3 + m4           y1 = m1 - m2 + 2 m3 - 2 m4 + m5
 * (row i of A^T holds the points to the power i, and 1 at infinity in the last row). */

#if !defined(GC_DT) || !defined(T)
#error "define GC_DT and include the folder's simd.h before conv2d_winograd_body.h"
#endif

#define GC_WINO_LANES 8  /* tiles per input-transform call (the V panel width) */
#define GC_WINO_GWMAX 48 /* widest GEMM tile (columns = output channels) */

/* 1D B^T over 6 values of a lane vector: r[i][l] from d[i][l], i < 6, l < n. */
#define GC_WINO_BT(r, d, n)                                                                    \
    for (int l = 0; l < (n); l++) {                                                            \
        const T d0 = d[0][l], d1 = d[1][l], d2 = d[2][l], d3 = d[3][l], d4 = d[4][l],          \
                d5 = d[5][l];                                                                  \
        r[0][l] = 4 * d0 - 5 * d2 + d4;                                                        \
        r[1][l] = -4 * (d1 + d2) + d3 + d4;                                                    \
        r[2][l] = 4 * (d1 - d2) - d3 + d4;                                                     \
        r[3][l] = 2 * (d3 - d1) - d2 + d4;                                                     \
        r[4][l] = 2 * (d1 - d3) - d2 + d4;                                                     \
        r[5][l] = 4 * d1 - 5 * d3 + d5;                                                        \
    }

/* Weight transform of one input channel for gw (<= GC_WINO_GWMAX) output channels.
 * Shape: k[(3a + b)*gw + o], a, b < 3, o < gw  ->  u[xi*uxs + o], xi < 36. */
GC_AI void GC_KN(wino_wt_body)(const void *kp, int64_t gw, void *up, int64_t uxs)
{
    const T c4 = (T)0.25, c6 = (T)(1.0 / 6), c12 = (T)(1.0 / 12), c24 = (T)(1.0 / 24);
    const T *restrict k = kp;
    T *restrict u = up;
    T t[6][3][GC_WINO_GWMAX];
    /* t = G k (over the rows a) */
    for (int b = 0; b < 3; b++) {
        const T *k0 = k + b * gw, *k1 = k0 + 3 * gw, *k2 = k1 + 3 * gw;
        for (int64_t o = 0; o < gw; o++) {
            const T g0 = k0[o], g1 = k1[o], g2 = k2[o];
            const T e = g0 * c24 + g2 * c6, f = g1 * c12;
            t[0][b][o] = g0 * c4;
            t[1][b][o] = -(g0 + g1 + g2) * c6;
            t[2][b][o] = -(g0 - g1 + g2) * c6;
            t[3][b][o] = e + f;
            t[4][b][o] = e - f;
            t[5][b][o] = g2;
        }
    }
    /* u = t G^T (over the columns b); ivdep: GCC's alias checks give up on six output rows
     * of one array and fall back to scalar code (the rows are uxs >= gw apart) */
    for (int i = 0; i < 6; i++) {
        T *restrict r0 = u + (int64_t)(6 * i) * uxs, *restrict r1 = r0 + uxs, *restrict r2 = r1 + uxs,
                    *restrict r3 = r2 + uxs, *restrict r4 = r3 + uxs, *restrict r5 = r4 + uxs;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC ivdep
#endif
        for (int64_t o = 0; o < gw; o++) {
            const T g0 = t[i][0][o], g1 = t[i][1][o], g2 = t[i][2][o];
            const T e = g0 * c24 + g2 * c6, f = g1 * c12;
            r0[o] = g0 * c4;
            r1[o] = -(g0 + g1 + g2) * c6;
            r2[o] = -(g0 - g1 + g2) * c6;
            r3[o] = e + f;
            r4[o] = e - f;
            r5[o] = g2;
        }
    }
}

/* 1D G of F(2x2, 5x5) over 5 values of a lane vector: r[i][o] from g[0..4][o], i < 6. */
#define GC_WINO_G5(r0, r1, r2, r3, r4, r5, g0, g1, g2, g3, g4)                                 \
    do {                                                                                       \
        const T e_ = (g0) + (g2) + (g4), f_ = (g1) + (g3);                                     \
        const T e2_ = (g0) + 4 * (g2) + 16 * (g4), f2_ = 2 * (g1) + 8 * (g3);                  \
        r0 = (g0) * c4;                                                                        \
        r1 = -(e_ + f_) * c6;                                                                  \
        r2 = -(e_ - f_) * c6;                                                                  \
        r3 = (e2_ + f2_) * c24;                                                                \
        r4 = (e2_ - f2_) * c24;                                                                \
        r5 = (g4);                                                                             \
    } while (0)

/* Weight transform of F(2x2, 5x5), one input channel for gw (<= GC_WINO_GWMAX) output
 * channels. Shape: k[(5a + b)*gw + o], a, b < 5, o < gw  ->  u[xi*uxs + o], xi < 36. */
GC_AI void GC_KN(wino_wt5_body)(const void *kp, int64_t gw, void *up, int64_t uxs)
{
    const T c4 = (T)0.25, c6 = (T)(1.0 / 6), c24 = (T)(1.0 / 24);
    const T *restrict k = kp;
    T *restrict u = up;
    T t[6][5][GC_WINO_GWMAX];
    /* t = G k (over the rows a) */
    for (int b = 0; b < 5; b++)
        for (int64_t o = 0; o < gw; o++)
            GC_WINO_G5(t[0][b][o], t[1][b][o], t[2][b][o], t[3][b][o], t[4][b][o], t[5][b][o],
                       k[b * gw + o], k[(5 + b) * gw + o], k[(10 + b) * gw + o],
                       k[(15 + b) * gw + o], k[(20 + b) * gw + o]);
    /* u = t G^T (over the columns b); ivdep as in gc_wino_wt */
    for (int i = 0; i < 6; i++) {
        T *restrict r0 = u + (int64_t)(6 * i) * uxs, *restrict r1 = r0 + uxs, *restrict r2 = r1 + uxs,
                    *restrict r3 = r2 + uxs, *restrict r4 = r3 + uxs, *restrict r5 = r4 + uxs;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC ivdep
#endif
        for (int64_t o = 0; o < gw; o++)
            GC_WINO_G5(r0[o], r1[o], r2[o], r3[o], r4[o], r5[o], t[i][0][o], t[i][1][o],
                       t[i][2][o], t[i][3][o], t[i][4][o]);
    }
}
#undef GC_WINO_G5

/* The two weight transforms with the common widths (the packed column blocks: 16 float or 8
 * double lanes on AVX-512, 8 float on AVX2) as constants, so the compiler drops the loop
 * control (the driver calls them once per channel and 16 output channels). */
#define GC_WINO_WIDTHS(body)                                                                   \
    do {                                                                                       \
        if (gw == 16)                                                                          \
            body(kp, 16, up, uxs);                                                             \
        else if (gw == 8)                                                                      \
            body(kp, 8, up, uxs);                                                              \
        else                                                                                   \
            body(kp, gw, up, uxs);                                                             \
    } while (0)
void GC_KN(wino_wt)(const void *kp, int64_t gw, void *up, int64_t uxs)
{
    GC_WINO_WIDTHS(GC_KN(wino_wt_body));
}

void GC_KN(wino_wt5)(const void *kp, int64_t gw, void *up, int64_t uxs)
{
    GC_WINO_WIDTHS(GC_KN(wino_wt5_body));
}
#undef GC_WINO_WIDTHS

/* Input transform of GC_WINO_LANES tiles over nc channels. Tile l's 6 x 6 window of channel c
 * starts at src[c*cs + off[l]] (rows rs apart, columns contiguous); step: the tile width (4
 * or 2), for the fast path of tiles consecutive in one row.
 * Shape: -> v[xi*vxs + c*GC_WINO_LANES + l], xi < 36, c < nc, l < GC_WINO_LANES. */
void GC_KN(wino_in)(const void *srcp, int64_t cs, int64_t rs, const int64_t *off, int64_t step,
                    int64_t nc, void *vp, int64_t vxs)
{
    const T *src = srcp;
    T *v = vp;
    enum { NL = GC_WINO_LANES };
    int row = step == 4; /* the tiles are consecutive in one row: windows 4 apart */
    for (int l = 1; l < NL; l++)
        row &= off[l] == off[0] + 4 * l;
    for (int64_t c = 0; c < nc; c++) {
        T d[6][6][NL], r[6][6][NL];
        const T *s = src + c * cs;
        if (row) {
            const T *s0 = s + off[0];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                    for (int l = 0; l < NL; l++)
                        d[i][j][l] = s0[i * rs + 4 * l + j];
        } else {
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                    for (int l = 0; l < NL; l++)
                        d[i][j][l] = s[off[l] + i * rs + j];
        }
        /* columns: r[i][j] = sum_k BT[i][k] d[k][j] */
        for (int j = 0; j < 6; j++) {
            T dc[6][NL], rc[6][NL];
            for (int i = 0; i < 6; i++)
                for (int l = 0; l < NL; l++)
                    dc[i][l] = d[i][j][l];
            GC_WINO_BT(rc, dc, NL)
            for (int i = 0; i < 6; i++)
                for (int l = 0; l < NL; l++)
                    r[i][j][l] = rc[i][l];
        }
        /* rows: V[i][j] = sum_k r[i][k] BT[j][k] */
        for (int i = 0; i < 6; i++) {
            T rr[6][NL];
            GC_WINO_BT(rr, r[i], NL)
            for (int j = 0; j < 6; j++) {
                T *dst = v + (int64_t)(6 * i + j) * vxs + c * NL;
                for (int l = 0; l < NL; l++)
                    dst[l] = rr[j][l];
            }
        }
    }
}

/* Output transform of one tile for ncol output channels, plus bias (NULL: none), clipped to
 * the nr x nx (<= 4 x 4) part inside the output.
 * Shape: m[xi*mxs + o], xi < 36, o < ncol  ->  out[o*os + y*ys + x*xs], y < nr, x < nx. */
void GC_KN(wino_out)(const void *mp, int64_t mxs, int64_t ncol, const void *biasp, int64_t bs,
                     void *outp, int64_t os, int64_t ys, int64_t xs, int64_t nr, int64_t nx)
{
    const T *m = mp, *bias = biasp;
    T *out = outp;
    T t[4][6][GC_WINO_GWMAX], y[4][4][GC_WINO_GWMAX], b[GC_WINO_GWMAX];
    for (int64_t o = 0; o < ncol; o++)
        b[o] = bias ? bias[o * bs] : (T)0;
    /* t = A^T m over the rows */
    for (int j = 0; j < 6; j++) {
        const T *m0 = m + (int64_t)j * mxs, *m1 = m0 + 6 * mxs, *m2 = m1 + 6 * mxs,
                *m3 = m2 + 6 * mxs, *m4 = m3 + 6 * mxs, *m5 = m4 + 6 * mxs;
        for (int64_t o = 0; o < ncol; o++) {
            const T p1 = m1[o] + m2[o], q1 = m1[o] - m2[o];
            const T p2 = m3[o] + m4[o], q2 = m3[o] - m4[o];
            t[0][j][o] = m0[o] + p1 + p2;
            t[1][j][o] = q1 + 2 * q2;
            t[2][j][o] = p1 + 4 * p2;
            t[3][j][o] = q1 + 8 * q2 + m5[o];
        }
    }
    /* y = t A over the columns, + bias */
    for (int i = 0; i < 4; i++)
        for (int64_t o = 0; o < ncol; o++) {
            const T p1 = t[i][1][o] + t[i][2][o], q1 = t[i][1][o] - t[i][2][o];
            const T p2 = t[i][3][o] + t[i][4][o], q2 = t[i][3][o] - t[i][4][o];
            y[i][0][o] = t[i][0][o] + p1 + p2 + b[o];
            y[i][1][o] = q1 + 2 * q2 + b[o];
            y[i][2][o] = p1 + 4 * p2 + b[o];
            y[i][3][o] = q1 + 8 * q2 + t[i][5][o] + b[o];
        }
    for (int64_t o = 0; o < ncol; o++)
        for (int64_t i = 0; i < nr; i++)
            for (int64_t x = 0; x < nx; x++)
                out[o * os + i * ys + x * xs] = y[i][x][o];
}

/* Output transform of F(2x2, 5x5), one tile for ncol output channels, plus bias (NULL:
 * none), clipped to the nr x nx (<= 2 x 2) part inside the output.
 * Shape: m[xi*mxs + o], xi < 36, o < ncol  ->  out[o*os + y*ys + x*xs], y < nr, x < nx. */
void GC_KN(wino_out2)(const void *mp, int64_t mxs, int64_t ncol, const void *biasp, int64_t bs,
                      void *outp, int64_t os, int64_t ys, int64_t xs, int64_t nr, int64_t nx)
{
    const T *m = mp, *bias = biasp;
    T *out = outp;
    T t[2][6][GC_WINO_GWMAX], y[2][2][GC_WINO_GWMAX], b[GC_WINO_GWMAX];
    for (int64_t o = 0; o < ncol; o++)
        b[o] = bias ? bias[o * bs] : (T)0;
    /* t = A^T m over the rows */
    for (int j = 0; j < 6; j++) {
        const T *m0 = m + (int64_t)j * mxs, *m1 = m0 + 6 * mxs, *m2 = m1 + 6 * mxs,
                *m3 = m2 + 6 * mxs, *m4 = m3 + 6 * mxs, *m5 = m4 + 6 * mxs;
        for (int64_t o = 0; o < ncol; o++) {
            t[0][j][o] = m0[o] + m1[o] + m2[o] + m3[o] + m4[o];
            t[1][j][o] = m1[o] - m2[o] + 2 * (m3[o] - m4[o]) + m5[o];
        }
    }
    /* y = t A over the columns, + bias */
    for (int i = 0; i < 2; i++)
        for (int64_t o = 0; o < ncol; o++) {
            y[i][0][o] = t[i][0][o] + t[i][1][o] + t[i][2][o] + t[i][3][o] + t[i][4][o] + b[o];
            y[i][1][o] = t[i][1][o] - t[i][2][o] + 2 * (t[i][3][o] - t[i][4][o]) + t[i][5][o] + b[o];
        }
    for (int64_t o = 0; o < ncol; o++)
        for (int64_t i = 0; i < nr; i++)
            for (int64_t x = 0; x < nx; x++)
                out[o * os + i * ys + x * xs] = y[i][x][o];
}

#undef GC_WINO_BT
#undef GC_WINO_LANES
#undef GC_WINO_GWMAX
