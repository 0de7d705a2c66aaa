"""`warden mysql probe` against real MariaDB (mariadb.py): a primary and a
replica replicating by GTID, probed through MySQL Connector/C++ with a
monitoring account that has only REPLICA MONITOR.

- the primary probes as a healthy, writable primary whose GTID position is
  what SQL reports;
- the replica, caught up, probes as a healthy replica with lag 0 and both
  threads running; with its SQL thread stopped it is unhealthy and says so;
- a wrong password, a missing privilege, a port nobody listens on and a
  listener that never answers each give exit status 1 and a clear reason,
  the last within the timeout plus a second;
- a credentials file others can read is refused (exit status 2).

Needs Debian's mariadb-server and python3-pymysql; fails, does not skip,
without them.

Usage: probe_test.py WARDEN_BINARY [unittest arguments]"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from mariadb import MariaDBCluster, free_ports, programs, write_credentials

WARDEN = None  # set from argv[1]

MONITOR_USER = "warden_monitor"
MONITOR_PASSWORD = "monitor pass#word"  # a space and a hash, quoted in the file



class Probe:
    """One run of `warden mysql probe`: exit status, stdout JSON (or None),
    stderr, wall time."""

    def __init__(self, port, credentials, timeout_ms=2000, host="127.0.0.1"):
        command = [WARDEN, "mysql", "probe", "--host", host, "--port", str(port),
                   "--credentials", credentials, "--timeout-ms", str(timeout_ms)]
        began = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        self.seconds = time.monotonic() - began
        self.code = done.returncode
        self.stderr = done.stderr
        self.stdout = done.stdout
        self.json = json.loads(done.stdout) if done.stdout.strip() else None

    @property
    def member(self):
        return self.json["member"]

    @property
    def probe(self):
        return self.json["probe"]

    def __str__(self):
        return (f"exit {self.code} after {self.seconds:.2f}s\nstdout: {self.stdout}\n"
                f"stderr: {self.stderr}")


class SilentListener:
    """A TCP server on loopback that accepts connections and never sends a
    byte: what a hung server or a half-dead host looks like to a client."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.port = self.socket.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self):
        for connection in self.accepted:
            connection.close()
        self.socket.close()


