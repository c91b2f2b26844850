"""A line-by-line NumPy transcription of torch/optim's Lua lbfgs.lua (with lswolfe.lua and
polyinterp.lua) and adam.lua (with learningRateDecay and weightDecay), float64, for the TORCH7
flavour goldens of tests/test_optim.c. Lua Torch7 is not installable here, so these goldens are
a second, independent implementation of the same published algorithm, not the original's
output: polyinterp's bounded path uses numpy.linalg.lstsq (torch.gels) and numpy.roots
(eigenvalues of the companion matrix, as torch.eig) where the C code solves the 4x4 system and
the quadratic directly."""
import math

import numpy as np


def lua_max(a, b):  # Lua math.max(a, b): b only if b > a
    return b if b > a else a


def lua_min(a, b):
    return b if b < a else a


def polyinterp(points, xmin_bound=None, xmax_bound=None):
    points = np.asarray(points, dtype=np.float64)
    npts = points.shape[0]
    order = npts * 2 - 1
    if npts == 2 and order == 3 and xmin_bound is None and xmax_bound is None:
        mn = 0 if points[0, 0] <= points[1, 0] else 1  # torch min: first on ties
        nm = 1 - mn
        d1 = points[mn, 2] + points[nm, 2] - 3 * (points[mn, 1] - points[nm, 1]) / (
            points[mn, 0] - points[nm, 0])
        sq = d1 ** 2 - points[mn, 2] * points[nm, 2]
        d2 = math.sqrt(sq) if sq >= 0 else float("nan")
        if d2 == d2:
            t = points[nm, 0] - (points[nm, 0] - points[mn, 0]) * (
                (points[nm, 2] + d2 - d1) / (points[nm, 2] - points[mn, 2] + 2 * d2))
            return lua_min(lua_max(t, points[mn, 0]), points[nm, 0])
        return float(np.mean(points[:, 0]))
    xmin, xmax = points[:, 0].min(), points[:, 0].max()
    lo = xmin if xmin_bound is None else xmin_bound
    hi = xmax if xmax_bound is None else xmax_bound
    A = np.zeros((npts * 2, order + 1))
    b = np.zeros(npts * 2)
    for i in range(npts):
        for j in range(order, -1, -1):
            A[i, order - j] = points[i, 0] ** j
        b[i] = points[i, 1]
    for i in range(npts):
        for j in range(1, order + 1):
            A[npts + i, j - 1] = (order - j + 1) * points[i, 0] ** (order - j)
        b[npts + i] = points[i, 2]
    params = np.linalg.lstsq(A, b, rcond=None)[0]
    params[np.abs(params) <= 1e-12] = 0
    dparams = np.array([params[i] * (order - i) for i in range(order)])
    cp = [complex(lo), complex(hi)] + [complex(v) for v in points[:, 0]]
    if not (np.isnan(dparams).any() or (dparams == math.inf).any()):
        c = dparams.copy()
        c[np.abs(c) < 1e-12] = 0
        nz_idx = np.nonzero(c)[0]
        if len(nz_idx):
            c = c[nz_idx[0]:]
            nz = 0
            for v in c[::-1]:
                if v != 0:
                    break
                nz += 1
            c = c[:len(c) - nz]
            cp += [complex(r) for r in np.roots(c)] + [0j] * nz
    fmin = math.inf
    minpos = (lo + hi) / 2
    for xc in cp:
        if xc.imag == 0 and lo <= xc.real <= hi:
            x = xc.real
            val = 0.0
            pwr = len(params)
            for pc in params:
                pwr -= 1
                val = val + pc * x ** pwr
            if val < fmin:
                minpos, fmin = x, val
    return minpos


def lswolfe(opfunc, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolX=1e-9, maxIter=20):
    x_init = x.copy()
    x = x_init + t * d
    f_new, g_new = opfunc(x)
    ls_evals = 1
    gtd_new = g_new @ d
    ls_iter, t_prev, done = 0, 0.0, False
    f_prev, g_prev, gtd_prev = f, g.copy(), gtd
    bracket = None
    while ls_iter < maxIter:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bf, bg = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            break
        elif abs(gtd_new) <= -c2 * gtd:
            bracket, bf, bg = [t], [f_new], [g_new]
            done = True
            break
        elif gtd_new >= 0:
            bracket, bf, bg = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            break
        tmp = t_prev
        t_prev = t
        min_step = t + 0.01 * (t - tmp)
        max_step = t * 10
        t = polyinterp([[tmp, f_prev, gtd_prev], [t, f_new, gtd_new]], min_step, max_step)
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        x = x_init + t * d
        f_new, g_new = opfunc(x)
        ls_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1
    if ls_iter == maxIter:
        bracket, bf, bg = [0.0, t], [f, f_new], [g, g_new]
    insuf = False
    while not done and ls_iter < maxIter:
        lo = 0 if bf[0] <= bf[1] else 1
        f_lo = bf[lo]
        hi = 1 - lo
        t = polyinterp([[bracket[0], bf[0], bg[0] @ d], [bracket[1], bf[1], bg[1] @ d]])
        bmax, bmin = max(bracket), min(bracket)
        if min(bmax - t, t - bmin) / (bmax - bmin) < 0.1:
            if insuf or t >= bmax or t <= bmin:
                if abs(t - bmax) < abs(t - bmin):
                    t = bmax - 0.1 * (bmax - bmin)
                else:
                    t = bmin + 0.1 * (bmax - bmin)
                insuf = False
            else:
                insuf = True
        else:
            insuf = False
        x = x_init + t * d
        f_new, g_new = opfunc(x)
        ls_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= f_lo:
            bracket[hi], bf[hi], bg[hi] = t, f_new, g_new
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[hi] - bracket[lo]) >= 0:
                bracket[hi], bf[hi], bg[hi] = bracket[lo], bf[lo], bg[lo]
            bracket[lo], bf[lo], bg[lo] = t, f_new, g_new
        if not done and abs((bracket[0] - bracket[1]) * gtd_new) < tolX:
            break
    lo = 0 if len(bf) == 1 or bf[0] <= bf[1] else 1
    t = bracket[lo]
    return bf[lo], bg[lo], x_init + t * d, t, ls_evals


