#!/usr/bin/env python3
"""Style transfer (Gatys et al.) on a network defined in PyTorch, with gramconv.torch.gram as
the Gram matrix of the style loss; PyTorch's autograd runs the network's backward and
gramconv's runs the Gram's.

    python3 python/examples/style_transfer.py [--content C.png] [--style S.png] [-o out.png]
                                              [--size 128] [--iters 60]

Without --content / --style it makes its own pair (soft blobs; diagonal stripes). The network
is small and randomly initialised (seeded): random convolutional features carry texture well
enough (Ustyuzhaninov et al., ICLR 2017) and need no download; put trained weights in
`Net` for the full effect. Prints the loss as it falls and writes the image (PNG through
gramconv.imwrite, or .npy).
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import gramconv
import gramconv.torch as gct


class Net(nn.Module):
    """Three blocks of 3 x 3 convolutions and ReLUs with average pooling between them; the
    forward pass returns each block's features."""

    def __init__(self, widths=(32, 64, 128)):
        super().__init__()
        torch.manual_seed(0)
        blocks, c = [], 3
        for w in widths:
            blocks.append(nn.Sequential(nn.Conv2d(c, w, 3, padding=1, padding_mode="reflect"),
                                        nn.ReLU(),
                                        nn.Conv2d(w, w, 3, padding=1, padding_mode="reflect"),
                                        nn.ReLU()))
            c = w
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        feats = []
        for i, b in enumerate(self.blocks):
            if i:
                x = F.avg_pool2d(x, 2)
            x = b(x)
            feats.append(x)
        return feats


def made_up_pair(size):
    yy, xx = np.mgrid[0:size, 0:size] / size
    content = np.stack([0.5 + 0.4 * np.sin(6 * xx) * np.cos(4 * yy),
                        0.4 + 0.4 * np.exp(-((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * 8),
                        0.3 + 0.3 * yy], axis=-1)
    stripes = (np.sin((xx + yy) * 40) > 0).astype(np.float64)
    style = np.stack([0.9 * stripes, 0.2 + 0.5 * stripes, 0.6 - 0.4 * stripes], axis=-1)
    return content.astype(np.float32), style.astype(np.float32)


def load(path, size):
    img = gramconv.imread(path, channels=3)
    t = torch.from_numpy(img).permute(2, 0, 1)[None]
    return F.interpolate(t, size=(size, size), mode="area" if img.shape[0] > size else "bilinear")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--content")
    ap.add_argument("--style")
    ap.add_argument("-o", "--output", default="style_transfer.png")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--iters", type=int, default=60)
    ap.add_argument("--style-weight", type=float, default=1e4)
    ap.add_argument("--content-weight", type=float, default=1.0)
    args = ap.parse_args()

    if args.content and args.style:
        content, style = load(args.content, args.size), load(args.style, args.size)
    else:
        c, s = made_up_pair(args.size)
        content = torch.from_numpy(c).permute(2, 0, 1)[None]
        style = torch.from_numpy(s).permute(2, 0, 1)[None]

    net = Net().eval()
    for p in net.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        style_grams = [gct.gram(f) for f in net(style)]          # N x C x C per layer
        content_feat = net(content)[1]

    img = content.contiguous().clone().requires_grad_(True)
    opt = torch.optim.LBFGS([img], max_iter=args.iters, history_size=10)
    step, t0 = [0], time.perf_counter()

    def closure():
        opt.zero_grad()
        feats = net(img)
        style_loss = sum(F.mse_loss(gct.gram(f), g) for f, g in zip(feats, style_grams))
        content_loss = F.mse_loss(feats[1], content_feat)
        loss = args.style_weight * style_loss + args.content_weight * content_loss
        loss.backward()
        if step[0] % 10 == 0:
            print(f"iter {step[0]:4d}  loss {loss.item():.5g}  (style {style_loss.item():.4g}, "
                  f"content {content_loss.item():.4g})", flush=True)
        step[0] += 1
        return loss

    opt.step(closure)
    out = img.detach()[0].clamp(0, 1).permute(1, 2, 0).numpy()
    if args.output.endswith(".npy"):
        np.save(args.output, out)
    else:
        gramconv.imwrite(args.output, out)
    print(f"wrote {args.output} ({args.size} x {args.size}) after {step[0]} evaluations, "
          f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
