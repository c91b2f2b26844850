/* tile_synth.c - texture synthesis in bands (gc_synth_tiled_*): the loss and gradient of
 * gc_synth for the random multi-scale net, style (+ total variation) terms, with each scale's
 * feature map F x H x W never in memory at once.
 *
 * Per scale i (filters F, size k, circular padding k/2, as synth_eval.c filters the image
 * being synthesised), with bands of b output rows:
 *   pass 1, per band: feat = ReLU(conv band) (gc_conv2d_forward_band over the whole image,
 *     which wraps the rows); G += feat feat^T (gc_gram_accum, G's sum order as
 *     gc_gram_forward's one-part path). Then loss_i = w mean((G - T)^2), w = style_weight /
 *     (|style| mean(T^2)), and dG = 2 w (G - T) / F^2.
 *   pass 2 (gradient), per band: feat again (recomputed: nothing of F x H x W is kept);
 *     dfeat = (1/(HW)) (dG + dG^T) feat (gc_gram_backward, norm none, scale 1/(HW)), zero
 *     where feat <= 0 (ReLU); the band's image gradient over its padded input rows
 *     (unpadded gc_conv2d_backward_input on C x (b+k-1) x (W+k-1)) folded back onto the
 *     image rows and columns it came from (circular: wrapped), added into dL/dimage.
 * Optimiser and loop: gc_synth_run's (gc_synth_make_optimizer, synth/synth_loop.c).
 * Memory: the image-sized vectors (image, gradient, optimiser state) plus, per band, the
 * padded input copy and its gradient (C x (b+k-1) x (W+k-1) each), feat and dfeat
 * (F x b x W each) and the conv workspace. The band height is the largest whose buffers fit
 * max_memory (for the largest scale). Equal to gc_synth_loss within float rounding. */
#include "ops/conv2d/conv2d.h"
#include "synth/synth.h"
#include "synth/synth_loop.h"
#include "tile/tile.h"

#include <math.h>
#include <string.h>

struct gc_synth_tiled {
    gc_context *ctx;
    const gc_synth_net *net;
    gc_synth_desc desc;
    uint32_t style;
    int nstyle;
    int64_t H, W, band;               /* band: output rows per band */
    gc_tensor target[GC_SYNTH_MAX_LAYERS];
    double tnorm[GC_SYNTH_MAX_LAYERS];
    gc_tensor g, dg;                  /* F x F (largest), reused per scale */
    gc_tensor x, gimg;                /* C x H x W: iterate, gradient */
    gc_optimizer *opt;                /* NULL in a part of a split run (mpi_synth.c) */
};

static gc_conv2d_desc gc_ts_conv(int64_t k)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = k / 2;
    d.padding_mode = GC_BOUNDARY_WRAP;
    return d;
}

/* The conv workspace (forward or backward_input, the larger) of a band of b output rows at
 * scale i. */
static gc_status gc_ts_band_ws(gc_context *ctx, const gc_synth_tiled *t, int i, int64_t b,
                               size_t *ws)
{
    const gc_tensor *w = &t->net->weights[i];
    const int64_t C = w->dims[1], k = w->dims[2];
    const int64_t vd[3] = {C, b + k - 1, t->W + k - 1}, zs[3] = {0, 0, 0};
    gc_tensor v;
    gc_conv2d_desc inner = gc_conv2d_desc_default();
    size_t wsf = 0, wsb = 0;
    gc_status st = gc_tensor_wrap(&v, w->dtype, 3, vd, zs, w->data);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &inner, &v, w, GC_CONV_PASS_FORWARD, &wsf);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &inner, &v, w, GC_CONV_PASS_BACKWARD_INPUT, &wsb);
    *ws = wsf > wsb ? wsf : wsb;
    return st;
}

/* Bytes of the band buffers for b rows at scale i. The workspace counted is the larger of a
 * b-row band's and a one-row band's: the last band of a part may be shorter, and the
 * convolution may pick an algorithm with a larger workspace for it (so the bytes also grow
 * with b, and the smallest budget that works gives one-row bands). */
static gc_status gc_ts_band_bytes(gc_context *ctx, const gc_synth_tiled *t, int i, int64_t b,
                                  uint64_t *bytes)
{
    const gc_tensor *w = &t->net->weights[i];
    const int64_t F = w->dims[0], C = w->dims[1], k = w->dims[2];
    const int64_t R = b + k - 1, Wp = t->W + k - 1;
    size_t ws = 0, ws1 = 0;
    gc_status st = gc_ts_band_ws(ctx, t, i, b, &ws);
    if (st == GC_OK && b > 1)
        st = gc_ts_band_ws(ctx, t, i, 1, &ws1);
    const size_t esz = gc_dtype_size(w->dtype);
    *bytes = (uint64_t)(2 * C * R * Wp + 2 * F * b * t->W) * esz + (ws > ws1 ? ws : ws1) + 512;
    return st;
}

