"""Automatic failover with real processes: three `warden serve` nodes, each
running the MySQL agent beside one of three real MariaDB servers
(mariadb.py) that replicate by GTID with semi-synchronous replication
(AFTER_SYNC, no fallback to asynchronous).

- the agents publish a member record each and adopt the writable server as
  the first primary (epoch 1);
- kill -9 of the primary's mariadbd while a writer commits: a replica is
  promoted (epoch 2), the other repointed to it, and every commit the
  writer saw acknowledged is on the new primary exactly once;
- the old primary, restarted read-only as a managed server is configured,
  rejoins as a replica of the new primary and catches up;
- kill -9 of the primary's Warden process: its member record goes with its
  session, and after the lease wait its server is fenced (read_only) and
  a replica promoted.

Needs Debian's mariadb-server, python3-pymysql and python3-kazoo.

Usage: failover_test.py WARDEN_BINARY [unittest arguments]"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from managed import CLUSTER, SESSION_TIMEOUT_MS, ManagedCluster, Writer, wait_until
from mariadb import free_ports, write_credentials

WARDEN = None  # set from argv[1]


class FailoverTest(unittest.TestCase):
    """Tests run in name order on one cluster; each starts from what the
    previous one left."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = ManagedCluster(WARDEN)
        cls.addClassCleanup(cls.cluster.stop)
        cls.cluster.start()
        cls.mariadb = cls.cluster.mariadb
        cls.ensemble = cls.cluster.ensemble
        cls.secrets = cls.cluster.secrets
        cls.agent_credentials = cls.cluster.agent_credentials
        cls.replication_credentials = cls.cluster.replication_credentials

    def __getattr__(self, name):
        # primary_record, members, node_of, wait_for_primary, ... are the
        # cluster's.
        if name == "cluster" or "cluster" not in type(self).__dict__:
            raise AttributeError(name)
        return getattr(type(self).cluster, name)

    def assertEqual(self, first, second, msg=None):  # noqa: N802 - unittest's name
        """With the agents' logs on failure: they say what each agent decided."""
        if first != second:
            msg = (msg or "") + self.agent_logs()
        super().assertEqual(first, second, msg)

    def warden_mysql(self, *args):
        done = subprocess.run([WARDEN, "mysql", *args, "--server", self.ensemble.hosts(),
                               "--cluster", CLUSTER], capture_output=True, text=True, timeout=60)
        return done

    # ---- tests, in order ----

    def test_0_a_bad_agent_configuration_stops_serve_with_the_reason(self):
        data = tempfile.mkdtemp(prefix="warden-badagent-", dir=self.secrets)
        loose = write_credentials(self.secrets, "loose.cnf", "root", "", mode=0o644)
        cases = [
            ([f"warden.mysql.credentials={loose}"], "warden.mysql.credentials: "),
            ([], "warden.mysql.credentials is required with warden.mysql.host"),
            ([f"warden.mysql.credentials={loose}", "warden.mysql.member=bad/name"],
             "warden.mysql.member: "),
        ]
        for lines, expected in cases:
            config = os.path.join(data, "zoo.cfg")
            with open(config, "w") as f:
                f.write(f"dataDir={data}\nclientPort={free_ports(1)[0]}\n"
                        "admin.enableServer=false\nwarden.mysql.host=127.0.0.1\n"
                        + "".join(line + "\n" for line in lines))
            done = subprocess.run([WARDEN, "serve", "--config", config], capture_output=True,
                                  text=True, timeout=30)
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(expected, done.stderr)

    def test_1_agents_publish_members_and_adopt_the_writable_server(self):
        members = self.wait_healthy_members(3)
        self.assertEqual(sorted(members), ["db1", "db2", "db3"])
        self.assertEqual(members["db1"]["role"], "primary")
        self.assertEqual(members["db1"]["read_only"], False)
        # The harness starts semi-sync with MariaDB's 10 s fallback; the
        # agent sets it never to fall back, with both replicas acknowledging.
        wait_until("db1's semi-sync on, never falling back",
                   lambda: (r := self.members().get("db1")) and r["semi_sync"] == "on" and
                   r["semi_sync_replicas"] == 2)
        for replica in ("db2", "db3"):
            self.assertEqual(members[replica]["role"], "replica")
            self.assertEqual(members[replica]["source_port"], self.mariadb[1].port)
            self.assertIs(members[replica]["io_running"], True)
        first = self.wait_for_primary(1)
        first.pop("gtid_position", None)  # what db1 held when adopted
        self.assertEqual(first, {"member_id": "db1", "epoch": 1,
                                                    "host": "127.0.0.1",
                                                    "port": self.mariadb[1].port})
        # `warden mysql status` shows the same, as a table and as JSON.
        table = self.warden_mysql("status")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn(f"cluster {CLUSTER}: primary db1 (epoch 1) at 127.0.0.1:{self.mariadb[1].port}",
                      table.stdout)
        rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()[2:]}
        self.assertEqual(rows["db1"][1:4], ["primary", "yes", "no"])
        self.assertEqual(rows["db2"][1:4], ["replica", "yes", "yes"])
        status = json.loads(self.warden_mysql("status", "--json").stdout)
        self.assertEqual(status["primary"]["member_id"], "db1")
        self.assertEqual(sorted(m["id"] for m in status["members"]), ["db1", "db2", "db3"])
        self.assertIsNone(status["failover_lock"])

    def test_1b_maintenance_is_published_by_the_members_agent(self):
        self.wait_healthy_members(3)
        on = self.warden_mysql("maintenance", "--member", "db3", "--on")
        self.assertEqual((on.returncode, on.stdout), (0, "db3 maintenance on\n"), on.stderr)
        wait_until("db3's record in maintenance", lambda: self.members()["db3"]["maintenance"])
        self.assertIn("maintenance", self.warden_mysql("status").stdout)
        off = self.warden_mysql("maintenance", "--member", "db3", "--off")
        self.assertEqual(off.returncode, 0, off.stderr)
        wait_until("db3's record out of maintenance",
                   lambda: not self.members()["db3"]["maintenance"])
        bad = self.warden_mysql("maintenance", "--member", "no/such", "--on")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("member id", bad.stderr)

    def test_2_killing_the_primary_mariadbd_loses_no_acknowledged_write(self):
        self.wait_for_primary(1)
        self.wait_healthy_members(3)
        writer = Writer(self.cluster)
        writer.start()
        wait_until("the writer's first 50 commits", lambda: len(writer.acknowledged) >= 50)
        killed_at = time.monotonic()
        self.mariadb[1].kill()
        record = self.wait_for_primary(2)
        self.assertIn(record["member_id"], ("db2", "db3"))
        new = self.node_of(record["member_id"])
        gap = wait_until("a commit on the new primary",
                         lambda: writer.first_success_on(new, killed_at)) - killed_at
        print(f"\nkill -9 of the primary to the first acknowledged write on {record['member_id']}:"
              f" {gap:.2f} s", file=sys.stderr)
        wait_until("100 more commits", lambda: len(writer.acknowledged) >= 150)
        writer.stop()

        missing, duplicates = self.count_rows(new, writer.acknowledged)
        self.assertEqual(missing, [], "acknowledged commits missing on the new primary")
        self.assertEqual(duplicates, 0)
        self.assertEqual(self.mariadb[new].value("SELECT @@read_only"), 0)
        # The other replica follows the new primary and has everything.
        other = ({2, 3} - {new}).pop()
        wait_until(f"mariadb{other} replicating from the new primary",
                   lambda: (s := self.mariadb.replication_status(other)) and
                   int(s["Master_Port"]) == self.mariadb[new].port and
                   s["Slave_IO_Running"] == "Yes")
        self.mariadb.wait_caught_up(primary=new, replicas=[other])
        self.assertEqual(self.count_rows(other, writer.acknowledged), ([], 0))
        self.assertEqual(self.mariadb[other].value("SELECT @@read_only"), 1)

    def test_3_the_old_primary_rejoins_as_a_replica(self):
        record = self.wait_for_primary(2)
        new = self.node_of(record["member_id"])
        self.mariadb[1].start()
        wait_until("mariadb1 replicating from the new primary",
                   lambda: (s := self.mariadb.replication_status(1)) and
                   int(s["Master_Port"]) == self.mariadb[new].port and
                   s["Slave_IO_Running"] == "Yes" and s["Slave_SQL_Running"] == "Yes")
        self.mariadb.wait_caught_up(primary=new, replicas=[1])
        self.assertEqual(self.mariadb[1].value("SELECT @@read_only"), 1)
        rows_new = self.mariadb[new].value("SELECT COUNT(*) FROM shop.orders")
        self.assertEqual(self.mariadb[1].value("SELECT COUNT(*) FROM shop.orders"), rows_new)
        members = self.wait_healthy_members(3)
        self.assertEqual(members["db1"]["role"], "replica")
        self.assertEqual(self.primary_record(), record)

    def test_4_killing_the_primarys_warden_fences_it_and_promotes_a_replica(self):
        record = self.wait_for_primary(2)
        self.wait_healthy_members(3)
        old = self.node_of(record["member_id"])
        self.ensemble.kill(old)
        # Its session expires, then the lease wait runs out.
        new_record = self.wait_for_primary(3, seconds=60)
        self.assertNotEqual(new_record["member_id"], record["member_id"])
        new = self.node_of(new_record["member_id"])
        self.assertEqual(self.mariadb[old].value("SELECT @@read_only"), 1)
        self.assertEqual(self.mariadb[new].value("SELECT @@read_only"), 0)
        self.mariadb[new].sql("INSERT INTO shop.orders (id) VALUES (1000000)")
        self.mariadb.wait_caught_up(primary=new, replicas=[({1, 2, 3} - {old, new}).pop()])
        # `warden mysql status` names the member that published once and has
        # no record now, and the roster in JSON.
        self.wait_healthy_members(2)
        gone = record["member_id"]
        table = self.warden_mysql("status")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertRegex(table.stdout, rf"no record from {gone} \(last followed epoch \d+\)")
        status = json.loads(self.warden_mysql("status", "--json").stdout)
        self.assertEqual(sorted(status["roster"]), ["db1", "db2", "db3"])
        self.assertIsNone(status["failover_outlook"])  # the new primary is healthy

    def test_5_a_switchover_loses_nothing_and_blocks_writes_briefly(self):
        record = self.wait_for_primary(3)
        old = self.node_of(record["member_id"])
        members = self.wait_healthy_members(2)
        target = next(m for m in members if m != record["member_id"] and
                      members[m]["role"] == "replica")
        writer = Writer(self.cluster)
        writer.start()
        wait_until("the writer's first 30 commits", lambda: len(writer.acknowledged) >= 30)
        done = subprocess.run(
            [WARDEN, "mysql", "switchover", "--server", self.ensemble.hosts(), "--cluster",
             CLUSTER, "--to", target, "--credentials", self.agent_credentials,
             "--replication-credentials", self.replication_credentials],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr + self.agent_logs())
        blocked_ms = int(done.stdout.split("writes were refused for ")[1].split(" ms")[0])
        print(f"\nswitchover to {target}: writes refused for {blocked_ms} ms", file=sys.stderr)
        self.assertLess(blocked_ms, 2000)
        self.assertEqual(self.primary_record()["member_id"], target)
        self.assertEqual(self.primary_record()["epoch"], record["epoch"] + 1)
        new = self.node_of(target)
        count = len(writer.acknowledged)
        wait_until("30 more commits", lambda: len(writer.acknowledged) >= count + 30)
        writer.stop()
        self.assertEqual(self.count_rows(new, writer.acknowledged), ([], 0))
        self.assertEqual(self.mariadb[new].value("SELECT @@read_only"), 0)
        self.assertEqual(self.mariadb[old].value("SELECT @@read_only"), 1)
        status = self.mariadb.replication_status(old)
        self.assertEqual(int(status["Master_Port"]), self.mariadb[new].port)
        # Refused: the target is the primary now.
        again = subprocess.run(
            [WARDEN, "mysql", "switchover", "--server", self.ensemble.hosts(), "--cluster",
             CLUSTER, "--to", target, "--credentials", self.agent_credentials,
             "--replication-credentials", self.replication_credentials],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(again.returncode, 1)
        self.assertIn("is already the primary", again.stderr)

    def test_6_an_agent_refused_by_its_server_says_why_and_fails_nothing_over(self):
        record = self.wait_for_primary(4)
        primary = self.node_of(record["member_id"])
        # The agents log in as root over TCP; replication uses its own
        # account and keeps streaming. The change replicates everywhere.
        self.mariadb[primary].sql("ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY 'not-the-agents'")
        try:
            wait_until("every agent reporting the refused login",
                       lambda: (m := self.members()) and all(
                           "login refused" in r["problem"] for r in m.values()))
            time.sleep(2)  # ten probe rounds
            self.assertEqual(self.primary_record(), record)
            self.assertEqual(self.mariadb[primary].value("SELECT @@read_only"), 0)
        finally:
            self.mariadb[primary].sql("ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY ''")
        self.wait_healthy_members(2)
        self.assertEqual(self.primary_record(), record)

    def test_7_a_primary_cut_off_from_the_ensemble_fences_itself(self):
        record = self.wait_for_primary(4)
        primary = self.node_of(record["member_id"])
        self.wait_healthy_members(2)
        # Two nodes are left (test 4 killed one): stopping the other leaves
        # the primary's node without a quorum, its agent without answers.
        others = [node for node in self.ensemble.procs if node != primary]
        self.assertEqual(len(others), 1)
        stopped_at = time.monotonic()
        for node in others:
            self.ensemble.procs[node].send_signal(signal.SIGSTOP)
        try:
            wait_until("the cut-off primary fenced",
                       lambda: self.mariadb[primary].value("SELECT @@read_only") == 1, seconds=15)
            fenced_s = time.monotonic() - stopped_at
            print(f"\ncut off primary fenced after {fenced_s:.2f} s", file=sys.stderr)
            # Its agent fences within two thirds of its session timeout
            # (plus a probe round or two), before the session could expire.
            self.assertLess(fenced_s, SESSION_TIMEOUT_MS / 1000)
        finally:
            for node in others:
                self.ensemble.procs[node].send_signal(signal.SIGCONT)
        # Back in touch, and still the published primary: writable again.
        try:
            wait_until("the primary writable again",
                       lambda: self.mariadb[primary].value("SELECT @@read_only") == 0, seconds=30)
        except AssertionError as error:
            raise AssertionError(f"{error}: published {self.primary_record()}, members "
                                 f"{self.members()}{self.agent_logs()}") from None
        current = self.primary_record()
        self.assertEqual(current["member_id"], record["member_id"])

    def test_8_a_returning_primary_with_errant_transactions_is_held_out(self):
        record = self.wait_for_primary(4)
        old = self.node_of(record["member_id"])
        self.wait_healthy_members(2)
        self.mariadb[old].kill()
        new_record = self.wait_for_primary(record["epoch"] + 1)
        new = self.node_of(new_record["member_id"])
        # While its agent leaves it alone, the old primary comes back and
        # takes a write of its own that the new primary will never have.
        on = self.warden_mysql("maintenance", "--member", record["member_id"], "--on")
        self.assertEqual(on.returncode, 0, on.stderr)
        wait_until("the maintenance flag in its record",
                   lambda: self.members().get(record["member_id"], {}).get("maintenance"))
        self.mariadb[old].start()
        connection = self.mariadb[old].connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION gtid_domain_id = 7")
                cursor.execute("INSERT INTO shop.orders (id) VALUES (2000000)")
        finally:
            connection.close()
        off = self.warden_mysql("maintenance", "--member", record["member_id"], "--off")
        self.assertEqual(off.returncode, 0, off.stderr)
        held = wait_until(
            "the old primary held out",
            lambda: (r := self.members().get(record["member_id"])) and
            "errant GTIDs" in r["problem"] and r)
        self.assertIn(f"held out: has transactions the primary {new_record['member_id']} lacks "
                      "(errant GTIDs 7-", held["problem"])
        time.sleep(1)  # five probe rounds: still held out, never repointed
        self.assertIsNone(self.mariadb.replication_status(old))
        self.assertEqual(self.mariadb[old].value("SELECT @@read_only"), 1)
        self.assertEqual(self.primary_record(), new_record)
        self.assertEqual(self.mariadb[new].value(
            "SELECT COUNT(*) FROM shop.orders WHERE id = 2000000"), 0)
        status = self.warden_mysql("status")
        self.assertIn("errant GTIDs 7-", status.stdout)


if __name__ == "__main__":
    WARDEN = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
