#include "sim/disk.h"

#include <cassert>

namespace warden::sim {

using consensus::Entry;
using consensus::LogIndex;
using consensus::PersistentState;

void Disk::write_hard_state(const consensus::HardState& hard_state) {
  assert(!sync_in_flight_);
  std::string record;
  append_hard_state_record(record, hard_state);
  unsynced_hard_state_ = std::move(record);
}

void Disk::write_snapshot(const consensus::Snapshot& snapshot) {
  assert(!sync_in_flight_);
  std::string record;
  append_snapshot_record(record, snapshot);
  unsynced_snapshot_ = std::move(record);
}

void Disk::write_log_replacement(const std::vector<Entry>& entries) {
  assert(!sync_in_flight_);
  std::string log;
  for (const Entry& entry : entries) append_entry_record(log, entry);
  unsynced_log_replacement_ = std::move(log);
  // Appends made before the replacement are superseded by it.
  unsynced_log_.clear();
  first_unsynced_record_bytes_ = 0;
}

void Disk::append_truncate(LogIndex truncate_from) {
  assert(!sync_in_flight_);
  const size_t before = unsynced_log_.size();
  append_truncate_record(unsynced_log_, truncate_from);
  if (before == 0) first_unsynced_record_bytes_ = unsynced_log_.size();
}

void Disk::append_entry(const Entry& entry) {
  assert(!sync_in_flight_);
  const size_t before = unsynced_log_.size();
  append_entry_record(unsynced_log_, entry);
  if (before == 0) first_unsynced_record_bytes_ = unsynced_log_.size();
}

bool Disk::has_unsynced_writes() const {
  return unsynced_hard_state_ || unsynced_snapshot_ || unsynced_log_replacement_ ||
         !unsynced_log_.empty();
}

int64_t Disk::begin_sync() {
  assert(!sync_in_flight_);
  sync_in_flight_ = true;
  if (prng_.chance(profile_.slow_fsync_probability)) {
    return prng_.uniform_int(profile_.slow_fsync_min_us, profile_.slow_fsync_max_us);
  }
  return profile_.fsync_base_us + prng_.uniform_int(0, profile_.fsync_jitter_us);
}

void Disk::complete_sync() {
  assert(sync_in_flight_);
  sync_in_flight_ = false;
  ++syncs_completed_;
  if (unsynced_hard_state_) durable_hard_state_ = std::move(*unsynced_hard_state_);
  if (unsynced_snapshot_) durable_snapshot_ = std::move(*unsynced_snapshot_);
  if (unsynced_log_replacement_) durable_log_ = std::move(*unsynced_log_replacement_);
  durable_log_ += unsynced_log_;
  unsynced_hard_state_.reset();
  unsynced_snapshot_.reset();
  unsynced_log_replacement_.reset();
  unsynced_log_.clear();
  first_unsynced_record_bytes_ = 0;
}

bool Disk::crash(CrashDamage damage) {
  bool torn = false;
  // A torn append only makes sense on top of the durable log it extends.
  if (damage != CrashDamage::kNone && !unsynced_log_replacement_ && !unsynced_log_.empty()) {
    const size_t record_bytes = first_unsynced_record_bytes_;
    assert(record_bytes >= kRecordHeaderBytes);
    std::string partial = unsynced_log_.substr(0, record_bytes);
    if (damage == CrashDamage::kTornPrefix) {
      partial.resize(
          static_cast<size_t>(prng_.uniform_int(1, static_cast<int64_t>(record_bytes) - 1)));
    } else {
      const size_t at = prng_.below(record_bytes);
      partial[at] = static_cast<char>(partial[at] ^ (1 + prng_.below(255)));
    }
    durable_log_ += partial;
    torn = true;
  }
  unsynced_hard_state_.reset();
  unsynced_snapshot_.reset();
  unsynced_log_replacement_.reset();
  unsynced_log_.clear();
  first_unsynced_record_bytes_ = 0;
  sync_in_flight_ = false;
  return torn;
}

void Disk::install_compaction(const consensus::Snapshot& snapshot) {
  assert(!has_unsynced_writes() && !sync_in_flight_);
  PersistentState state = parse(nullptr, nullptr);
  durable_snapshot_.clear();
  append_snapshot_record(durable_snapshot_, snapshot);
  std::string log;
  for (const Entry& entry : state.entries) {
    if (entry.index > snapshot.last_index) append_entry_record(log, entry);
  }
  durable_log_ = std::move(log);
}

PersistentState Disk::recover_for_restart(RecoveryReport* report) {
  assert(!has_unsynced_writes() && !sync_in_flight_);
  size_t good_bytes = 0;
  RecoveryReport local;
  PersistentState state = parse(&local, &good_bytes);
  if (report != nullptr) *report = local;
  if (local.corrupt) {
    known_corrupt_ = true;
    return state;
  }
  durable_log_.resize(good_bytes);
  return state;
}

void Disk::rebuild(const consensus::HardState& hard_state) {
  assert(!has_unsynced_writes() && !sync_in_flight_);
  durable_hard_state_.clear();
  append_hard_state_record(durable_hard_state_, hard_state);
  durable_snapshot_.clear();
  durable_log_.clear();
  known_corrupt_ = false;
}

bool Disk::corrupt_at_rest(Prng& prng) {
  // Find the records' frames; damage one that has another after it.
  std::vector<std::pair<size_t, size_t>> frames;  // offset, total length
  DecodedRecord record;
  size_t offset = 0;
  while (true) {
    const size_t start = offset;
    if (decode_record(durable_log_, offset, record) != DecodeStatus::kOk) break;
    frames.emplace_back(start, offset - start);
  }
  if (frames.size() < 2) return false;
  const auto [start, length] = frames[prng.below(frames.size() - 1)];
  const size_t payload_byte =
      start + kRecordHeaderBytes + prng.below(static_cast<uint64_t>(length - kRecordHeaderBytes));
  durable_log_[payload_byte] = static_cast<char>(durable_log_[payload_byte] ^ 0x40);
  return true;
}

PersistentState Disk::read_durable(RecoveryReport* report) const {
  return parse(report, nullptr);
}

bool Disk::durable_holds(LogIndex index, consensus::Zxid zxid) const {
  const PersistentState state = parse(nullptr, nullptr);
  if (index < state.snapshot.last_index) return true;
  if (index == state.snapshot.last_index) return state.snapshot.last_zxid == zxid;
  for (const Entry& entry : state.entries) {
    if (entry.index == index) return entry.zxid == zxid;
  }
  return false;
}

namespace {

// Applies one log record to the entries read so far.
void replay_log_record(const DecodedRecord& record, std::vector<Entry>& entries) {
  LogIndex cut_from = 0;
  if (record.type == RecordType::kTruncate) {
    cut_from = record.truncate_from;
  } else if (!entries.empty() && record.entry.index <= entries.back().index) {
    cut_from = record.entry.index;  // writing over an index replaces it and what follows
  }
  if (cut_from != 0) {
    while (!entries.empty() && entries.back().index >= cut_from) entries.pop_back();
  }
  if (record.type == RecordType::kEntry) {
    assert(entries.empty() || record.entry.index == entries.back().index + 1);
    entries.push_back(record.entry);
  }
}

}  // namespace

// The record at `offset` failed its checksum; is it followed by more bytes
// than its own frame? (A torn record is always the last thing in the file.)
bool Disk::bad_record_has_successor(size_t offset) const {
  if (durable_log_.size() - offset < kRecordHeaderBytes) return false;
  uint32_t payload_length = 0;
  for (int i = 0; i < 4; ++i) {
    payload_length |= static_cast<uint32_t>(static_cast<uint8_t>(durable_log_[offset + i]))
                      << (8 * i);
  }
  return offset + kRecordHeaderBytes + payload_length < durable_log_.size();
}

PersistentState Disk::parse(RecoveryReport* report, size_t* good_bytes) const {
  PersistentState state;
  DecodedRecord record;
  size_t offset = 0;
  if (!durable_hard_state_.empty()) {
    [[maybe_unused]] DecodeStatus status = decode_record(durable_hard_state_, offset, record);
    assert(status == DecodeStatus::kOk && record.type == RecordType::kHardState);
    state.hard_state = record.hard_state;
  }
  offset = 0;
  if (!durable_snapshot_.empty()) {
    [[maybe_unused]] DecodeStatus status = decode_record(durable_snapshot_, offset, record);
    assert(status == DecodeStatus::kOk && record.type == RecordType::kSnapshot);
    state.snapshot = std::move(record.snapshot);
  }
  offset = 0;
  size_t records_read = 0;
  DecodeStatus status;
  while ((status = decode_record(durable_log_, offset, record)) == DecodeStatus::kOk) {
    assert(record.type == RecordType::kEntry || record.type == RecordType::kTruncate);
    replay_log_record(record, state.entries);
    ++records_read;
  }
  assert(status != DecodeStatus::kMalformed);
  size_t covered = 0;
  while (covered < state.entries.size() &&
         state.entries[covered].index <= state.snapshot.last_index) {
    ++covered;
  }
  state.entries.erase(state.entries.begin(), state.entries.begin() + covered);
  assert(state.entries.empty() || state.entries.front().index == state.snapshot.last_index + 1);
  if (report != nullptr) {
    *report = {records_read, status, durable_log_.size() - offset};
    report->corrupt = status == DecodeStatus::kBadChecksum && bad_record_has_successor(offset);
    report->corrupt_offset = offset;
  }
  if (good_bytes != nullptr) *good_bytes = offset;
  return state;
}

}  // namespace warden::sim
