#!/usr/bin/env bash
# cli_test.sh - end-to-end tests of the gramconv command-line tool.
#
#   bash tests/cli_test.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# Needs only bash and coreutils (no Python): the expected outputs are committed .npy files made
# by tests/golden/make_golden_cli.py, and results are compared with `gramconv compare`.
# Every error case checks: non-zero exit, exactly one stderr line starting "gramconv: ", and
# no output file. Ends with "N passed, N failed"; exits 1 on any failure.
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash tests/cli_test.sh PATH/TO/gramconv GOLDEN_DIR" >&2
    exit 2
fi
GC=$1
G=$2
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
if [ ! -x "$GC" ]; then echo "cli_test: $GC is not an executable" >&2; exit 2; fi
if [ ! -f "$G/cli_x2_in.npy" ]; then echo "cli_test: no golden files in $G" >&2; exit 2; fi

T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }

# run CMD... : runs it, keeping stdout in $T/out, stderr in $T/err, the exit code in RC.
run() {
    "$@" >"$T/out" 2>"$T/err"
    RC=$?
}

# expect_ok NAME CMD... : exit 0 and nothing on stderr.
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

# expect_err NAME WANT_RC OUTFILE CMD... : non-zero exit (WANT_RC if not "any"), exactly one
# stderr line starting "gramconv: ", and OUTFILE (if not "-") absent afterwards.
expect_err() {
    local name=$1 want=$2 outfile=$3
    shift 3
    run "$@"
    local lines
    lines=$(wc -l <"$T/err")
    if [ "$RC" -eq 0 ]; then
        fail "$name: exit 0, expected a failure"
    elif [ "$want" != any ] && [ "$RC" -ne "$want" ]; then
        fail "$name: exit $RC, expected $want (stderr: $(head -c 300 "$T/err"))"
    else
        pass
    fi
    if [ "$lines" -ne 1 ] || ! head -n 1 "$T/err" | grep -q '^gramconv: .'; then
        fail "$name: stderr is not one 'gramconv: ' line: [$(head -c 300 "$T/err")]"
    else
        pass
    fi
    if [ "$(tail -c 1 "$T/err" | od -An -c | tr -d ' ')" != '\n' ]; then
        fail "$name: stderr line does not end with a newline"
    fi
    if [ "$outfile" != - ]; then
        if [ -e "$outfile" ]; then
            fail "$name: output file $outfile exists after a failure"
        else
            pass
        fi
    fi
}

# expect_close NAME OUT EXPECTED [RTOL ATOL] : gramconv compare says they are close.
expect_close() {
    local name=$1 out=$2 want=$3 rtol=${4:-1e-12} atol=${5:-1e-12}
    if [ ! -f "$out" ]; then
        fail "$name: no output file $out"
        return
    fi
    run "$GC" compare "$out" "$want" --rtol "$rtol" --atol "$atol"
    if [ "$RC" -ne 0 ]; then
        fail "$name: $(cat "$T/out" "$T/err" | head -c 400)"
    else
        pass
    fi
}

# expect_dtype NAME FILE f4|f8 : the .npy header says '<f4' / '<f8'.
expect_dtype() {
    if head -c 128 "$2" 2>/dev/null | grep -a -q "'descr': '<$3'"; then
        pass
    else
        fail "$1: $2 is not <$3: $(head -c 80 "$2" 2>/dev/null | tr -cd '[:print:]')"
    fi
}

# expect_grep NAME PATTERN FILE
expect_grep() {
    if grep -q -- "$2" "$3"; then pass; else fail "$1: '$2' not in output: $(head -c 300 "$3")"; fi
}

# ---- version, help -------------------------------------------------------------------------
expect_ok "--version" "$GC" --version
if grep -Eq '^gramconv [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" && [ "$(wc -l <"$T/out")" -eq 1 ]; then
    pass
else
    fail "--version printed: $(cat "$T/out")"
fi
expect_ok "--help" "$GC" --help
for sub in xcorr2 conv2 xcorr3 conv3 demo bench compare; do
    expect_grep "--help lists $sub" "^  $sub " "$T/out"
