#!/usr/bin/env python3
"""Warden against Apache ZooKeeper, side by side on this machine.

Starts a 3-node Apache ZooKeeper 3.8 ensemble (Debian's zookeeper package,
run with java directly) and a 3-node Warden ensemble (`warden serve`) on
loopback, with the same durability (fsync on: ZooKeeper's default
forceSync=yes, Warden always syncs) and every data directory under one work
directory on one disk, and loads both with the same client, `warden bench`,
alternating between them. It measures these workloads:

  sweep       create, setData, getData and a 90/10 read/write mix, with 100 B
              and 4 KB values, at several requests in flight per session
  watch       1,000 sessions watching 10,000 znodes, one change fanned out
  leader      the leader killed (SIGKILL) during a setData phase: the longest
              time without a completed write, and the election seen by srvr
  memory      VmRSS of each node after 1,000,000 znodes of 100 B
  restart     a follower holding them killed and restarted: time until srvr
              says it serves and a read through it succeeds
  snapshot    p99 of setData while a follower that fell behind (stopped while
              the others took more writes than the leader's log keeps) is
              restarted and receives a snapshot

and writes BENCHMARKS.md (machine, settings, the exact command, a table per
workload with both systems and the Warden/ZooKeeper ratio, and Warden's
targets with whether each holds), the raw results as JSON, and gnuplot
charts when gnuplot is installed:

  <output>/BENCHMARKS.md
  <output>/docs/bench/results.json
  <output>/docs/bench/throughput_vs_inflight.png
  <output>/docs/bench/latency_cdf.png

Run it on a quiet machine from the checkout (the full run takes 20-40
minutes; --smoke takes a minute or two and is what CTest runs):

  tools/bench_compare.py                       # full run, writes into the checkout
  tools/bench_compare.py --smoke --output /tmp/bench-smoke
  tools/bench_compare.py --znodes 200000 --seconds 4 --stages sweep,memory

The `warden bench` used is --warden, else build-bench/warden or
build/warden (the first that prints JSON, --json); it is copied to the work
directory first, so that a rebuild during the run cannot swap it. Every
process the script starts is stopped by its pid when it ends, also on
Ctrl-C. Exit status: 0 when every phase produced a result, 1 otherwise
(with --require-all, a phase skipped because `warden bench` lacks an
option counts as a failure too), 2 for bad arguments."""

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_compare_report as report  # noqa: E402
import bench_compare_wire as wire  # noqa: E402
from bench_compare_clusters import Processes, WardenCluster, ZooKeeperCluster  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEMS = ("zookeeper", "warden")
STAGES = ("sweep", "watch", "leader", "memory", "restart", "snapshot")
SWEEP_KINDS = ("create", "set", "get", "mix")
FAULT_LOAD = (16, 4)  # sessions x in flight for the leader-kill and snapshot phases
LAG_IN_FLIGHT = 64  # per session, for the writes a stopped follower misses (untimed)
BASELINE_SECONDS = 20  # at most, for setData with every node up before the snapshot phase
READ_PERCENT = 90


# ---- warden bench ----

