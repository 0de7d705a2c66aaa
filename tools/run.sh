#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a local 3-node
# Warden ensemble on loopback (tools/ensemble.sh) until Ctrl-C. The simulator
# and every other test run from tools/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tools/install-deps.sh"
"$root/tools/build.sh" "$root/build"
exec "$root/tools/ensemble.sh" "$root/build/warden"
