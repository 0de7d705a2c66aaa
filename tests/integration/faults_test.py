"""Faults and guards of a real 3-node Warden ensemble, seen by kazoo clients:

- the leader (found with `srvr`) killed with SIGKILL while several clients
  write: their sessions and ephemerals survive, a new leader is elected,
  every acknowledged write is on every node, and the killed node, restarted,
  catches up;
- the node a client is connected to killed: the client moves to another
  node with the same session and its ephemeral; a session moved by hand
  re-arms its watches with setWatches, and what changed meanwhile fires;
- a multi whose third op fails: nothing is applied, and each op's result
  says what became of it (as ZooKeeper 3.8 reports it);
- digest ACLs: refused without the right addauth, allowed with it, and
  allowed to the super user of DigestAuthenticationProvider.superDigest;
- a request larger than jute.maxbuffer: that connection is closed and its
  client sees an error; other clients and the node carry on.

Session expiry (ephemerals deleted, another client's watch fired) is in
kazoo_test.py.

Usage: faults_test.py WARDEN_BINARY"""

import base64
import hashlib
import struct
import sys
import threading
import time
import unittest

from kazoo.client import KazooState
from kazoo.exceptions import (BadVersionError, ConnectionLoss, KazooException, NoAuthError,
                              RolledBackError, RuntimeInconsistency)
from kazoo.retry import KazooRetry
from kazoo.security import make_acl, make_digest_acl

from ensemble import Ensemble, EnsembleTestCase, started_client
from raw_zk import NO_NODE, NODE_CREATED, NODE_DATA_CHANGED, NODE_DELETED, OK, RawSession

WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"

SUPER_PASSWORD = "adminpw"
SUPER_DIGEST = base64.b64encode(hashlib.sha1(f"super:{SUPER_PASSWORD}".encode()).digest()).decode()
MAX_BUFFER = 65536


def wait_until(condition, seconds=20, what="the condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not hold within {seconds}s")


def retrying(seconds=30):
    """Retries a call for up to `seconds` (a node may still be joining)."""
    return KazooRetry(max_tries=-1, max_delay=0.5, deadline=seconds)


