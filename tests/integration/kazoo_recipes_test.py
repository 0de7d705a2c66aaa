"""kazoo's recipes (Debian's python3-kazoo) against a real 3-node Warden
ensemble, each with several clients, so that what a recipe promises is seen
from outside: a lock excludes, an election has one leader at a time,
barriers hold until they should not, counters and queues lose and duplicate
nothing, a semaphore never hands out more than its leases, DataWatch,
ChildrenWatch and TreeCache see another client's changes in order and end on
the final values. Persistent and persistent recursive watches (addWatch,
which this kazoo version does not have) are checked over the raw protocol.

Usage: kazoo_recipes_test.py WARDEN_BINARY"""

import sys
import threading
import time
import unittest

from kazoo.exceptions import LockTimeout
from kazoo.recipe.cache import TreeCache, TreeEvent

from ensemble import EnsembleTestCase
from raw_zk import (ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE, NO_WATCHER,
                    NODE_CHILDREN_CHANGED, NODE_CREATED, NODE_DATA_CHANGED, NODE_DELETED, OK,
                    WATCHER_ANY, RawSession)

WARDEN = sys.argv.pop(1) if len(sys.argv) > 1 else "build/warden"


def wait_until(condition, seconds=10, what="the condition"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not hold within {seconds}s")


class KazooRecipesAgainstWarden(EnsembleTestCase):
    """Clients are spread over the nodes, and a node's reads may trail the
    leader: a client syncs before reading what others wrote, as ZooKeeper
    clients must."""

    WARDEN = WARDEN

    def run_threads(self, targets, seconds=60):
        """Runs each target in its own thread; re-raises the first failure."""
        errors = []

        def guarded(target):
            try:
                target()
            except BaseException as error:  # re-raised in the test's thread below
                errors.append(error)

        threads = [threading.Thread(target=guarded, args=(t,), daemon=True) for t in targets]
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds)
            self.assertFalse(t.is_alive(), "a worker thread hung")
        if errors:
            raise errors[0]

    def test_lock_excludes_the_other_client(self):
        a, b = self.client(), self.client()
        a.create("/lock-counter", b"0")
        inside, most_inside, turns = [0], [0], {"a": 0, "b": 0}
        guard = threading.Lock()

        def worker(zk, name):
            lock = zk.Lock("/recipes/lock", name)
            for _ in range(8):
                with lock:
                    with guard:
                        inside[0] += 1
                        most_inside[0] = max(most_inside[0], inside[0])
                    # A read-modify-write that loses updates unless excluded.
                    value = int(zk.get("/lock-counter")[0])
                    time.sleep(0.01)
                    zk.set("/lock-counter", str(value + 1).encode())
                    turns[name] += 1
                    with guard:
                        inside[0] -= 1

        self.run_threads([lambda: worker(a, "a"), lambda: worker(b, "b")])
        self.assertEqual(most_inside[0], 1)
        self.assertEqual(turns, {"a": 8, "b": 8})
        a.sync("/lock-counter")
        self.assertEqual(a.get("/lock-counter")[0], b"16")

        held = a.Lock("/recipes/lock", "a")
        self.assertTrue(held.acquire(timeout=10))
        other = b.Lock("/recipes/lock", "b")
        self.assertFalse(other.acquire(blocking=False))
        with self.assertRaises(LockTimeout):
            other.acquire(timeout=0.5)
        self.assertEqual(b.Lock("/recipes/lock").contenders(), ["a"])
        held.release()
        self.assertTrue(other.acquire(timeout=10))
        other.release()

    def test_election_has_one_leader_at_a_time(self):
        a, b = self.client(), self.client()
        leading, abdicate = [], {"a": threading.Event(), "b": threading.Event()}
        elections = {"a": a.Election("/recipes/election", "a"),
                     "b": b.Election("/recipes/election", "b")}

        def lead(name):
            leading.append(name)
            abdicate[name].wait(30)

        threads = {}
        for name in ("a", "b"):
            threads[name] = threading.Thread(target=elections[name].run, args=(lead, name),
                                             daemon=True)
            threads[name].start()
            if name == "a":
                wait_until(lambda: leading == ["a"], what="a leads")
        wait_until(lambda: len(elections["a"].contenders()) == 2, what="b contends")
        self.assertEqual(elections["b"].contenders(), ["a", "b"])
        time.sleep(0.5)
        self.assertEqual(leading, ["a"], "b led while a still did")
        abdicate["a"].set()
        wait_until(lambda: leading == ["a", "b"], what="b leads after a steps down")
        abdicate["b"].set()
        for t in threads.values():
            t.join(10)
            self.assertFalse(t.is_alive())
        a.sync("/recipes/election")
        self.assertEqual(elections["a"].contenders(), [])

    def test_barrier_holds_until_removed(self):
        a, b = self.client(), self.client()
        self.assertTrue(b.Barrier("/recipes/no-barrier").wait(timeout=1))
        a.Barrier("/recipes/barrier").create()
        b.sync("/recipes/barrier")
        passed = threading.Event()
        waiter = threading.Thread(
            target=lambda: b.Barrier("/recipes/barrier").wait(timeout=20) and passed.set(),
            daemon=True)
        waiter.start()
        self.assertFalse(passed.wait(1), "the barrier let a client through while it stood")
        self.assertTrue(a.Barrier("/recipes/barrier").remove())
        self.assertTrue(passed.wait(10))
        waiter.join(10)

    def test_double_barrier_enters_and_leaves_together(self):
        clients = [self.client() for _ in range(3)]
        barriers = [zk.DoubleBarrier("/recipes/double", 3, identifier=f"m{i}")
                    for i, zk in enumerate(clients)]
        entered = []
        threads = []

        def enter(i):
            barriers[i].enter()
            entered.append(i)

        for i in range(3):
            threads.append(threading.Thread(target=enter, args=(i,), daemon=True))
            threads[-1].start()
            if i < 2:
                time.sleep(0.5)
                self.assertEqual(entered, [], "entered before everyone had arrived")
        for t in threads:
            t.join(10)
        self.assertEqual(sorted(entered), [0, 1, 2])
        self.assertTrue(all(b.participating for b in barriers))

        self.run_threads([b.leave for b in barriers], seconds=20)
        self.assertFalse(any(b.participating for b in barriers))
        clients[0].sync("/recipes/double")
        self.assertEqual(clients[0].get_children("/recipes/double"), [])

    def test_counter_loses_no_increment(self):
        a, b = self.client(), self.client()

        def add(zk, amount):
            counter = zk.Counter("/recipes/counter")
            for _ in range(15):
                counter += amount

        self.run_threads([lambda: add(a, 1), lambda: add(b, 2)])
        a.sync("/recipes/counter")
        self.assertEqual(a.Counter("/recipes/counter").value, 45)
        counter = b.Counter("/recipes/counter")
        counter -= 5
        self.assertEqual(counter.value, 40)
        a.sync("/recipes/counter")
        self.assertEqual(a.get("/recipes/counter")[0], b"40")

    def test_queue_orders_by_priority_then_arrival(self):
        producer, consumer = self.client(), self.client()
        q = producer.Queue("/recipes/queue")
        for value, priority in [(b"late", 200), (b"first", 10), (b"second", 10), (b"mid", 100)]:
            q.put(value, priority=priority)
        consumer.sync("/recipes/queue")
        self.assertEqual(len(consumer.Queue("/recipes/queue")), 4)
        got = [consumer.Queue("/recipes/queue").get() for _ in range(4)]
        self.assertEqual(got, [b"first", b"second", b"mid", b"late"])
        self.assertIsNone(consumer.Queue("/recipes/queue").get())

    def test_queue_consumers_take_each_item_once(self):
        producer = self.client()
        consumers = [self.client() for _ in range(3)]
        q = producer.Queue("/recipes/shared-queue")
        items = [str(i).encode() for i in range(30)]
        for item in items:
            q.put(item)
        taken = []

        def drain(zk):
            zk.sync("/recipes/shared-queue")
            mine = zk.Queue("/recipes/shared-queue")
            while (item := mine.get()) is not None:
                taken.append(item)

        self.run_threads([lambda zk=zk: drain(zk) for zk in consumers])
        self.assertEqual(sorted(taken, key=int), items)

    def test_locking_queue_hands_an_entry_to_one_consumer(self):
        producer, a, b = self.client(), self.client(), self.client()
        producer.LockingQueue("/recipes/lq").put_all([b"one", b"two"])
        a.sync("/recipes/lq/entries")
        b.sync("/recipes/lq/entries")
        qa, qb = a.LockingQueue("/recipes/lq"), b.LockingQueue("/recipes/lq")
        self.assertEqual(qa.get(timeout=5), b"one")
        self.assertTrue(qa.holds_lock())
        self.assertEqual(qb.get(timeout=5), b"two", "b was given the entry a holds")
        self.assertTrue(qa.release())  # back to the queue, unconsumed
        self.assertTrue(qb.consume())
        producer.sync("/recipes/lq/entries")
        qc = producer.LockingQueue("/recipes/lq")
        self.assertEqual(qc.get(timeout=5), b"one")
        self.assertTrue(qc.consume())
        self.assertEqual(len(qc), 0)
        self.assertIsNone(qa.get(timeout=0.5))

    def test_party_membership_follows_sessions(self):
        for kind in ("Party", "ShallowParty"):
            path = f"/recipes/{kind.lower()}"
            clients = [self.client() for _ in range(3)]
            parties = [getattr(zk, kind)(path, f"member{i}") for i, zk in enumerate(clients)]
            for party in parties:
                party.join()
            watcher = self.client()
            observer = getattr(watcher, kind)(path)
            watcher.sync(path)
            self.assertEqual(len(observer), 3)
            self.assertEqual(sorted(observer), ["member0", "member1", "member2"])
            parties[0].leave()
            watcher.sync(path)
            self.assertEqual(sorted(observer), ["member1", "member2"])
            clients[1].stop()  # the session ends: its ephemeral member goes
            watcher.sync(path)
            self.assertEqual(sorted(observer), ["member2"])
            self.assertEqual(len(observer), 1)

    def test_semaphore_never_exceeds_its_leases(self):
        clients = [self.client() for _ in range(4)]
        holding, most, guard = [0], [0], threading.Lock()
        observed_holders = []

        def worker(zk, name):
            semaphore = zk.Semaphore("/recipes/semaphore", name, max_leases=2)
            for _ in range(3):
                with semaphore:
                    with guard:
                        holding[0] += 1
                        most[0] = max(most[0], holding[0])
                    observed_holders.append(len(semaphore.lease_holders()))
                    time.sleep(0.2)
                    with guard:
                        holding[0] -= 1

        self.run_threads([lambda zk=zk, i=i: worker(zk, f"w{i}")
                          for i, zk in enumerate(clients)])
        self.assertEqual(most[0], 2, "leases were not shared, or more than 2 were held")
        self.assertLessEqual(max(observed_holders), 2)
        self.assertEqual(len(observed_holders), 12)
        clients[0].sync("/recipes/semaphore")
        self.assertEqual(clients[0].Semaphore("/recipes/semaphore", max_leases=2)
                         .lease_holders(), [])

    def test_data_watch_sees_each_change_in_order(self):
        watcher, writer = self.client(), self.client()
        seen = []
        watcher.DataWatch("/dw", lambda data, stat: seen.append(
            (data, stat.version if stat else None)))
        wait_until(lambda: seen == [(None, None)], what="the first call")

        steps = [(lambda: writer.create("/dw", b"v0"), (b"v0", 0)),
                 (lambda: writer.set("/dw", b"v1"), (b"v1", 1)),
                 (lambda: writer.set("/dw", b"v2"), (b"v2", 2)),
                 (lambda: writer.delete("/dw"), (None, None)),
                 (lambda: writer.create("/dw", b"again"), (b"again", 0))]
        for change, expected in steps:
            change()
            wait_until(lambda: seen[-1] == expected, what=f"DataWatch sees {expected}")
        self.assertEqual(seen, [(None, None)] + [expected for _, expected in steps])

        # A burst: changes may be folded together, never reordered.
        before = len(seen)
        for i in range(1, 31):
            writer.set("/dw", str(i).encode())
        wait_until(lambda: seen[-1] == (b"30", 30), what="the burst's last value")
        versions = [version for _, version in seen[before:]]
        self.assertEqual(versions, sorted(set(versions)))

    def test_children_watch_sees_each_change_in_order(self):
        watcher, writer = self.client(), self.client()
        writer.create("/cw")
        watcher.sync("/cw")
        seen = []
        watcher.ChildrenWatch("/cw", lambda children: seen.append(sorted(children)))
        wait_until(lambda: seen == [[]], what="the first call")
        steps = [(lambda: writer.create("/cw/a"), ["a"]),
                 (lambda: writer.create("/cw/b"), ["a", "b"]),
                 (lambda: writer.set("/cw/a", b"data changes no child list"), None),
                 (lambda: writer.delete("/cw/a"), ["b"]),
                 (lambda: writer.create("/cw/b/grandchild"), None),
                 (lambda: writer.create("/cw/c", ephemeral=True), ["b", "c"])]
        for change, expected in steps:
            change()
            if expected is not None:
                wait_until(lambda: seen[-1] == expected, what=f"ChildrenWatch sees {expected}")
        self.assertEqual(seen, [[]] + [e for _, e in steps if e is not None])

        before = len(seen)
        for i in range(20):
            writer.create(f"/cw/n{i:02d}")
        final = sorted(["b", "c"] + [f"n{i:02d}" for i in range(20)])
        wait_until(lambda: seen[-1] == final, what="the burst's final list")
        sizes = [len(children) for children in seen[before:]]
        self.assertEqual(sizes, sorted(sizes))

    def test_tree_cache_follows_another_clients_changes(self):
        cached, writer = self.client(), self.client()
        writer.create("/tc/x", b"x0", makepath=True)
        cached.sync("/tc")
        cache = TreeCache(cached, "/tc")
        events = []
        initialized = threading.Event()

        def listen(event):
            if event.event_type == TreeEvent.INITIALIZED:
                initialized.set()
            elif event.event_data is not None:
                events.append((event.event_type, event.event_data.path, event.event_data.data))

        cache.listen(listen)
        cache.start()
        self.addCleanup(cache.close)
        self.assertTrue(initialized.wait(10))
        self.assertEqual(cache.get_data("/tc/x").data, b"x0")
        events.clear()

        writer.create("/tc/a", b"a0")
        wait_until(lambda: cache.get_data("/tc/a") is not None, what="the create reached the cache")
        writer.create("/tc/a/b", b"b0")
        wait_until(lambda: cache.get_children("/tc/a") == frozenset({"b"}),
                   what="the nested create reached the cache")
        writer.set("/tc/a", b"a1")
        wait_until(lambda: cache.get_data("/tc/a").data == b"a1",
                   what="the update reached the cache")
        writer.delete("/tc/a/b")
        writer.delete("/tc/x")
        wait_until(lambda: cache.get_data("/tc/x") is None and cache.get_data("/tc/a/b") is None,
                   what="the deletes reached the cache")
        # The cache changes before its listeners hear of it.
        wait_until(lambda: len(events) >= 5, what="the listener hearing of every change")
        self.assertEqual(events, [
            (TreeEvent.NODE_ADDED, "/tc/a", b"a0"),
            (TreeEvent.NODE_ADDED, "/tc/a/b", b"b0"),
            (TreeEvent.NODE_UPDATED, "/tc/a", b"a1"),
            (TreeEvent.NODE_REMOVED, "/tc/a/b", b"b0"),
            (TreeEvent.NODE_REMOVED, "/tc/x", b"x0"),
        ])
        self.assertEqual(cache.get_children("/tc"), frozenset({"a"}))

    def test_persistent_recursive_watch_sees_the_whole_subtree(self):
        writer = self.client()
        writer.create("/prw")
        raw = RawSession(self.ensemble.client_ports[1])
        self.addCleanup(raw.close)
        self.assertEqual(raw.add_watch("/prw", ADD_WATCH_PERSISTENT_RECURSIVE), OK)

        writer.create("/prw/a", b"1")
        writer.set("/prw/a", b"2")
        writer.create("/prw/a/b")
        writer.set("/prw/a", b"3")  # the watch stays after firing
        writer.delete("/prw/a/b")
        writer.set("/prw", b"root")
        self.assertEqual(raw.next_events(6), [
            (NODE_CREATED, "/prw/a"),
            (NODE_DATA_CHANGED, "/prw/a"),
            (NODE_CREATED, "/prw/a/b"),
            (NODE_DATA_CHANGED, "/prw/a"),
            (NODE_DELETED, "/prw/a/b"),
            (NODE_DATA_CHANGED, "/prw"),
        ])  # and no NodeChildrenChanged: recursive watches do not send it

        self.assertEqual(raw.remove_watches("/prw", WATCHER_ANY), OK)
        writer.set("/prw/a", b"unwatched")
        writer.create("/prw/after-remove")
        self.assertEqual(raw.sync("/prw"), OK)
        self.assertTrue(raw.events.empty(), f"events after removal: {list(raw.events.queue)}")

    def test_persistent_watch_sees_its_node_only(self):
        writer = self.client()
        writer.create("/pw")
        raw = RawSession(self.ensemble.client_ports[2])
        self.addCleanup(raw.close)
        self.assertEqual(raw.add_watch("/pw", ADD_WATCH_PERSISTENT), OK)

        writer.create("/pw/child")
        writer.create("/pw/child/grandchild")  # not /pw's children: no event
        writer.set("/pw", b"1")
        writer.set("/pw", b"2")
        writer.delete("/pw/child/grandchild")
        writer.delete("/pw/child")
        writer.delete("/pw")
        writer.create("/pw")
        self.assertEqual(raw.next_events(6), [
            (NODE_CHILDREN_CHANGED, "/pw"),
            (NODE_DATA_CHANGED, "/pw"),
            (NODE_DATA_CHANGED, "/pw"),
            (NODE_CHILDREN_CHANGED, "/pw"),
            (NODE_DELETED, "/pw"),
            (NODE_CREATED, "/pw"),
        ])
        self.assertEqual(raw.sync("/pw"), OK)
        self.assertTrue(raw.events.empty(), f"an unexpected event: {list(raw.events.queue)}")
        self.assertEqual(raw.remove_watches("/pw", WATCHER_ANY), OK)
        self.assertEqual(raw.remove_watches("/pw", WATCHER_ANY), NO_WATCHER)
        writer.set("/pw", b"unwatched")
        self.assertEqual(raw.sync("/pw"), OK)
        self.assertTrue(raw.events.empty(), f"events after removal: {list(raw.events.queue)}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
