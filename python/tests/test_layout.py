"""The ctypes mirrors of the header's structures have the C compiler's sizes and offsets
(a field added to include/gramconv.h without the same change in gramconv/_lib.py fails
here). Needs a C compiler; skipped without one."""

import ctypes
import os
import shutil
import subprocess

import pytest

from gramconv import _lib as L

STRUCTS = {
    "gc_tensor": L.Tensor, "gc_allocator": L.Allocator, "gc_corr_desc": L.CorrDesc,
    "gc_gram_desc": L.GramDesc, "gc_conv2d_desc": L.Conv2dDesc,
    "gc_image_read_opts": L.ImageReadOpts, "gc_image_write_opts": L.ImageWriteOpts,
    "gc_synth_random_desc": L.SynthRandomDesc,
    "gc_synth_progress": L.SynthProgress, "gc_synth_desc": L.SynthDesc,
    "gc_synth_stats": L.SynthStats, "gc_texture_score_desc": L.TextureScoreDesc,
    "gc_texture_score": L.TextureScoreOut,
}


def _header_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(os.path.dirname(os.path.abspath(L.__file__)), "include"),
              os.path.join(here, "..", "..", "include")):
        if os.path.exists(os.path.join(d, "gramconv.h")):
            return d
    pytest.skip("include/gramconv.h not found")


def test_struct_layout_matches_the_header(tmp_path):
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler")
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <gramconv.h>",
             "int main(void) {"]
    for cname, py in STRUCTS.items():
        lines.append(f'printf("{cname} size %zu\\n", sizeof({cname}));')
        for fname, *_ in py._fields_:
            lines.append(f'printf("{cname} {fname} %zu\\n", offsetof({cname}, {fname}));')
    lines += ["return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    r = subprocess.run([cc, "-std=c11", "-I", _header_dir(), str(src), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = {}
    for line in subprocess.run([str(exe)], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        s, f, v = line.split()
        got[(s, f)] = int(v)
    for cname, py in STRUCTS.items():
        assert ctypes.sizeof(py) == got[(cname, "size")], f"{cname}: size"
        for fname, *_ in py._fields_:
            assert getattr(py, fname).offset == got[(cname, fname)], f"{cname}.{fname}"
