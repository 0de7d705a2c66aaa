"""The read/write split with real processes.

RouterRulesTest: `warden router` against a Warden ensemble whose records the
test writes itself, with small TCP servers standing in for MySQL (each
greets with its name, then echoes), so every rule can be driven on its own:
writes refused without a fit primary, reads spread by connection count and
kept off lagging, unhealthy or maintained replicas, falling back to the
primary, and read-write connections closed at once when the primary record
names a new primary while the old server still runs.

RouterAcrossWardenNodesTest: the same with a 3-node ensemble; each node is
killed in turn (one of them is the router's) and a new primary published:
the router follows it through the nodes still up.

MariaDBRouterTest: three MariaDB servers managed by three `warden serve`
nodes (managed.py), each agent also answering HTTP health checks
(warden.mysql.healthPort), with `warden router` and Debian's haproxy (run
from docs/haproxy.cfg) in front:
- writes through the router's read-write port land on the primary only,
  reads through its read-only port on both replicas;
- the router's and the agents' /primary and /replica answers;
- haproxy sends writes to the primary and reads to the replicas;
- kill -9 of the primary's mariadbd: the router's read-write connections to
  it close, and once a replica is promoted (epoch 2) new ones reach it; the
  time from the kill to the first write through the router is printed, and
  haproxy's write frontend moves to the new primary too.

Needs Debian's mariadb-server, haproxy, python3-pymysql and python3-kazoo.

Usage: router_test.py WARDEN_BINARY [unittest arguments]"""

import collections
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from managed import CLUSTER, ManagedCluster, Writer, wait_until
from mariadb import free_ports

import pymysql  # noqa: E402 - after managed, which explains a missing module
from ensemble import Ensemble  # noqa: E402 - managed puts it on the path

WARDEN = None  # set from argv[1]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
DOCS_HAPROXY_CFG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                                "haproxy.cfg")


