#!/usr/bin/env bash
# run_peers.sh [GRAMCONV] - gramconv's xcorr2 against torch.nn.functional.conv2d and
# scipy.signal.correlate2d at 1 and 2 threads (bench/peers_xcorr2.py; peers that are not
# installed are skipped). GRAMCONV defaults to build/gramconv; extra arguments after it go to
# the Python script (e.g. --min-time 1 --json results.jsonl).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gc=${1:-$here/../build/gramconv}
shift || true
if [ ! -x "$gc" ]; then
  echo "run_peers.sh: $gc is not built (cmake -S . -B build && cmake --build build -j)" >&2
  exit 1
fi
echo "# $(uname -m), $(nproc) cores, $("$gc" --version), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/^/# /' || true
for t in 1 2; do
  echo
  python3 "$here/peers_xcorr2.py" --gramconv "$gc" --threads "$t" "$@"
done
