#!/usr/bin/env bash
# tests/fresh_root.sh - the README's two commands, verbatim, on a fresh minimal Debian.
#
#   bash tests/fresh_root.sh              run the check (as root)
#   bash tests/fresh_root.sh --test-cleanup   check the safe-delete logic only (as root)
#
# Makes (once, then cached) a minimal root of the host's Debian release from the host's own
# package archives (mmdebstrap, or debootstrap, --variant=minbase) with only cmake, gcc, make,
# git and ca-certificates in it; copies that base, puts a clean clone of this repository's HEAD
# in it at /gramconv, and runs the README's build-and-main-job command, then its test command,
# exactly as README.md shows them, in a chroot. Fails if either fails; prints the wall time of
# each and the packages the commands installed.
#
# Exit status: 0 both commands passed, 1 a command failed (or the cleanup found a mount),
# 77 skipped: the root could not be made (not root, no mmdebstrap/debootstrap, no Debian
# archive reachable), with one line saying why.
#
# Safety: everything runs as root, so no host directory is ever bind-mounted into the root.
# /proc (and a tmpfs /dev/shm) are mounted only inside a private mount namespace (unshare
# --mount) that ends with the command; mmdebstrap/debootstrap run in one too. Before deleting a
# root, the cleanup unmounts anything found under it, checks with mountpoint that nothing is
# mounted there, refuses to delete if something is, and deletes with rm --one-file-system.
#
# Environment: GC_FRESH_ROOT_CACHE (default ${XDG_CACHE_HOME:-/var/cache}/gramconv-fresh-root)
# holds the base root, keyed by release, architecture and base package list, and the .deb files
# the commands downloaded (hard-linked into the next root's apt cache: a warm run downloads
# nothing, but still unpacks and configures every package); GC_FRESH_ROOT_REBUILD=1 makes the
# base anew; GC_FRESH_ROOT_KEEP=1 keeps the used root. GC_DEPS_WITHOUT / GC_DEPS_WITH are passed
# to the commands (scripts/install-deps.sh reads them), e.g. GC_DEPS_WITHOUT=python.
set -uo pipefail

me=fresh_root
BASE_PACKAGES="cmake gcc make git ca-certificates"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

skip() { echo "$me: SKIPPED: $*"; exit 77; }
die() { echo "$me: FAILED: $*" >&2; exit 1; }

# ---- safe deletion ------------------------------------------------------------------------
# mounts_under DIR: the mount points at or below DIR in this namespace, deepest first.
mounts_under() {
  local d=$1
  # field 5 of mountinfo is the mount point, with spaces etc. as octal escapes
  awk -v d="$d" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' \
    /proc/self/mountinfo | sort -r
}
# safe_rm DIR: unmount whatever is under DIR, verify nothing is, then delete DIR without
# crossing into another file system. Returns 1 (deleting nothing) if a mount remains.
safe_rm() {
  local d=$1 m left
  [ -n "$d" ] && [ "$d" != / ] && [ -e "$d" ] || return 0
  d=$(cd "$d" && pwd -P) || return 1
  while read -r m; do
    [ -n "$m" ] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(mounts_under "$d")
  left=$(mounts_under "$d")
  for m in proc sys dev dev/pts dev/shm run tmp; do
    if [ -d "$d/root/$m" ] && mountpoint -q "$d/root/$m"; then left+=" $d/root/$m"; fi
  done
  if [ -n "${left// /}" ]; then
    echo "$me: NOT deleting $d: still mounted: $left" >&2
    return 1
  fi
  rm -rf --one-file-system -- "$d"
}

work=
cleanup() {
  local rc=$?
  if [ -n "$work" ] && [ "${GC_FRESH_ROOT_KEEP:-0}" != 1 ]; then
    safe_rm "$work" || rc=1
  elif [ -n "$work" ]; then
    echo "$me: kept $work"
  fi
  exit $rc
}

