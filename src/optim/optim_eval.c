/* optim_eval.c - what every optimiser algorithm (optim_lbfgs.c, optim_adam.c, optim_wolfe.c)
 * calls back into: one evaluation of the objective, with its checks and counters, and the
 * reduction of vectors over the parts of a split run (a no-op for one part). */
#include "optim/optim.h"

#include <math.h>
#include <string.h>

gc_status gc_optim_reduce(gc_context *ctx, gc_optimizer *opt, gc_reduce_op op, double *v, int n)
{
    if (!opt->reduce)
        return GC_OK;
    gc_clear_error(ctx);
    gc_status st = opt->reduce(opt->reduce_user, op, v, n);
    if (st != GC_OK && ctx) {
        char prev[sizeof ctx->error];
        memcpy(prev, ctx->error, sizeof prev);
        gc_fail(ctx, st, "optimiser: the reduction over the parts failed%s%s", prev[0] ? ": " : "",
                prev);
    } else if (st != GC_OK) {
        gc_fail(ctx, st, "optimiser: the reduction over the parts failed");
    }
    return st;
}

gc_status gc_optim_eval(gc_context *ctx, gc_optimizer *opt, const gc_tensor *x, const void *point,
                        void *grad, gc_objective_fn fn, void *user, double *loss,
                        gc_optim_result *res)
{
    gc_tensor xt = *x, gt = *x;
    xt.data = (void *)point;
    xt.owned_ = NULL;
    gt.data = grad;
    gt.owned_ = NULL;
    gc_ov_zero(opt->dtype, opt->n, grad);
    double f = NAN;
    gc_clear_error(ctx);
    gc_status st = fn(user, &xt, &gt, &f);
    opt->total_eval++;
    res->evaluations++;
    if (st != GC_OK) {
        if (ctx) {
            char prev[sizeof ctx->error];
            memcpy(prev, ctx->error, sizeof prev);
            gc_fail(ctx, st, "objective failed at evaluation %lld of this run%s%s",
                    (long long)res->evaluations, prev[0] ? ": " : "", prev);
        }
        return st;
    }
    *loss = f;
    return GC_OK;
}
