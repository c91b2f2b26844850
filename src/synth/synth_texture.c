/* synth_texture.c - texture synthesis in one call (gc_synth_texture): the start image, the
 * coarse-to-fine pyramid (synth_pyramid.c: the sample halved by 2 x 2 means per level, each
 * level's result enlarged bilinearly and periodically to start the next) and the histogram
 * matching of the result (gc_synth_match_histogram). */
#include "synth/synth_pyramid.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* ---- histogram matching ----------------------------------------------------------------- */

typedef struct gc_hm_pair {
    double v;
    int64_t i;
} gc_hm_pair;

static int gc_hm_cmp(const void *a, const void *b)
{
    const gc_hm_pair *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int gc_hm_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

gc_status gc_synth_match_histogram(gc_context *ctx, gc_tensor *image, const gc_tensor *reference)
{
    const char *op = "synth_match_histogram";
    if (!image || !reference)
        return gc_fail(ctx, GC_ERR_NULL, "%s: image or reference is NULL", op);
    gc_status st = gc_tensor_check(ctx, image, "image");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, reference, "reference");
    if (st != GC_OK)
        return st;
    if (image->rank != 3 || reference->rank != 3 || image->dims[0] != reference->dims[0])
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: image and reference must be C x H x W with one C", op);
    const int64_t C = image->dims[0], H = image->dims[1], W = image->dims[2];
    const int64_t Hr = reference->dims[1], Wr = reference->dims[2];
    const int64_t n = H * W, nr = Hr * Wr;
    if (n == 0 || nr == 0)
        return GC_OK;
    gc_hm_pair *pairs = NULL;
    double *ref = NULL;
    if ((st = gc_alloc(ctx, n, sizeof *pairs, (void **)&pairs)) != GC_OK)
        return st;
    if ((st = gc_alloc(ctx, nr, sizeof *ref, (void **)&ref)) != GC_OK) {
        gc_free(ctx, pairs);
        return st;
    }
    for (int64_t c = 0; c < C; c++) {
        for (int64_t y = 0, k = 0; y < Hr; y++)
            for (int64_t x = 0; x < Wr; x++, k++)
                ref[k] = gc_load(reference->data, reference->dtype, c * reference->strides[0] +
                                 y * reference->strides[1] + x * reference->strides[2]);
        qsort(ref, (size_t)nr, sizeof *ref, gc_hm_cmp_double);
        for (int64_t y = 0, k = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++, k++) {
                pairs[k].v = gc_load(image->data, image->dtype, c * image->strides[0] +
                                     y * image->strides[1] + x * image->strides[2]);
                pairs[k].i = k;
            }
        qsort(pairs, (size_t)n, sizeof *pairs, gc_hm_cmp);
        for (int64_t r = 0; r < n; r++) {
            /* the reference's quantile (r + 0.5) / n, between its sorted values */
            double q = ((double)r + 0.5) / (double)n * (double)nr - 0.5;
            if (q < 0.0)
                q = 0.0;
            if (q > (double)(nr - 1))
                q = (double)(nr - 1);
            const int64_t q0 = (int64_t)q, q1 = q0 + 1 < nr ? q0 + 1 : q0;
            const double t = q - (double)q0, v = ref[q0] * (1.0 - t) + ref[q1] * t;
            const int64_t k = pairs[r].i, y = k / W, x = k % W;
            gc_store(image->data, image->dtype,
                     c * image->strides[0] + y * image->strides[1] + x * image->strides[2], v);
        }
    }
    gc_free(ctx, pairs);
    gc_free(ctx, ref);
    return GC_OK;
}

gc_status gc_synth_start(gc_tensor *image, gc_synth_init init, const double *mean,
                         uint64_t seed)
{
    gc_status st = gc_synth_noise(image, seed);
    if (st != GC_OK || init == GC_SYNTH_INIT_NOISE)
        return st;
    if (init != GC_SYNTH_INIT_MEAN || image->rank != 3)
        return GC_ERR_ARG;
    const int64_t C = image->dims[0], H = image->dims[1], W = image->dims[2];
    for (int64_t c = 0; c < C; c++) {
        const double m = mean ? mean[c] : 0.5;
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++) {
                const int64_t o = c * image->strides[0] + y * image->strides[1] + x * image->strides[2];
                gc_store(image->data, image->dtype, o,
                         m + 0.2 * (gc_load(image->data, image->dtype, o) - 0.5));
            }
    }
    return GC_OK;
}

/* 1 if every pixel of image (C > 1 channels) has equal channels: a grey picture as RGB */
static int gc_tx_is_grey(const gc_tensor *im)
{
    if (im->dims[0] < 2)
        return 0;
    for (int64_t y = 0; y < im->dims[1]; y++)
        for (int64_t x = 0; x < im->dims[2]; x++) {
            const int64_t o = y * im->strides[1] + x * im->strides[2];
            const double v = gc_load(im->data, im->dtype, o);
            for (int64_t c = 1; c < im->dims[0]; c++)
                if (gc_load(im->data, im->dtype, o + c * im->strides[0]) != v)
                    return 0;
        }
    return 1;
}

