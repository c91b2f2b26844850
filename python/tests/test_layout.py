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


# The integers the wrapper passes for the header's enums: each string table in gramconv._core
# against the enum values it stands for (a value renumbered in include/gramconv.h without the
# same change in _core.py fails here).
ENUMS = {
    "_MODES": {"v": "GC_MODE_VALID", "valid": "GC_MODE_VALID", "f": "GC_MODE_FULL",
               "full": "GC_MODE_FULL", "s": "GC_MODE_SAME", "same": "GC_MODE_SAME"},
    "_METHODS": {"auto": "GC_CORR_METHOD_AUTO", "direct": "GC_CORR_METHOD_DIRECT",
                 "fft": "GC_CORR_METHOD_FFT"},
    "_BOUNDARIES": {"fill": "GC_BOUNDARY_FILL", "wrap": "GC_BOUNDARY_WRAP",
                    "symm": "GC_BOUNDARY_SYMM", "reflect": "GC_BOUNDARY_REFLECT",
                    "replicate": "GC_BOUNDARY_REPLICATE"},
    "_PADDING_MODES": {"zeros": "GC_BOUNDARY_FILL", "reflect": "GC_BOUNDARY_REFLECT",
                       "replicate": "GC_BOUNDARY_REPLICATE", "circular": "GC_BOUNDARY_WRAP"},
    "_NORMS": {"none": "GC_GRAM_NORM_NONE", "hw": "GC_GRAM_NORM_HW", "chw": "GC_GRAM_NORM_CHW"},
    "_PRECISIONS": {"default": "GC_PRECISION_DEFAULT", "bf16": "GC_PRECISION_BF16"},
    "_OPTIMIZERS": {"lbfgs": "GC_SYNTH_OPTIMIZER_LBFGS", "adam": "GC_SYNTH_OPTIMIZER_ADAM"},
    "_POOLS": {"max": "GC_SYNTH_POOL_MAX", "avg": "GC_SYNTH_POOL_AVG",
               "average": "GC_SYNTH_POOL_AVG"},
    "_INITS": {"noise": "GC_SYNTH_INIT_NOISE", "mean": "GC_SYNTH_INIT_MEAN"},
    "_LOSSES": {"gram": "GC_SYNTH_LOSS_KIND_GRAM", "swd": "GC_SYNTH_LOSS_KIND_SWD",
                "both": "GC_SYNTH_LOSS_KIND_BOTH"},
}
# Integers written out in the wrapper's code: correlation kind (xcorr 0, conv 1), resize
# filter (bilinear 0, area 1), Adam 1, and the dtype and status numbers of _lib.
LITERALS = {"GC_CORR_KIND_XCORR": 0, "GC_CORR_KIND_CONV": 1, "GC_RESIZE_FILTER_BILINEAR": 0,
            "GC_RESIZE_FILTER_AREA": 1, "GC_SYNTH_OPTIMIZER_ADAM": 1, "GC_OK": L.OK,
            "GC_DTYPE_F32": L.DTYPE_F32, "GC_DTYPE_F64": L.DTYPE_F64}
LITERALS.update({"GC_" + n: getattr(L, n) for n in dir(L) if n.startswith("ERR_")})


def test_enum_values_match_the_header(tmp_path):
    from gramconv import _core
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler")
    names = sorted({n for t in ENUMS.values() for n in t.values()} | set(LITERALS))
    lines = ["#include <stdio.h>", "#include <gramconv.h>", "int main(void) {"]
    lines += [f'printf("{n} %d\\n", (int){n});' for n in names]
    lines += ["return 0;", "}"]
    src = tmp_path / "enums.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "enums"
    r = subprocess.run([cc, "-std=c11", "-I", _header_dir(), str(src), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = dict(line.split() for line in subprocess.run(
        [str(exe)], capture_output=True, text=True, check=True).stdout.splitlines())
    assert len(got) == len(names)
    for table, expect in ENUMS.items():
        py = getattr(_core, table)
        assert set(py) == set(expect), table
        for key, cname in expect.items():
            assert py[key] == int(got[cname]), f"{table}[{key!r}] != {cname}"
    for cname, value in LITERALS.items():
        assert value == int(got[cname]), cname
