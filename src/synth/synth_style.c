/* synth_style.c - style transfer in one call (gc_synth_style): the content and style targets at
 * every level of the coarse-to-fine pyramid (synth_pyramid.c), the start reduced from the
 * caller's image, histogram matching to the most-weighted style image after each level, and
 * the content's colours at the end (a luma transfer). */
#include "synth/synth_pyramid.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

gc_synth_style_desc gc_synth_style_desc_default(void)
{
    gc_synth_style_desc d;
    memset(&d, 0, sizeof d);
    d.styles = NULL;
    d.weights = NULL;
    d.nstyles = 0;
    d.colors = GC_SYNTH_COLORS_OWN;
    return d;
}

/* Every channel of image = content + (Y(image) - Y(content)), Y = 0.299 R + 0.587 G + 0.114 B:
 * the image's luma with the content's chroma (BT.601 YUV). Float32 images are computed in
 * float32, float64 in float64. */
static void gc_st_content_colors(gc_tensor *image, const gc_tensor *content)
{
    const int64_t H = image->dims[1], W = image->dims[2];
    const gc_dtype dt = image->dtype;
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            int64_t io[3], co[3];
            for (int k = 0; k < 3; k++) {
                io[k] = k * image->strides[0] + y * image->strides[1] + x * image->strides[2];
                co[k] = k * content->strides[0] + y * content->strides[1] + x * content->strides[2];
            }
            if (dt == GC_DTYPE_F32) {
                float o[3], c[3];
                for (int k = 0; k < 3; k++) {
                    o[k] = (float)gc_load(image->data, dt, io[k]);
                    c[k] = (float)gc_load(content->data, content->dtype, co[k]);
                }
                const float yo = 0.299f * o[0] + 0.587f * o[1] + 0.114f * o[2];
                const float yc = 0.299f * c[0] + 0.587f * c[1] + 0.114f * c[2];
                for (int k = 0; k < 3; k++)
                    gc_store(image->data, dt, io[k], (double)(c[k] + (yo - yc)));
            } else {
                double o[3], c[3];
                for (int k = 0; k < 3; k++) {
                    o[k] = gc_load(image->data, dt, io[k]);
                    c[k] = gc_load(content->data, content->dtype, co[k]);
                }
                const double yo = 0.299 * o[0] + 0.587 * o[1] + 0.114 * o[2];
                const double yc = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
                for (int k = 0; k < 3; k++)
                    gc_store(image->data, dt, io[k], c[k] + (yo - yc));
            }
        }
}

/* The levels' inputs: [l] the image halved l times ([0]: the caller's, not owned). */
typedef struct gc_st_levels {
    const gc_synth_desc *desc;
    const gc_synth_style_desc *style;
    const gc_tensor *start;                    /* the caller's out, before the run */
    const gc_tensor *content;
    int nstyles, hist_from;
    gc_tensor contents[GC_SYNTH_PYRAMID_MAX];
    gc_tensor *styles;                         /* nstyles x GC_SYNTH_PYRAMID_MAX */
} gc_st_levels;

static const gc_tensor *gc_st_content(const gc_st_levels *t, int level)
{
    return level ? &t->contents[level] : t->content;
}

static const gc_tensor *gc_st_style(const gc_st_levels *t, int i, int level)
{
    return level ? &t->styles[i * GC_SYNTH_PYRAMID_MAX + level] : &t->style->styles[i];
}

static double gc_st_weight(const gc_synth_style_desc *style, int i)
{
    return style->weights ? style->weights[i] : 1.0;
}

static gc_status gc_st_targets(gc_context *ctx, void *user, int level, gc_synth *s)
{
    const gc_st_levels *t = user;
    gc_status st = gc_synth_set_content(ctx, s, gc_st_content(t, level));
    for (int i = 0; i < t->nstyles && st == GC_OK; i++)
        st = gc_synth_add_style_image(ctx, s, gc_st_style(t, i, level), gc_st_weight(t->style, i));
    return st;
}

static gc_status gc_st_start(gc_context *ctx, void *user, int level, gc_tensor *image)
{
    const gc_st_levels *t = user;
    if (image->data == t->start->data)
        return GC_OK; /* one level: the caller's image is the start */
    gc_tensor r = {0};
    gc_status st = gc_synth_pyramid_reduce(ctx, t->start, level, &r);
    if (st == GC_OK)
        st = gc_tensor_copy(&r, image);
    gc_tensor_free(&r);
    return st;
}

static gc_status gc_st_after(gc_context *ctx, void *user, int level, gc_tensor *image)
{
    const gc_st_levels *t = user;
    return t->desc->match_histogram
               ? gc_synth_match_histogram(ctx, image, gc_st_style(t, t->hist_from, level))
               : GC_OK;
}

static gc_status gc_st_check_image(gc_context *ctx, const gc_synth_net *net, const gc_tensor *t,
                                   const char *what, const char *op)
{
    gc_status st = gc_tensor_check(ctx, t, what);
    if (st != GC_OK)
        return st;
    if (t->rank != 3 || t->dims[0] != net->in_channels)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the %s must be %lld x H x W", op, what,
                       (long long)net->in_channels);
    if (t->dtype != net->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: the %s must be %s like the net", op, what,
                       gc_dtype_name(net->dtype));
    return GC_OK;
}

