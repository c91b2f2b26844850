/* conv2d_im2col.c - SpatialConvolution forward and backward_input for any geometry (stride,
 * dilation, groups, padding modes) on the Gram GEMM tile kernel (gram.h):
 *   tile[r*GW + c] = sum_{j<m} s[j*lds + r] * b[j*GW + c]      (j increasing)
 *
 * Shift layout (as conv2d_wgrad.c): output pixels k = y*Wq + x with row pitch
 * Wq = OW + floor((KW-1)*dw / sw) (columns x >= OW are junk, never written / zero); the input
 * of batch item n is packed once per stride residue v = (ra, rb) as row-major planes
 *   Z_v[c][y*Wq + x] = P(in)[n][c][y*sh + ra - pt][x*sw + rb - pl]    (0 outside the padding)
 * and tap t = (a, b) reads Z_v(t)[c][k + shift_t], v(t) = (a*dh mod sh, b*dw mod sw),
 * shift_t = (a*dh / sh)*Wq + b*dw / sw. Stride 1 packs one variant: the padded input.
 *
 * forward: out[o][k] = bias[o] + sum_t sum_c W_t[o][c] Z_v(t)[c][k + shift_t]: per tile of GR
 *   pixels x GW output channels and per tap, one kernel call with s = Z (j = c, r = pixel,
 *   lds = the plane length) and b = the tap's weights packed c-major in GW-wide panels; the
 *   taps' tiles are summed in the tensor's dtype in tap order.
 * backward_input: the adjoint. dZ_v(t)[c][j] += sum_o W_t[o][c] gout[o][j - shift_t] (gout
 *   packed with zeros at junk columns and around the item), per tile of GR destination
 *   positions j x GW input channels, s = gout (j = o), b = the tap's weights packed o-major;
 *   then each dZ element is added onto the input pixel it copies (the padding modes' map).
 * Every output element is written by one task, sums in a fixed order: results do not depend
 * on the thread count. */
#include "ops/conv2d/conv2d.h"
#include "ops/gram/gram.h"

#include <string.h>

typedef struct gc_ic_plan {
    gc_gram_kernels kern;
    size_t esz;
    int64_t GR, GW;
    int64_t nvh, nvw, nv, ntaps;
    int64_t Wq, K1, maxshift, zlen, glen; /* plane pitch, pixels per item, planes' lengths */
    int64_t nb;                            /* GW-wide blocks of Og (forward) / Cg (backward) */
    int64_t PB;                            /* pixels per task */
    size_t tab_bytes, z_bytes, g_bytes, w_bytes, slot_bytes;
    int nthreads;
} gc_ic_plan;

static size_t gc_ic_round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

static gc_status gc_ic_plan_make(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                                 gc_ic_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->kern = gc_gram_kernels_for(gc_context_isa(ctx), p->dtype);
    pl->esz = gc_dtype_size(p->dtype);
    pl->GR = pl->kern.GR;
    pl->GW = pl->kern.GW;
    pl->nvh = gc_cv_residues(p->KH, p->dh, p->sh, NULL, NULL);
    pl->nvw = gc_cv_residues(p->KW, p->dw, p->sw, NULL, NULL);
    pl->nv = pl->nvh * pl->nvw;
    pl->ntaps = p->KH * p->KW;
    const int64_t qh = (p->KH - 1) * p->dh / p->sh, qw = (p->KW - 1) * p->dw / p->sw;
    pl->Wq = p->OW + qw;
    int64_t t;
    if (!gc_mul_ok(p->OH, pl->Wq, &pl->K1) || !gc_mul_ok(qh, pl->Wq, &pl->maxshift) ||
        pl->maxshift > INT64_MAX / 8 || pl->K1 > INT64_MAX / 8)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: im2col workspace size overflows");
    pl->maxshift += qw;
    const int64_t GR = pl->GR;
    pl->zlen = ((pl->K1 + GR - 1) / GR * GR + pl->maxshift + GR - 1) / GR * GR;
    pl->glen = pl->maxshift + pl->zlen;
    const int64_t ch = pass == GC_CONV_PASS_FORWARD ? p->Og : p->Cg; /* tile columns */
    const int64_t red = pass == GC_CONV_PASS_FORWARD ? p->Cg : p->Og; /* reduction length */
    pl->nb = (ch + pl->GW - 1) / pl->GW;
    pl->PB = 32 * GR;
    int64_t z, g = 0, wb;
    if (!gc_mul_ok(pl->nv * p->C, pl->zlen, &z) || !gc_mul_ok(z, (int64_t)pl->esz, &z) ||
        (pass != GC_CONV_PASS_FORWARD && (!gc_mul_ok(p->O, pl->glen, &g) || !gc_mul_ok(g, (int64_t)pl->esz, &g))) ||
        !gc_mul_ok(p->G * pl->ntaps, pl->nb * red, &wb) || !gc_mul_ok(wb, pl->GW * (int64_t)pl->esz, &wb) ||
        z > INT64_MAX / 64 || g > INT64_MAX / 64 || wb > INT64_MAX / 64)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: im2col workspace size overflows");
    (void)t;
    pl->tab_bytes = gc_ic_round64((size_t)(2 * pl->ntaps + pl->nvh + pl->nvw + p->KH + p->KW) * sizeof(int64_t));
    pl->z_bytes = gc_ic_round64((size_t)z);
    pl->g_bytes = gc_ic_round64((size_t)g);
    pl->w_bytes = gc_ic_round64((size_t)wb);
    pl->nthreads = gc_context_threads(ctx);
    pl->slot_bytes = gc_ic_round64((size_t)(2 * GR * pl->GW) * pl->esz);
    return GC_OK;
}