done
expect_ok "-h" "$GC" -h
for sub in xcorr2 conv2 xcorr3 conv3 demo bench compare; do
    expect_ok "$sub --help" "$GC" "$sub" --help
    expect_grep "$sub --help" "usage: gramconv $sub" "$T/out"
    expect_ok "help $sub" "$GC" help "$sub"
    expect_ok "$sub -h (after args)" "$GC" "$sub" a.npy -h
done

expect_ok "help" "$GC" help
expect_grep "help lists demo" "^  demo " "$T/out"
expect_err "help for an unknown subcommand" 2 - "$GC" help frobnicate
if [ -w /dev/full ]; then
    expect_err "stdout write error is reported" 1 - sh -c '"$0" --help >/dev/full' "$GC"
fi

# ---- demo ----------------------------------------------------------------------------------
expect_ok "demo" "$GC" demo
expect_grep "demo prints 88" "xcorr2 V *= 88 .*ok$" "$T/out"
expect_grep "demo prints 81" "conv2 V *= 81 .*ok$" "$T/out"
expect_grep "demo xcorr2 F" "\[\[8, 47, 35\], \[30, 88, 53\], \[18, 39, 20\]\] .*ok$" "$T/out"
expect_grep "demo conv2 F" "\[\[5, 31, 30\], \[22, 81, 64\], \[21, 52, 32\]\] .*ok$" "$T/out"
if grep -q MISMATCH "$T/out"; then fail "demo: MISMATCH"; else pass; fi
expect_ok "demo on scalar ISA" env GC_ISA=scalar "$GC" demo
expect_ok "demo with 1 thread" env GC_NUM_THREADS=1 "$GC" demo

# ---- the ops against the golden files --------------------------------------------------------
for op in xcorr2 conv2; do
    for m in V F S; do
        expect_ok "$op $m f64" "$GC" "$op" "$G/cli_x2_in.npy" "$G/cli_x2_k.npy" --mode "$m" -o "o_$op$m.npy"
        expect_close "$op $m f64" "o_$op$m.npy" "$G/cli_${op}_$m.npy"
        expect_dtype "$op $m f64 dtype" "o_$op$m.npy" f8
        expect_ok "$op $m f32" "$GC" "$op" "$G/cli_x2_in_f32.npy" "$G/cli_x2_k_f32.npy" --mode "$m" -o "o_$op${m}32.npy"
        expect_close "$op $m f32" "o_$op${m}32.npy" "$G/cli_${op}_${m}_f32.npy" 1e-5 1e-5
        expect_dtype "$op $m f32 dtype" "o_$op${m}32.npy" f4
        expect_ok "$op $m planes" "$GC" "$op" "$G/cli_p_in.npy" "$G/cli_p_k.npy" --mode "$m" -o "o_p$op$m.npy"
        expect_close "$op $m planes" "o_p$op$m.npy" "$G/cli_${op}_planes_$m.npy"
        expect_ok "$op $m sum 3Dx4D" "$GC" "$op" "$G/cli_p_in.npy" "$G/cli_s_k.npy" --mode "$m" -o "o_s$op$m.npy"
        expect_close "$op $m sum 3Dx4D" "o_s$op$m.npy" "$G/cli_${op}_sum_$m.npy"
    done
done
for op in xcorr3 conv3; do
    for m in V F S; do
        expect_ok "$op $m" "$GC" "$op" "$G/cli_v_in.npy" "$G/cli_v_k.npy" --mode "$m" -o "o_$op$m.npy"
        expect_close "$op $m" "o_$op$m.npy" "$G/cli_${op}_$m.npy"
        expect_ok "$op $m per volume" "$GC" "$op" "$G/cli_vp_in.npy" "$G/cli_vp_k.npy" --mode "$m" -o "o_p$op$m.npy"
        expect_close "$op $m per volume" "o_p$op$m.npy" "$G/cli_${op}_planes_$m.npy"
        expect_ok "$op $m sum 4Dx5D" "$GC" "$op" "$G/cli_vp_in.npy" "$G/cli_vs_k.npy" --mode "$m" -o "o_s$op$m.npy"
        expect_close "$op $m sum 4Dx5D" "o_s$op$m.npy" "$G/cli_${op}_sum_$m.npy"
    done
