// What one atomic write to a node's durable storage contains: the consensus
// driver's part of a Ready (hard state, log replacement or truncation, new
// entries) and the state machine's part (tree records and the applied index
// they bring the tree to), so that "the tree is at zxid Z" is never on disk
// without the tree change itself.
//
// Plain data; built by the runtime (consensus driver, state machine) and
// handed to RocksStorage::write or GroupCommitter.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/types.h"

namespace warden::store {

// A point in the log: an index and the zxid of the entry there.
struct LogPosition {
  consensus::LogIndex index = 0;
  consensus::Zxid zxid = 0;
  bool operator==(const LogPosition&) const = default;
};

// Applied in this order, all or nothing:
//   hard_state; snapshot (replaces the whole stored log: every entry is
//   dropped, the log restarts after snapshot->index); truncation of the log
//   from min(truncate_from, entries[0].index); entries; clear_tree, then
//   tree_changes; applied.
// RocksStorage refuses (kInvalidArgument, nothing written) a batch that would
// leave a hole in the log, truncate at or below the snapshot or the applied
// index, or leave the applied index below the snapshot.
struct WriteBatch {
  std::optional<consensus::HardState> hard_state;
  std::optional<LogPosition> snapshot;
  std::optional<consensus::LogIndex> truncate_from;
  std::vector<consensus::Entry> entries;  // dense, increasing index and zxid
  bool clear_tree = false;                // wipe the tree first (installing a snapshot)
  // key -> new payload, or std::nullopt to delete the key.
  std::vector<std::pair<std::string, std::optional<std::string>>> tree_changes;
  std::optional<LogPosition> applied;  // the tree reflects the log up to here

  bool empty() const {
    return !hard_state && !snapshot && !truncate_from && entries.empty() && !clear_tree &&
           tree_changes.empty() && !applied;
  }
};

}  // namespace warden::store
