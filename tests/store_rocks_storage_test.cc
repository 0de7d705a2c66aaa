// RocksStorage on real files: what is written is read back after a reopen,
// log truncation and compaction, the applied position travelling with the
// tree change, refusing other clusters' and newer formats' directories, and
// streaming a tree snapshot while writes continue.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/rocks_codec.h"
#include "store/rocks_storage.h"
#include "store/rocks_tree_snapshot.h"
#include "tests/store_rocks_test_util.h"

namespace warden::store {
namespace {

using consensus::Entry;
using consensus::HardState;
using testing::entries_for;
using testing::load_all;
using testing::Loaded;
using testing::open_storage;
using testing::position_of;
using testing::TempDir;

void expect_ok(const StorageStatus& status) {
  EXPECT_TRUE(status.is_ok()) << status.to_string();
}

// Several times what load()'s reader thread hands over in one batch.
constexpr int kManyRecords = 4000;

std::string many_key(int i) {
  char key[16];
  std::snprintf(key, sizeof key, "/r%05d", i);
  return key;
}

std::string many_payload(int i) {
  return std::string(200, static_cast<char>('a' + i % 26));
}

void write_many_records(RocksStorage& storage) {
  WriteBatch batch;
  for (int i = 0; i < kManyRecords; ++i)
    batch.tree_changes.emplace_back(many_key(i), many_payload(i));
  expect_ok(storage.write(batch));
}

TEST(RocksStorage, WhatIsWrittenLoadsBackAfterReopen) {
  TempDir dir;
  {
    auto storage = open_storage(dir.path());
    ASSERT_NE(storage, nullptr);
    WriteBatch batch;
    batch.hard_state = HardState{3, 2};
    batch.entries = entries_for(1, 10);
    batch.tree_changes = {{"/a", "alpha"}, {"/b", std::string("b\0ta", 4)}, {"/c", "gamma"}};
    batch.applied = position_of(4);
    expect_ok(storage->write(batch));
    WriteBatch delete_c;
    delete_c.tree_changes = {{"/c", std::nullopt}};
    expect_ok(storage->write(delete_c));
  }
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  const Loaded loaded = load_all(*storage);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.recovered.hard_state, (HardState{3, 2}));
  EXPECT_EQ(loaded.recovered.snapshot, LogPosition{});
  EXPECT_EQ(loaded.recovered.applied, position_of(4));
  EXPECT_EQ(loaded.recovered.entries, entries_for(1, 10));
  const std::map<std::string, std::string> tree{{"/a", "alpha"}, {"/b", std::string("b\0ta", 4)}};
  EXPECT_EQ(loaded.tree, tree);
  std::string payload;
  expect_ok(storage->get_tree_record("/a", &payload));
  EXPECT_EQ(payload, "alpha");
  EXPECT_EQ(storage->get_tree_record("/c", &payload).code(), StorageCode::kNotFound);
  EXPECT_EQ(storage->last_log_index(), 10u);
}

TEST(RocksStorage, ALargeTreeLoadsWholeAndInKeyOrder) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  write_many_records(*storage);
  int visited = 0;
  RecoveredStorage recovered;
  expect_ok(storage->load(&recovered, [&](std::string_view key, std::string_view payload) {
    EXPECT_EQ(key, many_key(visited));
    EXPECT_EQ(payload, many_payload(visited));
    ++visited;
    return StorageStatus::ok();
  }));
  EXPECT_EQ(visited, kManyRecords);
}