class BenchClient:
    """`warden bench`, one phase per run. What the binary supports is read
    from its --help: --json (one JSON object per phase), --keys, --seed,
    --read-percent (the mix), --watchers (the watch phase). Without --json
    its one-line-per-phase text is parsed instead."""

    def __init__(self, binary, logs_dir, processes):
        self.binary = binary
        self.logs_dir = logs_dir
        self.processes = processes
        self.runs = 0
        text = subprocess.run([binary, "bench", "--help"], capture_output=True, text=True,
                              timeout=30).stdout
        self.help_text = text
        self.options = set(re.findall(r"--[a-z][a-z-]*", text))
        self.json = "--json" in self.options

    def supports(self, kind):
        """None if `warden bench` can run this workload, else why not."""
        needs = {"mix": "--read-percent", "watch": "--watchers"}.get(kind)
        if needs and needs not in self.options:
            return f"warden bench has no {needs} (ops kind {kind})"
        return None

    def argv(self, hosts, kind, sessions=None, in_flight=None, seconds=None, ops=None,
             value_bytes=None, keys=None, watchers=None, watch_keys_per_session=None,
             seed=None):
        argv = [self.binary, "bench", "--server", hosts, "--ops-kind", kind]
        for option, value in (("--sessions", sessions), ("--in-flight", in_flight),
                              ("--seconds", seconds), ("--ops", ops),
                              ("--value-bytes", value_bytes)):
            if value is not None:
                argv += [option, str(value)]
        if kind == "mix":
            argv += ["--read-percent", str(READ_PERCENT)]
        if keys is not None and "--keys" in self.options:
            argv += ["--keys", str(keys)]
        if watchers is not None:
            argv += ["--watchers", str(watchers)]
        if watch_keys_per_session is not None and "--watch-keys-per-session" in self.options:
            argv += ["--watch-keys-per-session", str(watch_keys_per_session)]
        if seed is not None and "--seed" in self.options:
            argv += ["--seed", str(seed)]
        if self.json:
            argv.append("--json")
        if "--quiet" in self.options:
            argv.append("--quiet")  # no progress lines on stderr
        return argv

    def start(self, argv):
        self.runs += 1
        base = os.path.join(self.logs_dir, f"bench-{self.runs:03d}")
        proc = self.processes.start(argv, base + ".out", base + ".err")
        proc.bench_files = (base + ".out", base + ".err")
        return proc

    def finish(self, proc, kind, timeout):
        """The phase's result (a dict shaped like the JSON line) or None, and
        an error text for a missing result."""
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.processes.stop(proc, signal.SIGKILL)
            return None, f"warden bench still running after {timeout:.0f} s; killed"
        self.processes.stop(proc)
        out_path, err_path = proc.bench_files
        with open(out_path, errors="replace") as f:
            out = f.read()
        with open(err_path, errors="replace") as f:
            err = f.read()
        result = parse_bench_output(out, kind)
        tail = " | ".join((err.strip().splitlines() or ["(no output)"])[-5:])
        if result is None:
            return None, f"no {kind} result (exit {proc.returncode}): {tail}"
        if not result.get("ops"):
            return None, f"no {kind} request succeeded (exit {proc.returncode}): {tail}"
        result["exit_status"] = proc.returncode
        if err.strip():
            result["stderr_tail"] = err.strip().splitlines()[-5:]
        return result, None

    def run(self, argv, kind, timeout):
        return self.finish(self.start(argv), kind, timeout)


PHASE_ALIASES = {"set": {"set", "setdata"}, "get": {"get", "getdata"}}
TEXT_LINE = re.compile(r"^(\w+)((?:\s+\w+=\S+)+)\s*$")


def parse_bench_output(out, kind):
    """The result of phase `kind` in `warden bench` output: a JSON line, or
    failing that (a binary without --json) its text line
    `set ops=... seconds=... ops_per_s=... p50_ms=... p99_ms=... p999_ms=... errors=...`."""
    names = PHASE_ALIASES.get(kind, {kind})
    results = []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                results.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    if not results:
        for line in out.splitlines():
            match = TEXT_LINE.match(line.strip())
            if not match:
                continue
            fields = dict(item.split("=", 1) for item in match.group(2).split())
            try:
                results.append({
                    "phase": match.group(1), "ops": int(fields["ops"]),
                    "seconds": float(fields["seconds"]), "ops_per_s": float(fields["ops_per_s"]),
                    "errors": int(fields["errors"]),
                    "latency_ms": {"p50": float(fields["p50_ms"]), "p99": float(fields["p99_ms"]),
                                   "p999": float(fields["p999_ms"])},
                    "from_text": True})
            except (KeyError, ValueError):
                continue
    for result in results:
        if str(result.get("phase", "")).lower() in names:
            return result
    return results[-1] if len(results) == 1 else None


# ---- the run ----

