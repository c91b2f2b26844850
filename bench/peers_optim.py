#!/usr/bin/env python3
"""torch.optim.LBFGS on bench/optim_step.c's problem (f = 0.5 sum w_i x_i^2, w_i = 1 + i mod 7,
x: 3 x 512 x 512 float32, tolerances off), one thread, for the ratio against gramconv.
    python3 bench/peers_optim.py HISTORY LINE_SEARCH(0|1) [ITERS]
Prints one JSON line like optim_step's (the objective is timed alone and subtracted)."""
import json
import sys
import time

import torch

torch.set_num_threads(1)
hist, ls = int(sys.argv[1]), int(sys.argv[2])
iters = int(sys.argv[3]) if len(sys.argv) > 3 else 50
n = 3 * 512 * 512
w = (1 + torch.arange(n) % 7).float().view(3, 512, 512)
x = (((torch.arange(n) * 37) % 101).float() / 50 - 1).view(3, 512, 512).requires_grad_(True)
opt = torch.optim.LBFGS([x], lr=1.0 if ls else 0.5, max_iter=iters, max_eval=10 * iters,
                        tolerance_grad=-1, tolerance_change=-1, history_size=hist,
                        line_search_fn="strong_wolfe" if ls else None)
evals = [0]


def closure():
    evals[0] += 1
    opt.zero_grad()
    loss = 0.5 * (w * x * x).sum()
    loss.backward()
    return loss


t0 = time.perf_counter()
for _ in range(20):
    closure()
t_obj = (time.perf_counter() - t0) / 20
evals[0] = 0
t0 = time.perf_counter()
opt.step(closure)
t = time.perf_counter() - t0
it = opt.state[x]["n_iter"]
print(json.dumps({"impl": "torch", "numel": n, "history": hist, "line_search": ls,
                  "iterations": it, "evaluations": evals[0],
                  "ms_per_iter": round(1e3 * t / it, 3),
                  "ms_per_iter_optimiser": round(1e3 * (t - t_obj * evals[0]) / it, 3),
                  "ms_objective": round(1e3 * t_obj, 3)}))
