/* src/tile/ - layer 5, the ops in parts: the streamed Gram of inputs larger than memory (also
 * from .npy files), banded conv2d and synthesis in bands of rows, each within a memory budget
 * and bitwise equal to the whole call. It includes synth/ and the layers below. */
/* tile.h - private declarations of the tiled / streamed ops (tile_*.c). Not installed. */
#ifndef GC_TILE_H
#define GC_TILE_H

#include "base/internal.h"

#include "synth/synth.h"

/* How the parts of a split evaluation combine: sum adds the float64 vector v (n elements)
 * over the parts, in place, after agreeing on `st` (returns the combined status); it is
 * called on every part whatever happened, so that none waits for another. row0/row1: this
 * part's output rows. */
typedef struct gc_ts_reduce {
    gc_status (*sum)(gc_context *ctx, void *user, gc_status st, double *v, int64_t n);
    void *user;
    int64_t row0, row1;
} gc_ts_reduce;

/* gc_synth_tiled_create, with or without the optimiser (a part of a split run makes its own
 * for its rows). */
gc_status gc_synth_tiled_create_part(gc_context *ctx, const gc_synth_net *net,
                                     const gc_synth_desc *desc, const gc_tensor *target_grams,
                                     uint64_t max_memory, int with_optimizer, gc_synth_tiled **out);
/* The loss at x (contiguous C x H x W) and, if want_grad, dL/dx into the state's gradient;
 * red NULL: the whole image in this process. With red: this part's rows' style terms only,
 * the Grams summed over the parts, the gradient not summed and without the total-variation
 * term (see tile_synth.c). */
gc_status gc_synth_tiled_eval_part(gc_context *ctx, gc_synth_tiled *t, const gc_tensor *x,
                                   const gc_ts_reduce *red, double *loss, int want_grad);
/* The total-variation loss at x (whole image); its gradient added to g (rows [r0, r1),
 * C x (r1 - r0) x W contiguous) if g is not NULL. */
double gc_synth_tiled_tv(const gc_synth_tiled *t, const gc_tensor *x, int64_t r0, int64_t r1,
                         void *g);
/* The state's iterate and gradient (C x H x W), and its descriptor. */
gc_tensor *gc_synth_tiled_x(gc_synth_tiled *t);
gc_tensor *gc_synth_tiled_grad(gc_synth_tiled *t);
const gc_synth_desc *gc_synth_tiled_desc(const gc_synth_tiled *t);

#endif /* GC_TILE_H */
