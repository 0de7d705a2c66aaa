// The simulated disk and its record codec: what survives a crash, how torn
// records are caught, and that truncation and compaction read back right.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/disk.h"
#include "sim/record_codec.h"

namespace warden::sim {
namespace {

using consensus::Entry;
using consensus::EntryType;
using consensus::HardState;
using consensus::PersistentState;
using consensus::Snapshot;

Entry make_entry(uint64_t index, uint32_t epoch, std::string data = "payload") {
  return Entry{index, consensus::make_zxid(epoch, static_cast<uint32_t>(index)), EntryType::kData,
               std::move(data)};
}

Disk make_disk(uint64_t seed = 7) {
  return Disk(DiskProfile{}, Prng(seed));
}

void write_and_sync(Disk& disk, const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) disk.append_entry(entry);
  disk.begin_sync();
  disk.complete_sync();
}

TEST(SimRecordCodec, EntryRoundTrip) {
  std::string bytes;
  const Entry entry{42, consensus::make_zxid(3, 7), EntryType::kData, std::string("a\0b", 3)};
  append_entry_record(bytes, entry);
  size_t offset = 0;
  DecodedRecord record;
  ASSERT_EQ(decode_record(bytes, offset, record), DecodeStatus::kOk);
  EXPECT_EQ(record.type, RecordType::kEntry);
  EXPECT_EQ(record.entry, entry);
  EXPECT_EQ(offset, bytes.size());
  EXPECT_EQ(decode_record(bytes, offset, record), DecodeStatus::kEnd);
}

TEST(SimRecordCodec, OtherRecordsRoundTrip) {
  std::string bytes;
  append_truncate_record(bytes, 17);
  append_hard_state_record(bytes, HardState{9, 2});
  append_snapshot_record(bytes, Snapshot{100, consensus::make_zxid(4, 1), "state"});
  size_t offset = 0;
  DecodedRecord record;
  ASSERT_EQ(decode_record(bytes, offset, record), DecodeStatus::kOk);
  EXPECT_EQ(record.truncate_from, 17u);
  ASSERT_EQ(decode_record(bytes, offset, record), DecodeStatus::kOk);
  EXPECT_EQ(record.hard_state, (HardState{9, 2}));
  ASSERT_EQ(decode_record(bytes, offset, record), DecodeStatus::kOk);
  EXPECT_EQ(record.snapshot, (Snapshot{100, consensus::make_zxid(4, 1), "state"}));
}

TEST(SimRecordCodec, Crc32cMatchesKnownVector) {
  // The standard check value of CRC-32C.
  EXPECT_EQ(crc32c("123456789"), 0xe3069283u);
}

TEST(SimRecordCodec, EveryFlippedByteIsCaught) {
  std::string bytes;
  append_entry_record(bytes, make_entry(5, 2));
  for (size_t at = 0; at < bytes.size(); ++at) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    size_t offset = 0;
    DecodedRecord record;
    const DecodeStatus status = decode_record(damaged, offset, record);
    EXPECT_TRUE(status == DecodeStatus::kBadChecksum || status == DecodeStatus::kShort)
        << "byte " << at << " gave " << decode_status_name(status);
  }
}

TEST(SimRecordCodec, EveryShortPrefixIsCaught) {
  std::string bytes;
  append_entry_record(bytes, make_entry(5, 2));
  for (size_t length = 1; length < bytes.size(); ++length) {
    size_t offset = 0;
    DecodedRecord record;
    EXPECT_EQ(decode_record(std::string_view(bytes).substr(0, length), offset, record),
              DecodeStatus::kShort);
  }
}

TEST(SimDisk, SyncedWritesSurviveACrashUnsyncedDoNot) {
  Disk disk = make_disk();
  disk.write_hard_state(HardState{3, 1});
  write_and_sync(disk, {make_entry(1, 1), make_entry(2, 1)});
  disk.write_hard_state(HardState{4, 2});
  disk.append_entry(make_entry(3, 1));
  disk.crash(CrashDamage::kNone);
  const PersistentState state = disk.recover_for_restart();
  EXPECT_EQ(state.hard_state, (HardState{3, 1}));
  ASSERT_EQ(state.entries.size(), 2u);
  EXPECT_EQ(state.entries.back().index, 2u);
}

TEST(SimDisk, AnInFlightSyncThatNeverCompletesIsLost) {
  Disk disk = make_disk();
  disk.append_entry(make_entry(1, 1));
  disk.begin_sync();
  disk.crash(CrashDamage::kNone);
  EXPECT_TRUE(disk.recover_for_restart().entries.empty());
}

