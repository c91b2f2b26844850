#!/usr/bin/env python3
"""make_golden_io.py - fixtures for tests/test_image.c and tests/test_safetensors.c.

Images (small, odd sizes) written by Pillow, plus a few PNG forms Pillow cannot write (16-bit
RGB/RGBA, Adam7-interlaced) by the tiny PNG encoder below; next to each, the tensor gramconv
must read (C x H x W float32 in [0, 1], as stored) as .npy. For JPEG the expected tensor is
Pillow's own decode (libjpeg-turbo too; the test allows a small difference between versions).
safetensors files are written by the reference `safetensors` package (torch for BF16).

Needs numpy, pillow, torch, safetensors (pip install pillow safetensors: for this script only).
Run from anywhere: python3 tests/golden/make_golden_io.py
"""
import os
import struct
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 13, 9


def path(name):
    return os.path.join(HERE, name)


def save_expected(name, chw):
    np.save(path(name), np.ascontiguousarray(chw, dtype=np.float32))


def pattern(h, w, c, maxv, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, maxv + 1, size=(h, w, c), dtype=np.int64)


def png_chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_encode(hwc, bit_depth, interlace=False):
    """Minimal PNG writer: gray/GA/RGB/RGBA, 8 or 16 bits, filter 0, optional Adam7."""
    h, w, c = hwc.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    dt = ">u2" if bit_depth == 16 else "u1"

    def rows(img):
        out = b""
        for y in range(img.shape[0]):
            out += b"\x00" + img[y].astype(dt).tobytes()
        return out

    if not interlace:
        raw = rows(hwc)
    else:
        raw = b""
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                  (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            sub = hwc[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += rows(sub)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, ctype, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def chw(hwc, maxv):
    return np.transpose(hwc.astype(np.float64) / maxv, (2, 0, 1))


def images():
    # 8-bit through Pillow: RGB, RGBA, L, LA
    for name, mode, c, seed in (("rgb8", "RGB", 3, 1), ("rgba8", "RGBA", 4, 2),
                                ("gray8", "L", 1, 3), ("graya8", "LA", 2, 4)):
        a = pattern(H, W, c, 255, seed)
        img = Image.fromarray(a.astype(np.uint8)[:, :, 0] if c == 1 else a.astype(np.uint8)).convert(mode)
        img.save(path(f"io_{name}.png"))
        save_expected(f"io_{name}.npy", chw(a, 255))
    # 1-bit gray
    a = pattern(H, W, 1, 1, 5)
    Image.fromarray(a[:, :, 0].astype(bool)).save(path("io_gray1.png"))
    save_expected("io_gray1.npy", chw(a, 1))
    # palette (16 colours), and palette with transparency (tRNS)
    pal = pattern(16, 1, 3, 255, 6)[:, 0, :]
    idx = pattern(H, W, 1, 15, 7)[:, :, 0]
    img = Image.fromarray(idx.astype(np.uint8)).convert("P")
    img.putpalette(pal.astype(np.uint8).flatten().tolist())
    img.save(path("io_pal.png"))
    save_expected("io_pal.npy", chw(pal[idx], 255))
    alpha = pattern(16, 1, 1, 255, 8)[:, 0, 0]
    img.save(path("io_pal_trns.png"), transparency=bytes(alpha.astype(np.uint8).tolist()))
    rgba = np.concatenate([pal[idx], alpha[idx][:, :, None]], axis=2)
    save_expected("io_pal_trns.npy", chw(rgba, 255))
    # 16-bit: gray through Pillow, RGB / RGBA / interlaced through the encoder above
    a = pattern(H, W, 1, 65535, 9)
    Image.fromarray(a[:, :, 0].astype(np.uint16)).save(path("io_gray16.png"))
    save_expected("io_gray16.npy", chw(a, 65535))
    for name, c, bits, inter, seed in (("rgb16", 3, 16, False, 10), ("rgba16", 4, 16, False, 11),
                                       ("rgb8_adam7", 3, 8, True, 12),
                                       ("graya16_adam7", 2, 16, True, 13)):
        maxv = 65535 if bits == 16 else 255
        a = pattern(H, W, c, maxv, seed)
        with open(path(f"io_{name}.png"), "wb") as f:
            f.write(png_encode(a, bits, inter))
        save_expected(f"io_{name}.npy", chw(a, maxv))
    # JPEG: a smooth colour image (so the codec's loss is small), baseline, progressive, gray
    yy, xx = np.mgrid[0:17, 0:23]
    rgb = np.stack([(xx * 11) % 256, (yy * 15) % 256, ((xx + yy) * 6) % 256], axis=2)
    img = Image.fromarray(rgb.astype(np.uint8))
    img.save(path("io_base.jpg"), quality=90)
    img.save(path("io_prog.jpg"), quality=90, progressive=True)
    img.convert("L").save(path("io_gray.jpg"), quality=90)
    for name in ("io_base", "io_prog", "io_gray"):
        dec = np.asarray(Image.open(path(name + ".jpg")))
        if dec.ndim == 2:
            dec = dec[:, :, None]
        save_expected(name + ".npy", chw(dec, 255))
    # the source the JPEGs were made from (the test checks the decode is close to it)
    save_expected("io_jpeg_src.npy", chw(rgb, 255))


def safetensors_files():
    import torch
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(3)
    t = {
        "a.f32": torch.randn(2, 3, 4, generator=g),
        "b.f64": torch.randn(5, generator=g, dtype=torch.float64),
        "c.f16": (torch.randn(3, 3, generator=g) * 100).half(),
        "d.bf16": torch.randn(4, 2, generator=g).bfloat16(),
        "e.i64": torch.arange(6, dtype=torch.int64).reshape(2, 3),
        "f.scalar": torch.tensor(2.5),
        "g.empty": torch.zeros(0, 3),
        "features.0.weight": torch.randn(4, 3, 3, 3, generator=g),
    }
    # F16 edge values: subnormals, Inf, -0, the largest finite
    t["h.f16_edges"] = torch.tensor([6e-8, -6e-8, 1e-5, 65504.0, float("inf"),
                                     float("-inf"), -0.0, 1.0], dtype=torch.float16)
    save_file(t, path("st_mixed.safetensors"), metadata={"format": "pt", "gramconv": "test \u00e9"})
    for k, v in t.items():
        if v.dtype != torch.int64:
            np.save(path("st_mixed_" + k.replace(".", "_") + ".npy"),
                    v.double().numpy() if v.dtype == torch.float64 else v.float().numpy())


def resize_goldens():
    import torch
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(4)
    x = torch.rand(3, 7, 10, generator=g, dtype=torch.float64)
    np.save(path("io_resize_in.npy"), x.numpy())
    for mode, sizes in (("bilinear", ((5, 13), (3, 4), (7, 10), (14, 20))),
                        ("area", ((3, 4), (5, 13), (7, 10), (1, 1)))):
        for oh, ow in sizes:
            kw = {"align_corners": False} if mode == "bilinear" else {}
            y = F.interpolate(x[None], size=(oh, ow), mode=mode, **kw)[0]
            np.save(path(f"io_resize_{mode}_{oh}x{ow}.npy"), y.numpy())


if __name__ == "__main__":
    images()
    safetensors_files()
    resize_goldens()
    print("written to", HERE)
