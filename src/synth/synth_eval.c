/* synth_eval.c - forward and backward of a synthesis network on one image size, with a loss
 * "tap" on chosen layers; all memory planned once by gc_synth_plan_init.
 *
 * Random multi-scale net, one scale at a time (the scales share nothing, so one feature
 * buffer serves them all):
 *   feat  (F x OH x OW) = ReLU(conv_k(image) + b)      conv2d, circular pad k/2 or valid; b the
 *                                                      centring bias (none: 0)
 *   gfeat (F x OH x OW) = tap's dloss/dfeat * (feat > 0)
 *   gimg  (C x H x W)  += conv2d_backward_input(gfeat)
 * VGG-19 (a chain):
 *   input (3 x H x W) = (image - mean) / std
 *   act[i] (O_i x h_i x w_i) = ReLU(conv3x3_pad1(prev) + b_i), prev = act[i-1] or its 2x2 pool
 *   backward from the deepest tapped layer: g += tap grad at tapped layers, g *= (act > 0),
 *   g = conv backward_input(g), through the pooling, finally gimg = g / std. */
#include "synth/synth.h"

#include <string.h>

static const double gc_vgg_mean[3] = {0.485, 0.456, 0.406};
static const double gc_vgg_std[3] = {0.229, 0.224, 0.225};

/* ---- elementwise helpers on contiguous arrays of n elements ------------------------------ */

static void gc_se_relu(gc_dtype dt, void *p, int64_t n)
{
    if (dt == GC_DTYPE_F32) {
        float *x = p;
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
    } else {
        double *x = p;
        for (int64_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0 ? x[i] : 0.0;
    }
}

/* g[i] = act[i] > 0 ? g[i] : 0 */
static void gc_se_mask(gc_dtype dt, void *g, const void *act, int64_t n)
{
    if (dt == GC_DTYPE_F32) {
        float *x = g;
        const float *a = act;
        for (int64_t i = 0; i < n; i++)
            x[i] = a[i] > 0.0f ? x[i] : 0.0f;
    } else {
        double *x = g;
        const double *a = act;
        for (int64_t i = 0; i < n; i++)
            x[i] = a[i] > 0.0 ? x[i] : 0.0;
    }
}

/* dst[i] += src[i] */
static void gc_se_add(gc_dtype dt, void *dst, const void *src, int64_t n)
{
    if (dt == GC_DTYPE_F32) {
        float *d = dst;
        const float *s = src;
        for (int64_t i = 0; i < n; i++)
            d[i] += s[i];
    } else {
        double *d = dst;
        const double *s = src;
        for (int64_t i = 0; i < n; i++)
            d[i] += s[i];
    }
}

/* plane f of x (F planes of hw elements) += b[f] */
static void gc_se_add_bias(gc_dtype dt, void *x, const gc_tensor *b, int64_t hw)
{
    for (int64_t f = 0; f < b->dims[0]; f++) {
        const double v = gc_load(b->data, b->dtype, f * b->strides[0]);
        if (dt == GC_DTYPE_F32) {
            float *p = (float *)x + f * hw;
            for (int64_t i = 0; i < hw; i++)
                p[i] += (float)v;
        } else {
            double *p = (double *)x + f * hw;
            for (int64_t i = 0; i < hw; i++)
                p[i] += v;
        }
    }
}

static gc_tensor gc_se_view3(gc_dtype dt, int64_t c, int64_t h, int64_t w, void *data)
{
    gc_tensor t;
    const int64_t dims[3] = {c, h, w};
    gc_tensor_wrap(&t, dt, 3, dims, NULL, data);
    return t;
}

/* ---- 2x2 stride-2 pooling (floor mode) --------------------------------------------------- */

/* out (C x h/2 x w/2) = max or mean of each 2x2 cell of in (C x h x w). */
static void gc_se_pool_fwd(gc_dtype dt, gc_synth_pool pool, const void *in, int64_t C, int64_t h,
                           int64_t w, void *out)
{
    const int64_t oh = h / 2, ow = w / 2;
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x = 0; x < ow; x++) {
                const int64_t i0 = (c * h + 2 * y) * w + 2 * x;
                const int64_t o = (c * oh + y) * ow + x;
                double a = gc_load(in, dt, i0), b = gc_load(in, dt, i0 + 1);
                double d = gc_load(in, dt, i0 + w), e = gc_load(in, dt, i0 + w + 1);
                double v;
                if (pool == GC_SYNTH_POOL_MAX) {
                    v = a;
                    v = b > v ? b : v;
                    v = d > v ? d : v;
                    v = e > v ? e : v;
                } else {
                    v = 0.25 * (a + b + d + e);
                }
                gc_store(out, dt, o, v);
            }
}

