#!/usr/bin/env python3
"""Inputs for tests/cli_synth.sh (run from the repository root; writes tests/golden/synth_*):
  synth_sample.png         24 x 24 RGB texture sample (stripes + blobs + noise)
  synth_content.png        20 x 16 RGB content image (a gradient with a square)
  synth_tiny_vgg.safetensors      VGG-19 'features' with 2 channels per conv (torchvision names)
  synth_vgg_missing.safetensors   the same without features.21.weight
  synth_vgg_badshape.safetensors  the same with features.5.weight of the wrong input channels
The safetensors files are written by hand here (header JSON + little-endian float32)."""
import json, struct
import numpy as np
from PIL import Image

rng = np.random.default_rng(6)
y, x = np.mgrid[0:24, 0:24]
img = np.stack([0.5 + 0.4 * np.sin(0.8 * x + 0.3 * y + c) for c in range(3)], -1)
img += 0.1 * rng.standard_normal(img.shape)
Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save('tests/golden/synth_sample.png')

y, x = np.mgrid[0:16, 0:20]
img = np.stack([x / 20, y / 16, 0.5 + 0 * x], -1)
img[4:12, 6:14] = [0.9, 0.2, 0.1]
Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save('tests/golden/synth_content.png')

CONV = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]


def write(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype='<f4')
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def vgg(skip=None, bad=None):
    out, cin = [], 3
    for i in CONV:
        w = rng.standard_normal((2, cin if i != bad else cin + 1, 3, 3)) * 0.5
        if i != skip:
            out.append((f'features.{i}.weight', w))
        out.append((f'features.{i}.bias', rng.standard_normal(2) * 0.1 + 0.05))
        cin = 2
    return out


write('tests/golden/synth_tiny_vgg.safetensors', vgg())
write('tests/golden/synth_vgg_missing.safetensors', vgg(skip=21))
write('tests/golden/synth_vgg_badshape.safetensors', vgg(bad=5))
