// Regression tests for finding the common prefix when the leader has
// compacted its log: the answer may lie inside the compacted prefix, and then
// the leader must send its snapshot rather than probe the same index forever
// (found by simulator seed 161).
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/node.h"

namespace warden::consensus {
namespace {

Entry data_entry(LogIndex index, Epoch epoch, uint32_t counter) {
  return Entry{index, make_zxid(epoch, counter), EntryType::kData, "e" + std::to_string(index)};
}

// The leader-to-be: entries 1..5 of epoch 1 and 6..20 of epoch 2, with a
// snapshot covering 1..10, so only 11..20 are in memory.
PersistentState compacted_leader_state() {
  PersistentState state;
  state.hard_state.epoch = 2;
  state.snapshot = Snapshot{10, make_zxid(2, 5), "image"};
  for (LogIndex i = 11; i <= 20; ++i) state.entries.push_back(data_entry(i, 2, i - 5));
  return state;
}

// A follower that only ever saw epoch 1: entries 1..20, all epoch 1. Its
// entries after index 5 conflict with the leader's.
PersistentState stale_follower_state() {
  PersistentState state;
  state.hard_state.epoch = 1;
  for (LogIndex i = 1; i <= 20; ++i) state.entries.push_back(data_entry(i, 1, i));
  return state;
}

struct MiniCluster {
  std::map<NodeId, std::unique_ptr<Node>> nodes;
  std::map<NodeId, MemorySnapshotSource> images;   // what each node streams
  std::map<NodeId, SnapshotAssembler> staging;     // an image being received
  std::map<NodeId, std::string> installed_images;  // the last image each node installed
  std::deque<Message> in_flight;
  size_t delivered = 0;
  size_t snapshots_sent = 0;
  size_t drop_snapshot_message = 0;  // if > 0: the n-th Snapshot message sent is lost

  void add(NodeId id, const PersistentState& state, size_t snapshot_chunk_bytes = 1 << 20) {
    Config config;
    config.id = id;
    config.voters = {1, 2, 3};
    config.random_seed = 7;
    config.max_snapshot_chunk_bytes = snapshot_chunk_bytes;
    images[id].set(state.snapshot);
    config.snapshot_source = &images[id];
    nodes[id] = std::make_unique<Node>(config, state);
  }