/* gin (C x h x w, overwritten) = the gradient of the pooling given gout (C x h/2 x w/2); max
 * routes each cell's gradient to its first maximum in raster order. */
static void gc_se_pool_bwd(gc_dtype dt, gc_synth_pool pool, const void *in, const void *gout,
                           int64_t C, int64_t h, int64_t w, void *gin)
{
    const int64_t oh = h / 2, ow = w / 2;
    memset(gin, 0, (size_t)(C * h * w) * gc_dtype_size(dt));
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x = 0; x < ow; x++) {
                const int64_t i0 = (c * h + 2 * y) * w + 2 * x;
                const int64_t idx[4] = {i0, i0 + 1, i0 + w, i0 + w + 1};
                const double g = gc_load(gout, dt, (c * oh + y) * ow + x);
                if (pool == GC_SYNTH_POOL_MAX) {
                    int best = 0;
                    double bv = gc_load(in, dt, idx[0]);
                    for (int k = 1; k < 4; k++) {
                        double v = gc_load(in, dt, idx[k]);
                        if (v > bv)
                            bv = v, best = k;
                    }
                    gc_store(gin, dt, idx[best], g);
                } else {
                    for (int k = 0; k < 4; k++)
                        gc_store(gin, dt, idx[k], 0.25 * g);
                }
            }
}

/* ---- planning --------------------------------------------------------------------------- */

static gc_conv2d_desc gc_se_random_desc(const gc_synth_plan *plan, int64_t k)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    if (!plan->valid) {
        d.pad[0] = d.pad[1] = k / 2;
        d.padding_mode = GC_BOUNDARY_WRAP;
    }
    return d;
}

/* Large filters of the synthesis plan (circular padding) go through the FFT (gc_corr with
 * boundary WRAP, mode same: the same sums), when the build has FFTW: at 128 x 128 a 23 x 23
 * scale takes half the direct path's time, a 37 x 37 one a fifth. Deterministic as well (FFTW
 * plans made with FFTW_ESTIMATE). */
#define GC_SYNTH_FFT_MIN_K 15
static int gc_se_use_fft(const gc_synth_plan *plan, int64_t k)
{
    return !plan->valid && k >= GC_SYNTH_FFT_MIN_K && gc_fft_available();
}

static gc_conv2d_desc gc_se_vgg_desc(void)
{
    gc_conv2d_desc d = gc_conv2d_desc_default();
    d.pad[0] = d.pad[1] = 1;
    return d;
}

/* Grow *ws_bytes to what conv `desc` needs in both passes on (in, weight). */
static gc_status gc_se_ws_need(gc_context *ctx, const gc_conv2d_desc *desc, const gc_tensor *in,
                               const gc_tensor *weight, size_t *ws_bytes)
{
    size_t b = 0;
    gc_status st = gc_conv2d_workspace_size(ctx, desc, in, weight, GC_CONV_PASS_FORWARD, &b);
    if (st != GC_OK)
        return st;
    if (b > *ws_bytes)
        *ws_bytes = b;
    if ((st = gc_conv2d_workspace_size(ctx, desc, in, weight, GC_CONV_PASS_BACKWARD_INPUT, &b)) != GC_OK)
        return st;
    if (b > *ws_bytes)
        *ws_bytes = b;
    return GC_OK;
}

