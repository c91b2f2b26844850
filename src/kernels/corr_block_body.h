/* corr_block_body.h - the SIMD block kernels of the correlation driver (contract in
 * kernels/corr_block.h), written once over the vector vocabulary of the ISA folder's simd.h
 * (T, VT, MT, W, V_*, GC_AI, GC_KEEP) and compiled per dtype as kernels/kernel_name.h
 * describes; defines gc_corr_block_<dtype>_<isa>. The includer also defines the tile limits
 * (GC_JBMAX, GC_RG, GC_VMAX, GC_SRB, GC_KHMAX, GC_KREGMAX, GC_STREAM_K3, GC_RB_FOR,
 * GC_TAIL_ALWAYS, GC_TAP_SHAPES, GC_STREAM_KHS, GC_PAIR_TAIL and, with paired tails,
 * GC_PJBMAX and GC_PAIR_SHAPES). No include guard. The design notes (tile kinds, sum order)
 * are at the top of corr_block_avx512.c. */

#if !defined(GC_DT) || !defined(VT) || !defined(GC_JBMAX)
#error "define GC_DT and the tile limits and include the folder's simd.h before corr_block_body.h"
#endif

/* the block descriptor of the dtype: gc_corr_block_f32 / gc_corr_block_f64 */
#define BT GC_KCAT(gc_corr_block_, GC_DT)

/* One register tile of the tap kind: planes j0..j0+JB-1, rows r0..r0+RB-1, columns
 * x0..x0+V*W-1 of which the last vector is masked by mlast when TAIL. */