gc_status gc_synth_style(gc_context *ctx, const gc_synth_net *net, const gc_tensor *content,
                         const gc_synth_style_desc *style, const gc_synth_desc *desc,
                         gc_tensor *out, gc_synth_stats *stats)
{
    const char *op = "synth_style";
    if (!net || !content || !style || !desc || !out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: NULL argument", op);
    if (style->nstyles < 1 || !style->styles)
        return gc_fail(ctx, GC_ERR_ARG, "%s: no style image (nstyles %d)", op, style->nstyles);
    if (style->colors != GC_SYNTH_COLORS_OWN && style->colors != GC_SYNTH_COLORS_CONTENT)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown colours %d", op, (int)style->colors);
    if (desc->content_layer == -1)
        return gc_fail(ctx, GC_ERR_ARG, "%s: style transfer needs a content layer (-2: the "
                       "net's default)", op);
    gc_status st = gc_synth_desc_check(ctx, net, desc, op); /* pyramid, histogram included */
    if (st == GC_OK)
        st = gc_st_check_image(ctx, net, content, "content", op);
    if (st == GC_OK)
        st = gc_st_check_image(ctx, net, out, "out", op);
    if (st != GC_OK)
        return st;
    if (content->dims[1] != desc->height || content->dims[2] != desc->width ||
        out->dims[1] != desc->height || out->dims[2] != desc->width)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the content and out must be %lld x %lld x %lld",
                       op, (long long)net->in_channels, (long long)desc->height,
                       (long long)desc->width);
    if (gc_tensor_overlap(out, content))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: out overlaps the content", op);
    if (style->colors == GC_SYNTH_COLORS_CONTENT && net->in_channels != 3)
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: the content's colours need 3 channels, not %lld",
                       op, (long long)net->in_channels);
    const int64_t kmax = gc_synth_pyramid_largest_filter(net);
    int64_t side = INT64_MAX;
    int hist_from = 0;
    for (int i = 0; i < style->nstyles; i++) {
        char what[32];
        snprintf(what, sizeof what, "style image %d", i);
        if ((st = gc_st_check_image(ctx, net, &style->styles[i], what, op)) != GC_OK)
            return st;
        if (gc_tensor_overlap(out, &style->styles[i]))
            return gc_fail(ctx, GC_ERR_ALIAS, "%s: out overlaps style image %d", op, i);
        const double w = gc_st_weight(style, i);
        if (!(w > 0.0) || !isfinite(w))
            return gc_fail(ctx, GC_ERR_ARG, "%s: the blend weight of style image %d must be "
                           "finite and > 0", op, i);
        if (w > gc_st_weight(style, hist_from))
            hist_from = i;
        const int64_t h = style->styles[i].dims[1], ww = style->styles[i].dims[2];
        side = h < side ? h : side;
        side = ww < side ? ww : side;
    }
    const int P = desc->pyramid ? desc->pyramid
                                : gc_synth_pyramid_auto(desc->height, desc->width, side, kmax);
    for (int i = 0; i < style->nstyles && P > 1; i++) {
        char what[32];
        snprintf(what, sizeof what, "style image %d", i);
        if ((st = gc_synth_pyramid_check(ctx, op, what, P, style->styles[i].dims[1],
                                         style->styles[i].dims[2], desc->height, desc->width,
                                         kmax)) != GC_OK)
            return st;
    }
    gc_st_levels t;
    memset(&t, 0, sizeof t);
    t.desc = desc;
    t.style = style;
    t.start = out;
    t.content = content;
    t.nstyles = style->nstyles;
    t.hist_from = hist_from;
    if ((st = gc_alloc(ctx, (int64_t)style->nstyles * GC_SYNTH_PYRAMID_MAX, sizeof *t.styles,
                       (void **)&t.styles)) != GC_OK)
        return st;
    memset(t.styles, 0, (size_t)style->nstyles * GC_SYNTH_PYRAMID_MAX * sizeof *t.styles);
    for (int l = 1; l < P && st == GC_OK; l++) {
        st = gc_synth_pyramid_halve(ctx, gc_st_content(&t, l - 1), &t.contents[l]);
        for (int i = 0; i < t.nstyles && st == GC_OK; i++)
            st = gc_synth_pyramid_halve(ctx, gc_st_style(&t, i, l - 1),
                                        &t.styles[i * GC_SYNTH_PYRAMID_MAX + l]);
    }
    const gc_synth_pyramid_ops ops = {gc_st_targets, gc_st_start, gc_st_after, &t};
    int stopped = 0;
    gc_synth_stats total;
    memset(&total, 0, sizeof total);
    if (st == GC_OK)
        st = gc_synth_pyramid_run(ctx, net, desc, P, &ops, out, &total, &stopped);
    if (st == GC_OK && !stopped && style->colors == GC_SYNTH_COLORS_CONTENT)
        gc_st_content_colors(out, content);
    for (int l = 0; l < GC_SYNTH_PYRAMID_MAX; l++) {
        gc_tensor_free(&t.contents[l]);
        for (int i = 0; i < t.nstyles; i++)
            gc_tensor_free(&t.styles[i * GC_SYNTH_PYRAMID_MAX + l]);
    }
    gc_free(ctx, t.styles);
    if (stats)
        *stats = total;
    return st;
}
