/* optim_wolfe.c - the strong-Wolfe line search of L-BFGS: optim.lswolfe (flavour TORCH7) and
 * torch.optim.lbfgs._strong_wolfe (PYTORCH), which ports it. Both bracket a step satisfying
 *   sufficient decrease  f(x + t d) <= f + c1 t g.d
 *   curvature            |g(x + t d).d| <= -c2 g.d
 * by cubic extrapolation, then zoom into the bracket by cubic interpolation. They differ in:
 *  - the extrapolation (bracketing phase, bounds [t + 0.01 (t - t_prev), 10 t]): lswolfe calls
 *    polyinterp with bounds, which takes the lowest value of the fitted cubic over the bounds,
 *    the two points and the cubic's real critical points inside the bounds; _strong_wolfe
 *    clips the cubic's local minimiser to the bounds;
 *  - when the zoom stops: lswolfe after an evaluation when |(b1 - b2) g_new.d| < tolX;
 *    _strong_wolfe before one when |b1 - b2| max|d| < tolerance_change;
 *  - the "too close to the bracket's end" test: a ratio (lswolfe) or a product (PyTorch).
 *  - how many evaluations: lswolfe maxIter; PyTorch max_eval minus the run's evaluations.
 * Gradients: three buffers g[] hold the bracket's two ends and the newest trial; the search
 * moves indices, never copies. */
#include "optim/optim.h"

#include <math.h>

/* The clipped minimiser of the cubic through (x1, f1, g1), (x2, f2, g2) (both flavours'
 * unbounded interpolation, and PyTorch's bounded one): the minimum of the Hermite cubic,
 * clipped to [lo, hi]; the middle of [lo, hi] when the cubic has no real critical point. */
static double gc_cubic_min(double x1, double f1, double g1, double x2, double f2, double g2,
                           double lo, double hi)
{
    const double d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    const double d2sq = d1 * d1 - g1 * g2;
    if (d2sq >= 0.0) {
        const double d2 = sqrt(d2sq);
        double m;
        if (x1 <= x2)
            m = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2));
        else
            m = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2));
        return fmin(fmax(m, lo), hi);
    }
    return (lo + hi) / 2.0;
}

/* lswolfe's clip is min(max(t, x_lo), x_hi) with Lua's math.min/max, which return the first
 * argument unless the second compares smaller/larger: NaN t stays NaN. fmin/fmax would drop
 * it, so the TORCH7 path clips with plain comparisons. */
static double gc_lua_clip(double t, double lo, double hi)
{
    double m = (lo > t) ? lo : t;      /* math.max(t, lo) */
    return (hi < m) ? hi : m;          /* math.min(m, hi) */
}

static double gc_cubic_min_lua(double x1, double f1, double g1, double x2, double f2, double g2)
{
    /* polyinterp's fast path: minPos = the point with the smaller x (the first on ties) */
    int first = !(x2 < x1);
    double xa = first ? x1 : x2, fa = first ? f1 : f2, ga = first ? g1 : g2;
    double xb = first ? x2 : x1, fb = first ? f2 : f1, gb = first ? g2 : g1;
    const double d1 = ga + gb - 3.0 * (fa - fb) / (xa - xb);
    const double d2 = sqrt(d1 * d1 - ga * gb);
    if (d2 == d2) {
        double t = xb - (xb - xa) * ((gb + d2 - d1) / (gb - ga + 2.0 * d2));
        return gc_lua_clip(t, xa, xb);
    }
    return (x1 + x2) / 2.0;
}

/* Lua's polyinterp with bounds: the cubic p(x) = c0 x^3 + c1 x^2 + c2 x + c3 with
 * p(xi) = fi, p'(xi) = gi, coefficients below 1e-12 in magnitude set to 0; candidates in
 * order: lo, hi, x1, x2, the real roots of p' (its coefficients below 1e-12 zeroed, leading
 * zeros dropped); the first candidate inside [lo, hi] with the smallest p wins; (lo + hi) / 2
 * if none gives a value below +inf. */
