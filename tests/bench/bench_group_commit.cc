// Durable write throughput of RocksStorage through GroupCommitter: each of N
// writer threads commits one 100-byte log entry at a time and waits until it
// is synced to disk (fsync on, as in production). With one writer every
// entry pays a whole fsync; with many, the entries queued during one fsync
// share the next. Reports writes/s (items_per_second) and the average number
// of batches per synced write. The data directory is a fresh one under
// $TMPDIR (default /tmp), which must be on the disk being measured.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>

#include "store/rocks_group_commit.h"
#include "store/rocks_storage.h"

namespace warden::store {
namespace {

constexpr size_t kEntryBytes = 100;

struct SharedStorage {
  std::string dir;
  std::unique_ptr<RocksStorage> storage;
  std::unique_ptr<GroupCommitter> committer;
  std::mutex index_mutex;  // indexes are taken and submitted in one order
  consensus::LogIndex next_index = 1;
};
SharedStorage* shared = nullptr;

void set_up(benchmark::State& state) {
  shared = new SharedStorage;
  std::string pattern =
      (std::filesystem::temp_directory_path() / "warden-bench-group-commit-XXXXXX").string();
  shared->dir = ::mkdtemp(pattern.data());
  RocksStorageOptions options;
  options.dir = shared->dir + "/db";
  options.cluster_id = 1;
  options.sync_writes = true;
  const StorageStatus status = RocksStorage::open(options, &shared->storage);
  if (!status.is_ok()) {
    state.SkipWithError(status.to_string().c_str());
    return;
  }
  shared->committer = std::make_unique<GroupCommitter>(shared->storage.get());
}

void tear_down(benchmark::State& state) {
  if (shared->committer) {
    const GroupCommitStats stats = shared->committer->stats();
    state.counters["batches_per_sync"] =
        stats.writes == 0 ? 0.0 : static_cast<double>(stats.batches) / stats.writes;
  }
  shared->committer.reset();
  shared->storage.reset();
  std::filesystem::remove_all(shared->dir);
  delete shared;
  shared = nullptr;
}

StorageStatus commit_next_entry(const std::string& data) {
  std::promise<StorageStatus> done;
  {
    std::lock_guard lock(shared->index_mutex);
    const consensus::LogIndex index = shared->next_index++;
    WriteBatch batch;
    batch.entries = {consensus::Entry{index, consensus::make_zxid(1, static_cast<uint32_t>(index)),
                                      consensus::EntryType::kData, data}};
    shared->committer->submit(std::move(batch),
                              [&done](const StorageStatus& status) { done.set_value(status); });
  }
  return done.get_future().get();
}

void BM_DurableCommit(benchmark::State& state) {
  if (state.thread_index() == 0) set_up(state);
  const std::string data(kEntryBytes, 'x');
  for (auto _ : state) {  // starts once thread 0 has set up, for every thread
    if (!shared->committer) {
      state.SkipWithError("storage did not open");
      break;
    }
    const StorageStatus status = commit_next_entry(data);
    if (!status.is_ok()) {
      state.SkipWithError(status.to_string().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) tear_down(state);  // after every thread's loop
}

BENCHMARK(BM_DurableCommit)->Threads(1)->Threads(64)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace warden::store

BENCHMARK_MAIN();