if [ "${1:-}" = --test-cleanup ]; then
  # A directory with a bind mount of a canary directory inside it, as a root with /dev bound
  # in would be: safe_rm must unmount it and leave the canary's file alone; with the mount
  # made unremovable (a second mount of the same point, busy), it must refuse to delete.
  [ "$(id -u)" -eq 0 ] || skip "--test-cleanup needs root (mount)"
  t=$(mktemp -d "${TMPDIR:-/tmp}/gramconv-fresh-cleanup.XXXXXX") || exit 1
  canary=$t.canary
  mkdir -p "$canary" "$t/root/dev" "$t/root/proc" && echo keep >"$canary/file"
  ok=1
  mount --bind "$canary" "$t/root/dev" || skip "cannot bind-mount here"
  safe_rm "$t" || { echo "$me: safe_rm refused a removable mount"; ok=0; }
  [ -f "$canary/file" ] || { echo "$me: safe_rm deleted through a bind mount"; ok=0; }
  [ ! -e "$t" ] || { echo "$me: safe_rm left $t"; ok=0; }
  # unremovable: a process holds the mount busy and umount -l is made to fail by a shadowed
  # stub, so the mountpoint check must catch it
  mkdir -p "$t/root/dev"
  mount --bind "$canary" "$t/root/dev"
  umount() { return 1; }
  safe_rm "$t" 2>/dev/null && { echo "$me: safe_rm deleted with a mount still there"; ok=0; }
  unset -f umount
  [ -f "$canary/file" ] || { echo "$me: the canary is gone"; ok=0; }
  [ -d "$t/root" ] || { echo "$me: the root was deleted while mounted"; ok=0; }
  umount "$t/root/dev" && safe_rm "$t" && rm -rf "$canary"
  [ $ok = 1 ] && echo "$me: --test-cleanup: 4 passed, 0 failed" && exit 0
  echo "$me: --test-cleanup: failed"
  exit 1
fi

# ---- can a root be made here? ---------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot); run it as root"
for t in chroot unshare mountpoint git; do
  command -v $t >/dev/null 2>&1 || skip "no $t here"
done
if command -v mmdebstrap >/dev/null 2>&1; then maker=mmdebstrap
elif command -v debootstrap >/dev/null 2>&1; then maker=debootstrap
else skip "neither mmdebstrap nor debootstrap is installed (apt-get install mmdebstrap)"; fi
# shellcheck disable=SC1091
. /etc/os-release 2>/dev/null || true
[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] || skip "the host is not Debian (${ID:-unknown})"
release=$VERSION_CODENAME
arch=$(dpkg --print-architecture) || skip "no dpkg"
# The host's own Debian archives (mirror, suites, components), as apt sees them.
mapfile -t sources < <(apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT) $(ORIGIN)' 2>/dev/null |
  awk '$1 == "deb" && $5 == "Debian" {k = $2 " " $3; if (!(k in c)) o[n++] = k; c[k] = c[k] " " $4}
       END {for (i = 0; i < n; i++) print "deb " o[i] c[o[i]]}' | awk '!seen[$0]++')
