#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs Warden.
# Until the network server exists, that is a simulated 3-node ensemble under
# faults with a readable report, then a batch of seeds for 3 and 5 nodes, for
# the register workload and for the ZooKeeper tree workload.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh" "$root/build"
"$root/build/warden" sim --seed 13 --summary
"$root/build/warden" sim --seeds 100 --nodes 3
"$root/build/warden" sim --seeds 100 --nodes 5
# The ZooKeeper tree in sessions: one report, then a batch.
"$root/build/warden" sim --workload tree --seed 13 --summary | tail -n 3
"$root/build/warden" sim --workload tree --seeds 100 --nodes 3