void gc_synth_tiled_free(gc_synth_tiled *t)
{
    if (!t)
        return;
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&t->target[l]);
    gc_tensor_free(&t->g);
    gc_tensor_free(&t->dg);
    gc_tensor_free(&t->x);
    gc_tensor_free(&t->gimg);
    gc_optimizer_free(t->opt);
    gc_free(t->ctx, t);
}

gc_status gc_synth_tiled_create(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *desc,
                                const gc_tensor *target_grams, uint64_t max_memory,
                                gc_synth_tiled **out)
{
    return gc_synth_tiled_create_part(ctx, net, desc, target_grams, max_memory, 1, out);
}

gc_status gc_synth_tiled_create_part(gc_context *ctx, const gc_synth_net *net,
                                     const gc_synth_desc *desc, const gc_tensor *target_grams,
                                     uint64_t max_memory, int with_optimizer, gc_synth_tiled **out)
{
    gc_clear_error(ctx);
    const char *op = "synth_tiled";
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: out is NULL", op);
    *out = NULL;
    if (!net || !desc || !target_grams)
        return gc_fail(ctx, GC_ERR_NULL, "%s: NULL net, descriptor or targets", op);
    if (net->kind != GC_SYNTH_NET_RANDOM)
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "%s: bands are implemented for the random net "
                       "only (VGG-19 needs halos through 16 layers and its poolings)", op);
    if (desc->content_layer != -1)
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "%s: no content term in bands (texture only)", op);
    if (desc->loss != GC_SYNTH_LOSS_KIND_GRAM)
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "%s: the Gram loss only in bands (the sliced "
                       "Wasserstein loss sorts whole feature maps)", op);
    if (desc->optimizer != GC_SYNTH_OPTIMIZER_LBFGS && desc->optimizer != GC_SYNTH_OPTIMIZER_ADAM)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown optimizer %d", op, (int)desc->optimizer);
    if (desc->height < 1 || desc->width < 1 || desc->iters < 0 ||
        !(desc->style_weight >= 0) || !(desc->tv_weight >= 0) || !isfinite(desc->style_weight) ||
        !isfinite(desc->tv_weight))
        return gc_fail(ctx, GC_ERR_ARG, "%s: bad size, iterations or weights", op);
    const uint32_t style = desc->style_layers ? desc->style_layers : net->default_style;
    if (style >> net->nlayers)
        return gc_fail(ctx, GC_ERR_ARG, "%s: style layer bits beyond the net's %d layers", op,
                       net->nlayers);
    gc_synth_tiled *t;
    gc_status st = gc_alloc(ctx, 1, sizeof *t, (void **)&t);
    if (st != GC_OK)
        return st;
    memset(t, 0, sizeof *t);
    t->ctx = ctx, t->net = net, t->desc = *desc, t->style = style;
    t->H = desc->height, t->W = desc->width;
    int64_t fmax = 1;
    for (int l = 0; l < net->nlayers && st == GC_OK; l++) {
        if (!(style >> l & 1))
            continue;
        t->nstyle++;
        const int64_t c = net->channels[l];
        fmax = c > fmax ? c : fmax;
        const gc_tensor *tg = &target_grams[l];
        if (tg->rank != 2 || tg->dims[0] != c || tg->dims[1] != c || tg->dtype != net->dtype ||
            !tg->data) {
            st = gc_fail(ctx, GC_ERR_SHAPE, "%s: target Gram of layer %d must be %lldx%lld %s", op,
                         l, (long long)c, (long long)c, gc_dtype_name(net->dtype));
            break;
        }
        if ((st = gc_tensor_contiguous(ctx, tg, &t->target[l])) != GC_OK)
            break;
        double s2 = 0;
        for (int64_t e = 0; e < c * c; e++) {
            const double v = gc_load(t->target[l].data, net->dtype, e);
            s2 += v * v;
        }
        t->tnorm[l] = s2 > 0 ? s2 / (double)(c * c) : 1.0;
    }
    const int64_t gd[2] = {fmax, fmax}, xd[3] = {net->in_channels, t->H, t->W};
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &t->g, net->dtype, 2, gd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &t->dg, net->dtype, 2, gd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &t->x, net->dtype, 3, xd);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &t->gimg, net->dtype, 3, xd);
    if (st == GC_OK && with_optimizer)
        st = gc_synth_make_optimizer(ctx, desc, net->dtype, net->in_channels * t->H * t->W,
                                           &t->opt);
    /* the band: the largest whose buffers fit, at every scale */
    t->band = t->H;
    for (int l = 0; l < net->nlayers && st == GC_OK; l++) {
        if (!(style >> l & 1))
            continue;
        uint64_t b1;
        if ((st = gc_ts_band_bytes(ctx, t, l, 1, &b1)) != GC_OK)
            break;
        if (max_memory && b1 > max_memory) {
            st = gc_fail(ctx, GC_ERR_LIMIT, "%s: a memory budget of %llu bytes is too small: a "
                         "band of one row needs %llu", op, (unsigned long long)max_memory,
                         (unsigned long long)b1);
            break;
        }
        int64_t lo = 1, hi = t->band;
        while (max_memory && lo < hi) {
            const int64_t mid = lo + (hi - lo + 1) / 2;
            uint64_t bm;
            if ((st = gc_ts_band_bytes(ctx, t, l, mid, &bm)) != GC_OK)
                break;
            if (bm <= max_memory)
                lo = mid;
            else
                hi = mid - 1;
        }
        t->band = max_memory ? lo : t->H; /* no budget: one band of all rows */
    }
    if (st != GC_OK) {
        gc_synth_tiled_free(t);
        return st;
    }
    *out = t;
    return GC_OK;
}

