/* conv2d_gemm.c - SpatialConvolution forward and backward_input at stride 1 (any kernel,
 * dilation, groups; forward any padding mode, backward_input zeros) as one GEMM per group
 * on shifted views of a flattened plane:
 *
 *   out[o][k] = init[o] + sum_c sum_t W_t[o][c] * Z[c][k + shift_t],  k = y*Wq + x
 *
 * Z holds the padded source plane c with row pitch Wq: Z[c][y*Wq + x] = P(src)[c][y - pt][x - pl]
 * (0 outside the source or padding), shift_t = a*dh*Wq + b*dw for tap t = (a, b). Columns
 * x in [OW, Wq) are junk (computed, never stored). With zero padding on both sides the pitch
 * overlaps one row's right padding with the next row's left padding:
 *   Wq = max(OW, OW + (KW-1)*dw - min(pl, pr))     (else OW + (KW-1)*dw),
 * valid because a tap reading at a column c >= Wq (a right-padding zero of its row: c - pl
 * >= W) lands on column c - Wq < pl of the next row, a left-padding zero. At
 * pad 0 (e.g. 1x1 layers) with unit column stride Z is the source itself (pitch = its row
 * stride): no copy.
 *
 * forward: src = input, o = output channel, init = bias, W_t[o][c] = weight[o][c][a][b].
 * backward_input: the same correlation over grad_output padded by (k-1)*d - pad (negative:
 *   cropped), o = input channel, W_t[o][c] = weight[c][o][KH-1-a][KW-1-b], init = 0.
 *
 * The tile kernel (conv2d_gemm.h, conv2d_gemm_body.h) holds MR output channels x NV vectors
 * of consecutive k in registers over the whole reduction (c outer, t inner), reading the
 * weights in place (no weight packing); a tile is stored straight into the output when the
 * output rows are the flattened k (Wq == OW, dense rows), else through a per-thread staging
 * tile. Jobs: (group, block of output channels, pixel tile); every output element is summed
 * by one kernel call in a fixed order, so results do not depend on the thread count.
 *
 * bf16 forward (GC_PRECISION_BF16, AVX512-BF16): the same tile over channel pairs. Each pair
 * of source planes is packed (always, no zero-copy) through per-thread float planes into one
 * plane of 32-bit words, bf16 of channel 2q in the low half and 2q+1 (0 past the group's
 * channels) in the high half; the weights likewise into W2[o][q][tap] (dense, so the taps are
 * regular); vdpbf16ps then sums both products of a pair per lane in float32. */
#include "ops/conv2d/conv2d_gemm.h"
#include "ops/gram/gram.h"

#include <stdint.h>

#include <string.h>

/* ---- portable kernels: the plain references of the SIMD ones (same sums per element) ---- */

#define GC_CG_SCALAR_W 8

void gc_cg_tile_f32_scalar(const gc_cg_call *a)
{
    const float *Z = a->z, *Wt = a->w, *I = a->init;
    float *O = a->out;
    const int64_t n = (int64_t)(a->nv - 1) * GC_CG_SCALAR_W + a->last;
    for (int r = 0; r < a->rows; r++)
        for (int64_t k = 0; k < n; k++) {
            float acc = I ? I[r] : 0.0f;
            for (int64_t c = 0; c < a->nred; c++)
                for (int64_t t = 0; t < a->ntaps; t++)
                    acc += Wt[r * a->wr + c * a->wc + a->wsh[t]] * Z[c * a->zs + a->zsh[t] + k];
            O[r * a->ors + k] = acc;
        }
}

void gc_cg_tile_f64_scalar(const gc_cg_call *a)
{
    const double *Z = a->z, *Wt = a->w, *I = a->init;
    double *O = a->out;
    const int64_t n = (int64_t)(a->nv - 1) * GC_CG_SCALAR_W + a->last;
    for (int r = 0; r < a->rows; r++)
        for (int64_t k = 0; k < n; k++) {
            double acc = I ? I[r] : 0.0;
            for (int64_t c = 0; c < a->nred; c++)
                for (int64_t t = 0; t < a->ntaps; t++)
                    acc += Wt[r * a->wr + c * a->wc + a->wsh[t]] * Z[c * a->zs + a->zsh[t] + k];
            O[r * a->ors + k] = acc;
        }
}

