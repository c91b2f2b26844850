#!/usr/bin/env bash
# install_test.sh BUILD_DIR SOURCE_DIR: installs the build into a temporary prefix, then builds
# a consumer through find_package(gramconv) and through pkg-config, and runs both.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -x "$tmp/prefix/bin/gramconv"
test -f "$tmp/prefix/include/gramconv.h"
ls "$tmp"/prefix/lib*/libgramconv.so.* >/dev/null
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
