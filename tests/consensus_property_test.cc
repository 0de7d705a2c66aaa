// Randomised schedules for consensus::Node (rapidcheck): ticks, message
// delivery in any order, loss, duplication, proposals, crashes and restarts,
// partitions and compaction, on 3- and 5-node ensembles. After every step the
// safety properties must hold; after the schedule, once the network heals and
// every node is back, the ensemble must elect a leader and commit a fresh
// proposal everywhere (liveness). A failing schedule is shrunk by rapidcheck
// to a short one and printed op by op.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "consensus/message.h"
#include "consensus/node.h"
#include "consensus/types.h"
#include "tests/consensus_harness.h"

namespace warden::consensus {
namespace {

using testing::Cluster;
using testing::ClusterOptions;

enum class OpKind : uint8_t {
  kTick,         // tick one node
  kTickAll,      // tick every running node
  kDeliverNext,  // deliver the oldest queued message
  kDeliverAny,   // deliver a queued message out of order
  kDeliverAll,   // a calm moment: deliver until the network is quiet
  kDrop,         // lose a queued message
  kDuplicate,    // queue a copy of a message (it will arrive twice)
  kPropose,      // a client proposes on one node
  kCrash,        // a node loses everything but its disk
  kRestart,      // a crashed node comes back from its disk
  kPartition,    // split the nodes in two groups by a bit mask
  kHeal,         // restore every link
  kCompact,      // a node snapshots its state machine and trims its log
};

struct Op {
  OpKind kind = OpKind::kTick;
  NodeId node = 1;    // for per-node ops
  uint32_t pick = 0;  // message position, partition mask or retained entries
};

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kTick:
      return "tick";
    case OpKind::kTickAll:
      return "tick-all";
    case OpKind::kDeliverNext:
      return "deliver-next";
    case OpKind::kDeliverAny:
      return "deliver-any";
    case OpKind::kDeliverAll:
      return "deliver-all";
    case OpKind::kDrop:
      return "drop";
    case OpKind::kDuplicate:
      return "duplicate";
    case OpKind::kPropose:
      return "propose";
    case OpKind::kCrash:
      return "crash";
    case OpKind::kRestart:
      return "restart";
    case OpKind::kPartition:
      return "partition";
    case OpKind::kHeal:
      return "heal";
    case OpKind::kCompact:
      return "compact";
  }
  return "?";
}

// rapidcheck prints counterexamples through this.
std::ostream& operator<<(std::ostream& out, const Op& op) {
  return out << op_name(op.kind) << "(node " << op.node << ", pick " << op.pick << ")";
}

rc::Gen<Op> op_of(OpKind kind, NodeId nodes) {
  return rc::gen::apply(
      [kind](NodeId node, uint32_t pick) {
        return Op{kind, node, pick};
      },
      rc::gen::inRange<NodeId>(1, nodes + 1), rc::gen::inRange<uint32_t>(0, 1u << 16));
}

// Swarm testing: each run draws its own mix of operations (some runs lose
// many messages, some crash a lot, some never partition), which reaches deep
// corner cases far more often than one fixed mix. In-order delivery always
// keeps a large share so that elections and replication make progress.
rc::Gen<std::vector<Op>> schedule_of(NodeId nodes) {
  const auto weight = [] { return rc::gen::element<size_t>(0, 1, 4, 12); };
  return rc::gen::mapcat(rc::gen::container<std::vector<size_t>>(12, weight()),
                         [nodes](const std::vector<size_t>& w) {
                           const rc::Gen<Op> op = rc::gen::weightedOneOf<Op>({
                               {w[0] + 1, op_of(OpKind::kTick, nodes)},
                               {w[1] + 1, op_of(OpKind::kTickAll, nodes)},
                               {20, op_of(OpKind::kDeliverNext, nodes)},
                               {w[2], op_of(OpKind::kDeliverAny, nodes)},
                               {w[3], op_of(OpKind::kDeliverAll, nodes)},
                               {w[4], op_of(OpKind::kDrop, nodes)},
                               {w[5], op_of(OpKind::kDuplicate, nodes)},
                               {w[6] + 1, op_of(OpKind::kPropose, nodes)},
                               {w[7], op_of(OpKind::kCrash, nodes)},
                               {w[8] + w[7], op_of(OpKind::kRestart, nodes)},
                               {w[9], op_of(OpKind::kPartition, nodes)},
                               {w[10] + w[9], op_of(OpKind::kHeal, nodes)},
                               {w[11], op_of(OpKind::kCompact, nodes)},
                           });
                           return rc::gen::scale(40.0, rc::gen::container<std::vector<Op>>(op));
                         });
}

