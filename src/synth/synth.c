/* synth.c - the gc_synth object: style targets (blended Grams), the content target, the loss
 * (per-layer Gram style losses through gc_gram_style_loss, content MSE, total variation) and
 * its gradient, and gc_synth_run (the loop of synth_loop.c on this evaluation). Memory:
 * everything of the output image's size is allocated in gc_synth_create; an evaluation or
 * iteration allocates nothing of that size (the Gram calls size their own small scratch). */
#include "synth/synth.h"
#include "synth/synth_loop.h"
#include "synth/synth_pyramid.h"

#include <math.h>
#include <string.h>

struct gc_synth {
    gc_allocator alloc;
    const gc_synth_net *net;
    gc_synth_desc desc;
    uint32_t style;                          /* style layers */
    int content;                             /* content layer, -1: none */
    uint32_t layers;                         /* style | content */
    int nstyle;
    gc_synth_plan plan;                      /* desc.height x desc.width, synthesis padding */
    gc_tensor target[GC_SYNTH_MAX_LAYERS];   /* C_l x C_l: the blended target Grams */
    gc_tensor gws[GC_SYNTH_MAX_LAYERS];      /* C_l x C_l: gc_gram_style_loss's workspace */
    double tnorm[GC_SYNTH_MAX_LAYERS];       /* mean(T_l^2), 1 if zero */
    double style_total;                      /* sum of the blend weights added */
    gc_tensor pfeat;                         /* content features at the content layer */
    double pnorm;                            /* mean(P^2), 1 if zero */
    int has_content;
    gc_tensor x;                             /* C x H x W: the optimiser's iterate */
    gc_optimizer *opt;                       /* L-BFGS or Adam (optim.c), state made once */
    gc_synth_spectrum spec;                  /* the spectrum constraint (spectrum_weight > 0) */
    int spec_images;                         /* style images blended into spec */
    int spec_grams;                          /* style targets added as Grams alone */
    gc_synth_swd swd;                        /* the sliced Wasserstein loss (desc.loss) */
};

gc_synth_desc gc_synth_desc_default(void)
{
    gc_synth_desc d;
    memset(&d, 0, sizeof d);
    d.height = d.width = 256;
    d.style_layers = 0;
    d.content_layer = -1;
    d.style_weight = 1.0;
    d.content_weight = 1.0;
    d.tv_weight = 0.0;
    d.iters = 200;
    d.optimizer = GC_SYNTH_OPTIMIZER_LBFGS;
    d.learning_rate = 1.0;
    d.lbfgs_history = 10;
    d.spectrum_weight = 0.0;
    d.pyramid = 0; /* auto */
    d.match_histogram = 0;
    d.init = GC_SYNTH_INIT_NOISE;
    return d;
}

/* mean of the squares of a contiguous tensor; 1 when it is 0 (no scale to divide by). */
static double gc_sy_meansq(const gc_tensor *t)
{
    int64_t n = 0;
    gc_tensor_numel(t, &n);
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double v = gc_load(t->data, t->dtype, i);
        s += v * v;
    }
    s = n ? s / (double)n : 0.0;
    return s > 0.0 && isfinite(s) ? s : 1.0;
}

