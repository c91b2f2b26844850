/* synth_net.c - the synthesis networks: the seeded random multi-scale net (Ustyuzhaninov et
 * al. 2017) and VGG-19 from caller weights; layer names and defaults. */
#include "synth/synth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

gc_synth_random_desc gc_synth_random_desc_default(void)
{
    gc_synth_random_desc d;
    memset(&d, 0, sizeof d);
    static const int64_t sizes[] = {3, 5, 7, 11, 15, 23};
    d.nscales = (int)(sizeof sizes / sizeof sizes[0]);
    for (int i = 0; i < d.nscales; i++)
        d.sizes[i] = sizes[i];
    d.filters = 32;
    d.channels = 3;
    d.seed = 0;
    return d;
}

static gc_status gc_synth_net_alloc(gc_context *ctx, gc_synth_net **out)
{
    void *p = NULL;
    gc_status st = gc_alloc(ctx, 1, sizeof(gc_synth_net), &p);
    if (st != GC_OK)
        return st;
    memset(p, 0, sizeof(gc_synth_net));
    ((gc_synth_net *)p)->alloc = *gc_ctx_allocator(ctx);
    *out = p;
    return GC_OK;
}

void gc_synth_net_free(gc_synth_net *net)
{
    if (!net)
        return;
    for (int i = 0; i < GC_SYNTH_MAX_LAYERS; i++) {
        gc_tensor_free(&net->weights[i]);
        gc_tensor_free(&net->biases[i]);
    }
    const gc_allocator a = net->alloc; /* the one that made it */
    a.free(net, a.user);
}

/* Uniform filters of variance 1/(C k k): u in [-1, 1) (variance 1/3) scaled by
 * sqrt(3 / (C k k)), one draw per weight in (filter, channel, row, column) order; with
 * zero_mean, each filter's mean is subtracted (its draws are made twice: once for the mean). */
static void gc_synth_random_fill(gc_tensor *w, uint64_t *rng, int zero_mean)
{
    const int64_t F = w->dims[0], per = w->dims[1] * w->dims[2] * w->dims[3];
    const double scale = sqrt(3.0 / (double)per);
    for (int64_t f = 0; f < F; f++) {
        double mean = 0.0;
        if (zero_mean) {
            uint64_t save = *rng;
            for (int64_t i = 0; i < per; i++)
                mean += 2.0 * gc_synth_rng_uniform(rng) - 1.0;
            mean /= (double)per;
            *rng = save;
        }
        for (int64_t i = 0; i < per; i++) {
            double v = (2.0 * gc_synth_rng_uniform(rng) - 1.0 - mean) * scale;
            gc_store(w->data, w->dtype, f * per + i, v);
        }
    }
}

/* b[f] = -sum over (c, i, j) of w[f][c][i][j] * center[c]: conv(x - center) = conv(x) + b. */
static void gc_synth_center_bias(const gc_tensor *w, const double *center, gc_tensor *b)
{
    const int64_t F = w->dims[0], C = w->dims[1], kk = w->dims[2] * w->dims[3];
    for (int64_t f = 0; f < F; f++) {
        double sum = 0.0;
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < kk; i++)
                sum += gc_load(w->data, w->dtype, (f * C + c) * kk + i) * center[c];
        gc_store(b->data, b->dtype, f, -sum);
    }
}

gc_status gc_synth_random_desc_center(gc_context *ctx, gc_synth_random_desc *desc,
                                      const gc_tensor *image)
{
    const char *op = "synth_random_desc_center";
    if (!desc || !image)
        return gc_fail(ctx, GC_ERR_NULL, "%s: desc or image is NULL", op);
    gc_status st = gc_tensor_check(ctx, image, "image");
    if (st != GC_OK)
        return st;
    if (image->rank != 3 || image->dims[0] != desc->channels || image->dims[1] < 1 ||
        image->dims[2] < 1)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the image must be %lld x H x W", op,
                       (long long)desc->channels);
    double mean[4] = {0};
    gc_synth_means(image, mean);
    for (int64_t c = 0; c < image->dims[0]; c++) {
        if (!isfinite(mean[c]))
            return gc_fail(ctx, GC_ERR_ARG, "%s: the image is not finite", op);
        desc->center[c] = mean[c];
    }
    return GC_OK;
}