// Per-run tuning, generated too: short timeouts and small appends so a few
// hundred steps see many elections, pipelining limits and probes. One entry
// per append lets old entries travel without the new leader's own (the
// Figure 8 shape); without the leases (pre-vote, check-quorum) epochs churn.
struct Tuning {
  int election_timeout_ticks = 4;
  size_t max_entries_per_append = 3;
  size_t max_inflight_appends = 2;
  bool leases = true;
};

std::ostream& operator<<(std::ostream& out, const Tuning& tuning) {
  return out << "timeout " << tuning.election_timeout_ticks << ", entries/append "
             << tuning.max_entries_per_append << ", inflight " << tuning.max_inflight_appends
             << (tuning.leases ? ", leases" : ", no leases");
}

rc::Gen<Tuning> any_tuning() {
  return rc::gen::apply(
      [](int timeout, size_t entries, size_t inflight, bool leases) {
        return Tuning{timeout, entries, inflight, leases};
      },
      rc::gen::inRange(2, 7), rc::gen::element<size_t>(1, 2, 3, 8),
      rc::gen::element<size_t>(1, 2, 4), rc::gen::arbitrary<bool>());
}

ClusterOptions options_for(size_t voters, const Tuning& tuning) {
  return ClusterOptions{voters, 0, 7, [tuning](Config& config) {
                          config.election_timeout_ticks = tuning.election_timeout_ticks;
                          config.heartbeat_interval_ticks = 1;
                          config.max_entries_per_append = tuning.max_entries_per_append;
                          config.max_inflight_appends = tuning.max_inflight_appends;
                          config.pre_vote = tuning.leases;
                          config.check_quorum = tuning.leases;
                        }};
}

void apply_op(Cluster& cluster, const Op& op, size_t step) {
  const size_t queued = cluster.in_flight().size();
  switch (op.kind) {
    case OpKind::kTick:
      if (cluster.is_up(op.node)) cluster.tick(op.node);
      break;
    case OpKind::kTickAll:
      cluster.tick_all();
      break;
    case OpKind::kDeliverNext:
      cluster.deliver_at(0);
      break;
    case OpKind::kDeliverAny:
      if (queued > 0) cluster.deliver_at(op.pick % queued);
      break;
    case OpKind::kDeliverAll:
      cluster.deliver_all();
      break;
    case OpKind::kDrop:
      if (queued > 0) cluster.drop_at(op.pick % queued);
      break;
    case OpKind::kDuplicate:
      if (queued > 0) cluster.duplicate_at(op.pick % queued);
      break;
    case OpKind::kPropose:
      if (cluster.is_up(op.node)) {
        cluster.propose(op.node, "p" + std::to_string(step));
        cluster.flush(op.node);
      }
      break;
    case OpKind::kCrash:
      cluster.crash(op.node);
      break;
    case OpKind::kRestart:
      cluster.restart(op.node);
      break;
    case OpKind::kPartition: {
      std::vector<NodeId> left, right;
      for (NodeId id : cluster.ids()) (op.pick >> (id - 1) & 1 ? left : right).push_back(id);
      cluster.heal();
      cluster.partition({left, right});
      break;
    }
    case OpKind::kHeal:
      cluster.heal();
      break;
    case OpKind::kCompact:
      if (cluster.is_up(op.node)) cluster.compact(op.node, op.pick % 4);
      break;
  }
}

// ----- Checks after every step ----------------------------------------------------

void assert_no_violations(const Cluster& cluster, size_t step) {
  if (!cluster.violations().empty()) {
    RC_FAIL("after step " + std::to_string(step) + ":\n" + testing::describe_violations(cluster));
  }
}

// Each running node's log: dense indices and strictly increasing zxids.
void assert_logs_well_formed(Cluster& cluster) {
  for (NodeId id : cluster.up_ids()) {
    const Node& node = cluster.node(id);
    std::optional<Zxid> previous = node.zxid_at(node.first_index() - 1);
    for (LogIndex index = node.first_index(); index <= node.last_index(); ++index) {
      const Entry* entry = node.entry_at(index);
      RC_ASSERT(entry != nullptr);
      RC_ASSERT(entry->index == index);
      if (previous && index > 1) RC_ASSERT(entry->zxid > *previous);
      previous = entry->zxid;
    }
  }
}