gc_cg_kernels gc_cg_kernels_for(gc_isa isa, gc_dtype dt)
{
    gc_cg_kernels k = {dt == GC_DTYPE_F32 ? gc_cg_tile_f32_scalar : gc_cg_tile_f64_scalar, 4, 2,
                       GC_CG_SCALAR_W};
#if defined(GC_HAVE_AVX2)
    if (isa == GC_ISA_AVX2)
        k = dt == GC_DTYPE_F32 ? (gc_cg_kernels){gc_cg_tile_f32_avx2, 4, 3, 8}
                               : (gc_cg_kernels){gc_cg_tile_f64_avx2, 4, 3, 4};
#endif
#if defined(GC_HAVE_AVX512)
    if (isa == GC_ISA_AVX512)
        k = dt == GC_DTYPE_F32 ? (gc_cg_kernels){gc_cg_tile_f32_avx512, 8, 3, 16}
                               : (gc_cg_kernels){gc_cg_tile_f64_avx512, 8, 3, 8};
#endif
    (void)isa;
    return k;
}

/* ---- plan ------------------------------------------------------------------------------ */

typedef struct gc_cg_plan {
    gc_cg_kernels kern;
    gc_dtype dtype;
    size_t esz;
    int fwd;
    gc_boundary pmode;
    int64_t G, nin, nout;             /* groups; reduction / output channels per group */
    int64_t Hs, Ws, src_s[4];         /* source planes (input or grad_output) */
    int64_t OH, OW, dst_s[4];         /* destination planes (output or grad_input) */
    int64_t pt, pl, pb, pr;           /* padding of the source (backward: may be < 0) */
    int64_t KH, KW, dh, dw, ntaps;
    int64_t Wq, zlen, kend;           /* pitch, plane length, flattened pixels computed */
    int zerocopy, direct;             /* Z = the source; tiles stored into the output */
    int regular;                      /* dilation 1, dense taps: gc_cg_call.regular */
    int64_t TW, ntiles, OB, nob, njobs;
    size_t tab_bytes, z_bytes, bias_bytes, stage_bytes;
    int nthreads;
    int bf16;                         /* forward on bfloat16 pairs (GC_PRECISION_BF16) */
    int64_t npair;                    /* bf16: channel pairs per group, ceil(nin / 2) */
    size_t w2_bytes, zf_bytes;        /* bf16: packed weights; per-thread float planes */
} gc_cg_plan;

static size_t gc_cg_round64(size_t b)
{
    return (b + 63) & ~(size_t)63;
}

int gc_conv2d_gemm_ok(const gc_conv2d_problem *p, gc_conv_pass pass)
{
    if (p->sh != 1 || p->sw != 1)
        return 0;
    if (pass == GC_CONV_PASS_BACKWARD_INPUT && p->pmode != GC_BOUNDARY_FILL)
        return 0;
    return pass == GC_CONV_PASS_FORWARD || pass == GC_CONV_PASS_BACKWARD_INPUT;
}

/* AUTO's rule (measured on Zen 4, AVX-512 and AVX2, float32, by thread CPU time): the
 * direct correlation kernel tiles one output row at a time, so it loses lanes when OW is not
 * a multiple of the vector (OW % W) and more when a row has fewer than 4 vectors (its tile
 * then holds few accumulators: 512->512 3x3 @28 ran at 74 GFLOP/s direct, 108 here); the
 * GEMM tile runs over the flattened plane and loses only the junk columns and the last tile,
 * but pays a per-tile store and needs a long reduction and enough output channels. So, on
 * AVX2 / AVX-512 (the scalar kernel is a plain loop): GEMM when the reduction per output
 * (channels in x taps) is >= 128 and its lane use (useful / computed, counting rows of the
 * channel tile) beats the direct kernel's estimate (OW / (vectors * W), times 3/4 below 4
 * vectors per row) by 2 %, or comes within 2 % of it with a reduction >= 512 (64->64 3x3
 * @224: 92 vs 80 GFLOP/s on a loaded machine, 128->128 @112: 110 vs 108; 16->16 @112 stays
 * direct: 100 vs 87); dilation > 1 at stride 1 (where DIRECT cannot run) always. */