gc_status gc_synth_desc_check(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *d,
                              const char *op)
{
    if (d->height < 1 || d->width < 1 || d->height > 65535 || d->width > 65535)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: size %lld x %lld (1..65535 each)", op,
                       (long long)d->width, (long long)d->height);
    if (net->nlayers < 32 && (d->style_layers >> net->nlayers) != 0)
        return gc_fail(ctx, GC_ERR_ARG, "%s: style layer mask names layers the net lacks", op);
    if (d->content_layer < -2 || d->content_layer >= net->nlayers)
        return gc_fail(ctx, GC_ERR_ARG, "%s: content layer %d out of range", op, d->content_layer);
    if (!(d->style_weight >= 0.0) || !isfinite(d->style_weight) || !(d->content_weight >= 0.0) ||
        !isfinite(d->content_weight) || !(d->tv_weight >= 0.0) || !isfinite(d->tv_weight))
        return gc_fail(ctx, GC_ERR_ARG, "%s: weights must be finite and >= 0", op);
    if (d->iters < 0)
        return gc_fail(ctx, GC_ERR_ARG, "%s: iterations must be >= 0", op);
    if (d->optimizer != GC_SYNTH_OPTIMIZER_LBFGS && d->optimizer != GC_SYNTH_OPTIMIZER_ADAM)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown optimizer %d", op, (int)d->optimizer);
    if (!(d->learning_rate > 0.0) || !isfinite(d->learning_rate))
        return gc_fail(ctx, GC_ERR_ARG, "%s: the learning rate must be finite and > 0", op);
    if (d->lbfgs_history < 1 || d->lbfgs_history > 1000)
        return gc_fail(ctx, GC_ERR_ARG, "%s: L-BFGS history %d (1..1000)", op, d->lbfgs_history);
    if (!(d->spectrum_weight >= 0.0) || !isfinite(d->spectrum_weight))
        return gc_fail(ctx, GC_ERR_ARG, "%s: the spectrum weight must be finite and >= 0", op);
    if (d->pyramid < 0 || d->pyramid > GC_SYNTH_PYRAMID_MAX)
        return gc_fail(ctx, GC_ERR_ARG, "%s: pyramid of %d levels (0: auto, 1..%d)", op,
                       d->pyramid, GC_SYNTH_PYRAMID_MAX);
    if (d->match_histogram != 0 && d->match_histogram != 1)
        return gc_fail(ctx, GC_ERR_ARG, "%s: match_histogram must be 0 or 1", op);
    if (d->init != GC_SYNTH_INIT_MEAN && d->init != GC_SYNTH_INIT_NOISE)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown start %d", op, (int)d->init);
    if (d->loss != GC_SYNTH_LOSS_KIND_GRAM && d->loss != GC_SYNTH_LOSS_KIND_SWD &&
        d->loss != GC_SYNTH_LOSS_KIND_BOTH)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown loss %d", op, (int)d->loss);
    return GC_OK;
}

void gc_synth_free(gc_synth *s)
{
    if (!s)
        return;
    for (int i = 0; i < GC_SYNTH_MAX_LAYERS; i++) {
        gc_tensor_free(&s->target[i]);
        gc_tensor_free(&s->gws[i]);
    }
    gc_tensor_free(&s->pfeat);
    gc_tensor_free(&s->x);
    gc_synth_plan_free(&s->plan);
    gc_synth_spectrum_free(&s->spec);
    gc_synth_swd_free(&s->swd);
    gc_optimizer_free(s->opt);
    const gc_allocator a = s->alloc; /* the one that made s */
    a.free(s, a.user);
}

/* L-BFGS as neural-style runs torch7's optim.lbfgs: no line search, never stopping early
 * (tol_fun = tol_x = -1), one iteration per step; Adam as torch.optim.Adam. n: the whole
 * image, or a part's rows in a split run (tile_synth.c, mpi_synth.c). */
gc_status gc_synth_make_optimizer(gc_context *ctx, const gc_synth_desc *d, gc_dtype dtype,
                                  int64_t n, gc_optimizer **out)
{
    if (d->optimizer == GC_SYNTH_OPTIMIZER_LBFGS) {
        gc_lbfgs_desc ld = gc_lbfgs_desc_default(GC_OPTIM_FLAVOR_TORCH7);
        ld.max_iter = 1;
        ld.tol_fun = -1.0;
        ld.tol_x = -1.0;
        ld.history = d->lbfgs_history;
        ld.learning_rate = d->learning_rate;
        ld.line_search = GC_LINE_SEARCH_NONE;
        return gc_optimizer_create_lbfgs(ctx, &ld, dtype, n, out);
    }
    gc_adam_desc ad = gc_adam_desc_default(GC_OPTIM_FLAVOR_PYTORCH);
    ad.learning_rate = d->learning_rate;
    ad.max_iter = 1;
    return gc_optimizer_create_adam(ctx, &ad, dtype, n, out);
}

