/* synth_texture.c - texture synthesis in one call (gc_synth_texture): the start image, the
 * coarse-to-fine pyramid (the sample halved by 2 x 2 means per level, each level's result
 * enlarged bilinearly and periodically to start the next) and the histogram matching of the
 * result (gc_synth_match_histogram). */
#include "synth/synth.h"

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

/* ---- resampling ------------------------------------------------------------------------- */

/* out (C x H/2 x W/2, made here) = the means of in's 2 x 2 cells (floor sizes). */
static gc_status gc_tx_halve(gc_context *ctx, const gc_tensor *in, gc_tensor *out)
{
    const int64_t C = in->dims[0], h = in->dims[1] / 2, w = in->dims[2] / 2;
    const int64_t d[3] = {C, h, w};
    gc_status st = gc_tensor_create(ctx, out, in->dtype, 3, d);
    if (st != GC_OK)
        return st;
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                double s = 0.0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        s += gc_load(in->data, in->dtype, c * in->strides[0] +
                                     (2 * y + dy) * in->strides[1] + (2 * x + dx) * in->strides[2]);
                gc_store(out->data, out->dtype, (c * h + y) * w + x, 0.25 * s);
            }
    return GC_OK;
}

/* out (C x H x W, contiguous) = in (C x h x w, contiguous) resized bilinearly, periodic (the
 * image tiles, so its enlargement does too): pixel centres (y + 0.5) h / H - 0.5. */
static void gc_tx_enlarge(const gc_tensor *in, gc_tensor *out)
{
    const int64_t C = in->dims[0], h = in->dims[1], w = in->dims[2];
    const int64_t H = out->dims[1], W = out->dims[2];
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y++) {
            double fy = ((double)y + 0.5) * (double)h / (double)H - 0.5;
            int64_t y0 = (int64_t)(fy + (double)h) - h; /* floor, fy >= -1 */
            const double ty = fy - (double)y0;
            const int64_t ya = (y0 + h) % h, yb = (y0 + 1 + h) % h;
            for (int64_t x = 0; x < W; x++) {
                double fx = ((double)x + 0.5) * (double)w / (double)W - 0.5;
                int64_t x0 = (int64_t)(fx + (double)w) - w;
                const double tx = fx - (double)x0;
                const int64_t xa = (x0 + w) % w, xb = (x0 + 1 + w) % w;
                const int64_t base = c * h * w;
                const double v =
                    (1 - ty) * ((1 - tx) * gc_load(in->data, in->dtype, base + ya * w + xa) +
                                tx * gc_load(in->data, in->dtype, base + ya * w + xb)) +
                    ty * ((1 - tx) * gc_load(in->data, in->dtype, base + yb * w + xa) +
                          tx * gc_load(in->data, in->dtype, base + yb * w + xb));
                gc_store(out->data, out->dtype, (c * H + y) * W + x, v);
            }
        }
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

typedef struct gc_tx_progress {
    const gc_synth_desc *d;
    int64_t done, total;
    double seconds;        /* of the levels before this one */
    double initial_loss;
    int have_initial;
    int stopped;
} gc_tx_progress;

/* The caller's callback, with iterations counted over every level. */
static int gc_tx_progress_fn(const gc_synth_progress *p, void *user)
{
    gc_tx_progress *t = user;
    if (!t->have_initial) {
        t->initial_loss = p->initial_loss;
        t->have_initial = 1;
    }
    gc_synth_progress q = *p;
    q.iter = t->done + p->iter;
    q.iters = t->total;
    q.initial_loss = t->initial_loss;
    q.seconds = t->seconds + p->seconds;
    if (t->d->progress(&q, t->d->progress_user)) {
        t->stopped = 1;
        return 1;
    }
    return 0;
}