int64_t gc_synth_tiled_band_rows(const gc_synth_tiled *t) { return t ? t->band : 0; }

/* x = x > 0 ? x : 0 (NaN -> 0, as the loops this replaces), float32 or float64. */
static void gc_ts_relu(gc_tensor *f)
{
    const int64_t n = f->dims[0] * f->dims[1] * f->dims[2];
    if (f->dtype == GC_DTYPE_F32) {
        float *v = f->data;
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] > 0.0f ? v[i] : 0.0f;
    } else {
        double *v = f->data;
        for (int64_t i = 0; i < n; i++)
            v[i] = v[i] > 0.0 ? v[i] : 0.0;
    }
}

/* g = 0 where feat <= 0 (the ReLU's backward), n elements of dtype dt. */
static void gc_ts_relu_mask(gc_dtype dt, int64_t n, const void *feat, void *g)
{
    if (dt == GC_DTYPE_F32) {
        const float *f = feat;
        float *v = g;
        for (int64_t i = 0; i < n; i++)
            v[i] = f[i] > 0.0f ? v[i] : 0.0f;
    } else {
        const double *f = feat;
        double *v = g;
        for (int64_t i = 0; i < n; i++)
            v[i] = f[i] > 0.0 ? v[i] : 0.0;
    }
}

/* The band's features (rows [y0, y0+b) of scale i) into feat (F x b x W, contiguous). */
static gc_status gc_ts_feat(gc_context *ctx, const gc_synth_tiled *t, int i, const gc_tensor *x,
                            int64_t y0, gc_tensor *feat)
{
    const gc_tensor *w = &t->net->weights[i];
    const gc_conv2d_desc d = gc_ts_conv(w->dims[2]);
    gc_status st = gc_conv2d_forward_band(ctx, &d, t->H, x, 0, w, gc_synth_net_bias(t->net, i),
                                          y0, feat);
    if (st == GC_OK)
        gc_ts_relu(feat);
    return st;
}

/* gimg += the image gradient of rows [y0, y0+b) of scale i's conv output, gfeat (F x b x W):
 * backward over the band's padded input rows, folded back (circular). */
