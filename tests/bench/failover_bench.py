"""Failover time, measured: kill -9 of the primary's mariadbd, over and over,
while a writer commits to whichever server the primary record names, on the
managed cluster of tests/mysql/managed.py (three MariaDB servers, three
`warden serve` nodes with their agents, semi-synchronous replication).

Each round kills the current primary's mariadbd, waits for the first commit
the new primary acknowledges (the gap), lets the writer commit a little more,
restarts the killed server (read-only, as managed servers start) and waits
until it has rejoined as a replica. At the end every acknowledged commit
must be on the last primary exactly once. Prints one line per round and a
summary:

  failovers=50 median_s=0.52 p90_s=0.61 max_s=0.70 acknowledged=... lost=0 duplicated=0

A benchmark, not a test: it exits non-zero only when a commit was lost or
duplicated, or a round did not complete.

Usage: failover_bench.py WARDEN_BINARY [--failovers N]"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mysql"))

from managed import ManagedCluster, Writer, wait_until  # noqa: E402


def one_failover(cluster, writer, round_number):
    record = cluster.wait_for_primary(1)
    cluster.wait_healthy_members(3)
    old = cluster.node_of(record["member_id"])
    count = len(writer.acknowledged)
    wait_until("commits before the kill", lambda: len(writer.acknowledged) >= count + 10)
    killed_at = time.monotonic()
    cluster.mariadb[old].kill()
    new_record = cluster.wait_for_primary(record["epoch"] + 1)
    # A commit the old primary acknowledged just before it died may arrive
    # after the kill: count from the first one the new primary acknowledged.
    new = cluster.node_of(new_record["member_id"])
    first = wait_until("a commit on the new primary",
                       lambda: writer.first_success_on(new, killed_at))
    gap_s = first - killed_at
    count = len(writer.acknowledged)
    wait_until("commits on the new primary", lambda: len(writer.acknowledged) >= count + 10)
    cluster.mariadb[old].start()
    try:
        wait_until(f"mariadb{old} rejoining",
                   lambda: cluster.members().get(record["member_id"], {}).get("io_running"),
                   seconds=60)
    except AssertionError as error:
        raise AssertionError(f"{error}: its record {cluster.members().get(record['member_id'])}"
                             f"{cluster.agent_logs()}") from None
    print(f"round {round_number}: {record['member_id']} killed, {new_record['member_id']} "
          f"primary at epoch {new_record['epoch']}, first write after {gap_s:.3f} s", flush=True)
    return gap_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warden")
    parser.add_argument("--failovers", type=int, default=50)
    args = parser.parse_args()

    gaps = []
    with ManagedCluster(os.path.abspath(args.warden)) as cluster:
        writer = Writer(cluster)
        writer.start()
        try:
            for round_number in range(1, args.failovers + 1):
                gaps.append(one_failover(cluster, writer, round_number))
        finally:
            writer.stop()
        final = cluster.node_of(cluster.primary_record()["member_id"])
        missing, duplicated = cluster.count_rows(final, writer.acknowledged)

    ordered = sorted(gaps)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    print(f"failovers={len(gaps)} median_s={statistics.median(gaps):.3f} p90_s={p90:.3f} "
          f"max_s={max(gaps):.3f} acknowledged={len(writer.acknowledged)} "
          f"write_errors={writer.errors} lost={len(missing)} duplicated={duplicated}")
    return 0 if not missing and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
