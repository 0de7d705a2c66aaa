// Basic vocabulary of the replicated log: node ids, epochs, zxids, log
// entries, the durable "hard state" and snapshots.
//
// Used by everything above consensus/ (store, sim, net). Depends on the C++
// standard library only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace warden::consensus {

// Identifies one member of the ensemble (ZooKeeper's myid). 0 means "nobody".
using NodeId = uint32_t;
inline constexpr NodeId kNoNode = 0;

// One leadership period. Every leader owns exactly one epoch; a node votes at
// most once per epoch.
using Epoch = uint32_t;

// ZooKeeper transaction id: the epoch in the high 32 bits, a counter that the
// epoch's leader increments in the low 32 bits. Counter 0 is the leader's
// "new epoch" entry that opens its epoch. Zxids only grow along a log.
using Zxid = uint64_t;

constexpr Zxid make_zxid(Epoch epoch, uint32_t counter) {
  return (static_cast<Zxid>(epoch) << 32) | counter;
}
constexpr Epoch epoch_of(Zxid zxid) {
  return static_cast<Epoch>(zxid >> 32);
}
constexpr uint32_t counter_of(Zxid zxid) {
  return static_cast<uint32_t>(zxid);
}

// Position of an entry in the log, 1-based and dense. Index 0 is the empty
// prefix (or, after compaction, the snapshot's last entry).
using LogIndex = uint64_t;

enum class EntryType : uint8_t {
  kNewEpoch = 0,  // opens a leader's epoch; carries no data, applies as a no-op
  kData = 1,      // an opaque command for the replicated state machine
};

struct Entry {
  LogIndex index = 0;
  Zxid zxid = 0;
  EntryType type = EntryType::kData;
  std::string data;

  size_t byte_size() const { return data.size() + 24; }
  bool operator==(const Entry&) const = default;
};

// What a node must have on stable storage before it sends any message that
// depends on it (a vote, an acknowledgement).
struct HardState {
  Epoch epoch = 0;             // the highest epoch this node has seen
  NodeId voted_for = kNoNode;  // whom it voted for in `epoch`, if anyone
  // Non-zero while a node rebuilt from its peers catches up: it lost entries
  // it may have acknowledged in epochs up to this one, so it neither votes
  // nor campaigns until it holds a committed entry of a later epoch (by then
  // it holds everything committed before). See rebuilt_hard_state().
  Epoch rebuilt_after_epoch = 0;
  bool operator==(const HardState&) const = default;
};

// The hard state a node restarts with after its log and state were lost and
// will be rebuilt from its peers. It starts one epoch past the one it had,
// so it refuses the leader it may have acknowledged entries to (that leader
// still counts those acknowledgements) and makes it step down; and it
// withholds its vote until it has caught up from a leader elected without it.
constexpr HardState rebuilt_hard_state(const HardState& before) {
  return HardState{before.epoch + 1, kNoNode, before.epoch};
}

// The state machine's image after applying every entry up to `last_index`.
struct Snapshot {
  LogIndex last_index = 0;
  Zxid last_zxid = 0;
  std::string data;
  bool operator==(const Snapshot&) const = default;
};

// What a node finds on disk when it starts: the driver reads it back and
// hands it to Node's constructor. `entries` follow the snapshot directly
// (entries[0].index == snapshot.last_index + 1).
struct PersistentState {
  HardState hard_state;
  Snapshot snapshot;
  std::vector<Entry> entries;
};

}  // namespace warden::consensus
