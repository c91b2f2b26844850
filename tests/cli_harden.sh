#!/usr/bin/env bash
# cli_harden.sh - the CLI's promises under hostile use: what -o may name (device nodes, FIFOs,
# symbolic links, sockets), no output after a late failure (stdout full or closed, a failing
# --stats-json, --save-every snapshots), colliding file names, signals, compare's non-finite
# pairs, size products at the limits, non-finite network weights, FIFO inputs, long names, an
# unwritable directory found before any work, and blend weights at the ends of the doubles.
#
#   bash tests/cli_harden.sh PATH/TO/gramconv PATH/TO/tests/golden [MPIEXEC]
#
# Every command runs under `timeout`; the signal tests poll with bounded sleeps. Device nodes
# are made with mknod in the scratch directory (never the real /dev); without the privilege
# those checks are skipped and counted. Ends with "N passed, N failed" (and the skips).
set -u

if [ $# -lt 2 ]; then
    echo "usage: bash tests/cli_harden.sh PATH/TO/gramconv GOLDEN_DIR [MPIEXEC]" >&2
    exit 2
fi
GC=$1
G=$2
MPIEXEC=${3:-}
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
[ -x "$GC" ] || { echo "cli_harden: $GC is not an executable" >&2; exit 2; }

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-harden.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

TO="timeout 60"
SKIPPED=0
skipped() { SKIPPED=$((SKIPPED + 1)); echo "SKIP: $*"; }
check() { if eval "$2"; then pass; else fail "$1"; fi; }
# exit code only (the synthesis commands print progress on stderr)
expect_rc() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [ "$RC" -ne "$want" ]; then fail "$name: exit $RC, expected $want (stderr: $(head -c 300 "$T/err"))"; else pass; fi
}
no_temps() { ! ls -A "${1:-$T}" | grep -q '\.tmp\.'; }
# fresh: each section starts from a clean sample and no leftover temporaries, so a failure in
# one section (an overwritten input, a temporary left behind) cannot fail the next
fresh() { cp "$S" s.png; rm -f "$T"/*.tmp.* "$T"/gramconv.tmp.*; }

S=$G/synth_sample.png
V=$G/synth_tiny_vgg.safetensors
IN=$G/bnd_in.npy
K=$G/bnd_k3x3.npy
SX=$G/cli_sconv_basic_x.npy
SW=$G/cli_sconv_basic_w.npy
TX="--size 16,16 --iters 2 --layers 3 --filters 4"   # a texture run of a fraction of a second
$TO "$GC" xcorr2 "$IN" "$K" -o ref.npy || { echo "cli_harden: xcorr2 failed" >&2; exit 1; }
cp "$S" s.png

# ---- 1. what -o may name -------------------------------------------------------------------
if mknod full c 1 7 2>/dev/null && mknod null c 1 3 2>/dev/null; then
    expect_ok "xcorr2 -o chardev (null)" $TO "$GC" xcorr2 "$IN" "$K" -o null
    check "the null node is still a character device" '[ -c null ]'
    expect_err "xcorr2 -o chardev (full): ENOSPC" 1 - $TO "$GC" xcorr2 "$IN" "$K" -o full
    expect_grep "ENOSPC reported" "No space left" "$T/err"
    check "the full node is still a character device" '[ -c full ]'
    mknod full.png c 1 7
    expect_err "texture -o full.png node" 1 - $TO "$GC" texture s.png -o full.png $TX -q
    check "full.png is still a device" '[ -c full.png ]'
    expect_err "texture --stats-json chardev (full): no image" 1 tx.png \
        $TO "$GC" texture s.png -o tx.png $TX -q --stats-json full
    check "no staging file after a failing --stats-json" no_temps
    mknod null.png c 1 3
    expect_ok "-o and --stats-json on one device" $TO "$GC" texture s.png -o null.png $TX -q --stats-json null
else
    skipped "device nodes (mknod not permitted): 8 checks"
fi
mkfifo fifo.npy
( $TO cat fifo.npy >fifo.out ) &
reader=$!
expect_ok "xcorr2 -o FIFO" $TO "$GC" xcorr2 "$IN" "$K" -o fifo.npy
wait "$reader"
check "the FIFO is still a FIFO" '[ -p fifo.npy ]'
check "the FIFO's reader got the array" 'cmp -s fifo.out ref.npy'
mkdir -p sub && ln -s sub/real.npy link.npy
expect_ok "xcorr2 -o dangling symlink" $TO "$GC" xcorr2 "$IN" "$K" -o link.npy
check "the link stays a link" '[ -L link.npy ] && cmp -s sub/real.npy ref.npy'
echo old >sub/real.npy
expect_ok "xcorr2 -o symlink to a file" $TO "$GC" xcorr2 "$IN" "$K" -o link.npy
check "written through the link" '[ -L link.npy ] && cmp -s sub/real.npy ref.npy && no_temps && no_temps sub'
# a link to standard output (what /dev/stdout is, made here so that /dev is never at risk)
ln -s /proc/self/fd/1 so.npy
run $TO "$GC" xcorr2 "$IN" "$K" -o so.npy
check "-o link to stdout, stdout a file: the file gets the array" '[ $RC -eq 0 ] && [ -L so.npy ] &&
    cmp -s "$T/out" ref.npy && no_temps'
$TO "$GC" xcorr2 "$IN" "$K" -o so.npy | cat >piped.npy
ps0=${PIPESTATUS[0]}
check "-o link to stdout, stdout a pipe: written into the pipe" '[ "$ps0" -eq 0 ] &&
    cmp -s piped.npy ref.npy && [ -L so.npy ] && no_temps'
if command -v python3 >/dev/null 2>&1 &&
   python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" sock.npy 2>/dev/null; then
    expect_err "xcorr2 -o socket" 1 - $TO "$GC" xcorr2 "$IN" "$K" -o sock.npy
    check "the socket is left alone" '[ -S sock.npy ]'
else
    skipped "socket target (no python3): 2 checks"
fi

# ---- 2. late failures leave nothing ---------------------------------------------------------
fresh
full() { "$@" >/dev/full; }
closed() { "$@" >&-; }
for redir in full closed; do
    sink=$redir
    run $redir $TO "$GC" texture s.png -o late.png $TX --save-every 1
    check "texture, stdout $sink: exit 1, no image, no snapshots" \
        '[ $RC -eq 1 ] && [ ! -e late.png ] && [ ! -e late_1.png ] && [ ! -e late_2.png ] && no_temps'
    run $redir $TO "$GC" style s.png s.png -o late.png --image-size 16 --iters 2 --layers 3 --filters 4
    check "style, stdout $sink: exit 1, no image" '[ $RC -eq 1 ] && [ ! -e late.png ] && no_temps'
    run $redir $TO "$GC" sample -o late.png --size 16,16
    check "sample, stdout $sink: exit 1, no image" '[ $RC -eq 1 ] && [ ! -e late.png ] && no_temps'
    run $redir $TO "$GC" gram-preset save s.png --layers 3 --filters 4 -o late.safetensors
    check "gram-preset, stdout $sink: exit 1, no preset" '[ $RC -eq 1 ] && [ ! -e late.safetensors ] && no_temps'
    run $redir $TO "$GC" style-loss "$G/cli_gram_x4.npy" "$G/cli_gram_T4.npy" -o late.npy
    check "style-loss, stdout $sink: exit 1, no gradient" '[ $RC -eq 1 ] && [ ! -e late.npy ] && no_temps'
done
echo keep >kept.png
run full $TO "$GC" texture s.png -o kept.png $TX
check "a failed run keeps the existing output" '[ $RC -eq 1 ] && [ "$(cat kept.png)" = keep ]'
if [ -n "$MPIEXEC" ]; then
    export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
    export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
    # Open MPI's own allocations at exit are leaks to LeakSanitizer (as in mpi_test.sh): leak
    # checking is off for the MPI runs only
    asan_saved=${ASAN_OPTIONS-}
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    run timeout 120 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 "$GC" texture s.png \
        -o mpi.png $TX --threads 1
    check "mpirun texture works" '[ $RC -eq 0 ] && [ -s mpi.png ]'
    rm -f mpi.png
    # rank 0 alone gets a full standard output (mpirun would forward it through a pipe)
    run timeout 120 "$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 bash -c \
        'if [ "${OMPI_COMM_WORLD_RANK:-0}" = 0 ]; then exec "$0" "$@" >/dev/full; else exec "$0" "$@"; fi' \
        "$GC" texture s.png -o mpi.png $TX --threads 1
    check "mpirun texture, rank 0's stdout full: no image" '[ $RC -ne 0 ] && [ ! -e mpi.png ] && no_temps'
    export ASAN_OPTIONS=$asan_saved
else
    skipped "MPI rank 0 (no MPI build): 2 checks"
fi

# ---- 3. colliding names ---------------------------------------------------------------------
fresh
cp s.png x.png && cp s.png x_2.png
expect_err "--stats-json names -o" 2 - $TO "$GC" texture s.png -o x.png $TX -q --stats-json ./x.png
check "x.png untouched" 'cmp -s x.png s.png'
expect_err "snapshot names the sample" 2 - $TO "$GC" texture x_2.png -o x.png $TX -q --save-every 1
check "x_2.png untouched" 'cmp -s x_2.png s.png'
expect_err "snapshot names the stats file" 2 - $TO "$GC" texture s.png -o y.png $TX -q --save-every 2 \
    --stats-json y_2.png
cp "$IN" in.npy && ln in.npy hard.npy
expect_err "xcorr2 -o names its input" 2 - $TO "$GC" xcorr2 in.npy "$K" -o ./in.npy
expect_err "xcorr2 -o names its input (hard link)" 2 - $TO "$GC" xcorr2 in.npy "$K" -o hard.npy
check "the input is untouched" 'cmp -s in.npy "$IN"'
expect_err "gram -o names its input" 2 - $TO "$GC" gram in.npy -o in.npy
expect_err "image-to-npy -o names its input" 2 - $TO "$GC" image-to-npy s.png -o s.png
expect_err "spatialconv outputs via ./" 2 - $TO "$GC" spatialconv backward a b c --grad-input g.npy \
    --grad-weight ./g.npy

# ---- 4. signals -------------------------------------------------------------------------------
fresh
# sigrun SIG: a long texture run in its own directory, SIG once its first snapshot exists (polled
# every 0.05 s for at most 30 s; then at most 30 s for it to end, else SIGKILL); sets RC
mkdir sig && cp s.png sig/
sigrun() {
    local sig=$1 i=0
    ( cd sig && exec env --default-signal "$GC" texture s.png -o out.png --size 32,32 \
        --iters 100000 --layers 3 --filters 4 --save-every 1 -q ) 2>"$T/err" &
    local pid=$!
    while [ $i -lt 600 ] && ! { ls sig | grep -q '^out_1\.png$'; }; do sleep 0.05; i=$((i + 1)); done
    kill -s "$sig" $pid 2>/dev/null
    i=0
    while [ $i -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
    kill -9 $pid 2>/dev/null
    { wait $pid; } 2>/dev/null
    RC=$?
}
for sig in INT TERM HUP; do
    sigrun $sig 2>/dev/null  # (bash's notices of the killed job)
    want=$((128 + $(kill -l $sig)))
    check "SIG$sig: exit $want, one line" '[ $RC -eq $want ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
        grep -q "^gramconv: interrupted by SIG$sig" "$T/err"'
    check "SIG$sig: no output, snapshot or temporary left" \
        '[ ! -e sig/out.png ] && ! ls sig | grep -q "out_[0-9]" && no_temps sig'
done
sigrun KILL 2>/dev/null
check "SIGKILL: the staging file stays (documented)" '[ $RC -eq 137 ] && ! no_temps sig'
rm -f sig/out_*.png
expect_rc "the next run tolerates the stale temporary" 0 \
    $TO "$GC" texture sig/s.png -o sig/out.png $TX -q
check "the next run wrote its output" '[ -s sig/out.png ]'
rm -f sig/gramconv.tmp.*
# past `ulimit -f`: SIGXFSZ would kill silently; the write fails with EFBIG instead
run bash -c "ulimit -f 4; exec $TO \"$GC\" image-to-npy s.png -o big.npy"
check "ulimit -f: exit 1, one line naming the size limit" '[ $RC -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "^gramconv: .*File too large" "$T/err" && [ ! -e big.npy ] && no_temps'
run bash -c "ulimit -f 8; exec $TO \"$GC\" sample -o big.png --size 512,512"
check "ulimit -f, PNG: exit 1, one line naming the output" '[ $RC -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] &&
    grep -q "^gramconv: cannot write .big.png.: " "$T/err" && ! grep -q "gramconv\.tmp" "$T/err" &&
    [ ! -e big.png ] && no_temps'

# ---- 5. compare: every non-finite pair, as numpy.allclose -------------------------------------
fresh
# mknpy FILE DESCR BYTES: a one-element .npy
mknpy() {
    local dict="{'descr': '$2', 'fortran_order': False, 'shape': (1,), }"
    local hl=$(( (10 + ${#dict} + 1 + 63) / 64 * 64 - 10 ))
    { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"
      printf '%s' "$dict"; printf "%$((hl - ${#dict} - 1))s\n" ''; printf "$3"; } >"$1"
}
declare -A F8=([5]='\x00\x00\x00\x00\x00\x00\x14\x40' [inf]='\x00\x00\x00\x00\x00\x00\xf0\x7f'
    [ninf]='\x00\x00\x00\x00\x00\x00\xf0\xff' [nan]='\x00\x00\x00\x00\x00\x00\xf8\x7f')
declare -A F4=([5]='\x00\x00\xa0\x40' [inf]='\x00\x00\x80\x7f' [ninf]='\x00\x00\x80\xff'
    [nan]='\x00\x00\xc0\x7f')
for v in 5 inf ninf nan; do mknpy "d_$v.npy" '<f8' "${F8[$v]}"; mknpy "f_$v.npy" '<f4' "${F4[$v]}"; done
# numpy.allclose: close iff equal, or both finite within tolerance; NaN only with equal_nan
for a in 5 inf ninf nan; do
    for b in 5 inf ninf nan; do
        want=1
        [ $a = $b ] && [ $a != nan ] && want=0
        want_en=$want
        [ $a = nan ] && [ $b = nan ] && want_en=0
        for pair in "d d" "f f" "f d"; do
            set -- $pair
            expect_rc "compare $a vs $b ($1$2)" $want $TO "$GC" compare "$1_$a.npy" "$2_$b.npy"
            expect_rc "compare --equal-nan $a vs $b ($1$2)" $want_en $TO "$GC" compare \
                "$1_$a.npy" "$2_$b.npy" --equal-nan
        done
    done
done
mknpy d_big.npy '<f8' '\x00\x00\x00\x00\x00\x00\xe0\x7f'   # 2^1023: |a - b| overflows
mknpy d_nbig.npy '<f8' '\x00\x00\x00\x00\x00\x00\xe0\xff'
expect_rc "compare 2^1023 vs -2^1023" 1 $TO "$GC" compare d_big.npy d_nbig.npy --rtol 1
expect_rc "compare 2^1023 vs 2^1023" 0 $TO "$GC" compare d_big.npy d_big.npy

# ---- 6. size products at the limits (UBSan catches an overflow before its check) --------------
fresh
expect_err "spatialconv --pad 2^31-1: refused" 1 o.npy $TO "$GC" spatialconv forward \
    "$SX" "$SW" --pad 2147483647 -o o.npy
for geo in "--pad 2147483647 --stride 2147483647" "--pad 2147483647,0 --stride 2147483647,1" \
           "--dilation 2147483647 --pad 2147483647"; do
    run $TO "$GC" spatialconv forward "$SX" "$SW" $geo -o o.npy
    check "spatialconv $geo: a result or one line" '{ [ $RC -eq 0 ] && [ -s o.npy ]; } ||
        { [ $RC -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ]; }'
    rm -f o.npy
done
run $TO "$GC" bench conv --input 1,1,4,4 --weight 1,1,3,3 --pad 2147483647 --repeat 1
check "bench conv --pad 2^31-1: one line, exit 1" '[ $RC -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ]'
run $TO "$GC" bench conv --input 1,1,4,4 --weight 1,1,3,3 --pad 2147483647 --stride 2147483647 --repeat 1
check "bench conv --pad --stride 2^31-1: ok or one line" '[ $RC -eq 0 ] || [ "$(wc -l <"$T/err")" -eq 1 ]'

# ---- 7. non-finite network weights --------------------------------------------------------------
fresh
# poke FILE BYTES: overwrite the first data value of the first tensor (little-endian float32)
poke() {
    local n
    n=$(od -An -t u8 -N 8 "$1" | tr -d ' ')
    printf "$2" | dd of="$1" bs=1 seek=$((8 + n)) conv=notrunc status=none
}
for v in nan inf; do
    cp "$V" "w_$v.safetensors" && poke "w_$v.safetensors" "${F4[$v]}"
    expect_err "texture --net with $v weights" 1 wn.png $TO "$GC" texture s.png -o wn.png \
        --size 16,16 --iters 2 --net "w_$v.safetensors" -q
    expect_grep "the tensor is named ($v)" "tensor 'features\.[0-9]*\.\(weight\|bias\)'.*$(
        [ $v = nan ] && echo NaN || echo infinite)" "$T/err"
    expect_err "gram-preset --net with $v weights" 1 wn.safetensors $TO "$GC" gram-preset save s.png \
        --net "w_$v.safetensors" -o wn.safetensors
done
cp "$V" w_big.safetensors
n=$(od -An -t u8 -N 8 w_big.safetensors | tr -d ' ')
size=$(stat -c %s w_big.safetensors)
# every value 3e38 (finite, but the features overflow float32)
for i in $(seq 1 $(( (size - 8 - n) / 4 ))); do printf '\xe6\xb1\x61\x7f'; done \
    | dd of=w_big.safetensors bs=1 seek=$((8 + n)) conv=notrunc status=none
expect_err "texture --net with 3e38 weights: refused" 1 wb.png $TO "$GC" texture s.png -o wb.png \
    --size 16,16 --iters 2 --net w_big.safetensors -q --stats-json wb.json
expect_grep "3e38: the loss is named" "loss is \(NaN\|infinite\)" "$T/err"
check "no stats file" '[ ! -e wb.json ]'
expect_err "gram-preset --net with 3e38 weights: refused" 1 wb.safetensors $TO "$GC" gram-preset \
    save s.png --net w_big.safetensors -o wb.safetensors
expect_rc "texture stats" 0 $TO "$GC" texture s.png -o st.png $TX -q --stats-json st.json
check "stats JSON has no nan/inf" '! grep -qi "nan\|inf" st.json && grep -q "\"final_loss\":[0-9]" st.json'
run $TO "$GC" bench conv --input 1,1,8,8 --weight 1,1,3,3 --repeat 1
check "bench JSON has no nan/inf" '[ $RC -eq 0 ] && ! grep -qi "nan\|inf" "$T/out"'

# ---- 8. a FIFO as input is refused at once -----------------------------------------------------
fresh
mkfifo in_fifo.npy in_fifo.png in_fifo.safetensors
expect_err "xcorr2 FIFO input" 1 o.npy timeout 10 "$GC" xcorr2 in_fifo.npy "$K" -o o.npy
expect_grep "FIFO: not a regular file" "not a regular file" "$T/err"
expect_err "gram --max-memory FIFO input" 1 o.npy timeout 10 "$GC" gram in_fifo.npy --max-memory 1M -o o.npy
expect_err "texture FIFO sample" 1 o.png timeout 10 "$GC" texture in_fifo.png -o o.png $TX -q
expect_err "texture FIFO preset" 1 o.png timeout 10 "$GC" texture --preset in_fifo.safetensors -o o.png -q

# ---- 9. long names -------------------------------------------------------------------------------
fresh
long=$(printf 'n%.0s' $(seq 1 250))
expect_ok "xcorr2 -o 254-character name" $TO "$GC" xcorr2 "$IN" "$K" -o "$long.npy"
check "the long-named output" 'cmp -s "$long.npy" ref.npy && no_temps'
expect_rc "texture -o 254-character name" 0 $TO "$GC" texture s.png -o "$long.png" $TX -q
check "the long-named image" '[ -s "$long.png" ] && no_temps'
expect_err "a 256-character name" 1 - $TO "$GC" xcorr2 "$IN" "$K" -o "${long}xxxxxx"
check "the reason ends the line" 'grep -q "File name too long$" "$T/err"'
expect_err "a long name in a missing directory" 1 - $TO "$GC" xcorr2 "$IN" "$K" -o "$long/$long/x.npy"
check "the reason is there" 'grep -q "does not exist" "$T/err"'

# ---- 10. an unwritable directory fails before any work ------------------------------------------
fresh
if [ "$(id -u)" -eq 0 ]; then ro_out=/proc/out.png; else   # root writes anywhere but there
    mkdir ro && chmod 555 ro && ro_out=ro/out.png; fi
run $TO "$GC" texture s.png -o "$ro_out" --size 16,16 --iters 200 --layers 3 --filters 4
check "unwritable directory: exit 1, one line, no progress" '[ $RC -eq 1 ] &&
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^gramconv: output: cannot write" "$T/err"'
expect_err "unwritable directory for --stats-json" 1 early.png $TO "$GC" texture s.png -o early.png \
    $TX -q --stats-json "${ro_out%.png}.json"

# ---- 11. blend weights at the ends of the doubles -----------------------------------------------
fresh
$TO "$GC" gram-preset save s.png --layers 3 --filters 4 --center 0.5,0.5,0.5 -o p1.safetensors >/dev/null &&
$TO "$GC" sample -o c.png --size 16,16 --seed 7 >/dev/null &&
$TO "$GC" gram-preset save c.png --layers 3 --filters 4 --center 0.5,0.5,0.5 -o p2.safetensors >/dev/null
expect_rc "blend 1,1" 0 $TO "$GC" texture --preset p1.safetensors,p2.safetensors --blend-weights 1,1 \
    -o b11.png --size 16,16 --iters 3 -q
for w in 1e308,1e308 1e-320,1e-320 4.9e-324,4.9e-324; do
    expect_rc "blend $w" 0 $TO "$GC" texture --preset p1.safetensors,p2.safetensors --blend-weights $w \
        -o bw.png --size 16,16 --iters 3 -q
    check "blend $w equals blend 1,1" 'cmp -s bw.png b11.png'
done
expect_rc "blend 1,3" 0 $TO "$GC" texture --preset p1.safetensors,p2.safetensors --blend-weights 1,3 \
    -o b13.png --size 16,16 --iters 3 -q
expect_rc "blend 1e-310,3e-310" 0 $TO "$GC" texture --preset p1.safetensors,p2.safetensors \
    --blend-weights 1e-310,3e-310 -o bw.png --size 16,16 --iters 3 -q
$TO "$GC" image-to-npy bw.png -o bw.npy >/dev/null 2>&1; $TO "$GC" image-to-npy b13.png -o b13.npy >/dev/null 2>&1
expect_rc "blend 1e-310,3e-310 is blend 1,3 (within two levels)" 0 $TO "$GC" compare bw.npy b13.npy \
    --rtol 0 --atol 0.008
expect_err "blend 1e308,1e-320: ratio refused" 2 bw.png $TO "$GC" texture \
    --preset p1.safetensors,p2.safetensors --blend-weights 1e308,1e-320 -o bw.png -q

[ "$SKIPPED" -gt 0 ] && echo "cli_harden: $SKIPPED skipped"
cli_summary cli_harden