def http_get(port, path, timeout=2):
    """(status, JSON body) of GET http://127.0.0.1:port/path."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else None
    finally:
        connection.close()


def wait_for_port(port, seconds=20):
    wait_until(f"something listening on {port}", lambda: _accepts(port), seconds)


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Process:
    """One program run by the test, its output in a log file, stopped by pid."""

    def __init__(self, name, command, root):
        self.name = name
        self.log_path = os.path.join(root, f"{name}.log")
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def log(self, lines=60):
        try:
            with open(self.log_path, errors="replace") as f:
                return f"\n--- {self.name} ---\n" + "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def keep_logs(root):
    """Copies the logs under `root` to $WARDEN_KEEP_LOGS, when set (as
    ensemble.py does for the nodes' logs)."""
    keep = os.environ.get("WARDEN_KEEP_LOGS")
    if not keep:
        return
    os.makedirs(keep, exist_ok=True)
    for name in os.listdir(root):
        if name.endswith(".log"):
            shutil.copy(os.path.join(root, name),
                        os.path.join(keep, f"{os.path.basename(root)}-{name}"))


def start_router(hosts, cluster, root, *extra):
    rw, ro, http_port = free_ports(3)
    router = Process("router", [WARDEN, "router", "--server", hosts, "--cluster", cluster,
                                "--listen", "127.0.0.1", "--rw-port", str(rw), "--ro-port",
                                str(ro), "--http-port", str(http_port), *extra], root)
    router.rw, router.ro, router.http = rw, ro, http_port
    try:
        wait_for_port(http_port)
    except AssertionError:
        router.stop()
        raise AssertionError("the router did not start" + router.log()) from None
    return router


# ---------------------------------------------------------------------------
# The rules, against stand-in backends and hand-written records.

class FakeBackend:
    """A TCP server on loopback that greets each connection with its name
    and a newline, then echoes; counts the connections it accepted."""

    def __init__(self, name):
        self.name = name
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.connections = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        try:
            connection.sendall(self.name.encode() + b"\n")
            while data := connection.recv(4096):
                connection.sendall(data)
        except OSError:
            pass
        finally:
            connection.close()

    def close(self):
        self.listener.close()
        with self.lock:
            for connection in self.connections:
                try:
                    connection.close()
                except OSError:
                    pass


class Client:
    """A connection through the router: who greeted it ("" when the router
    closed it without a backend)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.greeting = self._line()

    def _line(self):
        data = b""
        while not data.endswith(b"\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                break
            data += chunk
        return data.decode().strip()

    def echoes(self):
        try:
            self.sock.sendall(b"ping\n")
            return self._line() == "ping"
        except OSError:
            return False

    def closed_within(self, seconds):
        """Whether the router closed it (EOF or reset) within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        self.sock.close()


class RecordsWorld:
    """A Warden ensemble of NODES nodes whose records the test writes, fake
    backends db1..db3, and `warden router` in front (mixed into a TestCase)."""
    CLUSTER = "rules"
    NODES = 1

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix=f"warden-router-{cls.CLUSTER}-")
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.addClassCleanup(keep_logs, cls.root)
        cls.ensemble = Ensemble(WARDEN, nodes=cls.NODES)
        cls.addClassCleanup(cls.ensemble.stop)
        cls.ensemble.start_all()
        from kazoo.client import KazooClient
        cls.zk = KazooClient(hosts=cls.ensemble.hosts(), timeout=10)
        cls.zk.start(timeout=20)
        cls.addClassCleanup(cls.zk.close)
        cls.addClassCleanup(cls.zk.stop)
        cls.backends = {name: FakeBackend(name) for name in ("db1", "db2", "db3")}
        for backend in cls.backends.values():
            cls.addClassCleanup(backend.close)
        cls.router = start_router(cls.ensemble.hosts(), cls.CLUSTER, cls.root)
        cls.addClassCleanup(cls.router.stop)

    def setUp(self):
        self.clients = []

    def tearDown(self):
        for client in self.clients:
            client.close()

    def connect(self, port):
        client = Client(port)
        self.clients.append(client)
        return client

    # ---- writing the records ----

    def path(self, *parts):
        return "/".join([f"/warden/mysql/{self.CLUSTER}", *parts])

    def member(self, name, role="replica", source="db1", **fields):
        record = {"id": name, "host": "127.0.0.1", "port": self.backends[name].port,
                  "role": role, "flavour": "mariadb", "gtid_position": "0-1-10",
                  "lag_seconds": None if role == "primary" else 0, "healthy": True,
                  "read_only": role != "primary", "maintenance": False, "priority": 1,
                  "source_host": "" if role == "primary" else "127.0.0.1",
                  "source_port": 0 if role == "primary" else self.backends[source].port,
                  "io_running": role != "primary", "problem": ""}
        record.update(fields)
        return record

    def publish(self, primary, members, maintenance=()):
        """Writes the primary record ((member, epoch) or None), the member
        records and the maintenance flags, removing any others."""
        for folder in ("members", "maintenance"):
            self.zk.ensure_path(self.path(folder))
        if primary is None:
            if self.zk.exists(self.path("primary")):
                self.zk.delete(self.path("primary"))
        else:
            name, epoch = primary
            self.set(self.path("primary"), {"member_id": name, "epoch": epoch,
                                            "host": "127.0.0.1",
                                            "port": self.backends[name].port})
        for record in members:
            self.set(self.path("members", record["id"]), record)
        listed = {record["id"] for record in members}
        for child in self.zk.get_children(self.path("members")):
            if child not in listed:
                self.zk.delete(self.path("members", child))
        for child in self.zk.get_children(self.path("maintenance")):
            if child not in maintenance:
                self.zk.delete(self.path("maintenance", child))
        for name in maintenance:
            if not self.zk.exists(self.path("maintenance", name)):
                self.zk.create(self.path("maintenance", name))

    def set(self, path, value):
        data = json.dumps(value).encode()
        if self.zk.exists(path):
            self.zk.set(path, data)
        else:
            self.zk.create(path, data)

    def standard(self):
        """db1 the primary at epoch 1, db2 and db3 streaming from it."""
        return [self.member("db1", "primary"), self.member("db2"), self.member("db3")]

    def wait_answer(self, path, status, key=None, value=None):
        def matches():
            got_status, body = http_get(self.router.http, path)
            return got_status == status and (key is None or body.get(key) == value) and body
        try:
            return wait_until(f"{path} answering {status} {key}={value}", matches, seconds=10)
        except AssertionError as error:
            raise AssertionError(f"{error}; last: {http_get(self.router.http, path)}"
                                 + self.router.log()) from None

    def replica_ids(self):
        status, body = http_get(self.router.http, "/replica")
        return [r["member_id"] for r in body["replicas"]] if status == 200 else []


