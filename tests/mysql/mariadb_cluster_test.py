"""The MariaDB test harness (mariadb.py) against real replication, three
mariadbd on loopback per test:

- a write on the primary reaches both replicas, which end at the primary's
  GTID position;
- replicas refuse writes from an application user without SUPER or
  READ ONLY ADMIN (read_only, error 1290);
- a replica killed with SIGKILL and restarted resumes from its GTID position;
- after the primary is killed with SIGKILL, replica 2 promoted by hand and
  replica 3 repointed at it by GTID (MASTER_USE_GTID=slave_pos), a write on
  the new primary reaches replica 3;
- semi-synchronous replication (AFTER_SYNC), switched on at run time or from
  the servers' configuration: the primary reports it on and counts each
  write as acknowledged by a replica.

Needs Debian's mariadb-server and python3-pymysql (tools/install-deps.sh):
without them the test fails, it does not skip. Runs as root (mariadbd with
--user=root) or as any other user.

Usage: mariadb_cluster_test.py [unittest arguments]"""

import sys
import time
import unittest

import pymysql

from mariadb import MariaDBCluster, programs

APP_USER = "app"
APP_PASSWORD = "app-password"
ER_OPTION_PREVENTS_STATEMENT = 1290


def create_app_schema(cluster):
    """On the primary (so it replicates): database `app`, table `app.kv`, and
    APP_USER with data privileges on `app` only."""
    primary = cluster[1]
    primary.sql("CREATE DATABASE app")
    primary.sql("CREATE TABLE app.kv (k VARCHAR(64) PRIMARY KEY, v VARCHAR(255) NOT NULL)")
    primary.sql(f"CREATE USER '{APP_USER}'@'%' IDENTIFIED BY '{APP_PASSWORD}'")
    primary.sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON app.* TO '{APP_USER}'@'%'")


def put(server, key, value):
    server.sql("INSERT INTO app.kv (k, v) VALUES (%s, %s)", (key, value),
               user=APP_USER, password=APP_PASSWORD)


def get(server, key):
    return server.value("SELECT v FROM app.kv WHERE k = %s", (key,))


def wait_for(condition, seconds=30, what="condition"):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {seconds}s")
        time.sleep(0.05)


class ClusterTestCase(unittest.TestCase):
    """A fresh three-server cluster for each test, torn down after it."""

    CLUSTER_ARGS = {}

    @classmethod
    def setUpClass(cls):
        programs()  # MariaDBNotInstalled, with what to install, fails every test

    def setUp(self):
        self.cluster = MariaDBCluster(3, **self.CLUSTER_ARGS)
        self.addCleanup(self.cluster.teardown)
        self.cluster.start()
        print(f"\n  3 servers bootstrapped, started and replicating in "
              f"{self.cluster.start_seconds:.2f}s", file=sys.stderr)


class Replication(ClusterTestCase):
    def test_write_on_primary_reaches_both_replicas_at_its_gtid_position(self):
        c = self.cluster
        self.assertEqual([c[i].variable("read_only") for i in (1, 2, 3)], [0, 1, 1])
        self.assertEqual([c[i].variable("server_id") for i in (1, 2, 3)], [1, 2, 3])
        for i in (2, 3):
            # The IO thread passes through "Connecting" and "Preparing" as it
            # (re)connects; give it a few seconds to settle.
            deadline = time.monotonic() + 10
            while True:
                status = c.replication_status(i)
                if status["Slave_IO_Running"] == "Yes" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual((status["Slave_IO_Running"], status["Slave_SQL_Running"]),
                             ("Yes", "Yes"))
            self.assertEqual(status["Using_Gtid"], "Slave_Pos")
            self.assertEqual(status["Master_Port"], c[1].port)
        self.assertIsNone(c.replication_status(1))

        create_app_schema(c)
        put(c[1], "greeting", "hello")
        position = c.wait_caught_up()

        self.assertRegex(position, r"^0-1-\d+$")
        self.assertEqual(c.gtid_current_pos(1), position)
        for i in (2, 3):
            self.assertEqual(get(c[i], "greeting"), "hello")
            self.assertEqual(c.gtid_slave_pos(i), position)
            self.assertEqual(c.gtid_current_pos(i), position)

    def test_replicas_refuse_writes_from_an_application_user(self):
        c = self.cluster
        create_app_schema(c)
        c.wait_caught_up()
        grants = " ".join(row[0] for row in c[2].sql(f"SHOW GRANTS FOR '{APP_USER}'@'%'"))
        self.assertNotIn("SUPER", grants)
        self.assertNotIn("READ ONLY ADMIN", grants)
        self.assertNotIn("ALL PRIVILEGES", grants)

        put(c[1], "on-primary", "accepted")
        for i in (2, 3):
            with self.assertRaises(pymysql.err.OperationalError) as refused:
                put(c[i], "on-replica", "refused")
            self.assertEqual(refused.exception.args[0], ER_OPTION_PREVENTS_STATEMENT)
            self.assertIn("read-only", refused.exception.args[1])

        position = c.wait_caught_up()
        for i in (1, 2, 3):
            self.assertIsNone(get(c[i], "on-replica"))
            self.assertEqual(c.gtid_current_pos(i), position)

    def test_replica_killed_and_restarted_resumes_from_its_gtid_position(self):
        c = self.cluster
        create_app_schema(c)
        put(c[1], "before", "1")
        c.wait_caught_up()
        self.assertEqual(c[3].kill(), -9)
        self.assertFalse(c[3].running())
        put(c[1], "while-down", "2")
        c.wait_caught_up(replicas=[2])

        c[3].start()
        position = c.wait_caught_up()
        self.assertEqual(get(c[3], "while-down"), "2")
        self.assertEqual(c.gtid_current_pos(3), position)


