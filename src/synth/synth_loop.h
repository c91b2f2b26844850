/* synth_loop.h - the synthesis loop (synth_loop.c) that the three runs share: gc_synth_run
 * (synth.c, the whole image), gc_synth_tiled_run (tile/tile_synth.c, in bands) and
 * gc_mpi_synth_run (dist/mpi_synth.c, the rows split over MPI ranks). Not installed.
 *
 * The loop: the clock starts, the start image goes into the iterate (start), the optimiser
 * is reset; then per iteration one gc_optimizer_step (one evaluation at the current x, one
 * update of x), the statistics, the hook after the step (stepped), the progress callback
 * and the stop decision (stopped by the callback, or converged: a step that made no update);
 * then the loss at the result (eval without a gradient). Each run supplies only its
 * evaluation and, where its parts must agree, the hooks; every hook but eval may be NULL. */
#ifndef GC_SYNTH_LOOP_H
#define GC_SYNTH_LOOP_H

#include "base/internal.h"

typedef struct gc_synth_loop {
    gc_optimizer *opt;             /* made by gc_synth_make_optimizer; reset by the loop */
    gc_tensor *x;                  /* the optimiser's iterate (contiguous; a split run: this
                                      part's rows) */
    /* L at x into *loss and, if grad is not NULL, dL/dx into grad (x's shape). The optimiser
     * calls it with its x and grad; the loss at the result is eval(loop x, NULL). A split
     * run's parts combine their sums here, and every part returns the same loss and status. */
    gc_status (*eval)(gc_context *ctx, void *user, const gc_tensor *x, double *loss,
                      gc_tensor *grad);
    /* The start image into x, after the clock started (the time counts in the statistics). */
    gc_status (*start)(gc_context *ctx, void *user);
    /* After each step's update (a split run: the whole image gathered from the parts'
     * rows for the progress callback and the next evaluation). A failure ends the loop. */
    gc_status (*stepped)(gc_context *ctx, void *user);
    /* The stop decision every part takes, from this part's (a split run: rank 0's, which
     * alone calls progress, broadcast); NULL: this part's. */
    int (*agree_stop)(void *user, int stop);
    double (*clock)(void);         /* seconds since a fixed point; NULL: CLOCK_MONOTONIC */
    void *user;                    /* of the hooks */
    int64_t iters;                 /* iterations asked for (>= 0) */
    gc_synth_progress_fn progress; /* may be NULL */
    void *progress_user;
    int report;                    /* 1: this part calls progress (a split run: rank 0 only) */
    const gc_tensor *shown;        /* the image progress sees; NULL: x */
} gc_synth_loop;

/* Run the loop: stats (may be NULL) zeroed, then filled (iterations, evaluations, the loss at
 * the start and at the result, seconds). Returns the first failure of a hook or step (the
 * statistics then hold what was done), GC_OK when it ran its iterations or stopped. */
gc_status gc_synth_loop_run(gc_context *ctx, const gc_synth_loop *loop, gc_synth_stats *stats);

#endif /* GC_SYNTH_LOOP_H */
