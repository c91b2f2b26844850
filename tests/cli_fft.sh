#!/usr/bin/env bash
# cli_fft.sh - the CLI side of the FFT method and the boundaries:
#   --method auto|direct|fft, --boundary fill|wrap|symm|reflect|replicate, --fill-value V on
#   xcorr2/conv2/xcorr3/conv3, and the "method" field of `bench xcorr2`.
#
#   bash tests/cli_fft.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# Expected outputs: tests/golden/bnd_cli_*.npy from make_boundary_golden.py (SciPy
# correlate2d/convolve2d with boundary=, NumPy padding for reflect/replicate and 3-D). In a build
# without FFTW, --method fft must fail cleanly, naming the package to install, and the FFT runs
# are counted as skipped. Ends with "N passed, N failed, N skipped"; exits 1 on any failure, 77
# if anything was skipped.
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash tests/cli_fft.sh PATH/TO/gramconv GOLDEN_DIR" >&2
    exit 2
fi
GC=$1
G=$2
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
if [ ! -x "$GC" ]; then echo "cli_fft: $GC is not an executable" >&2; exit 2; fi
if [ ! -f "$G/bnd_in.npy" ]; then echo "cli_fft: no golden files in $G" >&2; exit 2; fi

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-cli-fft.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2


# Is there an FFT path in this build? (method fft on a tiny problem)
# Without FFTW, --method fft must fail naming FFTW, and the FFT runs are counted as skipped.
HAVE_FFT=1
run "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --method fft -o probe.npy
if [ "$RC" -ne 0 ] && grep -q "FFTW" "$T/err"; then HAVE_FFT=0; fi
NOFFT=
[ "$HAVE_FFT" -eq 1 ] || NOFFT=$(cli_missing FFTW)
METHODS="auto direct fft"

# ---- boundaries against SciPy, every method ---------------------------------------------------
for m in $METHODS; do
    if [ "$m" = fft ]; then cli_skip_begin "$NOFFT"; else cli_skip_begin ""; fi
    expect_ok "xcorr2 S symm $m" "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k4x5.npy" --mode S \
        --boundary symm --method "$m" -o s_symm_$m.npy
    expect_close "xcorr2 S symm $m" s_symm_$m.npy "$G/bnd_cli_xcorr2_S_symm.npy"
    expect_ok "conv2 F wrap $m" "$GC" conv2 "$G/bnd_in.npy" "$G/bnd_k4x5.npy" --mode full \
        --boundary WRAP --method "$m" -o f_wrap_$m.npy
    expect_close "conv2 F wrap $m" f_wrap_$m.npy "$G/bnd_cli_conv2_F_wrap.npy"
    expect_ok "xcorr2 F fill -2 $m" "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k4x5.npy" -m F \
        --fill-value -2 --method="$m" -o f_fill_$m.npy
    expect_close "xcorr2 F fill -2 $m" f_fill_$m.npy "$G/bnd_cli_xcorr2_F_fill.npy"
    expect_ok "conv2 S reflect $m" "$GC" conv2 "$G/bnd_in.npy" "$G/bnd_k4x5.npy" --mode same \
        --boundary reflect --method "$m" -o s_refl_$m.npy
    expect_close "conv2 S reflect $m" s_refl_$m.npy "$G/bnd_cli_conv2_S_reflect.npy"
    expect_ok "xcorr3 S replicate $m" "$GC" xcorr3 "$G/bnd_cli_in3.npy" "$G/bnd_cli_k3.npy" \
        --mode S --boundary replicate --method "$m" -o s_rep_$m.npy
    expect_close "xcorr3 S replicate $m" s_rep_$m.npy "$G/bnd_cli_xcorr3_S_replicate.npy" 1e-5 1e-5
    cli_skip_end
done
# --boundary fill with the default fill value is the old zero padding, bit for bit
expect_ok "F fill 0" "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --mode F --boundary fill \
    --fill-value 0 -o f0.npy
