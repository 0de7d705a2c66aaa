"""A full disk under one node of a real 3-node Warden ensemble: that node's
data directory sits on a small tmpfs that is then filled. A client connected
to it gets ZSYSTEMERROR for writes, at once, while the other two nodes keep
committing; once space is freed the node catches up and takes writes again.
Needs root to mount the tmpfs; skipped otherwise.

Usage: disk_full_test.py WARDEN_BINARY"""

import os
import shutil
import subprocess
import sys
import time
import unittest

from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, NodeExistsError, SystemZookeeperError
from kazoo.retry import KazooRetry

from ensemble import Ensemble

WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"


def create_once(client, path, value):
    """Creates `path`, retrying through a change of leader: a create whose
    reply was lost with the connection may have been applied, and its retry
    then finds the znode (with this value) there."""
    try:
        client.retry(client.create, path, value)
    except NodeExistsError:
        data, _ = client.retry(client.get, path)
        if data != value:
            raise


class DiskFull(unittest.TestCase):
    def test_writes_fail_with_an_error_code_then_resume(self):
        ensemble = Ensemble(WARDEN)
        small = os.path.join(ensemble.root, "node3")
        with open(ensemble.config(3)) as f:
            node3_config = f.read()  # the mount is about to hide it
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", small],
                                 capture_output=True).returncode == 0
        if not mounted:
            ensemble.stop()
            self.skipTest("cannot mount a tmpfs (needs root)")
        # Cleanups run last first: stop the nodes, unmount, then remove the
        # folder (the mount point cannot go while mounted).
        self.addCleanup(shutil.rmtree, ensemble.root, ignore_errors=True)
        self.addCleanup(lambda: subprocess.run(["umount", "-l", small]))
        self.addCleanup(ensemble.stop)
        # The mount hid what Ensemble wrote there: write it again.
        with open(os.path.join(small, "myid"), "w") as f:
            f.write("3\n")
        with open(ensemble.config(3), "w") as f:
            f.write(node3_config)
        ensemble.start_all()

        # If node 3 led, the others elect a new leader: their writes may be
        # turned away meanwhile, and are retried.
        other = KazooClient(hosts=f"127.0.0.1:{ensemble.client_ports[0]}", timeout=10,
                            command_retry=KazooRetry(max_tries=-1, max_delay=0.5, deadline=30),
                            connection_retry=KazooRetry(max_tries=-1, max_delay=0.5))
        other.start(timeout=20)
        self.addCleanup(other.stop)
        full = KazooClient(hosts=f"127.0.0.1:{ensemble.client_ports[2]}", timeout=10,
                           connection_retry=KazooRetry(max_tries=-1, max_delay=0.5))
        full.start(timeout=20)
        self.addCleanup(full.stop)
        full.create("/before", b"x")
        self.addCleanup(lambda: print("node 3's log:\n" + ensemble.log(3)[-2500:]))

        filler = os.path.join(small, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        # The other nodes go on; node 3 stalls on the next Ready it must persist.
        value = b"v" * 4096
        for i in range(200):
            create_once(other, f"/during-{i}", value)
        errors = 0
        deadline = time.time() + 20
        while time.time() < deadline and errors == 0:
            try:
                full.create(f"/attempt-{time.time()}", b"x")
            except SystemZookeeperError:
                errors += 1
            except ConnectionLoss:
                time.sleep(0.1)  # the client reconnects (to node 3: it knows no other)
        self.assertGreater(errors, 0, "the full node never refused a write")
        self.assertEqual(full.retry(full.get, "/before")[0], b"x", "reads stopped")
        self.assertIn("cannot persist", ensemble.log(3))

        os.remove(filler)
        deadline = time.time() + 30
        while True:
            try:
                full.create("/after", b"y")
                break
            except (SystemZookeeperError, ConnectionLoss):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        full.retry(full.sync, "/")
        self.assertIsNotNone(full.retry(full.exists, "/during-199"))
        self.assertEqual(other.retry(other.get, "/after")[0], b"y")


if __name__ == "__main__":
    unittest.main(verbosity=2)