class ManualFailover(ClusterTestCase):
    def test_promote_replica_2_after_primary_killed_and_repoint_replica_3(self):
        c = self.cluster
        create_app_schema(c)
        for n in range(10):
            put(c[1], f"key{n}", str(n))
        old_position = c.wait_caught_up()

        self.assertEqual(c[1].kill(), -9)
        self.assertFalse(c[1].running())

        # Promote server 2 by hand.
        c[2].sql("STOP SLAVE")
        c[2].sql("RESET SLAVE ALL")
        c[2].sql("SET GLOBAL read_only = OFF")
        self.assertIsNone(c.replication_status(2))
        self.assertEqual(c[2].variable("read_only"), 0)

        # Server 3 follows it from the GTID position it has applied.
        self.assertEqual(c.gtid_slave_pos(3), old_position)
        c.replicate_from(3, 2)
        put(c[2], "after-failover", "written on server 2")
        new_position = c.wait_caught_up(primary=2, replicas=[3])

        self.assertIn("0-2-", new_position)
        self.assertEqual(get(c[3], "after-failover"), "written on server 2")
        self.assertEqual(c.gtid_current_pos(3), c.gtid_current_pos(2))
        status = c.replication_status(3)
        self.assertEqual(status["Master_Port"], c[2].port)
        self.assertEqual(status["Using_Gtid"], "Slave_Pos")
        self.assertEqual((status["Slave_IO_Running"], status["Slave_SQL_Running"]),
                         ("Yes", "Yes"))
        self.assertEqual(c[3].value("SELECT COUNT(*) FROM app.kv"), 11)


def assert_semi_sync_acknowledges_writes(test, c):
    wait_for(lambda: c[1].status("Rpl_semi_sync_master_clients") == "2",
             what="two semi-sync replicas connected")
    test.assertEqual(c[1].status("Rpl_semi_sync_master_status"), "ON")
    test.assertEqual(c[1].variable("rpl_semi_sync_master_wait_point"), "AFTER_SYNC")
    for i in (2, 3):
        test.assertEqual(c[i].status("Rpl_semi_sync_slave_status"), "ON")

    create_app_schema(c)
    yes_before = int(c[1].status("Rpl_semi_sync_master_yes_tx"))
    no_before = int(c[1].status("Rpl_semi_sync_master_no_tx"))
    put(c[1], "acknowledged", "yes")
    test.assertEqual(int(c[1].status("Rpl_semi_sync_master_yes_tx")), yes_before + 1)
    test.assertEqual(int(c[1].status("Rpl_semi_sync_master_no_tx")), no_before)
    test.assertEqual(c[1].status("Rpl_semi_sync_master_status"), "ON")


class SemiSyncSwitchedOn(ClusterTestCase):
    def test_semi_sync_enabled_at_run_time(self):
        c = self.cluster
        self.assertEqual(c[1].status("Rpl_semi_sync_master_status"), "OFF")
        c[1].sql("SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC")
        c[1].sql("SET GLOBAL rpl_semi_sync_master_enabled = ON")
        for i in (2, 3):
            c[i].sql("SET GLOBAL rpl_semi_sync_slave_enabled = ON")
            # The replica asks for acknowledgements when its IO thread connects.
            c[i].sql("STOP SLAVE IO_THREAD")
            c[i].sql("START SLAVE IO_THREAD")
        assert_semi_sync_acknowledges_writes(self, c)


class SemiSyncConfigured(ClusterTestCase):
    CLUSTER_ARGS = {"semi_sync": True}

    def test_semi_sync_from_the_servers_configuration(self):
        assert_semi_sync_acknowledges_writes(self, self.cluster)


if __name__ == "__main__":
    unittest.main(verbosity=2)
