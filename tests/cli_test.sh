#!/usr/bin/env bash
# cli_test.sh - end-to-end tests of the gramconv command-line tool.
#
#   bash tests/cli_test.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# Needs only bash, coreutils and awk (no Python): the expected outputs are committed .npy files
# made by tests/golden/make_golden_cli.py and make_golden_cli_gram.py, and results are compared
# with `gramconv compare` (style-loss values with awk).
# Every error case checks: non-zero exit, exactly one stderr line starting "gramconv: ", and
# no output file (helpers in cli_lib.sh). Ends with "cli_test: N passed, N failed"; exits 1 on
# any failure.
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

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
CLI_TOL=1e-12
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

# ---- version, help -------------------------------------------------------------------------
expect_ok "--version" "$GC" --version
if grep -Eq '^gramconv [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" && [ "$(wc -l <"$T/out")" -eq 1 ]; then
    pass
else
    fail "--version printed: $(cat "$T/out")"
fi
expect_ok "--help" "$GC" --help
SUBS="xcorr2 conv2 xcorr3 conv3 gram gram-backward style-loss spatialconv demo bench compare"
for sub in $SUBS; do
    expect_grep "--help lists $sub" "^  $sub " "$T/out"
done
expect_ok "-h" "$GC" -h
for sub in $SUBS; do
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
expect_grep "demo SpatialConvolution 88" "SpatialConvolution(1,1,2,2):noBias() *= 88 .*ok$" "$T/out"
expect_grep "demo gram" "gram --norm none *= \[\[26, 23\], \[23, 25\]\] *expected \[\[26, 23\], \[23, 25\]\] .*ok$" "$T/out"
expect_grep "demo all ok" "^\([0-9][0-9]*\) of \1 ok$" "$T/out"
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
expect_grep "bench json" '^{"op":"xcorr2","shape":"input=64x64,kernel=3x3","mode":"V","method":"direct","dtype":"f32","threads":1,"isa":"[a-z0-9]*","ms":[0-9.e+-]*,"gflops":[0-9.e+-]*,"repeats":3}$' "$T/out"
[ "$(wc -l <"$T/out")" -eq 1 ] && pass || fail "bench: not one line"
expect_ok "bench 3Dx4D f64 F" "$GC" bench xcorr2 --input=8,16,16 --kernel=4,8,3,3 --mode F --dtype f64 --repeat 2
expect_grep "bench 3Dx4D" '"shape":"input=8x16x16,kernel=4x8x3x3","mode":"F","method":"direct","dtype":"f64"' "$T/out"
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

# ---- gram, gram-backward, style-loss ---------------------------------------------------------
X4=$G/cli_gram_x4.npy
for norm in none hw chw; do
    for c in "" _c; do
        flag=
        [ -n "$c" ] && flag=--center
        # shellcheck disable=SC2086
        expect_ok "gram --norm $norm $flag" "$GC" gram "$X4" --norm "$norm" $flag -o "g_$norm$c.npy"
        expect_close "gram --norm $norm $flag" "g_$norm$c.npy" "$G/cli_gram_G4_$norm$c.npy"
        expect_dtype "gram --norm $norm $flag dtype" "g_$norm$c.npy" f8
    done
done
expect_ok "gram default norm is hw" "$GC" gram "$X4" -o g_default.npy
expect_close "gram default norm is hw" g_default.npy "$G/cli_gram_G4_hw.npy"
expect_ok "gram --norm CHW --center --scale -2.5" "$GC" gram --norm=CHW --center --scale -2.5 "$X4" -o g_s.npy
expect_close "gram --norm CHW --center --scale -2.5" g_s.npy "$G/cli_gram_G4_chw_c_s.npy"
expect_ok "gram 3-D C x H x W" "$GC" gram "$G/cli_gram_x3.npy" -o g3.npy
expect_close "gram 3-D C x H x W" g3.npy "$G/cli_gram_G3_hw.npy"
expect_ok "gram 2-D M x K" "$GC" gram "$G/cli_gram_x2.npy" --norm hw -o g2.npy
expect_close "gram 2-D M x K" g2.npy "$G/cli_gram_G2_hw.npy"
expect_ok "gram float32" "$GC" gram "$G/cli_gram_x4_f32.npy" --threads 1 -o g32.npy
expect_close "gram float32" g32.npy "$G/cli_gram_G4_f32_hw.npy" 1e-5 1e-6
expect_dtype "gram float32 dtype" g32.npy f4

