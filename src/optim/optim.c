/* optim.c - optimiser objects: descriptor defaults and checks, memory planned once at
 * creation (one block through the context's allocator), reset/free, and the checks that
 * gc_optimizer_run / gc_optimizer_step make before handing over to optim_lbfgs.c /
 * optim_adam.c (their shared evaluation and reduction: optim_eval.c). */
#include "optim/optim.h"

#include <math.h>
#include <string.h>

#define GC_OPTIM_MAX_ITER (INT64_C(1) << 50) /* so that 5 * max_iter + 3 cannot overflow */

gc_lbfgs_desc gc_lbfgs_desc_default(gc_optim_flavor flavor)
{
    gc_lbfgs_desc d;
    memset(&d, 0, sizeof d);
    d.flavor = flavor;
    d.max_iter = 20;
    d.max_eval = 0;
    d.tol_fun = flavor == GC_OPTIM_FLAVOR_PYTORCH ? 1e-7 : 1e-5;
    d.tol_x = 1e-9;
    d.history = 100;
    d.learning_rate = 1.0;
    d.line_search = GC_LINE_SEARCH_NONE;
    d.ls_c1 = 1e-4;
    d.ls_c2 = 0.9;
    d.ls_tol_x = 1e-9;
    d.ls_max_iter = 20;
    return d;
}

gc_adam_desc gc_adam_desc_default(gc_optim_flavor flavor)
{
    gc_adam_desc d;
    memset(&d, 0, sizeof d);
    d.flavor = flavor;
    d.learning_rate = 1e-3;
    d.lr_decay = 0.0;
    d.beta1 = 0.9;
    d.beta2 = 0.999;
    d.eps = 1e-8;
    d.weight_decay = 0.0;
    d.max_iter = 100;
    d.tol_grad = -1.0;
    return d;
}

const char *gc_optim_stop_name(gc_optim_stop stop)
{
    switch (stop) {
    case GC_OPTIM_STOP_NONE: return "none";
    case GC_OPTIM_STOP_MAX_ITER: return "max_iter";
    case GC_OPTIM_STOP_MAX_EVAL: return "max_eval";
    case GC_OPTIM_STOP_TOL_FUN: return "tol_fun";
    case GC_OPTIM_STOP_TOL_X: return "tol_x";
    case GC_OPTIM_STOP_TOL_CHANGE: return "tol_change";
    case GC_OPTIM_STOP_NO_DESCENT: return "no_descent";
    }
    return "unknown";
}

static gc_status gc_check_flavor(gc_context *ctx, gc_optim_flavor f)
{
    if (f != GC_OPTIM_FLAVOR_TORCH7 && f != GC_OPTIM_FLAVOR_PYTORCH)
        return gc_fail(ctx, GC_ERR_ARG, "unknown optimiser flavour %d", (int)f);
    return GC_OK;
}

static gc_status gc_check_lbfgs_desc(gc_context *ctx, const gc_lbfgs_desc *d)
{
    gc_status st = gc_check_flavor(ctx, d->flavor);
    if (st != GC_OK)
        return st;
    if (d->max_iter < 1 || d->max_iter > GC_OPTIM_MAX_ITER)
        return gc_fail(ctx, GC_ERR_ARG, "L-BFGS max_iter %lld is outside 1..2^50",
                       (long long)d->max_iter);
    if (d->max_eval < 0 || d->max_eval > GC_OPTIM_MAX_ITER)
        return gc_fail(ctx, GC_ERR_ARG, "L-BFGS max_eval %lld is outside 0..2^50 (0: derived)",
                       (long long)d->max_eval);
    if (isnan(d->tol_fun) || isnan(d->tol_x))
        return gc_fail(ctx, GC_ERR_ARG, "L-BFGS tol_fun / tol_x is NaN");
    if (d->history < 1)
        return gc_fail(ctx, GC_ERR_ARG, "L-BFGS history %lld is below 1", (long long)d->history);
    if (!isfinite(d->learning_rate) || !(d->learning_rate > 0.0))
        return gc_fail(ctx, GC_ERR_ARG, "L-BFGS learning_rate %g is not finite and > 0",
                       d->learning_rate);
    if (d->line_search != GC_LINE_SEARCH_NONE && d->line_search != GC_LINE_SEARCH_STRONG_WOLFE)
        return gc_fail(ctx, GC_ERR_ARG, "unknown line search %d", (int)d->line_search);
    if (d->line_search == GC_LINE_SEARCH_STRONG_WOLFE) {
        if (!(d->ls_c1 > 0.0 && d->ls_c1 < d->ls_c2 && d->ls_c2 < 1.0))
            return gc_fail(ctx, GC_ERR_ARG,
                           "strong-Wolfe constants need 0 < c1 < c2 < 1 (c1 %g, c2 %g)",
                           d->ls_c1, d->ls_c2);
        if (isnan(d->ls_tol_x))
            return gc_fail(ctx, GC_ERR_ARG, "strong-Wolfe ls_tol_x is NaN");
        if (d->ls_max_iter < 1 || d->ls_max_iter > GC_OPTIM_MAX_ITER)
            return gc_fail(ctx, GC_ERR_ARG, "strong-Wolfe ls_max_iter %lld is outside 1..2^50",
                           (long long)d->ls_max_iter);
    }
    return GC_OK;
}

