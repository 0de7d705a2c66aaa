#!/usr/bin/env bash
# Starts a local 3-node Warden ensemble on loopback, each node from its own
# ZooKeeper-style zoo.cfg and myid under .warden/ in the checkout (ignored by
# git), prints how to connect, and stops every node on Ctrl-C.
#   tools/ensemble.sh [build/warden]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
warden=${1:-$root/build/warden}
base=$root/.warden
client_ports=(2181 2182 2183)
servers=""
for i in 1 2 3; do servers+="server.$i=127.0.0.1:$((2887 + i)):$((3887 + i))"$'\n'; done

pids=()
stop() {
  trap - INT TERM
  echo
  echo "stopping the ensemble (pids ${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  exit 0
}
trap stop INT TERM

for i in 1 2 3; do
  dir=$base/node$i
  mkdir -p "$dir"
  echo "$i" > "$dir/myid"
  cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir
clientPort=${client_ports[$((i - 1))]}
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.serverAddress=127.0.0.1
admin.serverPort=$((8080 + i))
$servers
CFG
  "$warden" serve --config "$dir/zoo.cfg" >> "$base/node$i.log" 2>&1 &
  pids+=($!)
done

connect=127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183
cat <<INFO
Warden ensemble running: 3 nodes, data and logs under $base
  connect string: $connect
  zkCli.sh:       /usr/share/zookeeper/bin/zkCli.sh -server $connect
  kazoo:          /usr/bin/python3 -c "from kazoo.client import KazooClient as K; z=K('$connect'); z.start(); print(z.get_children('/'))"
  warden cli:     $warden cli -server $connect ls /
  admin HTTP:     curl http://127.0.0.1:8081/commands/mntr   (nodes 1-3 on ports 8081-8083;
                  also /metrics in Prometheus format and /health)
  node logs:      tail -f $base/node*.log
Press Ctrl-C to stop.
INFO
wait