int gc_conv2d_gemm_preferred(const gc_conv2d_problem *p, gc_conv_pass pass, gc_isa isa)
{
    if (!gc_conv2d_gemm_ok(p, pass) || (isa != GC_ISA_AVX2 && isa != GC_ISA_AVX512))
        return 0;
    if (p->dh != 1 || p->dw != 1)
        return 1;
    const gc_cg_kernels k = gc_cg_kernels_for(isa, p->dtype);
    const int fwd = pass == GC_CONV_PASS_FORWARD;
    const int64_t red = (fwd ? p->Cg : p->Og) * p->KH * p->KW, rows = fwd ? p->Og : p->Cg;
    const int64_t OH = fwd ? p->OH : p->H, OW = fwd ? p->OW : p->W;
    if (red < 128 || rows < 1)
        return 0;
    /* the GEMM's pitch at zero padding with both pads >= 0 (else its full padded width) */
    const int64_t plft = fwd ? p->pl : p->KW - 1 - p->pl, prgt = fwd ? p->pr : p->KW - 1 - p->pr;
    int64_t Wq = OW + p->KW - 1;
    if (p->pmode == GC_BOUNDARY_FILL && plft >= 0 && prgt >= 0)
        Wq -= plft < prgt ? plft : prgt;
    if (Wq < OW)
        Wq = OW;
    const int64_t TW = (int64_t)k.NV * k.W, kend = (OH - 1) * Wq + OW;
    const double eg = (double)(OH * OW) / (double)((kend + TW - 1) / TW * TW) *
                      (double)rows / (double)((rows + k.MR - 1) / k.MR * k.MR);
    const int64_t nvec = (OW + k.W - 1) / k.W;
    double ed = (double)OW / (double)(nvec * k.W);
    if (nvec < 4)
        ed *= 0.75;
    return red >= 512 ? eg >= ed - 0.02 : eg > ed + 0.02;
}