void gc_synth_plan_free(gc_synth_plan *plan)
{
    if (!plan)
        return;
    for (int i = 0; i < GC_SYNTH_MAX_LAYERS; i++) {
        gc_tensor_free(&plan->act[i]);
        gc_tensor_free(&plan->pooled[i]);
    }
    gc_tensor_free(&plan->input);
    gc_tensor_free(&plan->feat);
    gc_tensor_free(&plan->gfeat);
    gc_tensor_free(&plan->gtmp);
    gc_tensor_free(&plan->gimg);
    gc_tensor_free(&plan->g0t);
    gc_tensor_free(&plan->g1t);
    gc_tensor_free(&plan->gtapt);
    gc_tensor_free(&plan->wst);
    memset(plan, 0, sizeof *plan);
}

void gc_synth_plan_layer_dims(const gc_synth_plan *plan, int layer, int64_t dims[3])
{
    const gc_synth_net *net = plan->net;
    dims[0] = net->channels[layer];
    if (net->kind == GC_SYNTH_NET_RANDOM) {
        const int64_t k = net->rdesc.sizes[layer];
        dims[1] = plan->valid ? plan->H - k + 1 : plan->H;
        dims[2] = plan->valid ? plan->W - k + 1 : plan->W;
        return;
    }
    int64_t h = plan->H, w = plan->W;
    for (int i = 0; i < layer; i++)
        if (gc_synth_vgg_pool_after(i))
            h /= 2, w /= 2;
    dims[1] = h;
    dims[2] = w;
}

static gc_status gc_se_plan_random(gc_context *ctx, gc_synth_plan *plan, uint32_t layers)
{
    const gc_synth_net *net = plan->net;
    const gc_dtype dt = net->dtype;
    int64_t most = 0;
    const int64_t id[3] = {net->in_channels, plan->H, plan->W};
    gc_status st = gc_tensor_create(ctx, &plan->gimg, dt, 3, id);
    if (st != GC_OK)
        return st;
    const gc_tensor *img = &plan->gimg; /* an image-shaped tensor for the workspace queries */
    for (int s = 0; s < net->nlayers; s++) {
        if (!(layers >> s & 1))
            continue;
        const int64_t k = net->rdesc.sizes[s];
        if (plan->valid ? (plan->H < k || plan->W < k) : (plan->H < k / 2 || plan->W < k / 2))
            return gc_fail(ctx, GC_ERR_SHAPE,
                           "synth: a %lld x %lld image is too small for the %lld x %lld filters%s",
                           (long long)plan->H, (long long)plan->W, (long long)k, (long long)k,
                           plan->valid ? "" : " (circular padding needs at least half)");
        int64_t d[3], n;
        gc_synth_plan_layer_dims(plan, s, d);
        if (!gc_mul_ok(d[0], d[1], &n) || !gc_mul_ok(n, d[2], &n))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "synth: feature map size overflows");
        if (n > most)
            most = n;
        gc_conv2d_desc desc = gc_se_random_desc(plan, k);
        if ((st = gc_se_ws_need(ctx, &desc, img, &net->weights[s], &plan->ws_bytes)) != GC_OK)
            return st;
    }
    const int64_t fd[1] = {most};
    if ((st = gc_tensor_create(ctx, &plan->feat, dt, 1, fd)) != GC_OK || plan->valid)
        return st; /* a target plan runs forward only */
    if ((st = gc_tensor_create(ctx, &plan->gfeat, dt, 1, fd)) == GC_OK)
        st = gc_tensor_create(ctx, &plan->gtmp, dt, 3, id);
    return st;
}