class Run:
    """Settings, the results so far, and the processes of one run."""

    def __init__(self, args, binary, work_dir):
        self.args = args
        self.binary = binary
        self.work_dir = work_dir
        self.started = time.monotonic()
        self.processes = Processes()
        self.logs_dir = os.path.join(work_dir, "logs")
        os.makedirs(self.logs_dir, exist_ok=True)
        self.bench = BenchClient(binary, self.logs_dir, self.processes)
        self.results = []
        self.settings = {}
        self.seed = args.seed

    def say(self, text):
        print(f"[{time.monotonic() - self.started:6.0f}s] {text}", flush=True)

    def next_seed(self):
        self.seed += 1
        return self.seed

    def add(self, record):
        self.results.append(record)
        self.say(describe(record))
        return record

    def new_cluster(self, system, round_number, purpose):
        work = os.path.join(self.work_dir, f"round{round_number}-{purpose}")
        if system == "zookeeper":
            cluster = ZooKeeperCluster(
                self.processes, work, heap=self.args.zk_heap,
                # A follower further behind than the leader's in-memory
                # committed log (500 txns) gets a snapshot, not a diff read
                # from the leader's txn log files.
                jvm_flags=["-Dzookeeper.snapshotSizeFactor=-1"])
        else:
            cluster = WardenCluster(self.processes, work, self.binary,
                                    extra_config=self.warden_extra_config())
        self.settings.setdefault(system, cluster.settings())
        return cluster

    def warden_extra_config(self):
        if self.args.warden_compact_every is None:
            return []
        every = self.args.warden_compact_every
        return [f"warden.compactEveryEntries={every}",
                f"warden.retainEntries={max(1, every // 10)}"]

    def bench_timeout(self, seconds=None, ops=None):
        if ops is not None:
            return self.args.phase_timeout
        return 3 * seconds + 120


def describe(record):
    """One progress line for a result."""
    head = f"{record['stage']:8} {record['system']:9}"
    if record["status"] != "ok":
        return f"{head} {record.get('label', '')} {record['status'].upper()}: " \
               f"{record.get('error') or record.get('reason')}"
    if record["stage"] == "watch":
        result = record["result"]
        latency = result.get("latency_ms", {})
        return (f"{head} {record['label']}: {result.get('ops', 0):,} notified, p50 "
                f"{report.fmt_ms(latency.get('p50'))} p99 {report.fmt_ms(latency.get('p99'))} "
                f"max {report.fmt_ms(latency.get('max'))}, not notified {result.get('errors', 0)}")
    if record["stage"] in ("sweep", "leader"):
        result = record["result"]
        latency = result.get("latency_ms", {})
        text = (f"{head} {record['label']}: {result.get('ops_per_s', 0):,.0f} ops/s "
                f"p50 {report.fmt_ms(latency.get('p50'))} p99 {report.fmt_ms(latency.get('p99'))} "
                f"errors {result.get('errors', 0)}")
        if record["stage"] == "leader":
            text += (f"; max write gap {report.fmt_ms(result.get('max_write_gap_ms'))}, "
                     f"new leader after {record['election_s']:.2f} s")
        return text
    if record["stage"] == "memory":
        return (f"{head} {record['znodes']:,} znodes in {record['fill_seconds']:.1f} s: VmRSS "
                + ", ".join(f"{kib / 1024:.0f} MiB" for kib in record["rss_kib"].values()))
    if record["stage"] == "restart":
        return f"{head} restarts with {record['znodes']:,} znodes: " + ", ".join(
            f"{s:.2f} s" for s in record["seconds"])
    if record["stage"] == "snapshot":
        return (f"{head} setData p99 {report.fmt_ms(record['baseline_p99_ms'])} before, "
                f"{report.fmt_ms(record['during_p99_ms'])} while node {record['node']} caught up "
                f"(serving after {record['catch_up_s']:.2f} s, snapshot "
                f"{SNAPSHOT_SEEN[record['snapshot_confirmed']]})")
    return head


