/* synth_pyramid.c - the coarse-to-fine pyramid of gc_synth_texture and gc_synth_style: images
 * halved by 2 x 2 means per level, each level's result enlarged bilinearly and periodically to
 * start the next, the coarsest level running desc.iters iterations and each finer one half as
 * many (synth_pyramid.h). */
#include "synth/synth_pyramid.h"

#include <string.h>

/* ---- resampling ------------------------------------------------------------------------- */

gc_status gc_synth_pyramid_halve(gc_context *ctx, const gc_tensor *in, gc_tensor *out)
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

gc_status gc_synth_pyramid_reduce(gc_context *ctx, const gc_tensor *in, int times, gc_tensor *out)
{
    if (times <= 0)
        return gc_tensor_contiguous(ctx, in, out);
    gc_tensor cur = {0};
    gc_status st = gc_synth_pyramid_halve(ctx, in, &cur);
    for (int i = 1; i < times && st == GC_OK; i++) {
        gc_tensor next = {0};
        st = gc_synth_pyramid_halve(ctx, &cur, &next);
        gc_tensor_free(&cur);
        cur = next;
    }
    if (st != GC_OK) {
        gc_tensor_free(&cur);
        return st;
    }
    *out = cur;
    return GC_OK;
}

void gc_synth_pyramid_enlarge(const gc_tensor *in, gc_tensor *out)
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

/* ---- the schedule ----------------------------------------------------------------------- */

int64_t gc_synth_pyramid_level_iters(const gc_synth_desc *desc, int levels, int from_coarsest)
{
    int64_t it = desc->iters;
    for (int i = 0; i < from_coarsest; i++)
        it /= 2;
    return levels > 1 && it < 10 && desc->iters >= 10 ? 10 : it;
}

int64_t gc_synth_pyramid_largest_filter(const gc_synth_net *net)
{
    gc_synth_random_desc rd;
    int64_t k = 3;
    if (gc_synth_net_random_desc(net, &rd) == GC_OK)
        for (int i = 0; i < rd.nscales; i++)
            k = rd.sizes[i] > k ? rd.sizes[i] : k;
    return k;
}

int gc_synth_pyramid_auto(int64_t height, int64_t width, int64_t target_side, int64_t kmax)
{
    const int64_t out = height < width ? height : width;
    int P = 1;
    while (P < GC_SYNTH_PYRAMID_MAX && (out >> P) >= GC_SYNTH_PYRAMID_AUTO_MIN &&
           (target_side >> P) >= 2 * kmax)
        P++;
    return P;
}

gc_status gc_synth_pyramid_check(gc_context *ctx, const char *op, const char *what, int levels,
                                 int64_t height, int64_t width, int64_t out_height,
                                 int64_t out_width, int64_t kmax)
{
    if (levels <= 1)
        return GC_OK;
    const int64_t sh = height >> (levels - 1), sw = width >> (levels - 1);
    const int64_t oh = out_height >> (levels - 1), ow = out_width >> (levels - 1);
    if (sh < kmax || sw < kmax || oh < kmax || ow < kmax)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "%s: a pyramid of %d levels reduces the %s to %lld x %lld and the output "
                       "to %lld x %lld, smaller than the %lld x %lld filters: use fewer levels",
                       op, levels, what, (long long)sw, (long long)sh, (long long)ow,
                       (long long)oh, (long long)kmax, (long long)kmax);
    return GC_OK;
}

/* ---- the loop --------------------------------------------------------------------------- */

typedef struct gc_pyr_progress {
    const gc_synth_desc *d;
    int64_t done, total;
    double seconds;        /* of the levels before this one */
    double initial_loss;
    int have_initial;
    int stopped;
} gc_pyr_progress;

/* The caller's callback, with iterations counted over every level. */
static int gc_pyr_progress_fn(const gc_synth_progress *p, void *user)
{
    gc_pyr_progress *t = user;
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

gc_status gc_synth_pyramid_run(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *desc,
                               int levels, const gc_synth_pyramid_ops *ops, gc_tensor *out,
                               gc_synth_stats *stats, int *stopped)
{
    const int P = levels;
    gc_status st = GC_OK;
    gc_synth_stats local, total;
    memset(&total, 0, sizeof total);
    gc_pyr_progress tp = {desc, 0, 0, 0.0, 0.0, 0, 0};
    for (int l = P - 1; l >= 0; l--)
        tp.total += gc_synth_pyramid_level_iters(desc, P, P - 1 - l);
    gc_tensor prev = {0}, cur = {0};
    for (int l = P - 1; l >= 0 && st == GC_OK && !tp.stopped; l--) {
        gc_synth_desc d = *desc;
        d.height = desc->height >> l;
        d.width = desc->width >> l;
        d.iters = gc_synth_pyramid_level_iters(desc, P, P - 1 - l);
        if (desc->progress) {
            d.progress = gc_pyr_progress_fn;
            d.progress_user = &tp;
        }
        gc_synth *s = NULL;
        const int64_t dims[3] = {out->dims[0], d.height, d.width};
        if (l == 0)
            cur = *out; /* the finest level works in the caller's tensor */
        else
            st = gc_tensor_create(ctx, &cur, net->dtype, 3, dims);
        if (st == GC_OK)
            st = gc_synth_create(ctx, net, &d, &s);
        if (st == GC_OK)
            st = ops->targets(ctx, ops->user, l, s);
        if (st == GC_OK && l == P - 1)
            st = ops->start(ctx, ops->user, l, &cur);
        if (st == GC_OK && l < P - 1) {
            if (cur.data == out->data && !gc_tensor_is_contiguous(out)) {
                gc_tensor tmp = {0};
                if ((st = gc_tensor_create(ctx, &tmp, net->dtype, 3, dims)) == GC_OK) {
                    gc_synth_pyramid_enlarge(&prev, &tmp);
                    st = gc_tensor_copy(&tmp, out);
                    gc_tensor_free(&tmp);
                }
            } else {
                gc_synth_pyramid_enlarge(&prev, &cur);
            }
        }
        if (st == GC_OK)
            st = gc_synth_run(ctx, s, &cur, &local);
        if (st == GC_OK && ops->after)
            st = ops->after(ctx, ops->user, l, &cur);
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
    if (tp.stopped && st == GC_OK && cur.data != out->data) {
        /* stopped at a coarse level: the caller still gets a full-size image */
        gc_tensor_free(&cur);
        if (prev.data) {
            gc_tensor tmp = {0};
            const int64_t dims[3] = {out->dims[0], desc->height, desc->width};
            if ((st = gc_tensor_create(ctx, &tmp, net->dtype, 3, dims)) == GC_OK) {
                gc_synth_pyramid_enlarge(&prev, &tmp);
                st = gc_tensor_copy(&tmp, out);
                gc_tensor_free(&tmp);
            }
        }
    }
    gc_tensor_free(&prev);
    if (cur.data && cur.data != out->data)
        gc_tensor_free(&cur);
    if (stats)
        *stats = total;
    if (stopped)
        *stopped = tp.stopped;
    return st;
}
