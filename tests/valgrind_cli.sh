#!/usr/bin/env bash
# valgrind_cli.sh - valgrind memcheck over a handful of gramconv commands.
#
#   bash tests/valgrind_cli.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# Runs xcorr2, conv3, gram, gram-backward, style-loss, spatialconv forward/backward (2 threads,
# so the worker pool is checked too) and three error paths (a truncated file, a rank mismatch,
# a usage error) under memcheck with --leak-check=full --errors-for-leak-kinds=definite,indirect.
# A command fails if memcheck reports any invalid access, uninitialised use or definite/indirect
# leak (memcheck's own exit code, 97, set apart from gramconv's 1 and 2), or if gramconv's exit
# code is not the expected one. Ends with "N passed, N failed"; exits 1 on any failure, 77 if
# valgrind is missing. Registered as ctest "valgrind" (label valgrind) when valgrind is found
# and the build is not sanitized. Under valgrind the CPU has no AVX-512 (valgrind does not emulate
# it), so the AVX2 kernels are what gets checked.
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash tests/valgrind_cli.sh PATH/TO/gramconv GOLDEN_DIR" >&2
    exit 2
fi
GC=$1
G=$2
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind_cli: valgrind not found: skipped"; exit 77; }
[ -x "$GC" ] || { echo "valgrind_cli: $GC is not an executable" >&2; exit 2; }

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-vg.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

VG=(valgrind --tool=memcheck --error-exitcode=97 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --track-fds=no --quiet)
# vg NAME WANT_RC CMD... : run gramconv CMD under memcheck; expect exit code WANT_RC.
vg() {
    local name=$1 want=$2
    shift 2
    "${VG[@]}" --log-file="$T/vg.log" "$GC" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    local memerr=0
    [ "$rc" -eq 97 ] && memerr=1
    grep -qE 'Invalid|uninitialised|definitely lost|indirectly lost|ERROR SUMMARY: [1-9]' "$T/vg.log" && memerr=1
    if [ "$memerr" -eq 1 ]; then
        fail "$name: memcheck errors (exit $rc):"
        head -n 60 "$T/vg.log"
    elif [ "$rc" -ne "$want" ]; then
        fail "$name: exit $rc, expected $want; stderr:"
        head -n 5 "$T/err"
    else
        pass
        echo "ok   $name"
    fi
}

SB=$G/cli_sconv_basic_
X4=$G/cli_gram_x4.npy
head -c 100 "$G/cli_x2_in.npy" >trunc.npy

vg "xcorr2 full" 0 xcorr2 "$G/cli_x2_in.npy" "$G/cli_x2_k.npy" --mode F --threads 2 -o x2.npy
vg "conv3 valid" 0 conv3 "$G/cli_v_in.npy" "$G/cli_v_k.npy" --mode V --threads 2 -o c3.npy
vg "gram centred" 0 gram "$X4" --center --threads 2 -o g.npy
vg "gram-backward" 0 gram-backward "$X4" "$G/cli_gram_dG4.npy" --threads 2 -o gb.npy
vg "style-loss" 0 style-loss "$X4" "$G/cli_gram_T4.npy" --threads 2 -o sl.npy
vg "spatialconv forward" 0 spatialconv forward "${SB}x.npy" "${SB}w.npy" --bias "${SB}b.npy" --pad 1 \
    --threads 2 -o sc.npy
vg "spatialconv backward" 0 spatialconv backward "${SB}x.npy" "${SB}w.npy" "${SB}gout.npy" \
    --bias "${SB}b.npy" --pad 1 --threads 2 --grad-input gi.npy --grad-weight gw.npy --grad-bias gb.npy
vg "error: truncated .npy" 1 xcorr2 trunc.npy "$G/cli_x2_k.npy" -o e1.npy
vg "error: rank mismatch" 1 xcorr2 "$G/cli_x2_in.npy" "$G/cli_k4.npy" -o e2.npy
vg "error: usage" 2 gram "$X4" --norm bogus -o e3.npy
for f in e1.npy e2.npy e3.npy; do
    if [ -e "$f" ]; then fail "$f written by a failing command"; else pass; fi
done

cli_summary valgrind_cli