gc_status gc_synth_create(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *desc,
                          gc_synth **out)
{
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "synth_create: out is NULL");
    *out = NULL;
    if (!net || !desc)
        return gc_fail(ctx, GC_ERR_NULL, "synth_create: net or desc is NULL");
    gc_status st = gc_synth_desc_check(ctx, net, desc, "synth_create");
    if (st != GC_OK)
        return st;
    gc_synth *s = NULL;
    if ((st = gc_alloc(ctx, 1, sizeof *s, (void **)&s)) != GC_OK)
        return st;
    memset(s, 0, sizeof *s);
    s->alloc = *gc_ctx_allocator(ctx);
    s->net = net;
    s->desc = *desc;
    s->style = desc->style_layers ? desc->style_layers : net->default_style;
    s->content = desc->content_layer == -2 ? net->default_content : desc->content_layer;
    s->layers = s->style | (s->content >= 0 ? 1u << s->content : 0u);
    for (int l = 0; l < net->nlayers; l++)
        s->nstyle += (int)(s->style >> l & 1);
    const int64_t H = desc->height, W = desc->width;
    st = gc_synth_plan_init(ctx, net, H, W, 0, s->layers, &s->plan);
    for (int l = 0; l < net->nlayers && st == GC_OK; l++) {
        if (!(s->style >> l & 1))
            continue;
        const int64_t gd[2] = {net->channels[l], net->channels[l]};
        if ((st = gc_tensor_create(ctx, &s->target[l], net->dtype, 2, gd)) == GC_OK)
            st = gc_tensor_create(ctx, &s->gws[l], net->dtype, 2, gd);
        s->tnorm[l] = 1.0;
    }
    if (st == GC_OK && s->content >= 0) {
        int64_t pd[3];
        gc_synth_plan_layer_dims(&s->plan, s->content, pd);
        st = gc_tensor_create(ctx, &s->pfeat, net->dtype, 3, pd);
    }
    const int64_t xd[3] = {net->in_channels, H, W};
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &s->x, net->dtype, 3, xd);
    if (st == GC_OK)
        st = gc_synth_make_optimizer(ctx, desc, net->dtype, net->in_channels * H * W, &s->opt);
    if (st == GC_OK && desc->loss != GC_SYNTH_LOSS_KIND_GRAM)
        st = gc_synth_swd_init(ctx, &s->swd, &s->plan, s->style);
    if (st == GC_OK && desc->spectrum_weight > 0.0)
        st = gc_synth_spectrum_init(ctx, &s->spec, net->in_channels, H, W);
    if (st != GC_OK) {
        gc_synth_free(s);
        return st;
    }
    *out = s;
    return GC_OK;
}

/* ---- targets ---------------------------------------------------------------------------- */

typedef struct gc_sy_gram_arg {
    gc_tensor *grams;
} gc_sy_gram_arg;

static gc_status gc_sy_gram_tap(gc_context *ctx, void *user, int layer, const gc_tensor *feat,
                                gc_tensor *grad, double *loss)
{
    (void)grad;
    (void)loss;
    gc_sy_gram_arg *a = user;
    const gc_gram_desc gd = gc_gram_desc_default(); /* 1/(H W) */
    return gc_gram_forward(ctx, &gd, feat, &a->grams[layer]);
}

static gc_status gc_sy_check_image(gc_context *ctx, const gc_synth_net *net, const gc_tensor *image,
                                   const char *op)
{
    if (!image)
        return gc_fail(ctx, GC_ERR_NULL, "%s: image is NULL", op);
    gc_status st = gc_tensor_check(ctx, image, "image");
    if (st != GC_OK)
        return st;
    if (image->rank != 3 || image->dims[0] != net->in_channels)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the image must be %lld x H x W", op,
                       (long long)net->in_channels);
    if (image->dtype != net->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: the image must be %s like the net", op,
                       gc_dtype_name(net->dtype));
    return GC_OK;
}