for v in hw none chw_c hw_c_s; do
    case $v in
        hw) args="" ;;
        none) args="--norm none" ;;
        chw_c) args="--norm chw --center" ;;
        hw_c_s) args="--center --scale 3" ;;
    esac
    # shellcheck disable=SC2086
    expect_ok "gram-backward $v" "$GC" gram-backward "$X4" "$G/cli_gram_dG4.npy" $args -o "gb_$v.npy"
    expect_close "gram-backward $v" "gb_$v.npy" "$G/cli_gram_bwd4_$v.npy"
done
expect_ok "gram-backward 3-D" "$GC" gram-backward "$G/cli_gram_x3.npy" "$G/cli_gram_dG3.npy" -o gb3.npy
expect_close "gram-backward 3-D" gb3.npy "$G/cli_gram_bwd3_hw.npy"
expect_ok "gram-backward mixed f32 input, f64 dG" "$GC" gram-backward "$G/cli_gram_x4_f32.npy" "$G/cli_gram_dG4.npy" -o gb_mixed.npy
expect_dtype "gram-backward mixed -> float64" gb_mixed.npy f8
expect_close "gram-backward mixed" gb_mixed.npy "$G/cli_gram_bwd4_hw.npy" 1e-5 1e-6

# expect_loss NAME WANT_FILE : stdout is one line "loss V" with V close to the value in WANT_FILE.
expect_loss() {
    local got want
    if [ "$(wc -l <"$T/out")" -ne 1 ] || ! grep -Eq '^loss [-+0-9.eE]+$' "$T/out"; then
        fail "$1: stdout is not one 'loss VALUE' line: [$(head -c 200 "$T/out")]"
        return
    fi
    got=$(sed 's/^loss //' "$T/out")
    want=$(cat "$2")
    if awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
                                             exit !(d <= 1e-12 * m + 1e-15) }'; then
        pass
    else
        fail "$1: loss $got, expected $want"
    fi
}
for v in hw chw_c_w none_w; do
    case $v in
        hw) args="" ;;
        chw_c_w) args="--norm chw --center --weight 1e3" ;;
        none_w) args="--norm none --weight=0.5" ;;
    esac
    # shellcheck disable=SC2086
    expect_ok "style-loss $v" "$GC" style-loss "$X4" "$G/cli_gram_T4.npy" $args -o "sl_$v.npy"
    expect_loss "style-loss $v value" "$G/cli_gram_loss4_$v.txt"
    expect_close "style-loss $v gradient" "sl_$v.npy" "$G/cli_gram_loss4_$v.npy"
    # shellcheck disable=SC2086
    expect_ok "style-loss $v without -o" "$GC" style-loss "$X4" "$G/cli_gram_T4.npy" $args
    expect_loss "style-loss $v without -o" "$G/cli_gram_loss4_$v.txt"
done
ls sl_*.npy 2>/dev/null | grep -qv '^sl_\(hw\|chw_c_w\|none_w\)\.npy$' && fail "style-loss: stray files" || pass

# gram refusals
for n in "" HW2 max 1 "hw " frobenius; do
    expect_err "gram bad --norm '$n'" 2 e_g1.npy "$GC" gram "$X4" --norm "$n" -o e_g1.npy
done
for s in abc "" nan inf -inf 1e999 0x10 "1.5x" " 2"; do
    expect_err "gram --scale '$s'" 2 e_g2.npy "$GC" gram "$X4" --scale "$s" -o e_g2.npy