def lbfgs(opfunc, x, config, state):
    """optim.lbfgs(opfunc, x, config, state); x is updated in place; returns evaluations."""
    maxIter = config.get("maxIter", 20)
    maxEval = config.get("maxEval", maxIter * 1.25)
    tolFun = config.get("tolFun", 1e-5)
    tolX = config.get("tolX", 1e-9)
    nCorrection = config.get("nCorrection", 100)
    lineSearch = config.get("lineSearch", False)
    lr = config.get("learningRate", 1.0)
    state.setdefault("funcEval", 0)
    state.setdefault("nIter", 0)
    f, g = opfunc(x)
    evals = 1
    state["funcEval"] += 1
    if np.abs(g).sum() <= tolFun:
        return evals
    d, t = state.get("d"), state.get("t")
    old_dirs, old_stps = state.get("old_dirs"), state.get("old_stps")
    Hdiag, g_old = state.get("Hdiag"), state.get("g_old")
    nIter = 0
    while nIter < maxIter:
        nIter += 1
        state["nIter"] += 1
        if state["nIter"] == 1:
            d = -g
            old_dirs, old_stps, Hdiag = [], [], 1.0
        else:
            y = g - g_old
            s = d * t
            ys = y @ s
            if ys > 1e-10:
                if len(old_dirs) == nCorrection:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                old_dirs.append(s)
                old_stps.append(y)
                Hdiag = ys / (y @ y)
            k = len(old_dirs)
            ro = [1.0 / (old_stps[i] @ old_dirs[i]) for i in range(k)]
            al = [0.0] * k
            q = -g
            for i in range(k - 1, -1, -1):
                al[i] = (old_dirs[i] @ q) * ro[i]
                q = q + (-al[i]) * old_stps[i]
            r = q * Hdiag
            for i in range(k):
                be_i = (old_stps[i] @ r) * ro[i]
                r = r + (al[i] - be_i) * old_dirs[i]
            d = r
        g_old = g.copy()
        f_old = f
        gtd = g @ d
        if gtd > -tolX:
            break
        if state["nIter"] == 1:
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr
        else:
            t = lr
        ls_evals = 0
        if lineSearch:
            f, g, xn, t, ls_evals = lswolfe(opfunc, x, t, d, f, g, gtd)
            x[:] = xn
        else:
            x[:] = x + t * d
            if nIter != maxIter:
                f, g = opfunc(x)
                ls_evals = 1
        evals += ls_evals
        state["funcEval"] += ls_evals
        if nIter == maxIter:
            break
        if evals >= maxEval:
            break
        if np.abs(g).sum() <= tolFun:
            break
        if np.abs(d * t).sum() <= tolX:
            break
        if abs(f - f_old) < tolX:
            break
    state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, Hdiag=Hdiag, g_old=g_old)
    return evals


def adam(opfunc, x, config, state):
    lr = config.get("learningRate", 0.001)
    lrd = config.get("learningRateDecay", 0)
    beta1 = config.get("beta1", 0.9)
    beta2 = config.get("beta2", 0.999)
    eps = config.get("epsilon", 1e-8)
    wd = config.get("weightDecay", 0)
    fx, dfdx = opfunc(x)
    if wd != 0:
        dfdx = dfdx + wd * x
    state.setdefault("t", 0)
    state.setdefault("m", np.zeros_like(x))
    state.setdefault("v", np.zeros_like(x))
    clr = lr / (1 + state["t"] * lrd)
    state["t"] += 1
    state["m"] = state["m"] * beta1 + (1 - beta1) * dfdx
    state["v"] = state["v"] * beta2 + (1 - beta2) * dfdx * dfdx
    denom = np.sqrt(state["v"]) + eps
    bc1 = 1 - beta1 ** state["t"]
    bc2 = 1 - beta2 ** state["t"]
    step = clr * math.sqrt(bc2) / bc1
    x[:] = x + (-step) * state["m"] / denom
    return fx
