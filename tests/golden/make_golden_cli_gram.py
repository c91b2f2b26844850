#!/usr/bin/env python3
"""Writes the small inputs and expected outputs that tests/cli_test.sh uses for the `gram`,
`gram-backward`, `style-loss` and `spatialconv` subcommands (tests/golden/cli_gram_*,
tests/golden/cli_sconv_*).

Run from anywhere: python3 tests/golden/make_golden_cli_gram.py
Needs numpy and torch (CPU); the test script itself does not. Everything is computed in
float64 by PyTorch, independently of gramconv:
  Gram:  G = alpha * Fc @ Fc^T with Fc = F (or F minus each row's mean), alpha = scale / H*W
         (hw), scale / C*H*W (chw) or scale (none); gradients by autograd;
         style loss = weight * mean((G - T)^2), written as text with %.17g.
  conv:  torch.nn.functional.conv2d (padding modes through F.pad as nn.Conv2d does), gradients
         by autograd with a random grad_output; grad_bias is grad_output summed over N, H, W
         (written also for the cases without a bias).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20250611)
torch.set_default_dtype(torch.float64)


def save(name, arr):
    np.save(os.path.join(here, name + ".npy"), np.ascontiguousarray(arr))


def rand(*shape):
    return rng.uniform(-1.0, 1.0, size=shape)


# ---- Gram ------------------------------------------------------------------------------------

def gram(x, norm, center, scale):
    """x: numpy (M,K), (C,H,W) or (N,C,H,W) -> torch G (keeps the graph)."""
    t = torch.as_tensor(x)
    if t.dim() == 2:
        f = t.unsqueeze(0)
    elif t.dim() == 3:
        f = t.reshape(1, t.shape[0], -1)
    else:
        f = t.reshape(t.shape[0], t.shape[1], -1)
    m, k = f.shape[1], f.shape[2]
    if center:
        f = f - f.mean(dim=2, keepdim=True)
    alpha = scale * {"none": 1.0, "hw": 1.0 / k, "chw": 1.0 / (m * k)}[norm]
    g = alpha * torch.bmm(f, f.transpose(1, 2))
    return g if t.dim() == 4 else g[0]


def gram_grad(x, norm, center, scale, fn):
    """dL/dx for L = fn(G(x))."""
    t = torch.tensor(x, requires_grad=True)
    g = gram(t, norm, center, scale)
    loss = fn(g)
    loss.backward()
    return t.grad.numpy(), loss.item()


x4 = rand(2, 3, 3, 4)
x3 = rand(3, 4, 5)
x2 = rand(4, 6)
save("cli_gram_x4", x4)
save("cli_gram_x3", x3)
save("cli_gram_x2", x2)
save("cli_gram_x4_f32", x4.astype(np.float32))

for norm in ("none", "hw", "chw"):
    for center in (False, True):
        sfx = norm + ("_c" if center else "")
        save("cli_gram_G4_" + sfx, gram(x4, norm, center, 1.0).numpy())
save("cli_gram_G3_hw", gram(x3, "hw", False, 1.0).numpy())
save("cli_gram_G2_hw", gram(x2, "hw", False, 1.0).numpy())
save("cli_gram_G4_chw_c_s", gram(x4, "chw", True, -2.5).numpy())
save("cli_gram_G4_f32_hw", gram(x4.astype(np.float32).astype(np.float64), "hw", False, 1.0).numpy())

# gram-backward with a non-symmetric dG
dg4 = rand(2, 3, 3)
dg3 = rand(3, 3)
save("cli_gram_dG4", dg4)
save("cli_gram_dG3", dg3)
for norm, center, scale, sfx in (("hw", False, 1.0, "hw"), ("none", False, 1.0, "none"),
                                 ("chw", True, 1.0, "chw_c"), ("hw", True, 3.0, "hw_c_s")):
    g, _ = gram_grad(x4, norm, center, scale, lambda G: (G * torch.as_tensor(dg4)).sum())
    save("cli_gram_bwd4_" + sfx, g)
g, _ = gram_grad(x3, "hw", False, 1.0, lambda G: (G * torch.as_tensor(dg3)).sum())
save("cli_gram_bwd3_hw", g)

# style loss against a target Gram
t4 = rand(2, 3, 3) * 0.2
save("cli_gram_T4", t4)
for norm, center, weight, sfx in (("hw", False, 1.0, "hw"), ("chw", True, 1e3, "chw_c_w"),
                                  ("none", False, 0.5, "none_w")):
    g, loss = gram_grad(x4, norm, center, 1.0,
                        lambda G: weight * ((G - torch.as_tensor(t4)) ** 2).mean())
    save("cli_gram_loss4_" + sfx, g)
    with open(os.path.join(here, "cli_gram_loss4_" + sfx + ".txt"), "w") as fh:
        fh.write("%.17g\n" % loss)

# ---- SpatialConvolution ----------------------------------------------------------------------

def conv(x, w, b, stride, pad, dilation, groups, mode):
    """nn.Conv2d's forward: pad = (ph, pw) or 'same'."""
    if mode != "zeros":
        if pad == "same":
            raise ValueError("same with a padding mode is not generated")
        x = F.pad(x, (pad[1], pad[1], pad[0], pad[0]), mode=mode)
        pad = (0, 0)
    return F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dilation, groups=groups)