static double gc_polyinterp_bounded(double x1, double f1, double g1, double x2, double f2,
                                    double g2, double lo, double hi)
{
    /* the 4 x 4 Hermite system, rows: p(x1), p(x2), p'(x1), p'(x2); Gaussian elimination
     * with partial pivoting (torch.gels solves the same square system by QR) */
    double a[4][5] = {
        {x1 * x1 * x1, x1 * x1, x1, 1.0, f1},
        {x2 * x2 * x2, x2 * x2, x2, 1.0, f2},
        {3.0 * x1 * x1, 2.0 * x1, 1.0, 0.0, g1},
        {3.0 * x2 * x2, 2.0 * x2, 1.0, 0.0, g2},
    };
    double c[4] = {NAN, NAN, NAN, NAN};
    int singular = 0;
    for (int col = 0; col < 4 && !singular; col++) {
        int piv = col;
        for (int r = col + 1; r < 4; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col]))
                piv = r;
        if (!(a[piv][col] != 0.0)) {
            singular = 1;
            break;
        }
        if (piv != col)
            for (int k = 0; k < 5; k++) {
                double tmp = a[col][k];
                a[col][k] = a[piv][k];
                a[piv][k] = tmp;
            }
        for (int r = col + 1; r < 4; r++) {
            double m = a[r][col] / a[col][col];
            for (int k = col; k < 5; k++)
                a[r][k] -= m * a[col][k];
        }
    }
    if (!singular)
        for (int r = 3; r >= 0; r--) {
            double s = a[r][4];
            for (int k = r + 1; k < 4; k++)
                s -= a[r][k] * c[k];
            c[r] = s / a[r][r];
        }
    for (int k = 0; k < 4; k++)
        if (fabs(c[k]) <= 1e-12)
            c[k] = 0.0;

    double cand[6];
    int nc = 0;
    cand[nc++] = lo;
    cand[nc++] = hi;
    cand[nc++] = x1;
    cand[nc++] = x2;
    double dp[3] = {3.0 * c[0], 2.0 * c[1], c[2]};
    int nans = 0;
    for (int k = 0; k < 3; k++)
        if (isnan(dp[k]) || dp[k] == INFINITY)
            nans = 1;
    if (!nans) {
        for (int k = 0; k < 3; k++)
            if (fabs(dp[k]) < 1e-12)
                dp[k] = 0.0;
        int lead = 0;
        while (lead < 3 && dp[lead] == 0.0)
            lead++;
        int deg = 2 - lead; /* trailing zeros are roots at 0 */
        int nz = 0;
        while (deg > 0 && dp[lead + deg] == 0.0) {
            deg--;
            nz++;
        }
        if (deg == 1) {
            cand[nc++] = -dp[lead + 1] / dp[lead];
        } else if (deg == 2) {
            const double qa = dp[lead], qb = dp[lead + 1], qc = dp[lead + 2];
            const double disc = qb * qb - 4.0 * qa * qc;
            if (disc >= 0.0) {
                const double sq = sqrt(disc);
                cand[nc++] = (-qb + sq) / (2.0 * qa);
                cand[nc++] = (-qb - sq) / (2.0 * qa);
            }
        }
        for (int k = 0; k < nz && nc < 6; k++)
            cand[nc++] = 0.0;
    }
    double best = INFINITY, pos = (lo + hi) / 2.0;
    for (int i = 0; i < nc; i++) {
        const double xc = cand[i];
        if (xc >= lo && xc <= hi) {
            const double v = ((c[0] * xc + c[1]) * xc + c[2]) * xc + c[3];
            if (v < best) {
                best = v;
                pos = xc;
            }
        }
    }
    return pos;
}

