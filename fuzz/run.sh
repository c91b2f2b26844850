#!/usr/bin/env bash
# fuzz/run.sh SECONDS [HARNESS...] - build the libFuzzer harnesses and run each for SECONDS.
#
#   bash fuzz/run.sh 40                 # every harness, 40 s each (what .ci/run does)
#   bash fuzz/run.sh 600 fuzz_npy       # one harness, 10 minutes
#
# Builds with clang (-DGC_BUILD_FUZZ=ON -DGC_BUILD_TESTS=OFF) in a temporary directory
# (GC_FUZZ_BUILD_DIR=DIR to keep and reuse one), copies the seed corpus fuzz/corpus/NAME into
# a scratch corpus (the repository's corpus is never modified), and runs the harness with
# -max_total_time=SECONDS. Prints each run's execution count ("Done N runs"). Exits non-zero
# on any crash, leak, timeout or out-of-memory (the reproducer is kept under GC_FUZZ_ARTIFACTS,
# default ./fuzz-artifacts, and its path printed). GC_FUZZ_JOBS sets the build parallelism.
set -euo pipefail

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]] || [ "$1" -lt 1 ]; then
    echo "usage: bash fuzz/run.sh SECONDS [fuzz_npy|fuzz_cli_args|fuzz_safetensors|fuzz_image|fuzz_numfmt ...]" >&2
    exit 2
fi
secs=$1
shift
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_npy fuzz_cli_args fuzz_safetensors fuzz_image fuzz_numfmt)

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v clang >/dev/null 2>&1 || { echo "fuzz/run.sh: clang is needed" >&2; exit 1; }
jobs=${GC_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
build=${GC_FUZZ_BUILD_DIR:-$scratch/build}
artifacts=${GC_FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)

echo "fuzz/run.sh: building ${harnesses[*]} in $build"
CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGC_BUILD_FUZZ=ON \
    -DGC_BUILD_TESTS=OFF -DGC_BUILD_BENCH=OFF -DGC_BUILD_CLI=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${harnesses[@]}" >"$scratch/build.log" 2>&1 || {
    cat "$scratch/build.log" >&2
    echo "fuzz/run.sh: build failed" >&2
    exit 1
}

status=0
for h in "${harnesses[@]}"; do
    corpus_name=${h#fuzz_}
    seeds=$root/fuzz/corpus/$corpus_name
    [ -d "$seeds" ] || { echo "fuzz/run.sh: no seed corpus $seeds" >&2; exit 1; }
    work=$scratch/corpus_$corpus_name
    mkdir -p "$work"
    cp "$seeds"/* "$work"/
    log=$scratch/$h.log
    echo "fuzz/run.sh: $h for ${secs}s (seeds: $(ls "$seeds" | wc -l))"
    # -rss_limit_mb: the harnesses cap single allocations at 64 MiB, so 2 GiB means a leak.
    # -timeout: one input taking over 10 s is a hang.
    set +e
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$h-" "$work" >"$log" 2>&1
    rc=$?
    set -e
    runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n 1 | awk '{print $2}')
    if [ $rc -ne 0 ] || [ -z "$runs" ]; then
        tail -n 60 "$log" >&2
        echo "fuzz/run.sh: $h FAILED (exit $rc); reproducer(s):" >&2
        for a in "$artifacts"/"$h"-*; do
            [ -f "$a" ] || continue
            echo "  $a ($(wc -c <"$a") bytes); first bytes:" >&2
            od -A d -c "$a" | head -n 12 >&2
        done
        status=1
    else
        cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
        echo "fuzz/run.sh: $h: Done $runs runs in ${secs}s, no finding (coverage ${cov:-?} edges, corpus $(ls "$work" | wc -l) inputs)"
    fi
done
rmdir "$artifacts" 2>/dev/null || true
exit $status
