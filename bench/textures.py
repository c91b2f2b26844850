#!/usr/bin/env python3
"""The texture evaluation set: photographs shipped in bench/textures/ (CC0 or public domain, see
bench/textures/SOURCES.md) and procedural textures made here from a seed.

Every texture is a source image larger than the sizes it is evaluated at, so that the sample
given to a synthesiser and the "real piece" it is compared with are two different regions of
the same texture: `pieces(name, size)` returns (sample, real) as size x size x 3 float arrays in
[0, 1] (grey images are repeated over three channels). Procedural sources are 2 size x 2 size,
drawn from a random process (not periodic), so a real piece is an independent realisation and
not a shifted copy.

Families (what the set must cover):
  regular      brick (photo), bricks (procedural, colour), weave (burlap-like), tiles (mosaic)
  stochastic   gravel, grass (photos), cracked (stone with cracks), wood
  sparse       hubble (photo, star field), stars (procedural)
  colour/micro ihc (photo, stained tissue), marble (procedural)

Usage: python3 bench/textures.py OUTDIR [--size 256]   writes NAME_sample.npy / NAME_real.npy
"""
import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PHOTOS = {  # name -> (file, family)
    "brick": ("brick.png", "regular"),
    "gravel": ("gravel.png", "stochastic"),
    "grass": ("grass.png", "stochastic"),
    "hubble": ("hubble.png", "sparse"),
    "ihc": ("ihc.png", "colour"),
}
PROCEDURAL = {
    "bricks": "regular",
    "weave": "regular",
    "tiles": "regular",
    "cracked": "stochastic",
    "wood": "stochastic",
    "stars": "sparse",
    "marble": "colour",
}
NAMES = ["brick", "bricks", "weave", "tiles", "gravel", "grass", "cracked", "wood",
         "hubble", "stars", "ihc", "marble"]


def family(name):
    return PHOTOS[name][1] if name in PHOTOS else PROCEDURAL[name]


# ---- a small PNG reader (8-bit grey / RGB / RGBA, non-interlaced), so no imaging package is needed
def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            depth, ctype, interlace = body[8], body[9], body[12]
            assert depth == 8 and interlace == 0 and ctype in (0, 2, 6), (path, depth, ctype)
            ch = {0: 1, 2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        if ft == 0:
            cur = line
        elif ft == 2:
            cur = (line + prev) & 255
        else:
            for i in range(stride):
                a = cur[i - ch] if i >= ch else 0
                b = prev[i]
                c = prev[i - ch] if i >= ch else 0
                if ft == 1:
                    p = a
                elif ft == 3:
                    p = (a + b) >> 1
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[i] = (line[i] + p) & 255
        out[y] = cur
        prev = cur
    img = out.reshape(h, w, ch).astype(np.float64) / 255.0
    return img[:, :, :3] if ch == 4 else img


def write_png(path, img):
    """img: H x W x C (C 1 or 3) floats in [0, 1] -> 8-bit PNG (filter 0)."""
    a = np.clip(np.rint(np.asarray(img) * 255.0), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, c = a.shape
    ctype = {1: 0, 3: 2}[c]
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return (len(body).to_bytes(4, "big") + kind + body +
                zlib.crc32(kind + body).to_bytes(4, "big"))
    hdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, ctype, 0, 0, 0])
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", hdr) + chunk(b"IDAT", zlib.compress(raw, 6)) +
                chunk(b"IEND", b""))


# ---- procedural textures ------------------------------------------------------------------
def _fbm(rng, h, w, base, octaves=5, gain=0.5):
    """Fractal value noise: bilinear-upsampled random grids, cell `base` pixels, halving."""
    out = np.zeros((h, w))
    amp, cell, total = 1.0, float(base), 0.0
    for _ in range(octaves):
        gh, gw = int(np.ceil(h / cell)) + 2, int(np.ceil(w / cell)) + 2
        g = rng.standard_normal((gh, gw))
        y = np.arange(h) / cell
        x = np.arange(w) / cell
        y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
        fy, fx = (y - y0)[:, None], (x - x0)[None, :]
        fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
        a = g[y0][:, x0] * (1 - fx) + g[y0][:, x0 + 1] * fx
        b = g[y0 + 1][:, x0] * (1 - fx) + g[y0 + 1][:, x0 + 1] * fx
        out += amp * (a * (1 - fy) + b * fy)
        total += amp
        amp *= gain
        cell = max(cell / 2.0, 1.0)
    return out / total