class RouterRulesTest(RecordsWorld, unittest.TestCase):
    # ---- tests ----

    def test_1_without_a_primary_record_nothing_is_routed(self):
        self.publish(None, self.standard())
        body = self.wait_answer("/primary", 503, "reason", "no primary published")
        self.assertEqual(body, {"reason": "no primary published"})
        self.assertEqual(http_get(self.router.http, "/replica")[0], 503)
        self.assertEqual(http_get(self.router.http, "/health")[0], 200)
        before = {name: b.accepted for name, b in self.backends.items()}
        self.assertEqual(self.connect(self.router.rw).greeting, "")
        self.assertEqual(self.connect(self.router.ro).greeting, "")
        self.assertEqual({name: b.accepted for name, b in self.backends.items()}, before)

    def test_2_writes_reach_the_primary_and_reads_spread_over_the_replicas(self):
        self.publish(("db1", 1), self.standard())
        body = self.wait_answer("/primary", 200, "member_id", "db1")
        self.assertEqual(body, {"member_id": "db1", "epoch": 1, "host": "127.0.0.1",
                                "port": self.backends["db1"].port})
        wait_until("both replicas fit for reads", lambda: self.replica_ids() == ["db2", "db3"])
        for _ in range(3):
            client = self.connect(self.router.rw)
            self.assertEqual(client.greeting, "db1")
            self.assertTrue(client.echoes())
        # Held open, so each new one goes to the replica with fewer.
        reads = [self.connect(self.router.ro).greeting for _ in range(4)]
        self.assertEqual(collections.Counter(reads), {"db2": 2, "db3": 2})

    def test_3_new_reads_avoid_unfit_replicas_and_existing_ones_stay(self):
        self.publish(("db1", 1), self.standard())
        wait_until("both replicas fit for reads", lambda: self.replica_ids() == ["db2", "db3"])
        on_db2 = self.connect(self.router.ro)
        self.assertEqual(on_db2.greeting, "db2")
        self.publish(("db1", 1), [self.member("db1", "primary"),
                                  self.member("db2", lag_seconds=100), self.member("db3")])
        wait_until("db2 dropped for its lag", lambda: self.replica_ids() == ["db3"])
        self.assertEqual([self.connect(self.router.ro).greeting for _ in range(3)], ["db3"] * 3)
        self.assertTrue(on_db2.echoes(), "an open read-only connection was cut")
        # Unhealthy, or following another source, or disconnected: the same.
        for unfit in ({"healthy": False, "problem": "replication SQL thread stopped"},
                      {"source_port": self.backends["db3"].port}, {"io_running": False},
                      {"lag_seconds": None}):
            self.publish(("db1", 1), [self.member("db1", "primary"), self.member("db2"),
                                      self.member("db3", **unfit)])
            wait_until(f"db3 dropped for {unfit}", lambda: self.replica_ids() == ["db2"])
            self.assertEqual(self.connect(self.router.ro).greeting, "db2", unfit)
        # In maintenance, and the other lagging: reads fall back to the primary.
        self.publish(("db1", 1), [self.member("db1", "primary"),
                                  self.member("db2", lag_seconds=100), self.member("db3")],
                     maintenance=["db3"])
        body = self.wait_answer("/replica", 200, "primary_fallback", True)
        self.assertEqual(body["replicas"], [])
        self.assertEqual(self.connect(self.router.ro).greeting, "db1")

    def test_4_a_new_primary_record_closes_read_write_connections_at_once(self):
        self.publish(("db1", 1), self.standard())
        self.wait_answer("/primary", 200, "member_id", "db1")
        held = [self.connect(self.router.rw) for _ in range(3)]
        self.assertEqual([c.greeting for c in held], ["db1"] * 3)
        self.assertTrue(all(c.echoes() for c in held))
        # db2 promoted: its record says primary; the old primary's server
        # still runs and would go on taking writes.
        changed_at = time.monotonic()
        self.publish(("db2", 2), [self.member("db1", source="db2"),
                                  self.member("db2", "primary"),
                                  self.member("db3", source="db2")])
        for client in held:
            self.assertTrue(client.closed_within(5), "a read-write connection to db1 stayed open"
                            + self.router.log())
        closed_s = time.monotonic() - changed_at
        print(f"\nprimary record changed to read-write connections closed: {closed_s:.3f} s",
              file=sys.stderr)
        self.assertLess(closed_s, 2)
        self.assertIn("closing 3 read-write connection(s) to db1 (epoch 1): the primary is now "
                      "db2 (epoch 2)", self.router.log(200))
        self.assertEqual(self.connect(self.router.rw).greeting, "db2")
        # Read-only connections are not closed by a new primary record.
        wait_until("db1 and db3 fit for reads", lambda: self.replica_ids() == ["db1", "db3"])

    def test_5_writes_are_refused_while_the_published_primary_is_unfit(self):
        self.publish(("db1", 1), self.standard())
        self.wait_answer("/primary", 200, "member_id", "db1")
        # A writable db2 is no reason to write there.
        for unfit, reason in (({"read_only": True}, "primary db1 (epoch 1) is read-only"),
                              ({"healthy": False, "problem": "cannot connect"},
                               "primary db1 (epoch 1) is unhealthy: cannot connect")):
            self.publish(("db1", 1), [self.member("db1", "primary", **unfit),
                                      self.member("db2", "primary"), self.member("db3")])
            self.wait_answer("/primary", 503, "reason", reason)
            before = {name: b.accepted for name, b in self.backends.items()}
            self.assertEqual(self.connect(self.router.rw).greeting, "")
            self.assertEqual(self.backends["db2"].accepted, before["db2"])
            self.assertEqual(self.backends["db1"].accepted, before["db1"])
        self.publish(("db1", 1), [self.member("db2"), self.member("db3")])
        self.wait_answer("/primary", 503, "reason", "primary db1 (epoch 1) has no member record")
        self.assertEqual(self.connect(self.router.rw).greeting, "")