done
expect_err "style-loss --weight abc" 2 - "$GC" style-loss "$X4" "$G/cli_gram_T4.npy" --weight abc
expect_err "gram --weight (style-loss only)" 2 e_g3.npy "$GC" gram "$X4" --weight 2 -o e_g3.npy
expect_err "gram --center=1" 2 e_g4.npy "$GC" gram "$X4" --center=1 -o e_g4.npy
expect_err "gram missing -o" 2 - "$GC" gram "$X4"
expect_err "gram missing input" 2 e_g5.npy "$GC" gram -o e_g5.npy
expect_err "gram extra argument" 2 e_g6.npy "$GC" gram "$X4" "$X4" -o e_g6.npy
expect_err "gram-backward missing dG" 2 e_g7.npy "$GC" gram-backward "$X4" -o e_g7.npy
expect_err "gram-backward missing -o" 2 - "$GC" gram-backward "$X4" "$G/cli_gram_dG4.npy"
expect_err "style-loss missing target" 2 - "$GC" style-loss "$X4"
expect_err "gram 5-D input" 1 e_g8.npy "$GC" gram "$G/cli_vs_k.npy" -o e_g8.npy
expect_err "gram empty dimension" 1 e_g9.npy "$GC" gram "$G/cli_empty.npy" -o e_g9.npy
expect_err "gram missing input file" 1 e_g10.npy "$GC" gram nonexistent.npy -o e_g10.npy
expect_err "gram-backward dG shape mismatch" 1 e_g11.npy "$GC" gram-backward "$X4" "$G/cli_gram_dG3.npy" -o e_g11.npy
expect_err "style-loss target shape mismatch" 1 e_g12.npy "$GC" style-loss "$X4" "$G/cli_gram_G3_hw.npy" -o e_g12.npy
[ -s "$T/out" ] && fail "style-loss failure printed a loss: $(cat "$T/out")" || pass
expect_err "style-loss target shape mismatch (no -o)" 1 - "$GC" style-loss "$X4" "$G/cli_gram_dG3.npy"
expect_err "gram unwritable path" 1 nodir/g.npy "$GC" gram "$X4" -o nodir/g.npy
expect_err "style-loss unwritable path" 1 nodir/sl.npy "$GC" style-loss "$X4" "$G/cli_gram_T4.npy" -o nodir/sl.npy
[ -s "$T/out" ] && fail "style-loss unwritable path printed a loss" || pass
if [ -w /dev/full ]; then
    run sh -c '"$0" style-loss "$1" "$2" -o sl_full.npy >/dev/full' "$GC" "$X4" "$G/cli_gram_T4.npy"
    [ "$RC" -eq 1 ] && [ ! -e sl_full.npy ] && pass || fail "style-loss stdout error: exit $RC, gradient left: $(ls sl_full.npy 2>&1)"
fi
expect_err "gram output is a directory" any - "$GC" gram "$X4" -o "$T"

