#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest.
# Usage: tools/test.sh [BUILD_DIR] [extra cmake -D options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$root/build}
shift || true
"$root/tools/install-deps.sh"
"$root/tools/build.sh" "$build_dir" "$@"
cd "$build_dir"
ctest --output-on-failure -j"$(nproc)" ${WARDEN_CTEST_ARGS:-}
