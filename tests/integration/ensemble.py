"""A local Warden ensemble for integration tests: N `warden serve` processes
on loopback, each with its own zoo.cfg and data directory under a temporary
folder, started and stopped by process id.

Used by tests/integration/*_test.py (run by CTest with the system python3,
which has Debian's python3-kazoo)."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from ports import free_ports  # noqa: F401 - also offered to the tests



class Ensemble:
    """extra_config: zoo.cfg lines ("key=value") added to every node's file;
    node_config(node): lines added to that node's file alone."""

    def __init__(self, warden, nodes=3, extra_config=(), node_config=None):
        self.warden = warden
        self.root = tempfile.mkdtemp(prefix="warden-ensemble-")
        ports = free_ports(4 * nodes)
        self.client_ports = ports[:nodes]
        peer_ports = ports[nodes:2 * nodes]
        election_ports = ports[2 * nodes:3 * nodes]
        self.admin_ports = ports[3 * nodes:]
        self.procs = {}
        servers = "".join(
            f"server.{i + 1}=127.0.0.1:{peer_ports[i]}:{election_ports[i]}\n" for i in range(nodes))
        for i in range(nodes):
            node = i + 1
            data = os.path.join(self.root, f"node{node}")
            os.makedirs(data)
            with open(os.path.join(data, "myid"), "w") as f:
                f.write(f"{node}\n")
            with open(self.config(node), "w") as f:
                f.write(f"tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={data}\n"
                        f"clientPort={self.client_ports[i]}\nclientPortAddress=127.0.0.1\n"
                        f"4lw.commands.whitelist=*\nadmin.serverPort={self.admin_ports[i]}\n"
                        f"admin.serverAddress=127.0.0.1\n" + servers
                        + "".join(line + "\n" for line in extra_config)
                        + "".join(line + "\n" for line in (node_config(node) if node_config
                                                             else ())))

    def config(self, node):
        return os.path.join(self.root, f"node{node}", "zoo.cfg")

    def hosts(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.client_ports)

    def host(self, node):
        return f"127.0.0.1:{self.client_ports[node - 1]}"

    def four_letter_word(self, node, word, timeout=2):
        """The node's answer to a four-letter word, or None if it does not answer."""
        try:
            with socket.create_connection(("127.0.0.1", self.client_ports[node - 1]),
                                          timeout=timeout) as s:
                s.sendall(word.encode())
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
                return reply.decode()
        except OSError:
            return None

    def mode(self, node):
        """"leader", "follower", ... as `srvr` says; None if the node does not answer."""
        for line in (self.four_letter_word(node, "srvr") or "").splitlines():
            if line.startswith("Mode: "):
                return line[len("Mode: "):].strip()
        return None

    def wait_for_leader_node(self, seconds=30):
        """The running node whose `srvr` says it leads, once exactly one does."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            leaders = [node for node in self.procs if self.mode(node) == "leader"]
            if len(leaders) == 1:
                return leaders[0]
            time.sleep(0.1)
        raise RuntimeError(f"no single leader within {seconds}s")

    def start(self, node):
        with open(os.path.join(self.root, f"node{node}.log"), "a") as log:
            self.procs[node] = subprocess.Popen(
                [self.warden, "serve", "--config", self.config(node)],
                stdout=log, stderr=subprocess.STDOUT)

    def start_all(self):
        for node in range(1, len(self.client_ports) + 1):
            self.start(node)
        for port in self.client_ports:
            self.wait_for_port(port)
        self.wait_for_leader()

    def wait_for_leader(self, seconds=30):
        """Until a write commits: an ensemble without a leader turns clients away."""
        from kazoo.client import KazooClient
        from kazoo.retry import KazooRetry
        zk = KazooClient(hosts=self.hosts(), timeout=10,
                         connection_retry=KazooRetry(max_tries=-1, max_delay=0.5),
                         command_retry=KazooRetry(max_tries=-1, max_delay=0.5, deadline=seconds))
        zk.start(timeout=seconds)
        try:
            zk.retry(zk.ensure_path, "/")
            zk.retry(zk.create, "/.ready-probe", ephemeral=True)
        finally:
            zk.stop()
            zk.close()

    def wait_for_port(self, port, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {port}")

    def kill(self, node, sig=signal.SIGKILL):
        proc = self.procs.pop(node)
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return proc.returncode

    def log(self, node):
        with open(os.path.join(self.root, f"node{node}.log")) as f:
            return f.read()

    def stop(self):
        """Stops every node and removes the data; $WARDEN_KEEP_LOGS names a
        folder to copy the nodes' logs to first (for a failure's story)."""
        for node in list(self.procs):
            self.kill(node, signal.SIGTERM)
        keep = os.environ.get("WARDEN_KEEP_LOGS")
        if keep:
            os.makedirs(keep, exist_ok=True)
            for name in os.listdir(self.root):
                if name.endswith(".log"):
                    shutil.copy(os.path.join(self.root, name), keep)
        shutil.rmtree(self.root, ignore_errors=True)


def started_client(hosts, cleanup, **options):
    """A started kazoo client that keeps reconnecting; `cleanup` (a test's
    addCleanup) stops and closes it."""
    from kazoo.client import KazooClient
    from kazoo.retry import KazooRetry
    zk = KazooClient(hosts=hosts, timeout=10,
                     connection_retry=KazooRetry(max_tries=-1, max_delay=0.5), **options)
    zk.start(timeout=20)
    cleanup(zk.close)
    cleanup(zk.stop)
    return zk


class EnsembleTestCase(unittest.TestCase):
    """One ensemble for a whole test class: started before its first test,
    stopped after its last (also when starting it failed). Subclasses set
    WARDEN, and EXTRA_CONFIG for zoo.cfg lines of their own."""

    WARDEN = "build/warden"
    EXTRA_CONFIG = ()

    @classmethod
    def setUpClass(cls):
        cls.ensemble = Ensemble(cls.WARDEN, extra_config=cls.EXTRA_CONFIG)
        cls.addClassCleanup(cls.ensemble.stop)
        cls.ensemble.start_all()

    def client(self, hosts=None, **options):
        """A started kazoo client of the whole ensemble (or of `hosts`),
        stopped when the test ends."""
        return started_client(hosts or self.ensemble.hosts(), self.addCleanup, **options)
