#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR [MPI]: installs the build into a temporary prefix, then
# builds a consumer through find_package(gramconv) and through pkg-config, and runs both. MPI
# ON (the build made libgramconv_mpi): the prefix must hold gramconv_mpi.h and the library too,
# and the header must compile against the installed gramconv.h.
set -euo pipefail
build=$1 src=$2 mpi=${3:-OFF}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -x "$tmp/prefix/bin/gramconv"
test -f "$tmp/prefix/include/gramconv.h"
ls "$tmp"/prefix/lib*/libgramconv.so.* >/dev/null
if [ "$mpi" = ON ]; then
  test -f "$tmp/prefix/include/gramconv_mpi.h"
  ls "$tmp"/prefix/lib*/libgramconv_mpi.a >/dev/null
  ls "$tmp"/prefix/lib*/cmake/gramconv/gramconvMpiTargets.cmake >/dev/null
  if command -v mpicc >/dev/null; then
    printf '#include <gramconv_mpi.h>\nint main(void) { return sizeof(&gc_mpi_gram_npy) == 0; }\n' \
      >"$tmp/mpi_inc.c"
    mpicc -std=c11 -fsyntax-only -I"$tmp/prefix/include" "$tmp/mpi_inc.c"
  fi
else
  test ! -e "$tmp/prefix/include/gramconv_mpi.h"
fi
cmake -S "$src/tests/install" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
LD_LIBRARY_PATH=$(echo "$tmp"/prefix/lib*) "$tmp/consumer/consumer"
pcdir=$(dirname "$(ls "$tmp"/prefix/lib*/pkgconfig/gramconv.pc)")
if command -v pkg-config >/dev/null; then
  ver=$(PKG_CONFIG_PATH=$pcdir pkg-config --modversion gramconv)
  test "$ver" = "$("$tmp/prefix/bin/gramconv" --version | awk '{print $2}')"
  # shellcheck disable=SC2046
  cc "$src/tests/install/consumer.c" -o "$tmp/pc_consumer" $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs gramconv)
  LD_LIBRARY_PATH=$(echo "$tmp"/prefix/lib*) "$tmp/pc_consumer"
fi
echo "install test passed"
