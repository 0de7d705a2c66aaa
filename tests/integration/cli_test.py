"""`warden cli` and `warden bench` against a real 3-node Warden ensemble, with
kazoo (Debian's python3-kazoo) on the other side to check what the cli wrote
and to change what it watches.

Usage: cli_test.py WARDEN_BINARY"""

import re
import subprocess
import sys
import time
import unittest

from ensemble import EnsembleTestCase, free_ports

WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"


class CliAgainstWarden(EnsembleTestCase):
    WARDEN = WARDEN

    def cli(self, server, *command, stdin=None):
        return subprocess.run([WARDEN, "cli", "-server", server, *command], input=stdin,
                              capture_output=True, text=True, timeout=60)

    def test_everyday_commands_across_nodes(self):
        zk = self.client()
        done = self.cli(self.ensemble.host(1), "create", "/cli", "hello")
        self.assertEqual((done.returncode, done.stdout), (0, "Created /cli\n"), done.stderr)
        self.assertEqual(zk.get("/cli")[0], b"hello")
        self.assertEqual(self.cli(self.ensemble.host(2), "get", "/cli").stdout, "hello\n")

        self.assertEqual(self.cli(self.ensemble.host(3), "set", "/cli", "again", "-v", "0").returncode, 0)
        stale = self.cli(self.ensemble.host(1), "set", "/cli", "stale", "-v", "0")
        self.assertNotEqual(stale.returncode, 0)
        self.assertEqual(stale.stderr, "version No is not valid : /cli\n")
        data, stat = zk.get("/cli")
        self.assertEqual((data, stat.version), (b"again", 1))

        stat_text = self.cli(self.ensemble.hosts(), "stat", "/cli").stdout
        self.assertIn("dataVersion = 1\n", stat_text)
        self.assertIn("dataLength = 5\n", stat_text)
        self.assertIn("ephemeralOwner = 0x0\n", stat_text)
        got = self.cli(self.ensemble.host(2), "get", "-s", "/cli").stdout
        self.assertTrue(got.startswith("again\ncZxid = 0x"), got)

        seq = self.cli(self.ensemble.host(2), "create", "-s", "/cli/seq-", "x")
        self.assertEqual(seq.stdout, "Created /cli/seq-0000000000\n")
        self.assertEqual(zk.get("/cli/seq-0000000000")[0], b"x")
        self.assertEqual(self.cli(self.ensemble.host(3), "ls", "/cli").stdout, "[seq-0000000000]\n")

        exists = self.cli(self.ensemble.host(1), "create", "/cli", "x")
        self.assertNotEqual(exists.returncode, 0)
        self.assertEqual(exists.stderr, "Node already exists: /cli\n")
        not_empty = self.cli(self.ensemble.host(1), "delete", "/cli")
        self.assertEqual(not_empty.stderr, "Node not empty: /cli\n")

        self.assertEqual(self.cli(self.ensemble.host(1), "delete", "/cli/seq-0000000000").returncode, 0)
        self.assertEqual(self.cli(self.ensemble.host(2), "delete", "-v", "1", "/cli").returncode, 0)
        self.assertIsNone(zk.exists("/cli"))
        missing = self.cli(self.ensemble.host(3), "get", "/cli")
        self.assertNotEqual(missing.returncode, 0)
        self.assertEqual(missing.stderr, "Node does not exist: /cli\n")
        self.assertEqual(self.cli(self.ensemble.host(1), "sync", "/").stdout, "Sync is OK\n")

    def test_commands_from_stdin_share_one_session(self):
        zk = self.client()
        script = ("create /stdin 'two words'\n"
                  "create -e /stdin/eph e\n"
                  "create -e -s /stdin/eseq- e\n"
                  "get /stdin/missing\n"
                  "ls /stdin\n"
                  "get /stdin\n"
                  "quit\n"
                  "delete /stdin\n")
        done = self.cli(self.ensemble.hosts(), stdin=script)
        # One command failed: the others still ran, and the exit status says so.
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr, "Node does not exist: /stdin/missing\n")
        self.assertEqual(done.stdout, "Created /stdin\nCreated /stdin/eph\n"
                         "Created /stdin/eseq-0000000001\n[eph, eseq-0000000001]\ntwo words\n")
        # The session closed with the cli: its ephemerals went, quit stopped the
        # script. (kazoo may be on another node: sync first.)
        zk.sync("/stdin")
        self.assertEqual(zk.get_children("/stdin"), [])
        self.assertEqual(zk.get("/stdin")[0], b"two words")

    def test_watch_prints_the_next_event(self):
        zk = self.client()
        zk.create("/watched", b"a")
        for change, expected in [(lambda i: zk.set("/watched", b"v%d" % i), "NodeDataChanged"),
                                 (lambda i: zk.create("/watched/c%d" % i), "NodeChildrenChanged")]:
            watch = subprocess.Popen([WARDEN, "cli", "-server", self.ensemble.host(2), "watch", "/watched"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Change the node until the cli has seen it (its watch may not be set yet).
            deadline = time.time() + 20
            i = 0
            while watch.poll() is None and time.time() < deadline:
                change(i)
                i += 1
                time.sleep(0.2)
            out, err = watch.communicate(timeout=10)
            self.assertEqual(watch.returncode, 0, err)
            self.assertEqual(out, f"WatchedEvent state:SyncConnected type:{expected} path:/watched\n")

    def test_a_dead_host_first_in_the_connect_string_is_skipped(self):
        dead = f"127.0.0.1:{free_ports(1)[0]}"
        done = self.cli(f"{dead},{self.ensemble.host(3)}", "ls", "/")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("zookeeper", done.stdout)

    def test_bench_runs_every_phase_and_cleans_up(self):
        zk = self.client()
        done = subprocess.run([WARDEN, "bench", "-server", self.ensemble.hosts(), "--seconds", "2"],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual([line.split()[0] for line in lines], ["create", "set", "get"], done.stdout)
        for line in lines:
            fields = dict(re.findall(r"(\w+)=([\d.]+)", line))
            self.assertEqual(set(fields), {"ops", "seconds", "ops_per_s", "p50_ms", "p99_ms",
                                           "p999_ms", "max_ms", "errors"}, line)
            self.assertGreater(int(fields["ops"]), 0, line)
            self.assertEqual(fields["errors"], "0", line)
        self.assertEqual([c for c in zk.get_children("/") if c.startswith("bench-")], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