# ---- spatialconv -------------------------------------------------------------------------------
# sconv_case NAME GEOMETRY... : forward and backward of golden case NAME vs PyTorch.
sconv_case() {
    local name=$1 p=$G/cli_sconv_$1_ bias=()
    shift
    [ -f "${p}b.npy" ] && bias=(--bias "${p}b.npy")
    expect_ok "spatialconv forward $name" "$GC" spatialconv forward "${p}x.npy" "${p}w.npy" "${bias[@]}" "$@" -o "sc_$name.npy"
    expect_close "spatialconv forward $name" "sc_$name.npy" "${p}out.npy" 1e-10 1e-12
    expect_ok "spatialconv backward $name" "$GC" spatialconv backward "${p}x.npy" "${p}w.npy" "${p}gout.npy" "${bias[@]}" "$@" \
        --grad-input "sc_${name}_gi.npy" --grad-weight "sc_${name}_gw.npy" --grad-bias "sc_${name}_gb.npy"
    expect_close "spatialconv grad_input $name" "sc_${name}_gi.npy" "${p}gi.npy" 1e-10 1e-12
    expect_close "spatialconv grad_weight $name" "sc_${name}_gw.npy" "${p}gw.npy" 1e-10 1e-12
    expect_close "spatialconv grad_bias $name" "sc_${name}_gb.npy" "${p}gb.npy" 1e-10 1e-12
}
sconv_case basic --pad 1
sconv_case stride --stride 2,3 --pad 1,0
sconv_case dil --dilation 2,1 --pad=2,1
sconv_case groups --groups 2 --pad 1,1
sconv_case gstride --groups 3 --stride 2 --pad 1,2 --dilation 1,2
sconv_case reflect --pad 1,2 --padding-mode reflect
sconv_case replicate --stride 2,1 --pad 2,1 --padding-mode replicate
sconv_case circular --pad 2,1 --padding-mode circular
sconv_case same --pad same
sconv_case samedil --pad same --dilation 2
sconv_case bigpad --pad 3,2
sconv_case chw
SB=$G/cli_sconv_basic_
expect_ok "spatialconv --stride 1 --dilation 1,1 --groups 1 spelled out" "$GC" spatialconv forward "${SB}x.npy" "${SB}w.npy" --bias "${SB}b.npy" --pad 1 --stride 1 --dilation 1,1 --groups 1 --padding-mode zeros -o sc_spelled.npy
expect_close "spatialconv spelled out" sc_spelled.npy "${SB}out.npy" 1e-10 1e-12
expect_ok "spatialconv float32" "$GC" spatialconv forward "${SB}x_f32.npy" "${SB}w_f32.npy" --bias "${SB}b_f32.npy" --pad 1 -o sc_f32.npy
expect_dtype "spatialconv float32 dtype" sc_f32.npy f4
expect_close "spatialconv float32" sc_f32.npy "${SB}out_mixed.npy" 1e-5 1e-5
expect_ok "spatialconv mixed f32 input, f64 weight" "$GC" spatialconv forward "${SB}x_f32.npy" "${SB}w.npy" --bias "${SB}b.npy" --pad 1 -o sc_mixed.npy
expect_dtype "spatialconv mixed -> float64" sc_mixed.npy f8
expect_close "spatialconv mixed" sc_mixed.npy "${SB}out_mixed.npy" 1e-12 1e-12
expect_ok "spatialconv mixed: float32 bias only" "$GC" spatialconv forward "${SB}x.npy" "${SB}w.npy" --bias "${SB}b_f32.npy" --pad 1 -o sc_mixed_b.npy
expect_dtype "spatialconv mixed bias -> float64" sc_mixed_b.npy f8
expect_close "spatialconv mixed bias" sc_mixed_b.npy "${SB}out.npy" 1e-6 1e-7
expect_ok "spatialconv backward, grad-input only" "$GC" spatialconv backward "${SB}x.npy" "${SB}w.npy" "${SB}gout.npy" --pad 1 --grad-input sc_gi_only.npy
expect_close "spatialconv backward, grad-input only" sc_gi_only.npy "${SB}gi.npy" 1e-10 1e-12
expect_ok "spatialconv backward, grad-bias without --bias" "$GC" spatialconv backward "${SB}x.npy" "${SB}w.npy" "${SB}gout.npy" --pad 1 --grad-input sc_gi2.npy --grad-bias sc_gb2.npy
expect_close "spatialconv backward, grad-bias without --bias" sc_gb2.npy "${SB}gb.npy" 1e-10 1e-12
for t in 1 3; do
    expect_ok "spatialconv --threads $t" "$GC" spatialconv backward "${SB}x.npy" "${SB}w.npy" "${SB}gout.npy" --pad 1 --threads "$t" --grad-input "sc_t$t.npy" --grad-weight "sc_tw$t.npy"
    expect_close "spatialconv --threads $t" "sc_tw$t.npy" "${SB}gw.npy" 1e-10 1e-12
done

# spatialconv refusals
SX=${SB}x.npy
SW=${SB}w.npy
SGO=${SB}gout.npy
expect_err "spatialconv no action" 2 - "$GC" spatialconv
expect_err "spatialconv unknown action" 2 e_s1.npy "$GC" spatialconv sideways "$SX" "$SW" -o e_s1.npy
expect_err "spatialconv forward missing weight" 2 e_s2.npy "$GC" spatialconv forward "$SX" -o e_s2.npy
expect_err "spatialconv forward missing -o" 2 - "$GC" spatialconv forward "$SX" "$SW"
expect_err "spatialconv forward extra argument" 2 e_s3.npy "$GC" spatialconv forward "$SX" "$SW" "$SW" -o e_s3.npy
expect_err "spatialconv forward with --grad-input" 2 e_s4.npy "$GC" spatialconv forward "$SX" "$SW" --grad-input e_s4.npy -o e_s4b.npy
expect_err "spatialconv backward missing --grad-input" 2 e_s5.npy "$GC" spatialconv backward "$SX" "$SW" "$SGO" --grad-weight e_s5.npy
expect_err "spatialconv backward with -o" 2 e_s6.npy "$GC" spatialconv backward "$SX" "$SW" "$SGO" --grad-input e_s6.npy -o e_s6b.npy
expect_err "spatialconv backward missing grad_output" 2 e_s7.npy "$GC" spatialconv backward "$SX" "$SW" --grad-input e_s7.npy
expect_err "spatialconv backward same file twice" 2 e_s8.npy "$GC" spatialconv backward "$SX" "$SW" "$SGO" --grad-input e_s8.npy --grad-weight e_s8.npy
for m in "" zero reflection "zeros " constant; do
    expect_err "spatialconv bad --padding-mode '$m'" 2 e_s9.npy "$GC" spatialconv forward "$SX" "$SW" --padding-mode "$m" -o e_s9.npy
