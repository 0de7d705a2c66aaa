"""kazoo (Debian's python3-kazoo) against a real 3-node Warden ensemble:
the client API, its recipes, watches, multi, and a node killed with SIGKILL
while a client writes (the session survives, no acknowledged write is lost).

Usage: kazoo_test.py WARDEN_BINARY"""

import socket
import struct
import sys
import threading
import time
import unittest

from kazoo.exceptions import NoNodeError, NodeExistsError, BadVersionError
from kazoo.protocol.states import EventType

from ensemble import EnsembleTestCase

def recv_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def pack_string(value):
    return struct.pack(">i", len(value)) + value


WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"


class KazooAgainstWarden(EnsembleTestCase):
    WARDEN = WARDEN

    def test_crud_and_errors(self):
        zk = self.client()
        zk.create("/crud", b"v0")
        data, stat = zk.get("/crud")
        self.assertEqual(data, b"v0")
        self.assertEqual(stat.version, 0)
        zk.set("/crud", b"v1", version=0)
        with self.assertRaises(BadVersionError):
            zk.set("/crud", b"v2", version=0)
        with self.assertRaises(NodeExistsError):
            zk.create("/crud")
        with self.assertRaises(NoNodeError):
            zk.get("/missing")
        zk.create("/crud/child-", b"", sequence=True)
        self.assertEqual(zk.get_children("/crud"), ["child-0000000000"])
        zk.delete("/crud", recursive=True)
        self.assertIsNone(zk.exists("/crud"))

    def test_watches_fire_before_the_data_is_read(self):
        zk = self.client()
        seen = []
        changed = threading.Event()

        def watch(event):
            seen.append((event.type, event.path))
            changed.set()

        zk.create("/watched", b"a")
        zk.get("/watched", watch=watch)
        other = self.client()
        other.set("/watched", b"b")
        self.assertTrue(changed.wait(10))
        self.assertEqual(seen, [(EventType.CHANGED, "/watched")])
        self.assertEqual(zk.get("/watched")[0], b"b")

    def test_recipes(self):
        zk = self.client()
        with zk.Lock("/recipes/lock", "me"):
            self.assertEqual(zk.Lock("/recipes/lock").contenders(), ["me"])
        counter = zk.Counter("/recipes/counter")
        counter += 3
        counter -= 1
        self.assertEqual(counter.value, 2)
        queue = zk.Queue("/recipes/queue")
        queue.put(b"one")
        queue.put(b"two")
        self.assertEqual(queue.get(), b"one")
        election = zk.Election("/recipes/election", "me")
        won = threading.Event()
        threading.Thread(target=lambda: election.run(won.set), daemon=True).start()
        self.assertTrue(won.wait(10))

    def test_a_multi_with_a_failing_op_changes_nothing(self):
        zk = self.client()
        tx = zk.transaction()
        tx.create("/multi-a")
        tx.delete("/multi-missing")
        results = tx.commit()
        self.assertIsInstance(results[1], NoNodeError)
        self.assertIsNone(zk.exists("/multi-a"))

    def test_four_letter_words(self):
        zk = self.client()
        self.assertEqual(zk.command(b"ruok"), "imok")
        mntr = zk.command(b"mntr")
        self.assertIn("zk_server_state\t", mntr)
        self.assertIn("zk_znode_count\t", mntr)
        self.assertIn("Mode: ", zk.command(b"srvr"))

    def test_an_abandoned_session_expires_and_its_ephemeral_goes(self):
        # A bare client: handshake, one ephemeral create, then the socket is
        # dropped without closeSession, as a crashed client would.
        sock = socket.create_connection(("127.0.0.1", self.ensemble.client_ports[1]))
        connect = struct.pack(">iqiq", 0, 0, 4000, 0) + struct.pack(">i", 16) + b"\0" * 16
        sock.sendall(struct.pack(">i", len(connect)) + connect)
        length = struct.unpack(">i", recv_exactly(sock, 4))[0]
        response = recv_exactly(sock, length)
        timeout_ms, session = struct.unpack(">iq", response[4:16])
        self.assertGreater(session, 0)
        path = b"/abandoned"
        acl = struct.pack(">i", 1) + struct.pack(">i", 31) + pack_string(b"world") + pack_string(b"anyone")
        create = struct.pack(">ii", 1, 1) + pack_string(path) + pack_string(b"") + acl + struct.pack(">i", 1)
        sock.sendall(struct.pack(">i", len(create)) + create)
        length = struct.unpack(">i", recv_exactly(sock, 4))[0]
        xid, zxid, err = struct.unpack(">iqi", recv_exactly(sock, length)[:16])
        self.assertEqual((xid, err), (1, 0))

        zk = self.client()
        gone = threading.Event()
        self.assertIsNotNone(zk.exists("/abandoned", watch=lambda event: gone.set()))
        sock.close()
        started = time.time()
        self.assertTrue(gone.wait(timeout_ms / 1000 * 4), "the session never expired")
        self.assertGreaterEqual(time.time() - started, timeout_ms / 1000 * 0.5)
        self.assertIsNone(zk.exists("/abandoned"))

    def test_zz_a_killed_node_loses_no_acknowledged_write(self):
        zk = self.client()
        session = zk.client_id[0]
        zk.create("/kill/ephemeral", b"", ephemeral=True, makepath=True)
        acked = []
        stop = time.time() + 8
        killer = threading.Timer(2.0, lambda: self.ensemble.kill(1))
        killer.start()
        while time.time() < stop:
            try:
                acked.append(zk.create("/kill/n-", b"", sequence=True))
            except Exception:
                time.sleep(0.05)
        killer.join()
        self.ensemble.start(1)
        self.assertEqual(zk.client_id[0], session, "the session did not survive")
        self.assertIsNotNone(zk.exists("/kill/ephemeral"))
        present = set("/kill/" + c for c in zk.get_children("/kill"))
        missing = [p for p in acked if p not in present]
        self.assertEqual(missing, [], "acknowledged creates were lost")
        self.assertGreater(len(acked), 50)


if __name__ == "__main__":
    unittest.main(verbosity=2)
