/* synth_loop.c - the synthesis loop of gc_synth_run, gc_synth_tiled_run and gc_mpi_synth_run
 * (synth_loop.h): gc_optimizer_step per iteration on the run's evaluation, the statistics,
 * progress and stop, and the loss at the result. Allocates nothing. */
#include "synth/synth_loop.h"

#include <string.h>
#include <time.h>

static double gc_sl_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The optimiser's objective: the run's evaluation, with the context of the loop. */
typedef struct gc_sl_call {
    gc_context *ctx;
    const gc_synth_loop *loop;
} gc_sl_call;

static gc_status gc_sl_objective(void *user, const gc_tensor *x, gc_tensor *grad, double *loss)
{
    const gc_sl_call *c = user;
    return c->loop->eval(c->ctx, c->loop->user, x, loss, grad);
}

gc_status gc_synth_loop_run(gc_context *ctx, const gc_synth_loop *loop, gc_synth_stats *stats)
{
    gc_synth_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    double (*now)(void) = loop->clock ? loop->clock : gc_sl_monotonic;
    const double t0 = now();
    gc_status st = loop->start ? loop->start(ctx, loop->user) : GC_OK;
    if (st != GC_OK)
        return st;
    gc_optimizer_reset(loop->opt); /* a fresh optimiser state for every run */
    gc_sl_call call = {ctx, loop};
    for (int64_t it = 1; it <= loop->iters; it++) {
        gc_optim_result r;
        /* one evaluation at the current x (inside the step), one update of x; in a split run
         * every part's status is the same (agreed in eval, identical reductions) */
        if ((st = gc_optimizer_step(ctx, loop->opt, loop->x, gc_sl_objective, &call, &r)) != GC_OK)
            break;
        if (it == 1)
            stats->initial_loss = r.initial_loss;
        stats->evals += r.evaluations;
        stats->iters = it;
        stats->seconds = now() - t0;
        if (loop->stepped && (st = loop->stepped(ctx, loop->user)) != GC_OK)
            break;
        int stop = 0;
        if (loop->progress && loop->report) {
            /* the loss the step evaluated: at the iterate before its update */
            gc_synth_progress p = {it, loop->iters, r.loss, stats->initial_loss, stats->seconds,
                                   loop->shown ? loop->shown : loop->x};
            stop = loop->progress(&p, loop->progress_user) != 0;
        }
        if (loop->agree_stop)
            stop = loop->agree_stop(loop->user, stop);
        if (stop || r.iterations == 0)
            break; /* stopped, or converged (a zero gradient) */
    }
    /* the loss at the result (and at the start, when no iteration ran) */
    double f = 0.0;
    if (st == GC_OK && (st = loop->eval(ctx, loop->user, loop->x, &f, NULL)) == GC_OK) {
        stats->evals++;
        stats->final_loss = f;
        if (stats->iters == 0)
            stats->initial_loss = f;
    }
    stats->seconds = now() - t0;
    return st;
}