done

# Mixed float32 input with float64 kernel: computed and written as float64.
expect_ok "mixed dtypes" "$GC" xcorr2 "$G/cli_x2_in_f32.npy" "$G/cli_x2_k.npy" --mode F -o mixed.npy
expect_close "mixed dtypes" mixed.npy "$G/cli_xcorr2_mixed_F.npy"
expect_dtype "mixed dtypes -> float64" mixed.npy f8
expect_ok "mixed dtypes (kernel f32)" "$GC" xcorr2 "$G/cli_x2_in.npy" "$G/cli_x2_k_f32.npy" -o mixed2.npy
expect_dtype "mixed dtypes (kernel f32) -> float64" mixed2.npy f8

# Big-endian and Fortran-order inputs give the same result.
expect_ok "big-endian input" "$GC" xcorr2 "$G/cli_x2_in_be.npy" "$G/cli_x2_k.npy" --mode F -o be.npy
expect_close "big-endian input" be.npy "$G/cli_xcorr2_F.npy"
expect_ok "Fortran-order input" "$GC" conv2 "$G/cli_x2_in_fortran.npy" "$G/cli_x2_k.npy" --mode S -o fo.npy
expect_close "Fortran-order input" fo.npy "$G/cli_conv2_S.npy"

# Option spellings and placement: all give the full xcorr2.
n=0
for args in "--mode F" "--mode=F" "-m F" "--mode f" "--mode full" "--mode FULL" "--mode Full" "-mF"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    expect_ok "mode spelling '$args'" "$GC" xcorr2 $args "$G/cli_x2_in.npy" "$G/cli_x2_k.npy" -o "sp$n.npy"
    expect_close "mode spelling '$args'" "sp$n.npy" "$G/cli_xcorr2_F.npy"
done
for m in v valid Valid VALID s same Same; do
    expect_ok "mode '$m'" "$GC" conv2 "$G/cli_x2_in.npy" "$G/cli_x2_k.npy" --mode "$m" -o "m_$m.npy"
done
expect_close "mode 'Valid'" m_Valid.npy "$G/cli_conv2_V.npy"
expect_close "mode 'Same'" m_Same.npy "$G/cli_conv2_S.npy"
expect_ok "default mode is V" "$GC" xcorr2 "$G/cli_x2_in.npy" "$G/cli_x2_k.npy" -o dflt.npy
expect_close "default mode is V" dflt.npy "$G/cli_xcorr2_V.npy"
expect_ok "options first" "$GC" xcorr2 -o first.npy --threads=2 --mode F "$G/cli_x2_in.npy" "$G/cli_x2_k.npy"
expect_close "options first" first.npy "$G/cli_xcorr2_F.npy"
expect_ok "options between" "$GC" xcorr2 "$G/cli_x2_in.npy" --output=between.npy "$G/cli_x2_k.npy" -mF
expect_close "options between" between.npy "$G/cli_xcorr2_F.npy"
expect_ok "-- ends options" "$GC" xcorr2 -o dd.npy -- "$G/cli_x2_in.npy" "$G/cli_x2_k.npy"
expect_close "-- ends options" dd.npy "$G/cli_xcorr2_V.npy"

# Thread counts give the same answer (bitwise reproducibility is per thread count; the
# comparison is with tolerance).
for t in 1 2 3 7 1024; do
    expect_ok "--threads $t" "$GC" xcorr2 "$G/cli_p_in.npy" "$G/cli_s_k.npy" --mode F --threads "$t" -o "t$t.npy"
    expect_close "--threads $t" "t$t.npy" "$G/cli_xcorr2_sum_F.npy"
done
# Forced ISA paths through the environment.
for isa in scalar avx2 avx512; do
    expect_ok "GC_ISA=$isa" env GC_ISA=$isa "$GC" conv2 "$G/cli_p_in.npy" "$G/cli_s_k.npy" --mode S -o "isa_$isa.npy"
    expect_close "GC_ISA=$isa" "isa_$isa.npy" "$G/cli_conv2_sum_S.npy"