static gc_status gc_ts_scatter(gc_context *ctx, gc_synth_tiled *t, int i, int64_t y0,
                               const gc_tensor *gfeat, gc_tensor *gimg)
{
    const gc_tensor *w = &t->net->weights[i];
    const int64_t C = w->dims[1], k = w->dims[2], p = k / 2, b = gfeat->dims[1];
    const int64_t R = b + k - 1, Wp = t->W + k - 1;
    const int64_t vd[3] = {C, R, Wp};
    gc_tensor vg = {0};
    gc_conv2d_desc inner = gc_conv2d_desc_default();
    size_t wsb = 0;
    void *ws = NULL;
    gc_status st = gc_tensor_create(ctx, &vg, w->dtype, 3, vd);
    if (st == GC_OK)
        st = gc_conv2d_workspace_size(ctx, &inner, &vg, w, GC_CONV_PASS_BACKWARD_INPUT, &wsb);
    if (st == GC_OK && wsb)
        st = gc_alloc(ctx, (int64_t)wsb, 1, &ws);
    if (st == GC_OK)
        st = gc_conv2d_backward_input(ctx, &inner, gfeat, w, &vg, ws, wsb);
    gc_free(ctx, ws);
    if (st == GC_OK)
        for (int64_t c = 0; c < C; c++)
            for (int64_t r = 0; r < R; r++) {
                const int64_t y = gc_pad_index(y0 + r - p, t->H, GC_BOUNDARY_WRAP);
                const int64_t o = (c * t->H + y) * t->W, v = (c * R + r) * Wp;
                for (int64_t q = 0; q < Wp; q++) { /* column q - p, wrapped */
                    const int64_t xx = q < p ? q - p + t->W : (q - p >= t->W ? q - p - t->W : q - p);
                    if (gimg->dtype == GC_DTYPE_F32)
                        ((float *)gimg->data)[o + xx] += ((const float *)vg.data)[v + q];
                    else
                        ((double *)gimg->data)[o + xx] += ((const double *)vg.data)[v + q];
                }
            }
    gc_tensor_free(&vg);
    return st;
}

/* The total-variation term of synth.c, w sum(dy^2 + dx^2) / (C H W), over the whole x
 * (C x H x W, contiguous); if g is not NULL its gradient is added to the rows [r0, r1) that
 * g holds (C x (r1 - r0) x W, contiguous; the whole image for r0 = 0, r1 = H), each element
 * receiving its terms in the same order whatever the rows. */
double gc_synth_tiled_tv(const gc_synth_tiled *t, const gc_tensor *x, int64_t r0, int64_t r1,
                         void *g)
{
    const double w = t->desc.tv_weight;
    const int64_t C = x->dims[0], H = x->dims[1], W = x->dims[2], R = r1 - r0;
    const double k = w / (double)(C * H * W);
    const gc_dtype dt = x->dtype;
    double sum = 0.0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t i = 0; i < W; i++) {
                const int64_t o = (c * H + y) * W + i;
                const double v = gc_load(x->data, dt, o);
                for (int dir = 0; dir < 2; dir++) {
                    if (dir == 0 ? y + 1 >= H : i + 1 >= W)
                        continue;
                    const int64_t o2 = dir == 0 ? o + W : o + 1;
                    const double d = gc_load(x->data, dt, o2) - v;
                    sum += d * d;
                    if (!g)
                        continue;
                    const int64_t y2 = dir == 0 ? y + 1 : y;
                    if (y2 >= r0 && y2 < r1) {
                        const int64_t q = (c * R + y2 - r0) * W + i + (dir == 0 ? 0 : 1);
                        gc_store(g, dt, q, gc_load(g, dt, q) + 2.0 * k * d);
                    }
                    if (y >= r0 && y < r1) {
                        const int64_t q = (c * R + y - r0) * W + i;
                        gc_store(g, dt, q, gc_load(g, dt, q) - 2.0 * k * d);
                    }
                }
            }
    return k * sum;
}

/* L and (want_grad) dL/dx into t->gimg at the contiguous x; with `red`, this part's output
 * rows only: the Gram sums added over the parts by red->sum (every part then has the same
 * style loss), t->gimg this part's bands' contribution (their rows and halos), not yet
 * summed over the parts, and no total-variation term (the caller adds it:
 * gc_synth_tiled_tv). */
