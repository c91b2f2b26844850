#!/usr/bin/env bash
# cli_nn.sh GRAMCONV - `gramconv demo` runs the seed's GramMatrix network built from nn modules
# beside gc_gram / gc_gram_backward, and both lines agree with the expected values. Ends with
# the cli_lib.sh summary line.
set -u
if [ $# -ne 1 ]; then
    echo "usage: bash tests/cli_nn.sh PATH/TO/gramconv" >&2
    exit 2
fi
GC=$1
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

expect_ok "demo runs" "$GC" demo
cp "$T/out" "$T/demo"
line() { # NAME REGEX: a line of the demo's output matches
    if grep -Eq "$2" "$T/demo"; then pass; else fail "$1: no line matches '$2' in: $(head -c 600 "$T/demo")"; fi
}
line "gram line" '^  gram --norm none +=  ?\[\[26, 23\], \[23, 25\]\] +expected \[\[26, 23\], \[23, 25\]\] +ok$'
line "nn network line" '^  nn Gram network +=  ?\[\[26, 23\], \[23, 25\]\] +expected \[\[26, 23\], \[23, 25\]\] +ok$'
line "gram-backward line" '^  gram-backward, dG = e00 += \[\[\[2, 10\]\], \[\[0, 0\]\]\] +expected .* ok$'
line "nn backward line" '^  nn Gram network backward += \[\[\[2, 10\]\], \[\[0, 0\]\]\] +expected .* ok$'
line "all ok" '^([0-9]+) of \1 ok$'
cli_summary cli_nn
