#!/usr/bin/env bash
# Runs `warden lincheck` once over every history listed in a Jepsen LABELS
# file and compares each verdict line with its label. Used by CTest
# (lincheck_jepsen_labels); usable by hand:
#   tests/check_lincheck_labels.sh build/warden ../shared/testdata/jepsen-etcd
set -u

if [[ $# -ne 2 ]]; then
  echo "usage: $0 WARDEN_BINARY JEPSEN_DIR" >&2
  exit 2
fi
warden=$(realpath "$1")
jepsen_dir=$2
labels="$jepsen_dir/LABELS"
[[ -r "$labels" ]] || { echo "cannot read $labels" >&2; exit 2; }

mapfile -t files < <(awk 'NF { print $1 }' "$labels")
# File names are passed as LABELS spells them, so the verdict lines name them
# the same way.
verdicts=$(cd "$jepsen_dir" && "$warden" lincheck "${files[@]}")
warden_status=$?

awk '
  NR == FNR { verdict[$1] = $2; next }
  NF == 0 { next }
  verdict[$1] == $2 { passed++; next }
  {
    failed++
    printf "MISMATCH %s: expected %s, got %s\n", $1, $2, ($1 in verdict) ? verdict[$1] : "no verdict"
  }
  END {
    printf "%d passed, %d failed\n", passed, failed
    exit failed > 0
  }
' <(printf '%s\n' "$verdicts") "$labels"
compare_status=$?

if [[ $warden_status -ne 0 ]]; then
  echo "warden lincheck exited with status $warden_status"
  exit 1
fi
exit $compare_status
