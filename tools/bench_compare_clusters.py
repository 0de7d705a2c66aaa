"""The two 3-node ensembles tools/bench_compare.py compares, on loopback:
Apache ZooKeeper (Debian's zookeeper package, run with java directly) and
Warden (`warden serve`). Each node gets its own zoo.cfg, myid and data
directory under one work directory; every process is started by this module
and stopped by its pid, never by name."""

import os
import signal
import subprocess
import sys
import time

import bench_compare_wire as wire

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from ports import free_ports  # noqa: E402

ZOOKEEPER_CLASSPATH = ":".join([
    "/etc/zookeeper/conf",  # log4j.properties
    "/usr/share/java/zookeeper.jar",  # its manifest names the other jars
    "/usr/share/java/slf4j-log4j12.jar",
    "/usr/share/java/log4j-1.2.jar",
])
ZOOKEEPER_MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


class Processes:
    """Every child process of the run, so that all of them are stopped on
    any exit: normal, exception or Ctrl-C."""

    def __init__(self):
        self.live = {}

    def start(self, argv, log_path, err_path=None):
        """Starts `argv` with its output in `log_path` (its stderr in
        `err_path` if given)."""
        out = open(log_path, "ab")
        err = open(err_path, "ab") if err_path else None
        try:
            # A session of their own: Ctrl-C in the terminal reaches only
            # this script, which then stops them itself.
            proc = subprocess.Popen(argv, stdout=out, stderr=err or subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            out.close()
            if err:
                err.close()
        self.live[proc.pid] = proc
        return proc

    def stop(self, proc, sig=signal.SIGTERM, grace=20.0):
        """Sends `sig` to the process (by pid), waits, and SIGKILLs it if it
        is still there after `grace` seconds."""
        if proc.poll() is None:
            try:
                os.kill(proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        self.live.pop(proc.pid, None)
        return proc.returncode

    def stop_all(self):
        """SIGTERM to every process still running, then SIGKILL to those
        still there 10 s later."""
        procs = list(self.live.values())
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in procs:
            self.stop(proc, signal.SIGTERM, grace=10.0)


class Cluster:
    """A 3-node ensemble on loopback; subclasses say how a node is
    configured and started."""

    name = "?"
    label = "?"

    def __init__(self, processes, work_dir, nodes=3, extra_config=()):
        self.processes = processes
        self.root = os.path.join(work_dir, self.name)
        os.makedirs(self.root, exist_ok=True)
        self.nodes = list(range(1, nodes + 1))
        ports = free_ports(3 * nodes)
        self.client_ports = ports[:nodes]
        self.peer_ports = ports[nodes:2 * nodes]
        self.election_ports = ports[2 * nodes:]
        self.extra_config = list(extra_config)
        self.procs = {}
        for node in self.nodes:
            os.makedirs(self.data_dir(node), exist_ok=True)
            with open(os.path.join(self.data_dir(node), "myid"), "w") as f:
                f.write(f"{node}\n")
            with open(self.config_path(node), "w") as f:
                f.write(self.config_text(node))

    def data_dir(self, node):
        return os.path.join(self.root, f"node{node}")

    def config_path(self, node):
        return os.path.join(self.root, f"node{node}.cfg")

    def log_path(self, node):
        return os.path.join(self.root, f"node{node}.log")

    def port(self, node):
        return self.client_ports[node - 1]

    def hosts(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.client_ports)

    def common_config(self, node):
        """The zoo.cfg lines both systems share."""
        servers = "".join(f"server.{n}=127.0.0.1:{self.peer_ports[n - 1]}:"
                          f"{self.election_ports[n - 1]}\n" for n in self.nodes)
        return (f"tickTime=2000\ninitLimit=10\nsyncLimit=5\n"
                f"dataDir={self.data_dir(node)}\n"
                f"clientPort={self.port(node)}\nclientPortAddress=127.0.0.1\n"
                f"4lw.commands.whitelist=*\nadmin.enableServer=false\n"
                f"maxClientCnxns=0\n" + servers
                + "".join(line + "\n" for line in self.extra_config))

    def config_text(self, node):
        return self.common_config(node)

    def command(self, node):
        raise NotImplementedError

    def start(self, node):
        self.procs[node] = self.processes.start(self.command(node), self.log_path(node))
        return self.procs[node]

    def kill(self, node, sig=signal.SIGKILL):
        proc = self.procs.pop(node)
        return self.processes.stop(proc, sig)

    def stop(self):
        for node in list(self.procs):
            self.kill(node, signal.SIGTERM)

    def pid(self, node):
        return self.procs[node].pid

    def running(self):
        return [node for node, proc in self.procs.items() if proc.poll() is None]

    def mode(self, node):
        return wire.srvr_fields(self.port(node)).get("Mode")

    def serving(self, node):
        return self.mode(node) in ("leader", "follower")

    def leader(self):
        leaders = [node for node in self.running() if self.mode(node) == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def followers(self):
        return [node for node in self.running() if self.mode(node) == "follower"]

    def rss_kib(self, node):
        """VmRSS of the node's process, in KiB, from /proc."""
        with open(f"/proc/{self.pid(node)}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError(f"{self.label} node {node}: no VmRSS")

    def wait_ready(self, node, path="/", seconds=120.0):
        """Seconds until the node says it serves (srvr) and a session on it
        reads `path`. Raises if that takes longer than `seconds`, or the
        process ends."""
        started = time.monotonic()
        proc = self.procs[node]
        while time.monotonic() - started < seconds:
            if proc.poll() is not None:
                raise RuntimeError(f"{self.label} node {node} exited with {proc.returncode}; "
                                   f"see {self.log_path(node)}")
            if self.serving(node) and wire.try_read(self.port(node), path):
                return time.monotonic() - started
            time.sleep(0.02)
        raise RuntimeError(f"{self.label} node {node} not serving after {seconds:.0f} s; "
                           f"see {self.log_path(node)}")

    def start_all(self, seconds=120.0):
        for node in self.nodes:
            self.start(node)
        deadline = time.monotonic() + seconds
        for node in self.nodes:
            self.wait_ready(node, seconds=max(1.0, deadline - time.monotonic()))
        while self.leader() is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label}: no single leader")
            time.sleep(0.05)

    def wait_leader(self, seconds=60.0):
        """Seconds until exactly one running node says it leads."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.leader() is not None:
                return time.monotonic() - started
            time.sleep(0.01)
        raise RuntimeError(f"{self.label}: no leader within {seconds:.0f} s")

    def node_counts(self):
        return {node: wire.srvr_fields(self.port(node)).get("Node count")
                for node in self.running()}

    def settings(self):
        """What BENCHMARKS.md records about how the nodes ran."""
        return {"zoo.cfg (node 1)": self.config_text(1), "command (node 1)": self.command(1)}


class ZooKeeperCluster(Cluster):
    """Apache ZooKeeper 3.8 from Debian's package: QuorumPeerMain in the
    foreground under java, logging to the node's log file."""

    name = "zookeeper"
    label = "ZooKeeper"

    def __init__(self, processes, work_dir, heap="4g", jvm_flags=(), **options):
        self.heap = heap
        self.jvm_flags = list(jvm_flags)
        super().__init__(processes, work_dir, **options)

    def command(self, node):
        return (["java", f"-Xmx{self.heap}", "-Dzookeeper.root.logger=INFO,CONSOLE",
                 f"-Dzookeeper.log.dir={self.root}"] + self.jvm_flags
                + ["-cp", ZOOKEEPER_CLASSPATH, ZOOKEEPER_MAIN, self.config_path(node)])

    def snapshot_received(self, node):
        """True if the node's log says it loaded a snapshot from the leader."""
        with open(self.log_path(node), errors="replace") as f:
            return "Getting a snapshot from leader" in f.read()


class WardenCluster(Cluster):
    """Warden: `warden serve --config zoo.cfg` per node."""

    name = "warden"
    label = "Warden"

    def __init__(self, processes, work_dir, binary, **options):
        self.binary = binary
        super().__init__(processes, work_dir, **options)

    def command(self, node):
        return [self.binary, "serve", "--config", self.config_path(node)]

    def snapshot_received(self, node):
        """True if the node's log says it installed a snapshot from the leader."""
        with open(self.log_path(node), errors="replace") as f:
            return "installed a snapshot from the leader" in f.read()