static int64_t gc_tx_level_iters(const gc_synth_desc *d, int levels, int from_coarsest)
{
    int64_t it = d->iters;
    for (int i = 0; i < from_coarsest; i++)
        it /= 2;
    return levels > 1 && it < 10 && d->iters >= 10 ? 10 : it;
}

static int64_t gc_tx_largest_filter(const gc_synth_net *net)
{
    gc_synth_random_desc rd;
    int64_t k = 3;
    if (gc_synth_net_random_desc(net, &rd) == GC_OK)
        for (int i = 0; i < rd.nscales; i++)
            k = rd.sizes[i] > k ? rd.sizes[i] : k;
    return k;
}

/* The automatic pyramid: the most levels (up to 8) that keep the coarsest output's shorter side
 * at least GC_TX_AUTO_MIN and the coarsest sample's at least twice the largest filter. */
#define GC_TX_AUTO_MIN 128
static int gc_tx_auto_levels(const gc_synth_desc *d, const gc_tensor *sample, int64_t kmax)
{
    const int64_t out = d->height < d->width ? d->height : d->width;
    const int64_t smp = sample->dims[1] < sample->dims[2] ? sample->dims[1] : sample->dims[2];
    int P = 1;
    while (P < 8 && (out >> P) >= GC_TX_AUTO_MIN && (smp >> P) >= 2 * kmax)
        P++;
    return P;
}

/* A pyramid of P > 1 levels must leave the coarsest sample and output at least as large as
 * the largest filter (kmax). */
static gc_status gc_tx_check_pyramid(gc_context *ctx, const char *op, const gc_synth_desc *desc,
                                     const gc_tensor *sample, int P, int64_t kmax)
{
    const int64_t sh = sample->dims[1] >> (P - 1), sw = sample->dims[2] >> (P - 1);
    const int64_t oh = desc->height >> (P - 1), ow = desc->width >> (P - 1);
    if (sh < kmax || sw < kmax || oh < kmax || ow < kmax)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "%s: a pyramid of %d levels reduces the sample to %lld x %lld and the "
                       "output to %lld x %lld, smaller than the %lld x %lld filters: use fewer "
                       "levels", op, P, (long long)sw, (long long)sh, (long long)ow,
                       (long long)oh, (long long)kmax, (long long)kmax);
    return GC_OK;
}