done

# An existing output is replaced on success...
printf 'old' >replace.npy
expect_ok "replace existing output" "$GC" xcorr2 "$G/cli_x2_in.npy" "$G/cli_x2_k.npy" -o replace.npy
expect_close "replace existing output" replace.npy "$G/cli_xcorr2_V.npy"
# ...and left untouched on failure.
printf 'keep' >keep.npy
expect_err "failure keeps existing output" 1 - "$GC" xcorr2 "$G/cli_x2_in.npy" "$G/cli_big_k.npy" -o keep.npy
if [ "$(cat keep.npy)" = keep ]; then pass; else fail "failure changed an existing output file"; fi
if ls -A | grep keep | grep -qvx keep.npy; then fail "temporary file left behind: $(ls -A | grep keep)"; else pass; fi

# ---- errors -------------------------------------------------------------------------------
IN=$G/cli_x2_in.npy
K=$G/cli_x2_k.npy
expect_err "no subcommand" 2 - "$GC"
expect_err "unknown subcommand" 2 - "$GC" frobnicate
expect_err "unknown top-level option" 2 - "$GC" --frobnicate
expect_err "extra arg after --version" 2 - "$GC" --version extra
expect_err "missing input file" 1 e1.npy "$GC" xcorr2 nonexistent.npy "$K" -o e1.npy
expect_err "missing kernel file" 1 e2.npy "$GC" xcorr2 "$IN" nonexistent.npy -o e2.npy
expect_err "input is a directory" 1 e3.npy "$GC" xcorr2 "$T" "$K" -o e3.npy
printf 'this is not a numpy file\n' >notnpy.npy
expect_err "not a .npy file" 1 e4.npy "$GC" xcorr2 notnpy.npy "$K" -o e4.npy
: >empty_file.npy
expect_err "empty file" 1 e5.npy "$GC" xcorr2 empty_file.npy "$K" -o e5.npy
head -c 100 "$IN" >trunc.npy
expect_err "truncated .npy" 1 e6.npy "$GC" xcorr2 trunc.npy "$K" -o e6.npy
expect_err "integer .npy" 1 e7.npy "$GC" xcorr2 "$G/cli_bad_int.npy" "$K" -o e7.npy
expect_err "empty dimension" 1 e8.npy "$GC" xcorr2 "$G/cli_empty.npy" "$K" -o e8.npy
for m in X "" VV vali 0 "V " fulll; do
    expect_err "bad mode '$m'" 2 e9.npy "$GC" xcorr2 "$IN" "$K" --mode "$m" -o e9.npy
done
expect_err "mode without value" 2 - "$GC" xcorr2 "$IN" "$K" -o e10.npy --mode
[ -e e10.npy ] && fail "mode without value: output created" || pass
expect_err "unknown long option" 2 e11.npy "$GC" xcorr2 "$IN" "$K" --bogus -o e11.npy
expect_err "unknown short option" 2 e12.npy "$GC" xcorr2 "$IN" "$K" -z -o e12.npy
expect_err "flag with a value" 2 e13.npy "$GC" xcorr2 "$IN" "$K" --help=yes -o e13.npy
for t in 0 -1 99999 1025 abc "" 2x " 2" 1.5 99999999999999999999999 -9223372036854775809; do
    expect_err "--threads '$t'" 2 e14.npy "$GC" xcorr2 "$IN" "$K" --threads "$t" -o e14.npy
