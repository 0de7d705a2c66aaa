// DurableTree: keeps a ZooState on RocksStorage. It notes which records each
// apply touched (through ZooState's change listener) and turns them into the
// tree part of a WriteBatch, with the applied position in the same batch, so
// the tree on disk is always exactly the state after some log prefix. On
// restart it rebuilds the ZooState from the tree records (every record's
// checksum verified; any failure refuses the whole load) and hands back the
// log, whose entries past the applied position the driver replays as the
// consensus core commits them again.
//
// Owned by a node's runtime next to its ZooState and RocksStorage; tests use
// it directly. Single-threaded (the node's thread).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "store/rocks_storage.h"
#include "store/zoo_state.h"

namespace warden::store {

class DurableTree {
 public:
  // Starts listening to `state`'s changes. Both must outlive this object.
  DurableTree(RocksStorage& storage, ZooState& state);
  ~DurableTree();
  DurableTree(const DurableTree&) = delete;
  DurableTree& operator=(const DurableTree&) = delete;

  // Replaces `state` with what the directory holds and fills `recovered`
  // (hard state, log, positions). On failure `state` is left empty and the
  // status says what is wrong and where.
  StorageStatus recover(RecoveredStorage* recovered);

  // Moves every record changed since the last call into `batch` (puts and
  // deletes) and sets the applied position. Call after applying through
  // `applied`, before writing the batch.
  void take_changes(const LogPosition& applied, WriteBatch& batch);
  size_t pending_changes() const { return changed_keys_.size(); }
  // About how many bytes of records those are (each counted as it was when
  // first noted).
  size_t pending_bytes() const { return pending_bytes_; }

 private:
  // Notes every record `state_` changes in changed_keys_.
  void listen();
  // Rebuilds `state_` from the storage, left partly built on failure.
  StorageStatus load(RecoveredStorage* recovered);

  // Looks a key up by string_view, without making a string of it.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };

  RocksStorage& storage_;
  ZooState& state_;
  // Hashed rather than ordered: every applied change looks here, and the
  // write batch needs no order.
  std::unordered_set<std::string, KeyHash, std::equal_to<>> changed_keys_;
  size_t pending_bytes_ = 0;
};

}  // namespace warden::store