SNAPSHOT_SEEN = {True: "seen in its log", False: "NOT seen in its log", None: "not logged"}


def failed(stage, system, label, error, **extra):
    return dict(stage=stage, system=system, label=label, status="failed", error=str(error),
                **extra)


def skipped(stage, system, label, reason, **extra):
    return dict(stage=stage, system=system, label=label, status="skipped", reason=reason,
                **extra)


# ---- stages ----

def sweep_phase(run, cluster, round_number, kind, value_bytes, in_flight):
    args = run.args
    label = f"{kind} {value_bytes} B {args.sessions}x{in_flight}"
    where = dict(round=round_number, workload=kind, value_bytes=value_bytes,
                 sessions=args.sessions, in_flight=in_flight)
    reason = run.bench.supports(kind)
    if reason:
        return skipped("sweep", cluster.name, label, reason, **where)
    argv = run.bench.argv(cluster.hosts(), kind, sessions=args.sessions, in_flight=in_flight,
                          seconds=args.seconds, value_bytes=value_bytes,
                          keys=None if kind == "create" else args.keys, seed=run.next_seed())
    result, error = run.bench.run(argv, kind, run.bench_timeout(seconds=args.seconds))
    if result is None:
        return failed("sweep", cluster.name, label, error, argv=argv, **where)
    return dict(stage="sweep", system=cluster.name, label=label, status="ok", result=result,
                argv=argv, **where)


def watch_keys_per_session(args):
    """Each watcher watches k0 (the znode that changes) and its own share of
    the others, so that together the watchers watch every key."""
    others = max(0, args.watch_keys - 1)
    return 1 + (others + args.watchers - 1) // args.watchers


def watch_phase(run, cluster, round_number):
    args = run.args
    label = f"{args.watchers} sessions x {args.watch_keys} znodes"
    where = dict(round=round_number, watchers=args.watchers, keys=args.watch_keys,
                 keys_per_watcher=watch_keys_per_session(args))
    reason = run.bench.supports("watch")
    if reason:
        return skipped("watch", cluster.name, label, reason, **where)
    argv = run.bench.argv(cluster.hosts(), "watch", keys=args.watch_keys,
                          watchers=args.watchers,
                          watch_keys_per_session=watch_keys_per_session(args),
                          seed=run.next_seed())
    result, error = run.bench.run(argv, "watch", args.phase_timeout)
    if result is None:
        return failed("watch", cluster.name, label, error, argv=argv, **where)
    return dict(stage="watch", system=cluster.name, label=label, status="ok", result=result,
                argv=argv, **where)


def leader_kill_phase(run, cluster, round_number):
    """setData for --leader-seconds; a third of the way in, SIGKILL of the
    leader. The killed node stays down (this is the stage's last phase)."""
    args = run.args
    sessions, in_flight = FAULT_LOAD
    seconds = args.leader_seconds
    label = (f"setData 100 B {sessions}x{in_flight}, {seconds:g} s, "
             f"leader killed at {seconds / 3:.1f} s")
    cluster.wait_leader()
    leader = cluster.leader()
    argv = run.bench.argv(cluster.hosts(), "set", sessions=sessions, in_flight=in_flight,
                          seconds=seconds, value_bytes=100, keys=args.keys,
                          seed=run.next_seed())
    proc = run.bench.start(argv)
    time.sleep(seconds / 3)
    cluster.kill(leader, signal.SIGKILL)
    try:
        election_s = cluster.wait_leader(seconds=60)
    except RuntimeError as error:
        run.bench.finish(proc, "set", run.bench_timeout(seconds=seconds))
        return failed("leader", cluster.name, label, error, round=round_number, argv=argv)
    result, error = run.bench.finish(proc, "set", run.bench_timeout(seconds=seconds))
    if result is not None and run.bench.json and result.get("max_write_gap_ms") is None:
        result, error = None, "warden bench printed no max_write_gap_ms"
    if result is None:
        return failed("leader", cluster.name, label, error, round=round_number, argv=argv,
                      election_s=election_s)
    return dict(stage="leader", system=cluster.name, label=label, status="ok", result=result,
                argv=argv, round=round_number, killed_node=leader, election_s=election_s,
                kill_after_s=seconds / 3, sessions=sessions, in_flight=in_flight)


