#!/usr/bin/env python3
"""make_corpus_io.py - seed corpora for fuzz_image and fuzz_safetensors.

fuzz/corpus/image/: the PNG and JPEG fixtures of tests/golden (each after one options byte:
the requested channel count, 0..4), plus a few made here: 1x1 images, a truncated PNG and
JPEG, a PNG whose header claims more pixels than the harness allows.
fuzz/corpus/safetensors/: the reference-implementation file of tests/golden and small files
made here (every dtype, rank 0, empty, metadata, escapes, unknown fields, malformed ones).
Needs only the Python standard library. Run: python3 fuzz/make_corpus_io.py
"""
import json
import os
import shutil
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "tests", "golden")
IMG = os.path.join(ROOT, "fuzz", "corpus", "image")
ST = os.path.join(ROOT, "fuzz", "corpus", "safetensors")


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png(w, h, depth, ctype, raw, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra +
            png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def write(dirname, name, data):
    with open(os.path.join(dirname, name), "wb") as f:
        f.write(data)


def image_corpus():
    shutil.rmtree(IMG, ignore_errors=True)
    os.makedirs(IMG)
    names = ["io_rgb8.png", "io_rgba8.png", "io_gray1.png", "io_pal_trns.png", "io_gray16.png",
             "io_rgba16.png", "io_rgb8_adam7.png", "io_graya16_adam7.png", "io_base.jpg",
             "io_prog.jpg", "io_gray.jpg"]
    for i, n in enumerate(names):
        with open(os.path.join(GOLDEN, n), "rb") as f:
            data = f.read()
        write(IMG, n.replace("io_", "").replace(".", "_"), bytes([i % 5]) + data)
    write(IMG, "png_1x1_rgb", b"\x03" + png(1, 1, 8, 2, b"\x00\x10\x20\x30"))
    write(IMG, "png_1x1_pal", b"\x00" + png(1, 1, 8, 3, b"\x00\x00",
                                             png_chunk(b"PLTE", b"\x01\x02\x03") +
                                             png_chunk(b"tRNS", b"\x80")))
    write(IMG, "png_2x1_gray16_trns", b"\x02" + png(2, 1, 16, 0, b"\x00\x00\x01\xff\xff",
                                                     png_chunk(b"tRNS", b"\x00\x01")))
    big = png(5000, 5000, 8, 2, b"\x00" * 16)
    write(IMG, "png_over_pixel_limit", b"\x00" + big)
    with open(os.path.join(GOLDEN, "io_rgb8.png"), "rb") as f:
        write(IMG, "png_truncated", b"\x00" + f.read()[:200])
    with open(os.path.join(GOLDEN, "io_prog.jpg"), "rb") as f:
        write(IMG, "jpg_truncated", b"\x00" + f.read()[:400])


def st_file(tensors, metadata=None, raw_header=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    hdr = {}
    if metadata is not None:
        hdr["__metadata__"] = metadata
    data = b""
    for name, dtype, shape, payload in tensors:
        hdr[name] = {"dtype": dtype, "shape": shape,
                     "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = raw_header.encode() if raw_header is not None else json.dumps(hdr).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def st_corpus():
    shutil.rmtree(ST, ignore_errors=True)
    os.makedirs(ST)
    shutil.copy(os.path.join(GOLDEN, "st_mixed.safetensors"), os.path.join(ST, "mixed"))
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0)
    write(ST, "f32_2x2", st_file([("w", "F32", [2, 2], f32)]))
    write(ST, "f64_rank0", st_file([("s", "F64", [], struct.pack("<d", 2.5))]))
    write(ST, "f16_bf16", st_file([("h", "F16", [3], b"\x00\x3c\x01\x00\x00\x7c"),
                                   ("b", "BF16", [2], b"\x80\x3f\x00\xc0")]))
    write(ST, "int_types", st_file([("i", "I32", [2], b"\x01\0\0\0\x02\0\0\0"),
                                    ("u", "U8", [3], b"abc"), ("t", "BOOL", [1], b"\x01")]))
    write(ST, "empty_and_meta", st_file([("e", "F32", [0, 4], b"")],
                                        {"format": "pt", "k\u00e9y": "v\n\"q\""}))
    write(ST, "no_tensors", st_file([], {"a": "b"}))
    write(ST, "unknown_field", st_file([], raw_header='{"w":{"dtype":"F32","shape":[1],'
                                       '"data_offsets":[0,4],"x":[1,{"y":null}]}}') + f32[:4])
    write(ST, "escapes", st_file([("\u00e9\U0001F600\t\"\\", "F32", [1], f32[:4])]))
    write(ST, "bad_gap", st_file([], raw_header='{"a":{"dtype":"F32","shape":[1],'
                                 '"data_offsets":[4,8]}}') + f32[:8])
    write(ST, "bad_shape", st_file([], raw_header='{"a":{"dtype":"F32","shape":[3],'
                                   '"data_offsets":[0,8]}}') + f32[:8])
    write(ST, "bad_len", struct.pack("<Q", 1 << 40) + b"{}")
    write(ST, "gram_preset", st_file([("gram.0", "F32", [2, 2], f32), ("gram.1", "F32", [1, 1],
                                      f32[:4])], {"gramconv.net": "random", "scales": "3,5"}))


if __name__ == "__main__":
    image_corpus()
    st_corpus()
    print("corpora in", os.path.join(ROOT, "fuzz", "corpus"))
