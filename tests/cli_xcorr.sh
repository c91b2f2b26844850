#!/usr/bin/env bash
# cli_xcorr.sh - CLI regressions of xcorr2: the FFT method with a boundary that no
# output reaches (1x1 kernel in F/S/V, any kernel in V) runs instead of failing with an
# internal error; the values are checked in the unit tests (corr_fft_boundary_moot).
#
#   bash tests/cli_xcorr.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# Without FFTW, --method fft must fail cleanly (one `gramconv:` line, no output file). Ends
# with "N passed, N failed"; exits 1 on any failure.
set -u
if [ $# -ne 2 ]; then
    echo "usage: bash tests/cli_xcorr.sh PATH/TO/gramconv GOLDEN_DIR" >&2
    exit 2
fi
GC=$1
G=$2
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
if [ ! -x "$GC" ]; then echo "cli_xcorr: $GC is not an executable" >&2; exit 2; fi
if [ ! -f "$G/bnd_in.npy" ]; then echo "cli_xcorr: no golden files in $G" >&2; exit 2; fi
. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-cli-xcorr.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

# a 1x1 float64 kernel [[2.0]] as .npy v1.0 (header padded to 64 bytes)
hdr="{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }"
while [ $(( (10 + ${#hdr} + 1) % 64 )) -ne 0 ]; do hdr="$hdr "; done
{ printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(( (${#hdr} + 1) % 256 )))\\x00"
  printf '%s\n' "$hdr"; printf '\x00\x00\x00\x00\x00\x00\x00\x40'; } > k1x1.npy

fft=1
"$GC" xcorr2 "$G/bnd_in.npy" k1x1.npy --method fft -o probe.npy 2>/dev/null || fft=0
for mode in F S V; do
    for b in wrap symm reflect replicate fill; do
        if [ $fft = 1 ]; then
            rm -f o.npy
            if "$GC" xcorr2 "$G/bnd_in.npy" k1x1.npy --mode $mode --method fft --boundary $b \
                -o o.npy 2>err && [ -s o.npy ] && [ ! -s err ]; then pass; else
                fail "fft 1x1 mode $mode boundary $b: $(cat err)"; fi
        else
            if ! "$GC" xcorr2 "$G/bnd_in.npy" k1x1.npy --mode $mode --method fft --boundary $b \
                -o o.npy 2>err && [ ! -e o.npy ] && [ "$(grep -c '^gramconv: ' err)" = 1 ]; then
                pass; else fail "no-FFTW build: fft mode $mode boundary $b"; fi
        fi
        # direct: the boundary is moot too, so every boundary gives the fill-0 bytes
        "$GC" xcorr2 "$G/bnd_in.npy" k1x1.npy --mode $mode --method direct -o ref.npy 2>/dev/null
        if "$GC" xcorr2 "$G/bnd_in.npy" k1x1.npy --mode $mode --method direct --boundary $b \
            -o d.npy 2>err && cmp -s d.npy ref.npy; then pass; else
            fail "direct 1x1 mode $mode boundary $b: $(cat err)"; fi
    done
done
cli_summary cli_xcorr
