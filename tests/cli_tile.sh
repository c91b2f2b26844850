#!/usr/bin/env bash
# cli_tile.sh GRAMCONV - `gramconv gram --max-memory`: the streamed Gram equals the in-memory one
# bitwise on one thread (float32/float64, C x H x W, N x C x H x W, M x K, big-endian, centring,
# norms) for budgets from all-at-once down to bands of a few hundred columns (each input is
# larger than the smaller budgets); a budget below the accumulator's own size is refused;
# budgets too small are one-line errors with no output file, bad byte counts are usage errors,
# and --max-memory is refused on gram-backward / style-loss.
# Usage: cli_tile.sh GRAMCONV NPY_GEN
set -u
bin=$1
gen=$2 # tests/npy_gen: seeded random arrays
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gc_cli_tile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
ok() { pass; echo "ok   $*"; }
bad() { fail "$*"; }
same() { cmp -s "$1" "$2"; }

"$gen" "$tmp/chw.npy" f4 5 24 200 37 && "$gen" "$tmp/nchw.npy" f8 6 3 8 60 50 &&
  "$gen" "$tmp/mk.npy" f4 7 10 30001 && "$gen" "$tmp/be.npy" ">f4" 8 6 9 11 \
  || { echo "FAIL npy_gen could not make the inputs"; exit 1; }

for f in chw nchw mk be; do
  for opts in "" "--center" "--norm chw --scale 0.5"; do
    # shellcheck disable=SC2086
    "$bin" gram "$tmp/$f.npy" $opts --threads 1 -o "$tmp/a.npy" || bad "$f $opts: in-memory run"
    for mem in 1G 600K 500K 300K; do
      # shellcheck disable=SC2086
      if "$bin" gram "$tmp/$f.npy" $opts --threads 1 --max-memory $mem -o "$tmp/b.npy" 2>"$tmp/err"; then
        same "$tmp/a.npy" "$tmp/b.npy" && ok "$f $opts --max-memory $mem: same bits" \
          || bad "$f $opts --max-memory $mem: differs"
      else
        grep -q "too small" "$tmp/err" && ok "$f $opts --max-memory $mem: refused ($(cat "$tmp/err"))" \
          || bad "$f $opts --max-memory $mem: $(cat "$tmp/err")"
      fi
      rm -f "$tmp/b.npy"
    done
  done
done
# two threads: within float rounding of the in-memory result
"$bin" gram "$tmp/chw.npy" --threads 2 --max-memory 700K -o "$tmp/b.npy" && "$bin" gram "$tmp/chw.npy" -o "$tmp/a.npy" \
  && "$bin" compare "$tmp/a.npy" "$tmp/b.npy" --rtol 1e-5 --atol 1e-6 >/dev/null \
  && ok "2 threads within tolerance" || bad "2 threads"

# a budget that cannot hold the result: one line, exit 1, no file
"$bin" gram "$tmp/chw.npy" --max-memory 100 -o "$tmp/c.npy" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^gramconv: .*too small" "$tmp/err" && [ ! -e "$tmp/c.npy" ] \
  && ok "tiny budget refused: $(cat "$tmp/err")" || bad "tiny budget: rc $rc, $(cat "$tmp/err")"
for b in 0 -5 12Q K 1.5G 99999999999999999999 ""; do
  "$bin" gram "$tmp/chw.npy" --max-memory "$b" -o "$tmp/c.npy" 2>"$tmp/err"; rc=$?
  [ $rc -eq 2 ] && [ ! -e "$tmp/c.npy" ] && ok "--max-memory '$b' is a usage error" || bad "--max-memory '$b': rc $rc"
done
for b in 512 64k 1M 2MiB 3gb; do
  "$bin" gram "$tmp/chw.npy" --max-memory "$b" -o "$tmp/c.npy" 2>/dev/null; rc=$?
  { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && ok "--max-memory '$b' parses" || bad "--max-memory '$b': rc $rc"
  rm -f "$tmp/c.npy"
done
"$bin" gram-backward "$tmp/chw.npy" "$tmp/a.npy" --max-memory 1M -o "$tmp/c.npy" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && ok "gram-backward refuses --max-memory" || bad "gram-backward --max-memory: rc $rc"
"$bin" gram "$tmp/missing.npy" --max-memory 1M -o "$tmp/c.npy" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "^gramconv: cannot read input" "$tmp/err" && ok "missing input: $(cat "$tmp/err")" \
  || bad "missing input: rc $rc $(cat "$tmp/err")"
"$gen" "$tmp/fo.npy" f4 9 4 5 6 --fortran
"$bin" gram "$tmp/fo.npy" --max-memory 1M -o "$tmp/c.npy" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "Fortran" "$tmp/err" && ok "Fortran order refused: $(cat "$tmp/err")" || bad "Fortran: rc $rc"
"$bin" gram --help | grep -q -- "--max-memory" && ok "help names --max-memory" || bad "help"

cli_summary cli_tile
