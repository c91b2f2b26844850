#!/usr/bin/env bash
# tools/sizes.sh - the size limits of docs/DESIGN.md ("Source tree"): no file in src/ over
# 800 lines, no function in src/ over 120 lines (from the line that starts its definition to
# its closing brace). Prints each file and function over the limit; exits 1 if src/ has any.
# cli/ is scanned too; with --strict-cli its files and functions count as failures as well,
# otherwise they are only reported.
#
# The scanner reads definitions in the project's style: a definition starts at column 0 with
# an identifier, holds '(' before any '=' and does not end in ';' (its signature may run over
# several lines); its body ends at the first '}' at column 0. Prototypes, macros, typedefs
# and initialised tables are skipped.
# Usage: tools/sizes.sh [--quiet] [--strict-cli]
set -euo pipefail
cd "$(dirname "$0")/.."
max_file=800
max_func=120
quiet=0
strict_cli=0
for a in "$@"; do
  case "$a" in
    --quiet) quiet=1 ;;
    --strict-cli) strict_cli=1 ;;
    *) echo "usage: tools/sizes.sh [--quiet] [--strict-cli]" >&2; exit 2 ;;
  esac
done

# "file N" for each file over the limit, "func file:line name N" for each long function.
scan() {
  find "$1" -name '*.[ch]' | LC_ALL=C sort | while read -r f; do
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

report() {  # $1: scan output, $2: "over" or "over (reported only)"
  printf '%s\n' "$1" | while read -r kind a b c; do
    case "$kind" in
      file) echo "$a: $b lines, $2 $max_file" ;;
      func) echo "$a: $b() $c lines, $2 $max_func" ;;
    esac
  done
}

status=0
src_out=$(scan src)
if [ -n "$src_out" ]; then report "$src_out" "over"; status=1; fi
cli_out=$(scan cli)
if [ -n "$cli_out" ]; then
  if [ $strict_cli = 1 ]; then report "$cli_out" "over"; status=1
  elif [ $quiet = 0 ]; then report "$cli_out" "over (cli/, reported only)"; fi
fi
if [ $status = 0 ]; then
  echo "sizes: no file in src/ over $max_file lines, no function over $max_func"
fi
exit $status
