/* optim_lbfgs.c - L-BFGS as torch/optim's lbfgs.lua (flavour TORCH7) and torch.optim.LBFGS
 * (flavour PYTORCH), iteration for iteration; the strong-Wolfe search is in optim_wolfe.c.
 *
 * Vectors (n elements each, the optimiser's dtype): the history pairs live in two rings of
 * history + 1 slots (s = t*d and y = g - g_old); the spare slot receives a candidate pair
 * before y.s decides whether it is kept, so a refused pair never overwrites the oldest one
 * (lbfgs.lua's nCorrection + 1 buffers). The two-loop recursion runs in d (torch's q/r/d
 * share one buffer). Trial points go to xe, so x holds only accepted iterates. */
#include "optim/optim.h"

#include <math.h>

void gc_lbfgs_reset(gc_optimizer *opt)
{
    opt->total_iter = 0;
    opt->total_eval = 0;
    opt->u.lb.start = 0;
    opt->u.lb.count = 0;
    opt->u.lb.gi = 0;
    opt->u.lb.t = 0.0;
    opt->u.lb.h_diag = 1.0;
    opt->u.lb.f_old = 0.0;
}

static void *gc_slot(gc_vec buf, int64_t slot, gc_dtype dt, int64_t n)
{
    /* slots are 64-byte aligned: the stride is n elements rounded up to 64 bytes */
    int64_t es = (int64_t)gc_dtype_size(dt);
    int64_t vb = (n * es + 63) & ~(int64_t)63;
    return (char *)buf + slot * vb;
}

/* The flavour's norm over this part: sum|alpha v| (TORCH7) or max|alpha v| (PYTORCH), and
 * the reduction that combines the parts' values. */
static double gc_lb_norm_local(const gc_optimizer *opt, double alpha, const void *v)
{
    if (opt->u.lb.desc.flavor == GC_OPTIM_FLAVOR_PYTORCH)
        return gc_ov_scaled_abs_max(opt->dtype, opt->n, alpha, v);
    return gc_ov_scaled_abs_sum(opt->dtype, opt->n, alpha, v);
}
static gc_reduce_op gc_lb_norm_op(const gc_optimizer *opt)
{
    return opt->u.lb.desc.flavor == GC_OPTIM_FLAVOR_PYTORCH ? GC_REDUCE_OP_MAX : GC_REDUCE_OP_SUM;
}

/* Ring slot of history pair i (0: the oldest), and its s and y vectors. */
static int64_t gc_lb_k(const gc_optimizer *opt, int64_t i)
{
    return (opt->u.lb.start + i) % (opt->u.lb.desc.history + 1);
}
static void *gc_lb_s(const gc_optimizer *opt, int64_t i)
{
    return gc_slot(opt->u.lb.s_buf, gc_lb_k(opt, i), opt->dtype, opt->n);
}
static void *gc_lb_y(const gc_optimizer *opt, int64_t i)
{
    return gc_slot(opt->u.lb.y_buf, gc_lb_k(opt, i), opt->dtype, opt->n);
}

/* d = -H g: update the history with (s, y) from the last step, then the two-loop recursion
 * with H0 = H_diag I. K > 1 (not the first iteration since create/reset). Each dot product
 * is this part's, combined over the parts by gc_optim_reduce (a no-op for one part). */
