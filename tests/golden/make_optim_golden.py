#!/usr/bin/env python3
"""Golden iterates for tests/test_optim.c, from PyTorch's torch.optim.LBFGS and torch.optim.Adam
(float64). Run from anywhere; writes tests/golden/optim_*.npy beside this script.

Problems:
  quad: f(x) = 0.5 x'Ax - b'x, n = 6, A = M M' + 6 I (small integers), b and x0 small
        integers; optim_quad_problem.npy holds rows A (6 rows), b, x0.
  rosen: f(x) = (1 - x0)^2 + 100 (x1 - x0^2)^2 from (-1.5, 2).
Files (float64):
  optim_lbfgs_quad_plain.npy   (16, 6): x0, then x after each of 15 step() calls, max_iter=1,
                                history_size=3, no line search, other options default
  optim_lbfgs_quad_wolfe.npy   (11, 6): the same with line_search_fn='strong_wolfe', 10 calls
  optim_lbfgs_quad_run.npy     (2, 8): one step() with max_iter=40, history_size=3, defaults;
                                row 0 no line search, row 1 strong_wolfe: x, n_iter, func_evals
  optim_lbfgs_rosen_wolfe.npy  (1, 4): one step() on rosen, max_iter=200, strong_wolfe,
                                history_size=10: x, n_iter, func_evals
  optim_lbfgs_rosen_plain.npy  (31, 2): rosen, lr=0.1, no line search, 30 step() calls with
                                max_iter=1 (x after each)
  optim_adam_rosen.npy         (51, 2): Adam(lr=0.01, weight_decay=0.01) on rosen, 50 steps
  optim_lbfgs_maxeval.npy      (2, 4): rosen, max_iter=10 (max_eval derived), lr=0.01,
                                strong_wolfe: x, n_iter, func_evals; row 0 torch.optim.LBFGS
                                (max_eval 12), row 1 the TORCH7 transcription (maxEval 12.5)
TORCH7 flavour (from torch7_optim_ref.py, a NumPy transcription of the Lua code: see there):
  optim_t7_quad_wolfe.npy      (11, 6): quad, 10 optim.lbfgs calls with maxIter=1,
                                nCorrection=3, lineSearch=optim.lswolfe (x after each)
  optim_t7_rosen_wolfe.npy     (4, 12): one call, maxIter=200, lswolfe: row 0 rosen (2-D from
                                (-1.5, 2), nCorrection=10) x, nIter, funcEval (zero-padded);
                                row 1 the 10-D chained rosen from SciPy's start
                                (1.3, 0.7, 0.8, 1.9, 1.2) x 2, nCorrection=5; rows 2, 3 the
                                same two with nCorrection=5, learningRate=0.01 (extrapolating)
  optim_t7_adam.npy            (51, 2): optim.adam(learningRate=0.01, learningRateDecay=1e-3,
                                weightDecay=0.01) on rosen, 50 calls
"""
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, arr):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(arr, dtype=np.float64))


n = 6
M = np.array([[1, 0, 2, -1, 0, 1],
              [0, 1, -1, 0, 2, 0],
              [1, 1, 0, 1, 0, -1],
              [0, -2, 1, 1, 1, 0],
              [2, 0, 0, -1, 1, 1],
              [-1, 1, 1, 0, 0, 2]], dtype=np.float64)
A = M @ M.T + 6.0 * np.eye(n)
b = np.array([1, -2, 3, 0, -1, 2], dtype=np.float64)
x0 = np.array([2, -1, 0, 3, 1, -2], dtype=np.float64)
save("optim_quad_problem.npy", np.vstack([A, b, x0]))
At, bt = torch.tensor(A), torch.tensor(b)


def quad(x):
    return 0.5 * x @ (At @ x) - bt @ x