class KilledNodes(unittest.TestCase):
    """A fresh ensemble per test: each kills one of its nodes."""

    def setUp(self):
        self.ensemble = Ensemble(WARDEN)
        self.addCleanup(self.ensemble.stop)
        self.ensemble.start_all()

    def hosts_preferring(self, node):
        """All nodes, `node` first: with randomize_hosts=False kazoo connects there."""
        others = [n for n in range(1, len(self.ensemble.client_ports) + 1) if n != node]
        return ",".join(self.ensemble.host(n) for n in [node] + others)

    def single_node_reader(self, node):
        return started_client(self.ensemble.host(node), self.addCleanup)

    def children_on(self, node, path):
        """`path`'s children as `node` has them after a sync."""
        reader = self.single_node_reader(node)
        retry = retrying()
        retry(reader.sync, path)
        return set(retry(reader.get_children, path))

    def test_killing_the_leader_loses_no_acknowledged_write(self):
        ensemble = self.ensemble
        leader = ensemble.wait_for_leader_node()
        writers = []
        for node in (1, 2, 3):  # one client starts on each node, the leader's included
            zk = started_client(self.hosts_preferring(node), self.addCleanup, randomize_hosts=False)
            zk.create(f"/faults/ephemeral-{node}", b"", ephemeral=True, makepath=True)
            writers.append((node, zk, zk.client_id[0]))

        acked = {node: [] for node, _, _ in writers}
        acked_after_kill = {node: 0 for node, _, _ in writers}
        killed = threading.Event()
        stop = threading.Event()

        def write(node, zk):
            attempt = 0
            while not stop.is_set():
                path = f"/faults/w{node}-{attempt:05d}"
                attempt += 1
                try:
                    zk.create(path, str(attempt).encode())
                except KazooException:
                    time.sleep(0.05)  # unknown outcome: not counted as acknowledged
                    continue
                acked[node].append(path)
                if killed.is_set():
                    acked_after_kill[node] += 1

        threads = [threading.Thread(target=write, args=(node, zk), daemon=True)
                   for node, zk, _ in writers]
        for t in threads:
            t.start()
        try:
            time.sleep(2)
            ensemble.kill(leader)
            killed.set()
            new_leader = ensemble.wait_for_leader_node()
            self.assertNotEqual(new_leader, leader)
            wait_until(lambda: min(acked_after_kill.values()) >= 20, seconds=30,
                       what="every client writing again after the failover")
        finally:
            stop.set()
            for t in threads:
                t.join(30)

        for node, zk, session in writers:
            self.assertEqual(zk.client_id[0], session, f"client {node}'s session did not survive")
            self.assertEqual(zk.state, KazooState.CONNECTED)
        everything = {path.rsplit("/", 1)[1] for paths in acked.values() for path in paths}
        ephemerals = {f"ephemeral-{node}" for node in (1, 2, 3)}
        self.assertGreater(len(everything), 100)
        for node in ensemble.procs:
            present = self.children_on(node, "/faults")
            self.assertEqual(sorted(everything - present), [],
                             f"node {node} lacks acknowledged writes")
            self.assertLessEqual(ephemerals, present, f"node {node} lost an ephemeral")

        ensemble.start(leader)
        ensemble.wait_for_port(ensemble.client_ports[leader - 1])
        present = self.children_on(leader, "/faults")
        self.assertEqual(sorted(everything - present), [], "the restarted node did not catch up")
        self.assertLessEqual(ephemerals, present)
        wait_until(lambda: ensemble.mode(leader) == "follower", what="the old leader following")

    def test_killing_the_clients_node_keeps_its_session(self):
        ensemble = self.ensemble
        leader = ensemble.wait_for_leader_node()
        node = next(n for n in (1, 2, 3) if n != leader)
        zk = started_client(self.hosts_preferring(node), self.addCleanup, randomize_hosts=False)
        port = ensemble.client_ports[node - 1]
        self.assertEqual(zk._connection._socket.getpeername()[1], port,
                         "the client did not start on the node to be killed")
        states = []
        zk.add_listener(states.append)
        session = zk.client_id[0]
        zk.create("/moved/ephemeral", b"mine", ephemeral=True, makepath=True)

        ensemble.kill(node)
        wait_until(lambda: states[-2:] == [KazooState.SUSPENDED, KazooState.CONNECTED],
                   what="the client reconnecting elsewhere")
        self.assertNotEqual(zk._connection._socket.getpeername()[1], port)
        self.assertEqual(zk.client_id[0], session, "the session did not survive")
        self.assertNotIn(KazooState.LOST, states)
        self.assertEqual(zk.get("/moved/ephemeral")[1].ephemeralOwner, session)

        other_node = next(n for n in (1, 2, 3) if n != node)
        other = self.single_node_reader(other_node)
        other.sync("/moved")
        self.assertEqual(other.get("/moved/ephemeral")[0], b"mine")
        zk.create("/moved/after", b"")
        other.sync("/moved")
        self.assertIsNotNone(other.exists("/moved/after"))

    def test_a_moved_session_re_arms_its_watches(self):
        # What the Java and C clients do when their node dies (kazoo 2.8 does
        # not): reconnect elsewhere with the session's id and password, then
        # setWatches from the last zxid seen. What changed meanwhile fires at
        # once, in ZooKeeper's order (data watches, then exist watches); the
        # other watches are armed again.
        ensemble = self.ensemble
        leader = ensemble.wait_for_leader_node()
        doomed, other = [n for n in (1, 2, 3) if n != leader]
        writer = self.single_node_reader(leader)
        for name in ("changed", "unchanged", "deleted"):
            writer.create(f"/rearm/{name}", b"0", makepath=True)

        raw = RawSession(ensemble.client_ports[doomed - 1])
        self.assertEqual(raw.sync("/rearm"), OK)
        for name in ("changed", "unchanged", "deleted"):
            self.assertEqual(raw.get_data(f"/rearm/{name}", watch=True), OK)
        for name in ("created", "later"):
            self.assertEqual(raw.exists(f"/rearm/{name}", watch=True), NO_NODE)
        seen = raw.last_zxid
        ensemble.kill(doomed)
        raw.sock.close()  # no closeSession: the session lives on

        writer.set("/rearm/changed", b"1")
        writer.delete("/rearm/deleted")
        writer.create("/rearm/created")
        moved = None
        deadline = time.time() + 20
        while moved is None:  # a node that has not applied `seen` yet refuses
            try:
                moved = RawSession(ensemble.client_ports[other - 1], session=raw.session,
                                   password=raw.password, last_zxid=seen)
            except (OSError, ConnectionError, struct.error):
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.addCleanup(moved.close)
        self.assertEqual(moved.session, raw.session)
        self.assertGreater(moved.timeout_ms, 0, "the session was taken for expired")

        self.assertEqual(moved.set_watches(seen, data=["/rearm/changed", "/rearm/unchanged",
                                                       "/rearm/deleted"],
                                           exist=["/rearm/created", "/rearm/later"]), OK)
        self.assertEqual(moved.next_events(3), [(NODE_DATA_CHANGED, "/rearm/changed"),
                                                (NODE_DELETED, "/rearm/deleted"),
                                                (NODE_CREATED, "/rearm/created")])
        writer.set("/rearm/unchanged", b"1")
        writer.create("/rearm/later")
        self.assertEqual(moved.next_events(2), [(NODE_DATA_CHANGED, "/rearm/unchanged"),
                                                (NODE_CREATED, "/rearm/later")])
        self.assertEqual(moved.sync("/rearm"), OK)
        self.assertTrue(moved.events.empty(), f"unexpected events: {list(moved.events.queue)}")