static gc_status gc_cg_plan_make(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                                 gc_cg_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    if (!gc_conv2d_gemm_ok(p, pass))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: the gemm algorithm needs stride 1 "
                       "(and zeros padding for backward_input)");
    pl->kern = gc_cg_kernels_for(gc_context_isa(ctx), p->dtype);
    pl->bf16 = p->bf16 && pass == GC_CONV_PASS_FORWARD;
    if (pl->bf16) {
#if defined(GC_HAVE_AVX512)
        if (gc_bf16_available(ctx))
            pl->kern = (gc_cg_kernels){gc_cg_tile_bf16_avx512, 8, 3, 16};
        else
#endif
            return gc_fail(ctx, GC_ERR_UNSUPPORTED, "conv2d: bf16 precision needs AVX512-BF16 (this "
                           "CPU, build or ISA setting has none)");
    }
    pl->dtype = p->dtype;
    pl->esz = gc_dtype_size(p->dtype);
    pl->fwd = pass == GC_CONV_PASS_FORWARD;
    pl->pmode = p->pmode;
    pl->G = p->G;
    pl->KH = p->KH, pl->KW = p->KW, pl->dh = p->dh, pl->dw = p->dw;
    pl->ntaps = p->KH * p->KW;
    if (pl->fwd) {
        pl->nin = p->Cg, pl->nout = p->Og;
        pl->Hs = p->H, pl->Ws = p->W, pl->OH = p->OH, pl->OW = p->OW;
        memcpy(pl->src_s, p->in_s, sizeof pl->src_s);
        memcpy(pl->dst_s, p->out_s, sizeof pl->dst_s);
        pl->pt = p->pt, pl->pl = p->pl, pl->pb = p->pb, pl->pr = p->pr;
    } else {
        pl->nin = p->Og, pl->nout = p->Cg;
        pl->Hs = p->OH, pl->Ws = p->OW, pl->OH = p->H, pl->OW = p->W;
        memcpy(pl->src_s, p->out_s, sizeof pl->src_s);
        memcpy(pl->dst_s, p->in_s, sizeof pl->dst_s);
        pl->pt = (p->KH - 1) * p->dh - p->pt, pl->pl = (p->KW - 1) * p->dw - p->pl;
        pl->pb = (p->KH - 1) * p->dh - p->pb, pl->pr = (p->KW - 1) * p->dw - p->pr;
    }
    const int64_t wfull = pl->OW + (p->KW - 1) * p->dw, hz = pl->OH + (p->KH - 1) * p->dh;
    pl->zerocopy = !pl->bf16 && pl->pt == 0 && pl->pl == 0 && pl->pb == 0 && pl->pr == 0 &&
                   pl->src_s[3] == 1 && pl->src_s[2] >= pl->Ws && pl->Ws == wfull;
    if (pl->zerocopy)
        pl->Wq = pl->src_s[2];
    else if (p->pmode == GC_BOUNDARY_FILL && pl->pl >= 0 && pl->pr >= 0)
        pl->Wq = wfull - (pl->pl < pl->pr ? pl->pl : pl->pr) < pl->OW
                     ? pl->OW : wfull - (pl->pl < pl->pr ? pl->pl : pl->pr);
    else
        pl->Wq = wfull;
    /* Z rows 0 .. hz-1, plus the reads of the last row's junk columns: (hz-1)*Wq + wfull */
    int64_t zl, z = 0;
    if (!gc_mul_ok(hz - 1, pl->Wq, &zl) || zl > INT64_MAX / 16 ||
        !gc_mul_ok(pl->OH - 1, pl->Wq, &pl->kend))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: gemm workspace size overflows");
    pl->zlen = zl + wfull;
    pl->kend += pl->OW;
    const int64_t nsrc = pl->G * pl->nin;
    if (!pl->zerocopy && (!gc_mul_ok(nsrc, pl->zlen, &z) || !gc_mul_ok(z, (int64_t)pl->esz, &z) ||
                          z > INT64_MAX / 64))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: gemm workspace size overflows");
    /* bf16: Z holds channel pairs (one 32-bit word per pixel: bf16 of channels 2q, 2q+1),
     * built per pair from two float planes in per-thread scratch; the weights are packed
     * the same way, dense: W2[o][q][tap] */
    if (pl->bf16) {
        int64_t w2;
        pl->npair = (pl->nin + 1) / 2;
        if (!gc_mul_ok(pl->G * pl->npair, pl->zlen, &z) || !gc_mul_ok(z, 4, &z) || z > INT64_MAX / 64 ||
            !gc_mul_ok(p->O * pl->npair, pl->ntaps, &w2) || !gc_mul_ok(w2, 4, &w2) || w2 > INT64_MAX / 64 ||
            pl->zlen > INT64_MAX / 64)
            return gc_fail(ctx, GC_ERR_OVERFLOW, "conv2d: gemm workspace size overflows");
        pl->w2_bytes = gc_cg_round64((size_t)w2);
        pl->zf_bytes = gc_cg_round64((size_t)(2 * pl->zlen) * pl->esz);
    }
    pl->regular = p->dh == 1 && p->dw == 1 && (pl->bf16 || (p->w_s[3] == 1 && p->w_s[2] == p->KW));
    pl->direct = pl->Wq == pl->OW && pl->dst_s[3] == 1 && pl->dst_s[2] == pl->OW;
    pl->TW = (int64_t)pl->kern.NV * pl->kern.W;
    pl->ntiles = (pl->kend + pl->TW - 1) / pl->TW;
    /* output-channel blocks: all of a group's channels per job, split (in whole tiles of MR)
     * until there are >= 4 jobs per thread */
    pl->nthreads = gc_context_threads(ctx);
    const int64_t MR = pl->kern.MR, nmt = (pl->nout + MR - 1) / MR;
    pl->nob = 1;
    while (pl->nob < nmt && pl->G * pl->ntiles * pl->nob < 4 * (int64_t)pl->nthreads)
        pl->nob++;
    pl->OB = (nmt + pl->nob - 1) / pl->nob * MR;
    pl->nob = (pl->nout + pl->OB - 1) / pl->OB;
    pl->njobs = pl->G * pl->nob * pl->ntiles;
    pl->tab_bytes = gc_cg_round64((size_t)(2 * pl->ntaps) * sizeof(int64_t));
    pl->z_bytes = gc_cg_round64((size_t)z);
    pl->bias_bytes = pl->fwd ? gc_cg_round64((size_t)p->O * pl->esz) : 0;
    pl->stage_bytes = pl->direct ? 0 : gc_cg_round64((size_t)(MR * pl->TW) * pl->esz);
    return GC_OK;
}

