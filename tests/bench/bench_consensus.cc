// Throughput of the consensus core alone: a three-node ensemble in one thread,
// logs kept in memory, messages handed over in-process. The leader proposes
// batches of 100-byte entries; a batch counts once it is committed on the
// leader. The result is an upper bound for what the core's bookkeeping allows
// before any disk or network cost. Logs are compacted every so often so memory
// stays bounded however long the benchmark runs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "consensus/message.h"
#include "consensus/node.h"
#include "consensus/types.h"

namespace warden::consensus {
namespace {

constexpr size_t kEntryBytes = 100;
constexpr LogIndex kCompactEvery = 64 * 1024;
constexpr size_t kRetainAfterCompaction = 1024;

// One member and its in-memory "disk".
struct Member {
  std::unique_ptr<MemorySnapshotSource> images;  // what the node streams to laggards
  std::unique_ptr<Node> node;
  std::deque<Entry> stored;  // the persisted log after the last compaction
  HardState hard_state;
  LogIndex applied = 0;
  LogIndex compacted_at = 0;
};

class InProcessEnsemble {
 public:
  InProcessEnsemble() {
    const std::vector<NodeId> voters{1, 2, 3};
    for (NodeId id : voters) {
      Config config;
      config.id = id;
      config.voters = voters;
      config.random_seed = id;
      Member member;
      member.images = std::make_unique<MemorySnapshotSource>();
      config.snapshot_source = member.images.get();
      member.node = std::make_unique<Node>(config, PersistentState{});
      members_.push_back(std::move(member));
    }
  }

  // Ticks until a leader's epoch is established; returns its id.
  NodeId elect() {
    for (int tick = 0; tick < 10'000; ++tick) {
      for (Member& member : members_) member.node->tick();
      pump();
      for (Member& member : members_) {
        if (member.node->epoch_established()) return member.node->id();
      }
    }
    return kNoNode;
  }

  Member& member(NodeId id) { return members_[id - 1]; }

  // Carries out every Ready and delivers every message until nothing moves.
  void pump() {
    bool moved = true;
    while (moved) {
      moved = false;
      for (Member& member : members_) moved |= drain(member);
      moved |= !network_.empty();
      deliver_queued();
    }
  }

  // Snapshots every member at its applied index and drops the stored prefix.
  void compact_all() {
    for (Member& member : members_) {
      if (member.applied < member.compacted_at + kCompactEvery) continue;
      member.node->compact(member.applied, kRetainAfterCompaction);
      const Snapshot& compacted = member.node->snapshot();
      member.images->set(
          Snapshot{compacted.last_index, compacted.last_zxid, std::to_string(member.applied)});
      while (!member.stored.empty() && member.stored.front().index <= member.applied) {
        member.stored.pop_front();
      }
      member.compacted_at = member.applied;
    }
  }

 private:
  bool drain(Member& member) {
    bool any = false;
    while (member.node->has_ready()) {
      any = true;
      Ready ready = member.node->ready();
      for (Message& message : ready.early_messages) network_.push_back(std::move(message));
      persist(member, ready);
      for (Message& message : ready.messages) network_.push_back(std::move(message));
      if (ready.snapshot) member.applied = ready.snapshot->last_index;
      if (!ready.committed.empty()) member.applied = ready.committed.back().index;
      member.node->advance(ready);
    }
    return any;
  }

  static void persist(Member& member, Ready& ready) {
    if (ready.hard_state) member.hard_state = *ready.hard_state;
    if (ready.snapshot) member.stored.clear();
    if (ready.entries.empty()) return;
    const LogIndex from = ready.entries.front().index;
    while (!member.stored.empty() && member.stored.back().index >= from) member.stored.pop_back();
    for (Entry& entry : ready.entries) member.stored.push_back(std::move(entry));
  }

  void deliver_queued() {
    std::vector<Message> batch;
    batch.swap(network_);
    for (const Message& message : batch) member(message.to).node->step(message);
  }

  std::vector<Member> members_;
  std::vector<Message> network_;
};

void BM_CommitThroughput(benchmark::State& state) {
  const auto batch_size = static_cast<size_t>(state.range(0));
  InProcessEnsemble ensemble;
  const NodeId leader_id = ensemble.elect();
  if (leader_id == kNoNode) {
    state.SkipWithError("no leader elected");
    return;
  }
  Member& leader = ensemble.member(leader_id);
  const std::string payload(kEntryBytes, 'e');
  const LogIndex start = leader.applied;

  for (auto _ : state) {
    for (size_t i = 0; i < batch_size; ++i) {
      if (leader.node->propose(payload) != ProposeResult::kAccepted) {
        state.SkipWithError("proposal refused");
        return;
      }
    }
    ensemble.pump();
    ensemble.compact_all();
  }

  const LogIndex committed = leader.applied - start;
  if (committed != state.iterations() * batch_size) {
    state.SkipWithError("not every proposal committed");
    return;
  }
  state.counters["entries/s"] =
      benchmark::Counter(static_cast<double>(committed), benchmark::Counter::kIsRate);
  state.counters["bytes/s"] =
      benchmark::Counter(static_cast<double>(committed * kEntryBytes), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_CommitThroughput)->Arg(1)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace warden::consensus

BENCHMARK_MAIN();
