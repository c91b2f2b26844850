#!/usr/bin/env bash
# cli_nn.sh GRAMCONV - `gramconv demo` runs the seed's GramMatrix network built from nn modules
# beside gc_gram / gc_gram_backward, and both lines agree with the expected values.
set -u
GC="$1"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fail=0
check() { # name regex
    if grep -Eq "$2" "$T/out"; then echo "ok   $1"; else echo "FAIL $1"; fail=$((fail + 1)); fi
}
if ! "$GC" demo > "$T/out" 2> "$T/err"; then
    echo "FAIL demo exit status"; cat "$T/err"; fail=$((fail + 1))
fi
check "gram line" '^  gram --norm none +=  ?\[\[26, 23\], \[23, 25\]\] +expected \[\[26, 23\], \[23, 25\]\] +ok$'
check "nn network line" '^  nn Gram network +=  ?\[\[26, 23\], \[23, 25\]\] +expected \[\[26, 23\], \[23, 25\]\] +ok$'
check "gram-backward line" '^  gram-backward, dG = e00 += \[\[\[2, 10\]\], \[\[0, 0\]\]\] +expected .* ok$'
check "nn backward line" '^  nn Gram network backward += \[\[\[2, 10\]\], \[\[0, 0\]\]\] +expected .* ok$'
check "all ok" '^([0-9]+) of \1 ok$'
echo "$((5 - fail)) passed, $fail failed"
exit $((fail > 0))