static size_t gc_ic_bytes(const gc_ic_plan *pl)
{
    return pl->tab_bytes + pl->z_bytes + pl->g_bytes + pl->w_bytes + (size_t)pl->nthreads * pl->slot_bytes;
}

gc_status gc_conv2d_im2col_workspace(gc_context *ctx, const gc_conv2d_problem *p,
                                     gc_conv_pass pass, size_t *bytes)
{
    gc_ic_plan pl;
    *bytes = 0;
    gc_status st = gc_ic_plan_make(ctx, p, pass, &pl);
    if (st == GC_OK)
        *bytes = gc_ic_bytes(&pl);
    return st;
}

typedef struct {
    const gc_conv2d_problem *p;
    const gc_ic_plan *pl;
    const char *src;       /* in (forward) / gout (backward) */
    const char *w, *bias;
    char *dst;             /* out / gin */
    int64_t n;
    const int64_t *tap_var, *tap_shift, *var_ra, *var_rb;
    char *z, *g, *wp, *slots;
} gc_ic_arg;

/* Task: plane c of every variant of item n. Shape: Z_v[c][j], j < zlen, row-major. */
static void gc_ic_pack_z_task(int64_t c, int thread, void *argp)
{
    (void)thread;
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    for (int64_t v = 0; v < pl->nv; v++) {
        const int64_t ra = A->var_ra[v / pl->nvw], rb = A->var_rb[v % pl->nvw];
        char *d = A->z + (size_t)((v * p->C + c) * pl->zlen) * pl->esz;
        for (int64_t y = 0; y * pl->Wq < pl->zlen; y++) {
            const int64_t len = pl->zlen - y * pl->Wq < pl->Wq ? pl->zlen - y * pl->Wq : pl->Wq;
            const int64_t Y = y * p->sh + ra - p->pt;
            const int64_t iy = Y >= -p->pt && Y < p->H + p->pb ? gc_pad_index(Y, p->H, p->pmode) : -1;
            const int64_t base = A->n * p->in_s[0] + c * p->in_s[1] + iy * p->in_s[2];
            for (int64_t x = 0; x < len; x++) {
                const int64_t X = x * p->sw + rb - p->pl;
                const int64_t ix = iy >= 0 && X >= -p->pl && X < p->W + p->pr ? gc_pad_index(X, p->W, p->pmode) : -1;
                gc_store(d, p->dtype, y * pl->Wq + x, ix < 0 ? 0.0 : gc_load(A->src, p->dtype, base + ix * p->in_s[3]));
            }
        }
    }
}

/* Forward weights: wp[((g*ntaps + t)*nb + ob)*Cg*GW + c*GW + col] = W[g*Og + ob*GW + col][c][a][b]
 * (zero past Og). Task: one (g, t). */
static void gc_ic_pack_wf_task(int64_t gt, int thread, void *argp)
{
    (void)thread;
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    const int64_t g = gt / pl->ntaps, t = gt % pl->ntaps, ta = t / p->KW, tb = t % p->KW, GW = pl->GW;
    for (int64_t ob = 0; ob < pl->nb; ob++) {
        const int64_t e0 = ((gt * pl->nb + ob) * p->Cg) * GW;
        for (int64_t c = 0; c < p->Cg; c++)
            for (int64_t col = 0; col < GW; col++) {
                const int64_t o = ob * GW + col;
                gc_store(A->wp, p->dtype, e0 + c * GW + col,
                         o < p->Og ? gc_load(A->w, p->dtype, (g * p->Og + o) * p->w_s[0] + c * p->w_s[1] +
                                                              ta * p->w_s[2] + tb * p->w_s[3])
                                   : 0.0);
            }
    }
}