expect_ok "F plain" "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --mode F --method direct -o fp.npy
expect_close "fill 0 = zero padding" f0.npy fp.npy 0 0
# mode V ignores the boundary
expect_ok "V wrap" "$GC" conv2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --boundary wrap -o vw.npy
expect_ok "V plain" "$GC" conv2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" -o vp.npy
expect_close "V ignores the boundary" vw.npy vp.npy 0 0

# ---- refusals -------------------------------------------------------------------------------
expect_err "--method bogus" 2 bad.npy "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --method fast -o bad.npy
expect_grep "--method message" "auto, direct or fft" "$T/err"
expect_err "--boundary bogus" 2 bad.npy "$GC" conv2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --boundary mirror -o bad.npy
expect_grep "--boundary message" "fill, wrap, symm, reflect or replicate" "$T/err"
expect_err "--fill-value with wrap" 2 bad.npy "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" \
    --boundary wrap --fill-value 1 -o bad.npy
expect_err "--fill-value nan" 2 bad.npy "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --fill-value nan -o bad.npy
expect_err "--fill-value junk" 2 bad.npy "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --fill-value 1x -o bad.npy
expect_err "--method without value" 2 bad.npy "$GC" xcorr3 "$G/bnd_cli_in3.npy" "$G/bnd_cli_k3.npy" -o bad.npy --method
if [ "$HAVE_FFT" -eq 0 ]; then
    expect_err "--method fft without FFTW" 1 bad.npy "$GC" xcorr2 "$G/bnd_in.npy" "$G/bnd_k3x3.npy" --method fft -o bad.npy
    expect_grep "says FFTW" "FFTW" "$T/err"
    expect_grep "names the package" "install [a-z].* (scripts/install-deps.sh)" "$T/err"
fi

# ---- help and bench -------------------------------------------------------------------------
for sub in xcorr2 conv2 xcorr3 conv3; do
    expect_ok "$sub --help" "$GC" $sub --help
    expect_grep "$sub --help --method" "--method M" "$T/out"
    expect_grep "$sub --help --boundary" "--boundary B" "$T/out"
    expect_grep "$sub --help --fill-value" "--fill-value V" "$T/out"
done
expect_ok "bench direct" "$GC" bench xcorr2 --input 64,64 --kernel 3,3 --method direct --repeat 1
expect_grep "bench reports direct" '"method":"direct"' "$T/out"
for f in '"op":"xcorr2"' '"shape":"input=64x64,kernel=3x3"' '"dtype":"f32"' '"threads":' '"isa":' '"ms":' '"gflops":'; do
    expect_grep "bench keeps $f" "$f" "$T/out"
done
expect_ok "bench auto small" "$GC" bench conv2 --input 64,64 --kernel 3,3 --repeat 1
expect_grep "auto small is direct" '"method":"direct"' "$T/out"
[ "$HAVE_FFT" -eq 1 ] ||
    expect_err "bench fft without FFTW" 1 - "$GC" bench xcorr2 --input 64,64 --kernel 3,3 --method fft --repeat 1
cli_skip_begin "$NOFFT"
expect_ok "bench fft" "$GC" bench xcorr2 --input 64,64 --kernel 3,3 --method fft --repeat 1
expect_grep "bench reports fft" '"method":"fft"' "$T/out"
expect_ok "bench auto big" "$GC" bench xcorr2 --input 256,256 --kernel 41,41 --threads 1 --repeat 1
expect_grep "auto big kernel is fft" '"method":"fft"' "$T/out"
expect_ok "bench xcorr3 fft" "$GC" bench xcorr3 --input 2,8,9,10 --kernel 3,2,3,3,3 --method fft --dtype f64 --repeat 1
expect_grep "bench xcorr3 reports fft" '"method":"fft"' "$T/out"
cli_skip_end
expect_err "bench gram --method" 2 - "$GC" bench gram --method fft
expect_err "bench --method bogus" 2 - "$GC" bench xcorr2 --method slow

cli_summary cli_fft
