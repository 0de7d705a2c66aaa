"""Three real MariaDB servers (mariadb.py), replicating by GTID with
semi-synchronous replication, each watched by the MySQL agent of one of
three `warden serve` nodes (ensemble.py): the managed cluster that the
failover tests and the failover benchmark run against. Also a writer that
follows the published primary and keeps what was acknowledged.

ManagedCluster(warden).start() sets everything up; stop() (or leaving a
`with` block) stops every process by pid. Reading what the agents publish
goes through a kazoo client."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

import pymysql  # noqa: E402
from ensemble import Ensemble  # noqa: E402
from mariadb import MariaDBCluster, REPL_PASSWORD, REPL_USER, write_credentials  # noqa: E402

CLUSTER = "shop"
MEMBERS = {1: "db1", 2: "db2", 3: "db3"}
SESSION_TIMEOUT_MS = 4000


def wait_until(what, predicate, seconds=30, interval=0.05):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(interval)


class Writer(threading.Thread):
    """Inserts rows into shop.orders, one autocommit insert at a time: on
    whichever server the primary record names, or through a fixed `port`
    (a router's). Keeps the ids whose commit was acknowledged, and when each
    was and which server (@@server_id) took it. An id whose insert failed
    may have committed, so none is reused."""

    def __init__(self, cluster, port=None, first_id=1):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.port = port
        self.next_id = first_id
        self.acknowledged = []
        self.successes = []  # (monotonic time, server_id)
        self.errors = 0
        self.stopping = threading.Event()

    def run(self):
        connection, port, server_id = None, None, None
        while not self.stopping.is_set():
            try:
                target = self.port or self.cluster.primary_port()
                if connection is None or port != target:
                    if connection is not None:
                        connection.close()
                    port = target
                    connection = pymysql.connect(host="127.0.0.1", port=port, user="writer",
                                                 password="writer-pw", autocommit=True,
                                                 connect_timeout=2, read_timeout=5,
                                                 write_timeout=5)
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT @@server_id")
                        server_id = cursor.fetchone()[0]
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO shop.orders (id) VALUES (%s)", (self.next_id,))
                self.acknowledged.append(self.next_id)
                self.successes.append((time.monotonic(), server_id))
            except Exception:  # noqa: BLE001 - every failure is counted and retried
                self.errors += 1
                if connection is not None:
                    try:
                        connection.close()
                    except Exception:  # noqa: BLE001
                        pass
                connection = None
                time.sleep(0.02)
            self.next_id += 1

    def first_success_on(self, server_id, after):
        """When the first commit that server `server_id` acknowledged after
        `after` (monotonic) arrived, or None."""
        for when, where in list(self.successes):
            if when > after and where == server_id:
                return when
        return None

    def stop(self):
        self.stopping.set()
        self.join(30)


class ManagedCluster:
    """The three servers and three nodes; `mariadb` and `ensemble` are the
    harnesses, `zk` a kazoo client of the ensemble."""

    def __init__(self, warden, node_config=None):
        """node_config(node): more zoo.cfg lines for that node's file."""
        self.warden = warden
        self.extra_node_config = node_config
        self.mariadb = None
        self.ensemble = None
        self.zk = None
        self.secrets = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        self.mariadb = MariaDBCluster(3, semi_sync=True)
        self.mariadb.start()
        self.mariadb[1].sql("CREATE USER 'writer'@'%' IDENTIFIED BY 'writer-pw'")
        self.mariadb[1].sql("GRANT ALL ON shop.* TO 'writer'@'%'")
        self.mariadb[1].sql("CREATE DATABASE shop")
        self.mariadb[1].sql("CREATE TABLE shop.orders (id INT PRIMARY KEY)")
        self.mariadb.wait_caught_up()
        # Managed servers start read-only; the agent makes the primary writable.
        for i in range(1, 4):
            self.mariadb[i].options["read_only"] = "ON"
            # A crashed primary's recovery drops what it logged but no
            # replica acknowledged, so that it can rejoin as a replica.
            self.mariadb[i].options["init_rpl_role"] = "SLAVE"

        self.secrets = tempfile.mkdtemp(prefix="warden-secrets-")
        agent = write_credentials(self.secrets, "agent.cnf", "root", "")
        replication = write_credentials(self.secrets, "replication.cnf", REPL_USER, REPL_PASSWORD)
        self.agent_credentials, self.replication_credentials = agent, replication

        def node_config(node):
            return [f"warden.mysql.host=127.0.0.1",
                    f"warden.mysql.port={self.mariadb[node].port}",
                    f"warden.mysql.cluster={CLUSTER}",
                    f"warden.mysql.member={MEMBERS[node]}",
                    f"warden.mysql.credentials={agent}",
                    f"warden.mysql.replicationCredentials={replication}",
                    "warden.mysql.probeIntervalMs=200",
                    f"warden.mysql.sessionTimeoutMs={SESSION_TIMEOUT_MS}",
                    "warden.mysql.minFailoverIntervalMs=0",
                    *(self.extra_node_config(node) if self.extra_node_config else [])]

        self.ensemble = Ensemble(self.warden, extra_config=["minSessionTimeout=2000"],
                                node_config=node_config)
        self.ensemble.start_all()
        from kazoo.client import KazooClient
        from kazoo.retry import KazooRetry
        self.zk = KazooClient(hosts=self.ensemble.hosts(), timeout=10,
                             connection_retry=KazooRetry(max_tries=-1, max_delay=0.5))
        self.zk.start(timeout=20)

    # ---- reading what the agents publish ----

    def primary_record(self):
        try:
            data, _ = self.zk.get(f"/warden/mysql/{CLUSTER}/primary")
        except Exception:  # noqa: BLE001 - not published yet
            return None
        return json.loads(data)

    def members(self):
        path = f"/warden/mysql/{CLUSTER}/members"
        records = {}
        try:
            names = self.zk.get_children(path)
        except Exception:  # noqa: BLE001 - the agents have not made the layout yet
            return records
        for child in names:
            try:
                records[child] = json.loads(self.zk.get(f"{path}/{child}")[0])
            except Exception:  # noqa: BLE001 - gone between the two reads
                pass
        return records

    def node_of(self, member_id):
        return next(node for node, name in MEMBERS.items() if name == member_id)

    def primary_port(self):
        record = self.primary_record()
        if record is None:
            raise RuntimeError("no primary published")
        return self.mariadb[self.node_of(record["member_id"])].port

    def agent_logs(self, lines=40):
        """The agents' last log lines, to explain a failure."""
        text = ""
        for node in MEMBERS:
            try:
                log = [line for line in self.ensemble.log(node).splitlines()
                       if "mysql agent" in line]
            except OSError:
                continue
            text += f"\n--- node {node} ---\n" + "\n".join(log[-lines:])
        return text

    def wait_for_primary(self, epoch, seconds=30):
        try:
            return wait_until(f"a primary at epoch {epoch}",
                              lambda: (r := self.primary_record()) and r["epoch"] >= epoch and r,
                              seconds)
        except AssertionError as error:
            raise AssertionError(f"{error}; published: {self.primary_record()}; members: "
                                 f"{self.members()}{self.agent_logs()}") from None

    def wait_healthy_members(self, count, seconds=30):
        return wait_until(f"{count} healthy members",
                          lambda: (m := self.members()) and
                          sum(1 for r in m.values() if r["healthy"]) >= count and m, seconds)

    def count_rows(self, node, ids):
        rows = self.mariadb[node].sql("SELECT id FROM shop.orders")
        present = {row[0] for row in rows}
        return [i for i in ids if i not in present], len(rows) - len(present)

    def stop(self):
        """Stops the client, the nodes and the servers; safe to call twice."""
        if self.zk is not None:
            self.zk.stop()
            self.zk.close()
            self.zk = None
        if self.ensemble is not None:
            self.ensemble.stop()
            self.ensemble = None
        if self.mariadb is not None:
            self.mariadb.teardown()
            self.mariadb = None
        if self.secrets is not None:
            shutil.rmtree(self.secrets, ignore_errors=True)
            self.secrets = None