gc_status gc_synth_net_grams(gc_context *ctx, const gc_synth_net *net, const gc_tensor *image,
                             uint32_t layers, gc_tensor *grams)
{
    const char *op = "synth_net_grams";
    if (!net || !grams)
        return gc_fail(ctx, GC_ERR_NULL, "%s: net or grams is NULL", op);
    gc_status st = gc_sy_check_image(ctx, net, image, op);
    if (st != GC_OK)
        return st;
    gc_tensor made[GC_SYNTH_MAX_LAYERS];
    memset(made, 0, sizeof made);
    gc_synth_plan plan;
    st = gc_synth_plan_init(ctx, net, image->dims[1], image->dims[2], 1, layers, &plan);
    if (st != GC_OK)
        return st;
    for (int l = 0; l < net->nlayers && st == GC_OK; l++)
        if (layers >> l & 1) {
            const int64_t gd[2] = {net->channels[l], net->channels[l]};
            st = gc_tensor_create(ctx, &made[l], net->dtype, 2, gd);
        }
    double unused = 0.0;
    gc_sy_gram_arg arg = {made};
    if (st == GC_OK)
        st = gc_synth_plan_eval(ctx, &plan, image, layers, gc_sy_gram_tap, &arg, &unused, NULL);
    gc_synth_plan_free(&plan);
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++) {
        if (st == GC_OK && (layers >> l & 1))
            grams[l] = made[l];
        else
            gc_tensor_free(&made[l]);
    }
    return st;
}

/* target = (target * total + weight * gram) / (total + weight) for every style layer */
static void gc_sy_blend(gc_synth *s, const gc_tensor *grams, double weight)
{
    const double total = s->style_total;
    for (int l = 0; l < s->net->nlayers; l++) {
        if (!(s->style >> l & 1))
            continue;
        gc_tensor *t = &s->target[l];
        const int64_t c = t->dims[0];
        for (int64_t i = 0; i < c; i++)
            for (int64_t j = 0; j < c; j++) {
                const double g = gc_load(grams[l].data, grams[l].dtype,
                                         i * grams[l].strides[0] + j * grams[l].strides[1]);
                const double v = (gc_load(t->data, t->dtype, i * c + j) * total + weight * g) /
                                 (total + weight);
                gc_store(t->data, t->dtype, i * c + j, v);
            }
        s->tnorm[l] = gc_sy_meansq(t);
    }
    s->style_total = total + weight;
}

static gc_status gc_sy_check_weight(gc_context *ctx, double weight, const char *op)
{
    if (!(weight > 0.0) || !isfinite(weight))
        return gc_fail(ctx, GC_ERR_ARG, "%s: the blend weight must be finite and > 0", op);
    return GC_OK;
}

gc_status gc_synth_add_style_image(gc_context *ctx, gc_synth *s, const gc_tensor *image,
                                   double weight)
{
    const char *op = "synth_add_style_image";
    if (!s)
        return gc_fail(ctx, GC_ERR_NULL, "%s: s is NULL", op);
    gc_status st = gc_sy_check_weight(ctx, weight, op);
    if (st != GC_OK)
        return st;
    gc_tensor grams[GC_SYNTH_MAX_LAYERS];
    memset(grams, 0, sizeof grams);
    if ((st = gc_synth_net_grams(ctx, s->net, image, s->style, grams)) == GC_OK &&
        s->desc.loss != GC_SYNTH_LOSS_KIND_GRAM)
        st = gc_synth_swd_measure(ctx, &s->swd, s->net, image);
    if (st == GC_OK && s->desc.spectrum_weight > 0.0 &&
        (st = gc_synth_spectrum_add(ctx, &s->spec, image, weight, s->style_total)) == GC_OK)
        s->spec_images++;
    if (st != GC_OK) {
        gc_synth_swd_discard(&s->swd);
        for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
            gc_tensor_free(&grams[l]);
        return st;
    }
    if (s->desc.loss != GC_SYNTH_LOSS_KIND_GRAM)
        gc_synth_swd_commit(&s->swd, weight, s->style_total);
    gc_sy_blend(s, grams, weight);
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_tensor_free(&grams[l]);
    return GC_OK;
}