// The visitor runs on the caller's thread, the reading on another: an error
// or an exception from the visitor still ends the load there, and the
// reader with it.
TEST(RocksStorage, AVisitorErrorOrExceptionStopsALargeLoad) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  write_many_records(*storage);
  WriteBatch applied;
  applied.entries = entries_for(1, 2);
  applied.applied = position_of(2);
  expect_ok(storage->write(applied));
  constexpr int kStopAt = 1500;
  int visited = 0;
  RecoveredStorage recovered;
  const StorageStatus status = storage->load(&recovered, [&](std::string_view, std::string_view) {
    return ++visited == kStopAt ? StorageStatus::corruption("stop here") : StorageStatus::ok();
  });
  EXPECT_EQ(status.to_string(), StorageStatus::corruption("stop here").to_string());
  EXPECT_EQ(visited, kStopAt);
  EXPECT_TRUE(recovered.entries.empty());
  visited = 0;
  EXPECT_THROW(storage->load(&recovered,
                             [&](std::string_view, std::string_view) {
                               if (++visited == kStopAt) throw std::runtime_error("thrown");
                               return StorageStatus::ok();
                             }),
               std::runtime_error);
  EXPECT_EQ(visited, kStopAt);
  const Loaded loaded = load_all(*storage);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.tree.size(), static_cast<size_t>(kManyRecords));
  EXPECT_EQ(loaded.recovered.entries, entries_for(1, 2));
}

TEST(RocksStorage, NewEntriesReplaceTheTailFromTheirFirstIndex) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  WriteBatch first;
  first.entries = entries_for(1, 10);
  expect_ok(storage->write(first));
  WriteBatch conflicting;
  conflicting.entries = entries_for(6, 8, /*epoch=*/2);
  expect_ok(storage->write(conflicting));

  std::vector<Entry> expected = entries_for(1, 5);
  for (const Entry& entry : entries_for(6, 8, 2)) expected.push_back(entry);
  EXPECT_EQ(load_all(*storage).recovered.entries, expected);

  WriteBatch truncate;
  truncate.truncate_from = 4;
  expect_ok(storage->write(truncate));
  storage.reset();
  storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(load_all(*storage).recovered.entries, entries_for(1, 3));
  EXPECT_EQ(storage->last_log_index(), 3u);
}

TEST(RocksStorage, RefusesBatchesThatWouldBreakTheLog) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  WriteBatch first;
  first.entries = entries_for(1, 5);
  first.applied = position_of(3);
  expect_ok(storage->write(first));

  WriteBatch gap;
  gap.entries = entries_for(7, 8);
  EXPECT_EQ(storage->write(gap).code(), StorageCode::kInvalidArgument);
  WriteBatch not_dense;
  not_dense.entries = {testing::entry_for(6), testing::entry_for(8)};
  EXPECT_EQ(storage->write(not_dense).code(), StorageCode::kInvalidArgument);
  WriteBatch below_applied;
  below_applied.truncate_from = 3;
  const StorageStatus refused = storage->write(below_applied);
  EXPECT_EQ(refused.code(), StorageCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("applied"), std::string::npos) << refused.message();
  WriteBatch snapshot_without_applied;
  snapshot_without_applied.snapshot = position_of(5);
  EXPECT_EQ(storage->write(snapshot_without_applied).code(), StorageCode::kInvalidArgument);

  const Loaded loaded = load_all(*storage);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.recovered.entries, entries_for(1, 5));
  EXPECT_EQ(loaded.recovered.snapshot, LogPosition{});
}

// The applied position and the tree change it describes are one write: a
// refused batch leaves neither, and in a group only the refused batch is left
// out.
TEST(RocksStorage, AppliedPositionTravelsWithTheTreeChange) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  WriteBatch log;
  log.entries = entries_for(1, 3);
  expect_ok(storage->write(log));

  WriteBatch bad;
  bad.tree_changes = {{"/x", "never"}};
  bad.applied = position_of(1);
  bad.entries = entries_for(9, 9);  // a hole: the whole batch is refused
  WriteBatch apply_1;
  apply_1.tree_changes = {{"/one", "1"}};
  apply_1.applied = position_of(1);
  WriteBatch apply_2;
  apply_2.tree_changes = {{"/two", "2"}, {"/one", std::nullopt}};
  apply_2.applied = position_of(2);
  const WriteBatch* group[] = {&apply_1, &bad, &apply_2};
  const std::vector<StorageStatus> results = storage->write_group(group);
  expect_ok(results[0]);
  EXPECT_EQ(results[1].code(), StorageCode::kInvalidArgument);
  expect_ok(results[2]);

  storage.reset();
  storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  const Loaded loaded = load_all(*storage);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.recovered.applied, position_of(2));
  EXPECT_EQ(loaded.tree, (std::map<std::string, std::string>{{"/two", "2"}}));
}

