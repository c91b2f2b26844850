#!/usr/bin/env bash
# scripts/install-deps.sh - installs the system packages gramconv's build, main job and tests
# use. The one list of them is PACKAGES below; the README's commands and .ci/run call this
# script instead of naming packages themselves.
#
#   scripts/install-deps.sh                 install what is missing (default groups)
#   scripts/install-deps.sh --check         only report what is missing (exit 1 if anything is)
#   scripts/install-deps.sh --list          print the package names, one line, and exit
#   scripts/install-deps.sh --with ci       add a group; --without torch drops one
#
# Groups: build, libs, tests, python, torch (installed by default); ci (clang and mmdebstrap,
# for .ci/run).
#
# Idempotent: a package already installed is left alone, and with nothing missing it prints
# one line and runs no apt-get at all. Debian and Ubuntu only (apt-get, dpkg); elsewhere it
# prints the Debian package names to look for and exits 0. Runs apt-get through sudo only
# when it is not root. GC_DEPS_WITHOUT / GC_DEPS_WITH (space-separated groups) act as
# --without / --with, so a command that calls this script can be run with fewer or more.
set -euo pipefail

# group   package            what needs it
PACKAGES=$(cat <<'EOF'
build     cmake              the build (CMake 3.20 or newer)
build     gcc                the C compiler
build     libc6-dev          the C library headers (gcc without its recommends lacks them)
build     make               the build tool CMake drives
build     pkg-config         tests/install_test.sh builds a consumer through gramconv.pc
libs      libpng-dev         PNG: sample, texture, style, image-to-npy, npy-to-image (GC_WITH_PNG)
libs      libjpeg-dev        JPEG through libjpeg-turbo (GC_WITH_JPEG)
libs      libfftw3-dev       FFTW3: the FFT method of xcorr2/conv2/xcorr3/conv3 (GC_WITH_FFTW)
libs      libopenmpi-dev     Open MPI: libgramconv_mpi and mpirun gramconv (GC_WITH_MPI)
libs      openmpi-bin        mpirun, for tests/mpi_test.sh (GC_WITH_MPI)
tests     valgrind           ctest valgrind (memcheck over CLI commands)
python    python3-numpy      the Python package and its tests
python    python3-scipy      the Python tests (reference correlations)
python    python3-pytest     the Python test runner
python    python3-venv       a virtual environment for the Python package
python    python3-pip        installing the Python package
torch     python3-torch      the Python tests of the PyTorch ops (libtorch: the largest group by far)
ci        clang              .ci/run: clang -Werror, ASan+UBSan, TSan, libFuzzer
ci        mmdebstrap         .ci/run: the fresh minimal Debian root of tests/fresh_root.sh
EOF
)
DEFAULT_GROUPS='build libs tests python torch'

me=install-deps
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

groups=" $DEFAULT_GROUPS "
add_group() { case $groups in *" $1 "*) ;; *) groups="$groups$1 " ;; esac; }
drop_group() { groups=${groups// $1 / }; }
known_group() { printf '%s\n' "$PACKAGES" | awk -v g="$1" '$1 == g {f = 1} END {exit !f}'; }
mode=install
for g in ${GC_DEPS_WITH:-}; do add_group "$g"; done
for g in ${GC_DEPS_WITHOUT:-}; do drop_group "$g"; done
while [ $# -gt 0 ]; do
  case $1 in
    --check) mode=check ;;
    --list) mode=list ;;
    --with|--without)
      [ $# -ge 2 ] || usage
      known_group "$2" || { echo "$me: unknown group '$2'" >&2; exit 2; }
      if [ "$1" = --with ]; then add_group "$2"; else drop_group "$2"; fi
      shift ;;
    -h|--help) usage ;;
    *) echo "$me: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for g in $groups; do known_group "$g" || { echo "$me: unknown group '$g'" >&2; exit 2; }; done

# the packages of the chosen groups, in the order of the list
wanted=()
while read -r g pkg _; do
  [ -n "${g:-}" ] || continue
  case $groups in *" $g "*) wanted+=("$pkg") ;; esac
done <<<"$PACKAGES"
group_of() { printf '%s\n' "$PACKAGES" | awk -v p="$1" '$2 == p {print $1; exit}'; }

if [ "$mode" = list ]; then
  echo "${wanted[*]}"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "$me: no apt-get here (not Debian or Ubuntu); install these or your system's equivalents: ${wanted[*]}"
  exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = 'install ok installed' ] || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "$me: all ${#wanted[@]} packages present (groups:${groups% })"
  exit 0
fi
if [ "$mode" = check ]; then
  echo "$me: missing: ${missing[*]} (install with scripts/install-deps.sh)"
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
else
  echo "$me: not root and no sudo; as root run: apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "$me: installing: ${missing[*]}"
"${as_root[@]}" apt-get update -q
# A package the configured archives do not have (an older release, another distribution) is
# named; one in the python or torch group only warns, any other fails the script after the
# rest is in.
avail=() unavail=() fatal=0
for pkg in "${missing[@]}"; do
  if apt-cache show --no-all-versions "$pkg" >/dev/null 2>&1; then
    avail+=("$pkg")
  else
    unavail+=("$pkg")
    case $(group_of "$pkg") in python|torch) ;; *) fatal=1 ;; esac
  fi
done
if [ ${#avail[@]} -gt 0 ]; then
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${avail[@]}"
fi
if [ ${#unavail[@]} -gt 0 ]; then
  echo "$me: not in this system's archives, not installed: ${unavail[*]}" >&2
  [ $fatal -eq 0 ] || exit 1
fi
echo "$me: installed: ${avail[*]}"