[ ${#sources[@]} -gt 0 ] || skip "no Debian archive in the host's apt sources"
mirror=$(printf '%s\n' "${sources[@]}" | awk -v r="$release" '$3 == r {print $2; exit}')
[ -n "$mirror" ] || skip "no archive for $release in the host's apt sources"

# ---- the README's commands, as .ci/run reads them ----------------------------------------
readme_cmd() {  # the README line (in a code block) that runs cmake -S . -B build and contains $1
  grep -E '^(scripts/install-deps\.sh[^&]*&& )?cmake -S \. -B build ' "$repo/README.md" | grep -F -- "$1" | head -n 1
}
main_cmd=$(readme_cmd "gramconv texture")
test_cmd=$(readme_cmd "ctest")
[ -n "$main_cmd" ] && [ -n "$test_cmd" ] || die "the README's commands were not found in README.md"

# ---- the base root, cached -----------------------------------------------------------------
cache=${GC_FRESH_ROOT_CACHE:-${XDG_CACHE_HOME:-/var/cache}/gramconv-fresh-root}
key="$release-$arch-$(printf '%s\n' "$BASE_PACKAGES" "${sources[@]}" | md5sum | cut -c1-8)"
base=$cache/$key
mkdir -p "$cache" || skip "cannot create $cache"
start=$(date +%s)
if [ "${GC_FRESH_ROOT_REBUILD:-0}" = 1 ] && [ -d "$base" ]; then safe_rm "$base" || exit 1; fi
if [ ! -f "$base/.complete" ]; then
  safe_rm "$base" || exit 1
  safe_rm "$base.new" || exit 1
  echo "$me: making the base root $base ($maker --variant=minbase, $release from $mirror; $BASE_PACKAGES)"
  if [ $maker = mmdebstrap ]; then
    make_base=(mmdebstrap --mode=root --variant=minbase --include="${BASE_PACKAGES// /,}" "$release" "$base.new/root" "${sources[@]}")
  else
    make_base=(debootstrap --variant=minbase --include="${BASE_PACKAGES// /,}" "$release" "$base.new/root" "$mirror")
  fi
  mkdir -p "$base.new"
  # its mounts (proc, sys, dev) live in a private namespace and end with it
  if ! unshare --mount --propagation private "${make_base[@]}" >"$base.new/log" 2>&1; then
    tail -n 5 "$base.new/log" | sed "s/^/$me: /"
    msg="$maker could not make the root (see above); no network to $mirror?"
    safe_rm "$base.new"
    skip "$msg"
  fi
  if [ $maker = debootstrap ]; then  # debootstrap writes the first archive only
    printf '%s\n' "${sources[@]}" >"$base.new/root/etc/apt/sources.list"
  fi
  touch "$base.new/.complete" && mv "$base.new" "$base" || die "cannot store $base"
  echo "$me: base root made in $(( $(date +%s) - start )) s ($(du -sh "$base/root" | cut -f1))"
else
  echo "$me: base root $base (cached)"
fi

# ---- a copy of it, with a clean clone -----------------------------------------------------
trap cleanup EXIT
trap 'exit 130' INT TERM
work=$(mktemp -d "$cache/run.XXXXXX") || die "mktemp in $cache"
t0=$(date +%s)
cp -a --reflink=auto "$base/root" "$work/root" || die "cannot copy the base root"
git clone -q --no-hardlinks "$repo" "$work/root/gramconv" || die "git clone $repo failed"
echo "$me: clean clone of $(git -C "$repo" rev-parse --short HEAD) at /gramconv; root copied in $(( $(date +%s) - t0 )) s"
cp -L /etc/resolv.conf "$work/root/etc/resolv.conf" 2>/dev/null || true
debs=$cache/debs-$release-$arch
mkdir -p "$debs" && find "$debs" -maxdepth 1 -name '*.deb' -exec cp -l -t "$work/root/var/cache/apt/archives/" {} + 2>/dev/null
dpkg_before=$(chroot "$work/root" dpkg-query -W -f='${Package}\n' | sort)
manual_before=$(chroot "$work/root" apt-mark showmanual | sort)

# in_root CMD: CMD under bash -c in /gramconv, in the chroot, in its own mount and PID
# namespaces (a fresh /proc, a tmpfs /dev/shm), with a clean environment.
in_root() {
  unshare --mount --propagation private --pid --fork --mount-proc="$work/root/proc" \
    bash -c 'mount -t tmpfs -o mode=1777,size=1g shm "$1/dev/shm" && shift &&
             exec chroot "$0" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
               PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
               GC_DEPS_WITHOUT="$2" GC_DEPS_WITH="$3" \
               bash -c "cd /gramconv && $1"' "$work/root" "$work/root" "$1" \
    "${GC_DEPS_WITHOUT:-}" "${GC_DEPS_WITH:-}"
}

rc=0
for name in main test; do
  if [ $name = main ]; then cmd=$main_cmd; else cmd=$test_cmd; fi
  echo "$me: ---- the README's $name command, in the fresh root:"
  echo "$me: \$ $cmd"
  t0=$(date +%s)
  in_root "$cmd" 2>&1 | while IFS= read -r line; do printf '  %(%H:%M:%S)T | %s\n' -1 "$line"; done
  st=${PIPESTATUS[0]}
  secs=$(( $(date +%s) - t0 ))
  if [ "$st" -ne 0 ]; then
    echo "$me: the README's $name command FAILED (exit $st) after $secs s"
    rc=1
    break
  fi
  echo "$me: the README's $name command passed in $secs s"
  eval "secs_$name=$secs"
done
# keep the downloaded packages for the next run (hard links; the root is deleted next)
find "$work/root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -links 1 \
  -exec cp -l -n -t "$debs/" {} + 2>/dev/null || true
if [ $rc -eq 0 ]; then
  added=$(comm -13 <(printf '%s\n' "$dpkg_before") \
    <(chroot "$work/root" dpkg-query -W -f='${Package}\n' | sort) | wc -l)
  req=$(comm -13 <(printf '%s\n' "$manual_before") <(chroot "$work/root" apt-mark showmanual | sort) |
    tr '\n' ' ')
  echo "$me: the commands installed: ${req% } ($added packages with their dependencies)"
  [ -s "$work/root/gramconv/texture.png" ] || { echo "$me: the main command wrote no texture.png"; rc=1; }
fi
[ $rc -eq 0 ] && echo "$me: passed: main command ${secs_main} s, test command ${secs_test} s, total $(( $(date +%s) - start )) s"
exit $rc