gc_status gc_synth_texture(gc_context *ctx, const gc_synth_net *net, const gc_tensor *sample,
                           const gc_synth_desc *desc, uint64_t seed, gc_tensor *out,
                           gc_synth_stats *stats)
{
    const char *op = "synth_texture";
    if (!out || !net || !desc || !sample)
        return gc_fail(ctx, GC_ERR_NULL, "%s: NULL argument", op);
    if (desc->pyramid < 0 || desc->pyramid > 8)
        return gc_fail(ctx, GC_ERR_ARG, "%s: pyramid of %d levels (0: auto, 1..8)", op,
                       desc->pyramid);
    gc_status st = gc_tensor_check(ctx, sample, "sample");
    if (st != GC_OK)
        return st;
    if (sample->rank != 3)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the sample must be C x H x W", op);
    const int64_t kmax = gc_tx_largest_filter(net);
    const int P = desc->pyramid ? desc->pyramid : gc_tx_auto_levels(desc, sample, kmax);
    if (P > 1 && (st = gc_tx_check_pyramid(ctx, op, desc, sample, P, kmax)) != GC_OK)
        return st;
    gc_synth_stats local, total;
    memset(&total, 0, sizeof total);
    gc_tx_progress tp = {desc, 0, 0, 0.0, 0.0, 0, 0};
    for (int l = P - 1; l >= 0; l--)
        tp.total += gc_tx_level_iters(desc, P, P - 1 - l);
    gc_tensor samples[8], prev = {0}, cur = {0};
    memset(samples, 0, sizeof samples);
    for (int l = 1; l < P && st == GC_OK; l++)
        st = gc_tx_halve(ctx, l == 1 ? sample : &samples[l - 1], &samples[l]);
    for (int l = P - 1; l >= 0 && st == GC_OK && !tp.stopped; l--) {
        const gc_tensor *smp = l ? &samples[l] : sample;
        gc_synth_desc d = *desc;
        d.height = desc->height >> l;
        d.width = desc->width >> l;
        d.iters = gc_tx_level_iters(desc, P, P - 1 - l);
        if (desc->progress) {
            d.progress = gc_tx_progress_fn;
            d.progress_user = &tp;
        }
        gc_synth *s = NULL;
        const int64_t dims[3] = {out->dims[0], d.height, d.width};
        if (l == 0)
            cur = *out; /* the finest level works in the caller's tensor */
        else
            st = gc_tensor_create(ctx, &cur, net->dtype, 3, dims);
        if (st == GC_OK && l == 0 && (st = gc_tensor_check(ctx, out, "out")) == GC_OK &&
            (out->rank != 3 || out->dims[1] != desc->height || out->dims[2] != desc->width))
            st = gc_fail(ctx, GC_ERR_SHAPE, "%s: out must be C x %lld x %lld", op,
                         (long long)desc->height, (long long)desc->width);
        if (st == GC_OK)
            st = gc_synth_create(ctx, net, &d, &s);
        if (st == GC_OK)
            st = gc_synth_add_style_image(ctx, s, smp, 1.0);
        if (st == GC_OK && l == P - 1) {
            double mean[4] = {0.5, 0.5, 0.5, 0.5};
            gc_synth_means(smp, mean);
            st = gc_synth_start(&cur, desc->init, mean, seed);
        }
        if (st == GC_OK && l < P - 1) {
            if (cur.data == out->data && !gc_tensor_is_contiguous(out)) {
                gc_tensor tmp = {0};
                if ((st = gc_tensor_create(ctx, &tmp, net->dtype, 3, dims)) == GC_OK) {
                    gc_tx_enlarge(&prev, &tmp);
                    st = gc_tensor_copy(&tmp, out);
                    gc_tensor_free(&tmp);
                }
            } else {
                gc_tx_enlarge(&prev, &cur);
            }
        }
        if (st == GC_OK)
            st = gc_synth_run(ctx, s, &cur, &local);
        if (st == GC_OK && desc->match_histogram)
            st = gc_synth_match_histogram(ctx, &cur, smp);
        gc_synth_free(s);
        if (st == GC_OK) {
            if (l == P - 1)
                total.initial_loss = local.initial_loss;
            total.iters += local.iters;
            total.evals += local.evals;
            total.final_loss = local.final_loss;
            total.seconds += local.seconds;
            tp.done += d.iters;
            tp.seconds += local.seconds;
        }
        gc_tensor_free(&prev);
        if (l > 0) {
            prev = cur;
            memset(&cur, 0, sizeof cur);
        }
    }
    if (st == GC_OK && !tp.stopped && gc_tx_is_grey(sample))
        st = gc_synth_finish(ctx, out, sample, desc->match_histogram);
    if (tp.stopped && st == GC_OK && cur.data != out->data) {
        /* stopped at a coarse level: the caller still gets a full-size image */
        gc_tensor_free(&cur);
        if (prev.data) {
            gc_tensor tmp = {0};
            const int64_t dims[3] = {out->dims[0], desc->height, desc->width};
            if ((st = gc_tensor_create(ctx, &tmp, net->dtype, 3, dims)) == GC_OK) {
                gc_tx_enlarge(&prev, &tmp);
                st = gc_tensor_copy(&tmp, out);
                gc_tensor_free(&tmp);
            }
        }
    }
    gc_tensor_free(&prev);
    if (cur.data && cur.data != out->data)
        gc_tensor_free(&cur);
    for (int l = 0; l < 8; l++)
        gc_tensor_free(&samples[l]);
    if (stats)
        *stats = total;
    return st;
}