def rosen(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def closure_for(opt, x, f):
    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss
    return closure


def stepwise(f, start, steps, **kw):
    x = torch.tensor(start, requires_grad=True)
    opt = torch.optim.LBFGS([x], max_iter=1, **kw)
    rows = [x.detach().clone().numpy()]
    for _ in range(steps):
        opt.step(closure_for(opt, x, f))
        rows.append(x.detach().clone().numpy())
    return np.array(rows)


def one_run(f, start, **kw):
    x = torch.tensor(start, requires_grad=True)
    opt = torch.optim.LBFGS([x], **kw)
    opt.step(closure_for(opt, x, f))
    st = opt.state[opt._params[0]]
    return np.concatenate([x.detach().numpy(), [st["n_iter"], st["func_evals"]]])


save("optim_lbfgs_quad_plain.npy", stepwise(quad, x0, 15, history_size=3))
save("optim_lbfgs_quad_wolfe.npy",
     stepwise(quad, x0, 10, history_size=3, line_search_fn="strong_wolfe"))
save("optim_lbfgs_quad_run.npy", np.array([
    one_run(quad, x0, max_iter=40, history_size=3),
    one_run(quad, x0, max_iter=40, history_size=3, line_search_fn="strong_wolfe")]))
r0 = np.array([-1.5, 2.0])
save("optim_lbfgs_rosen_wolfe.npy",
     one_run(rosen, r0, max_iter=200, history_size=10, line_search_fn="strong_wolfe")[None, :])
save("optim_lbfgs_rosen_plain.npy", stepwise(rosen, r0, 30, lr=0.1, history_size=10))

x = torch.tensor(r0, requires_grad=True)
opt = torch.optim.Adam([x], lr=0.01, weight_decay=0.01)
rows = [x.detach().clone().numpy()]
for _ in range(50):
    opt.step(closure_for(opt, x, rosen))
    rows.append(x.detach().clone().numpy())
save("optim_adam_rosen.npy", np.array(rows))

# ---- TORCH7 flavour -------------------------------------------------------------------------
import sys  # noqa: E402

sys.path.insert(0, HERE)
import torch7_optim_ref as t7  # noqa: E402


def np_quad(x):
    return 0.5 * x @ (A @ x) - b @ x, A @ x - b


def np_rosen(x):
    f, g = 0.0, np.zeros_like(x)
    for i in range(len(x) - 1):
        u, v = x[i + 1] - x[i] ** 2, 1 - x[i]
        f += 100 * u * u + v * v
        g[i] += -400 * x[i] * u - 2 * v
        g[i + 1] += 200 * u
    return f, g


x, st, rows = x0.copy(), {}, [x0.copy()]
for _ in range(10):
    t7.lbfgs(np_quad, x, dict(maxIter=1, nCorrection=3, lineSearch=True), st)
    rows.append(x.copy())
save("optim_t7_quad_wolfe.npy", np.array(rows))
out = np.zeros((4, 12))
x, st = r0.copy(), {}
t7.lbfgs(np_rosen, x, dict(maxIter=200, nCorrection=10, lineSearch=True), st)
out[0, :2], out[0, 10], out[0, 11] = x, st["nIter"], st["funcEval"]
x, st = np.tile([1.3, 0.7, 0.8, 1.9, 1.2], 2), {}
t7.lbfgs(np_rosen, x, dict(maxIter=200, nCorrection=5, lineSearch=True), st)
out[1, :10], out[1, 10], out[1, 11] = x, st["nIter"], st["funcEval"]
# learningRate 0.01: short first trials, so lswolfe extrapolates (bounded polyinterp) often
x, st = r0.copy(), {}
t7.lbfgs(np_rosen, x, dict(maxIter=200, nCorrection=5, lineSearch=True, learningRate=0.01), st)
out[2, :2], out[2, 10], out[2, 11] = x, st["nIter"], st["funcEval"]
x, st = np.tile([1.3, 0.7, 0.8, 1.9, 1.2], 2), {}
t7.lbfgs(np_rosen, x, dict(maxIter=200, nCorrection=5, lineSearch=True, learningRate=0.01), st)
out[3, :10], out[3, 10], out[3, 11] = x, st["nIter"], st["funcEval"]
save("optim_t7_rosen_wolfe.npy", out)
x, st, rows = r0.copy(), {}, [r0.copy()]
for _ in range(50):
    t7.adam(np_rosen, x, dict(learningRate=0.01, learningRateDecay=1e-3, weightDecay=0.01), st)
    rows.append(x.copy())
save("optim_t7_adam.npy", np.array(rows))

me = np.zeros((2, 4))
me[0] = one_run(rosen, r0, max_iter=10, lr=0.01, line_search_fn="strong_wolfe")
x, st = r0.copy(), {}
t7.lbfgs(np_rosen, x, dict(maxIter=10, learningRate=0.01, lineSearch=True), st)
me[1, :2], me[1, 2], me[1, 3] = x, st["nIter"], st["funcEval"]
save("optim_lbfgs_maxeval.npy", me)

if __name__ == "__main__":
    for nm in sorted(os.listdir(HERE)):
        if nm.startswith("optim_"):
            a = np.load(os.path.join(HERE, nm))
            print(nm, a.shape, a[-1])