done
expect_err "--threads=0" 2 e15.npy "$GC" xcorr2 "$IN" "$K" --threads=0 -o e15.npy
expect_err "threads without value" 2 - "$GC" xcorr2 "$IN" "$K" -o e16.npy --threads
expect_err "missing -o" 2 - "$GC" xcorr2 "$IN" "$K"
expect_err "empty -o" 2 - "$GC" xcorr2 "$IN" "$K" -o ""
expect_err "missing kernel argument" 2 e17.npy "$GC" xcorr2 "$IN" -o e17.npy
expect_err "missing both arguments" 2 e18.npy "$GC" xcorr2 -o e18.npy
expect_err "too many arguments" 2 e19.npy "$GC" xcorr2 "$IN" "$K" "$K" -o e19.npy
expect_err "rank mismatch 2D x 4D" 1 e20.npy "$GC" xcorr2 "$IN" "$G/cli_k4.npy" -o e20.npy
expect_err "rank mismatch 2D x 3D" 1 e21.npy "$GC" conv2 "$IN" "$G/cli_p_k.npy" -o e21.npy
expect_err "2-D data for xcorr3" 1 e22.npy "$GC" xcorr3 "$IN" "$K" -o e22.npy
expect_err "plane mismatch 3Dx3D" 1 e23.npy "$GC" xcorr2 "$G/cli_p_in.npy" "$G/cli_vp_k.npy" -o e23.npy
expect_err "plane mismatch 3Dx4D" 1 e24.npy "$GC" conv2 "$G/cli_p_in.npy" "$G/cli_k4.npy" -o e24.npy
expect_err "kernel too big in V" 1 e25.npy "$GC" xcorr2 "$IN" "$G/cli_big_k.npy" -o e25.npy
expect_err "kernel too big in V (3D)" 1 e26.npy "$GC" conv3 "$G/cli_v_k.npy" "$G/cli_v_in.npy" --mode valid -o e26.npy
expect_err "output dir does not exist" 1 nodir/out.npy "$GC" xcorr2 "$IN" "$K" -o nodir/out.npy
[ -d nodir ] && fail "output dir was created" || pass
expect_err "output is a directory" any - "$GC" xcorr2 "$IN" "$K" -o "$T"
expect_err "output ends in /" any - "$GC" xcorr2 "$IN" "$K" -o "sub/"
expect_err "demo takes no arguments" 2 - "$GC" demo extra
expect_err "demo unknown option" 2 - "$GC" demo --fast
expect_err "newline in an argument stays one line" 2 - "$GC" xcorr2 "$IN" "$K" --mode "$(printf 'a\nb')" -o e27.npy
expect_err "newline in a file name stays one line" 1 - "$GC" xcorr2 "$(printf 'no\nsuch.npy')" "$K" -o e28.npy
# A kernel that is larger in one dim only is fine in F and S.
expect_ok "big kernel in F" "$GC" xcorr2 "$IN" "$G/cli_big_k.npy" --mode F -o bigF.npy
expect_ok "big kernel in S" "$GC" xcorr2 "$IN" "$G/cli_big_k.npy" --mode S -o bigS.npy

# ---- compare ------------------------------------------------------------------------------
expect_ok "compare identical" "$GC" compare "$G/cli_xcorr2_F.npy" "$G/cli_xcorr2_F.npy"
expect_grep "compare identical prints close" "^close" "$T/out"
run "$GC" compare "$G/cli_xcorr2_F.npy" "$G/cli_conv2_F.npy"
[ "$RC" -eq 1 ] && pass || fail "compare different: exit $RC"
expect_grep "compare different prints differ" "^differ" "$T/out"
run "$GC" compare "$G/cli_xcorr2_F.npy" "$G/cli_xcorr2_V.npy"
[ "$RC" -eq 1 ] && pass || fail "compare shapes: exit $RC"
expect_grep "compare shapes" "shapes differ" "$T/out"
expect_ok "compare f32 vs f64 with tolerance" "$GC" compare "$G/cli_x2_in_f32.npy" "$G/cli_x2_in.npy" --rtol 1e-6 --atol=1e-7
run "$GC" compare "$G/cli_x2_in_f32.npy" "$G/cli_x2_in.npy" --rtol 0 --atol 0
[ "$RC" -eq 1 ] && pass || fail "compare f32 vs f64 exact: exit $RC"
expect_err "compare missing file" 2 - "$GC" compare nonexistent.npy "$IN"
expect_err "compare one file" 2 - "$GC" compare "$IN"
for v in -1 abc nan inf "" 1e999; do
    expect_err "compare --rtol '$v'" 2 - "$GC" compare "$IN" "$IN" --rtol "$v"
