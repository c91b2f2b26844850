/* optim_adam.c - Adam as torch/optim's adam.lua (flavour TORCH7) and torch.optim.Adam's
 * single-tensor path (PYTORCH). Moments m, v in the optimiser's dtype; each element's update
 * is computed in double, in the originals' operation order, and rounded once per stored
 * value. The step count k lives in opt->total_iter. */
#include "optim/optim.h"

#include <math.h>

void gc_adam_reset(gc_optimizer *opt)
{
    opt->total_iter = 0;
    opt->total_eval = 0;
    gc_ov_zero(opt->dtype, opt->n, opt->u.ad.m);
    gc_ov_zero(opt->dtype, opt->n, opt->u.ad.v);
}

static double gc_ld(const void *p, gc_dtype dt, int64_t i) { return gc_load(p, dt, i); }

/* One update of x from the gradient in opt->u.ad.g (weight decay not yet applied). */
static void gc_adam_update(gc_optimizer *opt, void *x)
{
    const gc_adam_desc *dsc = &opt->u.ad.desc;
    const gc_dtype dt = opt->dtype;
    const int64_t n = opt->n;
    void *m = opt->u.ad.m, *v = opt->u.ad.v;
    const void *g = opt->u.ad.g;
    const double b1 = dsc->beta1, b2 = dsc->beta2, eps = dsc->eps, wd = dsc->weight_decay;
    const double k = (double)(opt->total_iter + 1); /* this step's number, from 1 */
    const double bc1 = 1.0 - pow(b1, k), bc2 = 1.0 - pow(b2, k);
    if (dsc->flavor == GC_OPTIM_FLAVOR_TORCH7) {
        /* clr = lr / (1 + (k-1) decay); m = m*b1 + (1-b1) g; v = v*b2 + (1-b2) g g;
         * denom = sqrt(v) + eps; x += -(clr sqrt(bc2) / bc1) m / denom */
        const double clr = dsc->learning_rate / (1.0 + (k - 1.0) * dsc->lr_decay);
        const double step = clr * sqrt(bc2) / bc1;
        for (int64_t i = 0; i < n; i++) {
            const double xi = gc_ld(x, dt, i);
            double gi = gc_ld(g, dt, i);
            if (wd != 0.0)
                gi = gi + wd * xi;
            if (dt == GC_DTYPE_F32)
                gi = (float)gi;
            gc_store(m, dt, i, gc_ld(m, dt, i) * b1 + (1.0 - b1) * gi);
            gc_store(v, dt, i, gc_ld(v, dt, i) * b2 + (1.0 - b2) * gi * gi);
            double den = sqrt(gc_ld(v, dt, i)) + eps;
            if (dt == GC_DTYPE_F32)
                den = (float)den;
            gc_store(x, dt, i, xi + (-step) * gc_ld(m, dt, i) / den);
        }
    } else {
        /* torch.optim.Adam: g += wd x; m.lerp_(g, 1-b1); v = v*b2 + (1-b2) g g;
         * denom = sqrt(v) / sqrt(bc2) + eps; x += -(lr / bc1) m / denom */
        const double w = 1.0 - b1;
        const double step = dsc->learning_rate / bc1, bc2s = sqrt(bc2);
        for (int64_t i = 0; i < n; i++) {
            const double xi = gc_ld(x, dt, i);
            double gi = gc_ld(g, dt, i);
            if (wd != 0.0)
                gi = gi + wd * xi;
            if (dt == GC_DTYPE_F32)
                gi = (float)gi;
            const double mi = gc_ld(m, dt, i);
            /* ATen's lerp: |w| < 0.5 ? a + w (b - a) : b - (b - a)(1 - w) */
            const double lerp = fabs(w) < 0.5 ? mi + w * (gi - mi) : gi - (gi - mi) * (1.0 - w);
            gc_store(m, dt, i, lerp);
            gc_store(v, dt, i, gc_ld(v, dt, i) * b2 + (1.0 - b2) * gi * gi);
            double den = sqrt(gc_ld(v, dt, i)) / bc2s + eps;
            if (dt == GC_DTYPE_F32)
                den = (float)den;
            gc_store(x, dt, i, xi + (-step) * gc_ld(m, dt, i) / den);
        }
    }
}

gc_status gc_adam_run(gc_context *ctx, gc_optimizer *opt, gc_tensor *x, gc_objective_fn fn,
                      void *user, int64_t max_iter, gc_optim_result *res)
{
    const gc_adam_desc *dsc = &opt->u.ad.desc;
    for (int64_t it = 0; it < max_iter; it++) {
        double f;
        gc_status st = gc_optim_eval(ctx, opt, x, x->data, opt->u.ad.g, fn, user, &f, res);
        if (st != GC_OK)
            return st;
        if (it == 0)
            res->initial_loss = f;
        res->loss = f;
        res->loss_at_x = 1;
        if (dsc->tol_grad >= 0.0) {
            double gmax = gc_ov_abs_max(opt->dtype, opt->n, opt->u.ad.g);
            if ((st = gc_optim_reduce(ctx, opt, GC_REDUCE_OP_MAX, &gmax, 1)) != GC_OK)
                return st;
            if (gmax <= dsc->tol_grad) {
                res->stop = GC_OPTIM_STOP_TOL_FUN;
                return GC_OK;
            }
        }
        gc_adam_update(opt, x->data);
        opt->total_iter++;
        res->iterations++;
        res->loss_at_x = 0;
    }
    res->stop = GC_OPTIM_STOP_MAX_ITER;
    return GC_OK;
}