gc_status gc_synth_add_style_grams(gc_context *ctx, gc_synth *s, const gc_tensor *grams,
                                   double weight)
{
    const char *op = "synth_add_style_grams";
    if (!s || !grams)
        return gc_fail(ctx, GC_ERR_NULL, "%s: s or grams is NULL", op);
    gc_status st = gc_sy_check_weight(ctx, weight, op);
    if (st != GC_OK)
        return st;
    for (int l = 0; l < s->net->nlayers; l++) {
        if (!(s->style >> l & 1))
            continue;
        const int64_t c = s->net->channels[l];
        if ((st = gc_tensor_check(ctx, &grams[l], "gram")) != GC_OK)
            return st;
        if (grams[l].rank != 2 || grams[l].dims[0] != c || grams[l].dims[1] != c)
            return gc_fail(ctx, GC_ERR_SHAPE, "%s: the Gram of layer %s must be %lld x %lld", op,
                           s->net->names[l], (long long)c, (long long)c);
        int64_t n = c * c;
        for (int64_t i = 0; i < n; i++)
            if (!isfinite(gc_load(grams[l].data, grams[l].dtype,
                                  (i / c) * grams[l].strides[0] + (i % c) * grams[l].strides[1])))
                return gc_fail(ctx, GC_ERR_ARG, "%s: the Gram of layer %s is not finite", op,
                               s->net->names[l]);
    }
    gc_sy_blend(s, grams, weight);
    s->spec_grams++;
    return GC_OK;
}

static gc_status gc_sy_content_tap(gc_context *ctx, void *user, int layer, const gc_tensor *feat,
                                   gc_tensor *grad, double *loss)
{
    (void)ctx;
    (void)layer;
    (void)grad;
    (void)loss;
    gc_synth *s = user;
    return gc_tensor_copy(feat, &s->pfeat);
}

gc_status gc_synth_set_content(gc_context *ctx, gc_synth *s, const gc_tensor *image)
{
    const char *op = "synth_set_content";
    if (!s)
        return gc_fail(ctx, GC_ERR_NULL, "%s: s is NULL", op);
    if (s->content < 0)
        return gc_fail(ctx, GC_ERR_ARG, "%s: this problem has no content layer", op);
    gc_status st = gc_sy_check_image(ctx, s->net, image, op);
    if (st != GC_OK)
        return st;
    if (image->dims[1] != s->desc.height || image->dims[2] != s->desc.width)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the content image is %lld x %lld, not %lld x %lld",
                       op, (long long)image->dims[2], (long long)image->dims[1],
                       (long long)s->desc.width, (long long)s->desc.height);
    double unused = 0.0;
    st = gc_synth_plan_eval(ctx, &s->plan, image, 1u << s->content, gc_sy_content_tap, s, &unused,
                            NULL);
    if (st != GC_OK)
        return st;
    s->pnorm = gc_sy_meansq(&s->pfeat);
    s->has_content = 1;
    return GC_OK;
}

/* ---- the loss --------------------------------------------------------------------------- */

static gc_status gc_sy_loss_tap(gc_context *ctx, void *user, int layer, const gc_tensor *feat,
                                gc_tensor *grad, double *loss)
{
    gc_synth *s = user;
    const gc_dtype dt = feat->dtype;
    const int64_t n = feat->dims[0] * feat->dims[1] * feat->dims[2];
    gc_status st = GC_OK;
    if ((s->style >> layer & 1) && s->desc.loss != GC_SYNTH_LOSS_KIND_SWD) {
        const gc_gram_desc gd = gc_gram_desc_default();
        const double w = s->desc.style_weight / ((double)s->nstyle * s->tnorm[layer]);
        double ls = 0.0;
        st = gc_gram_style_loss(ctx, &gd, feat, &s->target[layer], w, &ls, grad, &s->gws[layer]);
        if (st != GC_OK)
            return st;
        *loss += ls;
    } else if (grad) {
        memset(grad->data, 0, (size_t)n * gc_dtype_size(dt));
    }
    if ((s->style >> layer & 1) && s->desc.loss != GC_SYNTH_LOSS_KIND_GRAM &&
        (st = gc_synth_swd_loss(&s->swd, layer, feat, s->desc.style_weight / (double)s->nstyle,
                                loss, grad)) != GC_OK)
        return st;
    if (layer == s->content) {
        const double w = s->desc.content_weight / s->pnorm;
        double sum = 0.0;
        for (int64_t i = 0; i < n; i++) {
            const double d = gc_load(feat->data, dt, i) - gc_load(s->pfeat.data, dt, i);
            sum += d * d;
            if (grad)
                gc_store(grad->data, dt, i, gc_load(grad->data, dt, i) + 2.0 * w / (double)n * d);
        }
        *loss += w * sum / (double)n;
    }
    return st;
}

