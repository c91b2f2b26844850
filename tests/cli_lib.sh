# tests/cli_lib.sh: shared helpers for the CLI test scripts.
# Source after setting GC (the gramconv binary) and T (a scratch dir):
#   . "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# Every check calls pass or fail; cli_summary NAME prints
# "NAME: N passed, N failed" (ctest matches "[1-9][0-9]* failed") and
# returns non-zero on any failure.

PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }
# run CMD...: stdout to $T/out, stderr to $T/err, exit code in RC.
run() {
    "$@" >"$T/out" 2>"$T/err"
    RC=$?
}
# expect_ok NAME CMD...: exit 0 and nothing on stderr.
expect_ok() {
    local name=$1
    shift
    run "$@"
    if [ "$RC" -ne 0 ]; then
        fail "$name: exit $RC (stderr: $(head -c 300 "$T/err"))"
    elif [ -s "$T/err" ]; then
        fail "$name: unexpected stderr: $(head -c 300 "$T/err")"
    else
        pass
    fi
}
# expect_err NAME WANT_RC OUTFILE CMD...: a non-zero exit (WANT_RC, or any with "any"),
# one "gramconv: " line on stderr ending in a newline, no OUTFILE (pass - to skip that
# check: OUTFILE is removed first) and no temporary ".tmp." file left in $T.
expect_err() {
    local name=$1 want=$2 outfile=$3
    shift 3
    [ "$outfile" != - ] && rm -f "$outfile"
    run "$@"
    if [ "$RC" -eq 0 ]; then
        fail "$name: exit 0, expected an error"
    elif [ "$want" != any ] && [ "$RC" -ne "$want" ]; then
        fail "$name: exit $RC, expected $want (stderr: $(head -c 300 "$T/err"))"
    elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! head -n 1 "$T/err" | grep -q '^gramconv: .'; then
        fail "$name: stderr is not one 'gramconv: ' line: [$(head -c 300 "$T/err")]"
    elif [ "$(tail -c 1 "$T/err" | od -An -c | tr -d ' ')" != '\n' ]; then
        fail "$name: the stderr line does not end with a newline"
    elif [ "$outfile" != - ] && [ -e "$outfile" ]; then
        fail "$name: output file $outfile exists after a failure"
    elif ls -A "$T" | grep -q '\.tmp\.'; then
        fail "$name: a temporary file was left in $T"
    else
        pass
    fi
}
# expect_close NAME OUT WANT [RTOL [ATOL]]: gramconv compare within tolerance (default
# CLI_TOL, or 1e-10).
expect_close() {
    local name=$1 out=$2 want=$3 rtol=${4:-${CLI_TOL:-1e-10}} atol=${5:-${CLI_TOL:-1e-10}}
    if [ ! -f "$out" ]; then
        fail "$name: no output file $out"
        return
    fi
    run "$GC" compare "$out" "$want" --rtol "$rtol" --atol "$atol"
    if [ "$RC" -ne 0 ]; then fail "$name: $(cat "$T/out" "$T/err" | head -c 400)"; else pass; fi
}
# expect_dtype NAME FILE f4|f8: the .npy header says '<f4' / '<f8'.
expect_dtype() {
    if head -c 128 "$2" 2>/dev/null | grep -a -q "'descr': '<$3'"; then
        pass
    else
        fail "$1: $2 is not <$3: $(head -c 80 "$2" 2>/dev/null | tr -cd '[:print:]')"
    fi
}
# expect_grep NAME PATTERN FILE
expect_grep() {
    if grep -q -- "$2" "$3"; then pass; else fail "$1: '$2' not in: $(head -c 300 "$3")"; fi
}
# cli_summary NAME: the summary line; non-zero status when anything failed.
cli_summary() {
    echo "$1: $PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
}