done
for v in 0 -1 "" 1,2,3 "1," ",1" a 1.5 2x2 99999999999; do
    expect_err "spatialconv bad --stride '$v'" 2 e_s10.npy "$GC" spatialconv forward "$SX" "$SW" --stride "$v" -o e_s10.npy
done
for v in -1 "" 1,-1 same2 "1 1"; do
    expect_err "spatialconv bad --pad '$v'" 2 e_s11.npy "$GC" spatialconv forward "$SX" "$SW" --pad "$v" -o e_s11.npy
done
expect_err "spatialconv bad --dilation 0" 2 e_s12.npy "$GC" spatialconv forward "$SX" "$SW" --dilation 0 -o e_s12.npy
for v in 0 -2 x ""; do
    expect_err "spatialconv bad --groups '$v'" 2 e_s13.npy "$GC" spatialconv forward "$SX" "$SW" --groups "$v" -o e_s13.npy
done
expect_err "spatialconv weight channel mismatch" 1 e_s14.npy "$GC" spatialconv forward "$SX" "$G/cli_sconv_groups_w.npy" -o e_s14.npy
expect_err "spatialconv groups not dividing" 1 e_s15.npy "$GC" spatialconv forward "$SX" "$SW" --groups 2 -o e_s15.npy
expect_err "spatialconv output < 1" 1 e_s16.npy "$GC" spatialconv forward "$SX" "$SW" --dilation 5 -o e_s16.npy
expect_err "spatialconv kernel bigger than input" 1 e_s17.npy "$GC" spatialconv forward "$G/cli_sconv_bigpad_x.npy" "$SW" -o e_s17.npy
expect_err "spatialconv weight rank" 1 e_s18.npy "$GC" spatialconv forward "$SX" "$G/cli_x2_k.npy" -o e_s18.npy
expect_err "spatialconv input rank" 1 e_s19.npy "$GC" spatialconv forward "$G/cli_x2_in.npy" "$SW" -o e_s19.npy
expect_err "spatialconv bias length" 1 e_s20.npy "$GC" spatialconv forward "$SX" "$SW" --bias "$G/cli_sconv_dil_b.npy" -o e_s20.npy
expect_err "spatialconv backward bias length" 1 e_s21.npy "$GC" spatialconv backward "$SX" "$SW" "$SGO" --bias "$G/cli_sconv_dil_b.npy" --grad-input e_s21.npy
expect_err "spatialconv backward grad_output shape" 1 e_s22.npy "$GC" spatialconv backward "$SX" "$SW" "$G/cli_sconv_stride_gout.npy" --pad 1 --grad-input e_s22.npy --grad-weight e_s22w.npy
[ -e e_s22w.npy ] && fail "spatialconv backward failure left grad_weight" || pass
expect_err "spatialconv reflect pad too large" 1 e_s23.npy "$GC" spatialconv forward "$SX" "$SW" --pad 6 --padding-mode reflect -o e_s23.npy
expect_err "spatialconv same with stride 2" 1 e_s24.npy "$GC" spatialconv forward "$SX" "$SW" --pad same --stride 2 -o e_s24.npy
expect_err "spatialconv missing input file" 1 e_s25.npy "$GC" spatialconv forward nonexistent.npy "$SW" -o e_s25.npy
expect_err "spatialconv missing bias file" 1 e_s26.npy "$GC" spatialconv forward "$SX" "$SW" --bias nonexistent.npy -o e_s26.npy
expect_err "spatialconv unwritable -o" 1 nodir/sc.npy "$GC" spatialconv forward "$SX" "$SW" -o nodir/sc.npy
expect_err "spatialconv unwritable --grad-weight" 1 e_s27.npy "$GC" spatialconv backward "$SX" "$SW" "$SGO" --pad 1 --grad-input e_s27.npy --grad-weight nodir/gw.npy
# A later write that fails only when written: the earlier outputs of the run are removed.
if [ -d /proc/self ]; then
    expect_err "spatialconv later write fails" 1 e_s28.npy "$GC" spatialconv backward "$SX" "$SW" "$SGO" --pad 1 --grad-input e_s28.npy --grad-weight e_s28w.npy --grad-bias /proc/gb.npy
    [ -e e_s28w.npy ] && fail "spatialconv: grad_weight left after a failed later write" || pass