/* loss += w * sum((dy^2 + dx^2)) / (C H W) of image x (contiguous), g += its gradient */
static double gc_sy_tv(const gc_tensor *x, double w, gc_tensor *g)
{
    const int64_t C = x->dims[0], H = x->dims[1], W = x->dims[2];
    const double k = w / (double)(C * H * W);
    const gc_dtype dt = x->dtype;
    double sum = 0.0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t i = 0; i < W; i++) {
                const int64_t o = (c * H + y) * W + i;
                const double v = gc_load(x->data, dt, o);
                if (y + 1 < H) {
                    const double d = gc_load(x->data, dt, o + W) - v;
                    sum += d * d;
                    if (g) {
                        gc_store(g->data, dt, o + W, gc_load(g->data, dt, o + W) + 2.0 * k * d);
                        gc_store(g->data, dt, o, gc_load(g->data, dt, o) - 2.0 * k * d);
                    }
                }
                if (i + 1 < W) {
                    const double d = gc_load(x->data, dt, o + 1) - v;
                    sum += d * d;
                    if (g) {
                        gc_store(g->data, dt, o + 1, gc_load(g->data, dt, o + 1) + 2.0 * k * d);
                        gc_store(g->data, dt, o, gc_load(g->data, dt, o) - 2.0 * k * d);
                    }
                }
            }
    return k * sum;
}

/* L and dL/dx (into plan.gimg when want_grad) at the contiguous iterate x. */
static gc_status gc_sy_eval(gc_context *ctx, gc_synth *s, const gc_tensor *x, double *loss,
                            int want_grad)
{
    if (s->nstyle > 0 && s->style_total <= 0.0)
        return gc_fail(ctx, GC_ERR_ARG, "synth: no style target was added");
    if (s->content >= 0 && !s->has_content)
        return gc_fail(ctx, GC_ERR_ARG, "synth: no content image was set");
    if (s->desc.spectrum_weight > 0.0 && (s->spec_grams || !s->spec_images))
        return gc_fail(ctx, GC_ERR_ARG, "synth: the spectrum constraint needs style images "
                       "(Grams alone carry no spectrum)");
    if (s->desc.loss != GC_SYNTH_LOSS_KIND_GRAM && (s->spec_grams || !s->swd.images))
        return gc_fail(ctx, GC_ERR_ARG, "synth: the sliced Wasserstein loss needs style images "
                       "(Grams alone carry no feature distributions)");
    gc_status st = gc_synth_plan_eval(ctx, &s->plan, x, s->layers, gc_sy_loss_tap, s, loss,
                                      want_grad ? &s->plan.gimg : NULL);
    if (st == GC_OK && s->desc.tv_weight > 0.0)
        *loss += gc_sy_tv(x, s->desc.tv_weight, want_grad ? &s->plan.gimg : NULL);
    if (st == GC_OK && s->desc.spectrum_weight > 0.0)
        st = gc_synth_spectrum_loss(&s->spec, x, s->desc.spectrum_weight, loss,
                                    want_grad ? &s->plan.gimg : NULL);
    return st;
}

gc_status gc_synth_loss(gc_context *ctx, gc_synth *s, const gc_tensor *image, double *loss,
                        gc_tensor *grad)
{
    const char *op = "synth_loss";
    if (!s || !loss)
        return gc_fail(ctx, GC_ERR_NULL, "%s: s or loss is NULL", op);
    gc_status st = gc_sy_check_image(ctx, s->net, image, op);
    if (st != GC_OK)
        return st;
    if (image->dims[1] != s->desc.height || image->dims[2] != s->desc.width)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the image must be %lld x %lld", op,
                       (long long)s->desc.height, (long long)s->desc.width);
    if (grad) {
        if ((st = gc_tensor_check(ctx, grad, "grad")) != GC_OK)
            return st;
        if (grad->rank != 3 || grad->dims[0] != image->dims[0] || grad->dims[1] != image->dims[1] ||
            grad->dims[2] != image->dims[2])
            return gc_fail(ctx, GC_ERR_SHAPE, "%s: grad must have the image's shape", op);
        if (gc_tensor_overlap(grad, image))
            return gc_fail(ctx, GC_ERR_ALIAS, "%s: grad overlaps the image", op);
    }
    if ((st = gc_tensor_copy(image, &s->x)) != GC_OK)
        return gc_fail(ctx, st, "%s: cannot read the image", op);
    if ((st = gc_sy_eval(ctx, s, &s->x, loss, grad != NULL)) != GC_OK)
        return st;
    if (grad && (st = gc_tensor_copy(&s->plan.gimg, grad)) != GC_OK)
        return gc_fail(ctx, st, "%s: cannot write grad", op);
    return GC_OK;
}