// Every entry ever committed anywhere is still what each running node holds
// at that index, wherever that node claims to have committed it; it is still
// on a quorum of disks; and every voter that could still win an election
// holds it, so no future leader can lose it.
void assert_committed_entries_stay(Cluster& cluster) {
  for (NodeId id : cluster.up_ids()) {
    const Node& node = cluster.node(id);
    for (const auto& [index, entry] : cluster.committed()) {
      if (index > node.commit_index()) break;
      if (const Entry* held = node.entry_at(index)) {
        RC_ASSERT(*held == entry);
      } else if (const std::optional<Zxid> zxid = node.zxid_at(index)) {
        RC_ASSERT(*zxid == entry.zxid);
      }
    }
  }
  cluster.check_committed_durable();
  cluster.check_electable_voters_hold_committed();
}

void check_step(Cluster& cluster, size_t step) {
  assert_logs_well_formed(cluster);
  assert_committed_entries_stay(cluster);
  assert_no_violations(cluster, step);
}

// ----- Liveness once every fault is repaired -----------------------------------------

bool applied_everywhere(const Cluster& cluster, const std::string& data) {
  for (NodeId id : cluster.ids()) {
    const auto values = cluster.applied_data(id);
    if (std::find(values.begin(), values.end(), data) == values.end()) return false;
  }
  return true;
}

// A proposal may be lost when its leader steps down before it commits (for
// instance when check-quorum catches up with a leader the schedule left
// alone); like a client, retry on whoever leads next.
void assert_recovers(Cluster& cluster) {
  cluster.heal();
  for (NodeId id : cluster.ids()) cluster.restart(id);
  constexpr int kAttempts = 5;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::optional<NodeId> leader = cluster.run_until_leader(300);
    assert_no_violations(cluster, 0);
    if (!leader) RC_FAIL("no leader after healing everything");
    const std::string fresh = "after-heal-" + std::to_string(attempt);
    if (cluster.propose(*leader, fresh) != ProposeResult::kAccepted) continue;
    for (int round = 0; round < 100 && !applied_everywhere(cluster, fresh); ++round) {
      cluster.settle(1);
      assert_no_violations(cluster, 0);
      if (cluster.leader() != leader) break;
    }
    if (applied_everywhere(cluster, fresh)) {
      assert_no_violations(cluster, 0);
      return;
    }
  }
  RC_FAIL("no fresh proposal reached every node in " + std::to_string(kAttempts) + " attempts");
}

void run_schedule(const ClusterOptions& options, const std::vector<Op>& schedule) {
  Cluster cluster(options);
  for (size_t step = 0; step < schedule.size(); ++step) {
    apply_op(cluster, schedule[step], step);
    check_step(cluster, step);
  }
  assert_recovers(cluster);
  check_step(cluster, schedule.size());
}

// One schedule under one tuning.
struct Run {
  Tuning tuning;
  std::vector<Op> schedule;
};

std::ostream& operator<<(std::ostream& out, const Run& run) {
  out << "{" << run.tuning << ":";
  for (const Op& op : run.schedule) out << " " << op;
  return out << "}";
}

rc::Gen<Run> any_run(NodeId nodes) {
  return rc::gen::apply(
      [](Tuning tuning, std::vector<Op> schedule) {
        return Run{tuning, std::move(schedule)};
      },
      any_tuning(), schedule_of(nodes));
}

// A single run is cheap and the deepest bugs (Figure 8 shapes) take hundreds
// of runs to reach, so every rapidcheck case checks a batch of runs; on a
// failure the passing runs shrink away and the failing one is printed.
constexpr size_t kRunsPerCase = 8;

void check_runs(size_t voters) {
  const auto runs = *rc::gen::container<std::vector<Run>>(kRunsPerCase, any_run(voters));
  for (const Run& run : runs) run_schedule(options_for(voters, run.tuning), run.schedule);
}

RC_GTEST_PROP(ConsensusProperty, ThreeNodesStaySafeAndRecover, ()) {
  check_runs(3);
}

RC_GTEST_PROP(ConsensusProperty, FiveNodesStaySafeAndRecover, ()) {
  check_runs(5);
}

}  // namespace
}  // namespace warden::consensus
