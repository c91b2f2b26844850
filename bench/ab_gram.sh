#!/usr/bin/env bash
# ab_gram.sh - A/B of Gram builds on a shared machine: runs each bench/cputime_gram.c binary
# (built against a different library, see its header) ROUNDS times, alternating, and prints the
# best and the median of their GFLOP/s per binary. docs/PERFORMANCE.md's before -> after
# figures are its medians.
#   REPS=8 T=1 MODE=fwd bash bench/ab_gram.sh ROUNDS "N C H W" BIN...
#   e.g. REPS=6 bash bench/ab_gram.sh 3 "1 64 512 512" /tmp/cg_old /tmp/cg_new
# REPS: best-of repeats inside one run (default 8); T: threads (1); MODE: fwd|bwd|loss|bf16.
set -eu
if [ $# -lt 3 ]; then
    echo "usage: [REPS=8 T=1 MODE=fwd] bash bench/ab_gram.sh ROUNDS \"N C H W\" BIN..." >&2
    exit 2
fi
rounds=$1
shape=$2
shift 2
for _ in $(seq "$rounds"); do
    for bin in "$@"; do
        # shellcheck disable=SC2086
        echo "$bin $("$bin" $shape "${REPS:-8}" "${T:-1}" "${MODE:-fwd}" | awk '{print $4}')"
    done
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    b, v = line.split()
    runs.setdefault(b, []).append(float(v))
for b, v in runs.items():
    print("%-24s %-14s best %6.1f  median %6.1f GFLOP/s  (%s)" % (b, sys.argv[1], max(v),
          statistics.median(v), " ".join("%.0f" % x for x in v)))
' "$shape"