class ConfiguredEnsemble(EnsembleTestCase):
    """One ensemble with a super digest and a small jute.maxbuffer."""

    WARDEN = WARDEN
    EXTRA_CONFIG = (f"DigestAuthenticationProvider.superDigest=super:{SUPER_DIGEST}",
                    f"jute.maxbuffer={MAX_BUFFER}")

    def test_a_failing_multi_applies_nothing_and_reports_each_op(self):
        zk = self.client()
        zk.create("/multi", b"before")
        tx = zk.transaction()
        tx.create("/multi/a", b"")
        tx.set_data("/multi", b"after")
        tx.check("/multi", 7)  # its version is 0
        tx.create("/multi/b", b"")
        self.assertEqual([type(result) for result in tx.commit()],
                         [RolledBackError, RolledBackError, BadVersionError,
                          RuntimeInconsistency])
        for node in (1, 2, 3):
            reader = self.client(self.ensemble.host(node))
            reader.sync("/multi")
            data, stat = reader.get("/multi")
            self.assertEqual((data, stat.version, stat.numChildren), (b"before", 0, 0),
                             f"node {node} shows part of the failed multi")

        tx = zk.transaction()
        tx.create("/multi/a", b"")
        tx.set_data("/multi", b"after")
        tx.check("/multi", 1)
        tx.delete("/multi/a")
        results = tx.commit()
        self.assertEqual(results[0], "/multi/a")
        self.assertEqual(results[1].version, 1)
        self.assertEqual(results[2:], [True, True])
        self.assertEqual(zk.get("/multi")[0], b"after")
        self.assertIsNone(zk.exists("/multi/a"))

    def test_digest_acls_and_the_super_user(self):
        owner = self.client()
        owner.create("/acl")
        owner.create("/acl/secret", b"hidden",
                     acl=[make_digest_acl("alice", "secret", all=True)])
        owner.create("/acl/readable", b"public",
                     acl=[make_digest_acl("alice", "secret", all=True),
                          make_acl("world", "anyone", read=True)])

        stranger = self.client(self.ensemble.host(2))
        stranger.sync("/acl")
        for denied in (lambda: stranger.get("/acl/secret"),
                       lambda: stranger.get_children("/acl/secret"),
                       lambda: stranger.get_acls("/acl/secret"),
                       lambda: stranger.set("/acl/secret", b"x"),
                       lambda: stranger.create("/acl/secret/child"),
                       lambda: stranger.set("/acl/readable", b"x")):
            with self.assertRaises(NoAuthError):
                denied()
        self.assertIsNotNone(stranger.exists("/acl/secret"))  # exists checks no ACL
        self.assertEqual(stranger.get("/acl/readable")[0], b"public")

        stranger.add_auth("digest", "alice:wrong")
        with self.assertRaises(NoAuthError):
            stranger.get("/acl/secret")
        stranger.add_auth("digest", "alice:secret")
        self.assertEqual(stranger.get("/acl/secret")[0], b"hidden")
        stranger.set("/acl/readable", b"by alice")
        acl = stranger.get_acls("/acl/secret")[0]
        self.assertEqual([(a.id.scheme, a.id.id, a.perms) for a in acl],
                         [("digest", make_digest_acl("alice", "secret").id.id, 31)])

        superuser = self.client(self.ensemble.host(3))
        superuser.sync("/acl")
        with self.assertRaises(NoAuthError):
            superuser.get("/acl/secret")
        superuser.add_auth("digest", f"super:{SUPER_PASSWORD}")
        self.assertEqual(superuser.get("/acl/secret")[0], b"hidden")
        superuser.set("/acl/secret", b"by super")
        superuser.create("/acl/secret/child")
        superuser.delete("/acl/secret", recursive=True)
        owner.sync("/acl")
        self.assertIsNone(owner.exists("/acl/secret"))

    def test_a_request_over_jute_maxbuffer_closes_only_its_connection(self):
        node1 = self.ensemble.host(1)
        big, bystander = self.client(node1), self.client(node1)
        big_states, bystander_states = [], []
        big.add_listener(big_states.append)
        bystander.add_listener(bystander_states.append)
        session = big.client_id[0]
        big.create("/big", b"")
        big.set("/big", b"x" * 60000)  # under the limit: fine

        started = time.time()
        with self.assertRaises(ConnectionLoss):
            big.set("/big", b"y" * 100 * 1024)
        self.assertLess(time.time() - started, 5, "the error came late (no close?)")
        wait_until(lambda: big.connected, what="the closed client reconnecting")
        self.assertEqual(big.client_id[0], session)
        self.assertEqual(big_states[:1], [KazooState.SUSPENDED])
        self.assertEqual(big.get("/big")[0], b"x" * 60000, "the oversized write was applied")

        self.assertEqual(bystander_states, [], "another client's connection was disturbed")
        bystander.set("/big", b"small")
        self.assertEqual(bystander.get("/big")[0], b"small")
        self.assertEqual(self.ensemble.four_letter_word(1, "ruok"), "imok")
        self.assertIn(1, self.ensemble.procs)
        self.assertIsNone(self.ensemble.procs[1].poll(), "node 1 exited")


if __name__ == "__main__":
    unittest.main(verbosity=2)