static gc_status gc_se_plan_vgg(gc_context *ctx, gc_synth_plan *plan, uint32_t layers)
{
    const gc_synth_net *net = plan->net;
    const gc_dtype dt = net->dtype;
    int deepest = -1;
    for (int i = 0; i < net->nlayers; i++)
        if (layers >> i & 1)
            deepest = i;
    plan->deepest = deepest;
    const int64_t id[3] = {3, plan->H, plan->W};
    gc_status st = gc_tensor_create(ctx, &plan->input, dt, 3, id);
    if (st == GC_OK)
        st = gc_tensor_create(ctx, &plan->gimg, dt, 3, id);
    int64_t most = 3 * plan->H * plan->W; /* H, W were checked against overflow by create */
    int64_t h = plan->H, w = plan->W;
    const gc_tensor *prev = &plan->input;
    for (int i = 0; i <= deepest && st == GC_OK; i++) {
        const gc_conv2d_desc desc = gc_se_vgg_desc();
        const int64_t ad[3] = {net->channels[i], h, w};
        if ((st = gc_tensor_create(ctx, &plan->act[i], dt, 3, ad)) != GC_OK ||
            (st = gc_se_ws_need(ctx, &desc, prev, &net->weights[i], &plan->ws_bytes)) != GC_OK)
            break;
        if (ad[0] * h * w > most)
            most = ad[0] * h * w;
        prev = &plan->act[i];
        if (gc_synth_vgg_pool_after(i) && i < deepest) {
            if (h < 2 || w < 2)
                return gc_fail(ctx, GC_ERR_SHAPE,
                               "synth: a %lld x %lld image is too small for layer %s (pooled "
                               "to nothing)", (long long)plan->H, (long long)plan->W,
                               net->names[deepest]);
            h /= 2, w /= 2;
            const int64_t pd[3] = {net->channels[i], h, w};
            if ((st = gc_tensor_create(ctx, &plan->pooled[i], dt, 3, pd)) != GC_OK)
                break;
            prev = &plan->pooled[i];
        }
    }
    if (st != GC_OK || plan->valid)
        return st; /* a target plan runs forward only */
    const int64_t gd[1] = {most};
    if ((st = gc_tensor_create(ctx, &plan->g0t, dt, 1, gd)) == GC_OK &&
        (st = gc_tensor_create(ctx, &plan->g1t, dt, 1, gd)) == GC_OK)
        st = gc_tensor_create(ctx, &plan->gtapt, dt, 1, gd);
    plan->g0 = plan->g0t.data;
    plan->g1 = plan->g1t.data;
    plan->gtap = plan->gtapt.data;
    return st;
}

gc_status gc_synth_plan_init(gc_context *ctx, const gc_synth_net *net, int64_t H, int64_t W,
                             int valid, uint32_t layers, gc_synth_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->net = net;
    plan->H = H;
    plan->W = W;
    plan->valid = valid;
    if (H < 1 || W < 1 || H > (1 << 20) || W > (1 << 20))
        return gc_fail(ctx, GC_ERR_SHAPE, "synth: image size %lld x %lld out of range",
                       (long long)H, (long long)W);
    if (layers == 0 || (net->nlayers < 32 && (layers >> net->nlayers) != 0))
        return gc_fail(ctx, GC_ERR_ARG, "synth: no layers, or a layer the net does not have");
    gc_status st = net->kind == GC_SYNTH_NET_RANDOM ? gc_se_plan_random(ctx, plan, layers)
                                                    : gc_se_plan_vgg(ctx, plan, layers);
    if (st == GC_OK && plan->ws_bytes) {
        const int64_t wd[1] = {(int64_t)((plan->ws_bytes + 7) / 8)};
        st = gc_tensor_create(ctx, &plan->wst, GC_DTYPE_F64, 1, wd);
        plan->ws = plan->wst.data;
    }
    if (st != GC_OK)
        gc_synth_plan_free(plan);
    return st;
}

/* ---- evaluation ------------------------------------------------------------------------- */