TEST(RocksStorage, RefusesAnotherClustersDirectory) {
  TempDir dir;
  {
    auto storage = open_storage(dir.path(), 7);
    ASSERT_NE(storage, nullptr);
    WriteBatch batch;
    batch.entries = entries_for(1, 2);
    expect_ok(storage->write(batch));
  }
  const auto files_before = testing::listing(dir.path());
  std::unique_ptr<RocksStorage> storage;
  const StorageStatus status = RocksStorage::open(testing::options_for(dir.path(), 8), &storage);
  EXPECT_EQ(status.code(), StorageCode::kForeignCluster) << status.to_string();
  EXPECT_EQ(testing::listing(dir.path()), files_before) << "the refused open changed files";
  EXPECT_EQ(storage, nullptr);
  EXPECT_NE(status.message().find(dir.path()), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("0x0000000000000007"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("0x0000000000000008"), std::string::npos) << status.message();

  storage = open_storage(dir.path(), 7);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(load_all(*storage).recovered.entries, entries_for(1, 2));
}

TEST(RocksStorage, RefusesANewerFormat) {
  TempDir dir;
  open_storage(dir.path()).reset();
  {
    testing::RawDb raw(dir.path());
    const std::string_view key = rocks_codec::kFormatVersionKey;
    const std::string value = rocks_codec::seal(key, rocks_codec::encode_u32(2));
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("meta"), key, value).ok());
  }
  const auto files_before = testing::listing(dir.path());
  std::unique_ptr<RocksStorage> storage;
  const StorageStatus status = RocksStorage::open(testing::options_for(dir.path()), &storage);
  EXPECT_EQ(status.code(), StorageCode::kNewerFormat) << status.to_string();
  EXPECT_EQ(testing::listing(dir.path()), files_before) << "the refused open changed files";
  EXPECT_NE(status.message().find("format 2"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("format 1"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find(dir.path()), std::string::npos) << status.message();
}

TEST(RocksStorage, RefusesClusterIdZero) {
  TempDir dir;
  std::unique_ptr<RocksStorage> storage;
  EXPECT_EQ(RocksStorage::open(testing::options_for(dir.path(), 0), &storage).code(),
            StorageCode::kInvalidArgument);
}

TEST(RocksStorage, CompactionDropsOnlyEntriesUpToTheGivenIndex) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  WriteBatch batch;
  batch.entries = entries_for(1, 100);
  batch.applied = position_of(60);
  expect_ok(storage->write(batch));

  EXPECT_EQ(storage->compact_log(61).code(), StorageCode::kInvalidArgument);  // not applied yet
  expect_ok(storage->compact_log(50));
  expect_ok(storage->compact_log(40));  // already compacted: nothing to do
  WriteBatch more;
  more.entries = entries_for(101, 110);
  expect_ok(storage->write(more));

  storage.reset();
  storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  const Loaded loaded = load_all(*storage);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.recovered.snapshot, position_of(50));
  EXPECT_EQ(loaded.recovered.entries, entries_for(51, 110));
  WriteBatch into_snapshot;
  into_snapshot.truncate_from = 50;
  EXPECT_EQ(storage->write(into_snapshot).code(), StorageCode::kInvalidArgument);
}