/* Forward task (g, ob, pixel block). Shape: out[g*Og + ob*GW + col][k] for k in the block,
 * col < GW: per GR-pixel tile, sum over taps of the GR x GW kernel tile. */
static void gc_ic_fwd_task(int64_t job, int thread, void *argp)
{
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    const int64_t GR = pl->GR, GW = pl->GW;
    const size_t esz = pl->esz;
    const int64_t nblk = (pl->K1 + pl->PB - 1) / pl->PB;
    const int64_t g = job / (pl->nb * nblk), ob = job / nblk % pl->nb, kb = job % nblk;
    const int64_t k1 = (kb + 1) * pl->PB < pl->K1 ? (kb + 1) * pl->PB : pl->K1;
    const int64_t ncol = p->Og - ob * GW < GW ? p->Og - ob * GW : GW;
    char *sum = A->slots + (size_t)thread * pl->slot_bytes, *tile = sum + (size_t)(GR * GW) * esz;
    for (int64_t k0 = kb * pl->PB; k0 < k1; k0 += GR) {
        for (int64_t t = 0; t < pl->ntaps; t++) {
            const char *s = A->z + (size_t)((A->tap_var[t] * p->C + g * p->Cg) * pl->zlen + k0 + A->tap_shift[t]) * esz;
            const char *b = A->wp + (size_t)(((g * pl->ntaps + t) * pl->nb + ob) * p->Cg * GW) * esz;
            pl->kern.gemm(p->Cg, s, pl->zlen, b, t ? tile : sum);
            if (t && p->dtype == GC_DTYPE_F32)
                for (int64_t e = 0; e < GR * GW; e++)
                    ((float *)sum)[e] += ((const float *)tile)[e];
            else if (t)
                for (int64_t e = 0; e < GR * GW; e++)
                    ((double *)sum)[e] += ((const double *)tile)[e];
        }
        for (int64_t r = 0; r < GR && k0 + r < k1; r++) {
            const int64_t y = (k0 + r) / pl->Wq, x = (k0 + r) % pl->Wq;
            if (x >= p->OW)
                continue;
            const int64_t base = A->n * p->out_s[0] + y * p->out_s[2] + x * p->out_s[3];
            for (int64_t col = 0; col < ncol; col++) {
                const int64_t o = g * p->Og + ob * GW + col;
                double v = gc_load(sum, p->dtype, r * GW + col);
                if (A->bias) /* in the dtype, as the direct path adds it */
                    v = p->dtype == GC_DTYPE_F32 ? (double)((float)v + (float)gc_load(A->bias, p->dtype, o * p->b_s))
                                                 : v + gc_load(A->bias, p->dtype, o * p->b_s);
                gc_store(A->dst, p->dtype, base + o * p->out_s[1], v);
            }
        }
    }
}

static gc_status gc_ic_setup(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                             void *ws, size_t ws_bytes, gc_ic_plan *pl, gc_ic_arg *A)
{
    gc_status st = gc_ic_plan_make(ctx, p, pass, pl);
    if (st != GC_OK)
        return st;
    const size_t need = gc_ic_bytes(pl);
    if (ws_bytes < need || !ws)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace of %zu bytes is too small (needs %zu; "
                       "ask gc_conv2d_workspace_size)", ws_bytes, need);
    if ((uintptr_t)ws & 63)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace must be 64-byte aligned");
    memset(A, 0, sizeof *A);
    A->p = p;
    A->pl = pl;
    int64_t *tab = ws;
    int64_t *tap_var = tab, *tap_shift = tab + pl->ntaps, *var_ra = tab + 2 * pl->ntaps,
            *var_rb = var_ra + pl->nvh, *ih = var_rb + pl->nvw, *iw = ih + p->KH;
    gc_cv_residues(p->KH, p->dh, p->sh, ih, var_ra);
    gc_cv_residues(p->KW, p->dw, p->sw, iw, var_rb);
    for (int64_t t = 0; t < pl->ntaps; t++) {
        const int64_t ta = t / p->KW, tb = t % p->KW;
        tap_var[t] = ih[ta] * pl->nvw + iw[tb];
        tap_shift[t] = (ta * p->dh / p->sh) * pl->Wq + tb * p->dw / p->sw;
    }
    A->tap_var = tap_var, A->tap_shift = tap_shift, A->var_ra = var_ra, A->var_rb = var_rb;
    char *c = (char *)ws + pl->tab_bytes;
    A->z = c;
    A->g = c + pl->z_bytes;
    A->wp = A->g + pl->g_bytes;
    A->slots = A->wp + pl->w_bytes;
    return GC_OK;
}