static gc_status gc_se_eval_random(gc_context *ctx, gc_synth_plan *plan, const gc_tensor *image,
                                   uint32_t layers, gc_synth_tap_fn tap, void *user,
                                   double *loss, int want_grad)
{
    const gc_synth_net *net = plan->net;
    const gc_dtype dt = net->dtype;
    gc_status st = GC_OK;
    if (want_grad)
        memset(plan->gimg.data, 0, (size_t)(net->in_channels * plan->H * plan->W) * gc_dtype_size(dt));
    for (int s = 0; s < net->nlayers && st == GC_OK; s++) {
        if (!(layers >> s & 1))
            continue;
        int64_t d[3];
        gc_synth_plan_layer_dims(plan, s, d);
        const int64_t n = d[0] * d[1] * d[2];
        gc_tensor feat = gc_se_view3(dt, d[0], d[1], d[2], plan->feat.data);
        gc_tensor gfeat = gc_se_view3(dt, d[0], d[1], d[2], plan->gfeat.data);
        const int64_t k = net->rdesc.sizes[s];
        const gc_conv2d_desc desc = gc_se_random_desc(plan, k);
        const int fft = gc_se_use_fft(plan, k);
        if (fft) {
            /* circular 'same' cross-correlation summed over the input planes, by FFT */
            const gc_corr_desc cd = {GC_CORR_KIND_XCORR, 2, GC_MODE_SAME, GC_CORR_METHOD_FFT,
                                     GC_BOUNDARY_WRAP, 0.0};
            st = gc_corr(ctx, &cd, image, &net->weights[s], &feat);
            if (st == GC_OK && gc_synth_net_bias(net, s))
                gc_se_add_bias(dt, feat.data, &net->biases[s], d[1] * d[2]);
        } else {
            st = gc_conv2d_forward(ctx, &desc, image, &net->weights[s], gc_synth_net_bias(net, s),
                                   &feat, plan->ws, plan->ws_bytes);
        }
        if (st != GC_OK)
            break;
        gc_se_relu(dt, feat.data, n);
        if ((st = tap(ctx, user, s, &feat, want_grad ? &gfeat : NULL, loss)) != GC_OK || !want_grad)
            continue;
        gc_se_mask(dt, gfeat.data, feat.data, n);
        if (fft) {
            /* its adjoint: circular 'same' convolution with the weight's planes swapped */
            const gc_corr_desc cd = {GC_CORR_KIND_CONV, 2, GC_MODE_SAME, GC_CORR_METHOD_FFT,
                                     GC_BOUNDARY_WRAP, 0.0};
            gc_tensor wt;
            st = gc_tensor_transpose(&net->weights[s], 0, 1, &wt);
            if (st == GC_OK)
                st = gc_corr(ctx, &cd, &gfeat, &wt, &plan->gtmp);
        } else {
            st = gc_conv2d_backward_input(ctx, &desc, &gfeat, &net->weights[s], &plan->gtmp,
                                          plan->ws, plan->ws_bytes);
        }
        if (st == GC_OK)
            gc_se_add(dt, plan->gimg.data, plan->gtmp.data, net->in_channels * plan->H * plan->W);
    }
    return st;
}