/* ---- the loop (synth_loop.c) ------------------------------------------------------------ */

typedef struct gc_sy_run {
    gc_synth *s;
    const gc_tensor *image;  /* the start */
} gc_sy_run;

/* The loop's evaluation: L at x and, with grad, dL/dx (copied out of the plan's buffer). */
static gc_status gc_sy_loop_eval(gc_context *ctx, void *user, const gc_tensor *x, double *loss,
                                 gc_tensor *grad)
{
    gc_synth *s = ((gc_sy_run *)user)->s;
    gc_status st = gc_sy_eval(ctx, s, x, loss, grad != NULL);
    if (st == GC_OK && grad)
        st = gc_tensor_copy(&s->plan.gimg, grad);
    return st;
}

static gc_status gc_sy_loop_start(gc_context *ctx, void *user)
{
    const gc_sy_run *a = user;
    gc_status st = gc_tensor_copy(a->image, &a->s->x);
    return st == GC_OK ? GC_OK : gc_fail(ctx, st, "synth_run: cannot read the image");
}

gc_status gc_synth_run(gc_context *ctx, gc_synth *s, gc_tensor *image, gc_synth_stats *stats)
{
    const char *op = "synth_run";
    if (!s)
        return gc_fail(ctx, GC_ERR_NULL, "%s: s is NULL", op);
    gc_status st = gc_sy_check_image(ctx, s->net, image, op);
    if (st != GC_OK)
        return st;
    if (image->dims[1] != s->desc.height || image->dims[2] != s->desc.width)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the image must be %lld x %lld", op,
                       (long long)s->desc.height, (long long)s->desc.width);
    if (gc_tensor_self_overlaps(image))
        return gc_fail(ctx, GC_ERR_LAYOUT, "%s: the image has overlapping elements", op);
    gc_sy_run run = {s, image};
    gc_synth_loop loop;
    memset(&loop, 0, sizeof loop);
    loop.opt = s->opt;
    loop.x = &s->x;
    loop.eval = gc_sy_loop_eval;
    loop.start = gc_sy_loop_start;
    loop.user = &run;
    loop.iters = s->desc.iters;
    loop.progress = s->desc.progress;
    loop.progress_user = s->desc.progress_user;
    loop.report = 1;
    if ((st = gc_synth_loop_run(ctx, &loop, stats)) != GC_OK)
        return st;
    if ((st = gc_tensor_copy(&s->x, image)) != GC_OK)
        return gc_fail(ctx, st, "%s: cannot write the image", op);
    return GC_OK;
}

/* ---- noise ------------------------------------------------------------------------------ */

gc_status gc_synth_noise(gc_tensor *image, uint64_t seed)
{
    if (!image)
        return GC_ERR_NULL;
    gc_status st = gc_tensor_check(NULL, image, "image");
    if (st != GC_OK)
        return st;
    int64_t n = 0;
    if ((st = gc_tensor_numel(image, &n)) != GC_OK)
        return st;
    int64_t idx[GC_MAX_RANK] = {0};
    uint64_t rng = seed;
    for (int64_t e = 0; e < n; e++) {
        int64_t off = 0;
        for (int i = 0; i < image->rank; i++)
            off += idx[i] * image->strides[i];
        gc_store(image->data, image->dtype, off, gc_synth_rng_uniform(&rng));
        for (int i = image->rank - 1; i >= 0; i--) {
            if (++idx[i] < image->dims[i])
                break;
            idx[i] = 0;
        }
    }
    return GC_OK;
}
