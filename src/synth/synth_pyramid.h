/* synth_pyramid.h - the coarse-to-fine pyramid shared by gc_synth_texture (synth_texture.c) and
 * gc_synth_style (synth_style.c): 2 x 2 reduction, periodic bilinear enlargement, the level
 * schedule (iterations per level, the automatic number of levels, the size check) and the loop
 * over the levels, which calls back for what differs between the two (the targets of a level,
 * the coarsest level's start, the step after each level). */
#ifndef GC_SYNTH_PYRAMID_H
#define GC_SYNTH_PYRAMID_H

#include "synth/synth.h"

/* Levels at most (gc_synth_desc.pyramid 1..GC_SYNTH_PYRAMID_MAX; 0: automatic). */
#define GC_SYNTH_PYRAMID_MAX 8
/* The automatic choice keeps the coarsest output's shorter side at least this many pixels. */
#define GC_SYNTH_PYRAMID_AUTO_MIN 128

/* out (C x H/2 x W/2, made here, in's dtype, contiguous) = the means of in's 2 x 2 cells
 * (floor sizes; any strides). */
gc_status gc_synth_pyramid_halve(gc_context *ctx, const gc_tensor *in, gc_tensor *out);
/* out (C x `times` halvings of in, made here) = in halved `times` times (0: a contiguous copy). */
gc_status gc_synth_pyramid_reduce(gc_context *ctx, const gc_tensor *in, int times, gc_tensor *out);
/* out (C x H x W, contiguous) = in (C x h x w, contiguous) resized bilinearly, periodic: pixel
 * centres (y + 0.5) h / H - 0.5. */
void gc_synth_pyramid_enlarge(const gc_tensor *in, gc_tensor *out);
/* Iterations of the level `from_coarsest` steps below the coarsest of `levels`: desc->iters
 * halved that many times, at least 10 when there are several levels (and iters >= 10). */
int64_t gc_synth_pyramid_level_iters(const gc_synth_desc *desc, int levels, int from_coarsest);
/* The largest filter of a random net (3 for VGG-19, whose filters are 3 x 3). */
int64_t gc_synth_pyramid_largest_filter(const gc_synth_net *net);
/* The automatic number of levels: the most (up to GC_SYNTH_PYRAMID_MAX) that keep the coarsest
 * output's shorter side (of height x width) >= GC_SYNTH_PYRAMID_AUTO_MIN and the coarsest
 * target image's (`target_side`: the shorter side of the smallest one) >= 2 * kmax. */
int gc_synth_pyramid_auto(int64_t height, int64_t width, int64_t target_side, int64_t kmax);
/* GC_ERR_SHAPE (with a message naming `what`) when `levels` levels reduce an image of
 * height x width, or the output of out_height x out_width, below kmax x kmax. */
gc_status gc_synth_pyramid_check(gc_context *ctx, const char *op, const char *what, int levels,
                                 int64_t height, int64_t width, int64_t out_height,
                                 int64_t out_width, int64_t kmax);

/* What the loop asks of its caller, level l counting down from levels - 1 (the coarsest, size
 * desc->height >> l x desc->width >> l) to 0. */
typedef struct gc_synth_pyramid_ops {
    /* Level l's targets into s (made from desc with the level's size and iterations). */
    gc_status (*targets)(gc_context *ctx, void *user, int level, gc_synth *s);
    /* The coarsest level's start into image (that level's size; the caller's out itself when
     * there is one level). */
    gc_status (*start)(gc_context *ctx, void *user, int level, gc_tensor *image);
    /* After level l's run (may be NULL): e.g. histogram matching. */
    gc_status (*after)(gc_context *ctx, void *user, int level, gc_tensor *image);
    void *user;
} gc_synth_pyramid_ops;

/* The levels: each a gc_synth made from desc, its targets, the start (the coarsest) or the
 * previous level's result enlarged, desc->iters halved per level (gc_synth_pyramid_level_iters),
 * then ops->after. The progress callback counts iterations over all levels. out (C x
 * desc->height x desc->width, the net's dtype) gets the finest level's result; when the
 * callback stops the run at a coarse level, that level's result enlarged, and *stopped = 1.
 * stats (may be NULL) sums the levels. */
gc_status gc_synth_pyramid_run(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *desc,
                               int levels, const gc_synth_pyramid_ops *ops, gc_tensor *out,
                               gc_synth_stats *stats, int *stopped);

#endif /* GC_SYNTH_PYRAMID_H */