/* every channel of image = the mean of its channels */
static void gc_tx_to_grey(gc_tensor *im)
{
    const int64_t C = im->dims[0];
    for (int64_t y = 0; y < im->dims[1]; y++)
        for (int64_t x = 0; x < im->dims[2]; x++) {
            const int64_t o = y * im->strides[1] + x * im->strides[2];
            double m = 0.0;
            for (int64_t c = 0; c < C; c++)
                m += gc_load(im->data, im->dtype, o + c * im->strides[0]);
            for (int64_t c = 0; c < C; c++)
                gc_store(im->data, im->dtype, o + c * im->strides[0], m / (double)C);
        }
}

gc_status gc_synth_finish(gc_context *ctx, gc_tensor *image, const gc_tensor *sample,
                          int match_histogram)
{
    if (!image || !sample)
        return gc_fail(ctx, GC_ERR_NULL, "synth_finish: image or sample is NULL");
    gc_status st = gc_tensor_check(ctx, image, "image");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, sample, "sample");
    if (st != GC_OK)
        return st;
    if (image->rank != 3 || sample->rank != 3 || image->dims[0] != sample->dims[0])
        return gc_fail(ctx, GC_ERR_SHAPE, "synth_finish: image and sample must be C x H x W with one C");
    const int grey = gc_tx_is_grey(sample);
    if (grey)
        gc_tx_to_grey(image);
    return match_histogram ? gc_synth_match_histogram(ctx, image, sample) : GC_OK;
}

/* ---- the one call ----------------------------------------------------------------------- */

typedef struct gc_tx_levels {
    const gc_synth_desc *desc;
    const gc_tensor *sample;
    gc_tensor samples[GC_SYNTH_PYRAMID_MAX];  /* [l]: the sample halved l times (0: unused) */
    uint64_t seed;
} gc_tx_levels;

static const gc_tensor *gc_tx_sample(const gc_tx_levels *t, int level)
{
    return level ? &t->samples[level] : t->sample;
}

static gc_status gc_tx_targets(gc_context *ctx, void *user, int level, gc_synth *s)
{
    const gc_tx_levels *t = user;
    return gc_synth_add_style_image(ctx, s, gc_tx_sample(t, level), 1.0);
}

static gc_status gc_tx_start(gc_context *ctx, void *user, int level, gc_tensor *image)
{
    (void)ctx;
    const gc_tx_levels *t = user;
    double mean[4] = {0.5, 0.5, 0.5, 0.5};
    gc_synth_means(gc_tx_sample(t, level), mean);
    return gc_synth_start(image, t->desc->init, mean, t->seed);
}

static gc_status gc_tx_after(gc_context *ctx, void *user, int level, gc_tensor *image)
{
    const gc_tx_levels *t = user;
    return t->desc->match_histogram ? gc_synth_match_histogram(ctx, image, gc_tx_sample(t, level))
                                    : GC_OK;
}

gc_status gc_synth_texture(gc_context *ctx, const gc_synth_net *net, const gc_tensor *sample,
                           const gc_synth_desc *desc, uint64_t seed, gc_tensor *out,
                           gc_synth_stats *stats)
{
    const char *op = "synth_texture";
    if (!out || !net || !desc || !sample)
        return gc_fail(ctx, GC_ERR_NULL, "%s: NULL argument", op);
    gc_status st = gc_synth_desc_check(ctx, net, desc, op); /* the pyramid included */
    if (st == GC_OK)
        st = gc_tensor_check(ctx, sample, "sample");
    if (st != GC_OK)
        return st;
    if (sample->rank != 3)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the sample must be C x H x W", op);
    if ((st = gc_tensor_check(ctx, out, "out")) != GC_OK)
        return st;
    if (out->rank != 3 || out->dims[1] != desc->height || out->dims[2] != desc->width)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: out must be C x %lld x %lld", op,
                       (long long)desc->height, (long long)desc->width);
    const int64_t kmax = gc_synth_pyramid_largest_filter(net);
    const int64_t side = sample->dims[1] < sample->dims[2] ? sample->dims[1] : sample->dims[2];
    const int P = desc->pyramid ? desc->pyramid
                                : gc_synth_pyramid_auto(desc->height, desc->width, side, kmax);
    if ((st = gc_synth_pyramid_check(ctx, op, "sample", P, sample->dims[1], sample->dims[2],
                                     desc->height, desc->width, kmax)) != GC_OK)
        return st;
    gc_tx_levels t;
    memset(&t, 0, sizeof t);
    t.desc = desc;
    t.sample = sample;
    t.seed = seed;
    for (int l = 1; l < P && st == GC_OK; l++)
        st = gc_synth_pyramid_halve(ctx, gc_tx_sample(&t, l - 1), &t.samples[l]);
    const gc_synth_pyramid_ops ops = {gc_tx_targets, gc_tx_start, gc_tx_after, &t};
    int stopped = 0;
    gc_synth_stats total;
    memset(&total, 0, sizeof total);
    if (st == GC_OK)
        st = gc_synth_pyramid_run(ctx, net, desc, P, &ops, out, &total, &stopped);
    if (st == GC_OK && !stopped && gc_tx_is_grey(sample))
        st = gc_synth_finish(ctx, out, sample, desc->match_histogram);
    for (int l = 0; l < GC_SYNTH_PYRAMID_MAX; l++)
        gc_tensor_free(&t.samples[l]);
    if (stats)
        *stats = total;
    return st;
}
