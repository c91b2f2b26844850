#!/usr/bin/env bash
# mpi_test.sh GRAMCONV MPI_CHECK [MPIEXEC] - the MPI paths on one machine over loopback:
#   mpi_check under -np 2, 3, 4 (distributed conv2d forward/backward_input with halo exchange,
#   row gathers, the reduced Gram of a file: see tests/mpi_check.c);
#   `mpirun -np P gramconv gram` (each rank reading its own slice) against the one-process
#   result, with and without --max-memory and --center, and a failing run (one error line,
#   non-zero exit, no output file).
set -u
bin=$1
check=$2
mpiexec=${3:-mpirun}
[ -n "$mpiexec" ] || mpiexec=mpirun
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gc_mpi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
# Open MPI in a container: root allowed, more ranks than cores, loopback only, no warnings
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
# Open MPI's own start-up allocations (in plugins it unloads at MPI_Finalize) are reported as
# leaks by LeakSanitizer in sanitizer builds and cannot be suppressed by name: leak checking is
# off for the MPI processes only (gramconv's allocations are leak-checked by the unit tests).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
run() { local np=$1; shift; timeout 120 "$mpiexec" --allow-run-as-root --oversubscribe -np "$np" "$@"; }

for np in 2 3 4; do
  if out=$(run "$np" "$check" "$tmp" 2>&1); then
    ok "$(echo "$out" | grep '^mpi_check:')"
  else
    bad "mpi_check -np $np: $(echo "$out" | grep -E 'rank|mpi_check' | head -5)"
  fi
done

python3 -c "
import numpy as np
r = np.random.default_rng(9)
np.save('$tmp/big.npy', r.standard_normal((64, 120, 97)).astype(np.float32))
np.save('$tmp/batch.npy', r.standard_normal((5, 16, 20, 13)))
" || { echo "FAIL numpy needed"; exit 1; }
dist() { # np file opts...: mpirun gram against the one-process in-memory result
  local np=$1 f=$2; shift 2
  rm -f "$tmp/dist.npy"
  "$bin" gram "$tmp/$f.npy" "$@" -o "$tmp/one.npy" || bad "one process: gram $f $*"
  if run "$np" "$bin" gram "$tmp/$f.npy" "$@" --threads 1 -o "$tmp/dist.npy" 2>"$tmp/err" &&
     "$bin" compare "$tmp/one.npy" "$tmp/dist.npy" --rtol 1e-5 --atol 1e-6 >/dev/null; then
    ok "mpirun -np $np gram $f $* == one process"
  else
    bad "mpirun -np $np gram $f $*: $(grep -v '^-' "$tmp/err" | head -3)"
  fi
}
dist 2 big
dist 4 big --max-memory 1M
dist 2 big --center --max-memory 800K
dist 3 batch --norm chw --scale 0.5
dist 2 batch --center --max-memory 1M
rm -f "$tmp/dist.npy"
run 3 "$bin" gram "$tmp/nothere.npy" -o "$tmp/dist.npy" >"$tmp/out" 2>"$tmp/err"; rc=$?
lines=$(grep -c '^gramconv: ' "$tmp/err")
[ $rc -ne 0 ] && [ "$lines" -eq 1 ] && [ ! -e "$tmp/dist.npy" ] \
  && ok "missing input under mpirun: rc $rc, $(grep '^gramconv: ' "$tmp/err")" \
  || bad "missing input under mpirun: rc $rc, $lines error lines"
run 2 "$bin" gram "$tmp/big.npy" --max-memory 1K -o "$tmp/dist.npy" 2>"$tmp/err"; rc=$?
[ $rc -ne 0 ] && grep -q "too small" "$tmp/err" && [ ! -e "$tmp/dist.npy" ] \
  && ok "tiny budget under mpirun refused" || bad "tiny budget under mpirun: rc $rc"

echo "mpi_test: $fail failed"
[ $fail -eq 0 ]
