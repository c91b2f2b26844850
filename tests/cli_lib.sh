# tests/cli_lib.sh: shared helpers for the CLI test scripts.
# Source after setting GC (the gramconv binary) and T (a scratch dir):
#   . "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
# Every check calls pass or fail; cli_summary NAME prints
# "NAME: N passed, N failed, N skipped" (ctest matches "[1-9][0-9]* failed") and
# returns 1 on any failure, 77 (ctest's SKIP_RETURN_CODE) when checks were skipped.
#
# Checks that need a feature this build lacks are skipped, not run and not passed:
#   why=; [ "$have_png" = 1 ] || why=$(cli_missing PNG)
#   cli_skip_begin "$why"; ...checks...; cli_skip_end
# Between the two (they nest; an empty reason skips nothing), run runs nothing and every
# pass or fail counts as one skipped check.

PASS=0
FAIL=0
SKIP=0
SKIPPING=
SKIP_WHY=
SKIP_STACK=()
pass() { if [ -n "$SKIPPING" ]; then SKIP=$((SKIP + 1)); else PASS=$((PASS + 1)); fi; }
fail() {
    if [ -n "$SKIPPING" ]; then SKIP=$((SKIP + 1)); return; fi
    FAIL=$((FAIL + 1))
    echo "FAIL: $*"
}
# cli_skip_begin WHY / cli_skip_end: the checks between them are counted as skipped when WHY
# (or an enclosing one) is not empty; each reason is said once in the summary.
cli_skip_state() {
    local w
    SKIPPING=
    for w in "${SKIP_STACK[@]}"; do [ -n "$w" ] && SKIPPING=$w && return 0; done
    return 0
}
cli_skip_begin() {
    SKIP_STACK+=("$1")
    cli_skip_state
    [ -n "$1" ] || return 0
    case "; $SKIP_WHY;" in *"; $1;"*) ;; *) SKIP_WHY=${SKIP_WHY:+$SKIP_WHY; }$1 ;; esac
}
cli_skip_end() {
    [ ${#SKIP_STACK[@]} -eq 0 ] || unset 'SKIP_STACK[-1]'
    cli_skip_state
}
# cli_missing FEATURE (PNG, JPEG, FFTW, MPI): "no FEATURE support: install PKG ..." with the
# package named in scripts/install-deps.sh (its "(GC_WITH_FEATURE)" lines).
cli_missing() {
    local pkgs
    pkgs=$(awk -v t="(GC_WITH_$1)" 'index($0, t) {printf "%s%s", s, $2; s = " "}' \
        "$(dirname "${BASH_SOURCE[0]}")/../scripts/install-deps.sh" 2>/dev/null)
    echo "no $1 support in this build: install ${pkgs:-its library} (scripts/install-deps.sh) and rebuild"
}
# run CMD...: stdout to $T/out, stderr to $T/err, exit code in RC (nothing runs while skipping).
run() {
    if [ -n "$SKIPPING" ]; then
        : >"$T/out"
        : >"$T/err"
        RC=0
        return 0
    fi
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
# cli_summary NAME: the summary line; 1 when anything failed (or nothing was checked), 77
# when checks were skipped, else 0.
cli_summary() {
    echo "$1: $PASS passed, $FAIL failed, $SKIP skipped${SKIP_WHY:+ ($SKIP_WHY)}"
    [ "$FAIL" -eq 0 ] && [ $((PASS + SKIP)) -gt 0 ] || return 1
    [ "$SKIP" -eq 0 ] || return 77
}