TEST(RocksStorage, ASnapshotInABatchReplacesTheWholeLog) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  WriteBatch batch;
  batch.entries = entries_for(1, 20);
  expect_ok(storage->write(batch));
  WriteBatch install;
  install.snapshot = position_of(30, 2);
  install.applied = position_of(30, 2);
  install.clear_tree = true;
  install.tree_changes = {{"/from-snapshot", "s"}};
  install.entries = entries_for(31, 32, 2);
  expect_ok(storage->write(install));
  const Loaded loaded = load_all(*storage);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.recovered.snapshot, position_of(30, 2));
  EXPECT_EQ(loaded.recovered.entries, entries_for(31, 32, 2));
  EXPECT_EQ(loaded.tree, (std::map<std::string, std::string>{{"/from-snapshot", "s"}}));
}

std::string key_for(int i) {
  char key[32];
  std::snprintf(key, sizeof key, "/node-%05d", i);
  return key;
}

// Streams `reader` into `receiver` chunk by chunk, calling `between` after
// each chunk. Returns the number of chunks.
int stream(TreeSnapshotReader* reader, RocksStorage* receiver, size_t max_chunk_bytes,
           const std::function<void(int)>& between) {
  TreeChunkWriter writer(receiver);
  std::string chunk;
  bool done = false;
  int chunks = 0;
  while (!done) {
    EXPECT_TRUE(reader->next_chunk(max_chunk_bytes, &chunk, &done).is_ok());
    EXPECT_LE(chunk.size(), max_chunk_bytes + 30);
    EXPECT_TRUE(writer.apply(chunk).is_ok());
    between(chunks++);
  }
  EXPECT_TRUE(writer.complete());
  EXPECT_TRUE(writer.finish().is_ok());
  return chunks;
}

TEST(RocksStorage, TreeSnapshotStreamsItsOwnViewWhileWritesContinue) {
  TempDir dir;
  auto sender = open_storage(dir.sub("sender"));
  auto receiver = open_storage(dir.sub("receiver"));
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  WriteBatch initial;
  initial.entries = entries_for(1, 500);
  for (int i = 0; i < 500; ++i) initial.tree_changes.emplace_back(key_for(i), "v1-" + key_for(i));
  initial.applied = position_of(500);
  expect_ok(sender->write(initial));
  const std::map<std::string, std::string> at_snapshot = load_all(*sender).tree;

  WriteBatch receiver_old;  // the receiver has an older history of its own
  receiver_old.entries = entries_for(1, 3);
  receiver_old.tree_changes = {{"/stale", "x"}};
  receiver_old.applied = position_of(3);
  expect_ok(receiver->write(receiver_old));

  std::unique_ptr<TreeSnapshotReader> reader = sender->open_tree_snapshot();
  EXPECT_EQ(reader->position(), position_of(500));
  const int chunks = stream(reader.get(), receiver.get(), 1024, [&](int chunk) {
    WriteBatch later;  // the sender keeps serving: overwrite, delete, add
    later.entries = entries_for(501 + chunk, 501 + chunk);
    later.tree_changes = {{key_for(chunk * 7), "v2"},
                          {key_for(chunk * 7 + 1), std::nullopt},
                          {key_for(1000 + chunk), "new"}};
    later.applied = position_of(501 + chunk);
    EXPECT_TRUE(sender->write(later).is_ok());
  });
  EXPECT_GT(chunks, 10);
  EXPECT_NE(load_all(*sender).tree, at_snapshot);  // the writes did land

  receiver.reset();
  receiver = open_storage(dir.sub("receiver"));
  ASSERT_NE(receiver, nullptr);
  const Loaded loaded = load_all(*receiver);
  expect_ok(loaded.status);
  EXPECT_EQ(loaded.tree, at_snapshot);
  EXPECT_EQ(loaded.recovered.applied, position_of(500));
  EXPECT_EQ(loaded.recovered.snapshot, position_of(500));
  EXPECT_TRUE(loaded.recovered.entries.empty());
  WriteBatch next;  // the log continues after the snapshot
  next.entries = entries_for(501, 502);
  expect_ok(receiver->write(next));
}

