#!/usr/bin/env bash
# cli_winograd.sh - `gramconv bench conv --algo ...` (the Winograd path): every
# algorithm name is accepted and reported in the JSON line, winograd runs on 3x3 and 5x5
# layers and is refused (one error line, exit 1) on a 7x7 one, an unknown name is a usage error (exit 2),
# --algo is refused by the other bench targets; --dtype bf16 (forward only).
#
#   bash tests/cli_winograd.sh PATH/TO/gramconv
#
# Ends with "N passed, N failed"; exits 1 on any failure.
set -u

if [ $# -ne 1 ]; then
    echo "usage: bash tests/cli_winograd.sh PATH/TO/gramconv" >&2
    exit 2
fi
GC=$1
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
if [ ! -x "$GC" ]; then echo "cli_winograd: $GC is not an executable" >&2; exit 2; fi

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

L="--input 1,8,9,11 --weight 12,8,3,3 --pad 1 --repeat 2 --threads 1"
for a in auto direct im2col gemm winograd reference; do
    out=$("$GC" bench conv $L --algo $a 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "\"algo\":\"$a\"" &&
        [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then pass; else fail "bench conv --algo $a: rc $rc: $out"; fi
done
for p in bwd_input bwd_weight; do
    out=$("$GC" bench conv $L --algo winograd --pass $p 2>&1)
    if [ $? -eq 0 ] && printf '%s\n' "$out" | grep -q "\"pass\":\"$p\""; then pass; else fail "winograd --pass $p: $out"; fi
done
out=$("$GC" bench conv --input 1,8,9,11 --weight 12,8,5,5 --pad 2 --repeat 1 --algo winograd 2>&1)
if [ $? -eq 0 ] && printf '%s\n' "$out" | grep -q '"algo":"winograd"'; then pass; else fail "5x5 winograd: $out"; fi
out=$("$GC" bench conv --input 1,8,9,11 --weight 12,8,7,7 --repeat 1 --algo winograd 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
    printf '%s\n' "$out" | grep -q "^gramconv: .*Winograd.*3x3 or 5x5"; then pass; else fail "7x7 winograd: rc $rc: $out"; fi
out=$("$GC" bench conv --input 1,8,9,11 --weight 12,8,3,3 --stride 2 --repeat 1 --algo winograd 2>&1)
if [ $? -eq 1 ] && printf '%s\n' "$out" | grep -q "^gramconv: .*stride 1"; then pass; else fail "stride 2 winograd: $out"; fi
# --dtype bf16: the forward on AVX512-BF16 ("dtype":"bf16"), or one error line where the CPU
# lacks it; a backward pass with bf16 is a usage error
out=$("$GC" bench conv $L --dtype bf16 2>&1)
rc=$?
if { [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '"dtype":"bf16"'; } ||
    { [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
      printf '%s\n' "$out" | grep -q "^gramconv: .*AVX512-BF16"; }; then pass; else fail "bench conv bf16: rc $rc: $out"; fi
out=$("$GC" bench conv $L --dtype bf16 --pass bwd_input 2>&1)
if [ $? -eq 2 ] && printf '%s\n' "$out" | grep -q "^gramconv: .*bf16 applies to --pass fwd"; then pass; else fail "bf16 bwd: $out"; fi
out=$("$GC" bench conv $L --algo fast 2>&1)
rc=$?
if [ $rc -eq 2 ] && printf '%s\n' "$out" | grep -q "^gramconv: .*--algo must be"; then pass; else fail "--algo fast: rc $rc: $out"; fi
out=$("$GC" bench xcorr2 --algo winograd 2>&1)
if [ $? -eq 2 ] && printf '%s\n' "$out" | grep -q "^gramconv: .*--algo does not apply"; then pass; else fail "xcorr2 --algo: $out"; fi
out=$("$GC" bench conv --help 2>&1)
if printf '%s\n' "$out" | grep -q -- "--algo auto|direct|im2col|gemm|winograd|reference"; then pass; else fail "help lacks --algo"; fi

cli_summary cli_winograd