def _bricks(rng, n):
    bw, bh, mortar = 28, 12, 3
    y, x = np.mgrid[0:n, 0:n].astype(float)
    jitter = _fbm(rng, n, n, 16, 3) * 1.2
    row = np.floor((y + jitter) / bh).astype(int)
    shift = (row % 2) * (bw / 2) + rng.uniform(-3, 3, size=row.max() + 2)[row]
    col = np.floor((x + shift + jitter) / bw).astype(int)
    ly, lx = (y + jitter) - row * bh, (x + shift + jitter) - col * bw
    in_mortar = (ly < mortar) | (lx < mortar)
    ncol = col.max() + 2
    tint = rng.uniform(0.0, 1.0, size=(row.max() + 2, ncol + 2))
    t = tint[row, col + 1][:, :, None]
    dark = np.array([0.42, 0.16, 0.10])
    light = np.array([0.72, 0.36, 0.22])
    img = dark * (1 - t) + light * t
    img = img * (1 + 0.12 * _fbm(rng, n, n, 6, 4)[:, :, None]) + 0.03 * rng.standard_normal((n, n, 1))
    mort = np.array([0.70, 0.68, 0.64]) + 0.05 * _fbm(rng, n, n, 4, 3)[:, :, None]
    return np.where(in_mortar[:, :, None], mort, img)


def _weave(rng, n):
    p = 10  # thread pitch
    y, x = np.mgrid[0:n, 0:n].astype(float)
    wob = _fbm(rng, n, n, 24, 3) * 1.5
    yy, xx = y + wob, x - wob
    ry, rx = np.floor(yy / p).astype(int), np.floor(xx / p).astype(int)
    fy, fx = yy / p - ry, xx / p - rx
    over = (ry + rx) % 2 == 0  # horizontal thread on top
    # a thread's profile: bright in its middle, dark at its edges, with fibres along it
    prof_h = np.sin(np.pi * np.clip((fy - 0.1) / 0.8, 0, 1)) ** 0.7
    prof_v = np.sin(np.pi * np.clip((fx - 0.1) / 0.8, 0, 1)) ** 0.7
    fib_h = _fbm(rng, n, n * 1, 2, 2)
    fib_v = _fbm(rng, n, n, 2, 2)
    hval = prof_h * (0.8 + 0.25 * fib_h)
    vval = prof_v * (0.8 + 0.25 * fib_v)
    val = np.where(over, np.maximum(hval, 0.35 * vval), np.maximum(vval, 0.35 * hval))
    val *= 0.85 + 0.15 * _fbm(rng, n, n, 40, 2)
    base = np.array([0.46, 0.33, 0.20])
    gap = np.array([0.10, 0.07, 0.04])
    v = np.clip(val, 0, 1.2)[:, :, None]
    return gap * (1 - v) + base * v * 1.25