static size_t gc_cg_bytes(const gc_cg_plan *pl)
{
    return pl->tab_bytes + pl->z_bytes + pl->bias_bytes + pl->w2_bytes +
           (size_t)pl->nthreads * (pl->stage_bytes + pl->zf_bytes);
}

gc_status gc_conv2d_gemm_workspace(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                                   size_t *bytes)
{
    gc_cg_plan pl;
    *bytes = 0;
    gc_status st = gc_cg_plan_make(ctx, p, pass, &pl);
    if (st == GC_OK)
        *bytes = gc_cg_bytes(&pl);
    return st;
}

/* ---- run ------------------------------------------------------------------------------- */

typedef struct {
    const gc_cg_plan *pl;
    const char *src, *w;
    char *dst;
    int64_t n;
    int64_t w_s[4];
    const int64_t *zsh, *wsh;
    const char *init;  /* bias copied dense (forward with a bias), else NULL */
    char *z, *stage;
    const char *w0;    /* the caller's weights (bf16: packed into w) */
    char *zf;          /* bf16: per-thread pairs of float planes */
} gc_cg_arg;

/* Source plane c of item n into d0[j], j < zlen (row-major, pitch Wq). */
static void gc_cg_pack_plane(const gc_cg_arg *A, int64_t c, char *d0)
{
    const gc_cg_plan *pl = A->pl;
    const size_t esz = pl->esz;
    const int64_t sx = pl->src_s[3];
    const char *plane = A->src + (size_t)(A->n * pl->src_s[0] + c * pl->src_s[1]) * esz;
    for (int64_t y = 0; y * pl->Wq < pl->zlen; y++) {
        const int64_t len = pl->zlen - y * pl->Wq < pl->Wq ? pl->zlen - y * pl->Wq : pl->Wq;
        char *d = d0 + (size_t)(y * pl->Wq) * esz;
        const int64_t Y = y - pl->pt;
        if (pl->pmode == GC_BOUNDARY_FILL) {
            if (Y < 0 || Y >= pl->Hs) {
                memset(d, 0, (size_t)len * esz);
                continue;
            }
            /* columns x with a source pixel: 0 <= x - pl < Ws */
            int64_t xa = pl->pl > 0 ? pl->pl : 0, xb = pl->pl + pl->Ws;
            if (xa > len)
                xa = len;
            if (xb > len)
                xb = len;
            if (xb < xa)
                xb = xa;
            memset(d, 0, (size_t)xa * esz);
            const char *row = plane + (size_t)(Y * pl->src_s[2] + (xa - pl->pl) * sx) * esz;
            if (sx == 1)
                memcpy(d + (size_t)xa * esz, row, (size_t)(xb - xa) * esz);
            else
                for (int64_t x = xa; x < xb; x++)
                    memcpy(d + (size_t)x * esz, row + (size_t)((x - xa) * sx) * esz, esz);
            memset(d + (size_t)xb * esz, 0, (size_t)(len - xb) * esz);
            continue;
        }
        /* other padding modes (forward only; Wq = the padded width): per element */
        const int64_t iy = Y >= -pl->pt && Y < pl->Hs + pl->pb ? gc_pad_index(Y, pl->Hs, pl->pmode) : -1;
        for (int64_t x = 0; x < len; x++) {
            const int64_t X = x - pl->pl;
            const int64_t ix = iy >= 0 && X >= -pl->pl && X < pl->Ws + pl->pr ? gc_pad_index(X, pl->Ws, pl->pmode) : -1;
            if (ix < 0)
                memset(d + (size_t)x * esz, 0, esz);
            else
                memcpy(d + (size_t)x * esz, plane + (size_t)(iy * pl->src_s[2] + ix * sx) * esz, esz);
        }
    }
}

