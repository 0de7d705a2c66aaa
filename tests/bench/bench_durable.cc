// The durable side at scale, on real RocksDB files (fsync on): a node holding
// N znodes of 100 bytes (default 1,000,000) —
//   restart:  open the directory and rebuild the ZooState from the tree
//             records (every checksum verified);
//   snapshot: stream the tree from a RocksDB snapshot into a new node's
//             directory, chunk by chunk, while a writer keeps committing
//             setData batches to the source; the receiver then restarts from
//             what it got and must match the snapshot's view.
// Prints the numbers; it enforces no thresholds.
// Usage: bench_durable [znodes] [work dir]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "store/rocks_durable_tree.h"
#include "store/rocks_storage.h"
#include "store/rocks_tree_snapshot.h"
#include "store_txn_fixtures.h"

namespace warden::store {
namespace {

constexpr uint64_t kClusterId = 42;
constexpr size_t kValueBytes = 100;
constexpr int64_t kBatchNodes = 10'000;
constexpr size_t kChunkBytes = 1 << 20;

using Clock = std::chrono::steady_clock;

Txn create_txn(const std::string& path, int32_t parent_cversion) {
  return fixtures::create_txn(path, std::string(kValueBytes, 'v'), parent_cversion);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::unique_ptr<RocksStorage> open_or_die(const std::string& dir) {
  RocksStorageOptions options;
  options.dir = dir;
  options.cluster_id = kClusterId;
  std::unique_ptr<RocksStorage> storage;
  const StorageStatus status = RocksStorage::open(options, &storage);
  if (!status.is_ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), status.to_string().c_str());
    std::exit(1);
  }
  return storage;
}

void check(const StorageStatus& status, const char* what) {
  if (status.is_ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, status.to_string().c_str());
  std::exit(1);
}

// Applies creates of /bench/n<i> and writes them in batches (tree records
// and applied position; the log is left empty, as after a snapshot).
void build(RocksStorage& storage, int64_t znodes) {
  ZooState state;
  DurableTree durable(storage, state);
  int64_t zxid = 1;
  state.apply(create_txn("/bench", 1), zxid);
  for (int64_t i = 0; i < znodes; ++i) {
    state.apply(create_txn("/bench/n" + std::to_string(i), static_cast<int32_t>(i + 1)), ++zxid);
    if ((i + 1) % kBatchNodes == 0 || i + 1 == znodes) {
      WriteBatch batch;
      const LogPosition at{static_cast<consensus::LogIndex>(zxid),
                           static_cast<consensus::Zxid>(zxid)};
      batch.snapshot = at;
      durable.take_changes(at, batch);
      check(storage.write(batch), "write");
    }
  }
}

int run(int64_t znodes, const std::string& work) {
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);
  const std::string source_dir = work + "/source", target_dir = work + "/target";

  auto start = Clock::now();
  {
    auto storage = open_or_die(source_dir);
    build(*storage, znodes);
  }
  std::printf("build: %lld znodes written in %.2f s\n", static_cast<long long>(znodes),
              seconds_since(start));

  start = Clock::now();
  auto source = open_or_die(source_dir);
  ZooState state;
  DurableTree durable(*source, state);
  RecoveredStorage recovered;
  check(durable.recover(&recovered), "recover");
  const double restart_s = seconds_since(start);
  std::printf("restart: %.2f s to open and load %zu znodes (target <= 3 s)\n", restart_s,
              state.tree().node_count());

  // Snapshot to a new node while a writer keeps committing setData batches.
  std::atomic<bool> streaming{true};
  std::atomic<int64_t> writes_during{0};
  auto snapshot = source->open_tree_snapshot();
  const LogPosition view = snapshot->position();
  std::thread writer([&] {
    int64_t zxid = static_cast<int64_t>(view.zxid);
    int64_t i = 0;
    while (streaming.load()) {
      for (int k = 0; k < 100; ++k, ++i) {
        state.apply(fixtures::set_data_txn("/bench/n" + std::to_string(i % znodes),
                                           std::string(kValueBytes, 'w'),
                                           static_cast<int32_t>(i / znodes + 1)),
                    ++zxid);
      }
      WriteBatch batch;
      durable.take_changes(
          LogPosition{static_cast<consensus::LogIndex>(zxid), static_cast<consensus::Zxid>(zxid)},
          batch);
      batch.snapshot = batch.applied;
      check(source->write(batch), "write during snapshot");
      writes_during += 100;
    }
  });
  start = Clock::now();
  auto target = open_or_die(target_dir);
  TreeChunkWriter receiver(target.get());
  size_t chunks = 0, bytes = 0;
  for (bool done = false; !done;) {
    std::string chunk;
    check(snapshot->next_chunk(kChunkBytes, &chunk, &done), "next_chunk");
    check(receiver.apply(chunk), "apply chunk");
    ++chunks;
    bytes += chunk.size();
  }
  check(receiver.finish(), "finish");
  const double snapshot_s = seconds_since(start);
  streaming = false;
  writer.join();
  std::printf(
      "snapshot: %.2f s to stream %zu chunks (%.1f MiB) to a new node while %lld "
      "setData were committed (target <= 10 s)\n",
      snapshot_s, chunks, static_cast<double>(bytes) / (1 << 20),
      static_cast<long long>(writes_during.load()));

  ZooState received;
  DurableTree received_durable(*target, received);
  RecoveredStorage target_recovered;
  check(received_durable.recover(&target_recovered), "recover target");
  std::printf("receiver: %zu znodes applied through index %llu (the snapshot's view: %llu)\n",
              received.tree().node_count(),
              static_cast<unsigned long long>(target_recovered.applied.index),
              static_cast<unsigned long long>(view.index));
  std::filesystem::remove_all(work);
  return received.tree().node_count() == state.tree().node_count() ? 0 : 1;
}

}  // namespace
}  // namespace warden::store

int main(int argc, char** argv) {
  const int64_t znodes = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const std::string work =
      argc > 2
          ? argv[2]
          : (std::filesystem::temp_directory_path() / ("warden-bench-" + std::to_string(getpid())))
                .string();
  return warden::store::run(znodes, work);
}
