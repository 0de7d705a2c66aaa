#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, -DWARDEN_FUZZ=ON) into
# BUILD_DIR and runs each one for SECONDS seconds, starting from a copy of its
# seeds (tests/fuzz/corpus/<target>/) kept in BUILD_DIR/fuzz/corpus/<target>/,
# where what the runs find accumulates and the checkout stays clean.
#
# Fails if any target crashes, leaks, trips ASan/UBSan or one of its own
# checks; the input that did it is left in BUILD_DIR/fuzz/artifacts/<target>/
# (replay: BUILD_DIR/tests/fuzz/<target> ARTIFACT), the whole log in
# BUILD_DIR/fuzz/logs/<target>.log.
#
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
# Called by .ci/run with 60 seconds a target.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
build_dir=$(cd "$1" && pwd)
seconds=$2

echo "== fuzz: building into $build_dir"
CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DWARDEN_FUZZ=ON \
  -DCMAKE_CXX_COMPILER="$(command -v clang++)" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

# Inputs longer than this are not tried: a few frames, or a zoo.cfg, fit.
max_len=4096
# Undefined behaviour already stops the target (-fno-sanitize-recover);
# this adds where it happened.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

work="$build_dir/fuzz"
failed=()
for source in "$root"/tests/fuzz/fuzz_*.cc; do
  target=$(basename "$source" .cc)
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target"
  log="$work/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$work/logs"
  cp "$root/tests/fuzz/corpus/$target"/* "$corpus/"
  options=(-max_total_time="$seconds" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048
           -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "$root/tests/fuzz/$target.dict" ] && options+=(-dict="$root/tests/fuzz/$target.dict")

  echo "== fuzz: $target for ${seconds}s"
  status=0
  (cd "$work" && "$build_dir/tests/fuzz/$target" "${options[@]}" "$corpus") >"$log" 2>&1 ||
    status=$?
  if [ "$status" -eq 0 ]; then
    # libFuzzer's closing lines: executions, coverage, corpus size, speed.
    grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs' "$log" || tail -n 3 "$log"
  else
    echo "$target FAILED (exit $status); the end of $log:"
    tail -n 60 "$log"
    find "$artifacts" -type f -printf "  artifact: %p\n"
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "== fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "== fuzz: all targets ran ${seconds}s without a failure"