TEST(SimDisk, TornRecordsAreDetectedAndDropped) {
  for (CrashDamage damage : {CrashDamage::kTornPrefix, CrashDamage::kFlippedByte}) {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
      Disk disk = make_disk(seed);
      write_and_sync(disk, {make_entry(1, 1), make_entry(2, 1)});
      disk.append_entry(make_entry(3, 1));
      disk.append_entry(make_entry(4, 1));
      ASSERT_TRUE(disk.crash(damage));
      RecoveryReport report;
      const PersistentState state = disk.recover_for_restart(&report);
      ASSERT_EQ(state.entries.size(), 2u) << "seed " << seed;
      EXPECT_NE(report.stopped_by, DecodeStatus::kOk);
      EXPECT_GT(report.bytes_discarded, 0u);
      // Recovery cut the torn tail, so new appends are readable after it.
      write_and_sync(disk, {make_entry(3, 2)});
      const PersistentState again = disk.read_durable();
      ASSERT_EQ(again.entries.size(), 3u) << "seed " << seed;
      EXPECT_EQ(again.entries.back().zxid, consensus::make_zxid(2, 3));
    }
  }
}

// Damage at rest is not a torn tail: recovery reports it, keeps the file as it
// is (no cut that would silently drop acknowledged records) and marks the
// disk untrustworthy. A torn tail is never reported as corruption.
TEST(SimDisk, DamageAtRestIsReportedNotCut) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Disk disk = make_disk(seed);
    write_and_sync(disk, {make_entry(1, 1), make_entry(2, 1), make_entry(3, 1)});
    const size_t bytes_before = disk.durable_log_bytes();
    Prng prng(seed);
    ASSERT_TRUE(disk.corrupt_at_rest(prng));
    RecoveryReport report;
    disk.recover_for_restart(&report);
    EXPECT_TRUE(report.corrupt) << "seed " << seed;
    EXPECT_EQ(report.stopped_by, DecodeStatus::kBadChecksum);
    EXPECT_EQ(disk.durable_log_bytes(), bytes_before);
    EXPECT_TRUE(disk.known_corrupt());
  }
  Disk torn = make_disk();
  write_and_sync(torn, {make_entry(1, 1)});
  torn.append_entry(make_entry(2, 1));
  ASSERT_TRUE(torn.crash(CrashDamage::kFlippedByte));
  RecoveryReport report;
  torn.recover_for_restart(&report);
  EXPECT_FALSE(report.corrupt);
  EXPECT_FALSE(torn.known_corrupt());
}

TEST(SimDisk, TruncateRecordsDropTheTail) {
  Disk disk = make_disk();
  write_and_sync(disk, {make_entry(1, 1), make_entry(2, 1), make_entry(3, 1)});
  disk.append_truncate(2);
  write_and_sync(disk, {make_entry(2, 2)});
  const PersistentState state = disk.read_durable();
  ASSERT_EQ(state.entries.size(), 2u);
  EXPECT_EQ(state.entries[1].zxid, consensus::make_zxid(2, 2));
  EXPECT_TRUE(disk.durable_holds(2, consensus::make_zxid(2, 2)));
  EXPECT_FALSE(disk.durable_holds(3, consensus::make_zxid(1, 3)));
}

TEST(SimDisk, CompactionKeepsOnlyEntriesAfterTheSnapshot) {
  Disk disk = make_disk();
  write_and_sync(disk, {make_entry(1, 1), make_entry(2, 1), make_entry(3, 1), make_entry(4, 1)});
  disk.install_compaction(Snapshot{2, consensus::make_zxid(1, 2), "image"});
  const PersistentState state = disk.read_durable();
  EXPECT_EQ(state.snapshot.last_index, 2u);
  ASSERT_EQ(state.entries.size(), 2u);
  EXPECT_EQ(state.entries.front().index, 3u);
  EXPECT_TRUE(disk.durable_holds(1, consensus::make_zxid(1, 1)));  // covered by the snapshot
}

TEST(SimDisk, ASnapshotWithItsLogReplacementIsAtomic) {
  Disk disk = make_disk();
  write_and_sync(disk, {make_entry(1, 1), make_entry(2, 1)});
  disk.write_snapshot(Snapshot{10, consensus::make_zxid(3, 10), "image"});
  disk.write_log_replacement({make_entry(11, 3)});
  disk.crash(CrashDamage::kTornPrefix);
  PersistentState state = disk.recover_for_restart();
  EXPECT_EQ(state.snapshot.last_index, 0u);
  EXPECT_EQ(state.entries.size(), 2u);

  disk.write_snapshot(Snapshot{10, consensus::make_zxid(3, 10), "image"});
  disk.write_log_replacement({make_entry(11, 3)});
  disk.begin_sync();
  disk.complete_sync();
  state = disk.read_durable();
  EXPECT_EQ(state.snapshot.last_index, 10u);
  ASSERT_EQ(state.entries.size(), 1u);
  EXPECT_EQ(state.entries.front().index, 11u);
}

TEST(SimDisk, FsyncDelaysStayWithinTheProfile) {
  DiskProfile profile;
  Disk disk(profile, Prng(3));
  for (int i = 0; i < 1000; ++i) {
    disk.append_entry(make_entry(static_cast<uint64_t>(i + 1), 1));
    const int64_t delay_us = disk.begin_sync();
    disk.complete_sync();
    EXPECT_GE(delay_us, profile.fsync_base_us);
    EXPECT_LE(delay_us, profile.slow_fsync_max_us);
  }
}

}  // namespace
}  // namespace warden::sim