gc_status gc_synth_tiled_eval_part(gc_context *ctx, gc_synth_tiled *t, const gc_tensor *x,
                                   const gc_ts_reduce *red, double *loss, int want_grad)
{
    const gc_synth_net *net = t->net;
    const gc_dtype dt = net->dtype;
    const size_t esz = gc_dtype_size(dt);
    gc_status st = GC_OK;
    const int64_t r0 = red ? red->row0 : 0, r1 = red ? red->row1 : t->H;
    *loss = 0.0;
    if (want_grad)
        memset(t->gimg.data, 0, (size_t)(net->in_channels * t->H * t->W) * esz);
    for (int l = 0; l < net->nlayers && st == GC_OK; l++) {
        if (!(t->style >> l & 1))
            continue;
        const int64_t F = net->channels[l];
        const int64_t bmax = r1 - r0 < t->band ? (r1 - r0 > 0 ? r1 - r0 : 1) : t->band;
        const int64_t fd[3] = {F, bmax, t->W}, gd[2] = {F, F}; /* a band, at most this part's rows */
        gc_tensor feat = {0}, gfeat = {0}, G, dG;
        gc_gram_accum *acc = NULL;
        const gc_gram_desc gdesc = gc_gram_desc_default(); /* 1/(H W), as synth.c */
        st = gc_tensor_create(ctx, &feat, dt, 3, fd);
        if (st == GC_OK && want_grad)
            st = gc_tensor_create(ctx, &gfeat, dt, 3, fd);
        if (st == GC_OK)
            st = gc_gram_accum_create(ctx, &gdesc, dt, F, t->H * t->W, &acc);
        for (int64_t y0 = r0; y0 < r1 && st == GC_OK; y0 += t->band) {
            const int64_t b = r1 - y0 < t->band ? r1 - y0 : t->band;
            const int64_t bd[3] = {F, b, t->W}; /* contiguous, the last band too */
            gc_tensor fb;
            st = gc_tensor_wrap(&fb, dt, 3, bd, NULL, feat.data);
            if (st == GC_OK)
                st = gc_ts_feat(ctx, t, l, x, y0, &fb);
            if (st == GC_OK)
                st = gc_gram_accum_add(ctx, acc, &fb);
        }
        if (st == GC_OK)
            st = gc_tensor_wrap(&G, dt, 2, gd, NULL, t->g.data);
        if (st == GC_OK)
            st = gc_tensor_wrap(&dG, dt, 2, gd, NULL, t->dg.data);
        if (red) { /* the parts' sums added: every part gets the whole G (called on every
                    * part whatever happened, so that none waits for another) */
            double *v = NULL;
            int64_t nv = 0;
            if (st == GC_OK)
                st = gc_gram_accum_partial(ctx, acc, &v, &nv);
            st = red->sum(ctx, red->user, st, v, nv);
        }
        if (st == GC_OK)
            st = gc_gram_accum_finish(ctx, acc, &G);
        gc_gram_accum_free(acc);
        if (st == GC_OK) {
            const double w = t->desc.style_weight / ((double)t->nstyle * t->tnorm[l]);
            const double n = (double)(F * F);
            double sum = 0.0;
            for (int64_t e = 0; e < F * F; e++) {
                const double d = gc_load(G.data, dt, e) - gc_load(t->target[l].data, dt, e);
                sum += d * d;
                gc_store(dG.data, dt, e, 2.0 * w / n * d);
            }
            *loss += w * sum / n;
        }
        if (want_grad) {
            gc_gram_desc bdesc = gc_gram_desc_default();
            bdesc.norm = GC_GRAM_NORM_NONE;
            bdesc.scale = 1.0 / ((double)t->H * (double)t->W);
            for (int64_t y0 = r0; y0 < r1 && st == GC_OK; y0 += t->band) {
                const int64_t b = r1 - y0 < t->band ? r1 - y0 : t->band;
                gc_tensor fb, gb;
                const int64_t bd[3] = {F, b, t->W};
                st = gc_tensor_wrap(&fb, dt, 3, bd, NULL, feat.data);
                if (st == GC_OK)
                    st = gc_tensor_wrap(&gb, dt, 3, bd, NULL, gfeat.data);
                if (st == GC_OK)
                    st = gc_ts_feat(ctx, t, l, x, y0, &fb);
                if (st == GC_OK)
                    st = gc_gram_backward(ctx, &bdesc, &fb, &dG, &gb);
                if (st == GC_OK) { /* ReLU */
                    gc_ts_relu_mask(dt, F * b * t->W, fb.data, gb.data);
                    st = gc_ts_scatter(ctx, t, l, y0, &gb, &t->gimg);
                }
            }
        }
        gc_tensor_free(&feat);
        gc_tensor_free(&gfeat);
    }
    if (!red && st == GC_OK && t->desc.tv_weight > 0.0)
        *loss += gc_synth_tiled_tv(t, x, 0, t->H, want_grad ? t->gimg.data : NULL);
    return st;
}

static gc_status gc_ts_eval(gc_context *ctx, gc_synth_tiled *t, const gc_tensor *x, double *loss,
                            int want_grad)
{
    return gc_synth_tiled_eval_part(ctx, t, x, NULL, loss, want_grad);
}

