#!/usr/bin/env bash
# Runs one simulator seed twice and fails unless both runs print the same
# trace hash: a seed must replay bit for bit.
# Usage: sim_replay.sh path/to/warden [seed [more warden sim options]]
set -u
warden=${1:?usage: sim_replay.sh path/to/warden [seed [options]]}
seed=${2:-7}
shift $(( $# < 2 ? $# : 2 ))

trace_of() {
  "$warden" sim --seed "$seed" "$@" | sed -n 's/.* trace=\([0-9a-f]\{16\}\)$/\1/p' | tail -n 1
}

first=$(trace_of)
second=$(trace_of)
if [[ -z "$first" || -z "$second" ]]; then
  echo "sim_replay: no trace= value in the output of 'warden sim --seed $seed'" >&2
  exit 1
fi
if [[ "$first" != "$second" ]]; then
  echo "sim_replay: seed $seed replayed differently: trace=$first then trace=$second" >&2
  exit 1
fi
echo "sim_replay: seed $seed replays with trace=$first"