/* An index of g[] that is neither a nor b. */
static int gc_free_grad(int a, int b)
{
    for (int i = 0; i < GC_LBFGS_NGRAD; i++)
        if (i != a && i != b)
            return i;
    return 0; /* unreachable with three buffers */
}

/* Evaluate f and g at x + t d into g[gi]; g.d into *gtd. */
static gc_status gc_ls_eval(gc_context *ctx, gc_optimizer *opt, const gc_tensor *x,
                            gc_objective_fn fn, void *user, double t, int gi, double *f,
                            double *gtd, gc_optim_result *res)
{
    gc_ov_axpy(opt->dtype, opt->n, opt->u.lb.xe, x->data, t, opt->u.lb.d);
    gc_status st = gc_optim_eval(ctx, opt, x, opt->u.lb.xe, opt->u.lb.g[gi], fn, user, f, res);
    if (st == GC_OK) {
        *gtd = gc_ov_dot(opt->dtype, opt->n, opt->u.lb.g[gi], opt->u.lb.d);
        st = gc_optim_reduce(ctx, opt, GC_REDUCE_OP_SUM, gtd, 1);
    }
    return st;
}

/* The zoom's safeguard: a trial step t too close to an end of the bracket [b[0], b[1]] (or
 * outside it) is moved to 0.1 of the bracket from the nearer end, on the second such step in a
 * row (*insuf tracks the first) or at once when t is outside. */
static double gc_zoom_guard(int torch7, const double b[2], double t, int *insuf)
{
    const double bmax = b[0] > b[1] ? b[0] : b[1], bmin = b[0] < b[1] ? b[0] : b[1];
    const int close = torch7 ? fmin(bmax - t, t - bmin) / (bmax - bmin) < 0.1
                             : fmin(bmax - t, t - bmin) < 0.1 * (bmax - bmin);
    if (close) {
        if (*insuf || t >= bmax || t <= bmin) {
            if (fabs(t - bmax) < fabs(t - bmin))
                t = bmax - 0.1 * (bmax - bmin);
            else
                t = bmin + 0.1 * (bmax - bmin);
            *insuf = 0;
        } else {
            *insuf = 1;
        }
    } else {
        *insuf = 0;
    }
    return t;
}

