#!/usr/bin/env bash
# tools/sizes.sh - the size limits of docs/DESIGN.md ("Source tree"): no file in src/ or cli/
# over 800 lines, no function there over 120 lines (from the line that starts its definition
# to its closing brace). Prints each file and function over a limit; exits 1 if there is any.
#
# The scanner reads definitions in the project's style: a definition starts at column 0 with
# an identifier, holds '(' before any '=' and does not end in ';' (its signature may run over
# several lines); its body ends at the first '}' at column 0. Prototypes, macros, typedefs
# and initialised tables are skipped.
# Usage: tools/sizes.sh [--quiet]   (--quiet: nothing printed when all is well)
set -euo pipefail
cd "$(dirname "$0")/.."
max_file=800
max_func=120
quiet=0
for a in "$@"; do
  case "$a" in
    --quiet) quiet=1 ;;
    *) echo "usage: tools/sizes.sh [--quiet]" >&2; exit 2 ;;
  esac
done

# "file PATH N" for each file over the limit, "func PATH:LINE NAME N" for each long function.
scan() {
  find "$@" -name '*.[ch]' | LC_ALL=C sort | while read -r f; do
    awk -v f="$f" -v maxf="$max_file" -v maxfn="$max_func" '
      function reset() { state = 0; start = 0; name = "" }
      BEGIN { reset() }
      state == 0 && /^[A-Za-z_]/ && !/^(typedef|struct|union|enum)[ \t]/ {
        p = index($0, "("); e = index($0, "=")
        if (p > 0 && (e == 0 || p < e) && $0 !~ /;[ \t]*(\/\*.*)?$/) {
          start = NR; s = substr($0, 1, p - 1)
          sub(/[ \t]+$/, "", s); n = split(s, w, /[ \t*]+/); name = w[n]
          state = ($0 ~ /\{[ \t]*$/) ? 2 : 1
          next
        }
      }
      state == 1 {
        if ($0 ~ /;[ \t]*$/) { reset(); next }       # a prototype over several lines
        if ($0 ~ /^\{/ || $0 ~ /\)[ \t]*\{[ \t]*$/) state = 2
        next
      }
      state == 2 && /^\}/ {
        len = NR - start + 1
        if (len > maxfn) printf "func %s:%d %s %d\n", f, start, name, len
        reset()
      }
      END { if (NR > maxf) printf "file %s %d\n", f, NR }
    ' "$f"
  done
}

out=$(scan src cli)
if [ -n "$out" ]; then
  printf '%s\n' "$out" | while read -r kind a b c; do
    case "$kind" in
      file) echo "$a: $b lines, over $max_file" ;;
      func) echo "$a: $b() $c lines, over $max_func" ;;
    esac
  done
  exit 1
fi
[ $quiet = 1 ] || echo "sizes: no file in src/ or cli/ over $max_file lines, no function over $max_func"
exit 0