class ProbeTest(unittest.TestCase):
    """One primary and one replica for the whole class; a test that changes
    replication puts it back."""

    @classmethod
    def setUpClass(cls):
        programs()
        cls.dir = tempfile.mkdtemp(prefix="warden-probe-test-")
        cls.cluster = MariaDBCluster(2)
        try:
            cls.cluster.start()
            primary = cls.cluster[1]
            primary.sql(f"CREATE USER '{MONITOR_USER}'@'%%' IDENTIFIED BY %s",
                        (MONITOR_PASSWORD,))
            primary.sql(f"GRANT REPLICA MONITOR ON *.* TO '{MONITOR_USER}'@'%'")
            primary.sql("CREATE USER 'nobody_special'@'%' IDENTIFIED BY 'plain'")
            primary.sql("CREATE DATABASE app")
            primary.sql("CREATE TABLE app.t (id INT PRIMARY KEY)")
            cls.cluster.wait_caught_up()
        except BaseException:
            cls.cluster.teardown()
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise
        cls.credentials = write_credentials(cls.dir, "monitor.cnf", MONITOR_USER,
                                            MONITOR_PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.teardown()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def probe(self, server, **kwargs):
        return Probe(self.cluster[server].port, self.credentials, **kwargs)

    def write(self, row_id):
        self.cluster[1].sql("INSERT INTO app.t VALUES (%s)", (row_id,))

    def test_primary_is_a_healthy_writable_primary_at_its_gtid_position(self):
        self.write(1)
        result = self.probe(1)
        self.assertEqual(result.code, 0, result)
        self.assertEqual(result.stderr, "")
        member, probe = result.member, result.probe
        self.assertEqual(member["role"], "primary")
        self.assertIs(member["healthy"], True)
        self.assertIs(member["read_only"], False)
        self.assertEqual(member["flavour"], "mariadb")
        self.assertEqual(member["host"], "127.0.0.1")
        self.assertEqual(member["port"], self.cluster[1].port)
        self.assertIsNone(member["lag_seconds"])
        # No write ran since the probe: what it read is what SQL says now.
        position = self.cluster.gtid_current_pos(1)
        self.assertNotEqual(position, "")
        self.assertEqual(member["gtid_position"], position)
        self.assertEqual(probe["gtid_current_pos"], position)
        self.assertEqual(probe["gtid_binlog_pos"], self.cluster.gtid_binlog_pos(1))
        self.assertEqual(probe["gtid_slave_pos"], self.cluster.gtid_slave_pos(1))
        self.assertEqual(probe["server_id"], 1)
        self.assertIn("MariaDB", probe["version"])
        self.assertIsNone(probe["replication"])
        self.assertIs(probe["completed"], True)
        self.assertEqual(probe["error"], "")
        # Built into MariaDB, off in this cluster: reported, not absent.
        self.assertIs(probe["semi_sync_source_enabled"], False)

    def test_caught_up_replica_is_healthy_with_no_lag(self):
        self.write(2)
        position = self.cluster.wait_caught_up()
        result = self.probe(2)
        self.assertEqual(result.code, 0, result)
        member, probe = result.member, result.probe
        self.assertEqual(member["role"], "replica")
        self.assertIs(member["healthy"], True)
        self.assertIs(member["read_only"], True)
        self.assertEqual(member["lag_seconds"], 0)
        self.assertEqual(member["gtid_position"], position)
        self.assertEqual(probe["gtid_slave_pos"], position)
        self.assertEqual(probe["server_id"], 2)
        replication = probe["replication"]
        self.assertEqual(replication["source_host"], "127.0.0.1")
        self.assertEqual(replication["source_port"], self.cluster[1].port)
        self.assertEqual(replication["io_thread_state"], "Yes")
        self.assertEqual(replication["sql_thread_state"], "Yes")
        self.assertEqual(replication["seconds_behind_source"], 0)

    def test_replica_with_its_sql_thread_stopped_is_unhealthy(self):
        replica = self.cluster[2]
        replica.sql("STOP SLAVE SQL_THREAD")
        self.addCleanup(lambda: (replica.sql("START SLAVE SQL_THREAD"),
                                 self.cluster.wait_caught_up()))
        result = self.probe(2)
        self.assertEqual(result.code, 1, result)
        self.assertIn("is unhealthy", result.stderr)
        self.assertIn("Slave_SQL_Running is No", result.stderr)
        self.assertNotIn("Slave_IO_Running", result.stderr)
        self.assertEqual(result.member["role"], "replica")
        self.assertIs(result.member["healthy"], False)
        self.assertIsNone(result.member["lag_seconds"])
        self.assertEqual(result.probe["replication"]["sql_thread_state"], "No")
        self.assertEqual(result.probe["replication"]["io_thread_state"], "Yes")

    def test_wrong_password_is_access_denied(self):
        credentials = write_credentials(self.dir, "wrong.cnf", MONITOR_USER, "not-the-password")
        result = Probe(self.cluster[1].port, credentials)
        self.assertEqual(result.code, 1, result)
        self.assertIn("Access denied", result.stderr)
        self.assertIn(MONITOR_USER, result.stderr)
        self.assertNotIn("not-the-password", result.stderr + result.stdout)
        self.assertIs(result.member["healthy"], False)
        self.assertEqual(result.member["role"], "unknown")
        self.assertIn("Access denied", result.probe["error"])

    def test_account_without_replica_monitor_is_told_what_it_lacks(self):
        credentials = write_credentials(self.dir, "plain.cnf", "nobody_special", "plain")
        result = Probe(self.cluster[2].port, credentials)
        self.assertEqual(result.code, 1, result)
        self.assertIn("lacks a privilege", result.stderr)
        self.assertIn("REPLICA MONITOR", result.stderr)
        self.assertIn("reading replication status", result.stderr)

    def test_port_nobody_listens_on_fails_at_once(self):
        (port,) = free_ports(1)
        result = Probe(port, self.credentials, timeout_ms=5000)
        self.assertEqual(result.code, 1, result)
        self.assertLess(result.seconds, 2.0, result)
        self.assertIn(f"127.0.0.1:{port}", result.stderr)
        self.assertIn("cannot connect", result.stderr)
        self.assertIs(result.member["healthy"], False)

    def test_listener_that_never_answers_times_out_within_the_timeout(self):
        for timeout_ms in (1000, 2000):
            listener = SilentListener()
            self.addCleanup(listener.close)
            result = Probe(listener.port, self.credentials, timeout_ms=timeout_ms)
            self.assertEqual(result.code, 1, result)
            self.assertLess(result.seconds, timeout_ms / 1000 + 1.0, result)
            # It did wait for the server, rather than fail for another reason.
            self.assertGreaterEqual(result.seconds, timeout_ms / 1000 - 0.2, result)
            self.assertIn("timed out", result.stderr)
            self.assertIs(result.member["healthy"], False)

    def test_credentials_file_others_can_read_is_refused(self):
        credentials = write_credentials(self.dir, "shared.cnf", MONITOR_USER, MONITOR_PASSWORD,
                                        mode=0o644)
        result = Probe(self.cluster[1].port, credentials)
        self.assertEqual(result.code, 2, result)
        self.assertEqual(result.stdout, "")
        self.assertIn(f"credentials file {credentials} has mode 0644", result.stderr)
        self.assertIn("must be 0600 or 0400", result.stderr)
        self.assertNotIn(MONITOR_PASSWORD, result.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit(f"usage: {sys.argv[0]} WARDEN_BINARY [unittest arguments]")
    WARDEN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