gc_status gc_lbfgs_wolfe(gc_context *ctx, gc_optimizer *opt, const gc_tensor *x, gc_objective_fn fn,
                         void *user, double f, double gtd, int64_t max_ls, double *t_io,
                         double *f_out, int64_t *evals, gc_optim_result *res)
{
    const gc_lbfgs_desc *desc = &opt->u.lb.desc;
    const int torch7 = desc->flavor == GC_OPTIM_FLAVOR_TORCH7;
    const double c1 = desc->ls_c1, c2 = desc->ls_c2, tolx = desc->ls_tol_x;
    double d_norm = torch7 ? 0.0 : gc_ov_abs_max(opt->dtype, opt->n, opt->u.lb.d);
    gc_status st = torch7 ? GC_OK : gc_optim_reduce(ctx, opt, GC_REDUCE_OP_MAX, &d_norm, 1);
    if (st != GC_OK)
        return st;
    const int g0 = opt->u.lb.gi; /* the gradient at t = 0 */
    double t = *t_io;

    int gn = gc_free_grad(g0, g0);
    double f_new, gtd_new;
    st = gc_ls_eval(ctx, opt, x, fn, user, t, gn, &f_new, &gtd_new, res);
    if (st != GC_OK)
        return st;
    int64_t ls_evals = 1;

    /* bracketing */
    double t_prev = 0.0, f_prev = f, gtd_prev = gtd;
    int gp = g0;
    int done = 0, nb = 0;
    double b[2] = {0, 0}, bf[2] = {0, 0}, bgtd[2] = {0, 0};
    int bg[2] = {g0, g0};
    int64_t ls_iter = 0;
    while (ls_iter < max_ls) {
        if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
            b[0] = t_prev, b[1] = t, bf[0] = f_prev, bf[1] = f_new;
            bg[0] = gp, bg[1] = gn, bgtd[0] = gtd_prev, bgtd[1] = gtd_new, nb = 2;
            break;
        }
        if (fabs(gtd_new) <= -c2 * gtd) {
            b[0] = t, bf[0] = f_new, bg[0] = gn, nb = 1, done = 1;
            break;
        }
        if (gtd_new >= 0.0) {
            b[0] = t_prev, b[1] = t, bf[0] = f_prev, bf[1] = f_new;
            bg[0] = gp, bg[1] = gn, bgtd[0] = gtd_prev, bgtd[1] = gtd_new, nb = 2;
            break;
        }
        /* extrapolate */
        const double min_step = t + 0.01 * (t - t_prev), max_step = t * 10.0, tmp = t;
        if (torch7)
            t = gc_polyinterp_bounded(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step,
                                      max_step);
        else
            t = gc_cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step);
        t_prev = tmp, f_prev = f_new, gp = gn, gtd_prev = gtd_new;
        gn = gc_free_grad(g0, gp);
        if ((st = gc_ls_eval(ctx, opt, x, fn, user, t, gn, &f_new, &gtd_new, res)) != GC_OK)
            return st;
        ls_evals++;
        ls_iter++;
    }
    if (ls_iter == max_ls) {
        b[0] = 0.0, b[1] = t, bf[0] = f, bf[1] = f_new, bg[0] = g0, bg[1] = gn, nb = 2;
        done = 1; /* no evaluations left: the zoom does not run */
    }

    /* zoom */
    int insuf = 0;
    int lo = (bf[0] <= bf[nb - 1]) ? 0 : 1;
    while (!done && ls_iter < max_ls) {
        if (!torch7 && fabs(b[1] - b[0]) * d_norm < tolx)
            break;
        if (torch7) /* lswolfe finds LO at the top of each pass (bracketFval:min) */
            lo = (bf[0] <= bf[1]) ? 0 : 1;
        const int hi = 1 - lo;
        if (torch7)
            t = gc_cubic_min_lua(b[0], bf[0], bgtd[0], b[1], bf[1], bgtd[1]);
        else
            t = gc_cubic_min(b[0], bf[0], bgtd[0], b[1], bf[1], bgtd[1],
                             fmin(b[0], b[1]), fmax(b[0], b[1]));
        t = gc_zoom_guard(torch7, b, t, &insuf);
        gn = gc_free_grad(bg[0], bg[1]);
        if ((st = gc_ls_eval(ctx, opt, x, fn, user, t, gn, &f_new, &gtd_new, res)) != GC_OK)
            return st;
        ls_evals++;
        ls_iter++;
        if (f_new > f + c1 * t * gtd || f_new >= bf[lo]) {
            b[hi] = t, bf[hi] = f_new, bg[hi] = gn, bgtd[hi] = gtd_new;
            if (!torch7) /* _strong_wolfe re-finds its low end only here */
                lo = (bf[0] <= bf[1]) ? 0 : 1;
        } else {
            if (fabs(gtd_new) <= -c2 * gtd)
                done = 1;
            else if (gtd_new * (b[hi] - b[lo]) >= 0.0) {
                b[hi] = b[lo], bf[hi] = bf[lo], bg[hi] = bg[lo], bgtd[hi] = bgtd[lo];
            }
            b[lo] = t, bf[lo] = f_new, bg[lo] = gn, bgtd[lo] = gtd_new;
        }
        if (torch7 && !done && fabs((b[0] - b[1]) * gtd_new) < tolx)
            break;
    }
    if (nb == 1)
        lo = 0;
    else if (torch7) /* lswolfe's final bracketFval:min */
        lo = (bf[0] <= bf[1]) ? 0 : 1;
    *t_io = b[lo];
    *f_out = bf[lo];
    opt->u.lb.gi = bg[lo];
    *evals = ls_evals;
    return GC_OK;
}