/* Task: source plane c of item n into Z[c][j] (pitch Wq). */
static void gc_cg_pack_task(int64_t c, int thread, void *argp)
{
    (void)thread;
    const gc_cg_arg *A = argp;
    gc_cg_pack_plane(A, c, A->z + (size_t)(c * A->pl->zlen) * A->pl->esz);
}

#if defined(GC_HAVE_AVX512)
/* Task (bf16): channel pair q of the whole input (g * npair + q') into Z2[q][j] = bf16 of
 * plane 2q' in the low half, of plane 2q'+1 (zero past the group's channels) in the high. */
static void gc_cg_pack_pair_task(int64_t gq, int thread, void *argp)
{
    const gc_cg_arg *A = argp;
    const gc_cg_plan *pl = A->pl;
    const int64_t g = gq / pl->npair, c = 2 * (gq % pl->npair);
    float *f0 = (float *)(A->zf + (size_t)thread * pl->zf_bytes), *f1 = f0 + pl->zlen;
    gc_cg_pack_plane(A, g * pl->nin + c, (char *)f0);
    if (c + 1 < pl->nin)
        gc_cg_pack_plane(A, g * pl->nin + c + 1, (char *)f1);
    else
        memset(f1, 0, (size_t)pl->zlen * sizeof(float));
    gc_cg_pairs_bf16_avx512(f0, f1, (uint32_t *)A->z + gq * pl->zlen, pl->zlen);
}

/* Task (bf16): output channel o's weights into W2[o][q][tap] = bf16 pair (w[o][2q][tap],
 * w[o][2q+1][tap]) (zero past the group's channels), 64 taps at a time. */
static void gc_cg_pack_w_task(int64_t o, int thread, void *argp)
{
    (void)thread;
    const gc_cg_arg *A = argp;
    const gc_cg_plan *pl = A->pl;
    const float *w = (const float *)A->w0 + o * A->w_s[0];
    uint32_t *d = (uint32_t *)A->w + o * pl->npair * pl->ntaps;
    float lo[64], hi[64];
    for (int64_t q = 0; q < pl->npair; q++)
        for (int64_t t0 = 0; t0 < pl->ntaps; t0 += 64) {
            const int64_t nt = pl->ntaps - t0 < 64 ? pl->ntaps - t0 : 64;
            for (int64_t t = 0; t < nt; t++) {
                const int64_t tap = (t0 + t) / pl->KW * A->w_s[2] + (t0 + t) % pl->KW * A->w_s[3];
                lo[t] = w[2 * q * A->w_s[1] + tap];
                hi[t] = 2 * q + 1 < pl->nin ? w[(2 * q + 1) * A->w_s[1] + tap] : 0.0f;
            }
            gc_cg_pairs_bf16_avx512(lo, hi, d + q * pl->ntaps + t0, nt);
        }
}
#endif

/* Task (g, ob, tile): output channels [g*nout + ob*OB, +OB) x flattened pixels
 * [tile*TW, +TW) of item n, in MR-channel kernel tiles. */