static gc_status gc_check_adam_desc(gc_context *ctx, const gc_adam_desc *d)
{
    gc_status st = gc_check_flavor(ctx, d->flavor);
    if (st != GC_OK)
        return st;
    if (!isfinite(d->learning_rate) || !(d->learning_rate > 0.0))
        return gc_fail(ctx, GC_ERR_ARG, "Adam learning_rate %g is not finite and > 0",
                       d->learning_rate);
    if (!isfinite(d->lr_decay) || d->lr_decay < 0.0)
        return gc_fail(ctx, GC_ERR_ARG, "Adam lr_decay %g is not finite and >= 0", d->lr_decay);
    if (d->flavor == GC_OPTIM_FLAVOR_PYTORCH && d->lr_decay != 0.0)
        return gc_fail(ctx, GC_ERR_ARG,
                       "Adam lr_decay is torch7's learningRateDecay; torch.optim.Adam has none");
    if (!(d->beta1 >= 0.0 && d->beta1 < 1.0) || !(d->beta2 >= 0.0 && d->beta2 < 1.0))
        return gc_fail(ctx, GC_ERR_ARG, "Adam betas (%g, %g) must lie in [0, 1)", d->beta1,
                       d->beta2);
    if (!isfinite(d->eps) || d->eps < 0.0)
        return gc_fail(ctx, GC_ERR_ARG, "Adam eps %g is not finite and >= 0", d->eps);
    if (!isfinite(d->weight_decay) || d->weight_decay < 0.0)
        return gc_fail(ctx, GC_ERR_ARG, "Adam weight_decay %g is not finite and >= 0",
                       d->weight_decay);
    if (d->max_iter < 1 || d->max_iter > GC_OPTIM_MAX_ITER)
        return gc_fail(ctx, GC_ERR_ARG, "Adam max_iter %lld is outside 1..2^50",
                       (long long)d->max_iter);
    if (isnan(d->tol_grad))
        return gc_fail(ctx, GC_ERR_ARG, "Adam tol_grad is NaN");
    return GC_OK;
}

static gc_status gc_check_problem(gc_context *ctx, gc_dtype dtype, int64_t numel,
                                  gc_optimizer **out)
{
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "optimiser output pointer is NULL");
    *out = NULL;
    if (dtype != GC_DTYPE_F32 && dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "optimiser dtype %d is not float32 or float64",
                       (int)dtype);
    if (numel < 1)
        return gc_fail(ctx, GC_ERR_EMPTY, "optimiser problem size %lld is below 1",
                       (long long)numel);
    return GC_OK;
}

/* Bytes of one vector of n elements, rounded up to 64 (every vector starts 64-aligned). */
static bool gc_vec_bytes(int64_t n, gc_dtype dt, int64_t *out)
{
    int64_t b;
    if (!gc_mul_ok(n, (int64_t)gc_dtype_size(dt), &b) || !gc_add_ok(b, 63, &b))
        return false;
    *out = b & ~(int64_t)63;
    return true;
}

/* The struct and the block, allocated through ctx; the allocator copied for the free. */
static gc_status gc_optimizer_alloc(gc_context *ctx, int64_t block_bytes, gc_optimizer **out)
{
    void *mem = NULL;
    gc_status st = gc_alloc(ctx, 1, sizeof(gc_optimizer), &mem);
    if (st != GC_OK)
        return st;
    gc_optimizer *opt = mem;
    memset(opt, 0, sizeof *opt);
    opt->alloc = *gc_ctx_allocator(ctx);
    st = gc_alloc(ctx, block_bytes, 1, &opt->block);
    if (st != GC_OK) {
        gc_free(ctx, opt);
        return st;
    }
    opt->bytes = (uint64_t)block_bytes + sizeof(gc_optimizer);
    *out = opt;
    return GC_OK;
}

