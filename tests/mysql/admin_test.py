"""`warden mysql fence|promote|repoint|wait-applied|semi-sync` against real MariaDB
(mariadb.py): three mariadbd on loopback replicating by GTID, driven through
MySQL Connector/C++ with an account that has only the privileges
mysqlctl/mysql_admin.h lists.

- fence on a primary with open client connections: read_only is on, every
  client connection is killed (open transactions rolled back, an account
  with READ_ONLY ADMIN included), an application user's writes are refused
  with the read-only error, and the replicas' binlog dump threads survive:
  replication goes on. A running write that holds read_only off is ended.
  Fencing again, or fencing a read-only replica, works.
- a hand failover: writes on the primary, a replica whose SQL thread is held
  back by a row lock, the primary killed with SIGKILL; wait-applied on
  replica 2 waits until its relay log is applied (and times out while it
  cannot be), promote makes it a semi-sync primary, repoint points replica 3
  at it with a replication password holding a quote and a backslash; a
  write on the new primary is acknowledged by replica 3 and reaches it, and
  the GTID positions continue where the old primary stopped.
- the old primary, restarted, is repointed at the new one, which has purged
  the binary logs holding the old primary's transactions: its own
  transactions are made part of its replication position, so it asks only
  for what follows them, rejoins and catches up.
- semi-sync roles set as the agent does at start: the primary as a source
  (AFTER_SYNC), the running replicas as replicas (they reconnect), after
  which a write is acknowledged; setting them again changes nothing.
- errors: a wrong password, a port nobody listens on, an account without the
  privileges, wait-applied on a server that replicates from nobody (exit 1,
  with the reason), and a credentials file others can read (exit 2).

Needs Debian's mariadb-server and python3-pymysql; fails, does not skip,
without them.

Usage: admin_test.py WARDEN_BINARY [unittest arguments]"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import pymysql

from mariadb import MariaDBCluster, REPL_PASSWORD, REPL_USER, free_ports, programs, write_credentials

WARDEN = None  # set from argv[1]

ADMIN_USER = "warden_admin"
ADMIN_PASSWORD = "admin pass#word"  # a space and a hash, quoted in the file
ADMIN_GRANTS = ("READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, RELOAD, REPLICATION SLAVE ADMIN, "
                "REPLICATION MASTER ADMIN, REPLICA MONITOR")
MONITOR_USER = "warden_monitor"
MONITOR_PASSWORD = "monitor-password"
APP_USER = "app"
APP_PASSWORD = "app-password"
# Everything, READ_ONLY ADMIN included: read_only does not stop it.
DBA_USER = "dba"
DBA_PASSWORD = "dba-password"
# A replication account whose password needs quoting in CHANGE MASTER.
TRICKY_REPL_USER = "repl_tricky"
TRICKY_REPL_PASSWORD = "it's a \\ back'slash"

ER_OPTION_PREVENTS_STATEMENT = 1290



def wait_for(condition, seconds=30, what="condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {seconds}s")
        time.sleep(0.05)


def seq_of(position):
    """The seq of a one-domain MariaDB position "0-<server>-<seq>"."""
    domain, _, seq = position.split("-")
    assert domain == "0", position
    return int(seq)


class Run:
    """One finished run of `warden mysql ACTION`: exit status, stdout JSON (or
    None), stderr, wall time."""

    def __init__(self, done, seconds):
        self.code = done.returncode
        self.stdout = done.stdout
        self.stderr = done.stderr
        self.seconds = seconds
        self.json = json.loads(done.stdout) if done.stdout.strip() else None

    def __str__(self):
        return (f"exit {self.code} after {self.seconds:.2f}s\nstdout: {self.stdout}\n"
                f"stderr: {self.stderr}")


def command(action, port, credentials, *extra, timeout_ms=None):
    args = [WARDEN, "mysql", action, "--host", "127.0.0.1", "--port", str(port),
            "--credentials", credentials, *extra]
    if timeout_ms is not None:
        args += ["--timeout-ms", str(timeout_ms)]
    return args


def warden(action, port, credentials, *extra, timeout_ms=None):
    began = time.monotonic()
    done = subprocess.run(command(action, port, credentials, *extra, timeout_ms=timeout_ms),
                          capture_output=True, text=True, timeout=120)
    return Run(done, time.monotonic() - began)


def put(server, key, value, user=APP_USER, password=APP_PASSWORD):
    server.sql("INSERT INTO app.kv (k, v) VALUES (%s, %s)", (key, value),
               user=user, password=password)


def get(server, key):
    return server.value("SELECT v FROM app.kv WHERE k = %s", (key,))


def row_count(server):
    return server.value("SELECT COUNT(*) FROM app.kv")


class AdminTestCase(unittest.TestCase):
    """A fresh three-server cluster per test, with the accounts above created
    on the primary (so they replicate) and credentials files for them."""

    @classmethod
    def setUpClass(cls):
        programs()  # MariaDBNotInstalled, with what to install, fails every test

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="warden-admin-test-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.cluster = MariaDBCluster(3)
        self.addCleanup(self.cluster.teardown)
        self.cluster.start()
        primary = self.cluster[1]
        for user, password, grants in (
                (ADMIN_USER, ADMIN_PASSWORD, f"{ADMIN_GRANTS} ON *.*"),
                (MONITOR_USER, MONITOR_PASSWORD, "REPLICA MONITOR ON *.*"),
                (APP_USER, APP_PASSWORD, "SELECT, INSERT, UPDATE, DELETE ON app.*"),
                (DBA_USER, DBA_PASSWORD, "ALL PRIVILEGES ON *.*"),
                (TRICKY_REPL_USER, TRICKY_REPL_PASSWORD, "REPLICATION SLAVE ON *.*")):
            primary.sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
            primary.sql(f"GRANT {grants} TO '{user}'@'%'")
        primary.sql("CREATE DATABASE app")
        primary.sql("CREATE TABLE app.kv (k VARCHAR(64) PRIMARY KEY, v VARCHAR(255) NOT NULL)")
        self.cluster.wait_caught_up()
        self.admin = write_credentials(self.dir, "admin.cnf", ADMIN_USER, ADMIN_PASSWORD)
        self.repl = write_credentials(self.dir, "repl.cnf", REPL_USER, REPL_PASSWORD)
        self.tricky_repl = write_credentials(self.dir, "tricky.cnf", TRICKY_REPL_USER,
                                             TRICKY_REPL_PASSWORD)

    def run_action(self, action, server, *extra, timeout_ms=None, expect=0):
        """`warden mysql ACTION` on server number `server`; asserts its exit status."""
        result = warden(action, self.cluster[server].port, self.admin, *extra,
                        timeout_ms=timeout_ms)
        self.assertEqual(result.code, expect, result)
        if expect == 0:
            self.assertEqual(result.stderr, "", result)
            self.assertEqual(result.json["server"], f"127.0.0.1:{self.cluster[server].port}")
        return result

    def repoint(self, server, source, credentials=None, expect=0):
        return self.run_action("repoint", server, "--source-host", "127.0.0.1",
                               "--source-port", str(self.cluster[source].port),
                               "--replication-credentials", credentials or self.repl,
                               expect=expect)

    def connection_id(self, connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT CONNECTION_ID()")
            return cursor.fetchone()[0]

    def processlist(self, server):
        """(id, user, command) of every connection but the one asking."""
        connection = self.cluster[server].connect()
        try:
            own = self.connection_id(connection)
            with connection.cursor() as cursor:
                cursor.execute("SELECT ID, USER, COMMAND FROM information_schema.PROCESSLIST")
                return [row for row in cursor.fetchall() if row[0] != own]
        finally:
            connection.close()

    def client_ids(self, server):
        return sorted(row[0] for row in self.processlist(server)
                      if row[2] not in ("Binlog Dump", "Binlog Dump GTID")
                      and row[1] != "system user")

    def dump_ids(self, server):
        return sorted(row[0] for row in self.processlist(server) if row[2] == "Binlog Dump")

    def assert_replicating_from(self, replica, source):
        c = self.cluster
        try:
            wait_for(lambda: (c.replication_status(replica) or {}).get("Slave_IO_Running")
                     == "Yes", what=f"mariadb{replica}'s IO thread connected")
        except AssertionError as error:
            status = c.replication_status(replica) or {}
            raise AssertionError(f"{error}: Last_IO_Error {status.get('Last_IO_Error')!r}, "
                                 f"Last_SQL_Error {status.get('Last_SQL_Error')!r}") from None
        status = c.replication_status(replica)
        self.assertEqual(status["Master_Port"], c[source].port)
        self.assertEqual(status["Using_Gtid"], "Slave_Pos")
        self.assertEqual(status["Connect_Retry"], 1)
        self.assertEqual(status["Slave_SQL_Running"], "Yes", status["Last_SQL_Error"])
        self.assertEqual(c[replica].variable("read_only"), 1)
        self.assertEqual(c[replica].variable("rpl_semi_sync_slave_enabled"), 1)
        self.assertEqual(c[replica].variable("rpl_semi_sync_master_enabled"), 0)
        return status


class Fence(AdminTestCase):
    def open_clients(self, primary):
        """An idle application connection, one in an uncommitted transaction,
        and a DBA (READ_ONLY ADMIN) in an uncommitted transaction."""
        idle = primary.connect(user=APP_USER, password=APP_PASSWORD)
        writer = primary.connect(user=APP_USER, password=APP_PASSWORD)
        dba = primary.connect(user=DBA_USER, password=DBA_PASSWORD)
        for connection, key in ((writer, "uncommitted-app"), (dba, "uncommitted-dba")):
            connection.autocommit(False)
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO app.kv VALUES (%s, 'x')", (key,))
        return [idle, writer, dba]

    def test_fence_kills_clients_but_keeps_replication(self):
        c = self.cluster
        put(c[1], "before", "1")
        c.wait_caught_up()
        clients = self.open_clients(c[1])
        expected = sorted(self.connection_id(connection) for connection in clients)
        # Connections the harness closed may linger a moment.
        wait_for(lambda: self.client_ids(1) == expected, what="only the test's clients left")
        dumps = self.dump_ids(1)
        self.assertEqual(len(dumps), 2)
        self.assertEqual(c[1].variable("read_only"), 0)

        result = self.run_action("fence", 1)

        self.assertEqual(result.json["killed_connections"], 3)
        self.assertEqual(c[1].variable("read_only"), 1)
        for connection in clients:
            with self.assertRaises(pymysql.err.Error):
                with connection.cursor() as cursor:
                    cursor.execute("COMMIT")
        self.assertEqual(self.client_ids(1), [])
        # Killed means rolled back, the READ_ONLY ADMIN account's work too.
        self.assertIsNone(get(c[1], "uncommitted-app"))
        self.assertIsNone(get(c[1], "uncommitted-dba"))
        with self.assertRaises(pymysql.err.OperationalError) as refused:
            put(c[1], "after-fence", "refused")
        self.assertEqual(refused.exception.args[0], ER_OPTION_PREVENTS_STATEMENT)
        self.assertIn("read-only", refused.exception.args[1])

        # The replicas' dump threads are the same ones, and still serve: a
        # write by an account read_only does not stop reaches both replicas.
        self.assertEqual(self.dump_ids(1), dumps)
        put(c[1], "by-dba", "after the fence", user=DBA_USER, password=DBA_PASSWORD)
        position = c.wait_caught_up()
        for i in (2, 3):
            self.assertEqual(get(c[i], "by-dba"), "after the fence")
            self.assertEqual(c.gtid_current_pos(i), position)
            self.assertEqual(c.replication_status(i)["Slave_IO_Running"], "Yes")

    def test_fence_ends_a_write_that_holds_read_only_off(self):
        c = self.cluster
        put(c[1], "slow", "before")
        c.wait_caught_up()
        # SET GLOBAL read_only waits for running writes; this one would run 60 s.
        writer = c[1].connect(user=APP_USER, password=APP_PASSWORD)
        outcome = {}

        def slow_write():
            try:
                with writer.cursor() as cursor:
                    cursor.execute("UPDATE app.kv SET v = IF(SLEEP(60) = 0, 'after', 'x') "
                                   "WHERE k = 'slow'")
                outcome["error"] = None
            except pymysql.err.Error as error:
                outcome["error"] = error

        thread = threading.Thread(target=slow_write, daemon=True)
        thread.start()
        wait_for(lambda: any(row[2] == "Query" for row in self.processlist(1)
                             if row[1] == APP_USER), what="the slow write running")

        result = self.run_action("fence", 1, timeout_ms=10000)

        self.assertLess(result.seconds, 5.0, result)
        self.assertEqual(result.json["killed_connections"], 1)
        self.assertEqual(c[1].variable("read_only"), 1)
        thread.join(timeout=30)
        self.assertIsInstance(outcome["error"], pymysql.err.Error)
        self.assertEqual(get(c[1], "slow"), "before")

    def test_fence_again_and_fence_of_a_read_only_replica(self):
        c = self.cluster
        self.assertEqual(self.run_action("fence", 1).json["killed_connections"], 0)
        self.assertEqual(self.run_action("fence", 1).json["killed_connections"], 0)
        self.assertEqual(c[1].variable("read_only"), 1)

        # Replica 2 is read-only already; its own replication threads are
        # the server's and stay.
        reader = c[2].connect(user=APP_USER, password=APP_PASSWORD)
        reader_id = self.connection_id(reader)
        wait_for(lambda: self.client_ids(2) == [reader_id], what="only the reader left")
        self.assertEqual(self.run_action("fence", 2).json["killed_connections"], 1)
        self.assertEqual(self.client_ids(2), [])
        status = c.replication_status(2)
        self.assertEqual((status["Slave_IO_Running"], status["Slave_SQL_Running"]), ("Yes", "Yes"))
        put(c[1], "after", "both fences", user=DBA_USER, password=DBA_PASSWORD)
        c.wait_caught_up()
        self.assertEqual(get(c[2], "after"), "both fences")


class HandFailover(AdminTestCase):
    def kill_primary_after_writes(self):
        """Ten writes on the primary, all of them on both replicas; then
        SIGKILL. Returns the primary's last position."""
        c = self.cluster
        for n in range(10):
            put(c[1], f"key{n}", str(n))
        final = c.wait_caught_up()
        self.assertEqual(c[1].kill(), -9)
        return final

    def fail_over_to_2(self):
        """wait-applied and promote on server 2, replica 3 repointed at it."""
        self.run_action("wait-applied", 2)
        self.run_action("promote", 2, "--semi-sync-timeout-ms", "20000")
        self.repoint(3, 2)
        self.assert_replicating_from(3, 2)

    def test_wait_applied_promote_and_repoint_after_primary_killed(self):
        c = self.cluster
        put(c[1], "locked", "0")
        c.wait_caught_up()
        # Holds back replica 2's SQL thread at the update below, while its IO
        # thread receives everything.
        blocker = c[2].connect()
        blocker.autocommit(False)
        with blocker.cursor() as cursor:
            cursor.execute("SELECT v FROM app.kv WHERE k = 'locked' FOR UPDATE")
        c[1].sql("UPDATE app.kv SET v = '1' WHERE k = 'locked'")
        for n in range(10):
            put(c[1], f"key{n}", str(n))
        final = c.gtid_binlog_pos(1)
        c.wait_caught_up(replicas=[3])
        wait_for(lambda: c.replication_status(2)["Gtid_IO_Pos"] == final,
                 what="replica 2 received everything")
        self.assertEqual(c[1].kill(), -9)
        self.assertNotEqual(c.gtid_slave_pos(2), final)

        # While the SQL thread cannot apply, the wait ends at its timeout.
        timed_out = self.run_action("wait-applied", 2, timeout_ms=1500, expect=1)
        self.assertLess(timed_out.seconds, 3.5, timed_out)
        self.assertIn(f"wait-applied: 127.0.0.1:{c[2].port}: its SQL thread had not applied "
                      f"{final}", timed_out.stderr)
        self.assertEqual(c.replication_status(2)["Slave_IO_Running"], "No")

        # Released after a second, it applies what it received, and the wait ends.
        waiting = subprocess.Popen(command("wait-applied", c[2].port, self.admin),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        self.assertIsNone(waiting.poll(), "wait-applied returned before the relay log was applied")
        blocker.rollback()
        blocker.close()
        stdout, stderr = waiting.communicate(timeout=60)
        self.assertEqual(waiting.returncode, 0, stderr)
        applied = json.loads(stdout)
        self.assertEqual(applied["received"], final)
        self.assertEqual(applied["gtid_position"], final)
        self.assertEqual(c.gtid_current_pos(2), final)
        self.assertEqual(get(c[2], "locked"), "1")

        promoted = self.run_action("promote", 2, "--semi-sync-timeout-ms", "20000")
        self.assertEqual(promoted.json["gtid_position"], final)
        self.assertIs(promoted.json["semi_sync_source"], True)
        self.assertIsNone(c.replication_status(2))
        self.assertEqual(c[2].variable("read_only"), 0)
        self.assertEqual(c[2].variable("rpl_semi_sync_master_enabled"), 1)
        self.assertEqual(c[2].variable("rpl_semi_sync_master_wait_point"), "AFTER_SYNC")
        self.assertEqual(c[2].variable("rpl_semi_sync_master_timeout"), 20000)
        self.assertEqual(c[2].variable("rpl_semi_sync_slave_enabled"), 0)

        repointed = self.repoint(3, 2, credentials=self.tricky_repl)
        self.assertIs(repointed.json["demoted_former_primary"], False)
        self.assertIs(repointed.json["semi_sync_replica"], True)
        self.assertEqual(repointed.json["source"], f"127.0.0.1:{c[2].port}")
        self.assertEqual(repointed.json["gtid_position"], final)
        status = self.assert_replicating_from(3, 2)
        self.assertEqual(status["Master_User"], TRICKY_REPL_USER)
        wait_for(lambda: c[2].status("Rpl_semi_sync_master_clients") == "1",
                 what="replica 3 connected as a semi-sync replica")

        acknowledged = int(c[2].status("Rpl_semi_sync_master_yes_tx"))
        put(c[2], "after-failover", "written on server 2")
        self.assertEqual(int(c[2].status("Rpl_semi_sync_master_yes_tx")), acknowledged + 1)
        position = c.wait_caught_up(primary=2, replicas=[3])
        # Domain 0 goes on from the old primary's last seq, now by server 2.
        self.assertEqual(position, f"0-2-{seq_of(final) + 1}")
        self.assertEqual(get(c[3], "after-failover"), "written on server 2")
        self.assertEqual(c.gtid_current_pos(3), position)
        self.assertEqual(c.gtid_slave_pos(3), position)
        self.assertEqual(row_count(c[3]), row_count(c[2]))
        self.assertEqual(row_count(c[3]), 12)

        # Promoting the primary again changes nothing.
        again = self.run_action("promote", 2, "--semi-sync-timeout-ms", "20000")
        self.assertEqual(again.json["gtid_position"], position)
        self.assertEqual(c[2].variable("read_only"), 0)
        self.assertEqual(c[2].status("Rpl_semi_sync_master_clients"), "1")
        put(c[2], "after-second-promote", "z")
        self.assertEqual(c.wait_caught_up(primary=2, replicas=[3]), f"0-2-{seq_of(final) + 2}")

    def purge_binary_logs(self, server):
        """Rotates the binary log of server number `server` and purges the
        older files, as expire_logs_days would in time. MariaDB keeps a file
        until InnoDB has made its commits durable, so this retries."""
        connection = self.cluster[server].connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("FLUSH BINARY LOGS")
                cursor.execute("SHOW BINARY LOGS")
                newest = cursor.fetchall()[-1][0]

                def only_newest_left():
                    cursor.execute(f"PURGE BINARY LOGS TO '{newest}'")
                    cursor.execute("SHOW BINARY LOGS")
                    return [row[0] for row in cursor.fetchall()] == [newest]

                wait_for(only_newest_left, what=f"binary logs before {newest} purged")
        finally:
            connection.close()

    def test_old_primary_restarted_rejoins_as_a_replica(self):
        c = self.cluster
        final = self.kill_primary_after_writes()
        self.fail_over_to_2()
        # The new primary no longer has the old primary's transactions: the
        # old primary must ask for what follows its own last one. (Asking from
        # its empty gtid_slave_pos, it would be refused: error 1236.)
        self.purge_binary_logs(2)
        put(c[2], "while-old-primary-down", "x")
        c.wait_caught_up(primary=2, replicas=[3])

        c[1].start()
        # It never replicated: its own transactions are only in its binlog.
        self.assertEqual(c.gtid_slave_pos(1), "")
        self.assertEqual(c.gtid_binlog_pos(1), final)
        self.assertEqual(c[1].variable("read_only"), 0)

        rejoined = self.repoint(1, 2)
        self.assertIs(rejoined.json["demoted_former_primary"], True)
        self.assert_replicating_from(1, 2)
        put(c[2], "after-rejoin", "y")
        position = c.wait_caught_up(primary=2, replicas=[1, 3])
        self.assertEqual(position, f"0-2-{seq_of(final) + 2}")
        status = c.replication_status(1)
        self.assertEqual(status["Last_SQL_Error"], "")
        self.assertEqual(status["Slave_SQL_Running"], "Yes")
        for i in (1, 3):
            self.assertEqual(c.gtid_current_pos(i), position)
            self.assertEqual(c.gtid_slave_pos(i), position)
            self.assertEqual(get(c[i], "while-old-primary-down"), "x")
            self.assertEqual(get(c[i], "after-rejoin"), "y")
            self.assertEqual(row_count(c[i]), row_count(c[2]))


class SemiSync(AdminTestCase):
    def test_roles_set_at_start_make_writes_acknowledged_and_are_idempotent(self):
        c = self.cluster
        self.assertEqual(c[1].status("Rpl_semi_sync_master_status"), "OFF")
        source = self.run_action("semi-sync", 1, "--role", "source",
                                 "--semi-sync-timeout-ms", "20000")
        self.assertEqual((source.json["available"], source.json["changed"]), (True, True))
        self.assertEqual(c[1].variable("rpl_semi_sync_master_enabled"), 1)
        self.assertEqual(c[1].variable("rpl_semi_sync_master_wait_point"), "AFTER_SYNC")
        self.assertEqual(c[1].variable("rpl_semi_sync_master_timeout"), 20000)
        self.assertEqual(c[1].variable("rpl_semi_sync_slave_enabled"), 0)

        # The running replicas reconnect, so the primary counts them at once.
        for i in (2, 3):
            replica = self.run_action("semi-sync", i, "--role", "replica")
            self.assertEqual((replica.json["available"], replica.json["changed"]), (True, True))
            self.assertEqual(c[i].variable("rpl_semi_sync_slave_enabled"), 1)
            self.assertEqual(c[i].variable("rpl_semi_sync_master_enabled"), 0)
        wait_for(lambda: c[1].status("Rpl_semi_sync_master_clients") == "2",
                 what="two semi-sync replicas connected")
        for i in (2, 3):
            self.assertEqual(c[i].status("Rpl_semi_sync_slave_status"), "ON")

        acknowledged = int(c[1].status("Rpl_semi_sync_master_yes_tx"))
        put(c[1], "acknowledged", "yes")
        self.assertEqual(int(c[1].status("Rpl_semi_sync_master_yes_tx")), acknowledged + 1)
        self.assertEqual(c[1].status("Rpl_semi_sync_master_status"), "ON")

        # Again: nothing to change, and no reconnection (a reconnected
        # replica would be served by a new dump thread).
        dumps = self.dump_ids(1)
        self.assertEqual(len(dumps), 2)
        for i, role in ((1, "source"), (2, "replica"), (3, "replica")):
            again = self.run_action("semi-sync", i, "--role", role,
                                    "--semi-sync-timeout-ms", "20000")
            self.assertIs(again.json["changed"], False, again)
        self.assertEqual(self.dump_ids(1), dumps)
        self.assertEqual(c[1].status("Rpl_semi_sync_master_clients"), "2")


class Errors(AdminTestCase):
    def test_wrong_password_is_refused_with_a_clear_reason(self):
        c = self.cluster
        credentials = write_credentials(self.dir, "wrong.cnf", ADMIN_USER, "not-the-password")
        result = warden("fence", c[1].port, credentials)
        self.assertEqual(result.code, 1, result)
        self.assertEqual(result.stdout, "")
        self.assertIn(f"warden mysql fence: fence: 127.0.0.1:{c[1].port}: login refused",
                      result.stderr)
        self.assertIn(f"Access denied for user '{ADMIN_USER}'", result.stderr)
        self.assertNotIn("not-the-password", result.stderr)
        self.assertEqual(c[1].variable("read_only"), 0)

    def test_port_nobody_listens_on_fails_at_once(self):
        (port,) = free_ports(1)
        for action in ("fence", "promote", "wait-applied"):
            result = warden(action, port, self.admin, timeout_ms=5000)
            self.assertEqual(result.code, 1, result)
            self.assertLess(result.seconds, 2.0, result)
            self.assertIn(f"{action}: 127.0.0.1:{port}: cannot connect", result.stderr)

    def test_account_without_the_privileges_changes_nothing(self):
        c = self.cluster
        monitor = write_credentials(self.dir, "monitor.cnf", MONITOR_USER, MONITOR_PASSWORD)
        result = warden("fence", c[1].port, monitor)
        self.assertEqual(result.code, 1, result)
        self.assertIn("the account lacks a privilege", result.stderr)
        self.assertIn("while checking the PROCESS privilege", result.stderr)
        self.assertEqual(c[1].variable("read_only"), 0)

        result = warden("promote", c[2].port, monitor)
        self.assertEqual(result.code, 1, result)
        self.assertIn("while stopping replication", result.stderr)
        self.assertEqual(c.replication_status(2)["Slave_SQL_Running"], "Yes")

    def test_wait_applied_on_a_server_that_replicates_from_nobody(self):
        result = self.run_action("wait-applied", 1, expect=1)
        self.assertIn("replicates from nobody", result.stderr)

    def test_credentials_files_others_can_read_are_refused(self):
        c = self.cluster
        shared = write_credentials(self.dir, "shared.cnf", ADMIN_USER, ADMIN_PASSWORD, mode=0o644)
        result = warden("fence", c[1].port, shared)
        self.assertEqual(result.code, 2, result)
        self.assertIn(f"credentials file {shared} has mode 0644", result.stderr)
        self.assertEqual(c[1].variable("read_only"), 0)

        shared_repl = write_credentials(self.dir, "shared-repl.cnf", REPL_USER, REPL_PASSWORD,
                                        mode=0o644)
        result = self.repoint(3, 2, credentials=shared_repl, expect=2)
        self.assertIn(f"credentials file {shared_repl} has mode 0644", result.stderr)
        self.assertEqual(c.replication_status(3)["Master_Port"], c[1].port)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit(f"usage: {sys.argv[0]} WARDEN_BINARY [unittest arguments]")
    WARDEN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
