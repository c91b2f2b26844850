"""texture() and style(): shapes, dtypes, determinism, progress callbacks (stop early, errors
carried out of the run), image files."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import gramconv
from gramconv import _lib


def _sample(h=32, w=28, c=3, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 0.5 + 0.4 * np.sin(xx * 0.9)[..., None] * np.cos(yy * 0.6)[..., None]
    return np.clip(base + 0.05 * rng.standard_normal((h, w, c)), 0, 1).astype(np.float32)


def test_texture_shapes_dtypes_and_determinism():
    s = _sample()
    a, stats = gramconv.texture(s, iters=4, seed=3, return_stats=True)
    assert a.shape == s.shape and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    assert stats["iters"] == 4 and stats["final_loss"] < stats["initial_loss"]
    np.testing.assert_array_equal(a, gramconv.texture(s, iters=4, seed=3))
    assert not np.array_equal(a, gramconv.texture(s, iters=4, seed=4))
    b = gramconv.texture((s * 255).astype(np.uint8), size=(40, 30), iters=2)
    assert b.shape == (30, 40, 3) and b.dtype == np.uint8
    g = gramconv.texture(s[..., 0], iters=2, layers=[3, 5], filters=8)   # gray H x W
    assert g.shape == s.shape[:2] + (1,)


def test_texture_options():
    s = _sample()
    a = gramconv.texture(s, iters=4, pyramid=2, histogram=True, init="mean", size=(32, 32),
                         layers=[3, 5], filters=8)
    assert a.shape == (32, 32, 3)
    # histogram matching: the result's values are the sample's, channel by channel
    for ch in range(3):
        np.testing.assert_allclose(np.sort(a[..., ch].ravel())[[0, -1]],
                                   np.sort(s[..., ch].ravel())[[0, -1]], atol=0.02)
    if _lib.gc_fft_available():
        b = gramconv.texture(s, iters=3, spectrum=1.0)
        assert b.shape == s.shape and np.isfinite(b).all()
    for loss in ("swd", "both"):
        c = gramconv.texture(s, iters=2, loss=loss, spectrum=0, histogram=False)
        assert c.shape == s.shape and np.isfinite(c).all()


def test_texture_score():
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:96, 0:96]
    tex = (0.5 + 0.3 * np.sin(xx * 0.7 + np.sin(yy * 0.3))[..., None]
           + 0.05 * rng.standard_normal((96, 96, 3))).clip(0, 1)
    piece = gramconv.texture_score(tex, tex[20:84, 10:74])
    noise = gramconv.texture_score(tex, rng.random((64, 64, 3)))
    assert isinstance(piece, gramconv.TextureScore) and piece.levels >= 1
    assert piece.swd_rel < 0.6 < noise.swd_rel
    assert piece.swd_rel == pytest.approx(piece.swd / piece.swd_noise)
    assert gramconv.texture_score(tex, tex[20:84, 10:74]) == piece   # deterministic
    gramconv.set_num_threads(1)
    assert gramconv.texture_score(tex, tex[20:84, 10:74]) == piece   # at any thread count
    assert gramconv.texture_score(tex, tex[20:84, 10:74], seed=1) != piece


def test_texture_progress_stop_and_exceptions():
    s = _sample()
    seen = []

    def stop_at_3(p):
        seen.append(p)
        return p.iter >= 3

    _, stats = gramconv.texture(s, iters=50, progress=stop_at_3, return_stats=True)
    assert [p.iter for p in seen] == [1, 2, 3] and seen[0].iters == 50
    assert stats["iters"] == 3
    assert all(np.isfinite(p.loss) and p.seconds >= 0 for p in seen)

    class Boom(Exception):
        pass

    def boom(p):
        raise Boom("from the callback")

    with pytest.raises(Boom):
        gramconv.texture(s, iters=5, progress=boom)


def test_ctrl_c_stops_a_synthesis():
    """SIGINT during texture() stops the run at the next iteration and raises
    KeyboardInterrupt from the call; the SIGINT handler is restored."""
    code = (
        "import gramconv, numpy as np, os, signal, sys, threading, time\n"
        "s = np.random.default_rng(0).random((48, 48, 3)).astype(np.float32)\n"
        "threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
        "t = time.time()\n"
        "try:\n"
        "    gramconv.texture(s, iters=1000000)\n"
        "except KeyboardInterrupt:\n"
        "    ok = signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
        "    print('interrupted', round(time.time() - t, 1), ok)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    words = r.stdout.split()
    assert words[0] == "interrupted" and words[2] == "True", r.stdout
    assert float(words[1]) < 30


def test_style_runs_and_keeps_content_size():
    content = _sample(30, 40, seed=1)
    style_img = _sample(32, 32, seed=2)[::-1]   # a negative-stride view: copied
    out, stats = gramconv.style(content, [style_img, style_img], style_weights=[1, 2],
                                image_size=None, iters=3, return_stats=True)
    assert out.shape == content.shape and out.dtype == np.float32
    assert stats["iters"] == 3
    small = gramconv.style((content * 255).astype(np.uint8), style_img, image_size=20, iters=2,
                           init="random", original_colors=True, layers=[3, 5, 7])
    assert small.shape == (15, 20, 3) and small.dtype == np.uint8


@pytest.mark.skipif(not _lib.gc_image_supported(1), reason="library built without PNG")
def test_imwrite_imread_round_trip(tmp_path):
    img = _sample(12, 10)
    p = tmp_path / "x.png"
    gramconv.imwrite(p, img)
    back = gramconv.imread(p)
    assert back.shape == img.shape and back.dtype == np.float32
    np.testing.assert_allclose(back, np.floor(img * 255 + 0.5) / 255, atol=1e-6)
    gramconv.imwrite(str(p), (img[..., 0] * 255).astype(np.uint8))   # gray, uint8
    assert gramconv.imread(p).shape == (12, 10, 1)
    assert gramconv.imread(p, channels=3).shape == (12, 10, 3)
    with pytest.raises(gramconv.Error, match="x.bmp"):
        gramconv.imwrite(tmp_path / "x.bmp", img)
    with pytest.raises(gramconv.Error, match="cannot read"):
        gramconv.imread(tmp_path / "none.png")


@pytest.mark.skipif(not _lib.gc_image_supported(1), reason="library built without PNG")
def test_texture_from_a_file_matches_the_cli(tmp_path):
    """A path is read as RGB like the CLI's; with the CLI at hand (ctest passes it in
    GRAMCONV_CLI), the same seed and thread count give the CLI's PNG exactly."""
    cli = os.environ.get("GRAMCONV_CLI") or shutil.which("gramconv")
    if not cli or not os.access(cli, os.X_OK):
        pytest.skip("no gramconv CLI to make a PNG sample with")
    png = tmp_path / "s.png"
    subprocess.run([cli, "sample", "-o", str(png), "--size", "32,32"], check=True,
                   capture_output=True)
    gramconv.set_num_threads(1)
    a = gramconv.texture(str(png), iters=3, seed=7)
    assert a.shape == (32, 32, 3)
    out = tmp_path / "t.png"
    subprocess.run([cli, "texture", str(png), "-o", str(out), "--iters", "3", "--seed", "7",
                    "--threads", "1", "--quiet"], check=True, capture_output=True)
    npy = tmp_path / "t.npy"
    subprocess.run([cli, "image-to-npy", str(out), "-o", str(npy)], check=True,
                   capture_output=True)
    cli_img = np.load(npy).transpose(1, 2, 0)
    ours = np.floor(a * 255 + 0.5) / 255
    np.testing.assert_allclose(ours, cli_img, atol=1e-6)
    # style: the CLI's image too (content and style resized, the net centred on the content)
    png2 = tmp_path / "s2.png"
    subprocess.run([cli, "sample", "-o", str(png2), "--size", "40,36", "--seed", "3"], check=True,
                   capture_output=True)
    st = gramconv.style(str(png2), [str(png)], image_size=34, iters=3, seed=2, histogram=True)
    out2 = tmp_path / "st.png"
    subprocess.run([cli, "style", str(png2), str(png), "-o", str(out2), "--image-size", "34",
                    "--iters", "3", "--seed", "2", "--histogram", "on", "--threads", "1",
                    "--quiet"], check=True, capture_output=True)
    subprocess.run([cli, "image-to-npy", str(out2), "-o", str(npy)], check=True,
                   capture_output=True)
    np.testing.assert_allclose(np.floor(st * 255 + 0.5) / 255, np.load(npy).transpose(1, 2, 0),
                               atol=1e-6)
    # and with the pyramid, the SWD term and the content's colours (one gc_synth_style call)
    st = gramconv.style(str(png2), [str(png)], image_size=40, iters=4, seed=2, pyramid=2,
                        loss="both", original_colors=True, layers=[3, 5])
    subprocess.run([cli, "style", str(png2), str(png), "-o", str(out2), "--image-size", "40",
                    "--iters", "4", "--seed", "2", "--pyramid", "2", "--loss", "both",
                    "--original-colors", "--layers", "3,5", "--threads", "1", "--quiet"],
                   check=True, capture_output=True)
    subprocess.run([cli, "image-to-npy", str(out2), "-o", str(npy)], check=True,
                   capture_output=True)
    np.testing.assert_allclose(np.floor(st * 255 + 0.5) / 255, np.load(npy).transpose(1, 2, 0),
                               atol=1e-6)
    # texture-score --json gives the numbers texture_score gives
    r = subprocess.run([cli, "texture-score", str(png), str(out), "--json"], check=True,
                       capture_output=True, text=True)
    want = json.loads(r.stdout)
    got = gramconv.texture_score(str(png), str(out))
    for k in ("swd", "swd_noise", "swd_rel", "spectrum", "spectrum_noise", "spectrum_rel"):
        assert getattr(got, k) == pytest.approx(want[k], rel=1e-8), k
    assert got.levels == want["levels"]