gc_status gc_conv2d_im2col_forward(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                   const void *w, const void *bias, void *out, void *ws,
                                   size_t ws_bytes)
{
    gc_ic_plan pl;
    gc_ic_arg A;
    gc_status st = gc_ic_setup(ctx, p, GC_CONV_PASS_FORWARD, ws, ws_bytes, &pl, &A);
    if (st != GC_OK)
        return st;
    A.src = in, A.w = w, A.bias = bias, A.dst = out;
    const int T = pl.nthreads;
    st = gc_parallel_for(ctx, T, p->G * pl.ntaps, gc_ic_pack_wf_task, &A);
    const int64_t nblk = (pl.K1 + pl.PB - 1) / pl.PB;
    for (int64_t n = 0; n < p->N && st == GC_OK; n++) {
        A.n = n;
        st = gc_parallel_for(ctx, T, p->C, gc_ic_pack_z_task, &A);
        if (st == GC_OK)
            st = gc_parallel_for(ctx, T, p->G * pl.nb * nblk, gc_ic_fwd_task, &A);
    }
    return st;
}

/* Task: gout plane o of item n into G[o][k + maxshift], k in [-maxshift, zlen): zero at junk
 * columns (x >= OW) and outside [0, K1). */
static void gc_ic_pack_g_task(int64_t o, int thread, void *argp)
{
    (void)thread;
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    char *d = A->g + (size_t)(o * pl->glen) * pl->esz;
    memset(d, 0, (size_t)pl->glen * pl->esz);
    for (int64_t y = 0; y < p->OH; y++)
        for (int64_t x = 0; x < p->OW; x++)
            gc_store(d, p->dtype, pl->maxshift + y * pl->Wq + x,
                     gc_load(A->src, p->dtype, A->n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2] + x * p->out_s[3]));
}

/* backward_input weights: wp[((g*ntaps + t)*nb + cb)*Og*GW + o*GW + col] =
 * W[g*Og + o][cb*GW + col][a][b] (zero past Cg). Task: one (g, t). */
static void gc_ic_pack_wb_task(int64_t gt, int thread, void *argp)
{
    (void)thread;
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    const int64_t g = gt / pl->ntaps, t = gt % pl->ntaps, ta = t / p->KW, tb = t % p->KW, GW = pl->GW;
    for (int64_t cb = 0; cb < pl->nb; cb++) {
        const int64_t e0 = ((gt * pl->nb + cb) * p->Og) * GW;
        for (int64_t o = 0; o < p->Og; o++)
            for (int64_t col = 0; col < GW; col++) {
                const int64_t c = cb * GW + col;
                gc_store(A->wp, p->dtype, e0 + o * GW + col,
                         c < p->Cg ? gc_load(A->w, p->dtype, (g * p->Og + o) * p->w_s[0] + c * p->w_s[1] +
                                                              ta * p->w_s[2] + tb * p->w_s[3])
                                   : 0.0);
            }
    }
}

/* backward_input task (g, cb, block of destination positions j). Shape: for every variant v
 * and GR-position tile, dZ_v[g*Cg + cb*GW + col][j] = sum over the taps t of v of the GR x GW
 * kernel tile over o of G[o][j - shift_t] * W_t[o][c]. */