  // Only node 1 ticks, so it is the one to campaign; then it leads for a
  // few heartbeats. False if it never became leader.
  bool elect_node_1_and_settle() {
    for (int tick = 0; tick < 100 && nodes[1]->role() != Role::kLeader; ++tick) {
      nodes[1]->tick();
      pump(100);
    }
    if (nodes[1]->role() != Role::kLeader) return false;
    for (int tick = 0; tick < 5; ++tick) {
      nodes[1]->tick();
      pump(10'000);
    }
    return true;
  }

  // Runs Ready loops and delivers messages until quiet or `max_messages`.
  void pump(size_t max_messages) {
    for (bool moved = true; moved && delivered < max_messages;) {
      moved = false;
      for (auto& [id, node] : nodes) {
        while (node->has_ready()) {
          moved = true;
          Ready ready = node->ready();
          for (const SnapshotChunk& chunk : ready.snapshot_chunks) staging[id].add(chunk);
          if (ready.snapshot) installed_images[id] = staging[id].take();
          for (Message& m : ready.early_messages) ready.messages.push_back(std::move(m));
          for (const Message& m : ready.messages) {
            if (m.type == MessageType::kSnapshot && ++snapshots_sent == drop_snapshot_message) {
              continue;
            }
            in_flight.push_back(m);
          }
          node->advance(ready);
        }
      }
      while (!in_flight.empty() && delivered < max_messages) {
        moved = true;
        Message m = in_flight.front();
        in_flight.pop_front();
        ++delivered;
        nodes.at(m.to)->step(m);
      }
    }
  }
};

TEST(ConsensusCompaction, CommonPrefixInsideCompactedLogIsBridgedBySnapshot) {
  MiniCluster cluster;
  cluster.add(1, compacted_leader_state());
  cluster.add(2, compacted_leader_state());
  cluster.add(3, stale_follower_state());

  ASSERT_TRUE(cluster.elect_node_1_and_settle());

  ASSERT_LT(cluster.delivered, 10'000u) << "leader and follower are probing in a loop";
  EXPECT_GE(cluster.snapshots_sent, 1u);
  const Node& leader = *cluster.nodes[1];
  const Node& follower = *cluster.nodes[3];
  EXPECT_EQ(follower.last_index(), leader.last_index());
  EXPECT_EQ(follower.last_zxid(), leader.last_zxid());
  EXPECT_EQ(follower.commit_index(), leader.commit_index());
  EXPECT_EQ(follower.snapshot().last_zxid, make_zxid(2, 5));
  EXPECT_TRUE(follower.invariant_failure().empty()) << follower.invariant_failure();
}

// A snapshot larger than a chunk travels in pieces, arrives whole, and the
// leader goes on committing new proposals while it streams.
TEST(ConsensusCompaction, SnapshotStreamsInChunksAndArrivesWhole) {
  PersistentState leader = compacted_leader_state();
  leader.snapshot.data = std::string(1000, '\0');
  for (size_t i = 0; i < leader.snapshot.data.size(); ++i) {
    leader.snapshot.data[i] = static_cast<char>('a' + i % 26);
  }
  MiniCluster cluster;
  cluster.add(1, leader, 64);
  cluster.add(2, leader, 64);
  cluster.add(3, stale_follower_state(), 64);
  ASSERT_TRUE(cluster.elect_node_1_and_settle());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(cluster.nodes[1]->propose("p" + std::to_string(i)), ProposeResult::kAccepted);
    cluster.nodes[1]->tick();
    cluster.pump(20'000);
  }

  EXPECT_GE(cluster.snapshots_sent, 1000u / 64);
  const Node& follower = *cluster.nodes[3];
  EXPECT_EQ(cluster.installed_images[3], leader.snapshot.data);
  EXPECT_EQ(follower.last_index(), cluster.nodes[1]->last_index());
  EXPECT_EQ(follower.commit_index(), cluster.nodes[1]->commit_index());
  EXPECT_TRUE(follower.invariant_failure().empty()) << follower.invariant_failure();
}

// A lost chunk stalls the transfer until the leader's timeout; then it
// resumes where the follower stands and completes.
TEST(ConsensusCompaction, LostSnapshotChunkIsResent) {
  PersistentState leader = compacted_leader_state();
  leader.snapshot.data = std::string(640, 'z');
  MiniCluster cluster;
  cluster.drop_snapshot_message = 4;
  cluster.add(1, leader, 64);
  cluster.add(2, leader, 64);
  cluster.add(3, stale_follower_state(), 64);
  ASSERT_TRUE(cluster.elect_node_1_and_settle());
  EXPECT_NE(cluster.installed_images[3], leader.snapshot.data) << "the loss had no effect";
  for (int tick = 0; tick < 40; ++tick) {
    cluster.nodes[1]->tick();
    cluster.pump(cluster.delivered + 5'000);
  }
  EXPECT_EQ(cluster.installed_images[3], leader.snapshot.data);
  EXPECT_EQ(cluster.nodes[3]->last_index(), cluster.nodes[1]->last_index());
}

// An image that stops serving part-way (a stream that moved on, a read
// error) is dropped; the leader starts over with a fresh one from its source
// and the follower ends with that one, whole.
class FlakyImageSource final : public SnapshotSource {
 public:
  FlakyImageSource(Snapshot snapshot, uint64_t fail_at_offset)
      : snapshot_(std::move(snapshot)), fail_at_offset_(fail_at_offset) {}
  std::shared_ptr<SnapshotImage> open_image() override {
    ++opened;
    auto data = std::make_shared<const std::string>(snapshot_.data);
    if (opened > 1) {
      return std::make_shared<MemorySnapshotImage>(snapshot_.last_index, snapshot_.last_zxid, data);
    }
    return std::make_shared<FailingImage>(snapshot_, fail_at_offset_);
  }
  int opened = 0;

 private:
  struct FailingImage final : SnapshotImage {
    FailingImage(const Snapshot& snapshot, uint64_t fail_at)
        : snapshot(snapshot), fail_at(fail_at) {}
    LogIndex last_index() const override { return snapshot.last_index; }
    Zxid last_zxid() const override { return snapshot.last_zxid; }
    bool read(uint64_t offset, size_t max_bytes, std::string* out, bool* last) override {
      if (offset >= fail_at) return false;
      *out = snapshot.data.substr(offset, max_bytes);
      *last = offset + out->size() == snapshot.data.size();
      return true;
    }
    Snapshot snapshot;
    uint64_t fail_at;
  };
  Snapshot snapshot_;
  uint64_t fail_at_offset_;
};

TEST(ConsensusCompaction, AnImageThatStopsServingIsReplacedByAFreshOne) {
  PersistentState leader = compacted_leader_state();
  leader.snapshot.data = std::string(640, 'q');
  MiniCluster cluster;
  cluster.add(1, leader, 64);
  cluster.add(2, leader, 64);
  cluster.add(3, stale_follower_state(), 64);
  FlakyImageSource flaky(leader.snapshot, 256);
  cluster.nodes[1] = std::make_unique<Node>(
      [&] {
        Config config;
        config.id = 1;
        config.voters = {1, 2, 3};
        config.random_seed = 7;
        config.max_snapshot_chunk_bytes = 64;
        config.snapshot_source = &flaky;
        return config;
      }(),
      leader);
  ASSERT_TRUE(cluster.elect_node_1_and_settle());
  EXPECT_NE(cluster.installed_images[3], leader.snapshot.data) << "the failure had no effect";
  for (int tick = 0; tick < 40; ++tick) {
    cluster.nodes[1]->tick();
    cluster.pump(cluster.delivered + 5'000);
  }
  EXPECT_EQ(flaky.opened, 2);
  EXPECT_EQ(cluster.installed_images[3], leader.snapshot.data);
  EXPECT_EQ(cluster.nodes[3]->last_index(), cluster.nodes[1]->last_index());
  EXPECT_TRUE(cluster.nodes[1]->invariant_failure().empty());
}

TEST(ConsensusCompaction, DivergenceAfterTheCompactedPrefixIsRepairedWithoutSnapshot) {
  // Epoch 2's leader wrote index 13 only to node 3 and was cut off; epoch 3's
  // leader (node 1, elected by node 2) wrote 13..20. All of it lies after the
  // leader's compacted prefix, so a diff repairs node 3.
  PersistentState leader = compacted_leader_state();
  leader.hard_state.epoch = 3;
  leader.entries.resize(2);  // 11 and 12, epoch 2
  for (LogIndex i = 13; i <= 20; ++i) leader.entries.push_back(data_entry(i, 3, i - 13));
  PersistentState follower = leader;
  follower.hard_state.epoch = 2;
  follower.entries.resize(2);
  follower.entries.push_back(data_entry(13, 2, 8));

  MiniCluster cluster;
  cluster.add(1, leader);
  cluster.add(2, leader);
  cluster.add(3, follower);

  ASSERT_TRUE(cluster.elect_node_1_and_settle());
  ASSERT_LT(cluster.delivered, 10'000u);
  EXPECT_EQ(cluster.snapshots_sent, 0u);
  EXPECT_EQ(cluster.nodes[3]->last_zxid(), cluster.nodes[1]->last_zxid());
  EXPECT_EQ(cluster.nodes[3]->zxid_at(13), cluster.nodes[1]->zxid_at(13));
}

}  // namespace
}  // namespace warden::consensus