def _tiles(rng, n):
    # irregular mosaic: Voronoi cells of jittered grid points, coloured, dark grout
    cell = 20
    gy, gx = np.mgrid[0:n // cell + 3, 0:n // cell + 3]
    py = (gy - 1 + rng.uniform(0.15, 0.85, gy.shape)) * cell
    px = (gx - 1 + rng.uniform(0.15, 0.85, gx.shape)) * cell
    cols = rng.uniform(0, 1, gy.shape + (3,)) ** 0.8 * np.array([0.8, 0.65, 0.5]) + 0.15
    y, x = np.mgrid[0:n, 0:n].astype(float)
    best = np.full((n, n), 1e9)
    second = np.full((n, n), 1e9)
    idx = np.zeros((n, n, 2), int)
    cy, cx = (y // cell).astype(int) + 1, (x // cell).astype(int) + 1
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            qy, qx = cy + dy, cx + dx
            d = np.hypot(py[qy, qx] - y, px[qy, qx] - x)
            closer = d < best
            second = np.where(closer, best, np.minimum(second, d))
            best = np.where(closer, d, best)
            idx[closer] = np.stack([qy, qx], -1)[closer]
    col = cols[idx[:, :, 0], idx[:, :, 1]]
    edge = (second - best) < 2.2
    col = col * (1 + 0.06 * rng.standard_normal((n, n, 1)))
    return np.where(edge[:, :, None], np.array([0.12, 0.11, 0.10]), col)


def _cracked(rng, n):
    stone = 0.55 + 0.12 * _fbm(rng, n, n, 32, 6) + 0.05 * rng.standard_normal((n, n))
    # cracks: the zero set of two warped noise fields, thin and dark
    warp = _fbm(rng, n, n, 48, 4)
    c1 = np.abs(_fbm(rng, n, n, 40, 5) + 0.3 * warp)
    c2 = np.abs(_fbm(rng, n, n, 24, 5) - 0.2 * warp)
    crack = np.exp(-(c1 / 0.035) ** 2) + 0.7 * np.exp(-(c2 / 0.03) ** 2)
    v = np.clip(stone - 0.45 * np.clip(crack, 0, 1), 0, 1)
    tint = np.array([1.0, 0.93, 0.82])
    return v[:, :, None] * tint


def _wood(rng, n):
    y, x = np.mgrid[0:n, 0:n].astype(float)
    warp = 9.0 * _fbm(rng, n, n, 64, 4)
    # rings: stretched along x (the grain), several knot-free boards
    r = (y + warp) / 7.0 + 0.15 * _fbm(rng, n, n, 8, 3)
    ring = 0.5 + 0.5 * np.sin(2 * np.pi * r) ** 3
    grain = 0.08 * _fbm(rng, n, n, 2, 2) * np.ones_like(x)
    v = np.clip(0.55 + 0.3 * ring + grain, 0, 1)[:, :, None]
    return np.array([0.62, 0.40, 0.20]) * v + np.array([0.10, 0.05, 0.02])


def _stars(rng, n):
    img = np.zeros((n, n, 3))
    count = int(n * n / 180)
    ys, xs = rng.uniform(0, n, count), rng.uniform(0, n, count)
    bright = rng.pareto(1.6, count) * 0.25 + 0.15
    sigma = 0.5 + 0.6 * np.minimum(bright, 3.0) / 3.0
    tint = rng.choice([0, 1, 2], count, p=[0.7, 0.2, 0.1])
    tints = np.array([[1.0, 1.0, 1.0], [1.0, 0.85, 0.6], [0.65, 0.8, 1.0]])
    r = 4
    for i in range(count):
        y0, x0 = int(ys[i]), int(xs[i])
        yy, xx = np.mgrid[max(0, y0 - r):min(n, y0 + r + 1), max(0, x0 - r):min(n, x0 + r + 1)]
        blob = bright[i] * np.exp(-((yy - ys[i]) ** 2 + (xx - xs[i]) ** 2) / (2 * sigma[i] ** 2))
        img[yy, xx] += blob[:, :, None] * tints[tint[i]]
    img += 0.015 * np.abs(rng.standard_normal((n, n, 1)))
    return np.clip(img, 0, 1)


def _marble(rng, n):
    y, x = np.mgrid[0:n, 0:n].astype(float)
    turb = np.abs(_fbm(rng, n, n, 96, 6, 0.55)) * 10.0
    v = np.sin((x * 0.6 + y * 0.35) / 18.0 + turb)
    vein = np.exp(-((1 - np.abs(v)) / 0.08) ** 2)  # thin dark veins where |v| ~ 1
    base = 0.82 + 0.08 * _fbm(rng, n, n, 24, 5)
    val = np.clip(base - 0.55 * vein, 0, 1)[:, :, None]
    return val * np.array([0.96, 0.93, 0.90]) + vein[:, :, None] * np.array([0.05, 0.07, 0.02])


GENERATORS = {"bricks": _bricks, "weave": _weave, "tiles": _tiles, "cracked": _cracked,
              "wood": _wood, "stars": _stars, "marble": _marble}


def source(name, size):
    """The whole source image of texture `name` for evaluations at `size` (H x W x 3)."""
    if name in PHOTOS:
        img = read_png(os.path.join(HERE, "textures", PHOTOS[name][0]))
        # the same view at every size: the photo's central 512 x 512 box-filtered to 2 size
        h, w = img.shape[:2]
        img = img[(h - 512) // 2:(h - 512) // 2 + 512, (w - 512) // 2:(w - 512) // 2 + 512]
        f = 512 // (2 * size)
        if f > 1:
            img = img.reshape(512 // f, f, 512 // f, f, -1).mean(axis=(1, 3))
    else:
        seed = zlib.crc32(name.encode()) + 7919 * size
        rng = np.random.default_rng(seed)
        img = GENERATORS[name](rng, 2 * size)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.clip(img, 0.0, 1.0)


def pieces(name, size):
    """(sample, real): two disjoint size x size regions of the texture (top left, bottom right)."""
    img = source(name, size)
    h, w = img.shape[:2]
    if h < 2 * size or w < 2 * size:
        raise ValueError(f"{name}: the source ({w} x {h}) is too small for two {size}^2 pieces")
    return img[:size, :size].copy(), img[h - size:, w - size:].copy()


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "textures-out"
    size = int(sys.argv[sys.argv.index("--size") + 1]) if "--size" in sys.argv else 256
    os.makedirs(out, exist_ok=True)
    for nm in NAMES:
        s, r = pieces(nm, size)
        write_png(os.path.join(out, f"{nm}_sample.png"), s)
        write_png(os.path.join(out, f"{nm}_real.png"), r)
        print(nm, family(nm), s.shape)
