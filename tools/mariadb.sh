#!/usr/bin/env bash
# Starts three MariaDB servers on loopback for the local ensemble
# (tools/ensemble.sh), one beside each Warden node: db1 the primary, db2 and
# db3 replicating from it by GTID with semi-synchronous replication. Each has
# its own data directory, socket and error log under BASE/dbN; all start
# read-only, as managed servers must (the agents make the primary writable).
# Writes BASE/agent.cnf and BASE/replication.cnf (the accounts the agents
# use) and BASE/dbN/mariadbd.pid.
#   tools/mariadb.sh BASE PORT1 PORT2 PORT3
set -euo pipefail
base=$1
shift
ports=("$@")
[ ${#ports[@]} -eq 3 ] || { echo "usage: $0 BASE PORT1 PORT2 PORT3" >&2; exit 2; }
PATH=$PATH:/usr/sbin:/sbin
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--user=root)
repl_password=repl-local-password

mkdir -p "$base"
template=$base/template
if [ ! -d "$template/mysql" ]; then
  rm -rf "$template"
  cat > "$base/users.sql" <<SQL
FLUSH PRIVILEGES;
CREATE USER 'repl'@'%' IDENTIFIED BY '$repl_password';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
SQL
  echo "bootstrapping a MariaDB data directory (once) in $template"
  mariadb-install-db --no-defaults --auth-root-authentication-method=normal \
    --datadir="$template" --skip-test-db --skip-name-resolve \
    --extra-file="$base/users.sql" "${as_root[@]}" > "$base/install-db.log" 2>&1
fi

umask 077
printf '[client]\nuser = root\npassword = ""\n' > "$base/agent.cnf"
printf '[client]\nuser = repl\npassword = "%s"\n' "$repl_password" > "$base/replication.cnf"
umask 022

for i in 1 2 3; do
  dir=$base/db$i
  # The source role on db1 only: on a replica (log_slave_updates) every
  # replicated commit would wait for an acknowledgement from replicas of its
  # own, stalling its SQL thread until the timeout. A promotion turns it on.
  source_role=OFF
  [ "$i" = 1 ] && source_role=ON
  if [ -f "$dir/mariadbd.pid" ] && kill -0 "$(cat "$dir/mariadbd.pid")" 2>/dev/null; then
    echo "db$i is still running (pid $(cat "$dir/mariadbd.pid")): stop it first" >&2
    exit 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -a "$template" "$dir/data"
  cat > "$dir/my.cnf" <<CNF
[mariadbd]
datadir=$dir/data
socket=$dir/mariadbd.sock
port=${ports[$((i - 1))]}
bind_address=127.0.0.1
pid_file=$dir/mariadbd.pid
log_error=$dir/error.log
tmpdir=$dir
server_id=$i
log_bin=mariadb-bin
relay_log=relay-bin
binlog_format=ROW
log_slave_updates=ON
gtid_strict_mode=ON
read_only=ON
init_rpl_role=SLAVE
rpl_semi_sync_master_enabled=$source_role
rpl_semi_sync_slave_enabled=ON
rpl_semi_sync_master_wait_point=AFTER_SYNC
skip_name_resolve=ON
innodb_buffer_pool_size=32M
innodb_log_file_size=8M
performance_schema=OFF
CNF
  mariadbd --defaults-file="$dir/my.cnf" "${as_root[@]}" >> "$dir/stdout.log" 2>&1 &
done

for i in 1 2 3; do
  for _ in $(seq 1 600); do
    mariadb -S "$base/db$i/mariadbd.sock" -uroot -e 'SELECT 1' > /dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb -S "$base/db$i/mariadbd.sock" -uroot -e 'SELECT 1' > /dev/null ||
    { echo "db$i did not start; see $base/db$i/error.log" >&2; exit 1; }
done

# The primary needs a writable moment for the demo schema; its agent keeps
# it writable once it has adopted it as the first primary.
mariadb -S "$base/db1/mariadbd.sock" -uroot -e "SET GLOBAL read_only=OFF;
  CREATE DATABASE IF NOT EXISTS demo;
  CREATE TABLE IF NOT EXISTS demo.events (id INT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(3)
    DEFAULT CURRENT_TIMESTAMP(3));"
for i in 2 3; do
  mariadb -S "$base/db$i/mariadbd.sock" -uroot -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1',
    MASTER_PORT=${ports[0]}, MASTER_USER='repl', MASTER_PASSWORD='$repl_password',
    MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
done