static gc_status gc_se_eval_vgg(gc_context *ctx, gc_synth_plan *plan, const gc_tensor *image,
                                uint32_t layers, gc_synth_tap_fn tap, void *user, double *loss,
                                int want_grad)
{
    const gc_synth_net *net = plan->net;
    const gc_dtype dt = net->dtype;
    const int deepest = plan->deepest;
    const int64_t hw = plan->H * plan->W;
    gc_status st = gc_tensor_copy(image, &plan->input);
    if (st != GC_OK)
        return gc_fail(ctx, st, "synth: cannot read the image");
    for (int c = 0; c < 3; c++)
        for (int64_t i = 0; i < hw; i++) {
            const int64_t o = c * hw + i;
            gc_store(plan->input.data, dt, o,
                     (gc_load(plan->input.data, dt, o) - gc_vgg_mean[c]) / gc_vgg_std[c]);
        }
    /* forward */
    const gc_conv2d_desc desc = gc_se_vgg_desc();
    const gc_tensor *prev = &plan->input;
    for (int i = 0; i <= deepest && st == GC_OK; i++) {
        gc_tensor *a = &plan->act[i];
        st = gc_conv2d_forward(ctx, &desc, prev, &net->weights[i], &net->biases[i], a, plan->ws,
                               plan->ws_bytes);
        if (st != GC_OK)
            break;
        gc_se_relu(dt, a->data, a->dims[0] * a->dims[1] * a->dims[2]);
        if (!want_grad && (layers >> i & 1))
            st = tap(ctx, user, i, a, NULL, loss);
        prev = a;
        if (gc_synth_vgg_pool_after(i) && i < deepest) {
            gc_se_pool_fwd(dt, net->pool, a->data, a->dims[0], a->dims[1], a->dims[2],
                           plan->pooled[i].data);
            prev = &plan->pooled[i];
        }
    }
    if (st != GC_OK || !want_grad)
        return st;
    /* backward: g holds dloss/dact[i] */
    void *g = plan->g0, *other = plan->g1;
    for (int i = deepest; i >= 0 && st == GC_OK; i--) {
        const gc_tensor *a = &plan->act[i];
        const int64_t n = a->dims[0] * a->dims[1] * a->dims[2];
        if (layers >> i & 1) {
            gc_tensor gt = gc_se_view3(dt, a->dims[0], a->dims[1], a->dims[2],
                                       i == deepest ? g : plan->gtap);
            if ((st = tap(ctx, user, i, a, &gt, loss)) != GC_OK)
                break;
            if (i != deepest)
                gc_se_add(dt, g, plan->gtap, n);
        }
        gc_se_mask(dt, g, a->data, n);
        const gc_tensor *in = i == 0 ? &plan->input
                              : gc_synth_vgg_pool_after(i - 1) ? &plan->pooled[i - 1]
                                                               : &plan->act[i - 1];
        gc_tensor gout = gc_se_view3(dt, a->dims[0], a->dims[1], a->dims[2], g);
        gc_tensor gin = gc_se_view3(dt, in->dims[0], in->dims[1], in->dims[2],
                                    i == 0 ? plan->gimg.data : other);
        st = gc_conv2d_backward_input(ctx, &desc, &gout, &net->weights[i], &gin, plan->ws,
                                      plan->ws_bytes);
        if (st != GC_OK || i == 0)
            break;
        if (gc_synth_vgg_pool_after(i - 1)) {
            const gc_tensor *pa = &plan->act[i - 1];
            gc_se_pool_bwd(dt, net->pool, pa->data, other, pa->dims[0], pa->dims[1], pa->dims[2], g);
        } else {
            void *t = g;
            g = other;
            other = t;
        }
    }
    if (st != GC_OK)
        return st;
    for (int c = 0; c < 3; c++)
        for (int64_t i = 0; i < hw; i++) {
            const int64_t o = c * hw + i;
            gc_store(plan->gimg.data, dt, o, gc_load(plan->gimg.data, dt, o) / gc_vgg_std[c]);
        }
    return GC_OK;
}

gc_status gc_synth_plan_eval(gc_context *ctx, gc_synth_plan *plan, const gc_tensor *image,
                             uint32_t layers, gc_synth_tap_fn tap, void *user, double *loss,
                             gc_tensor *grad_image)
{
    const gc_synth_net *net = plan->net;
    *loss = 0.0;
    if (image->rank != 3 || image->dims[0] != net->in_channels || image->dims[1] != plan->H ||
        image->dims[2] != plan->W)
        return gc_fail(ctx, GC_ERR_SHAPE, "synth: the image must be %lld x %lld x %lld",
                       (long long)net->in_channels, (long long)plan->H, (long long)plan->W);
    if (image->dtype != net->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "synth: the image must be %s like the net",
                       gc_dtype_name(net->dtype));
    if (grad_image && plan->valid)
        return gc_fail(ctx, GC_ERR_INTERNAL, "synth: a target plan has no backward pass");
    gc_status st = net->kind == GC_SYNTH_NET_RANDOM
                       ? gc_se_eval_random(ctx, plan, image, layers, tap, user, loss, grad_image != NULL)
                       : gc_se_eval_vgg(ctx, plan, image, layers, tap, user, loss, grad_image != NULL);
    if (st == GC_OK && grad_image && grad_image->data != plan->gimg.data)
        st = gc_tensor_copy(&plan->gimg, grad_image);
    return st;
}