done

# ---- bench --------------------------------------------------------------------------------
expect_ok "bench xcorr2" "$GC" bench xcorr2 --input 64,64 --kernel 3,3 --threads 1 --repeat 3
expect_grep "bench json" '^{"op":"xcorr2","shape":"input=64x64,kernel=3x3","mode":"V","dtype":"f32","threads":1,"isa":"[a-z0-9]*","ms":[0-9.e+-]*,"gflops":[0-9.e+-]*,"repeats":3}$' "$T/out"
[ "$(wc -l <"$T/out")" -eq 1 ] && pass || fail "bench: not one line"
expect_ok "bench 3Dx4D f64 F" "$GC" bench xcorr2 --input=8,16,16 --kernel=4,8,3,3 --mode F --dtype f64 --repeat 2
expect_grep "bench 3Dx4D" '"shape":"input=8x16x16,kernel=4x8x3x3","mode":"F","dtype":"f64"' "$T/out"
expect_ok "bench plane-wise" "$GC" bench --input 4x20x20 --kernel 4x5x5 --mode S --repeat 2
expect_grep "bench plane-wise" '"op":"xcorr2","shape":"input=4x20x20,kernel=4x5x5","mode":"S"' "$T/out"
expect_ok "bench conv2" "$GC" bench conv2 --input 40,40 --kernel 7,7 --repeat 2
expect_ok "bench xcorr3" "$GC" bench xcorr3 --input 12,12,12 --kernel 3,3,3 --repeat 2
expect_grep "bench xcorr3" '"op":"xcorr3"' "$T/out"
expect_ok "bench conv3 4Dx5D" "$GC" bench conv3 --input 2,8,8,8 --kernel 3,2,3,3,3 --repeat 2
expect_ok "bench --isa scalar" "$GC" bench --input 32,32 --kernel 3,3 --isa scalar --repeat 2
expect_grep "bench --isa scalar" '"isa":"scalar"' "$T/out"
expect_ok "bench automatic repeats" "$GC" bench --input 16,16 --kernel 3,3 --threads 1
if grep -Eq '"repeats":([5-9]|[1-9][0-9]+)}' "$T/out"; then pass; else fail "bench: fewer than 5 repeats: $(cat "$T/out")"; fi
expect_ok "bench default suite" "$GC" bench --repeat 1 --mode V --threads 2
[ "$(wc -l <"$T/out")" -eq 4 ] && pass || fail "bench default suite (V): $(wc -l <"$T/out") lines"
expect_grep "bench default suite multi-plane" '"shape":"input=64x56x56,kernel=64x64x3x3"' "$T/out"
expect_err "bench unknown op" 2 - "$GC" bench frob --input 3,3 --kernel 3,3
expect_err "bench --input alone" 2 - "$GC" bench --input 3,3
expect_err "bench --kernel alone" 2 - "$GC" bench --kernel 3,3
for d in "" "3,x" "3,,3" ",3" "3," "0,3" "-3,3" "3 3" "99999999999,3" "1,1,1,1,1,1,1,1,1"; do
    expect_err "bench --input '$d'" 2 - "$GC" bench --input "$d" --kernel 3,3
done
expect_err "bench kernel too big" 1 - "$GC" bench --input 4,4 --kernel 5,5
expect_err "bench rank mismatch" 1 - "$GC" bench --input 4,4 --kernel 2,2,2
expect_err "bench bad dtype" 2 - "$GC" bench --input 4,4 --kernel 2,2 --dtype f16
expect_err "bench bad isa" 2 - "$GC" bench --input 4,4 --kernel 2,2 --isa sse9
expect_err "bench bad repeat" 2 - "$GC" bench --input 4,4 --kernel 2,2 --repeat 0
expect_err "bench bad threads" 2 - "$GC" bench --input 4,4 --kernel 2,2 --threads 0
expect_err "bench too large" 1 - "$GC" bench --input 2000000000,2000000000 --kernel 1,1

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