static gc_status gc_lb_direction(gc_context *ctx, gc_optimizer *opt, const void *g)
{
    const gc_dtype dt = opt->dtype;
    const int64_t n = opt->n;
    const int64_t slots = opt->u.lb.desc.history + 1;
    int64_t *start = &opt->u.lb.start, *count = &opt->u.lb.count;
    const int64_t spare = (*start + *count) % slots;
    void *y = gc_slot(opt->u.lb.y_buf, spare, dt, n);
    void *s = gc_slot(opt->u.lb.s_buf, spare, dt, n);
    gc_ov_sub(dt, n, y, g, opt->u.lb.g_old);   /* y = g - g_old */
    gc_ov_scale(dt, n, s, opt->u.lb.t, opt->u.lb.d); /* s = d * t */
    double yv[2] = {gc_ov_dot(dt, n, y, s), gc_ov_dot(dt, n, y, y)}; /* y.s, y.y */
    gc_status st = gc_optim_reduce(ctx, opt, GC_REDUCE_OP_SUM, yv, 2);
    if (st != GC_OK)
        return st;
    const double ys = yv[0];
    if (ys > 1e-10) {
        if (*count == opt->u.lb.desc.history) { /* drop the oldest pair */
            *start = (*start + 1) % slots;
            (*count)--;
        }
        (*count)++; /* the spare slot is now the newest pair */
        opt->u.lb.rho[spare] = 1.0 / ys;
        opt->u.lb.h_diag = ys / yv[1];
    }
    double *rho = opt->u.lb.rho, *al = opt->u.lb.al;
    void *d = opt->u.lb.d;
    const int64_t m = *count;
    gc_ov_scale(dt, n, d, -1.0, g); /* q = -g */
    /* newest to oldest: al_i = rho_i s_i.q; q -= al_i y_i (each update fused with the next
     * pair's dot product: one pass over q per pair) */
    double dotv = m > 0 ? gc_ov_dot(dt, n, gc_lb_s(opt, m - 1), d) : 0.0;
    for (int64_t i = m - 1; i >= 0; i--) {
        const int64_t k = gc_lb_k(opt, i);
        if ((st = gc_optim_reduce(ctx, opt, GC_REDUCE_OP_SUM, &dotv, 1)) != GC_OK)
            return st;
        al[k] = dotv * rho[k];
        if (i > 0)
            dotv = gc_ov_axpy_dot(dt, n, d, -al[k], gc_lb_y(opt, i), gc_lb_s(opt, i - 1));
        else
            gc_ov_axpy(dt, n, d, d, -al[k], gc_lb_y(opt, i));
    }
    gc_ov_scale(dt, n, d, opt->u.lb.h_diag, d); /* r = H_diag q */
    /* oldest to newest: be_i = rho_i y_i.r; r += (al_i - be_i) s_i */
    dotv = m > 0 ? gc_ov_dot(dt, n, gc_lb_y(opt, 0), d) : 0.0;
    for (int64_t i = 0; i < m; i++) {
        const int64_t k = gc_lb_k(opt, i);
        if ((st = gc_optim_reduce(ctx, opt, GC_REDUCE_OP_SUM, &dotv, 1)) != GC_OK)
            return st;
        const double be = dotv * rho[k];
        if (i + 1 < m)
            dotv = gc_ov_axpy_dot(dt, n, d, al[k] - be, gc_lb_s(opt, i), gc_lb_y(opt, i + 1));
        else
            gc_ov_axpy(dt, n, d, d, al[k] - be, gc_lb_s(opt, i));
    }
    return GC_OK;
}