gc_status gc_optimizer_create_lbfgs(gc_context *ctx, const gc_lbfgs_desc *desc, gc_dtype dtype,
                                    int64_t numel, gc_optimizer **out)
{
    gc_status st = gc_check_problem(ctx, dtype, numel, out);
    if (st != GC_OK)
        return st;
    if (!desc)
        return gc_fail(ctx, GC_ERR_NULL, "L-BFGS descriptor is NULL");
    if ((st = gc_check_lbfgs_desc(ctx, desc)) != GC_OK)
        return st;
    /* layout: s (h+1) x vec, y (h+1) x vec, d, g_old, xe, g[ngrad], rho (h+1), al (h+1) */
    const int ngrad = desc->line_search == GC_LINE_SEARCH_NONE ? 1 : GC_LBFGS_NGRAD;
    int64_t vb, slots, nvec, total, scal;
    bool ok = gc_vec_bytes(numel, dtype, &vb) && gc_add_ok(desc->history, 1, &slots) &&
              gc_mul_ok(slots, 2, &nvec) && gc_add_ok(nvec, 3 + ngrad, &nvec) &&
              gc_mul_ok(nvec, vb, &total) && gc_mul_ok(slots, 2 * (int64_t)sizeof(double), &scal) &&
              gc_add_ok(total, scal, &total);
    if (!ok)
        return gc_fail(ctx, GC_ERR_OVERFLOW,
                       "L-BFGS memory for %lld elements and history %lld overflows",
                       (long long)numel, (long long)desc->history);
    gc_optimizer *opt;
    if ((st = gc_optimizer_alloc(ctx, total, &opt)) != GC_OK)
        return st;
    opt->kind = GC_OPTIM_KIND_LBFGS;
    opt->dtype = dtype;
    opt->n = numel;
    opt->u.lb.desc = *desc;
    char *p = opt->block;
    opt->u.lb.s_buf = p, p += slots * vb;
    opt->u.lb.y_buf = p, p += slots * vb;
    opt->u.lb.d = p, p += vb;
    opt->u.lb.g_old = p, p += vb;
    opt->u.lb.xe = p, p += vb;
    for (int i = 0; i < GC_LBFGS_NGRAD; i++) {
        opt->u.lb.g[i] = p;
        if (i + 1 < ngrad)
            p += vb;
    }
    p += vb;
    opt->u.lb.rho = (double *)(void *)p, p += slots * (int64_t)sizeof(double);
    opt->u.lb.al = (double *)(void *)p;
    opt->u.lb.ngrad = ngrad;
    gc_lbfgs_reset(opt);
    *out = opt;
    return GC_OK;
}

gc_status gc_optimizer_create_adam(gc_context *ctx, const gc_adam_desc *desc, gc_dtype dtype,
                                   int64_t numel, gc_optimizer **out)
{
    gc_status st = gc_check_problem(ctx, dtype, numel, out);
    if (st != GC_OK)
        return st;
    if (!desc)
        return gc_fail(ctx, GC_ERR_NULL, "Adam descriptor is NULL");
    if ((st = gc_check_adam_desc(ctx, desc)) != GC_OK)
        return st;
    int64_t vb, total;
    if (!gc_vec_bytes(numel, dtype, &vb) || !gc_mul_ok(vb, 3, &total))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "Adam memory for %lld elements overflows",
                       (long long)numel);
    gc_optimizer *opt;
    if ((st = gc_optimizer_alloc(ctx, total, &opt)) != GC_OK)
        return st;
    opt->kind = GC_OPTIM_KIND_ADAM;
    opt->dtype = dtype;
    opt->n = numel;
    opt->u.ad.desc = *desc;
    char *p = opt->block;
    opt->u.ad.m = p;
    opt->u.ad.v = p + vb;
    opt->u.ad.g = p + 2 * vb;
    gc_adam_reset(opt);
    *out = opt;
    return GC_OK;
}

void gc_optimizer_free(gc_optimizer *opt)
{
    if (!opt)
        return;
    gc_allocator a = opt->alloc;
    if (opt->block)
        a.free(opt->block, a.user);
    a.free(opt, a.user);
}