static void gc_ic_bwd_task(int64_t job, int thread, void *argp)
{
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    const int64_t GR = pl->GR, GW = pl->GW;
    const size_t esz = pl->esz;
    const int64_t nblk = (pl->zlen + pl->PB - 1) / pl->PB;
    const int64_t g = job / (pl->nb * nblk), cb = job / nblk % pl->nb, jb = job % nblk;
    const int64_t j1 = (jb + 1) * pl->PB < pl->zlen ? (jb + 1) * pl->PB : pl->zlen;
    const int64_t ncol = p->Cg - cb * GW < GW ? p->Cg - cb * GW : GW;
    char *sum = A->slots + (size_t)thread * pl->slot_bytes, *tile = sum + (size_t)(GR * GW) * esz;
    for (int64_t j0 = jb * pl->PB; j0 < j1; j0 += GR)
        for (int64_t v = 0; v < pl->nv; v++) {
            int first = 1;
            for (int64_t t = 0; t < pl->ntaps; t++) {
                if (A->tap_var[t] != v)
                    continue;
                const char *s = A->g + (size_t)(g * p->Og * pl->glen + j0 - A->tap_shift[t] + pl->maxshift) * esz;
                const char *b = A->wp + (size_t)(((g * pl->ntaps + t) * pl->nb + cb) * p->Og * GW) * esz;
                pl->kern.gemm(p->Og, s, pl->glen, b, first ? sum : tile);
                if (!first && p->dtype == GC_DTYPE_F32)
                    for (int64_t e = 0; e < GR * GW; e++)
                        ((float *)sum)[e] += ((const float *)tile)[e];
                else if (!first)
                    for (int64_t e = 0; e < GR * GW; e++)
                        ((double *)sum)[e] += ((const double *)tile)[e];
                first = 0;
            }
            char *dz = A->z + (size_t)((v * p->C + g * p->Cg + cb * GW) * pl->zlen + j0) * esz;
            const int64_t nr = j1 - j0 < GR ? j1 - j0 : GR;
            for (int64_t col = 0; col < ncol; col++)
                for (int64_t r = 0; r < nr; r++)
                    memcpy(dz + (size_t)(col * pl->zlen + r) * esz, sum + (size_t)(r * GW + col) * esz, esz);
        }
}

/* Task: input channel c of item n: gin = 0, then every dZ_v[c][j] added onto the input pixel
 * its position copies (variants, then j, in order). */
static void gc_ic_fold_task(int64_t c, int thread, void *argp)
{
    (void)thread;
    const gc_ic_arg *A = argp;
    const gc_conv2d_problem *p = A->p;
    const gc_ic_plan *pl = A->pl;
    const int64_t base = A->n * p->in_s[0] + c * p->in_s[1];
    for (int64_t y = 0; y < p->H; y++)
        for (int64_t x = 0; x < p->W; x++)
            gc_store(A->dst, p->dtype, base + y * p->in_s[2] + x * p->in_s[3], 0.0);
    for (int64_t v = 0; v < pl->nv; v++) {
        const int64_t ra = A->var_ra[v / pl->nvw], rb = A->var_rb[v % pl->nvw];
        const char *dz = A->z + (size_t)((v * p->C + c) * pl->zlen) * pl->esz;
        for (int64_t y = 0; y * pl->Wq < pl->zlen; y++) {
            const int64_t Y = y * p->sh + ra - p->pt;
            const int64_t iy = Y >= -p->pt && Y < p->H + p->pb ? gc_pad_index(Y, p->H, p->pmode) : -1;
            if (iy < 0)
                continue;
            const int64_t len = pl->zlen - y * pl->Wq < pl->Wq ? pl->zlen - y * pl->Wq : pl->Wq;
            for (int64_t x = 0; x < len; x++) {
                const int64_t X = x * p->sw + rb - p->pl;
                const int64_t ix = X >= -p->pl && X < p->W + p->pr ? gc_pad_index(X, p->W, p->pmode) : -1;
                if (ix < 0)
                    continue;
                const int64_t off = base + iy * p->in_s[2] + ix * p->in_s[3];
                gc_store(A->dst, p->dtype, off,
                         gc_load(A->dst, p->dtype, off) + gc_load(dz, p->dtype, y * pl->Wq + x));
            }
        }
    }
}

gc_status gc_conv2d_im2col_backward_input(gc_context *ctx, const gc_conv2d_problem *p,
                                          const void *gout, const void *w, void *gin, void *ws,
                                          size_t ws_bytes)
{
    gc_ic_plan pl;
    gc_ic_arg A;
    gc_status st = gc_ic_setup(ctx, p, GC_CONV_PASS_BACKWARD_INPUT, ws, ws_bytes, &pl, &A);
    if (st != GC_OK)
        return st;
    A.src = gout, A.w = w, A.dst = gin;
    const int T = pl.nthreads;
    st = gc_parallel_for(ctx, T, p->G * pl.ntaps, gc_ic_pack_wb_task, &A);
    const int64_t nblk = (pl.zlen + pl.PB - 1) / pl.PB;
    for (int64_t n = 0; n < p->N && st == GC_OK; n++) {
        A.n = n;
        st = gc_parallel_for(ctx, T, p->O, gc_ic_pack_g_task, &A);
        if (st == GC_OK)
            st = gc_parallel_for(ctx, T, p->G * pl.nb * nblk, gc_ic_bwd_task, &A);
        if (st == GC_OK)
            st = gc_parallel_for(ctx, T, p->C, gc_ic_fold_task, &A);
    }
    return st;
}
