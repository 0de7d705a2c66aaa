// A cluster of DurableReplicas in one process for tests: each on its own
// RocksDB directory (real files, fsync on), messages carried by a queue the
// test controls, ticks driven by the test. A node can be stopped (its object
// destroyed, as a process dies), restarted from its directory, or wiped and
// started empty, as a new node.
//
// Used by tests/store_replica_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/rocks_replica.h"
#include "store/txn.h"
#include "tests/store_rocks_test_util.h"
#include "tests/store_txn_fixtures.h"

namespace warden::store::testing {

class ReplicaCluster {
 public:
  // `dirs` places chosen nodes' directories elsewhere than under `root`.
  explicit ReplicaCluster(const std::string& root, size_t snapshot_chunk_bytes = 1 << 20,
                          std::map<consensus::NodeId, std::string> dirs = {})
      : root_(root), snapshot_chunk_bytes_(snapshot_chunk_bytes), dirs_(std::move(dirs)) {
    for (consensus::NodeId id = 1; id <= 3; ++id) start(id);
  }

  ReplicaOptions options_for_node(consensus::NodeId id) const {
    ReplicaOptions options;
    options.storage = testing::options_for(dir_of(id));
    options.consensus.id = id;
    options.consensus.voters = {1, 2, 3};
    options.consensus.random_seed = 11;
    options.consensus.forward_to_driver = false;
    options.consensus.max_snapshot_chunk_bytes = snapshot_chunk_bytes_;
    options.compact_every_entries = 40;
    options.retain_entries = 8;
    options.tree_chunk_bytes = 700;  // cut differently from the consensus chunks
    return options;
  }
  std::string dir_of(consensus::NodeId id) const {
    auto it = dirs_.find(id);
    return it != dirs_.end() ? it->second : root_ + "/node" + std::to_string(id);
  }

  StorageStatus start(consensus::NodeId id) {
    std::unique_ptr<DurableReplica> replica;
    StorageStatus status = DurableReplica::open(options_for_node(id), &replica);
    if (status.is_ok()) replicas_[id] = std::move(replica);
    return status;
  }
  void stop(consensus::NodeId id) { replicas_.erase(id); }
  void wipe(consensus::NodeId id) {
    stop(id);
    std::filesystem::remove_all(dir_of(id));
  }
  bool up(consensus::NodeId id) const { return replicas_.count(id) > 0; }
  DurableReplica& replica(consensus::NodeId id) { return *replicas_.at(id); }

  // Carries out Readies and delivers messages until nothing moves, or until
  // `max_messages` are delivered (the rest stay in flight). Messages to a
  // stopped node are lost.
  void pump(size_t max_messages = SIZE_MAX) {
    size_t delivered = 0;
    for (bool moved = true; moved && delivered < max_messages;) {
      moved = false;
      for (auto& [id, replica] : replicas_) {
        ReplicaOutput out;
        while (true) {
          const StorageStatus status = replica->step(&out);
          if (!status.is_ok()) {
            // Stalled (a full disk, say): it takes no input until a retry
            // succeeds. Only a disk that ran out of room is expected here.
            EXPECT_EQ(status.code(), StorageCode::kNoSpace)
                << "node " << id << ": " << status.to_string();
            last_error_[id] = status;
            break;
          }
          if (out.messages.empty() && out.applied.empty() && !out.state_replaced &&
              !replica->node().has_ready()) {
            break;
          }
          moved = true;
          if (out.state_replaced) ++images_installed_[id];
          for (consensus::Message& m : out.messages) {
            if (m.type == consensus::MessageType::kSnapshot) ++snapshot_messages_;
            in_flight_.push_back(std::move(m));
          }
        }
      }
      while (!in_flight_.empty() && delivered < max_messages) {
        moved = true;
        ++delivered;
        consensus::Message m = std::move(in_flight_.front());
        in_flight_.pop_front();
        // A stopped or stalled node loses it, as a dead or frozen process would.
        auto it = replicas_.find(m.to);
        if (it != replicas_.end() && !it->second->stalled()) it->second->node().step(m);
      }
    }
  }
  void tick_all() {
    for (auto& [id, replica] : replicas_) {
      if (!replica->stalled()) replica->node().tick();
    }
    pump();
  }

  std::optional<consensus::NodeId> leader() {
    for (auto& [id, replica] : replicas_) {
      if (replica->node().epoch_established()) return id;
    }
    return std::nullopt;
  }
  std::optional<consensus::NodeId> elect() {
    for (int tick = 0; tick < 200 && !leader(); ++tick) tick_all();
    return leader();
  }

  // Writes "/k<i>" (creating it on first use) through the leader and commits
  // it everywhere reachable; returns false if there is no leader.
  bool write(int key, size_t max_messages = SIZE_MAX) {
    const std::optional<consensus::NodeId> id = leader();
    if (!id) return false;
    const std::string path = "/k" + std::to_string(key);
    Txn txn;
    if (created_.insert(path).second) {
      txn = fixtures::create_txn(path, "v0" + padding_, next_root_cversion_++);
    } else {
      const int version = ++versions_[path];
      txn = fixtures::set_data_txn(path, "v" + std::to_string(version) + padding_, version);
    }
    if (replica(*id).node().propose(encode_txn(txn)) != consensus::ProposeResult::kAccepted) {
      return false;
    }
    pump(max_messages);
    return true;
  }

  // Makes every later write's value `bytes` longer.
  void pad_values(size_t bytes) { padding_.assign(bytes, 'p'); }
  // The last failed step of a node (ok if none).
  StorageStatus last_error(consensus::NodeId id) { return last_error_[id]; }
  size_t snapshot_messages() const { return snapshot_messages_; }
  size_t in_flight() const { return in_flight_.size(); }
  int images_installed(consensus::NodeId id) { return images_installed_[id]; }

 private:
  std::string root_;
  size_t snapshot_chunk_bytes_;
  std::map<consensus::NodeId, std::unique_ptr<DurableReplica>> replicas_;
  std::map<consensus::NodeId, std::string> dirs_;
  std::deque<consensus::Message> in_flight_;
  std::map<consensus::NodeId, StorageStatus> last_error_;
  std::string padding_;
  std::set<std::string> created_;
  std::map<std::string, int> versions_;
  int next_root_cversion_ = 1;
  size_t snapshot_messages_ = 0;
  std::map<consensus::NodeId, int> images_installed_;
};

}  // namespace warden::store::testing
