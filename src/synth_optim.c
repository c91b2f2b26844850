/* synth_optim.c - the synthesis loop's optimisers on a flat vector: L-BFGS as torch/optim's
 * lbfgs without line search (the configuration neural-style runs: fixed step lr, the first
 * step scaled by min(1, 1/|g|_1), history of (s, y) pairs kept when y.s > 1e-10, initial
 * Hessian y.s / y.y), and Adam (beta1 0.9, beta2 0.999, eps 1e-8). State in float64, all
 * allocated by init; a step allocates nothing and is deterministic (plain sequential sums). */
#include "synth.h"

#include <math.h>
#include <string.h>

void gc_synth_optim_free(gc_synth_optim *o)
{
    if (!o)
        return;
    for (int i = 0; i < 8; i++)
        gc_tensor_free(&o->bufs[i]);
    memset(o, 0, sizeof *o);
}

/* A zeroed float64 array of n elements owned by o->bufs[slot]. */
static gc_status gc_so_array(gc_context *ctx, gc_synth_optim *o, int slot, int64_t n, double **out)
{
    const int64_t d[1] = {n};
    gc_status st = gc_tensor_create(ctx, &o->bufs[slot], GC_DTYPE_F64, 1, d);
    *out = st == GC_OK ? o->bufs[slot].data : NULL;
    return st;
}

gc_status gc_synth_optim_init(gc_context *ctx, gc_synth_optimizer kind, gc_dtype dtype, int64_t n,
                              double lr, int history, gc_synth_optim *o)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->dtype = dtype;
    o->n = n;
    o->lr = lr;
    o->history = history;
    gc_status st = GC_OK;
    if (kind == GC_SYNTH_OPTIM_LBFGS) {
        int64_t hn;
        if (!gc_mul_ok(n, history, &hn))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "synth: L-BFGS history size overflows");
        if ((st = gc_so_array(ctx, o, 0, hn, &o->s)) == GC_OK &&
            (st = gc_so_array(ctx, o, 1, hn, &o->y)) == GC_OK &&
            (st = gc_so_array(ctx, o, 2, history, &o->rho)) == GC_OK &&
            (st = gc_so_array(ctx, o, 3, history, &o->alpha)) == GC_OK &&
            (st = gc_so_array(ctx, o, 4, n, &o->d)) == GC_OK)
            st = gc_so_array(ctx, o, 5, n, &o->gprev);
    } else {
        if ((st = gc_so_array(ctx, o, 6, n, &o->m)) == GC_OK)
            st = gc_so_array(ctx, o, 7, n, &o->v);
    }
    if (st != GC_OK)
        gc_synth_optim_free(o);
    return st;
}

static double gc_so_dot(const double *a, const double *b, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static gc_status gc_so_lbfgs(gc_synth_optim *o, void *x, const void *gv, int *done)
{
    const int64_t n = o->n;
    const gc_dtype dt = o->dtype;
    double *d = o->d, *gp = o->gprev;
    double gabs = 0.0, gmax = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double gi = gc_load(gv, dt, i);
        gabs += fabs(gi);
        if (fabs(gi) > gmax)
            gmax = fabs(gi);
    }
    if (!isfinite(gabs))
        return GC_ERR_ARG;
    if (gmax == 0.0) {
        *done = 1;
        return GC_OK;
    }
    double t;
    if (o->t == 0) {
        for (int64_t i = 0; i < n; i++)
            d[i] = -gc_load(gv, dt, i);
        o->nhist = 0;
        o->head = 0;
        o->hdiag = 1.0;
        t = fmin(1.0, 1.0 / gabs) * o->lr;
    } else {
        /* y = g - gprev (into gprev), s = d * t_prev (d still holds the last step) */
        double *sn = o->s + (int64_t)o->head * n, *yn = o->y + (int64_t)o->head * n;
        for (int64_t i = 0; i < n; i++) {
            sn[i] = d[i] * o->tprev;
            yn[i] = gc_load(gv, dt, i) - gp[i];
        }
        const double ys = gc_so_dot(yn, sn, n);
        if (ys > 1e-10) {
            o->rho[o->head] = 1.0 / ys;
            o->hdiag = ys / gc_so_dot(yn, yn, n);
            o->head = (o->head + 1) % o->history;
            if (o->nhist < o->history)
                o->nhist++;
        }
        /* two-loop recursion: d = -H g */
        for (int64_t i = 0; i < n; i++)
            d[i] = -gc_load(gv, dt, i);
        for (int k = 0; k < o->nhist; k++) {
            const int j = (o->head - 1 - k + 2 * o->history) % o->history;
            const double *sj = o->s + (int64_t)j * n, *yj = o->y + (int64_t)j * n;
            o->alpha[j] = gc_so_dot(sj, d, n) * o->rho[j];
            for (int64_t i = 0; i < n; i++)
                d[i] -= o->alpha[j] * yj[i];
        }
        for (int64_t i = 0; i < n; i++)
            d[i] *= o->hdiag;
        for (int k = o->nhist - 1; k >= 0; k--) {
            const int j = (o->head - 1 - k + 2 * o->history) % o->history;
            const double *sj = o->s + (int64_t)j * n, *yj = o->y + (int64_t)j * n;
            const double be = gc_so_dot(yj, d, n) * o->rho[j];
            for (int64_t i = 0; i < n; i++)
                d[i] += sj[i] * (o->alpha[j] - be);
        }
        t = o->lr;
    }
    for (int64_t i = 0; i < n; i++)
        gp[i] = gc_load(gv, dt, i);
    /* not a descent direction (curvature information gone bad): restart from -g */
    double gtd = 0.0;
    for (int64_t i = 0; i < n; i++)
        gtd += gp[i] * d[i];
    if (!(gtd < 0.0)) {
        for (int64_t i = 0; i < n; i++)
            d[i] = -gp[i];
        o->nhist = 0;
        t = fmin(1.0, 1.0 / gabs) * o->lr;
    }
    for (int64_t i = 0; i < n; i++)
        gc_store(x, dt, i, gc_load(x, dt, i) + t * d[i]);
    o->tprev = t;
    o->t++;
    return GC_OK;
}

static gc_status gc_so_adam(gc_synth_optim *o, void *x, const void *gv)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const int64_t n = o->n;
    const gc_dtype dt = o->dtype;
    o->t++;
    const double c1 = 1.0 - pow(b1, (double)o->t), c2 = 1.0 - pow(b2, (double)o->t);
    for (int64_t i = 0; i < n; i++) {
        const double g = gc_load(gv, dt, i);
        if (!isfinite(g))
            return GC_ERR_ARG;
        o->m[i] = b1 * o->m[i] + (1.0 - b1) * g;
        o->v[i] = b2 * o->v[i] + (1.0 - b2) * g * g;
        const double step = o->lr * (o->m[i] / c1) / (sqrt(o->v[i] / c2) + eps);
        gc_store(x, dt, i, gc_load(x, dt, i) - step);
    }
    return GC_OK;
}

gc_status gc_synth_optim_step(gc_context *ctx, gc_synth_optim *o, void *x, double f,
                              const void *g, int *done)
{
    *done = 0;
    if (!isfinite(f))
        return gc_fail(ctx, GC_ERR_ARG, "synth: the loss is not finite (%g)", f);
    gc_status st = o->kind == GC_SYNTH_OPTIM_LBFGS ? gc_so_lbfgs(o, x, g, done) : gc_so_adam(o, x, g);
    if (st != GC_OK)
        return gc_fail(ctx, st, "synth: the gradient is not finite");
    return GC_OK;
}
