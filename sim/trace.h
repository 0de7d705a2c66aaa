// The run's fingerprint and flight recorder. Every processed event is folded
// into a 64-bit hash over a canonical encoding (time, kind, target, and for
// messages their type/from/to/epoch/indexes/entry count), so two runs of one
// seed can be compared by one number. The last events are kept as compact
// records and formatted into readable lines only when a violation is
// reported, so recording stays cheap.
//
// Owned by sim::Simulation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "consensus/message.h"
#include "consensus/node.h"
#include "sim/event_loop.h"

namespace warden::sim {

struct TraceRecord {
  int64_t time_us = 0;
  EventKind kind = EventKind::kTick;
  uint32_t target = 0;
  uint64_t arg = 0;

  // Set for delivered consensus messages.
  bool has_message = false;
  consensus::MessageType message_type = consensus::MessageType::kHeartbeat;
  uint32_t from = 0;
  uint32_t to = 0;
  uint32_t message_epoch = 0;
  uint64_t log_index = 0;  // prev_index for appends and their answers, else last_index
  uint64_t commit_index = 0;
  uint64_t match_index = 0;
  uint64_t hint_index = 0;  // rejected appends: where the follower suggests probing
  uint32_t entry_count = 0;
  bool reject = false;

  // The target node's state after the event, for node events.
  bool has_node_state = false;
  bool node_up = false;
  consensus::Role role = consensus::Role::kFollower;
  uint32_t node_epoch = 0;
  uint64_t node_commit = 0;
  uint64_t node_last_index = 0;

  // An index into the trace's notes (fault descriptions), or -1.
  int32_t note = -1;
};

class TraceLog {
 public:
  static constexpr size_t kKeptRecords = 200;

  // Folds the record into the hash and keeps it among the last records.
  void record(const TraceRecord& record);
  // Stores a free-text note (rare: faults) and returns its id for a record.
  int32_t add_note(std::string text);

  uint64_t hash() const { return hash_; }
  // The kept records, oldest first, one readable line each.
  std::vector<std::string> last_lines() const;
  static std::string format(const TraceRecord& record, const std::vector<std::string>& notes);

 private:
  void fold(uint64_t word) { hash_ = (hash_ ^ word) * 0x100000001b3ULL; }

  uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::array<TraceRecord, kKeptRecords> ring_{};
  size_t recorded_ = 0;
  std::vector<std::string> notes_;
};

}  // namespace warden::sim
