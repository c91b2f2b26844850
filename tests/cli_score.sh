#!/usr/bin/env bash
# cli_score.sh - end-to-end tests of `gramconv texture-score`.
#
#   bash tests/cli_score.sh PATH/TO/gramconv
#
# Images come from `gramconv sample` (procedural, tileable Voronoi mosaics) and from .npy files
# written here and turned into PNGs with `gramconv npy-to-image`. Checks: another piece of the
# same texture scores below noise, flat images above it, identical images 0, the same output
# on repeat and for 1 or 2 threads, --json parses, --channels converts both images; refusals
# (usage, missing or corrupt file, channel mismatch, an image over --max-pixels) give one
# 'gramconv: texture-score: ' line, exit 2 or 1 and nothing on stdout. A build without PNG support skips the image checks (they
# are counted as skipped). Ends with the cli_lib.sh summary line.
set -u

if [ $# -ne 1 ]; then
    echo "usage: bash tests/cli_score.sh PATH/TO/gramconv" >&2
    exit 2
fi
GC=$1
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
[ -x "$GC" ] || { echo "cli_score: $GC is not an executable" >&2; exit 2; }

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-score.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

# check NAME EXPR (not evaluated while cli_lib.sh skips checks)
check() {
    if [ -n "${SKIPPING:-}" ]; then pass; return; fi
    if eval "$2"; then pass; else fail "$1"; fi
}
# a refusal also prints nothing on stdout
expect_refusal() {
    expect_err "$@"
    check "$1: nothing on stdout" '[ ! -s "$T/out" ]'
    check "$1: names the command" 'grep -q "^gramconv: texture-score: " "$T/err"'
}
# json_num KEY: the number after "KEY": in $T/out
json_num() { sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p" "$T/out"; }
# lt A B: A < B as numbers
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
# write_npy FILE D0,D1[,D2] VALUE_HEX: a float32 .npy filled with one value (4 bytes, little
# endian, as \xNN escapes), for flat images and wrong-channel images
write_npy() {
    local f=$1 shape=$2 val=$3 n=1 d hdr
    for d in ${shape//,/ }; do n=$((n * d)); done
    hdr="{'descr': '<f4', 'fortran_order': False, 'shape': ($shape), }"
    while [ $(((10 + ${#hdr} + 1) % 64)) -ne 0 ]; do hdr="$hdr "; done
    {
        printf '\x93NUMPY\x01\x00'
        printf "\\x$(printf %02x $(((${#hdr} + 1) % 256)))\\x$(printf %02x $(((${#hdr} + 1) / 256)))"
        printf '%s\n' "$hdr"
        local i chunk=""
        for i in $(seq 256); do chunk="$chunk$val"; done
        for i in $(seq $((n / 256))); do printf "$chunk"; done
        for i in $(seq $((n % 256))); do printf "$val"; done
    } >"$f"
}

# ---- without images ----------------------------------------------------------------------
expect_ok "--help" "$GC" texture-score --help
expect_grep "usage text" "usage: gramconv texture-score" "$T/out"
expect_ok "help texture-score" "$GC" help texture-score
"$GC" --help >"$T/out" 2>&1
expect_grep "listed in --help" "texture-score" "$T/out"
expect_refusal "no arguments" 2 - "$GC" texture-score
expect_refusal "one image" 2 - "$GC" texture-score a.png
expect_refusal "three images" 2 - "$GC" texture-score a.png b.png c.png
expect_refusal "directions 0" 2 - "$GC" texture-score a.png b.png --directions 0
expect_refusal "directions too many" 2 - "$GC" texture-score a.png b.png --directions 65537
expect_refusal "seed not a number" 2 - "$GC" texture-score a.png b.png --seed x
expect_refusal "max-pixels 0" 2 - "$GC" texture-score a.png b.png --max-pixels 0
expect_refusal "threads 0" 2 - "$GC" texture-score a.png b.png --threads 0
expect_refusal "unknown option" 2 - "$GC" texture-score a.png b.png --output x.png
expect_refusal "missing sample" 1 - "$GC" texture-score missing.png missing2.png
expect_grep "names the sample" "cannot read the sample 'missing.png'" "$T/err"
echo "not an image" >junk.png
expect_refusal "not an image" 1 - "$GC" texture-score junk.png junk.png

# ---- with images (PNG) -------------------------------------------------------------------
png=0
"$GC" sample -o probe.png --size 16,16 >/dev/null 2>&1 && png=1
rm -f probe.png
why=
[ "$png" = 1 ] || why=$(cli_missing PNG 2>/dev/null || echo "no PNG support in this build")
if declare -F cli_skip_begin >/dev/null; then
    cli_skip_begin "$why"
elif [ -n "$why" ]; then
    echo "cli_score: image checks skipped ($why)"
    cli_summary cli_score
    exit $?
fi

# the same texture (40 cells per 128 x 128) at three sizes, each its own seed
run "$GC" sample -o a.png --size 128,128 --cells 40 --seed 1
run "$GC" sample -o b.png --size 128,128 --cells 40 --seed 2
run "$GC" sample -o c.png --size 192,96 --cells 45 --seed 3
run "$GC" sample -o s64.png --size 64,64 --cells 10 --seed 4
check "samples written" '[ -s a.png ] && [ -s b.png ] && [ -s c.png ] && [ -s s64.png ]'

expect_ok "another piece" "$GC" texture-score a.png b.png
check "text: three lines" '[ "$(wc -l <"$T/out")" -eq 3 ]'
expect_grep "text: swd line" "^swd [0-9.e+-]* ([0-9.e+-]* x noise [0-9.e+-]*)$" "$T/out"
expect_grep "text: spectrum line" "^spectrum [0-9.e+-]* ([0-9.e+-]* x noise [0-9.e+-]*)$" "$T/out"
expect_grep "text: levels (128: 128, 64, 32, 16)" "^levels 4$" "$T/out"
cp "$T/out" text1.txt

expect_ok "another piece --json" "$GC" texture-score a.png b.png --json
check "json: one line" '[ "$(wc -l <"$T/out")" -eq 1 ]'
if command -v python3 >/dev/null 2>&1; then
    check "json parses" 'python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"levels\"] == 4 and d[\"sample\"] == \"128 x 128 x 3\"" <"$T/out"'
else
    pass # python3 is optional; the fields are checked below either way
fi
for k in swd swd_noise swd_rel spectrum spectrum_noise spectrum_rel levels directions seed; do
    check "json has $k" '[ -n "$(json_num $k)" ]'
done
expect_grep "json: sizes" '"sample":"128 x 128 x 3","candidate":"128 x 128 x 3"' "$T/out"
check "json: no NaN or Inf" '! grep -qi "nan\|inf" "$T/out"'
check "another piece: swd below noise (swd_rel $(json_num swd_rel) < 0.5)" 'lt "$(json_num swd_rel)" 0.5'
check "another piece: spectrum below noise ($(json_num spectrum_rel) < 1)" 'lt "$(json_num spectrum_rel)" 1'
piece_swd=$(json_num swd)
cp "$T/out" json1.txt

expect_ok "repeat, 1 thread" "$GC" texture-score a.png b.png --json --threads 1
check "same output on repeat and for 1 thread" 'cmp -s "$T/out" json1.txt'
expect_ok "2 threads" "$GC" texture-score a.png b.png --json -t 2
check "same output for 2 threads" 'cmp -s "$T/out" json1.txt'
expect_ok "another seed" "$GC" texture-score a.png b.png --json --seed 7 --directions 64
check "another seed: other numbers" '! cmp -s "$T/out" json1.txt'
expect_grep "seed and directions reported" '"directions":64,"seed":7}' "$T/out"

expect_ok "sizes differ" "$GC" texture-score a.png c.png --json
check "sizes differ: below noise ($(json_num swd_rel))" 'lt "$(json_num swd_rel)" 0.5'
expect_grep "sizes differ: sizes" '"candidate":"192 x 96 x 3"' "$T/out"

expect_ok "identical" "$GC" texture-score s64.png s64.png --json
check "identical: swd 0 and spectrum 0" '[ "$(json_num swd)" = 0 ] && [ "$(json_num spectrum)" = 0 ]'

# flat images: mid-grey, and one cell of the mosaic (a single colour with the grain)
write_npy grey.npy 3,128,128 '\x00\x00\x00\x3f' # 0.5f
run "$GC" npy-to-image grey.npy -o grey.png
run "$GC" sample -o one.png --size 128,128 --cells 1 --seed 1
check "flat images written" '[ -s grey.png ] && [ -s one.png ]'
expect_ok "flat grey" "$GC" texture-score a.png grey.png --json
check "flat grey: swd above noise ($(json_num swd_rel) > 1)" 'lt 1 "$(json_num swd_rel)"'
check "flat grey: spectrum above noise ($(json_num spectrum_rel) > 1)" 'lt 1 "$(json_num spectrum_rel)"'
check "flat grey: farther than a piece" 'lt "$piece_swd" "$(json_num swd)"'
expect_ok "one cell" "$GC" texture-score a.png one.png --json
check "one cell: swd above noise ($(json_num swd_rel) > 1)" 'lt 1 "$(json_num swd_rel)"'

# refusals with images
write_npy grey1.npy 64,64 '\x00\x00\x00\x3f'
run "$GC" npy-to-image grey1.npy -o gray1.png
check "gray image written" '[ -s gray1.png ]'
expect_refusal "gray sample, RGB candidate" 1 - "$GC" texture-score gray1.png a.png
expect_grep "mismatch names both counts" "has 1 channel and the candidate 'a.png' 3" "$T/err"
expect_refusal "RGB sample, gray candidate" 1 - "$GC" texture-score a.png gray1.png --json
expect_grep "mismatch names both counts" "has 3 channels and the candidate 'gray1.png' 1" "$T/err"
run "$GC" image-to-npy c.png --channels 1 -o cg.npy
run "$GC" npy-to-image cg.npy -o cg.png
check "gray piece written" '[ -s cg.png ]'
expect_refusal "gray piece, RGB sample" 1 - "$GC" texture-score a.png cg.png
expect_ok "gray piece, RGB sample, --channels 1" "$GC" texture-score a.png cg.png --channels 1 --json
expect_grep "--channels 1: both gray" '"sample":"128 x 128 x 1","candidate":"192 x 96 x 1"' "$T/out"
check "--channels 1: below noise ($(json_num swd_rel))" 'lt "$(json_num swd_rel)" 0.5'
expect_ok "--channels 3" "$GC" texture-score cg.png a.png --channels 3 --json
expect_grep "--channels 3: both RGB" '"sample":"192 x 96 x 3","candidate":"128 x 128 x 3"' "$T/out"
expect_refusal "--channels 5" 2 - "$GC" texture-score a.png cg.png --channels 5
expect_refusal "missing candidate" 1 - "$GC" texture-score a.png nothere.png
expect_grep "names the candidate" "cannot read the candidate 'nothere.png'" "$T/err"
[ -n "${SKIPPING:-}" ] || head -c 200 a.png >trunc.png
expect_refusal "truncated candidate" 1 - "$GC" texture-score a.png trunc.png
expect_refusal "candidate over --max-pixels" 1 - "$GC" texture-score s64.png a.png --max-pixels 5000
expect_grep "says the limit" "5000" "$T/err"
expect_ok "both within --max-pixels" "$GC" texture-score s64.png s64.png --max-pixels 4096
run "$GC" sample -o tiny.png --size 7,32
expect_refusal "a side under 8" 1 - "$GC" texture-score a.png tiny.png
check "no file written" '[ -z "$(ls -A | grep -v -x -e out -e err | grep -v -e "\.png$" -e "\.npy$" -e "\.txt$")" ]'

if declare -F cli_skip_end >/dev/null; then cli_skip_end; fi
cli_summary cli_score