TEST(RocksStorage, AnEmptyTreeStreamsAsOneChunk) {
  TempDir dir;
  auto sender = open_storage(dir.sub("sender"));
  auto receiver = open_storage(dir.sub("receiver"));
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  std::unique_ptr<TreeSnapshotReader> reader = sender->open_tree_snapshot();
  EXPECT_EQ(stream(reader.get(), receiver.get(), 1024, [](int) {}), 1);
  std::string chunk;
  bool done = false;
  EXPECT_EQ(reader->next_chunk(1024, &chunk, &done).code(), StorageCode::kInvalidArgument);
}

TEST(RocksStorage, ChunkWriterRefusesDamagedMisorderedOrIncompleteStreams) {
  TempDir dir;
  auto sender = open_storage(dir.sub("sender"));
  auto receiver = open_storage(dir.sub("receiver"));
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  WriteBatch initial;
  for (int i = 0; i < 100; ++i) initial.tree_changes.emplace_back(key_for(i), "value");
  expect_ok(sender->write(initial));
  WriteBatch receiver_tree;
  receiver_tree.tree_changes = {{"/mine", "kept"}};
  expect_ok(receiver->write(receiver_tree));

  std::unique_ptr<TreeSnapshotReader> reader = sender->open_tree_snapshot();
  std::vector<std::string> chunks;
  for (bool done = false; !done;) {
    chunks.emplace_back();
    ASSERT_TRUE(reader->next_chunk(200, &chunks.back(), &done).is_ok());
  }
  ASSERT_GE(chunks.size(), 3u);
  TreeChunkWriter writer(receiver.get());
  std::string damaged = chunks[0];
  damaged[5] ^= 0x10;
  EXPECT_EQ(writer.apply(damaged).code(), StorageCode::kCorruption);
  EXPECT_EQ(writer.apply(chunks[1]).code(), StorageCode::kInvalidArgument);  // not the first
  expect_ok(writer.apply(chunks[0]));
  EXPECT_EQ(writer.apply(chunks[0]).code(), StorageCode::kInvalidArgument);  // a repeat
  expect_ok(writer.apply(chunks[1]));
  EXPECT_EQ(writer.finish().code(), StorageCode::kInvalidArgument);  // not complete
  // An abandoned stream leaves the receiver's tree as it was.
  EXPECT_EQ(load_all(*receiver).tree, (std::map<std::string, std::string>{{"/mine", "kept"}}));
}

// Chunks sent back to back as one byte stream (the consensus layer cuts a
// snapshot at byte offsets) split again by their length prefixes.
TEST(RocksStorage, ChunksTravelBackToBackInOneByteStream) {
  TempDir dir;
  auto sender = open_storage(dir.sub("sender"));
  auto receiver = open_storage(dir.sub("receiver"));
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  WriteBatch initial;
  for (int i = 0; i < 100; ++i) initial.tree_changes.emplace_back(key_for(i), std::string(i, 'p'));
  expect_ok(sender->write(initial));
  std::unique_ptr<TreeSnapshotReader> reader = sender->open_tree_snapshot();
  std::string stream;
  int chunks_sent = 0;
  for (bool done = false; !done; ++chunks_sent) {
    std::string chunk;
    ASSERT_TRUE(reader->next_chunk(500, &chunk, &done).is_ok());
    stream += chunk;
  }
  TreeChunkWriter writer(receiver.get());
  int chunks_received = 0;
  for (std::string_view rest = stream; !rest.empty(); ++chunks_received) {
    const size_t length = tree_chunk_length(rest);
    ASSERT_GT(length, 0u);
    EXPECT_EQ(tree_chunk_length(rest.substr(0, length - 1)), 0u) << "a partial chunk";
    expect_ok(writer.apply(rest.substr(0, length)));
    rest.remove_prefix(length);
  }
  EXPECT_EQ(chunks_received, chunks_sent);
  EXPECT_GT(chunks_sent, 3);
  expect_ok(writer.finish());
  EXPECT_EQ(load_all(*receiver).tree, load_all(*sender).tree);
}

}  // namespace
}  // namespace warden::store
