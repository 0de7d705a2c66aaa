#!/usr/bin/env bash
# Plants one bug with `warden sim --inject-bug NAME` on the default seeds and
# passes only if the run exits non-zero AND reports a violation of a safety
# invariant (so a crash or a usage error does not count as catching it).
# Usage: sim_expect_bug.sh path/to/warden bug-name
set -u
warden=${1:?usage: sim_expect_bug.sh path/to/warden bug-name}
bug=${2:?usage: sim_expect_bug.sh path/to/warden bug-name}

output=$("$warden" sim --inject-bug "$bug")
status=$?
printf '%s\n' "$output" | grep -v '^    t=' | tail -n 5
if [[ $status -eq 0 ]]; then
  echo "sim_expect_bug: '$bug' was not caught (exit 0)" >&2
  exit 1
fi
safety='one-leader-per-epoch|committed-prefix|committed-lost|zxid-order|state-divergence|linearizability|node-self-check|tree-history|txn-fits-state|two-writable-primaries|acknowledged-write-lost|replica-diverged|primary-epoch'
if ! printf '%s\n' "$output" | grep -Eq "^VIOLATION seed=[0-9]+ .*invariant=($safety) "; then
  echo "sim_expect_bug: '$bug' exited $status without a safety violation line" >&2
  exit 1
fi