GC_AI void GC_KN(tap_tile)(const BT *b, const int JB, const int RB, const int V, const int TAIL,
                           int64_t j0, int64_t r0, int64_t x0, MT mlast)
{
    const int64_t kh = b->kh, kw = b->kw, kos = b->kernel_out_stride;
    const int64_t rpt = b->nrows + kh - 1;
    VT acc[GC_JBMAX][GC_RG][GC_VMAX];
    T *op[GC_JBMAX][GC_RG];
#pragma GCC unroll 8
    for (int j = 0; j < JB; j++)
#pragma GCC unroll 8
        for (int r = 0; r < RB; r++) {
            op[j][r] = b->out + (j0 + j) * b->out_plane_stride + (r0 + r) * b->out_row_stride + x0;
#pragma GCC unroll 8
            for (int v = 0; v < V; v++) {
                if (!b->accumulate)
                    acc[j][r][v] = V_ZERO();
                else if (TAIL && v == V - 1)
                    acc[j][r][v] = V_LOADM(mlast, op[j][r] + v * W);
                else
                    acc[j][r][v] = V_LOADU(op[j][r] + v * W);
            }
        }
    for (int64_t t = 0; t < b->nterms; t++) {
        const T *kp = b->kernels[t] + j0 * kos;
        const T *const *rp = b->rows + t * rpt + r0;
        for (int64_t ky = 0; ky < kh; ky++) {
            const T *src[GC_RG];
#pragma GCC unroll 8
            for (int r = 0; r < RB; r++)
                src[r] = rp[r + ky] + x0;
            const T *kk = kp + ky * kw;
            for (int64_t kx = 0; kx < kw; kx++) {
                VT in[GC_RG][GC_VMAX];
#pragma GCC unroll 8
                for (int r = 0; r < RB; r++)
#pragma GCC unroll 8
                    for (int v = 0; v < V; v++)
                        in[r][v] = (TAIL && v == V - 1) ? V_LOADM(mlast, src[r] + kx + v * W)
                                                        : V_LOADU(src[r] + kx + v * W);
                if (JB > 1) {
#pragma GCC unroll 8
                    for (int r = 0; r < RB; r++)
#pragma GCC unroll 8
                        for (int v = 0; v < V; v++)
                            GC_KEEP(in[r][v]);
                }
#pragma GCC unroll 8
                for (int j = 0; j < JB; j++) {
                    const VT kv = V_BCAST(kk + j * kos + kx);
#pragma GCC unroll 8
                    for (int r = 0; r < RB; r++)
#pragma GCC unroll 8
                        for (int v = 0; v < V; v++)
                            acc[j][r][v] = V_FMA(in[r][v], kv, acc[j][r][v]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < JB; j++)
#pragma GCC unroll 8
        for (int r = 0; r < RB; r++)
#pragma GCC unroll 8
            for (int v = 0; v < V; v++) {
                if (TAIL && v == V - 1)
                    V_STOREM(op[j][r] + v * W, mlast, acc[j][r][v]);
                else
                    V_STOREU(op[j][r] + v * W, acc[j][r][v]);
            }
}

/* One register tile of the stream kind: plane j0, rows r0..r0+GC_SRB-1, kernel height KH,
 * columns as in the tap tile. Input row ir (of GC_SRB+KH-1) feeds output rows ir-ky. KW > 0:
 * the kernel width is KW and the KH*KW (<= GC_KREGMAX) kernel values are broadcast into
 * registers once per term instead of once per use. */
GC_AI void GC_KN(stream_tile)(const BT *b, const int KH, const int KW, const int V, const int TAIL,
                              int64_t j0, int64_t r0, int64_t x0, MT mlast)
{
    const int64_t kw = KW > 0 ? KW : b->kw;
    const int64_t rpt = b->nrows + KH - 1;
    VT acc[GC_SRB][GC_VMAX];
    T *op[GC_SRB];
#pragma GCC unroll 8
    for (int r = 0; r < GC_SRB; r++) {
        op[r] = b->out + j0 * b->out_plane_stride + (r0 + r) * b->out_row_stride + x0;
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) {
            if (!b->accumulate)
                acc[r][v] = V_ZERO();
            else if (TAIL && v == V - 1)
                acc[r][v] = V_LOADM(mlast, op[r] + v * W);
            else
                acc[r][v] = V_LOADU(op[r] + v * W);
        }
    }
    for (int64_t t = 0; t < b->nterms; t++) {
        const T *kp = b->kernels[t] + j0 * b->kernel_out_stride;
        const T *const *rp = b->rows + t * rpt + r0;
        VT kreg[GC_KREGMAX];
        if (KW > 0) {
#pragma GCC unroll 16
            for (int e = 0; e < KH * KW; e++) {
                kreg[e] = V_BCAST(kp + e);
                GC_KEEP(kreg[e]);
            }
        }
#pragma GCC unroll 16
        for (int ir = 0; ir < GC_SRB + KH - 1; ir++) {
            const int ky_lo = ir - (GC_SRB - 1) > 0 ? ir - (GC_SRB - 1) : 0;
            const int ky_hi = ir < KH - 1 ? ir : KH - 1;
            const T *src = rp[ir] + x0;
#pragma GCC unroll 4
            for (int64_t kx = 0; kx < kw; kx++) {
                VT in[GC_VMAX];
#pragma GCC unroll 8
                for (int v = 0; v < V; v++)
                    in[v] = (TAIL && v == V - 1) ? V_LOADM(mlast, src + kx + v * W)
                                                 : V_LOADU(src + kx + v * W);
#pragma GCC unroll 8
                for (int v = 0; v < V; v++)
                    GC_KEEP(in[v]);
#pragma GCC unroll 8
                for (int ky = ky_lo; ky <= ky_hi; ky++) {
                    const VT kv = KW > 0 ? kreg[ky * KW + kx] : V_BCAST(kp + ky * kw + kx);
#pragma GCC unroll 8
                    for (int v = 0; v < V; v++)
                        acc[ir - ky][v] = V_FMA(in[v], kv, acc[ir - ky][v]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < GC_SRB; r++)
#pragma GCC unroll 8
        for (int v = 0; v < V; v++) {
            if (TAIL && v == V - 1)
                V_STOREM(op[r] + v * W, mlast, acc[r][v]);
            else
                V_STOREU(op[r] + v * W, acc[r][v]);
        }
}

#if GC_PAIR_TAIL
/* One paired-tail tile: planes j0..j0+JB-1, rows r0 and r0+1, VF full vectors from x0, then
 * one vector whose lanes [0, p) are row r0's columns xt.. and lanes [W/2, W/2+p) row r0+1's
 * (xt = x0 + VF*W, p = ow - xt <= W/2; mlo/mhi select those lanes). */
GC_AI void GC_KN(pair_tile)(const BT *b, const int JB, const int VF, int64_t j0, int64_t r0,
                            int64_t x0, MT mlo, MT mhi)
{
    const int64_t kh = b->kh, kw = b->kw, kos = b->kernel_out_stride;
    const int64_t rpt = b->nrows + kh - 1;
    VT acc[GC_PJBMAX][2 * GC_VMAX + 1]; /* [j][r*VF + v], then [j][2*VF]: the shared tail */
    T *op[GC_PJBMAX][2];
#pragma GCC unroll 8
    for (int j = 0; j < JB; j++) {
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++) {
            op[j][r] = b->out + (j0 + j) * b->out_plane_stride + (r0 + r) * b->out_row_stride + x0;
#pragma GCC unroll 8
            for (int v = 0; v < VF; v++)
                acc[j][r * VF + v] = b->accumulate ? V_LOADU(op[j][r] + v * W) : V_ZERO();
        }
        acc[j][2 * VF] = b->accumulate ? V_LOADMM(V_LOADM(mlo, op[j][0] + VF * W), mhi,
                                                  op[j][1] + VF * W - W / 2)
                                       : V_ZERO();
    }
    for (int64_t t = 0; t < b->nterms; t++) {
        const T *kp = b->kernels[t] + j0 * kos;
        const T *const *rp = b->rows + t * rpt + r0;
        for (int64_t ky = 0; ky < kh; ky++) {
            const T *s0 = rp[ky] + x0, *s1 = rp[ky + 1] + x0;
            const T *kk = kp + ky * kw;
            for (int64_t kx = 0; kx < kw; kx++) {
                VT in[2 * GC_VMAX + 1];
#pragma GCC unroll 8
                for (int v = 0; v < VF; v++) {
                    in[v] = V_LOADU(s0 + kx + v * W);
                    in[VF + v] = V_LOADU(s1 + kx + v * W);
                }
                in[2 * VF] = V_LOADMM(V_LOADM(mlo, s0 + kx + VF * W), mhi, s1 + kx + VF * W - W / 2);
                if (JB > 1) {
#pragma GCC unroll 16
                    for (int v = 0; v < 2 * VF + 1; v++)
                        GC_KEEP(in[v]);
                }
#pragma GCC unroll 8
                for (int j = 0; j < JB; j++) {
                    const VT kv = V_BCAST(kk + j * kos + kx);
#pragma GCC unroll 16
                    for (int v = 0; v < 2 * VF + 1; v++)
                        acc[j][v] = V_FMA(in[v], kv, acc[j][v]);
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < JB; j++) {
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++)
#pragma GCC unroll 8
            for (int v = 0; v < VF; v++)
                V_STOREU(op[j][r] + v * W, acc[j][r * VF + v]);
        V_STOREM(op[j][0] + VF * W, mlo, acc[j][2 * VF]);
        V_STOREM(op[j][1] + VF * W - W / 2, mhi, acc[j][2 * VF]);
    }
}
#endif

/* Specialised entry points: one function per tile shape, switching over V (and TAIL). */
#if GC_TAIL_ALWAYS
#define GC_VCASE(TILE, V) \
    case V: TILE(V, 1); break;
#else
#define GC_VCASE(TILE, V) \
    case V: if (tail) TILE(V, 1); else TILE(V, 0); break;
#endif
#if GC_VMAX == 4
#define GC_VSWITCH(TILE) \
    switch (v) { GC_VCASE(TILE, 1) GC_VCASE(TILE, 2) GC_VCASE(TILE, 3) default: GC_VCASE(TILE, 4) }
#elif GC_VMAX == 3
#define GC_VSWITCH(TILE) switch (v) { GC_VCASE(TILE, 1) GC_VCASE(TILE, 2) default: GC_VCASE(TILE, 3) }
#else
#error "GC_VMAX must be 3 or 4"
#endif

#define GC_DEF_TAP(JB, RB)                                                                  \
    static void GC_KN(tap_##JB##_##RB)(const BT *b, int v, int tail, int64_t j0, int64_t r0, \
                                        int64_t x0, MT m)                                   \
    {                                                                                       \
        (void)tail;                                                                         \
        GC_VSWITCH(GC_TAP_TILE_##JB##_##RB)                                                 \
    }
#define GC_DEF_STREAM(KH)                                                                   \
    static void GC_KN(stream_##KH)(const BT *b, int v, int tail, int64_t j0, int64_t r0,     \
                                    int64_t x0, MT m)                                       \
    {                                                                                       \
        (void)tail;                                                                         \
        GC_VSWITCH(GC_STREAM_TILE_##KH)                                                     \
    }
/* GC_TAP_TILE_JB_RB(V, TL) and GC_STREAM_TILE_KH(V, TL): the tile calls with fixed shapes */
#define GC_TAPC(JB, RB, V, TL) GC_KN(tap_tile)(b, JB, RB, V, TL, j0, r0, x0, m)
#define GC_STRC(KH, V, TL) GC_KN(stream_tile)(b, KH, 0, V, TL, j0, r0, x0, m)
#ifndef GC_TAP_TILE_1_1
#define GC_TAP_TILE_6_1(V, TL) GC_TAPC(6, 1, V, TL)
#define GC_TAP_TILE_5_1(V, TL) GC_TAPC(5, 1, V, TL)
#define GC_TAP_TILE_4_1(V, TL) GC_TAPC(4, 1, V, TL)
#define GC_TAP_TILE_3_2(V, TL) GC_TAPC(3, 2, V, TL)
#define GC_TAP_TILE_3_1(V, TL) GC_TAPC(3, 1, V, TL)
#define GC_TAP_TILE_2_3(V, TL) GC_TAPC(2, 3, V, TL)
#define GC_TAP_TILE_2_2(V, TL) GC_TAPC(2, 2, V, TL)
#define GC_TAP_TILE_2_1(V, TL) GC_TAPC(2, 1, V, TL)
#define GC_TAP_TILE_1_6(V, TL) GC_TAPC(1, 6, V, TL)
#define GC_TAP_TILE_1_5(V, TL) GC_TAPC(1, 5, V, TL)
#define GC_TAP_TILE_1_4(V, TL) GC_TAPC(1, 4, V, TL)
#define GC_TAP_TILE_1_3(V, TL) GC_TAPC(1, 3, V, TL)
#define GC_TAP_TILE_1_2(V, TL) GC_TAPC(1, 2, V, TL)
#define GC_TAP_TILE_1_1(V, TL) GC_TAPC(1, 1, V, TL)
#define GC_STREAM_TILE_2(V, TL) GC_STRC(2, V, TL)
#define GC_STREAM_TILE_3(V, TL) GC_STRC(3, V, TL)
#define GC_STREAM_TILE_4(V, TL) GC_STRC(4, V, TL)
#define GC_STREAM_TILE_5(V, TL) GC_STRC(5, V, TL)
#define GC_STREAM_TILE_6(V, TL) GC_STRC(6, V, TL)
#define GC_STREAM_TILE_7(V, TL) GC_STRC(7, V, TL)
#define GC_STREAM_TILE_8(V, TL) GC_STRC(8, V, TL)
#endif

GC_TAP_SHAPES(GC_DEF_TAP)
GC_STREAM_KHS(GC_DEF_STREAM)

#if GC_STREAM_K3
/* 3x3 kernels: the stream tile with its 9 kernel values in registers, walking at most
 * GC_K3V vectors at a time (GC_SRB*GC_K3V accumulators + 9 + GC_K3V inputs must fit) */
static void GC_KN(stream_3x3)(const BT *b, int v, int tail, int64_t j0, int64_t r0, int64_t x0,
                              MT m)
{
    for (int u = 0; u < v; u += GC_K3V) {
        const int n = v - u < GC_K3V ? v - u : GC_K3V;
        const int last = u + n == v;
        const int64_t xu = x0 + (int64_t)u * W;
        if (n == GC_K3V) {
            if (last && tail)
                GC_KN(stream_tile)(b, 3, 3, GC_K3V, 1, j0, r0, xu, m);
            else
                GC_KN(stream_tile)(b, 3, 3, GC_K3V, 0, j0, r0, xu, V_MASK(W));
        } else {
            if (last && tail)
                GC_KN(stream_tile)(b, 3, 3, 1, 1, j0, r0, xu, m);
            else
                GC_KN(stream_tile)(b, 3, 3, 1, 0, j0, r0, xu, V_MASK(W));
        }
    }
}
#endif

#if GC_PAIR_TAIL
typedef void (*GC_KN(pair_fn))(const BT *b, int64_t j0, int64_t r0, int64_t x0, MT mlo, MT mhi);
#define GC_DEF_PAIR(JB, VF)                                                                 \
    static void GC_KN(pair_##JB##_##VF)(const BT *b, int64_t j0, int64_t r0, int64_t x0,     \
                                         MT mlo, MT mhi)                                    \
    {                                                                                       \
        GC_KN(pair_tile)(b, JB, VF, j0, r0, x0, mlo, mhi);                                  \
    }
GC_PAIR_SHAPES(GC_DEF_PAIR)
#define GC_PAIR_ENTRY(JB, VF) [JB][VF] = GC_KN(pair_##JB##_##VF),
static const GC_KN(pair_fn) GC_KN(pair_table)[GC_PJBMAX + 1][GC_VMAX] = {GC_PAIR_SHAPES(GC_PAIR_ENTRY)};
#undef GC_DEF_PAIR
#undef GC_PAIR_ENTRY
#endif

typedef void (*GC_KN(tile_fn))(const BT *b, int v, int tail, int64_t j0, int64_t r0, int64_t x0,
                               MT m);

/* tap tiles by [JB][RB], stream tiles by [KH] (NULL: none) */
#define GC_TAP_ENTRY(JB, RB) [JB][RB] = GC_KN(tap_##JB##_##RB),
#define GC_STREAM_ENTRY(KH) [KH] = GC_KN(stream_##KH),
static const GC_KN(tile_fn) GC_KN(tap_table)[GC_JBMAX + 1][GC_RG + 1] = {GC_TAP_SHAPES(GC_TAP_ENTRY)};
static const GC_KN(tile_fn) GC_KN(stream_table)[GC_KHMAX + 1] = {GC_STREAM_KHS(GC_STREAM_ENTRY)};

void GC_KN(corr_block)(const BT *b)
{
    const int64_t ow = b->ow;
    const int64_t nvec = (ow + W - 1) / W;
    const int partial = (int)(ow % W);
    const MT mpart = partial ? V_MASK(partial) : V_MASK(W);
    const MT mfull = V_MASK(W);
    GC_KN(tile_fn) stream = b->kh <= GC_KHMAX ? GC_KN(stream_table)[b->kh] : 0;
#if GC_STREAM_K3
    if (b->kh == 3 && b->kw == 3)
        stream = GC_KN(stream_3x3);
#endif
    /* taller kernels stream in nchunk bands of kernel rows (heights as even as possible,
     * each 2..GC_KHMAX), band after band on the same output tile: per term, band rows ky0..
     * ky0+kc-1 in ky order, so every output keeps the t, ky, kx summation order. One input row
     * is live at a time; tap tiles keep RB+kh-1 rows live, which share L1 sets when rows are
     * 4 KiB apart (1024-wide float32). */
    const int64_t nchunk = (b->kh + GC_KHMAX - 1) / GC_KHMAX;
    const int64_t rpt = b->nrows + b->kh - 1;
    /* the last column chunk, when its short vector can be shared by two rows */
    const int64_t xlast = (nvec - 1) / GC_VMAX * GC_VMAX; /* first vector of the last chunk */
#if GC_PAIR_TAIL
    const int pair = partial > 0 && partial <= W / 2 && nvec - xlast >= 2;
    const MT mlo = V_MASK(partial > 0 && partial <= W / 2 ? partial : 1);
    const MT mhi = (MT)(mlo << (W / 2));
#else
    const int pair = 0;
#endif
    for (int64_t r0 = 0; r0 < b->nrows; r0 += GC_RG) {
        const int64_t ng = b->nrows - r0 < GC_RG ? b->nrows - r0 : GC_RG;
        for (int64_t j0 = 0; j0 < b->nout; j0 += GC_JBMAX) {
            const int jb = (int)(b->nout - j0 < GC_JBMAX ? b->nout - j0 : GC_JBMAX);
            if (jb == 1 && ng == GC_SRB && b->kh > GC_KHMAX) {
                for (int64_t xv = 0; xv < nvec; xv += GC_VMAX) {
                    const int v = (int)(nvec - xv < GC_VMAX ? nvec - xv : GC_VMAX);
                    const int tail = xv + v == nvec && partial;
                    for (int64_t t = 0; t < b->nterms; t++)
                        for (int64_t c = 0, ky0 = 0; c < nchunk; c++) {
                            const int64_t kc = (b->kh - ky0) / (nchunk - c);
                            const T *kband = b->kernels[t] + ky0 * b->kw;
                            BT s = *b;
                            s.nterms = 1;
                            s.rows = b->rows + t * rpt + ky0;
                            s.kernels = &kband;
                            s.kh = kc;
                            s.accumulate = b->accumulate || t > 0 || c > 0;
                            GC_KN(stream_table)[kc](&s, v, tail, j0, r0, xv * W, tail ? mpart : mfull);
                            ky0 += kc;
                        }
                }
                continue;
            }
            const int use_stream = jb == 1 && ng == GC_SRB && stream != 0;
            const int rbmax = use_stream ? GC_SRB : GC_RB_FOR(jb);
            /* with pairing, the last column chunk is done apart: row pairs, then an odd row */
            const int64_t npair = pair && !use_stream ? ng / 2 * 2 : 0;
            const int64_t xmain = npair ? xlast : nvec;
            for (int64_t r = 0; r < ng; r += rbmax) {
                const int rb = (int)(ng - r < rbmax ? ng - r : rbmax);
                const GC_KN(tile_fn) fn = use_stream ? stream : GC_KN(tap_table)[jb][rb];
                for (int64_t xv = 0; xv < xmain; xv += GC_VMAX) {
                    const int v = (int)(nvec - xv < GC_VMAX ? nvec - xv : GC_VMAX);
                    const int tail = xv + v == nvec && partial;
                    fn(b, v, tail, j0, r0 + r, xv * W, tail ? mpart : mfull);
                }
            }
#if GC_PAIR_TAIL
            if (npair) {
                const int vf = (int)(nvec - xlast - 1);
                for (int64_t jj = 0; jj < jb; jj += GC_PJBMAX) {
                    const int pj = (int)(jb - jj < GC_PJBMAX ? jb - jj : GC_PJBMAX);
                    for (int64_t r = 0; r < npair; r += 2)
                        GC_KN(pair_table)[pj][vf](b, j0 + jj, r0 + r, xlast * W, mlo, mhi);
                }
                if (ng > npair)
                    GC_KN(tap_table)[jb][1](b, vf + 1, 1, j0, r0 + npair, xlast * W, mpart);
            }
#endif
        }
    }
}

#undef GC_VCASE
#undef GC_VSWITCH
#undef GC_DEF_TAP
#undef GC_DEF_STREAM
#undef GC_TAPC
#undef GC_STRC
#undef GC_TAP_ENTRY
#undef GC_STREAM_ENTRY
#undef BT
