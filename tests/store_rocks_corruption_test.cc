// Damage on disk is reported, never served: bytes flipped inside RocksDB's
// table files and WAL, and records that RocksDB itself holds intact but that
// fail our own checksums (a value under the wrong key, a tampered tree or
// meta record).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "store/rocks_codec.h"
#include "store/rocks_storage.h"
#include "tests/store_rocks_test_util.h"

namespace warden::store {
namespace {

using testing::load_all;
using testing::open_storage;
using testing::TempDir;

constexpr consensus::LogIndex kEntries = 60;
constexpr consensus::LogIndex kVictim = 25;

// Random bytes do not compress, so they appear verbatim in the files.
std::string distinctive_bytes(uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string bytes(96, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

void write_distinctive_entries_and_tree(const std::string& dir) {
  auto storage = open_storage(dir);
  ASSERT_NE(storage, nullptr);
  for (consensus::LogIndex index = 1; index <= kEntries; ++index) {
    WriteBatch batch;
    batch.entries = {consensus::Entry{index, testing::zxid_for(index), consensus::EntryType::kData,
                                      distinctive_bytes(index)}};
    batch.tree_changes = {{"/k" + std::to_string(index), distinctive_bytes(1000 + index)}};
    batch.applied = testing::position_of(index);
    ASSERT_TRUE(storage->write(batch).is_ok());
  }
}

// Flips one byte in the middle of the first occurrence of `pattern` in any
// file of `dir` whose name ends with `suffix`; returns the file's name.
std::string flip_byte_of(const std::string& dir, const std::string& suffix,
                         const std::string& pattern) {
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    const std::string path = file.path().string();
    if (!path.ends_with(suffix)) continue;
    std::fstream stream(path, std::ios::in | std::ios::out | std::ios::binary);
    std::string contents((std::istreambuf_iterator<char>(stream)),
                         std::istreambuf_iterator<char>());
    const size_t at = contents.find(pattern);
    if (at == std::string::npos) continue;
    stream.seekp(static_cast<std::streamoff>(at + pattern.size() / 2));
    stream.put(static_cast<char>(contents[at + pattern.size() / 2] ^ 0x40));
    return path;
  }
  ADD_FAILURE() << "pattern not found in any *" << suffix << " file of " << dir;
  return "";
}

// Opening or loading must refuse with kCorruption, saying what it is.
StorageStatus open_and_load(const std::string& dir) {
  std::unique_ptr<RocksStorage> storage;
  StorageStatus status = RocksStorage::open(testing::options_for(dir), &storage);
  if (!status.is_ok()) return status;
  const testing::Loaded loaded = load_all(*storage);
  EXPECT_TRUE(loaded.status.is_ok() || loaded.recovered.entries.empty());
  EXPECT_TRUE(loaded.status.is_ok() || loaded.tree.size() < kEntries);
  return loaded.status;
}

TEST(RocksCorruption, AByteFlippedInATableFileIsReported) {
  for (const bool in_tree : {false, true}) {
    TempDir dir;
    write_distinctive_entries_and_tree(dir.path());
    testing::RawDb(dir.path()).flush_all();
    const std::string pattern = distinctive_bytes(in_tree ? 1000 + kVictim : kVictim);
    const std::string file = flip_byte_of(dir.path(), ".sst", pattern);
    const StorageStatus status = open_and_load(dir.path());
    EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
    EXPECT_NE(status.message().find(std::filesystem::path(file).filename().string()),
              std::string::npos)
        << status.message();
    std::printf("flipped a byte in %s: %s\n", file.c_str(), status.to_string().c_str());
  }
}

TEST(RocksCorruption, AByteFlippedInTheWalIsReported) {
  TempDir dir;
  write_distinctive_entries_and_tree(dir.path());
  const std::string file = flip_byte_of(dir.path(), ".log", distinctive_bytes(kVictim));
  const StorageStatus status = open_and_load(dir.path());
  EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
  std::printf("flipped a byte in %s: %s\n", file.c_str(), status.to_string().c_str());
}

TEST(RocksCorruption, ALogValueUnderTheWrongIndexIsReported) {
  TempDir dir;
  write_distinctive_entries_and_tree(dir.path());
  {
    testing::RawDb raw(dir.path());
    std::string value;
    ASSERT_TRUE(raw.db()->Get({}, raw.cf("log"), rocks_codec::log_key(kVictim), &value).ok());
    ASSERT_TRUE(raw.db()->Put({}, raw.cf("log"), rocks_codec::log_key(kVictim + 1), value).ok());
  }
  const StorageStatus status = open_and_load(dir.path());
  EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find("'log'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("index " + std::to_string(kVictim + 1)), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("zxid " + std::to_string(testing::zxid_for(kVictim))),
            std::string::npos)
      << status.message();
}

TEST(RocksCorruption, ATamperedTreeRecordIsReportedWithItsKey) {
  TempDir dir;
  write_distinctive_entries_and_tree(dir.path());
  {
    testing::RawDb raw(dir.path());
    const std::string key = "/k" + std::to_string(kVictim);
    const std::string forged = rocks_codec::seal(key, "forged") + "!";
    ASSERT_TRUE(raw.db()->Put({}, raw.cf("tree"), key, forged).ok());
  }
  const StorageStatus status = open_and_load(dir.path());
  EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find("'tree'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("/k" + std::to_string(kVictim)), std::string::npos)
      << status.message();
}

// The load reads on one thread and applies on another: the records before
// the damaged one are still applied in order, and none after it.
TEST(RocksCorruption, ATamperedTreeRecordDeepInALargeTreeEndsTheLoadThere) {
  constexpr int kRecords = 4000, kDamaged = 3000;
  const auto key_of = [](int i) {
    char key[16];
    std::snprintf(key, sizeof key, "/r%05d", i);
    return std::string(key);
  };
  TempDir dir;
  {
    auto storage = open_storage(dir.path());
    ASSERT_NE(storage, nullptr);
    WriteBatch batch;
    for (int i = 0; i < kRecords; ++i)
      batch.tree_changes.emplace_back(key_of(i), distinctive_bytes(i));
    ASSERT_TRUE(storage->write(batch).is_ok());
  }
  {
    testing::RawDb raw(dir.path());
    const std::string forged = rocks_codec::seal(key_of(kDamaged), "forged") + "!";
    ASSERT_TRUE(raw.db()->Put({}, raw.cf("tree"), key_of(kDamaged), forged).ok());
  }
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  int visited = 0;
  RecoveredStorage recovered;
  const StorageStatus status =
      storage->load(&recovered, [&](std::string_view key, std::string_view) {
        EXPECT_EQ(key, key_of(visited));
        ++visited;
        return StorageStatus::ok();
      });
  EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find("'tree'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(key_of(kDamaged)), std::string::npos) << status.message();
  EXPECT_EQ(visited, kDamaged);
}

TEST(RocksCorruption, ATamperedMetaRecordIsReported) {
  TempDir dir;
  write_distinctive_entries_and_tree(dir.path());
  {
    testing::RawDb raw(dir.path());
    const std::string forged = rocks_codec::seal("not the key", rocks_codec::encode_u64(1));
    ASSERT_TRUE(raw.db()->Put({}, raw.cf("meta"), rocks_codec::kAppliedKey, forged).ok());
  }
  const StorageStatus status = open_and_load(dir.path());
  EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find("'meta'"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("applied"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace warden::store
