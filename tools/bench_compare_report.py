"""What tools/bench_compare.py writes: the facts about the machine,
BENCHMARKS.md (tables with both systems and the Warden/ZooKeeper ratio, and
Warden's targets), the raw results as JSON, and gnuplot charts."""

import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

NAMES = {"zookeeper": "ZooKeeper", "warden": "Warden"}
KIND_NAMES = {"create": "create", "set": "setData", "get": "getData",
              "mix": "90/10 read/write mix"}
REFERENCE_IN_FLIGHT = 16  # the sweep point the p99 target is read at


# ---- the machine ----

def command_output(argv, stderr=False):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return ((done.stderr if stderr else done.stdout) or "").strip() or None


def first_match(path, prefix):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def disk_facts(path):
    """The device and filesystem `path` is on, its size, and whether the
    kernel calls it rotational."""
    found = command_output(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", path])
    if not found:
        return "unknown"
    source, _, fstype = found.partition(" ")
    text = f"{source} ({fstype.strip()})"
    device = os.path.basename(source)
    sys_block = f"/sys/block/{device}"
    try:
        with open(f"{sys_block}/size") as f:
            text += f", {int(f.read()) * 512 / 2**30:.0f} GiB"
        with open(f"{sys_block}/queue/rotational") as f:
            text += ", rotational" if f.read().strip() == "1" else ", not rotational"
    except OSError:
        pass
    return text


def fsync_rate(directory, count=200):
    """Synced 4 KiB writes per second in `directory` (like dd oflag=dsync)."""
    path = os.path.join(directory, "fsync-probe")
    block = b"\0" * 4096
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        started = time.monotonic()
        for _ in range(count):
            os.write(fd, block)
            os.fsync(fd)
        return count / (time.monotonic() - started)
    finally:
        os.close(fd)
        os.unlink(path)


def machine_facts(root, work_dir, binary):
    meminfo = first_match("/proc/meminfo", "MemTotal")
    commit = command_output(["git", "-C", root, "rev-parse", "HEAD"])
    dirty = command_output(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": first_match("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "ram_gib": round(int(meminfo.split()[0]) / 2**20, 1) if meminfo else None,
        "disk": disk_facts(work_dir),
        "fsyncs_per_s": round(fsync_rate(work_dir)),
        "kernel": platform.release(),
        "debian": first_match_os_release(),
        "zookeeper_package": command_output(["dpkg-query", "-W", "-f=${Version}", "zookeeper"]),
        "jvm": command_output(["java", "-version"], stderr=True),
        "python": platform.python_version(),
        "warden_commit": (commit or "unknown") + (" (with uncommitted changes)" if dirty else ""),
        "warden_binary": binary,
        "warden_binary_mtime": datetime.datetime.fromtimestamp(
            os.path.getmtime(binary)).strftime("%Y-%m-%d %H:%M"),
        "load_average_start": os.getloadavg(),
    }


def first_match_os_release():
    version = None
    try:
        with open("/etc/debian_version") as f:
            version = f.read().strip()
    except OSError:
        pass
    pretty = None
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    pretty = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return " ".join(x for x in (pretty, f"({version})" if version else None) if x) or "unknown"


# ---- the results, by workload ----

def status_counts(results):
    counts = {}
    for record in results:
        counts[record["status"]] = counts.get(record["status"], 0) + 1
    return counts


def ok(results, stage):
    return [r for r in results if r["stage"] == stage and r["status"] == "ok"]


def median_record(records, key):
    """The record whose `key` is the median of the list (the lower one of
    an even count), or None."""
    if not records:
        return None
    ordered = sorted(records, key=key)
    return ordered[(len(ordered) - 1) // 2]


def sweep_cells(results):
    """{(kind, value_bytes, in_flight): {system: result}}: the median round."""
    groups = {}
    for record in ok(results, "sweep"):
        key = (record["workload"], record["value_bytes"], record["in_flight"])
        groups.setdefault(key, {}).setdefault(record["system"], []).append(record)
    return {key: {system: median_record(records, lambda r: r["result"]["ops_per_s"])["result"]
                  for system, records in by_system.items()}
            for key, by_system in groups.items()}


def per_system(results, stage, key):
    """{system: the median-round record of `stage`}."""
    by_system = {}
    for record in ok(results, stage):
        by_system.setdefault(record["system"], []).append(record)
    return {system: median_record(records, key) for system, records in by_system.items()}


def mean_rss_mib(record):
    return statistics.mean(record["rss_kib"].values()) / 1024


def ratio(warden, zookeeper):
    if warden is None or zookeeper is None or zookeeper == 0:
        return None
    return warden / zookeeper


def rate(result):
    return result["ops_per_s"] if result else None


def p99(result):
    return (result or {}).get("latency_ms", {}).get("p99")


def reference_in_flight(cells):
    flights = sorted({key[2] for key in cells})
    if not flights:
        return None
    return min(flights, key=lambda k: (abs(k - REFERENCE_IN_FLIGHT), -k))


def targets(run):
    """Warden's targets against ZooKeeper: (name, how it is measured, ZooKeeper, Warden,
    ratio text, target text, holds: True/False/None)."""
    results = run["results"]
    cells = sweep_cells(results)
    rows = []

    def peak(kind, system):
        values = [c[system]["ops_per_s"] for (k, v, _), c in cells.items()
                  if k == kind and v == 100 and system in c]
        return max(values) if values else None

    for kind, name, goal in (("set", "Write throughput", 4.0), ("get", "Read throughput", 2.5)):
        zk, wd = peak(kind, "zookeeper"), peak(kind, "warden")
        r = ratio(wd, zk)
        rows.append((name, f"{KIND_NAMES[kind]}, 100 B, best ops/s over the in-flight sweep",
                     fmt_rate(zk), fmt_rate(wd), fmt_ratio(r), f"≥ {goal:g}×",
                     None if r is None else r >= goal))
    ref = reference_in_flight(cells)
    cell = cells.get(("set", 100, ref), {})
    zk, wd = p99(cell.get("zookeeper")), p99(cell.get("warden"))
    r = ratio(wd, zk)
    sessions = run["options"]["sessions"]
    rows.append(("p99 write latency", f"setData, 100 B, {sessions} sessions × {ref} in flight",
                 fmt_ms(zk), fmt_ms(wd), fmt_ratio(r), "≤ 1/4", None if r is None else r <= 0.25))
    memory = per_system(results, "memory", mean_rss_mib)
    zk = mean_rss_mib(memory["zookeeper"]) if "zookeeper" in memory else None
    wd = mean_rss_mib(memory["warden"]) if "warden" in memory else None
    r = ratio(wd, zk)
    znodes = run["options"]["znodes"]
    rows.append(("Memory", f"VmRSS per node (mean of 3) after {znodes:,} znodes of 100 B",
                 fmt_mib(zk), fmt_mib(wd), fmt_ratio(r), "≤ 1/10",
                 None if r is None else r <= 0.1))
    leader = per_system(results, "leader", lambda r: r["result"].get("max_write_gap_ms") or 0)
    zk = (leader.get("zookeeper") or {}).get("result", {}).get("max_write_gap_ms")
    wd = (leader.get("warden") or {}).get("result", {}).get("max_write_gap_ms")
    r = ratio(wd, zk)
    rows.append(("Leader killed", "longest time without a completed write (warden bench)",
                 fmt_ms(zk), fmt_ms(wd), fmt_ratio(r), "≤ 1/3",
                 None if r is None else r <= 1 / 3))
    restart = per_system(results, "restart", lambda r: r["median_s"])
    zk = (restart.get("zookeeper") or {}).get("median_s")
    wd = (restart.get("warden") or {}).get("median_s")
    rows.append(("Restart", f"follower with {znodes:,} znodes: start to serving and a read "
                            f"(median)", fmt_s(zk), fmt_s(wd), fmt_ratio(ratio(wd, zk)),
                 "Warden ≤ 3 s", None if wd is None else wd <= 3.0))
    return rows


# ---- number formats ----

def format_option(value):
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "Warden's default" if value is None else f"{value:g}" if isinstance(
        value, float) else str(value)


def fmt_rate(value):
    return "—" if value is None else f"{value:,.0f}"


def fmt_ms(value):
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"


def fmt_s(value):
    return "—" if value is None else f"{value:.2f} s"


def fmt_mib(value):
    return "—" if value is None else f"{value:,.0f} MiB"


def fmt_ratio(value):
    return "—" if value is None else f"{value:.2f}×"


def holds_text(value):
    return {True: "yes", False: "**no**", None: "not measured"}[value]


# ---- BENCHMARKS.md ----

def markdown(run, plots):
    m = run["machine"]
    results = run["results"]
    lines = ["# Warden and Apache ZooKeeper, side by side", ""]
    lines += [
        f"Measured {m['date_utc']} by `tools/bench_compare.py`"
        + (" in its smoke mode (tiny sizes: these numbers only show that the script works)"
           if run["smoke"] else "") + ". "
        "A 3-node Apache ZooKeeper ensemble and a 3-node Warden ensemble ran on loopback "
        "on this one machine, with the same durability (fsync on: ZooKeeper's default "
        "`forceSync=yes`; Warden always syncs its log) and every node's data directory "
        "under one temporary directory on the same disk. Both were loaded by the same "
        "client, `warden bench` (one thread; each session pipelines its requests; sessions "
        "are spread over the three nodes), which shared the machine with the servers. "
        "For the sweep both ensembles were up and the phases alternated between them, "
        "the order flipping every phase; the memory, restart and snapshot measurements ran "
        "on one ensemble at a time. Ratios are always Warden ÷ ZooKeeper: above 1 is "
        "more throughput for Warden, below 1 less latency or memory.", "",
        "Command:", "", "```sh", run["command"], "```", "",
        f"It took {run['wall_seconds'] / 60:.1f} minutes. Raw results, every `warden bench` "
        "line included: [docs/bench/results.json](docs/bench/results.json).", ""]
    busiest = max(m["load_average_start"][0], m.get("load_average_end", (0,))[0])
    if busiest > m["cores"] / 2:
        lines += [f"The machine was not quiet: a 1-minute load average of up to {busiest:.1f} "
                  f"on {m['cores']} cores around the run (see Machine). Other work competed "
                  "with both systems, so these numbers are noisy; rerun on a quiet machine "
                  "for ones to quote.", ""]
    changed = [f"--{key.replace('_', '-')} {format_option(run['options'][key])} (full run: "
               f"{format_option(value)})" for key, value in run["full_defaults"].items()
               if run["options"].get(key) != value]
    if changed and not run["smoke"]:
        lines += ["Sizes differ from the full run's: " + ", ".join(changed) + ".", ""]

    lines += ["## Machine", "", "| | |", "|---|---|"]
    load_start = ", ".join(f"{x:.2f}" for x in m["load_average_start"])
    load_end = ", ".join(f"{x:.2f}" for x in m.get("load_average_end", ()))
    for name, value in (
            ("CPU", m["cpu_model"]), ("cores", m["cores"]), ("RAM", f"{m['ram_gib']} GiB"),
            ("disk", m["disk"] + " (as the kernel reports it)"),
            ("synced 4 KiB writes/s", f"{m['fsyncs_per_s']:,} (measured in the work directory "
                                      f"at the start)"),
            ("kernel", m["kernel"]), ("Debian", m["debian"]),
            ("ZooKeeper", f"Debian package {m['zookeeper_package']}; srvr: "
                          f"{run['settings'].get('versions', {}).get('zookeeper') or '—'}"),
            ("JVM", (m["jvm"] or "—").replace("\n", "; ")),
            ("Warden", f"commit {m['warden_commit']}; binary {m['warden_binary']} built "
                       f"{m['warden_binary_mtime']}"),
            ("load average (1, 5, 15 min)", f"{load_start} at the start; {load_end} at the end")):
        lines.append(f"| {name} | {value} |")
    lines.append("")

    lines += ["## Warden's targets", "",
              "| target | measured as | ZooKeeper | Warden | Warden/ZooKeeper | target | holds |",
              "|---|---|---|---|---|---|---|"]
    for name, how, zk, wd, r, goal, holds in targets(run):
        lines.append(f"| {name} | {how} | {zk} | {wd} | {r} | {goal} | {holds_text(holds)} |")
    lines.append("")

    lines += sweep_section(run, plots)
    lines += watch_section(results)
    lines += leader_section(run)
    lines += memory_section(run)
    lines += restart_section(run)
    lines += snapshot_section(run)
    lines += settings_section(run)
    lines += problems_section(results)
    return "\n".join(lines).rstrip() + "\n"


def sweep_section(run, plots):
    cells = sweep_cells(run["results"])
    if not cells:
        return []
    o = run["options"]
    lines = ["## Throughput and latency", "",
             f"`warden bench` with {o['sessions']} sessions, each with K requests in flight, "
             f"{o['seconds']:g} s per phase; setData, getData and the mix "
             f"({run['read_percent']} % getData) work on znodes created before the phase. "
             "p99 is from submit to reply.", ""]
    for value_bytes in sorted({key[1] for key in cells}):
        lines += [f"### {value_bytes:,} B values", "",
                  "| workload | in flight | ZooKeeper ops/s | Warden ops/s | ratio "
                  "| ZooKeeper p99 | Warden p99 | ratio |",
                  "|---|---|---|---|---|---|---|---|"]
        for kind in KIND_NAMES:
            for in_flight in sorted({key[2] for key in cells}):
                cell = cells.get((kind, value_bytes, in_flight))
                if not cell:
                    continue
                zk, wd = cell.get("zookeeper"), cell.get("warden")
                lines.append(
                    f"| {KIND_NAMES[kind]} | {o['sessions']} × {in_flight} | {fmt_rate(rate(zk))} "
                    f"| {fmt_rate(rate(wd))} | {fmt_ratio(ratio(rate(wd), rate(zk)))} "
                    f"| {fmt_ms(p99(zk))} | {fmt_ms(p99(wd))} "
                    f"| {fmt_ratio(ratio(p99(wd), p99(zk)))} |")
        lines.append("")
    errors = [(k, s, r) for k, c in cells.items() for s, r in c.items() if r.get("errors")]
    if errors:
        lines += ["Phases with failed requests (`warden bench`'s count, and what it printed): "
                  + "; ".join(f"{NAMES[s]} {KIND_NAMES[k[0]]} {k[1]} B × {k[2]}: {r['errors']:,}"
                              + (f" ({', '.join(r['stderr_tail'])})" if r.get("stderr_tail")
                                 else "")
                              for k, s, r in errors), ""]
    if "throughput" in plots:
        lines += ["![Throughput against requests in flight](docs/bench/throughput_vs_inflight.png)",
                  ""]
    if "cdf" in plots:
        lines += [f"![Latency CDF](docs/bench/latency_cdf.png)", "",
                  f"The latency CDF is of setData and getData, 100 B, {o['sessions']} sessions × "
                  f"{reference_in_flight(cells)} in flight.", ""]
    elif plots.get("why_not"):
        lines += [f"Charts: {plots['why_not']}", ""]
    return lines


def watch_section(results):
    watch = per_system(results, "watch", lambda r: p99(r["result"]) or 0)
    if not watch:
        return []
    any_record = next(iter(watch.values()))
    lines = ["## Watch fan-out", "",
             f"{any_record['watchers']:,} sessions watch {any_record['keys']:,} znodes "
             "(getData watches: each session watches k0 and "
             f"{any_record['keys_per_watcher'] - 1:,} others, so that together they watch "
             "every znode); one setData on k0 by another session fans out to all of them. "
             "Latency is from sending the setData to each notification; max is the time until "
             "the last session was notified.", "",
             "| | ZooKeeper | Warden | ratio |", "|---|---|---|---|"]
    zk = (watch.get("zookeeper") or {}).get("result")
    wd = (watch.get("warden") or {}).get("result")
    for name, pick in (("notifications", lambda r: r.get("ops")),
                       ("p50", lambda r: r["latency_ms"].get("p50")),
                       ("p99", lambda r: r["latency_ms"].get("p99")),
                       ("max", lambda r: r["latency_ms"].get("max"))):
        a = pick(zk) if zk else None
        b = pick(wd) if wd else None
        if name == "notifications":
            lines.append(f"| {name} | {fmt_rate(a)} | {fmt_rate(b)} | |")
        else:
            lines.append(f"| {name} | {fmt_ms(a)} | {fmt_ms(b)} | {fmt_ratio(ratio(b, a))} |")
    return lines + [""]


def leader_section(run):
    leader = per_system(run["results"], "leader",
                        lambda r: r["result"].get("max_write_gap_ms") or 0)
    if not leader:
        return []
    any_record = next(iter(leader.values()))
    sessions, in_flight = run["fault_load"]
    lines = ["## Leader killed under write load", "",
             f"setData, 100 B, {sessions} sessions × {in_flight} in flight for "
             f"{run['options']['leader_seconds']:g} s; the leader (the node whose `srvr` says "
             f"`Mode: leader`) gets SIGKILL {any_record['kill_after_s']:.1f} s after the "
             "client starts and stays down. A session that loses its node reconnects to "
             "another. The write gap is `warden bench`'s longest time without a completed "
             "write; the election is the time from the kill until a surviving node says it "
             "leads.", "",
             "| | ZooKeeper | Warden | ratio |", "|---|---|---|---|"]
    zk, wd = leader.get("zookeeper"), leader.get("warden")

    def value(record, pick):
        return pick(record) if record else None

    for name, pick, fmt in (
            ("max write gap", lambda r: r["result"].get("max_write_gap_ms"), fmt_ms),
            ("election (srvr)", lambda r: r["election_s"] * 1000, fmt_ms),
            ("setData ops/s over the phase", lambda r: r["result"].get("ops_per_s"), fmt_rate),
            ("p99", lambda r: p99(r["result"]), fmt_ms),
            ("failed requests", lambda r: r["result"].get("errors"), fmt_rate)):
        a, b = value(zk, pick), value(wd, pick)
        lines.append(f"| {name} | {fmt(a)} | {fmt(b)} | {fmt_ratio(ratio(b, a))} |")
    if not any(r["result"].get("max_write_gap_ms") is not None for r in leader.values()):
        lines += ["", "This `warden bench` does not report the write gap (no --json)."]
    return lines + [""]


def memory_section(run):
    memory = per_system(run["results"], "memory", mean_rss_mib)
    if not memory:
        return []
    lines = ["## Memory", "",
             f"VmRSS of each node's process (/proc/PID/status) "
             f"{run['options']['settle_seconds']:g} s after {run['options']['znodes']:,} znodes "
             "of 100 B were created (1,000 children per parent) on a fresh ensemble by the "
             "script's own pipelined client (`warden bench` deletes its znodes when it ends). "
             f"ZooKeeper's heap limit: -Xmx{run['options']['zk_heap']}.", "",
             "| | ZooKeeper | Warden | ratio |", "|---|---|---|---|"]
    zk, wd = memory.get("zookeeper"), memory.get("warden")
    for node in (1, 2, 3):
        a = zk["rss_kib"].get(node, zk["rss_kib"].get(str(node))) / 1024 if zk else None
        b = wd["rss_kib"].get(node, wd["rss_kib"].get(str(node))) / 1024 if wd else None
        lines.append(f"| node {node} | {fmt_mib(a)} | {fmt_mib(b)} | {fmt_ratio(ratio(b, a))} |")
    a = mean_rss_mib(zk) if zk else None
    b = mean_rss_mib(wd) if wd else None
    lines.append(f"| mean | {fmt_mib(a)} | {fmt_mib(b)} | {fmt_ratio(ratio(b, a))} |")
    fill_a = zk["znodes"] / zk["fill_seconds"] if zk else None
    fill_b = wd["znodes"] / wd["fill_seconds"] if wd else None
    lines.append(f"| creates/s while filling (8 sessions × 64) | {fmt_rate(fill_a)} "
                 f"| {fmt_rate(fill_b)} | {fmt_ratio(ratio(fill_b, fill_a))} |")
    lines.append("")
    return lines + storage_memory_lines(wd)


def storage_memory_lines(record):
    """Where Warden's memory goes, by its own account (mntr), node by node."""
    nodes = (record or {}).get("storage_memory")
    if not nodes:
        return []
    lines = ["Of Warden's RSS, by each node's own account (`mntr`): RocksDB's memtables, "
             "its table readers (index and filter blocks) and block cache, and the consensus "
             "log entries held in memory; the rest is the tree and the allocator.", "",
             "| | RSS | memtables | table readers | block cache | log entries in memory |",
             "|---|---|---|---|---|---|"]
    for node in sorted(nodes, key=int):
        m = nodes[node]
        rss = record["rss_kib"].get(node, record["rss_kib"].get(str(node)))
        lines.append(f"| node {node} | {fmt_mib(rss / 1024 if rss else None)} "
                     f"| {fmt_mib(m['memtable_bytes'] / 2**20)} "
                     f"| {fmt_mib(m['table_reader_bytes'] / 2**20)} "
                     f"| {fmt_mib(m['block_cache_bytes'] / 2**20)} "
                     f"| {m['log_entries_in_memory']:,} |")
    return lines + [""]


def restart_section(run):
    restart = per_system(run["results"], "restart", lambda r: r["median_s"])
    if not restart:
        return []
    lines = ["## Restart", "",
             f"A follower of the ensemble holding {run['options']['znodes']:,} znodes gets "
             "SIGKILL and is started again; the time runs from the start of the process until "
             "its `srvr` says `Mode: follower` (or leader) and a new session on it reads the "
             "last znode created.", "",
             "| | ZooKeeper | Warden | ratio |", "|---|---|---|---|"]
    zk, wd = restart.get("zookeeper"), restart.get("warden")
    a = zk["median_s"] if zk else None
    b = wd["median_s"] if wd else None
    lines.append(f"| median | {fmt_s(a)} | {fmt_s(b)} | {fmt_ratio(ratio(b, a))} |")

    def runs(record):
        return ", ".join(f"{s:.2f} s" for s in record["seconds"]) if record else "—"

    lines.append(f"| each restart | {runs(zk)} | {runs(wd)} | |")
    return lines + [""]


def snapshot_section(run):
    snapshot = per_system(run["results"], "snapshot", lambda r: r["during_p99_ms"])
    if not snapshot:
        return []
    sessions, in_flight = run["fault_load"]
    o = run["options"]
    first = next(iter(snapshot.values()))
    every = o.get("warden_compact_every")
    default_every = run.get("warden_default_compact_every", 20_000)
    compaction = (f"`warden.compactEveryEntries={every}`, `warden.retainEntries="
                  f"{max(1, every // 10)}`" if every else
                  f"its defaults, `warden.compactEveryEntries={default_every}`, "
                  "`warden.retainEntries=10000`")
    lines = ["## Write latency while a lagging node receives a snapshot", "",
             f"On the ensemble holding {o['znodes']:,} znodes: setData (100 B, {sessions} "
             f"sessions × {in_flight}) for {first['baseline_seconds']:g} s with every node up; "
             f"then a follower killed and {o['snapshot_writes']:,} setData taken by the other "
             f"two ({sessions} sessions × {first['lag_in_flight']} in flight); then setData "
             f"again for {o['snapshot_seconds']:g} s, with the follower restarted "
             f"{first['restart_after_s']:g} s after the client started. The follower is "
             "further behind than the leader keeps a log for, so it is sent a snapshot: "
             "ZooKeeper, run with `-Dzookeeper.snapshotSizeFactor=-1`, sends one to a "
             "follower behind its last 500 committed proposals instead of replaying its txn "
             "log files to it; Warden's leader has compacted its log past the follower after "
             f"that many writes ({compaction}). Each follower's log says whether it loaded a "
             "snapshot.", "",
             "| | ZooKeeper | Warden | ratio |", "|---|---|---|---|"]
    zk, wd = snapshot.get("zookeeper"), snapshot.get("warden")
    for name, pick, fmt in (
            ("setData p99, all nodes up", lambda r: r["baseline_p99_ms"], fmt_ms),
            ("setData p99 during the catch-up", lambda r: r["during_p99_ms"], fmt_ms),
            ("setData ops/s during the catch-up", lambda r: r["during"]["ops_per_s"], fmt_rate),
            ("restart to serving", lambda r: r["catch_up_s"], fmt_s),
            ("setData ops/s with the follower down", lambda r: r["lag_result"]["ops_per_s"],
             fmt_rate)):
        a = pick(zk) if zk else None
        b = pick(wd) if wd else None
        lines.append(f"| {name} | {fmt(a)} | {fmt(b)} | {fmt_ratio(ratio(b, a))} |")
    seen = {True: "yes (its log says so)", False: "**not seen in its log**",
            None: "expected, not logged"}
    lines.append(f"| snapshot sent | {seen[zk['snapshot_confirmed']] if zk else '—'} "
                 f"| {seen[wd['snapshot_confirmed']] if wd else '—'} | |")
    late = [NAMES[r["system"]] for r in snapshot.values() if not r["caught_up_within_phase"]]
    if late:
        lines += ["", f"The follower was still catching up when the phase ended: "
                      f"{', '.join(late)}."]
    return lines + [""]


def settings_section(run):
    lines = ["## Settings", ""]
    for system in ("zookeeper", "warden"):
        settings = run["settings"].get(system)
        if not settings:
            continue
        lines += [f"{NAMES[system]}, node 1 (ports are chosen free for each ensemble):", "",
                  "```", settings["zoo.cfg (node 1)"].rstrip(), "```", "",
                  "```sh", " ".join(settings["command (node 1)"]), "```", ""]
    o = run["options"]
    lines += [f"`warden bench`: {run['bench_binary']}, copied before the run; "
              + ("JSON output (--json)." if run["bench_json"]
                 else "no --json in this build: its text lines were parsed, and what needs "
                      "the newer options was skipped.")
              + f" Sweep: {o['sessions']} sessions, in flight {', '.join(map(str, o['in_flight']))}"
              f", values {', '.join(f'{v} B' for v in o['value_bytes'])}, {o['seconds']:g} s "
              f"per phase, {o['rounds']} round(s) (the table shows the median round).", ""]
    return lines


def problems_section(results):
    bad = [r for r in results if r["status"] != "ok"]
    if not bad:
        return []
    lines = ["## Phases without a result", ""]
    for record in bad:
        why = record.get("error") or record.get("reason")
        lines.append(f"- {record['stage']}, {NAMES.get(record['system'], record['system'])}, "
                     f"{record.get('label', '')}: {record['status']}: {why}")
    return lines + [""]


# ---- charts ----

def gnuplot(script, data_dir):
    done = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True,
                          cwd=data_dir, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"gnuplot: {done.stderr.strip()}")


def plot_throughput(run, cells, path, data_dir):
    """ops/s against requests in flight per session, one panel per value size."""
    sizes = sorted({key[1] for key in cells})
    series = []
    for kind in KIND_NAMES:
        for system in ("zookeeper", "warden"):
            for size in sizes:
                points = sorted((k[2], c[system]["ops_per_s"]) for k, c in cells.items()
                                if k[0] == kind and k[1] == size and system in c)
                if not points:
                    continue
                name = f"{kind}-{system}-{size}.dat"
                with open(os.path.join(data_dir, name), "w") as f:
                    f.writelines(f"{x} {y}\n" for x, y in points)
                series.append((size, kind, system, name))
    colors = {"create": "#1b9e77", "set": "#d95f02", "get": "#7570b3", "mix": "#e7298a"}
    script = [f"set terminal pngcairo size {560 * len(sizes)},520 font ',9'",
              f"set output '{path}'", f"set multiplot layout 1,{len(sizes)}",
              "set logscale x 2", "set logscale y", "set grid",
              "set xlabel 'requests in flight per session "
              f"({run['options']['sessions']} sessions)'",
              "set ylabel 'ops/s'", "set key below horizontal maxcols 2 width -4"]
    for size in sizes:
        plots = [f"'{name}' using 1:2 with linespoints lc rgb '{colors[kind]}' "
                 f"dt {1 if system == 'warden' else 2} pt {7 if system == 'warden' else 6} "
                 f"title '{NAMES[system]} {KIND_NAMES[kind]}'"
                 for s, kind, system, name in series if s == size]
        script += [f"set title '{size:,} B values'", "plot " + ", ".join(plots)]
    script.append("unset multiplot")
    gnuplot("\n".join(script) + "\n", data_dir)


def plot_cdf(run, cells, path, data_dir):
    ref = reference_in_flight(cells)
    series = []
    for kind in ("set", "get"):
        for system in ("zookeeper", "warden"):
            result = cells.get((kind, 100, ref), {}).get(system)
            cdf = (result or {}).get("cdf")
            if not cdf:
                continue
            name = f"cdf-{kind}-{system}.dat"
            with open(os.path.join(data_dir, name), "w") as f:
                f.writelines(f"{max(ms, 1e-3)} {fraction}\n" for ms, fraction in cdf)
            series.append((kind, system, name))
    if not series:
        return False
    colors = {"set": "#d95f02", "get": "#7570b3"}
    plots = [f"'{name}' using 1:2 with lines lw 2 lc rgb '{colors[kind]}' "
             f"dt {1 if system == 'warden' else 2} title '{NAMES[system]} {KIND_NAMES[kind]}'"
             for kind, system, name in series]
    script = ["set terminal pngcairo size 760,480 font ',9'", f"set output '{path}'",
              "set logscale x", "set grid", "set xlabel 'latency (ms)'",
              "set ylabel 'fraction of requests'", "set yrange [0:1]", "set key bottom right",
              f"set title '100 B values, {run['options']['sessions']} sessions × {ref} in flight'",
              "plot " + ", ".join(plots)]
    gnuplot("\n".join(script) + "\n", data_dir)
    return True


def make_plots(run, bench_dir):
    """The charts that could be drawn: {"throughput": path, "cdf": path}
    and, for those that could not, "why_not"."""
    plots = {}
    targets = {"throughput": os.path.join(bench_dir, "throughput_vs_inflight.png"),
               "cdf": os.path.join(bench_dir, "latency_cdf.png")}
    cells = sweep_cells(run["results"])
    reasons = []
    if not shutil.which("gnuplot"):
        reasons.append("gnuplot is not installed (apt-get install gnuplot-nox)")
    elif not cells:
        reasons.append("no sweep results")
    else:
        with tempfile.TemporaryDirectory() as data_dir:
            try:
                plot_throughput(run, cells, targets["throughput"], data_dir)
                plots["throughput"] = targets["throughput"]
                if plot_cdf(run, cells, targets["cdf"], data_dir):
                    plots["cdf"] = targets["cdf"]
                else:
                    reasons.append("no latency CDF: this `warden bench` does not print one "
                                   "(no --json)")
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                reasons.append(str(error))
    for key, path in targets.items():  # a chart of an earlier run would mislead
        if key not in plots and os.path.exists(path):
            os.unlink(path)
    if reasons:
        plots["why_not"] = "; ".join(reasons)
    return plots


# ---- outputs ----

def write_outputs(run, output):
    bench_dir = os.path.join(output, "docs", "bench")
    os.makedirs(bench_dir, exist_ok=True)
    written = []
    results_path = os.path.join(bench_dir, "results.json")
    with open(results_path, "w") as f:
        json.dump(run, f, indent=1, default=str)
        f.write("\n")
    written.append(results_path)
    plots = make_plots(run, bench_dir)
    written += [plots[k] for k in ("throughput", "cdf") if k in plots]
    md_path = os.path.join(output, "BENCHMARKS.md")
    with open(md_path, "w") as f:
        f.write(markdown(run, plots))
    written.insert(0, md_path)
    return written


def summary(run):
    """The last lines the script prints."""
    counts = status_counts(run["results"])
    lines = [f"phases: {len(run['results'])} ok={counts.get('ok', 0)} "
             f"failed={counts.get('failed', 0)} skipped={counts.get('skipped', 0)} "
             f"wall_seconds={run['wall_seconds']:.0f}"]
    for record in run["results"]:
        if record["status"] != "ok":
            lines.append(f"  {record['status']}: {record['stage']} {record['system']} "
                         f"{record.get('label', '')}: "
                         f"{record.get('error') or record.get('reason')}")
    for name, _how, zk, wd, r, goal, holds in targets(run):
        lines.append(f"target {name}: ZooKeeper {zk}, Warden {wd}, ratio {r} (target {goal}): "
                     f"{holds_text(holds).strip('*')}")
    return "\n".join(lines)