def small_data_stage(run, round_number, order):
    """Both ensembles up side by side; each sweep phase runs on one, then
    on the other (the order flipping every phase), then the watch phase, then
    the leader kill."""
    stages = set(run.args.stages)
    clusters = {}
    try:
        for system in order:
            run.say(f"starting {system} (round {round_number}: sweep, watch, leader kill)")
            clusters[system] = run.new_cluster(system, round_number, "small")
            clusters[system].start_all()
            run.settings.setdefault("versions", {})[system] = wire.srvr_fields(
                clusters[system].port(1)).get("Zookeeper version")
        flip = 0
        if "sweep" in stages:
            for value_bytes in run.args.value_bytes:
                for in_flight in run.args.in_flight:
                    for kind in SWEEP_KINDS:
                        pair = order if flip % 2 == 0 else tuple(reversed(order))
                        flip += 1
                        for system in pair:
                            run.add(sweep_phase(run, clusters[system], round_number, kind,
                                                value_bytes, in_flight))
        if "watch" in stages:
            for system in order:
                run.add(watch_phase(run, clusters[system], round_number))
        if "leader" in stages:
            for system in order:
                run.add(leader_kill_phase(run, clusters[system], round_number))
    finally:
        for cluster in clusters.values():
            cluster.stop()


def memory_phase(run, cluster):
    args = run.args
    seconds, errors = wire.fill(cluster.client_ports, args.znodes, 100)
    time.sleep(args.settle_seconds)
    rss = {node: cluster.rss_kib(node) for node in cluster.nodes}
    counts = cluster.node_counts()
    record = dict(stage="memory", system=cluster.name, label=f"{args.znodes:,} znodes of 100 B",
                  status="ok", znodes=args.znodes, value_bytes=100, fill_seconds=seconds,
                  fill_errors=errors, rss_kib=rss, node_counts=counts,
                  storage_memory=storage_memory(cluster))
    if errors:
        return dict(record, status="failed", error=f"{errors} creates failed")
    return record


STORAGE_MEMORY_KEYS = ("zk_memtable_bytes", "zk_table_reader_bytes", "zk_block_cache_bytes",
                       "zk_log_entries_in_memory")


def storage_memory(cluster):
    """Each node's own account of its storage engine's memory, from mntr
    (Warden's; ZooKeeper has none): {node: {key: int}}, or None."""
    out = {}
    for node in cluster.nodes:
        fields = wire.mntr_fields(cluster.port(node))
        if all(key in fields for key in STORAGE_MEMORY_KEYS):
            out[node] = {key[3:]: int(fields[key]) for key in STORAGE_MEMORY_KEYS}
    return out or None


def first_follower(cluster):
    followers = cluster.followers()
    if not followers:
        raise RuntimeError(f"{cluster.label}: no follower")
    return followers[0]


def restart_phase(run, cluster):
    """Kills a follower (SIGKILL) and restarts it, --restarts times: seconds
    from the start of the process until srvr says it serves and a session on
    it reads the last znode the fill created."""
    args = run.args
    times = []
    for _ in range(args.restarts):
        node = first_follower(cluster)
        cluster.kill(node, signal.SIGKILL)
        cluster.start(node)
        times.append(cluster.wait_ready(node, wire.fill_path(args.znodes - 1),
                                        seconds=args.phase_timeout))
        cluster.wait_leader()
    return dict(stage="restart", system=cluster.name, label=f"{args.znodes:,} znodes",
                status="ok", znodes=args.znodes, seconds=times, median_s=statistics.median(times))


