#!/usr/bin/env bash
# cli_synth.sh - end-to-end tests of gramconv texture / style / gram-preset / bench synth.
#
#   bash tests/cli_synth.sh PATH/TO/gramconv PATH/TO/tests/golden
#
# Tiny images and networks, a few iterations each (the whole script runs in a few seconds).
# Inputs: tests/golden/synth_* made by tests/golden/make_golden_synth.py. Every error case
# checks: the exit status, exactly one stderr line starting "gramconv: ", and no output file.
# Ends with "N passed, N failed, N skipped"; exits 1 on any failure, 77 if anything was skipped.
set -u

if [ $# -ne 2 ]; then
    echo "usage: bash tests/cli_synth.sh PATH/TO/gramconv GOLDEN_DIR" >&2
    exit 2
fi
GC=$1
G=$2
case $GC in /*) ;; *) GC=$PWD/$GC ;; esac
case $G in /*) ;; *) G=$PWD/$G ;; esac
if [ ! -x "$GC" ]; then echo "cli_synth: $GC is not an executable" >&2; exit 2; fi
if [ ! -f "$G/synth_sample.png" ]; then echo "cli_synth: no synth_* files in $G" >&2; exit 2; fi

. "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-synth.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

check() { if eval "$2"; then pass; else fail "$1"; fi; }
# synth commands print progress on stderr, so expect_ok here checks the exit code only
expect_ok() {
    local name=$1
    shift
    run "$@"
    if [ "$RC" -ne 0 ]; then fail "$name: exit $RC (stderr: $(head -c 300 "$T/err"))"; else pass; fi
}

# json_num FILE KEY : the number after "KEY": in FILE
json_num() { sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" "$1"; }

S=$G/synth_sample.png
C=$G/synth_content.png
V=$G/synth_tiny_vgg.safetensors
NET="--layers 3,5 --filters 4"

# Without libpng every case here is counted as skipped (the samples are PNG files); the
# refusal itself must name the package to install, in one line. Likewise the JPEG case.
why=
run "$GC" texture "$S" -o nopng.png --iters 1 $NET
if grep -q "no PNG support" "$T/err"; then
    expect_err "texture without PNG support" 1 nopng.png "$GC" texture "$S" -o nopng.png
    expect_grep "texture names the package" "install [a-z].* (scripts/install-deps.sh)" "$T/err"
    expect_err "sample without PNG support" 1 nopng.png "$GC" sample -o nopng.png
    expect_grep "sample names the package" "install [a-z].* (scripts/install-deps.sh)" "$T/err"
    why=$(cli_missing PNG)
fi
rm -f nopng.png
cli_skip_begin "$why"
nojpeg=
"$GC" image-to-npy "$G/io_base.jpg" -o nojpeg.npy 2>&1 | grep -q "no JPEG support" && nojpeg=$(cli_missing JPEG)
rm -f nojpeg.npy

# ---- help ----
expect_ok "texture --help" "$GC" texture --help
check "texture usage" 'grep -q "usage: gramconv texture" "$T/out"'
expect_ok "style --help" "$GC" style --help
expect_ok "gram-preset --help" "$GC" gram-preset --help

# ---- texture: output, stats, loss falls, determinism ----
expect_ok "texture" "$GC" texture "$S" -o a.png --size 20,16 --iters 8 $NET --seed 3 --quiet \
    --stats-json a.json --threads 2
check "texture wrote a.png" '[ -s a.png ] && [ "$(head -c 4 a.png | tail -c 3)" = PNG ]'
check "texture --quiet prints nothing" '[ ! -s "$T/out" ] && [ ! -s "$T/err" ]'
for k in iters initial_loss final_loss seconds filters; do
    check "stats has $k" 'grep -q "\"$k\":" a.json'
done
check "stats scales" 'grep -q "\"scales\":\[3,5\]" a.json && grep -q "\"size\":\[20,16\]" a.json'
check "stats iters 8" '[ "$(json_num a.json iters)" = 8 ]'
check "loss falls 10x" 'awk -v a="$(json_num a.json initial_loss)" -v b="$(json_num a.json final_loss)" "BEGIN{exit !(b*10 < a)}"'
expect_ok "texture again" "$GC" texture "$S" -o b.png --size 20,16 --iters 8 $NET --seed 3 --quiet --threads 2
check "same seed, same bytes" 'cmp -s a.png b.png'
expect_ok "texture seed 4" "$GC" texture "$S" -o c.png --size 20,16 --iters 8 $NET --seed 4 --quiet --threads 2
check "another seed, other bytes" '! cmp -s a.png c.png'
cli_skip_begin "$nojpeg"
expect_ok "texture adam jpg" "$GC" texture "$S" -o d.jpg --size 16 --iters 3 $NET --optimizer adam
check "jpeg written" '[ "$(head -c 2 d.jpg | od -An -tx1 | tr -d " ")" = ffd8 ]'
check "progress lines (not a tty)" 'grep -q "^iter 3/3  loss" "$T/err"'
check "summary on stdout" 'grep -q "^wrote d.jpg (16 x 16)" "$T/out"'
cli_skip_end
expect_ok "texture save-every" "$GC" texture "$S" -o e.png --size 16 --iters 4 $NET --save-every 2 -q
check "save-every files" '[ -s e_2.png ] && [ -s e_4.png ] && [ -s e.png ]'
expect_ok "texture vgg" "$GC" texture "$S" -o v.png --size 16,16 --iters 3 --net "$V" -q
check "vgg texture" '[ -s v.png ]'
expect_ok "texture vgg layers avg" "$GC" texture "$S" -o v2.png --size 16,16 --iters 2 --net "$V" \
    --layers relu1_1,relu2_1 --pool avg -q

# ---- presets ----
expect_ok "gram-preset save" "$GC" gram-preset save "$S" $NET --seed 3 -o p1.safetensors
check "preset says what it holds" 'grep -q "2 Gram matrices (k3, k5)" "$T/out"'
expect_ok "gram-preset save 2" "$GC" gram-preset save "$C" $NET --seed 3 -o p2.safetensors
expect_ok "texture --preset" "$GC" texture --preset p1.safetensors -o pa.png --size 20,16 --iters 8 \
    --seed 3 -q --threads 2
# a preset holds the Grams only: the same run from the sample without the spectrum constraint
# and the histogram matching (which need the sample's pixels)
expect_ok "texture, Grams only" "$GC" texture "$S" -o a0.png --size 20,16 --iters 8 $NET --seed 3 \
    --spectrum 0 --histogram off -q --threads 2
check "preset = sample" 'cmp -s pa.png a0.png'
check "spectrum and histogram change the result" '! cmp -s a0.png a.png'
expect_err "presets of two centres" 1 pb.png "$GC" texture --preset p1.safetensors,p2.safetensors \
    --blend-weights 1,3 -o pb.png --size 16 --iters 2 -q
expect_grep "presets of two centres: why" "center differs" "$T/err"
expect_ok "gram-preset save, one centre" "$GC" gram-preset save "$S" $NET --seed 3 \
    --center 0.5,0.5,0.5 -o p3.safetensors
expect_ok "gram-preset save 2, one centre" "$GC" gram-preset save "$C" $NET --seed 3 \
    --center 0.5,0.5,0.5 -o p4.safetensors
expect_ok "texture preset blend" "$GC" texture --preset p3.safetensors,p4.safetensors \
    --blend-weights 1,3 -o pb.png --size 16 --iters 2 -q
expect_err "gram-preset bad centre" 2 p5.safetensors "$GC" gram-preset save "$S" $NET \
    --center 0.5,x -o p5.safetensors

# ---- the quality options ----
expect_ok "texture --pyramid 2" "$GC" texture "$S" -o py.png --size 48,48 --iters 10 $NET \
    --pyramid 2 -q --threads 2
check "pyramid wrote 48 x 48" '[ -s py.png ]'
expect_ok "texture --pyramid 2 again" "$GC" texture "$S" -o py2.png --size 48,48 --iters 10 $NET \
    --pyramid 2 -q --threads 2
check "pyramid: the same bytes" 'cmp -s py.png py2.png'
expect_err "pyramid too deep" 1 pz.png "$GC" texture "$S" -o pz.png --size 48,48 --iters 2 $NET \
    --pyramid 6 -q
expect_grep "pyramid too deep: why" "use fewer levels" "$T/err"
expect_err "pyramid with a preset" 2 pz.png "$GC" texture --preset p1.safetensors -o pz.png \
    --pyramid 2 -q
expect_err "bad --pyramid" 2 pz.png "$GC" texture "$S" -o pz.png --pyramid 0
expect_err "bad --spectrum" 2 pz.png "$GC" texture "$S" -o pz.png --spectrum -1
expect_err "bad --histogram" 2 pz.png "$GC" texture "$S" -o pz.png --histogram maybe
expect_err "bad --init" 2 pz.png "$GC" texture "$S" -o pz.png --init zero
expect_ok "texture --init mean" "$GC" texture "$S" -o im.png --size 16 --iters 2 $NET --init mean -q
expect_ok "texture --loss swd" "$GC" texture "$S" -o ls.png --size 32,32 --iters 3 $NET --loss swd -q
expect_ok "texture --loss gram" "$GC" texture "$S" -o lg.png --size 32,32 --iters 3 $NET --loss gram -q
check "--loss swd changes the result" '! cmp -s ls.png lg.png'
expect_err "bad --loss" 2 pz.png "$GC" texture "$S" -o pz.png --loss wasserstein
expect_err "--loss swd with a preset" 2 pz.png "$GC" texture --preset p1.safetensors -o pz.png --loss swd
expect_err "--loss both in bands" 2 pz.png "$GC" texture "$S" -o pz.png --loss both --max-memory 64M
expect_ok "style --histogram on" "$GC" style "$C" "$S" -o sh.png --image-size 16 --iters 2 $NET \
    --histogram on -q
expect_ok "gram-preset vgg" "$GC" gram-preset save "$S" --net "$V" -o pv.safetensors
expect_ok "texture vgg preset" "$GC" texture --preset pv.safetensors -o pv.png --size 16 --iters 2 -q
expect_err "preset + --net" 2 x.png "$GC" texture --preset p1.safetensors --net random -o x.png
expect_err "preset + sample" 2 x.png "$GC" texture "$S" --preset p1.safetensors -o x.png
expect_err "presets of two nets" 1 x.png "$GC" texture --preset p1.safetensors,pv.safetensors -o x.png
expect_err "blend count" 2 x.png "$GC" texture --preset p1.safetensors --blend-weights 1,2 -o x.png
expect_err "preset not a preset" 1 x.png "$GC" texture --preset "$V" -o x.png
expect_err "preset missing" 1 x.png "$GC" texture --preset nothere.safetensors -o x.png
expect_err "gram-preset no action" 2 x.st "$GC" gram-preset "$S" -o x.st
expect_err "gram-preset no -o" 2 - "$GC" gram-preset save "$S"

# ---- texture refusals ----
expect_err "no sample" 2 x.png "$GC" texture -o x.png
expect_err "no output" 2 - "$GC" texture "$S"
expect_err "bad extension" 2 x.txt "$GC" texture "$S" -o x.txt
expect_err "bad optimizer" 2 x.png "$GC" texture "$S" -o x.png --optimizer sgd
expect_err "negative iters" 2 x.png "$GC" texture "$S" -o x.png --iters -1
expect_err "zero size" 2 x.png "$GC" texture "$S" -o x.png --size 0,5
expect_err "bad seed" 2 x.png "$GC" texture "$S" -o x.png --seed 12x
expect_err "even filter size" 2 x.png "$GC" texture "$S" -o x.png --layers 3,4
expect_err "unknown option" 2 x.png "$GC" texture "$S" -o x.png --frobnicate
expect_err "missing sample file" 1 x.png "$GC" texture nothere.png -o x.png
printf 'not an image at all' > junk.png
expect_err "corrupt sample" 1 x.png "$GC" texture junk.png -o x.png
head -c 60 "$S" > trunc.png
expect_err "truncated sample" 1 x.png "$GC" texture trunc.png -o x.png
expect_err "pixel limit" 1 x.png "$GC" texture "$S" -o x.png --max-pixels 100
expect_err "sample smaller than filters" 1 x.png "$GC" texture "$S" -o x.png --layers 31 --filters 2
expect_err "output too small for filters" 1 x.png "$GC" texture "$S" -o x.png --size 4,4 --layers 15
expect_err "no such directory" 1 nodir/x.png "$GC" texture "$S" -o nodir/x.png
expect_err "vgg missing tensor" 1 x.png "$GC" texture "$S" -o x.png --net "$G/synth_vgg_missing.safetensors"
check "names the missing tensor" 'grep -q "features.21.weight" "$T/err"'
expect_err "vgg mis-shaped tensor" 1 x.png "$GC" texture "$S" -o x.png --net "$G/synth_vgg_badshape.safetensors"
check "names the mis-shaped tensor" 'grep -q "features.5.weight" "$T/err"'
expect_err "vgg unknown layer" 2 x.png "$GC" texture "$S" -o x.png --net "$V" --layers relu9_1
expect_err "filters with vgg" 2 x.png "$GC" texture "$S" -o x.png --net "$V" --filters 3
expect_err "weights file missing" 1 x.png "$GC" texture "$S" -o x.png --net nothere.safetensors
expect_err "image too small for vgg" 1 x.png "$GC" texture "$S" -o x.png --net "$V" --size 8,8

# ---- style ----
expect_ok "style" "$GC" style "$C" "$S" -o s.png --image-size 20 --iters 4 $NET -q --stats-json s.json
check "style output size" '[ -s s.png ] && grep -q "\"size\":\[20,16\]" s.json'
expect_ok "style two styles" "$GC" style "$C" "$S,$C" --style-blend-weights 1,2 -o s2.png \
    --image-size 16 --iters 2 $NET --init random --original-colors --tv-weight 0.1 -q
expect_ok "style init image" "$GC" style "$C" "$S" -o s3.png --image-size 16 --iters 2 $NET \
    --init image:"$S" --style-scale 1.5 --optimizer adam --content-layer k3 -q
expect_ok "style vgg" "$GC" style "$C" "$S" -o s4.png --image-size 20 --iters 2 --net "$V" -q
expect_err "style no style" 2 x.png "$GC" style "$C" -o x.png
expect_err "style blend count" 2 x.png "$GC" style "$C" "$S" --style-blend-weights 1,2 -o x.png
expect_err "style bad init" 2 x.png "$GC" style "$C" "$S" --init noise -o x.png
expect_err "style negative weight" 2 x.png "$GC" style "$C" "$S" --content-weight -1 -o x.png
expect_err "style zero blend weight" 2 x.png "$GC" style "$C" "$S,$S" --style-blend-weights 1,0 -o x.png
expect_err "style missing style" 1 x.png "$GC" style "$C" "$S,nothere.png" -o x.png --iters 1
expect_err "style bad content layer" 2 x.png "$GC" style "$C" "$S" --content-layer relu4_2 -o x.png
expect_err "style init missing" 1 x.png "$GC" style "$C" "$S" --init image:nothere.png -o x.png $NET
# style: the pyramid, the loss, the content's colours (gc_synth_style)
SNET="--image-size 48 --iters 10 $NET -q --threads 2"
expect_ok "style default" "$GC" style "$C" "$S" -o sd.png $SNET
expect_ok "style --pyramid 1" "$GC" style "$C" "$S" -o sp1.png $SNET --pyramid 1
check "style --pyramid 1 is the default" 'cmp -s sd.png sp1.png'
expect_ok "style --pyramid auto (48 x 38: one level)" "$GC" style "$C" "$S" -o spa.png $SNET --pyramid auto
check "style auto at 48 is one level" 'cmp -s sd.png spa.png'
expect_ok "style --pyramid 2" "$GC" style "$C" "$S" -o sp2.png $SNET --pyramid 2 --stats-json sp2.json
check "style pyramid: 10 + 10 iterations" '[ "$(json_num sp2.json iters)" = 20 ] && grep -q "\"size\":\[48,38\]" sp2.json'
check "style pyramid changes the result" '! cmp -s sd.png sp2.png'
expect_ok "style --pyramid 2 again" "$GC" style "$C" "$S" -o sp2b.png $SNET --pyramid 2
check "style pyramid: the same bytes" 'cmp -s sp2.png sp2b.png'
expect_ok "style --pyramid 2, 1 thread" "$GC" style "$C" "$S" -o sp2c.png --image-size 48 --iters 10 \
    $NET -q --threads 1 --pyramid 2
check "style pyramid: the same bytes on 1 thread" 'cmp -s sp2.png sp2c.png'
expect_ok "style pyramid, two styles, colours, histogram" "$GC" style "$C" "$S,$C" \
    --style-blend-weights 1,2 -o sp3.png $SNET --pyramid 2 --original-colors --histogram on --init random
check "style pyramid wrote sp3.png" '[ -s sp3.png ]'
expect_ok "style --loss swd" "$GC" style "$C" "$S" -o sls.png $SNET --loss swd
check "style --loss swd changes the result" '! cmp -s sd.png sls.png'
expect_ok "style --loss both" "$GC" style "$C" "$S" -o slb.png $SNET --loss both --pyramid 2
expect_ok "style --loss gram" "$GC" style "$C" "$S" -o slg.png $SNET --loss gram
check "style --loss gram is the default" 'cmp -s sd.png slg.png'
expect_err "style pyramid too deep" 1 x.png "$GC" style "$C" "$S" -o x.png $SNET --pyramid 5
expect_grep "style pyramid too deep: why" "use fewer levels" "$T/err"
expect_err "style bad --pyramid 0" 2 x.png "$GC" style "$C" "$S" -o x.png --pyramid 0
expect_err "style bad --pyramid 9" 2 x.png "$GC" style "$C" "$S" -o x.png --pyramid 9
expect_err "style bad --pyramid word" 2 x.png "$GC" style "$C" "$S" -o x.png --pyramid big
expect_err "style bad --loss" 2 x.png "$GC" style "$C" "$S" -o x.png --loss wasserstein
expect_err "style empty --loss" 2 x.png "$GC" style "$C" "$S" -o x.png --loss ""

# ---- sample ----
expect_ok "sample" "$GC" sample -o m1.png --size 24,20 --cells 6 --seed 5
check "sample written" '[ -s m1.png ] && grep -q "^wrote m1.png (24 x 20, 6 cells, seed 5)" "$T/out"'
expect_ok "sample again" "$GC" sample -o m2.png --size 24,20 --cells 6 --seed 5
check "sample deterministic" 'cmp -s m1.png m2.png'
expect_ok "texture of the sample" "$GC" texture m1.png -o m3.png --iters 3 $NET -q
expect_err "sample bad extension" 2 m.gif "$GC" sample -o m.gif
expect_err "sample bad cells" 2 m.png "$GC" sample -o m.png --cells 0

# ---- bench synth ----
expect_ok "bench synth" "$GC" bench synth --size 16,12 --threads 1 --layers 3,5 --filters 4 --repeat 1 --iters 1
check "bench synth json" 'grep -q "\"op\":\"synth\".*\"scales\":\[3,5\],\"filters\":4,\"size\":\[16,12\].*\"s_per_iter\":" "$T/out"'
expect_err "bench synth bad size" 2 - "$GC" bench synth --size x

cli_skip_end
cli_summary cli_synth
