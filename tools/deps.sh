#!/usr/bin/env bash
# tools/deps.sh - the folder-to-folder include graph of src/ and cli/, checked against the
# layer order of docs/DESIGN.md ("Source tree"):
#
#   base < kernels (scalar, avx2, avx512) < ops (corr, gram, conv2d), io < nn, optim
#        < synth < tile < dist < cli
#
# Prints one line per edge "from -> to  (N includes)"; an edge that points to a higher layer
# is marked "UPWARD" with the includes that make it. Exits 1 on an upward edge, a cycle
# between folders or a file in a folder the order does not name; 0 otherwise.
# Usage: tools/deps.sh [--quiet]
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=0
[ "${1:-}" = --quiet ] && quiet=1

rank() {
  case "$1" in
    base) echo 0 ;;
    kernels | kernels/scalar | kernels/avx2 | kernels/avx512) echo 1 ;;
    ops/corr | ops/gram | ops/conv2d | io) echo 2 ;;
    nn | optim) echo 3 ;;
    synth) echo 4 ;;
    tile) echo 5 ;;
    dist) echo 6 ;;
    cli | cli/bench) echo 7 ;;
    *) echo -1 ;;
  esac
}

# "from to file:line" for every quoted include of a project header; src/ paths are relative
# to src/, a name without a folder is the including file's own folder.
edges=$(
  { find src -name '*.[ch]'; find cli -name '*.[ch]'; } | sort | while read -r f; do
    dir=$(dirname "$f"); from=${dir#src/}
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
      n=${line%%:*}
      inc=$(printf '%s\n' "$line" | sed 's/.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/')
      case "$inc" in
        gramconv.h | gramconv_mpi.h) continue ;;     # the public headers (include/)
        */*) to=$(dirname "$inc"); [ -f "src/$inc" ] || { echo "$f:$n: $inc not found" >&2; exit 1; } ;;
        *) to=$from ;;
      esac
      echo "$from $to $f:$n"
    done
  done
)

status=0
for d in $(printf '%s\n' "$edges" | awk '{print $1; print $2}' | sort -u); do
  if [ "$(rank "$d")" -lt 0 ]; then
    echo "deps: folder '$d' has no place in the layer order (tools/deps.sh, docs/DESIGN.md)"
    status=1
  fi
done

pairs=$(printf '%s\n' "$edges" | awk '$1 != $2 {print $1, $2}' | sort | uniq -c)
while read -r count from to; do
  [ -n "$from" ] || continue
  if [ "$(rank "$from")" -lt "$(rank "$to")" ]; then
    echo "UPWARD $from -> $to ($count includes):"
    printf '%s\n' "$edges" | awk -v a="$from" -v b="$to" '$1 == a && $2 == b {print "    " $3}'
    status=1
  elif [ $quiet = 0 ]; then
    printf '%-16s -> %-16s (%s includes)\n' "$from" "$to" "$count"
  fi
done <<< "$pairs"

# tsort reports a loop in the folder graph on stderr.
if ! printf '%s\n' "$pairs" | awk 'NF == 3 {print $2, $3}' | tsort > /dev/null 2> /tmp/gc_deps_tsort.$$; then
  echo "deps: a cycle between folders:"; sed 's/^/    /' /tmp/gc_deps_tsort.$$
  status=1
elif [ -s /tmp/gc_deps_tsort.$$ ]; then
  echo "deps: a cycle between folders:"; sed 's/^/    /' /tmp/gc_deps_tsort.$$
  status=1
fi
rm -f /tmp/gc_deps_tsort.$$
if [ $status = 0 ]; then
  echo "deps: $(printf '%s\n' "$pairs" | grep -c .) folder edges, none upward, no cycle"
fi
exit $status