cases = [
    # name,     x shape,      w shape,       bias, stride, pad,     dilation, groups, mode
    ("basic", (2, 3, 6, 7), (4, 3, 3, 3), True, (1, 1), (1, 1), (1, 1), 1, "zeros"),
    ("stride", (2, 3, 7, 8), (4, 3, 3, 2), False, (2, 3), (1, 0), (1, 1), 1, "zeros"),
    ("dil", (1, 2, 9, 8), (3, 2, 3, 3), True, (1, 1), (2, 1), (2, 1), 1, "zeros"),
    ("groups", (2, 4, 5, 6), (6, 2, 3, 3), True, (1, 1), (1, 1), (1, 1), 2, "zeros"),
    ("gstride", (1, 6, 8, 7), (3, 2, 2, 3), False, (2, 2), (1, 2), (1, 2), 3, "zeros"),
    ("reflect", (1, 2, 5, 6), (3, 2, 3, 3), True, (1, 1), (1, 2), (1, 1), 1, "reflect"),
    ("replicate", (2, 2, 6, 5), (3, 2, 3, 3), False, (2, 1), (2, 1), (1, 1), 1, "replicate"),
    ("circular", (1, 3, 5, 5), (2, 3, 3, 2), True, (1, 1), (2, 1), (1, 1), 1, "circular"),
    ("same", (1, 2, 6, 5), (3, 2, 4, 3), True, (1, 1), "same", (1, 1), 1, "zeros"),
    ("samedil", (2, 2, 7, 6), (2, 2, 2, 3), False, (1, 1), "same", (2, 2), 1, "zeros"),
    ("bigpad", (1, 1, 3, 3), (2, 1, 2, 2), False, (1, 1), (3, 2), (1, 1), 1, "zeros"),
    ("chw", (3, 5, 5), (2, 3, 3, 3), True, (1, 1), (0, 0), (1, 1), 1, "zeros"),
]

for name, xs, ws, has_b, stride, pad, dil, groups, mode in cases:
    x = rand(*xs)
    w = rand(*ws)
    b = rand(ws[0])
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b if has_b else np.zeros(ws[0]), requires_grad=True)
    unbatched = xt.dim() == 3
    out = conv(xt.unsqueeze(0) if unbatched else xt, wt, bt, stride, pad, dil, groups, mode)
    if unbatched:
        out = out[0]
    gout = rand(*out.shape)
    out.backward(torch.as_tensor(gout))
    p = "cli_sconv_" + name + "_"
    save(p + "x", x)
    save(p + "w", w)
    if has_b:
        save(p + "b", b)
    save(p + "gout", gout)
    save(p + "out", out.detach().numpy())
    save(p + "gi", xt.grad.numpy())
    save(p + "gw", wt.grad.numpy())
    save(p + "gb", bt.grad.numpy())
    if name == "basic":  # float32 operands, and a mixed float32 / float64 pair
        save(p + "x_f32", x.astype(np.float32))
        save(p + "w_f32", w.astype(np.float32))
        save(p + "b_f32", b.astype(np.float32))
        x32 = torch.tensor(x.astype(np.float32).astype(np.float64))
        save(p + "out_mixed", conv(x32, wt.detach(), bt.detach(), stride, pad, dil, groups,
                                   mode).numpy())