static void gc_cg_task(int64_t job, int thread, void *argp)
{
    const gc_cg_arg *A = argp;
    const gc_cg_plan *pl = A->pl;
    const size_t esz = pl->esz;
    const int64_t MR = pl->kern.MR, W = pl->kern.W, TW = pl->TW;
    const int64_t g = job / (pl->nob * pl->ntiles), ob = job / pl->ntiles % pl->nob, tl = job % pl->ntiles;
    const int64_t k0 = tl * TW, nk = pl->kend - k0 < TW ? pl->kend - k0 : TW;
    const int nv = (int)((nk + W - 1) / W), last = (int)(nk - (nv - 1) * W);
    const int64_t o_end = (ob + 1) * pl->OB < pl->nout ? (ob + 1) * pl->OB : pl->nout;
    const int64_t nred = pl->bf16 ? pl->npair : pl->nin; /* bf16: 4-byte words of pairs */
    const char *z = pl->zerocopy ? A->src + (size_t)(A->n * pl->src_s[0] + g * pl->nin * pl->src_s[1] + k0) * esz
                                 : A->z + (size_t)(g * nred * pl->zlen + k0) * esz;
    const int64_t zs = pl->zerocopy ? pl->src_s[1] : pl->zlen;
    /* weights: forward rows o (stride w_s[0]), reduction c (w_s[1]); backward the transpose */
    const int64_t wr = pl->fwd ? A->w_s[0] : A->w_s[1], wc = pl->fwd ? A->w_s[1] : A->w_s[0];
    const char *wg = A->w + (size_t)(g * pl->nout * (pl->fwd ? A->w_s[0] : 0) +
                                     g * pl->nin * (pl->fwd ? 0 : A->w_s[0])) * esz;
    char *stage = A->stage + (size_t)thread * pl->stage_bytes;
    gc_cg_call call = {.nred = nred, .ntaps = pl->ntaps, .z = z, .zs = zs, .zsh = A->zsh,
                       .wr = wr, .wc = wc, .wsh = A->wsh, .nv = nv, .last = last,
                       .regular = pl->regular, .flip = !pl->fwd, .kh = pl->KH, .kw = pl->KW,
                       .zrow = pl->Wq};
    for (int64_t o0 = ob * pl->OB; o0 < o_end; o0 += MR) {
        const int64_t oc = g * pl->nout + o0;
        char *dbase = A->dst + (size_t)(A->n * pl->dst_s[0] + oc * pl->dst_s[1]) * esz;
        call.rows = (int)(o_end - o0 < MR ? o_end - o0 : MR);
        call.init = A->init ? A->init + (size_t)oc * esz : NULL;
        call.w = wg + (size_t)(o0 * wr) * esz;
        if (pl->direct) {
            call.out = dbase + (size_t)k0 * esz;
            call.ors = pl->dst_s[1];
            pl->kern.tile(&call);
            continue;
        }
        call.out = stage;
        call.ors = TW;
        pl->kern.tile(&call);
        const int rows = call.rows;
        /* scatter the tile's real columns (x < OW) row segment by row segment */
        for (int64_t k = k0; k < k0 + nk;) {
            const int64_t y = k / pl->Wq, x = k % pl->Wq;
            const int64_t seg = pl->Wq - x < k0 + nk - k ? pl->Wq - x : k0 + nk - k;
            const int64_t run = x >= pl->OW ? 0 : (pl->OW - x < seg ? pl->OW - x : seg);
            for (int r = 0; r < rows && run > 0; r++) {
                const char *s = stage + (size_t)(r * TW + k - k0) * esz;
                char *d = dbase + (size_t)(r * pl->dst_s[1] + y * pl->dst_s[2] + x * pl->dst_s[3]) * esz;
                if (pl->dst_s[3] == 1)
                    memcpy(d, s, (size_t)run * esz);
                else
                    for (int64_t i = 0; i < run; i++)
                        memcpy(d + (size_t)(i * pl->dst_s[3]) * esz, s + (size_t)i * esz, esz);
            }
            k += seg;
        }
    }
}

