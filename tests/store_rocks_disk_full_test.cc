// A full disk: on a small tmpfs, writes fail with kNoSpace once it fills,
// what was acknowledged stays loadable, and writing resumes once space is
// freed. Needs root to mount the tmpfs; skipped otherwise.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/rocks_storage.h"
#include "tests/store_rocks_test_util.h"

namespace warden::store {
namespace {

using consensus::LogIndex;

constexpr size_t kEntryBytes = 16 * 1024;

consensus::Entry big_entry(LogIndex index) {
  std::string data = testing::data_for(index);
  data.resize(kEntryBytes, static_cast<char>('a' + index % 26));
  return consensus::Entry{index, testing::zxid_for(index), consensus::EntryType::kData, data};
}

StorageStatus write_entry(RocksStorage* storage, LogIndex index) {
  WriteBatch batch;
  batch.entries = {big_entry(index)};
  batch.tree_changes = {{"/n" + std::to_string(index), "x"}};
  batch.applied = testing::position_of(index);
  return storage->write(batch);
}

void expect_entries_through(const RocksStorage& storage, LogIndex last) {
  const testing::Loaded loaded = testing::load_all(storage);
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.to_string();
  ASSERT_EQ(loaded.recovered.entries.size(), last);
  for (LogIndex index = 1; index <= last; ++index) {
    ASSERT_EQ(loaded.recovered.entries[index - 1], big_entry(index));
  }
  EXPECT_EQ(loaded.recovered.applied, testing::position_of(last));
  EXPECT_EQ(loaded.tree.size(), last);
}

TEST(RocksDiskFull, WritesFailWithNoSpaceThenResumeAndNothingIsLost) {
  testing::TempDir dir;
  testing::Tmpfs tmpfs(dir.sub("small"));
  if (!tmpfs.mounted()) {
    GTEST_SKIP() << "cannot mount an 8 MiB tmpfs (" << tmpfs.error()
                 << "); this test needs root (CAP_SYS_ADMIN)";
  }
  const std::string filler = dir.sub("small/filler");
  auto storage = testing::open_storage(dir.sub("small/db"));
  ASSERT_NE(storage, nullptr);
  LogIndex acknowledged = 0;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(write_entry(storage.get(), ++acknowledged).is_ok());

  testing::fill_leaving(filler, 100 * 1024);
  StorageStatus failed;
  for (int attempt = 0; attempt < 1000 && failed.is_ok(); ++attempt) {
    failed = write_entry(storage.get(), acknowledged + 1);
    if (failed.is_ok()) ++acknowledged;
  }
  ASSERT_EQ(failed.code(), StorageCode::kNoSpace) << failed.to_string();
  EXPECT_GT(acknowledged, 20u) << "the spare space took no writes";
  EXPECT_NE(failed.message().find("no space left"), std::string::npos) << failed.message();
  std::printf("after %llu entries: %s\n", static_cast<unsigned long long>(acknowledged),
              failed.to_string().c_str());
  expect_entries_through(*storage, acknowledged);  // reads keep working
  const StorageStatus again = write_entry(storage.get(), acknowledged + 1);
  EXPECT_EQ(again.code(), StorageCode::kNoSpace) << again.to_string();

  std::filesystem::remove(filler);
  for (int i = 0; i < 5; ++i) {
    const StorageStatus status = write_entry(storage.get(), acknowledged + 1);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    ++acknowledged;
  }
  expect_entries_through(*storage, acknowledged);
  storage.reset();
  storage = testing::open_storage(dir.sub("small/db"));
  ASSERT_NE(storage, nullptr);
  expect_entries_through(*storage, acknowledged);
  storage.reset();
}

}  // namespace
}  // namespace warden::store
