#!/usr/bin/env bash
# Starts a local 3-node Warden ensemble on loopback, each node from its own
# ZooKeeper-style zoo.cfg and myid under .warden/ in the checkout (ignored by
# git), with a MariaDB server beside each node (tools/mariadb.sh) watched by
# that node's MySQL agent and `warden router` in front of them, prints how to
# connect and how to watch a failover, and stops every process on Ctrl-C. WARDEN_NO_MYSQL=1 starts the
# Warden nodes alone.
#   tools/ensemble.sh [build/warden]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
warden=${1:-$root/build/warden}
base=$root/.warden
client_ports=(2181 2182 2183)
servers=""
for i in 1 2 3; do servers+="server.$i=127.0.0.1:$((2887 + i)):$((3887 + i))"$'\n'; done

mysql_ports=(3311 3312 3313)
with_mysql=1
[ "${WARDEN_NO_MYSQL:-0}" = 1 ] && with_mysql=0

pids=()
mysql_pids() {
  for i in 1 2 3; do
    [ -f "$base/mysql/db$i/mariadbd.pid" ] && cat "$base/mysql/db$i/mariadbd.pid"
  done
}
stop() {
  trap - INT TERM
  echo
  echo "stopping the ensemble (pids ${pids[*]})"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  if [ "$with_mysql" = 1 ]; then
    local mpids
    mpids=$(mysql_pids)
    if [ -n "$mpids" ]; then
      echo "stopping MariaDB (pids $(echo $mpids))"
      kill -TERM $mpids 2>/dev/null || true
      for pid in $mpids; do
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      done
    fi
  fi
  exit 0
}
trap stop INT TERM

if [ "$with_mysql" = 1 ]; then
  # A fresh demo each time: new MariaDB servers, so the namespace that
  # described the last ones goes too.
  rm -rf "$base"/node[123]
  "$root/tools/mariadb.sh" "$base/mysql" "${mysql_ports[@]}"
fi

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
  if [ "$with_mysql" = 1 ]; then
    cat >> "$dir/zoo.cfg" <<CFG
warden.mysql.host=127.0.0.1
warden.mysql.port=${mysql_ports[$((i - 1))]}
warden.mysql.cluster=demo
warden.mysql.member=db$i
warden.mysql.credentials=$base/mysql/agent.cnf
warden.mysql.replicationCredentials=$base/mysql/replication.cnf
warden.mysql.probeIntervalMs=200
warden.mysql.sessionTimeoutMs=4000
CFG
  fi
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
INFO
if [ "$with_mysql" = 1 ]; then
  "$warden" router --server "$connect" --cluster demo --rw-port 6446 --ro-port 6447 \
    --http-port 8090 >> "$base/router.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    "$warden" mysql status --server "$connect" --cluster demo 2>/dev/null | grep -q "primary db1" && break
    sleep 0.1
  done
  cat <<INFO

MariaDB: db1, db2, db3 on 127.0.0.1:${mysql_ports[0]}, ${mysql_ports[1]}, ${mysql_ports[2]} (data under $base/mysql)
$("$warden" mysql status --server "$connect" --cluster demo 2>&1)

  topology:       $warden mysql status --server $connect --cluster demo
  router:         writes on 127.0.0.1:6446 (the primary), reads on 127.0.0.1:6447 (a replica);
                  curl http://127.0.0.1:8090/primary (or /replica) for HAProxy-style checks
  write:          mariadb -h127.0.0.1 -P6446 -uroot -e "INSERT INTO demo.events () VALUES ()"
  read:           mariadb -h127.0.0.1 -P6447 -uroot -e "SELECT @@server_id, COUNT(*) FROM demo.events"
  kill db1:       kill -9 \$(cat $base/mysql/db1/mariadbd.pid)
                  then run the status command again: db2 or db3 is primary at epoch 2,
                  the other replicates from it (agent logs: grep 'mysql agent' $base/node*.log)
INFO
fi
echo "Press Ctrl-C to stop."
wait
