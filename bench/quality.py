#!/usr/bin/env python3
"""Texture quality on the evaluation set (bench/textures.py): gramconv with its defaults, the
PyTorch recipe (bench/texture_recipe.py) and a real piece of each texture, scored by
`gramconv texture-score` (sliced Wasserstein distance of Laplacian-pyramid neighbourhoods and
a log power-spectrum distance, both relative to matched noise: docs/SYNTH.md).

For every texture and size: the sample (one region of the texture), a real piece (another
region), gramconv's result and the recipe's, all size x size; the table gives each candidate's
relative SWD and spectrum distance, the ratio of gramconv's SWD to the real piece's (the bar:
<= 1.5) and to the recipe's, and the means. Side-by-side PNGs (sample | real | recipe |
gramconv) go to OUT/sheets/.

Usage: python3 bench/quality.py [--gramconv build/gramconv] [--out quality-out] [--sizes 128,256]
         [--textures a,b,...] [--iters 200] [--threads 2] [--no-recipe] [--json]
         [--label NAME -- extra gramconv texture options...]
Results are cached under OUT/cache by (synthesiser, options, texture, size): a rerun only
computes what changed (the recipe, which never changes, runs once). Needs NumPy; the recipe
column needs PyTorch (skipped, and said so, without it).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import textures  # noqa: E402


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def seam_ratio(img):
    """Mean absolute step across the wrap-around seams (last row/column to the first) over the
    mean step between neighbours inside: about 1 for an image that tiles seamlessly."""
    inner = np.mean([np.abs(np.diff(img, axis=0)).mean(), np.abs(np.diff(img, axis=1)).mean()])
    seam = np.mean([np.abs(img[0] - img[-1]).mean(), np.abs(img[:, 0] - img[:, -1]).mean()])
    return float(seam / inner) if inner > 0 else float("nan")


def score(gc, sample, cand):
    return json.loads(run([gc, "texture-score", sample, cand, "--json"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gramconv", default=os.path.join(HERE, "..", "build", "gramconv"))
    ap.add_argument("--out", default="quality-out")
    ap.add_argument("--sizes", default="128,256")
    ap.add_argument("--textures", default=",".join(textures.NAMES))
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-recipe", action="store_true")
    ap.add_argument("--json", action="store_true", help="also print one JSON line per row")
    ap.add_argument("--label", default="defaults", help="the gramconv column's name")
    ap.add_argument("extra", nargs="*", help="after --: extra gramconv texture options")
    a = ap.parse_args()
    gc = os.path.abspath(a.gramconv)
    sizes = [int(s) for s in a.sizes.split(",")]
    names = a.textures.split(",")
    have_torch = False
    if not a.no_recipe:
        try:
            import torch  # noqa: F401
            have_torch = True
        except ImportError:
            print("# the recipe column is skipped: PyTorch is not installed")
    opts = ["--iters", str(a.iters), "--seed", str(a.seed)] + a.extra
    # the cache key: the options and this very binary (a rebuilt gramconv runs again)
    stamp = f"{run([gc, '--version']).strip()}|{os.path.getsize(gc)}|{os.path.getmtime(gc)}"
    gkey = hashlib.sha1((" ".join(opts) + "|" + stamp).encode()).hexdigest()[:10]
    rkey = f"recipe-recipe-s{a.seed}-i{a.iters}"
    os.makedirs(os.path.join(a.out, "sheets"), exist_ok=True)
    rows = []
    for size in sizes:
        for nm in names:
            base = os.path.join(a.out, "cache", "pieces", str(size))
            os.makedirs(base, exist_ok=True)
            sp, rp = os.path.join(base, f"{nm}_sample.png"), os.path.join(base, f"{nm}_real.png")
            if not (os.path.exists(sp) and os.path.exists(rp)):
                s, r = textures.pieces(nm, size)
                textures.write_png(sp, s)
                textures.write_png(rp, r)
            gdir = os.path.join(a.out, "cache", f"gramconv-{gkey}", str(size))
            os.makedirs(gdir, exist_ok=True)
            gp = os.path.join(gdir, f"{nm}.png")
            if not os.path.exists(gp):
                t0 = time.time()
                run([gc, "texture", sp, "-o", gp, "--threads", str(a.threads), "-q"] + opts)
                with open(gp + ".json", "w") as f:
                    json.dump({"seconds": round(time.time() - t0, 2)}, f)
            rdir = os.path.join(a.out, "cache", rkey, str(size))
            os.makedirs(rdir, exist_ok=True)
            rcp = os.path.join(rdir, f"{nm}.png")
            if have_torch and not os.path.exists(rcp):
                run([sys.executable, os.path.join(HERE, "texture_recipe.py"), sp, rcp, "--iters",
                     str(a.iters), "--seed", str(a.seed), "--threads", str(a.threads)])
            row = {"texture": nm, "family": textures.family(nm), "size": size,
                   "real": score(gc, sp, rp), "gramconv": score(gc, sp, gp)}
            if os.path.exists(rcp):
                row["recipe"] = score(gc, sp, rcp)
            row["seam"] = {"gramconv": seam_ratio(textures.read_png(gp)),
                           "real": seam_ratio(textures.read_png(rp))}
            rows.append(row)
            ims = [textures.read_png(p) for p in (sp, rp, rcp if os.path.exists(rcp) else None, gp) if p]
            gap = np.ones((size, 4, 3))
            sheet = np.concatenate(sum([[im, gap] for im in ims], [])[:-1], axis=1)
            textures.write_png(os.path.join(a.out, "sheets", f"{nm}_{size}.png"), sheet)
            if a.json:
                print(json.dumps(row), flush=True)
    # the table
    print(f"# gramconv ({a.label}: {' '.join(opts)}) vs the PyTorch recipe vs a real piece; "
          "SWD and spectrum distances relative to noise (1.0); ratios of SWD")
    print("| texture | size | real SWD | recipe SWD | gramconv SWD | gramconv / real | "
          "gramconv / recipe | real spec | recipe spec | gramconv spec |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rec = r.get("recipe")
        g, re_ = r["gramconv"]["swd_rel"], r["real"]["swd_rel"]
        print(f"| {r['texture']} | {r['size']} | {re_:.3f} | "
              f"{rec['swd_rel'] if rec else float('nan'):.3f} | {g:.3f} | {g / re_:.2f}"
              f"{'' if g <= 1.5 * re_ else ' ✗'} | "
              f"{g / rec['swd_rel'] if rec else float('nan'):.2f} | {r['real']['spectrum_rel']:.3f} | "
              f"{rec['spectrum_rel'] if rec else float('nan'):.3f} | {r['gramconv']['spectrum_rel']:.3f} |")
    def both_ratio(rs):  # gramconv's mean over the textures the recipe ran on, over the recipe's
        rr = [r for r in rs if "recipe" in r]
        if not rr:
            return "nan"
        g = float(np.mean([r["gramconv"]["swd_rel"] for r in rr]))
        return f"{g / float(np.mean([r['recipe']['swd_rel'] for r in rr])):.2f} (on {len(rr)})"

    for size in sizes:
        rs = [r for r in rows if r["size"] == size]
        mean = lambda k, f: float(np.mean([r[k][f] for r in rs if k in r])) if any(k in r for r in rs) else float("nan")  # noqa: E731
        ok = sum(r["gramconv"]["swd_rel"] <= 1.5 * r["real"]["swd_rel"] for r in rs)
        print(f"| **mean** | {size} | {mean('real', 'swd_rel'):.3f} | {mean('recipe', 'swd_rel'):.3f} | "
              f"{mean('gramconv', 'swd_rel'):.3f} | {ok}/{len(rs)} within 1.5x | "
              f"{both_ratio(rs)} | "
              f"{mean('real', 'spectrum_rel'):.3f} | {mean('recipe', 'spectrum_rel'):.3f} | "
              f"{mean('gramconv', 'spectrum_rel'):.3f} |")
    seams = [r["seam"]["gramconv"] for r in rows]
    print(f"# tiling: gramconv's wrap-around seams step {np.mean(seams):.2f}x its inner neighbours "
          f"on average (max {np.max(seams):.2f}); a real piece's {np.mean([r['seam']['real'] for r in rows]):.2f}x")


if __name__ == "__main__":
    main()