def snapshot_phase(run, cluster):
    """setData p99 with all nodes up (baseline, at most 20 s); then a
    follower stopped, --snapshot-writes setData taken by the other two (more
    than the leader's log keeps), and a setData phase of --snapshot-seconds
    during which the follower is restarted (3 s in) and catches up from a
    snapshot. The phase should outlast the catch-up: the record says if it
    did not."""
    args = run.args
    sessions, in_flight = FAULT_LOAD
    seconds = args.snapshot_seconds
    label = f"setData 100 B {sessions}x{in_flight}, {seconds:g} s"

    def set_argv(in_flight=in_flight, **limit):
        return run.bench.argv(cluster.hosts(), "set", sessions=sessions, in_flight=in_flight,
                              value_bytes=100, keys=args.keys, seed=run.next_seed(), **limit)

    baseline_seconds = min(seconds, BASELINE_SECONDS)
    baseline, error = run.bench.run(set_argv(seconds=baseline_seconds), "set",
                                    run.bench_timeout(seconds=baseline_seconds))
    if baseline is None:
        return failed("snapshot", cluster.name, label, f"baseline: {error}")
    node = first_follower(cluster)
    cluster.kill(node, signal.SIGKILL)
    lag, error = run.bench.run(set_argv(in_flight=LAG_IN_FLIGHT, ops=args.snapshot_writes),
                               "set", run.bench_timeout(ops=args.snapshot_writes))
    if lag is None:
        return failed("snapshot", cluster.name, label,
                      f"writes while node {node} was down: {error}")
    proc = run.bench.start(set_argv(seconds=seconds))
    restart_after = min(3.0, seconds / 5)
    time.sleep(restart_after)
    cluster.start(node)
    catch_up_s = cluster.wait_ready(node, seconds=args.phase_timeout)
    during, error = run.bench.finish(proc, "set", run.bench_timeout(seconds=seconds))
    if during is None:
        return failed("snapshot", cluster.name, label, f"during the catch-up: {error}")
    return dict(stage="snapshot", system=cluster.name, label=label, status="ok", node=node,
                lag_writes=args.snapshot_writes, lag_in_flight=LAG_IN_FLIGHT, lag_result=lag,
                baseline=baseline, baseline_seconds=baseline_seconds,
                during=during, baseline_p99_ms=baseline["latency_ms"]["p99"],
                during_p99_ms=during["latency_ms"]["p99"], restart_after_s=restart_after,
                catch_up_s=catch_up_s, caught_up_within_phase=restart_after + catch_up_s <= seconds,
                snapshot_confirmed=cluster.snapshot_received(node))


def large_data_stage(run, round_number, system):
    """One ensemble alone: fill it with --znodes znodes, then measure memory,
    restarts and the snapshot catch-up on it."""
    stages = set(run.args.stages)
    run.say(f"starting {system} (round {round_number}: {run.args.znodes:,} znodes)")
    cluster = run.new_cluster(system, round_number, "large")
    try:
        cluster.start_all()
        record = run.add(dict(memory_phase(run, cluster), round=round_number))
        if record["status"] != "ok":
            return
        for stage, phase in (("restart", restart_phase), ("snapshot", snapshot_phase)):
            if stage in stages:
                try:
                    record = phase(run, cluster)
                except (RuntimeError, OSError) as error:
                    record = failed(stage, system, "", error)
                run.add(dict(record, round=round_number))
    finally:
        cluster.stop()


def run_all(run):
    args = run.args
    for round_number in range(1, args.rounds + 1):
        order = SYSTEMS if round_number % 2 == 1 else tuple(reversed(SYSTEMS))
        order = tuple(system for system in order if system in args.systems)
        if {"sweep", "watch", "leader"} & set(args.stages):
            try:
                small_data_stage(run, round_number, order)
            except (RuntimeError, OSError) as error:
                run.add(failed("sweep", "both", "ensembles", error, round=round_number))
        if {"memory", "restart", "snapshot"} & set(args.stages):
            for system in order:
                try:
                    large_data_stage(run, round_number, system)
                except (RuntimeError, OSError) as error:
                    run.add(failed("memory", system, "ensemble", error, round=round_number))