gc_status gc_lbfgs_run(gc_context *ctx, gc_optimizer *opt, gc_tensor *x, gc_objective_fn fn,
                       void *user, int64_t max_iter, gc_optim_result *res)
{
    const gc_lbfgs_desc *desc = &opt->u.lb.desc;
    const gc_dtype dt = opt->dtype;
    const int64_t n = opt->n;
    const int torch7 = desc->flavor == GC_OPTIM_FLAVOR_TORCH7;
    const int64_t max_eval =
        desc->max_eval ? desc->max_eval
                       : (torch7 ? (5 * desc->max_iter + 3) / 4 : desc->max_iter * 5 / 4);
    const double tol_x = desc->tol_x;
    void *d = opt->u.lb.d;

    double f;
    gc_status st = gc_optim_eval(ctx, opt, x, x->data, opt->u.lb.g[opt->u.lb.gi], fn, user, &f,
                                 res);
    if (st != GC_OK)
        return st;
    int64_t evals = 1;
    res->initial_loss = f;
    res->loss = f;
    res->loss_at_x = 1;
    double gnorm = gc_lb_norm_local(opt, 1.0, opt->u.lb.g[opt->u.lb.gi]);
    if ((st = gc_optim_reduce(ctx, opt, gc_lb_norm_op(opt), &gnorm, 1)) != GC_OK)
        return st;
    if (gnorm <= desc->tol_fun) {
        res->stop = GC_OPTIM_STOP_TOL_FUN;
        return GC_OK;
    }

    for (int64_t it = 1;; it++) {
        void *g = opt->u.lb.g[opt->u.lb.gi];
        opt->total_iter++;
        if (opt->total_iter == 1) {
            gc_ov_scale(dt, n, d, -1.0, g);
            opt->u.lb.start = opt->u.lb.count = 0;
            opt->u.lb.h_diag = 1.0;
        } else if ((st = gc_lb_direction(ctx, opt, g)) != GC_OK) {
            return st;
        }
        gc_ov_copy(dt, n, opt->u.lb.g_old, g);
        const double f_old = f;
        opt->u.lb.f_old = f;

        /* g.d, and sum|g| for the first step (computed before the test that may not need
         * it: both in one reduction) */
        double gv[2] = {gc_ov_dot(dt, n, g, d), opt->total_iter == 1 ? gc_ov_abs_sum(dt, n, g) : 0.0};
        if ((st = gc_optim_reduce(ctx, opt, GC_REDUCE_OP_SUM, gv, opt->total_iter == 1 ? 2 : 1)) != GC_OK)
            return st;
        const double gtd = gv[0];
        /* lbfgs.lua tests g.d before choosing t, torch.optim after: t is kept in the state */
        if (torch7 && gtd > -tol_x) {
            res->stop = GC_OPTIM_STOP_NO_DESCENT;
            return GC_OK;
        }
        double t = desc->learning_rate;
        if (opt->total_iter == 1)
            t = fmin(1.0, 1.0 / gv[1]) * desc->learning_rate;
        opt->u.lb.t = t;
        if (!torch7 && gtd > -tol_x) {
            res->stop = GC_OPTIM_STOP_NO_DESCENT;
            return GC_OK;
        }

        if (desc->line_search == GC_LINE_SEARCH_STRONG_WOLFE) {
            const int64_t max_ls = torch7 ? desc->ls_max_iter : max_eval - evals;
            int64_t ls_evals = 0;
            st = gc_lbfgs_wolfe(ctx, opt, x, fn, user, f, gtd, max_ls, &t, &f, &ls_evals, res);
            if (st != GC_OK)
                return st;
            opt->u.lb.t = t;
            gc_ov_axpy(dt, n, x->data, x->data, t, d);
            evals += ls_evals;
            res->loss = f;
            res->loss_at_x = 1;
        } else if (it != max_iter) {
            gc_ov_axpy(dt, n, opt->u.lb.xe, x->data, t, d);
            st = gc_optim_eval(ctx, opt, x, opt->u.lb.xe, g, fn, user, &f, res);
            if (st != GC_OK)
                return st;
            gc_ov_copy(dt, n, x->data, opt->u.lb.xe);
            evals += 1;
            res->loss = f;
            res->loss_at_x = 1;
        } else {
            gc_ov_axpy(dt, n, x->data, x->data, t, d);
            res->loss_at_x = 0;
        }
        res->iterations++;

        const void *gn = opt->u.lb.g[opt->u.lb.gi];
        if (it == max_iter) {
            res->stop = GC_OPTIM_STOP_MAX_ITER;
            return GC_OK;
        }
        if (evals >= max_eval) {
            res->stop = GC_OPTIM_STOP_MAX_EVAL;
            return GC_OK;
        }
        double nv[2] = {gc_lb_norm_local(opt, 1.0, gn), gc_lb_norm_local(opt, t, d)};
        if ((st = gc_optim_reduce(ctx, opt, gc_lb_norm_op(opt), nv, 2)) != GC_OK)
            return st;
        if (nv[0] <= desc->tol_fun) {
            res->stop = GC_OPTIM_STOP_TOL_FUN;
            return GC_OK;
        }
        if (nv[1] <= tol_x) {
            res->stop = GC_OPTIM_STOP_TOL_X;
            return GC_OK;
        }
        if (fabs(f - f_old) < tol_x) {
            res->stop = GC_OPTIM_STOP_TOL_CHANGE;
            return GC_OK;
        }
    }
}