# ---------------------------------------------------------------------------
# Real MariaDB, agents, the router and haproxy.

def haproxy_config(template, servers, write_port, read_port):
    """docs/haproxy.cfg with loopback addresses: `servers` maps 1..3 to
    (MySQL port, health port)."""
    text = template.replace("bind :6446", f"bind 127.0.0.1:{write_port}")
    text = text.replace("bind :6447", f"bind 127.0.0.1:{read_port}")
    for i, (mysql_port, health_port) in servers.items():
        old = f"10.0.0.{i}:3306 check port 8008"
        if text.count(old) != 2:
            raise AssertionError(f"docs/haproxy.cfg no longer has two '{old}'")
        text = text.replace(old, f"127.0.0.1:{mysql_port} check port {health_port}")
    if "10.0.0." in text or ":644" in text:
        raise AssertionError("docs/haproxy.cfg has addresses the test does not replace")
    return text


def server_id_through(port, user="writer", password="writer-pw"):
    connection = pymysql.connect(host="127.0.0.1", port=port, user=user, password=password,
                                 autocommit=True, connect_timeout=2, read_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@server_id")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def server_id_or_none(port):
    try:
        return server_id_through(port)
    except Exception:  # noqa: BLE001 - refused, closed or timed out
        return None


class RouterAcrossWardenNodesTest(RecordsWorld, unittest.TestCase):
    """The router's Warden node dies: it goes on following the records
    through another node of the ensemble."""
    CLUSTER = "moves"
    NODES = 3

    def test_the_router_follows_the_records_whichever_node_dies(self):
        members = [self.member("db1", "primary"), self.member("db2"), self.member("db3")]
        self.publish(("db1", 1), members)
        self.wait_answer("/primary", 200, "member_id", "db1")
        epoch = 1
        # One of the three is the router's node; each is killed in turn and
        # started again, and each time a new primary is published.
        for node, name in ((1, "db2"), (2, "db3"), (3, "db1")):
            self.ensemble.kill(node)
            epoch += 1
            promoted = [self.member(m, "primary" if m == name else "replica", source=name)
                        for m in ("db1", "db2", "db3")]
            from kazoo.retry import KazooRetry
            KazooRetry(max_tries=-1, max_delay=0.5, deadline=30)(self.publish, (name, epoch),
                                                                 promoted)
            self.wait_answer("/primary", 200, "member_id", name)
            self.assertEqual(self.connect(self.router.rw).greeting, name)
            self.ensemble.start(node)
            self.ensemble.wait_for_port(self.ensemble.client_ports[node - 1])
            self.ensemble.wait_for_leader()


class MariaDBRouterTest(unittest.TestCase):
    """Tests run in name order on one cluster; each starts from what the
    previous one left."""

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="warden-router-")
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.addClassCleanup(keep_logs, cls.root)
        cls.health_ports = dict(zip((1, 2, 3), free_ports(3)))
        cls.cluster = ManagedCluster(
            WARDEN, node_config=lambda node: [f"warden.mysql.healthPort={cls.health_ports[node]}"])
        cls.addClassCleanup(cls.cluster.stop)
        cls.cluster.start()
        cls.mariadb = cls.cluster.mariadb
        cls.router = start_router(cls.cluster.ensemble.hosts(), CLUSTER, cls.root)
        cls.addClassCleanup(cls.router.stop)
        cls.haproxy = None

    @classmethod
    def start_haproxy(cls):
        with open(DOCS_HAPROXY_CFG) as f:
            template = f.read()
        cls.haproxy_write, cls.haproxy_read = free_ports(2)
        servers = {i: (cls.mariadb[i].port, cls.health_ports[i]) for i in (1, 2, 3)}
        config = os.path.join(cls.root, "haproxy.cfg")
        with open(config, "w") as f:
            f.write(haproxy_config(template, servers, cls.haproxy_write, cls.haproxy_read))
        check = subprocess.run([HAPROXY, "-c", "-f", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise AssertionError(f"haproxy -c refused the config: {check.stdout}{check.stderr}")
        cls.haproxy = Process("haproxy", [HAPROXY, "-db", "-f", config], cls.root)
        cls.addClassCleanup(cls.haproxy.stop)
        wait_for_port(cls.haproxy_write)

    def logs(self):
        text = self.router.log() + self.cluster.agent_logs(20)
        if self.haproxy:
            text += self.haproxy.log(20)
        return text

    def wait(self, what, predicate, seconds=30):
        try:
            return wait_until(what, predicate, seconds)
        except AssertionError as error:
            raise AssertionError(f"{error}{self.logs()}") from None

    def router_answer(self, path):
        return http_get(self.router.http, path)

    def agent_answer(self, node, path):
        return http_get(self.health_ports[node], path)[0]

    def test_1_writes_through_the_router_land_on_the_primary_only(self):
        self.cluster.wait_for_primary(1)
        self.cluster.wait_healthy_members(3)
        self.wait("the router routing writes to db1",
                  lambda: self.router_answer("/primary")[0] == 200)
        ids = list(range(1, 11))
        for i in ids:
            connection = pymysql.connect(host="127.0.0.1", port=self.router.rw, user="writer",
                                         password="writer-pw", autocommit=True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT @@server_id")
                self.assertEqual(cursor.fetchone()[0], 1)
                cursor.execute("INSERT INTO shop.orders (id) VALUES (%s)", (i,))
            connection.close()
        self.assertEqual(self.cluster.count_rows(1, ids), ([], 0))

    def test_2_reads_through_the_router_spread_over_both_replicas(self):
        self.wait("both replicas fit for reads",
                  lambda: (a := self.router_answer("/replica"))[0] == 200 and
                  [r["member_id"] for r in a[1]["replicas"]] == ["db2", "db3"])
        held = [pymysql.connect(host="127.0.0.1", port=self.router.ro, user="writer",
                                password="writer-pw", autocommit=True) for _ in range(4)]
        try:
            seen = []
            for connection in held:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT @@server_id, @@read_only")
                    server_id, read_only = cursor.fetchone()
                    seen.append(server_id)
                    self.assertEqual(read_only, 1)
            self.assertEqual(collections.Counter(seen), {2: 2, 3: 2})
        finally:
            for connection in held:
                connection.close()

    def test_3_the_router_answers_http_checks(self):
        self.assertEqual(self.router_answer("/primary"),
                         (200, {"member_id": "db1", "epoch": 1, "host": "127.0.0.1",
                                "port": self.mariadb[1].port}))
        status, body = self.router_answer("/replica")
        self.assertEqual(status, 200)
        self.assertEqual(body["primary_fallback"], False)
        self.assertEqual({(r["member_id"], r["port"]) for r in body["replicas"]},
                         {("db2", self.mariadb[2].port), ("db3", self.mariadb[3].port)})
        self.assertEqual(self.router_answer("/health")[0], 200)

    def test_4_each_agent_answers_for_its_own_member(self):
        expected = {1: (200, 503), 2: (503, 200), 3: (503, 200)}
        self.wait("every agent's /primary and /replica",
                  lambda: {node: (self.agent_answer(node, "/primary"),
                                  self.agent_answer(node, "/replica"))
                           for node in expected} == expected)
        status, body = http_get(self.health_ports[2], "/primary")
        self.assertEqual((status, body), (503, {"reason": "the primary is db1 (epoch 1)"}))
        status, body = http_get(self.health_ports[1], "/primary")
        self.assertEqual(body, {"member_id": "db1", "role": "primary", "epoch": 1})
        self.assertEqual(self.agent_answer(2, "/replica?max_lag_seconds=x"), 400)
        for node in expected:
            self.assertEqual(self.agent_answer(node, "/health"), 200)

    def metric(self, node, name):
        """The sample of `name` in the agent's /metrics (Prometheus text)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.health_ports[node], timeout=2)
        try:
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        for line in text.splitlines():
            if line.startswith(name + "{"):
                return line.rsplit(" ", 1)[1]
        raise AssertionError(f"no {name} in /metrics:\n{text}")

    def test_4b_commits_waiting_for_an_acknowledgement_show_as_a_metric(self):
        self.wait("db1's agent seeing both replicas acknowledge",
                  lambda: self.metric(1, "warden_mysql_semi_sync_replicas") == "2")
        self.assertEqual(self.metric(1, "warden_mysql_commits_waiting"), "0")
        self.assertEqual(self.metric(2, "warden_mysql_commits_waiting"), "0")
        for node in (2, 3):
            self.mariadb[node].sql("STOP SLAVE IO_THREAD")
        try:
            self.wait("db1's agent reporting commits waiting",
                      lambda: self.metric(1, "warden_mysql_commits_waiting") == "1")
            self.assertIn("commits wait: no replica is connected", self.cluster.agent_logs(1000))
        finally:
            for node in (2, 3):
                self.mariadb[node].sql("START SLAVE IO_THREAD")
        self.wait("db1's commits acknowledged again",
                  lambda: self.metric(1, "warden_mysql_commits_waiting") == "0")

    def test_5_haproxy_routes_by_the_agents_checks(self):
        self.start_haproxy()
        # haproxy 2.6 starts with every server up until its checks fail
        # (docs/haproxy.cfg says so): wait until they have.
        self.wait("haproxy's write frontend reaching db1 only",
                  lambda: all(server_id_or_none(self.haproxy_write) == 1 for _ in range(6)))
        self.wait("haproxy's read frontend reaching a replica",
                  lambda: server_id_or_none(self.haproxy_read) in (2, 3))
        # Every write connection lands on the primary.
        self.assertEqual({server_id_through(self.haproxy_write) for _ in range(5)}, {1})

    def test_6_kill_the_primary_the_router_and_haproxy_move_to_the_new_one(self):
        self.assertIsNotNone(self.haproxy, "test_5 starts haproxy")
        held = pymysql.connect(host="127.0.0.1", port=self.router.rw, user="writer",
                               password="writer-pw", autocommit=True, read_timeout=5)
        with held.cursor() as cursor:
            cursor.execute("SELECT @@server_id")
            self.assertEqual(cursor.fetchone()[0], 1)
        writer = Writer(self.cluster, port=self.router.rw, first_id=10_000_000)
        writer.start()
        self.addCleanup(writer.stop)
        self.wait("50 writes through the router", lambda: len(writer.acknowledged) >= 50)

        killed_at = time.monotonic()
        self.mariadb[1].kill()
        # The router's connection to the dead primary ends with it.
        with self.assertRaises(pymysql.err.MySQLError):
            with held.cursor() as cursor:
                cursor.execute("SELECT 1")
        record = self.cluster.wait_for_primary(2)
        new = self.cluster.node_of(record["member_id"])
        first = self.wait(f"a write through the router on {record['member_id']}",
                          lambda: writer.first_success_on(new, killed_at))
        gap = first - killed_at
        print(f"\nkill -9 of the primary to the first write through the router on "
              f"{record['member_id']}: {gap:.2f} s", file=sys.stderr)
        self.wait("100 more writes", lambda: len(writer.acknowledged) >= 150)
        writer.stop()
        self.assertEqual(self.cluster.count_rows(new, writer.acknowledged)[0], [],
                         "writes acknowledged through the router are missing")
        self.assertEqual({where for when, where in writer.successes if when > first}, {new})
        self.assertEqual(server_id_through(self.router.rw), new)
        self.assertEqual(self.router_answer("/primary"),
                         (200, {"member_id": record["member_id"], "epoch": 2,
                                "host": "127.0.0.1", "port": self.mariadb[new].port}))
        other = ({2, 3} - {new}).pop()
        self.wait("reads on the remaining replica",
                  lambda: server_id_or_none(self.router.ro) == other)

        # haproxy: the new primary's agent passes /primary, the dead one's
        # does not answer.
        moved = self.wait("haproxy's write frontend reaching the new primary",
                          lambda: server_id_or_none(self.haproxy_write) == new and
                          time.monotonic())
        print(f"kill -9 of the primary to haproxy's first write on {record['member_id']}: "
              f"{moved - killed_at:.2f} s", file=sys.stderr)
        self.assertEqual(self.agent_answer(new, "/primary"), 200)
        self.assertEqual(self.agent_answer(other, "/primary"), 503)
        self.assertEqual({server_id_through(self.haproxy_write) for _ in range(5)}, {new})
        self.wait("haproxy's read frontend reaching the remaining replica",
                  lambda: server_id_or_none(self.haproxy_read) == other)


if __name__ == "__main__":
    WARDEN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
