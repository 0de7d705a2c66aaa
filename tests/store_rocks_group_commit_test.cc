// GroupCommitter: many threads committing at once all complete, share
// writes, keep submission order for the log, and everything is there after a
// reopen.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/rocks_group_commit.h"
#include "store/rocks_storage.h"
#include "tests/store_rocks_test_util.h"

namespace warden::store {
namespace {

using testing::entry_for;
using testing::load_all;
using testing::open_storage;
using testing::TempDir;

constexpr int kThreads = 16;
constexpr int kCommitsPerThread = 100;

// Each thread commits its own tree records (blocking commit) and log entries
// (index taken and submitted under one lock, so the log stays dense).
void commit_from_many_threads(GroupCommitter* committer, std::atomic<int>* failures) {
  std::mutex index_mutex;
  consensus::LogIndex next_index = 1;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommitsPerThread; ++i) {
        WriteBatch tree;
        tree.tree_changes = {{"/t" + std::to_string(t) + "/" + std::to_string(i), "v"}};
        if (!committer->commit(std::move(tree)).is_ok()) ++*failures;
        std::promise<StorageStatus> logged;
        {
          std::lock_guard lock(index_mutex);
          WriteBatch log;
          log.entries = {entry_for(next_index++)};
          committer->submit(std::move(log),
                            [&logged](const StorageStatus& status) { logged.set_value(status); });
        }
        if (!logged.get_future().get().is_ok()) ++*failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

TEST(RocksGroupCommit, ManyThreadsAllCompleteAndShareWrites) {
  TempDir dir;
  constexpr int kTotal = kThreads * kCommitsPerThread;
  {
    auto storage = open_storage(dir.path());
    ASSERT_NE(storage, nullptr);
    GroupCommitter committer(storage.get());
    std::atomic<int> failures = 0;
    commit_from_many_threads(&committer, &failures);
    EXPECT_EQ(failures.load(), 0);
    const GroupCommitStats stats = committer.stats();
    EXPECT_EQ(stats.batches, 2u * kTotal);
    EXPECT_LT(stats.writes, stats.batches) << "no write carried more than one batch";
    std::printf("%llu batches in %llu synced writes\n",
                static_cast<unsigned long long>(stats.batches),
                static_cast<unsigned long long>(stats.writes));
  }
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  const testing::Loaded loaded = load_all(*storage);
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.to_string();
  EXPECT_EQ(loaded.recovered.entries, testing::entries_for(1, kTotal));
  EXPECT_EQ(loaded.tree.size(), static_cast<size_t>(kTotal));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCommitsPerThread; ++i) {
      EXPECT_EQ(loaded.tree.count("/t" + std::to_string(t) + "/" + std::to_string(i)), 1u);
    }
  }
}

TEST(RocksGroupCommit, ARefusedBatchFailsAloneAndQueuedWorkIsWrittenOnDestruction) {
  TempDir dir;
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  std::vector<StorageStatus> results(3);
  {
    GroupCommitter committer(storage.get());
    WriteBatch first, hole, second;
    first.entries = {entry_for(1)};
    hole.entries = {entry_for(5)};
    second.entries = {entry_for(2)};
    committer.submit(std::move(first), [&](const StorageStatus& s) { results[0] = s; });
    committer.submit(std::move(hole), [&](const StorageStatus& s) { results[1] = s; });
    committer.submit(std::move(second), [&](const StorageStatus& s) { results[2] = s; });
  }
  EXPECT_TRUE(results[0].is_ok()) << results[0].to_string();
  EXPECT_EQ(results[1].code(), StorageCode::kInvalidArgument);
  EXPECT_TRUE(results[2].is_ok()) << results[2].to_string();
  EXPECT_EQ(load_all(*storage).recovered.entries, testing::entries_for(1, 2));
}

}  // namespace
}  // namespace warden::store