void gc_optimizer_reset(gc_optimizer *opt)
{
    if (!opt)
        return;
    if (opt->kind == GC_OPTIM_KIND_LBFGS)
        gc_lbfgs_reset(opt);
    else
        gc_adam_reset(opt);
}

uint64_t gc_optimizer_memory_bytes(const gc_optimizer *opt) { return opt ? opt->bytes : 0; }

gc_status gc_optimizer_set_reduce(gc_context *ctx, gc_optimizer *opt, gc_reduce_fn fn, void *user)
{
    if (!opt)
        return gc_fail(ctx, GC_ERR_NULL, "optimiser is NULL");
    if (opt->kind != GC_OPTIM_KIND_LBFGS && opt->kind != GC_OPTIM_KIND_ADAM)
        return gc_fail(ctx, GC_ERR_ARG, "not an optimiser made by gc_optimizer_create_*");
    opt->reduce = fn;
    opt->reduce_user = fn ? user : NULL;
    return GC_OK;
}

static gc_status gc_optimizer_check_call(gc_context *ctx, gc_optimizer *opt, gc_tensor *x,
                                         gc_objective_fn fn)
{
    if (!opt)
        return gc_fail(ctx, GC_ERR_NULL, "optimiser is NULL");
    if (!fn)
        return gc_fail(ctx, GC_ERR_NULL, "objective function is NULL");
    if (!x)
        return gc_fail(ctx, GC_ERR_NULL, "parameter tensor x is NULL");
    if (opt->kind != GC_OPTIM_KIND_LBFGS && opt->kind != GC_OPTIM_KIND_ADAM)
        return gc_fail(ctx, GC_ERR_ARG, "not an optimiser made by gc_optimizer_create_*");
    gc_status st = gc_tensor_check(ctx, x, "parameter tensor x");
    if (st != GC_OK)
        return st;
    if (x->dtype != opt->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "x is %s but the optimiser was made for %s",
                       gc_dtype_name(x->dtype), gc_dtype_name(opt->dtype));
    int64_t n;
    if ((st = gc_tensor_numel(x, &n)) != GC_OK)
        return gc_fail(ctx, st, "x has too many elements");
    if (n != opt->n)
        return gc_fail(ctx, GC_ERR_SHAPE, "x has %lld elements but the optimiser was made for %lld",
                       (long long)n, (long long)opt->n);
    if (!gc_tensor_is_contiguous(x))
        return gc_fail(ctx, GC_ERR_LAYOUT, "x must be C-contiguous");
    return GC_OK;
}

static void gc_result_init(gc_optim_result *r)
{
    memset(r, 0, sizeof *r);
    r->initial_loss = NAN;
    r->loss = NAN;
    r->stop = GC_OPTIM_STOP_NONE;
}

static gc_status gc_optimizer_call(gc_context *ctx, gc_optimizer *opt, gc_tensor *x,
                                   gc_objective_fn fn, void *user, gc_optim_result *result,
                                   int one_step)
{
    gc_optim_result local;
    gc_optim_result *r = result ? result : &local;
    gc_result_init(r);
    gc_status st = gc_optimizer_check_call(ctx, opt, x, fn);
    if (st != GC_OK)
        return st;
    if (opt->kind == GC_OPTIM_KIND_LBFGS)
        st = gc_lbfgs_run(ctx, opt, x, fn, user, one_step ? 1 : opt->u.lb.desc.max_iter, r);
    else
        st = gc_adam_run(ctx, opt, x, fn, user, one_step ? 1 : opt->u.ad.desc.max_iter, r);
    r->total_iterations = opt->total_iter;
    r->total_evaluations = opt->total_eval;
    if (st != GC_OK) {
        r->stop = GC_OPTIM_STOP_NONE;
        gc_optimizer_reset(opt);
    }
    return st;
}

gc_status gc_optimizer_run(gc_context *ctx, gc_optimizer *opt, gc_tensor *x, gc_objective_fn fn,
                           void *user, gc_optim_result *result)
{
    return gc_optimizer_call(ctx, opt, x, fn, user, result, 0);
}

gc_status gc_optimizer_step(gc_context *ctx, gc_optimizer *opt, gc_tensor *x, gc_objective_fn fn,
                            void *user, gc_optim_result *result)
{
    return gc_optimizer_call(ctx, opt, x, fn, user, result, 1);
}