gc_status gc_synth_net_create_random(gc_context *ctx, const gc_synth_random_desc *desc,
                                     gc_dtype dtype, gc_synth_net **out)
{
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "synth_net_create_random: out is NULL");
    *out = NULL;
    if (!desc)
        return gc_fail(ctx, GC_ERR_NULL, "synth_net_create_random: desc is NULL");
    if (dtype != GC_DTYPE_F32 && dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "synth_net_create_random: dtype must be float32 or float64");
    if (desc->nscales < 1 || desc->nscales > GC_SYNTH_MAX_LAYERS)
        return gc_fail(ctx, GC_ERR_ARG, "synth_net_create_random: %d scales (1..%d)",
                       desc->nscales, GC_SYNTH_MAX_LAYERS);
    if (desc->filters < 1 || desc->filters > 4096)
        return gc_fail(ctx, GC_ERR_ARG, "synth_net_create_random: %lld filters per scale (1..4096)",
                       (long long)desc->filters);
    if (desc->channels < 1 || desc->channels > 4)
        return gc_fail(ctx, GC_ERR_ARG, "synth_net_create_random: %lld input channels (1..4)",
                       (long long)desc->channels);
    for (int c = 0; c < 4; c++)
        if (!isfinite(desc->center[c]) || (c >= desc->channels && desc->center[c] != 0.0))
            return gc_fail(ctx, GC_ERR_ARG, "synth_net_create_random: center[%d] must be finite "
                           "(and 0 past the input channels)", c);
    for (int i = 0; i < desc->nscales; i++) {
        const int64_t k = desc->sizes[i];
        if (k < 1 || k > 255 || k % 2 == 0)
            return gc_fail(ctx, GC_ERR_ARG,
                           "synth_net_create_random: filter size %lld must be odd, 1..255",
                           (long long)k);
        for (int j = 0; j < i; j++)
            if (desc->sizes[j] == k)
                return gc_fail(ctx, GC_ERR_ARG, "synth_net_create_random: filter size %lld given twice",
                               (long long)k);
    }
    gc_synth_net *net = NULL;
    gc_status st = gc_synth_net_alloc(ctx, &net);
    if (st != GC_OK)
        return st;
    net->kind = GC_SYNTH_NET_RANDOM;
    net->dtype = dtype;
    net->in_channels = desc->channels;
    net->rdesc = *desc;
    for (int i = desc->nscales; i < GC_SYNTH_MAX_LAYERS; i++)
        net->rdesc.sizes[i] = 0;
    net->nconv = net->nlayers = desc->nscales;
    net->default_content = desc->nscales > 1 ? 1 : 0; /* the second-smallest scale */
    uint64_t rng = desc->seed;
    int centred = 0;
    for (int c = 0; c < desc->channels; c++)
        centred |= desc->center[c] != 0.0;
    for (int i = 0; i < desc->nscales && st == GC_OK; i++) {
        const int64_t k = desc->sizes[i];
        const int64_t dims[4] = {desc->filters, desc->channels, k, k};
        snprintf(net->names[i], sizeof net->names[i], "k%lld", (long long)k);
        net->channels[i] = desc->filters;
        net->default_style |= 1u << i;
        st = gc_tensor_create(ctx, &net->weights[i], dtype, 4, dims);
        if (st == GC_OK)
            gc_synth_random_fill(&net->weights[i], &rng, desc->zero_mean);
        if (st == GC_OK && centred &&
            (st = gc_tensor_create(ctx, &net->biases[i], dtype, 1, dims)) == GC_OK)
            gc_synth_center_bias(&net->weights[i], desc->center, &net->biases[i]);
    }
    if (st != GC_OK) {
        gc_synth_net_free(net);
        return st;
    }
    *out = net;
    return GC_OK;
}

static const char *const gc_vgg_names[GC_SYNTH_VGG_CONVS] = {
    "relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1", "relu3_2", "relu3_3", "relu3_4",
    "relu4_1", "relu4_2", "relu4_3", "relu4_4", "relu5_1", "relu5_2", "relu5_3", "relu5_4"};