# ---- what ran, and where ----

def pick_binary(explicit):
    """--warden, else the first of build-bench/warden and build/warden that
    prints JSON, else the first that exists."""
    if explicit:
        return os.path.abspath(explicit)
    candidates = [os.path.join(ROOT, "build-bench", "warden"),
                  os.path.join(ROOT, "build", "warden")]
    existing = [c for c in candidates if os.access(c, os.X_OK)]
    for candidate in existing:
        try:
            help_text = subprocess.run([candidate, "bench", "--help"], capture_output=True,
                                       text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        if "--json" in help_text:
            return candidate
    if existing:
        return existing[0]
    raise SystemExit("no warden binary: build it (tools/build.sh) or pass --warden")


def raise_file_limit():
    """1,000 watching sessions need more descriptors than a default soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY
                                                    else max(soft, 65536), hard))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Defaults are the full run's; --smoke sets what is not given explicitly to: "
               + " ".join(f"--{k.replace('_', '-')} {report.format_option(v)}"
                          for k, v in SMOKE.items()))
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one round, a minute or two (what CTest runs)")
    parser.add_argument("--output", default=ROOT,
                        help="where BENCHMARKS.md and docs/bench/ go (default: the checkout)")
    parser.add_argument("--warden", help="the warden binary (default: see above); copied "
                                         "to the work directory before use")
    parser.add_argument("--work-dir", default=None,
                        help="parent of the temporary directory holding every node's data "
                             "(default: the system's temporary directory)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (nodes' data and logs, warden bench "
                             "output); it is kept anyway when a phase failed")
    parser.add_argument("--stages", type=lambda s: s.split(","), default=list(STAGES),
                        help="comma-separated, of " + ",".join(STAGES) + " (restart and "
                             "snapshot fill the ensemble as memory does)")
    parser.add_argument("--systems", type=lambda s: s.split(","), default=list(SYSTEMS),
                        help="comma-separated, of " + ",".join(SYSTEMS) + "; one alone is for "
                             "trying a change (the report then has no ratios)")
    parser.add_argument("--rounds", type=int, default=None, help="times to run everything (1)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of each sweep phase (8)")
    parser.add_argument("--sessions", type=int, default=None, help="sessions in the sweep (16)")
    parser.add_argument("--in-flight", type=int_list, default=None,
                        help="requests in flight per session, swept (1,4,16,64)")
    parser.add_argument("--value-bytes", type=int_list, default=None,
                        help="value sizes, swept (100,4096)")
    parser.add_argument("--keys", type=int, default=None,
                        help="znodes setData/getData/mix work on, where warden bench has "
                             "--keys (1000)")
    parser.add_argument("--znodes", type=int, default=None,
                        help="znodes for memory, restart and snapshot (1000000)")
    parser.add_argument("--watchers", type=int, default=None, help="watching sessions (1000)")
    parser.add_argument("--watch-keys", type=int, default=None, help="znodes watched (10000)")
    parser.add_argument("--leader-seconds", type=float, default=None,
                        help="length of the leader-kill phase (20)")
    parser.add_argument("--snapshot-seconds", type=float, default=None,
                        help="length of the setData phase a lagging node catches up in; "
                             "make it outlast the catch-up (60)")
    parser.add_argument("--snapshot-writes", type=int, default=None,
                        help="setData taken while the follower is down (default 2.5 times "
                             "warden.compactEveryEntries: more than Warden's log keeps, "
                             "wherever the last compaction fell)")
    parser.add_argument("--warden-compact-every", type=int, default=None,
                        help="warden.compactEveryEntries for every Warden node, "
                             "warden.retainEntries a tenth of it (default: Warden's own)")
    parser.add_argument("--restarts", type=int, default=None, help="follower restarts (3)")
    parser.add_argument("--settle-seconds", type=float, default=None,
                        help="wait after the fill before reading VmRSS (5)")
    parser.add_argument("--zk-heap", default="4g", help="ZooKeeper's -Xmx (4g)")
    parser.add_argument("--phase-timeout", type=float, default=1800,
                        help="longest wait for an untimed phase, in seconds")
    parser.add_argument("--seed", type=int, default=1,
                        help="first of the seeds passed to warden bench --seed (1)")
    parser.add_argument("--require-all", action="store_true",
                        help="a phase skipped because warden bench lacks an option fails the run")
    args = parser.parse_args(argv)
    defaults = SMOKE if args.smoke else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.snapshot_writes is None:
        every = args.warden_compact_every or WARDEN_COMPACT_EVERY
        # A compaction keeps a tenth of `every` behind it and comes `every`
        # entries after the last: past 1.5 times `every` the follower's
        # entries are gone from the leader's log, whatever the phase.
        args.snapshot_writes = int(every * 2.5)
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stages: {', '.join(sorted(unknown))}")
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown or not args.systems:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    return args


def int_list(text):
    return [int(item) for item in text.split(",") if item]


WARDEN_COMPACT_EVERY = 20_000  # warden.compactEveryEntries' default (retainEntries: 10,000)
FULL = dict(rounds=1, seconds=8.0, sessions=16, in_flight=[1, 4, 16, 64],
            value_bytes=[100, 4096], keys=1000, znodes=1_000_000, watchers=1000,
            watch_keys=10_000, leader_seconds=20.0, snapshot_seconds=60.0, restarts=3,
            settle_seconds=5.0, warden_compact_every=None)
SMOKE = dict(rounds=1, seconds=1.0, sessions=4, in_flight=[4], value_bytes=[100, 4096],
             keys=100, znodes=5000, watchers=50, watch_keys=500, leader_seconds=4.0,
             snapshot_seconds=4.0, restarts=1, settle_seconds=0.5, warden_compact_every=1000)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    command = " ".join(shlex.quote(a) for a in ["tools/bench_compare.py"] + sys.argv[1:])
    source_binary = pick_binary(args.warden)
    if args.work_dir:
        os.makedirs(args.work_dir, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="bench-compare-", dir=args.work_dir)
    binary = os.path.join(work_dir, "warden")
    shutil.copy2(source_binary, binary)
    raise_file_limit()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    run = Run(args, binary, work_dir)
    run.say(f"warden: {source_binary} (copied to {binary}); bench prints "
            f"{'JSON' if run.bench.json else 'text only'}; work directory {work_dir}")
    machine = report.machine_facts(ROOT, work_dir, source_binary)
    completed = False
    try:
        run_all(run)
        completed = True
    except KeyboardInterrupt:
        run.say("interrupted: nothing written")
        run.processes.stop_all()
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
        return 130
    finally:
        run.processes.stop_all()  # also when something went wrong: nothing is left running
        if not completed and os.path.isdir(work_dir):
            print(f"logs and data kept in {work_dir}", flush=True)
    machine["load_average_end"] = os.getloadavg()
    finished = dict(command=command, smoke=args.smoke, machine=machine, options=vars(args),
                    bench_binary=source_binary, bench_json=run.bench.json,
                    bench_options=sorted(run.bench.options), settings=run.settings,
                    fault_load=FAULT_LOAD, read_percent=READ_PERCENT, full_defaults=FULL,
                    warden_default_compact_every=WARDEN_COMPACT_EVERY,
                    wall_seconds=time.monotonic() - run.started, results=run.results)
    written = report.write_outputs(finished, args.output)
    print(report.summary(finished), flush=True)
    for path in written:
        print(f"wrote {path}")
    counts = report.status_counts(run.results)
    bad = counts.get("failed", 0)
    if args.require_all:
        bad += counts.get("skipped", 0)
        if not run.bench.json:
            print("--require-all: this warden bench prints no JSON (--json)")
            bad += 1
    if args.keep or bad:
        print(f"logs and data kept in {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 1 if bad or not run.results else 0


if __name__ == "__main__":
    sys.exit(main())
