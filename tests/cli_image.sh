#!/usr/bin/env bash
# cli_image.sh - `gramconv image-to-npy` and `gramconv npy-to-image` end to end.
#
#   bash tests/cli_image.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# The fixtures and their expected arrays are tests/golden/io_* (make_golden_io.py); results
# are compared with `gramconv compare`. A build without PNG or JPEG support must refuse those
# files with one line naming the package and no output (checked; the rest of that format's
# cases are counted as skipped). Every error case checks:
# non-zero exit, exactly one stderr line starting "gramconv: ", and no output file.
# Ends with "N passed, N failed, N skipped"; exits 1 on any failure, 77 if anything was skipped.
set -u
if [ $# -ne 2 ]; then
    echo "usage: bash tests/cli_image.sh PATH/TO/gramconv GOLDEN_DIR" >&2
    exit 2
fi
GC=$1
G=$2
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
[ -x "$GC" ] || { echo "cli_image: $GC is not an executable" >&2; exit 2; }
[ -f "$G/io_rgb8.png" ] || { echo "cli_image: no fixtures in $G" >&2; exit 2; }
. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-cli-image.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

close() { # close NAME A.npy B.npy [compare options]
    local name=$1 a=$2 b=$3; shift 3
    run "$GC" compare "$a" "$b" "$@"
    if [ $RC -eq 0 ]; then pass; else fail "$name: $(cat "$T/out" "$T/err" | head -c 300)"; fi
}

# A build without libpng / libjpeg must refuse those files with one line naming the package to
# install; the cases that need the library are then counted as skipped (cli_lib.sh).
png=1; jpg=1
run "$GC" image-to-npy "$G/io_rgb8.png" -o probe.npy
grep -q "no PNG support" "$T/err" && png=0
run "$GC" image-to-npy "$G/io_base.jpg" -o probe.npy
grep -q "no JPEG support" "$T/err" && jpg=0
rm -f probe.npy

if [ $png = 0 ]; then
    expect_err "no PNG support" 1 n.npy "$GC" image-to-npy "$G/io_rgb8.png" -o n.npy
    expect_grep "no PNG support names the package" "install [a-z].* (scripts/install-deps.sh)" "$T/err"
    expect_err "no PNG support, writing" 1 n.png "$GC" npy-to-image "$G/io_rgb8.npy" -o n.png
    expect_grep "no PNG write names the package" "install [a-z].* (scripts/install-deps.sh)" "$T/err"
fi
why=; [ $png = 1 ] || why=$(cli_missing PNG)
cli_skip_begin "$why"
for n in rgb8 rgba8 gray8 graya8 gray1 pal pal_trns gray16 rgb16 rgba16 rgb8_adam7 graya16_adam7; do
    expect_ok "image-to-npy $n" "$GC" image-to-npy "$G/io_$n.png" -o "$n.npy"
    close "image-to-npy $n values" "$n.npy" "$G/io_$n.npy" --rtol 0 --atol 1e-7
done
# npy -> PNG -> npy is exact for 8-bit values, and for 16-bit with --bit-depth 16
expect_ok "npy-to-image png" "$GC" npy-to-image rgba8.npy -o back.png
expect_ok "back to npy" "$GC" image-to-npy back.png -o back.npy
close "png round trip" back.npy "$G/io_rgba8.npy" --rtol 0 --atol 1e-7
expect_ok "npy-to-image png 16" "$GC" npy-to-image rgb16.npy -o back16.png --bit-depth 16
expect_ok "back16 to npy" "$GC" image-to-npy back16.png -o back16.npy
close "png 16-bit round trip" back16.npy "$G/io_rgb16.npy" --rtol 0 --atol 1e-7
expect_ok "channels 1" "$GC" image-to-npy "$G/io_gray8.png" -o g3.npy --channels 3
run "$GC" compare g3.npy "$G/io_rgb8.npy"
[ $RC -eq 1 ] && grep -q '^shapes differ\|^differ' "$T/out" && pass || fail "gray as RGB differs from the RGB fixture"
expect_err "pixel limit" 1 lim.npy "$GC" image-to-npy "$G/io_rgb8.png" -o lim.npy --max-pixels 116
grep -q 'over the limit of 116 pixels' "$T/err" && pass || fail "pixel limit message: $(cat "$T/err")"
head -c 300 "$G/io_rgb8.png" > trunc.png
expect_err "truncated png" 1 t.npy "$GC" image-to-npy trunc.png -o t.npy
expect_err "16-bit JPEG" 2 x.jpg "$GC" npy-to-image rgb8.npy -o x.jpg --bit-depth 16 --quality 5 --channels 3
expect_err "unknown extension" 1 x.bmp "$GC" npy-to-image rgb8.npy -o x.bmp
expect_err "5 channels" 1 x.png "$GC" npy-to-image "$G/cli_conv3_F.npy" -o x.png
expect_err "rank 4" 1 x.png "$GC" npy-to-image "$G/cli_conv3_planes_F.npy" -o x.png
echo old > keep.png
run "$GC" npy-to-image "$G/cli_bad_int.npy" -o keep.png
[ $RC -ne 0 ] && [ "$(cat keep.png)" = old ] && pass || fail "a failed write changed keep.png"
cli_skip_end

if [ $jpg = 0 ]; then
    expect_err "no JPEG support" 1 n.npy "$GC" image-to-npy "$G/io_base.jpg" -o n.npy
    expect_grep "no JPEG support names the package" "install [a-z].* (scripts/install-deps.sh)" "$T/err"
fi
why=; [ $jpg = 1 ] || why=$(cli_missing JPEG)
cli_skip_begin "$why"
for n in base prog gray; do
    expect_ok "image-to-npy $n.jpg" "$GC" image-to-npy "$G/io_$n.jpg" -o "$n.npy"
    close "jpeg $n values" "$n.npy" "$G/io_$n.npy" --rtol 0 --atol 0.008
done
expect_ok "npy-to-image jpg" "$GC" npy-to-image "$G/io_jpeg_src.npy" -o q.jpg --quality 95
expect_ok "jpg back" "$GC" image-to-npy q.jpg -o q.npy
close "jpeg round trip" q.npy "$G/io_jpeg_src.npy" --rtol 0 --atol 0.1
expect_err "quality 0" 2 q0.jpg "$GC" npy-to-image "$G/io_jpeg_src.npy" -o q0.jpg --quality 0
head -c 400 "$G/io_prog.jpg" > trunc.jpg
expect_err "truncated jpeg" 1 t.npy "$GC" image-to-npy trunc.jpg -o t.npy
cli_skip_end

# command-line and file errors that need neither library
expect_err "no -o" 2 x.npy "$GC" image-to-npy "$G/io_rgb8.png"
expect_err "no input" 2 x.npy "$GC" image-to-npy -o x.npy
expect_err "bad channels" 2 x.npy "$GC" image-to-npy "$G/io_rgb8.png" -o x.npy --channels 5
expect_err "bad max-pixels" 2 x.npy "$GC" image-to-npy "$G/io_rgb8.png" -o x.npy --max-pixels 0
expect_err "quality on image-to-npy" 2 x.npy "$GC" image-to-npy "$G/io_rgb8.png" -o x.npy --quality 5
expect_err "missing input" 1 x.npy "$GC" image-to-npy nothere.png -o x.npy
expect_err "not an image" 1 x.npy "$GC" image-to-npy "$G/io_rgb8.npy" -o x.npy
expect_err "output dir missing" 1 no/x.npy "$GC" image-to-npy "$G/io_rgb8.png" -o no/x.npy
expect_err "missing array" 1 x.png "$GC" npy-to-image nothere.npy -o x.png
run "$GC" image-to-npy --help
[ $RC -eq 0 ] && grep -q '^usage: gramconv image-to-npy' "$T/out" && pass || fail "image-to-npy --help"

cli_summary cli_image