gc_status gc_synth_net_create_vgg19(gc_context *ctx, const gc_tensor *weights,
                                    const gc_tensor *biases, gc_synth_pool pool, gc_dtype dtype,
                                    gc_synth_net **out)
{
    const char *op = "synth_net_create_vgg19";
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: out is NULL", op);
    *out = NULL;
    if (!weights)
        return gc_fail(ctx, GC_ERR_NULL, "%s: weights is NULL", op);
    if (dtype != GC_DTYPE_F32 && dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: dtype must be float32 or float64", op);
    if (pool != GC_SYNTH_POOL_MAX && pool != GC_SYNTH_POOL_AVG)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown pooling %d", op, (int)pool);
    int64_t cin = 3;
    for (int i = 0; i < GC_SYNTH_VGG_CONVS; i++) {
        const gc_tensor *w = &weights[i];
        gc_status st = gc_tensor_check(ctx, w, "weight");
        if (st != GC_OK)
            return st;
        if (w->rank != 4 || w->dims[1] != cin || w->dims[2] != 3 || w->dims[3] != 3 ||
            w->dims[0] < 1)
            return gc_fail(ctx, GC_ERR_SHAPE, "%s: conv %d's weight must be O x %lld x 3 x 3", op,
                           i + 1, (long long)cin);
        if (biases) {
            const gc_tensor *b = &biases[i];
            if ((st = gc_tensor_check(ctx, b, "bias")) != GC_OK)
                return st;
            if (b->rank != 1 || b->dims[0] != w->dims[0])
                return gc_fail(ctx, GC_ERR_SHAPE, "%s: conv %d's bias must have %lld elements", op,
                               i + 1, (long long)w->dims[0]);
        }
        cin = w->dims[0];
    }
    gc_synth_net *net = NULL;
    gc_status st = gc_synth_net_alloc(ctx, &net);
    if (st != GC_OK)
        return st;
    net->kind = GC_SYNTH_NET_VGG19;
    net->dtype = dtype;
    net->in_channels = 3;
    net->pool = pool;
    net->nconv = net->nlayers = GC_SYNTH_VGG_CONVS;
    net->default_style = (1u << 0) | (1u << 2) | (1u << 4) | (1u << 8) | (1u << 12);
    net->default_content = 9; /* relu4_2 */
    for (int i = 0; i < GC_SYNTH_VGG_CONVS && st == GC_OK; i++) {
        snprintf(net->names[i], sizeof net->names[i], "%s", gc_vgg_names[i]);
        net->channels[i] = weights[i].dims[0];
        st = gc_tensor_create(ctx, &net->weights[i], dtype, 4, weights[i].dims);
        if (st == GC_OK)
            st = gc_tensor_copy(&weights[i], &net->weights[i]);
        if (st == GC_OK)
            st = gc_tensor_create(ctx, &net->biases[i], dtype, 1, weights[i].dims);
        if (st == GC_OK && biases)
            st = gc_tensor_copy(&biases[i], &net->biases[i]);
    }
    if (st != GC_OK) {
        gc_synth_net_free(net);
        return st;
    }
    *out = net;
    return GC_OK;
}

int gc_synth_net_layer_count(const gc_synth_net *net) { return net ? net->nlayers : 0; }

const char *gc_synth_net_layer_name(const gc_synth_net *net, int layer)
{
    return net && layer >= 0 && layer < net->nlayers ? net->names[layer] : NULL;
}

int64_t gc_synth_net_layer_channels(const gc_synth_net *net, int layer)
{
    return net && layer >= 0 && layer < net->nlayers ? net->channels[layer] : 0;
}

int gc_synth_net_layer_find(const gc_synth_net *net, const char *name)
{
    for (int i = 0; net && name && i < net->nlayers; i++)
        if (strcmp(net->names[i], name) == 0)
            return i;
    return -1;
}

uint32_t gc_synth_net_default_style_layers(const gc_synth_net *net)
{
    return net ? net->default_style : 0;
}

int gc_synth_net_default_content_layer(const gc_synth_net *net)
{
    return net ? net->default_content : -1;
}

gc_status gc_synth_net_random_desc(const gc_synth_net *net, gc_synth_random_desc *out)
{
    if (!net || !out)
        return GC_ERR_NULL;
    if (net->kind != GC_SYNTH_NET_RANDOM)
        return GC_ERR_ARG;
    *out = net->rdesc;
    return GC_OK;
}
