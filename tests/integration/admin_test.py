"""The operator's view of a real 3-node Warden ensemble: the admin HTTP server
(/commands/<name>, /metrics in Prometheus text, /health), every four-letter
word on the client port, and bad clients — too many connections from one
address, a frame longer than jute.maxbuffer, garbage before the handshake —
each closed, logged and counted while the node keeps serving everyone else.

Run by CTest: /usr/bin/python3 admin_test.py path/to/warden"""

import json
import os
import socket
import struct
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ensemble import EnsembleTestCase  # noqa: E402

MAX_CONNECTIONS = 6


def http_get(port, path):
    """(status, content type, body) of GET http://127.0.0.1:port/path."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def metric(port, name, labels=""):
    """One sample's value from the node's /metrics."""
    status, _, body = http_get(port, "/metrics")
    assert status == 200, status
    key = name + (("{" + labels + "}") if labels else "")
    for line in body.splitlines():
        if line.startswith(key + " "):
            return float(line.split(" ")[-1])
    raise AssertionError(f"{key} not in /metrics")


def closed_by_peer(sock, seconds=5):
    """True once the server has closed `sock` (recv gives EOF or a reset)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class AdminTest(EnsembleTestCase):
    EXTRA_CONFIG = (f"maxClientCnxns={MAX_CONNECTIONS}", "jute.maxbuffer=65536")

    def admin_port(self, node):
        return self.ensemble.admin_ports[node - 1]

    def test_commands_answer_as_json_by_name_and_by_word(self):
        states = []
        for node in (1, 2, 3):
            port = self.admin_port(node)
            status, content_type, body = http_get(port, "/commands")
            self.assertEqual(status, 200)
            self.assertIn("application/json", content_type)
            self.assertIn("monitor", json.loads(body)["commands"])
            status, _, body = http_get(port, "/commands/monitor")
            self.assertEqual(status, 200)
            monitor = json.loads(body)
            self.assertEqual(monitor["command"], "monitor")
            self.assertIsNone(monitor["error"])
            states.append(monitor["server_state"])
            status, _, body = http_get(port, "/commands/ruok")
            self.assertEqual((status, json.loads(body)["error"]), (200, None))
            self.assertEqual(json.loads(http_get(port, "/commands/conf")[2])["clientPort"],
                             str(self.ensemble.client_ports[node - 1]))
        self.assertEqual(sorted(states), ["follower", "follower", "leader"])
        status, _, body = http_get(self.admin_port(1), "/commands/nonesuch")
        self.assertEqual(status, 404)
        self.assertIn("Unknown command", json.loads(body)["error"])

    def test_health_and_metrics(self):
        for node in (1, 2, 3):
            status, _, body = http_get(self.admin_port(node), "/health")
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["status"], "ok")
        status, content_type, body = http_get(self.admin_port(1), "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        self.assertIn("# TYPE warden_connections_closed_total counter", body)
        zk = self.client(self.ensemble.host(1))
        zk.create("/metrics-probe", b"x" * 100)
        self.assertGreaterEqual(metric(self.admin_port(1), "warden_znode_count"), 2)
        self.assertGreater(metric(self.admin_port(1), "warden_packets_received_total"), 0)
        self.assertGreaterEqual(metric(self.admin_port(1), "warden_num_alive_connections"), 1)
        # The write went through RocksDB's memtables and the consensus log.
        self.assertGreater(metric(self.admin_port(1), "warden_storage_memtable_bytes"), 0)
        self.assertGreaterEqual(metric(self.admin_port(1), "warden_log_entries_in_memory"), 1)
        metric(self.admin_port(1), "warden_storage_block_cache_bytes")  # present

    def test_every_four_letter_word_answers(self):
        zk = self.client(self.ensemble.host(2))
        zk.create("/fourlw", b"")
        zk.create("/fourlw/eph", b"", ephemeral=True)
        zk.exists("/fourlw", watch=lambda event: None)
        session = f"0x{zk.client_id[0]:x}"
        word = lambda w: self.ensemble.four_letter_word(2, w)  # noqa: E731
        self.assertEqual(word("ruok"), "imok")
        self.assertEqual(word("isro"), "rw")
        self.assertIn(f"sid={session}", word("cons"))
        self.assertIn("Environment:\nzookeeper.version=", word("envi"))
        self.assertIn(f"{session}\n\t/fourlw\n", word("wchc"))
        self.assertIn(f"/fourlw\n\t{session}\n", word("wchp"))
        self.assertIn(f"{session}:\n\t/fourlw/eph\n", word("dump"))
        self.assertRegex(word("dirs"), r"^datadir_size: [1-9]\d*\nlogdir_size: [1-9]\d*\n$")
        self.assertRegex(word("stat"), r"Clients:\n( /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,"
                                       r"sent=\d+\)\n)+\n")
        self.assertIn("zk_connections_closed_bad_frame\t", word("mntr"))
        self.assertRegex(word("mntr"), r"\nzk_memtable_bytes\t[1-9]\d*\n")
        self.assertIn("clientPort=", word("conf"))
        self.assertIn("1 connections watching 1 paths", word("wchs"))

    def test_too_many_connections_from_one_address_are_refused(self):
        port = self.ensemble.client_ports[2]
        before = metric(self.admin_port(3), "warden_connections_closed_total",
                        'reason="too_many_connections"')
        # Give the server a moment to forget the probes of earlier tests.
        time.sleep(0.5)
        held = []
        refused = None
        for _ in range(MAX_CONNECTIONS + 3):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            held.append(sock)
            if closed_by_peer(sock, seconds=0.5):
                refused = sock
                break
        self.assertIsNotNone(refused, "no connection was refused")
        self.assertLessEqual(len(held), MAX_CONNECTIONS + 1)
        after = metric(self.admin_port(3), "warden_connections_closed_total",
                       'reason="too_many_connections"')
        self.assertEqual(after, before + 1)
        self.assertIn("too many connections from 127.0.0.1 - max is 6", self.ensemble.log(3))
        for sock in held:
            sock.close()
        time.sleep(0.3)
        zk = self.client(self.ensemble.host(3))  # once they are gone, the address gets in again
        self.assertTrue(zk.exists("/"))

    def test_bad_frames_close_only_their_connection(self):
        zk = self.client(self.ensemble.host(1))
        zk.create("/survivor", b"before")
        port = self.ensemble.client_ports[0]
        before = metric(self.admin_port(1), "warden_connections_closed_total", 'reason="bad_frame"')
        # A length past jute.maxbuffer, a negative length, then a length that
        # is fine but whose bytes trickle in and do not decode.
        for prefix in (struct.pack(">i", 10_000_000), struct.pack(">i", -5)):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(prefix)
                self.assertTrue(closed_by_peer(sock))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for byte in struct.pack(">i", 8) + b"\x01" * 8:
                sock.sendall(bytes([byte]))
                time.sleep(0.01)
            self.assertTrue(closed_by_peer(sock))
        after = metric(self.admin_port(1), "warden_connections_closed_total", 'reason="bad_frame"')
        self.assertEqual(after, before + 2)
        malformed = metric(self.admin_port(1), "warden_connections_closed_total",
                           'reason="malformed_request"')
        self.assertGreaterEqual(malformed, 1)
        zk.set("/survivor", b"after")  # the node went on serving its client
        self.assertEqual(zk.get("/survivor")[0], b"after")


if __name__ == "__main__":
    EnsembleTestCase.WARDEN = sys.argv.pop(1)
    unittest.main()