fi

# ---- bench peak ------------------------------------------------------------------------------
NUM='[0-9.e+-]*'
expect_ok "bench peak" "$GC" bench peak --threads 1 --repeat 1
expect_grep "bench peak json" "^{\"op\":\"peak\",\"shape\":\"fma_chains=1[26]\",\"mode\":\"-\",\"dtype\":\"f32\",\"threads\":1,\"isa\":\"[a-z0-9]*\",\"ms\":$NUM,\"gflops\":$NUM,\"repeats\":1}$" "$T/out"
expect_err "bench peak takes no --shape" 2 - "$GC" bench peak --shape 2,2
# bf16: vdpbf16ps where the CPU has AVX512-BF16, else one error line (exit 1); never on AVX2
run "$GC" bench peak --threads 1 --repeat 1 --dtype bf16
if [ "$RC" -eq 0 ]; then
    expect_grep "bench peak bf16 json" "^{\"op\":\"peak\",\"shape\":\"fma_chains=16\",\"mode\":\"-\",\"dtype\":\"bf16\",\"threads\":1,\"isa\":\"avx512\",\"ms\":$NUM,\"gflops\":$NUM,\"repeats\":1}$" "$T/out"
else
    expect_err "bench peak bf16 refused without AVX512-BF16" 1 - "$GC" bench peak --threads 1 --repeat 1 --dtype bf16
    expect_grep "bench peak bf16 refusal names the feature" "AVX512-BF16" "$T/err"
fi
expect_err "bench peak bf16 on avx2" 1 - "$GC" bench peak --threads 1 --repeat 1 --dtype bf16 --isa avx2

# ---- bench gram / conv --------------------------------------------------------------------------
NUM='[0-9.e+-]*'
expect_ok "bench gram" "$GC" bench gram --shape 2,8,16,16 --threads 1 --repeat 3
expect_grep "bench gram json" "^{\"op\":\"gram\",\"shape\":\"input=2x8x16x16\",\"mode\":\"hw\",\"pass\":\"fwd\",\"dtype\":\"f32\",\"threads\":1,\"isa\":\"[a-z0-9]*\",\"ms\":$NUM,\"gflops\":$NUM,\"repeats\":3}$" "$T/out"
[ "$(wc -l <"$T/out")" -eq 1 ] && pass || fail "bench gram: not one line"
for ps in bwd loss; do
    expect_ok "bench gram --pass $ps" "$GC" bench gram --shape 8,16,16 --pass "$ps" --dtype f64 --repeat 2
    expect_grep "bench gram --pass $ps" "\"shape\":\"input=8x16x16\",\"mode\":\"hw\",\"pass\":\"$ps\",\"dtype\":\"f64\"" "$T/out"
done
expect_ok "bench gram M,K" "$GC" bench gram --shape 12x40 --repeat 2
expect_grep "bench gram M,K" '"shape":"input=12x40"' "$T/out"
run "$GC" bench gram --shape 1,16,8,8 --dtype bf16 --repeat 2
if [ "$RC" -eq 0 ]; then
    expect_grep "bench gram bf16" '"dtype":"bf16"' "$T/out"
else
    expect_err "bench gram bf16 refused cleanly" 1 - "$GC" bench gram --shape 1,16,8,8 --dtype bf16 --repeat 2
fi
expect_ok "bench gram default suite" "$GC" bench gram --repeat 1 --threads 2
[ "$(wc -l <"$T/out")" -eq 6 ] && pass || fail "bench gram default suite: $(wc -l <"$T/out") lines"
expect_grep "bench gram suite first" '"shape":"input=1x64x512x512"' "$T/out"
expect_grep "bench gram suite batch" '"shape":"input=4x256x64x64"' "$T/out"
expect_err "bench gram bad --pass" 2 - "$GC" bench gram --shape 4,4,4 --pass bwd_input
expect_err "bench gram 5-D --shape" 2 - "$GC" bench gram --shape 1,2,3,4,5
expect_err "bench gram 1-D --shape" 2 - "$GC" bench gram --shape 7
expect_err "bench gram --kernel" 2 - "$GC" bench gram --shape 4,4 --kernel 3,3
expect_err "bench gram bad dtype" 2 - "$GC" bench gram --shape 4,4 --dtype f16
expect_err "bench gram too large" 1 - "$GC" bench gram --shape 2000000000,2000000000