gc_tensor *gc_synth_tiled_x(gc_synth_tiled *t) { return &t->x; }
gc_tensor *gc_synth_tiled_grad(gc_synth_tiled *t) { return &t->gimg; }
const gc_synth_desc *gc_synth_tiled_desc(const gc_synth_tiled *t) { return &t->desc; }

static gc_status gc_ts_check_image(gc_context *ctx, const gc_synth_tiled *t, const gc_tensor *im,
                                   const char *what)
{
    if (!im)
        return gc_fail(ctx, GC_ERR_NULL, "synth_tiled: %s is NULL", what);
    gc_status st = gc_tensor_check(ctx, im, what);
    if (st != GC_OK)
        return st;
    if (im->rank != 3 || im->dims[0] != t->net->in_channels || im->dims[1] != t->H ||
        im->dims[2] != t->W || im->dtype != t->net->dtype)
        return gc_fail(ctx, GC_ERR_SHAPE, "synth_tiled: %s must be %lld x %lld x %lld %s", what,
                       (long long)t->net->in_channels, (long long)t->H, (long long)t->W,
                       gc_dtype_name(t->net->dtype));
    return GC_OK;
}

gc_status gc_synth_tiled_loss(gc_context *ctx, gc_synth_tiled *t, const gc_tensor *image,
                              double *loss, gc_tensor *grad)
{
    gc_clear_error(ctx);
    if (!t || !loss)
        return gc_fail(ctx, GC_ERR_NULL, "synth_tiled_loss: NULL state or loss");
    gc_status st = gc_ts_check_image(ctx, t, image, "image");
    if (st == GC_OK && grad)
        st = gc_ts_check_image(ctx, t, grad, "grad");
    if (st == GC_OK && grad && gc_tensor_self_overlaps(grad))
        st = gc_fail(ctx, GC_ERR_LAYOUT, "synth_tiled_loss: grad has broadcast strides");
    if (st == GC_OK)
        st = gc_tensor_copy(image, &t->x);
    if (st == GC_OK)
        st = gc_ts_eval(ctx, t, &t->x, loss, grad != NULL);
    if (st == GC_OK && grad)
        st = gc_tensor_copy(&t->gimg, grad);
    return st;
}

typedef struct gc_ts_run {
    gc_synth_tiled *t;
    const gc_tensor *image;  /* the start */
} gc_ts_run;

/* The loop's evaluation (synth_loop.c): L at x and, with grad, dL/dx (copied out of the
 * state's gradient). */
static gc_status gc_ts_loop_eval(gc_context *ctx, void *user, const gc_tensor *x, double *loss,
                                 gc_tensor *grad)
{
    gc_synth_tiled *t = ((gc_ts_run *)user)->t;
    gc_status st = gc_ts_eval(ctx, t, x, loss, grad != NULL);
    if (st == GC_OK && grad)
        st = gc_tensor_copy(&t->gimg, grad);
    return st;
}

static gc_status gc_ts_loop_start(gc_context *ctx, void *user)
{
    (void)ctx;
    const gc_ts_run *a = user;
    return gc_tensor_copy(a->image, &a->t->x);
}

/* The loop of gc_synth_run (synth_loop.c) on the banded evaluation. */
gc_status gc_synth_tiled_run(gc_context *ctx, gc_synth_tiled *t, gc_tensor *image,
                             gc_synth_stats *stats)
{
    gc_clear_error(ctx);
    if (!t)
        return gc_fail(ctx, GC_ERR_NULL, "synth_tiled_run: NULL state");
    gc_status st = gc_ts_check_image(ctx, t, image, "image");
    if (st == GC_OK && gc_tensor_self_overlaps(image))
        st = gc_fail(ctx, GC_ERR_LAYOUT, "synth_tiled_run: the image has overlapping elements");
    if (st == GC_OK && !t->opt)
        st = gc_fail(ctx, GC_ERR_ARG, "synth_tiled_run: a part of a split run has no optimiser");
    if (st != GC_OK)
        return st;
    gc_ts_run run = {t, image};
    gc_synth_loop loop;
    memset(&loop, 0, sizeof loop);
    loop.opt = t->opt;
    loop.x = &t->x;
    loop.eval = gc_ts_loop_eval;
    loop.start = gc_ts_loop_start;
    loop.user = &run;
    loop.iters = t->desc.iters;
    loop.progress = t->desc.progress;
    loop.progress_user = t->desc.progress_user;
    loop.report = 1;
    if ((st = gc_synth_loop_run(ctx, &loop, stats)) != GC_OK)
        return st;
    return gc_tensor_copy(&t->x, image);
}
