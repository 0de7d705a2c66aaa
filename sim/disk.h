// One node's simulated stable storage: an append-only log file of records
// (entries and "truncate from index"), a hard-state file and a snapshot file,
// the latter two replaced atomically. Writes sit in an unsynced buffer until
// the fsync that covers them completes; a crash drops them, and may leave the
// first unsynced log record torn (a prefix of its bytes, or a flipped byte),
// which recovery detects by length and CRC and discards with everything
// after it. What was never synced was never acknowledged, so losing it is
// correct; losing anything synced would be a simulator bug.
//
// Owned by sim::NodeHost (one per node); the invariant checker reads the
// durable state after crashes; tests drive it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "sim/prng.h"
#include "sim/record_codec.h"

namespace warden::sim {

struct DiskProfile {
  int64_t fsync_base_us = 800;
  int64_t fsync_jitter_us = 1500;
  double slow_fsync_probability = 0.01;  // a stalled device, a journal commit
  int64_t slow_fsync_min_us = 50'000;
  int64_t slow_fsync_max_us = 300'000;
};

enum class CrashDamage : uint8_t {
  kNone,         // unsynced writes simply vanish
  kTornPrefix,   // the first unsynced log record survives partly
  kFlippedByte,  // the first unsynced log record survives whole, one byte wrong
};

struct RecoveryReport {
  size_t records_read = 0;
  DecodeStatus stopped_by = DecodeStatus::kEnd;
  size_t bytes_discarded = 0;  // torn tail dropped by recovery
  // A record that fails its checksum with more records after it: not a torn
  // tail (only the last record can be torn) but damage at rest. Recovery must
  // not cut the log there; the node refuses to start.
  bool corrupt = false;
  size_t corrupt_offset = 0;
};

class Disk {
 public:
  Disk(const DiskProfile& profile, Prng prng) : profile_(profile), prng_(prng) {}

  // Buffered writes; durable once a sync started after them completes.
  void write_hard_state(const consensus::HardState& hard_state);
  void write_snapshot(const consensus::Snapshot& snapshot);
  // Replaces the whole log file (atomically, at the next sync) with `entries`.
  void write_log_replacement(const std::vector<consensus::Entry>& entries);
  void append_truncate(consensus::LogIndex truncate_from);
  void append_entry(const consensus::Entry& entry);

  bool has_unsynced_writes() const;
  bool sync_in_flight() const { return sync_in_flight_; }
  // Starts an fsync of everything written so far; returns how long it takes.
  int64_t begin_sync();
  // The fsync finished: everything written before it is durable.
  void complete_sync();

  // Power loss: unsynced writes vanish, an in-flight fsync never completes.
  // Returns true if a torn record was left behind.
  bool crash(CrashDamage damage);

  // Damage at rest: flips one payload byte of a synced log record that is not
  // the last one. False if the log has fewer than two records.
  bool corrupt_at_rest(Prng& prng);
  // Set once recovery met such damage: what this disk says can no longer be
  // trusted (the invariant checker stops counting it).
  bool known_corrupt() const { return known_corrupt_; }

  // An operator rebuilds a damaged node from its peers: the log and snapshot
  // are set aside, and the node starts over with `hard_state` (see
  // consensus::rebuilt_hard_state), synced. Only the hard-state file, which
  // damage at rest never touches, is read from the old disk.
  void rebuild(const consensus::HardState& hard_state);

  // After compaction: atomically, and already synced, replace the snapshot
  // and rewrite the log without the records the snapshot covers.
  void install_compaction(const consensus::Snapshot& snapshot);

  // What a restarting node finds. Also repairs the log file, cutting a torn
  // tail so that later appends land after the last good record. If the report
  // says `corrupt`, nothing is repaired and the state must not be used.
  consensus::PersistentState recover_for_restart(RecoveryReport* report = nullptr);
  // The same reading without repairing: for checkers and tests.
  consensus::PersistentState read_durable(RecoveryReport* report = nullptr) const;

  // True if the durable state holds `zxid` at `index` (or a durable snapshot
  // covers `index`).
  bool durable_holds(consensus::LogIndex index, consensus::Zxid zxid) const;

  size_t durable_log_bytes() const { return durable_log_.size(); }
  uint64_t syncs_completed() const { return syncs_completed_; }

 private:
  consensus::PersistentState parse(RecoveryReport* report, size_t* good_bytes) const;
  bool bad_record_has_successor(size_t offset) const;

  DiskProfile profile_;
  Prng prng_;

  std::string durable_hard_state_;  // one record, or empty
  std::string durable_snapshot_;    // one record, or empty
  std::string durable_log_;         // a sequence of records

  std::optional<std::string> unsynced_hard_state_;
  std::optional<std::string> unsynced_snapshot_;
  std::optional<std::string> unsynced_log_replacement_;
  std::string unsynced_log_;  // records appended after the durable log
  size_t first_unsynced_record_bytes_ = 0;
  bool sync_in_flight_ = false;
  uint64_t syncs_completed_ = 0;
  bool known_corrupt_ = false;
};

}  // namespace warden::sim