expect_ok "bench conv" "$GC" bench conv --input 1,3,12,12 --weight 4,3,3,3 --pad 1 --threads 1 --repeat 3
expect_grep "bench conv json" "^{\"op\":\"conv\",\"shape\":\"input=1x3x12x12,weight=4x3x3x3,stride=1x1,pad=1x1,dilation=1x1,groups=1\",\"mode\":\"zeros\",\"pass\":\"fwd\",\"algo\":\"auto\",\"dtype\":\"f32\",\"threads\":1,\"isa\":\"[a-z0-9]*\",\"ms\":$NUM,\"gflops\":$NUM,\"repeats\":3}$" "$T/out"
for ps in bwd_input bwd_weight; do
    expect_ok "bench conv --pass $ps" "$GC" bench conv --input 2,4,10,9 --weight 6,2,3,3 --groups 2 --stride 2 --dilation 1,2 --pass "$ps" --dtype f64 --repeat 2
    expect_grep "bench conv --pass $ps" "\"shape\":\"input=2x4x10x9,weight=6x2x3x3,stride=2x2,pad=0x0,dilation=1x2,groups=2\",\"mode\":\"zeros\",\"pass\":\"$ps\",\"algo\":\"auto\",\"dtype\":\"f64\"" "$T/out"
done
expect_ok "bench conv --pad same, C,H,W input" "$GC" bench conv --input 3,9,9 --weight 2,3,4,4 --pad same --repeat 2
expect_grep "bench conv --pad same" '"shape":"input=3x9x9,weight=2x3x4x4,stride=1x1,pad=same' "$T/out"
expect_ok "bench conv default suite" "$GC" bench conv --repeat 1 --threads 2
[ "$(wc -l <"$T/out")" -eq 8 ] && pass || fail "bench conv default suite: $(wc -l <"$T/out") lines"
expect_grep "bench conv suite first" '"shape":"input=1x3x224x224,weight=64x3x3x3,stride=1x1,pad=1x1,dilation=1x1,groups=1"' "$T/out"
expect_grep "bench conv suite 5x5" '"shape":"input=1x64x56x56,weight=64x64x5x5,stride=1x1,pad=2x2' "$T/out"
run "$GC" bench conv --input 1,3,8,8 --weight 2,3,3,3 --dtype bf16 --repeat 2
if [ "$RC" -eq 0 ]; then
    expect_grep "bench conv bf16" '"dtype":"bf16"' "$T/out"
else
    expect_err "bench conv bf16 refused cleanly" 1 - "$GC" bench conv --input 1,3,8,8 --weight 2,3,3,3 --dtype bf16 --repeat 2
fi
expect_err "bench conv bf16 backward" 2 - "$GC" bench conv --input 1,3,8,8 --weight 2,3,3,3 --dtype bf16 --pass bwd_input
expect_err "bench conv bad --pass" 2 - "$GC" bench conv --input 1,3,8,8 --weight 2,3,3,3 --pass bwd
expect_err "bench conv --input alone" 2 - "$GC" bench conv --input 1,3,8,8
expect_err "bench conv --weight alone" 2 - "$GC" bench conv --weight 2,3,3,3
expect_err "bench conv geometry without --input" 2 - "$GC" bench conv --stride 2
expect_err "bench conv --kernel" 2 - "$GC" bench conv --input 1,3,8,8 --kernel 2,3,3,3
expect_err "bench conv weight rank" 2 - "$GC" bench conv --input 1,3,8,8 --weight 3,3
expect_err "bench conv channel mismatch" 1 - "$GC" bench conv --input 1,3,8,8 --weight 2,2,3,3
expect_err "bench conv groups not dividing" 1 - "$GC" bench conv --input 1,3,8,8 --weight 2,1,3,3 --groups 2
expect_err "bench conv output < 1" 1 - "$GC" bench conv --input 1,3,4,4 --weight 2,3,5,5
expect_err "bench xcorr2 --shape" 2 - "$GC" bench xcorr2 --shape 4,4
expect_err "bench xcorr2 --dtype bf16" 2 - "$GC" bench xcorr2 --input 4,4 --kernel 2,2 --dtype bf16

cli_summary cli_test