static gc_status gc_cg_run(gc_context *ctx, const gc_conv2d_problem *p, gc_conv_pass pass,
                           const void *src, const void *w, const void *bias, void *dst, void *ws,
                           size_t ws_bytes)
{
    gc_cg_plan pl;
    gc_status st = gc_cg_plan_make(ctx, p, pass, &pl);
    if (st != GC_OK)
        return st;
    const size_t need = gc_cg_bytes(&pl);
    if (ws_bytes < need || (!ws && need > 0))
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace of %zu bytes is too small (needs %zu; "
                       "ask gc_conv2d_workspace_size)", ws_bytes, need);
    if ((uintptr_t)ws & 63)
        return gc_fail(ctx, GC_ERR_ARG, "conv2d: workspace must be 64-byte aligned");
    gc_cg_arg A;
    memset(&A, 0, sizeof A);
    A.pl = &pl, A.src = src, A.w = w, A.w0 = w, A.dst = dst;
    memcpy(A.w_s, p->w_s, sizeof A.w_s);
    int64_t *zsh = ws, *wsh = zsh + pl.ntaps;
    for (int64_t t = 0; t < pl.ntaps; t++) {
        const int64_t a = t / p->KW, b = t % p->KW;
        zsh[t] = a * p->dh * pl.Wq + b * p->dw;
        wsh[t] = pl.bf16 ? t
                 : pl.fwd ? a * p->w_s[2] + b * p->w_s[3]
                          : (p->KH - 1 - a) * p->w_s[2] + (p->KW - 1 - b) * p->w_s[3];
    }
    A.zsh = zsh, A.wsh = wsh;
    char *c = (char *)ws + pl.tab_bytes;
    A.z = c;
    c += pl.z_bytes;
    if (bias) {
        for (int64_t o = 0; o < p->O; o++)
            gc_store(c, p->dtype, o, gc_load(bias, p->dtype, o * p->b_s));
        A.init = c;
    }
    A.stage = c + pl.bias_bytes;
    const int T = pl.nthreads;
#if defined(GC_HAVE_AVX512)
    if (pl.bf16) {
        char *w2 = A.stage + (size_t)T * pl.stage_bytes;
        A.zf = w2 + pl.w2_bytes;
        A.w = w2;
        st = gc_parallel_for(ctx, T, p->O, gc_cg_pack_w_task, &A);
        const int64_t wpk_s[4] = {pl.npair * pl.ntaps, pl.ntaps, p->KW, 1}; /* W2's strides */
        memcpy(A.w_s, wpk_s, sizeof A.w_s);
    }
#endif
    for (int64_t n = 0; n < p->N && st == GC_OK; n++) {
        A.n = n;
#if defined(GC_HAVE_AVX512)
        if (pl.bf16) {
            st = gc_parallel_for(ctx, T, pl.G * pl.npair, gc_cg_pack_pair_task, &A);
        } else
#endif
        if (!pl.zerocopy)
            st = gc_parallel_for(ctx, T, pl.G * pl.nin, gc_cg_pack_task, &A);
        if (st == GC_OK)
            st = gc_parallel_for(ctx, T, pl.njobs, gc_cg_task, &A);
    }
    return st;
}

gc_status gc_conv2d_gemm_forward(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                 const void *w, const void *bias, void *out, void *ws,
                                 size_t ws_bytes)
{
    return gc_cg_run(ctx, p, GC_CONV_PASS_FORWARD, in, w, bias, out, ws, ws_bytes);
}

gc_status gc_conv2d_gemm_backward_input(gc_context *ctx, const gc_conv2d_problem *p,
                                        const void *gout, const void *w, void *gin, void *ws,
                                        size_t ws_bytes)
{
    return gc_cg_run(ctx, p, GC_CONV_PASS_BACKWARD_INPUT, gout, w, NULL, gin, ws, ws_bytes);
}
