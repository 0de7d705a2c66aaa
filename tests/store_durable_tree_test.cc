// DurableTree on real RocksDB files: the tree survives a reopen exactly (same
// state hash, same records), and a writer process killed with SIGKILL at
// random points never loses a write it acknowledged. Each acknowledged write
// is one txn applied to a ZooState and written, with its log entry and the
// applied position, in one synced batch.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "store/rocks_durable_tree.h"
#include "store_rocks_test_util.h"
#include "store_txn_fixtures.h"

namespace warden::store {
namespace {

using fixtures::create_txn;
using fixtures::set_data_txn;
using testing::kClusterId;
using testing::open_storage;
using testing::TempDir;

// Applies `txn` as log entry `index` and writes entry, tree changes and
// applied position in one batch.
StorageStatus apply_durably(RocksStorage& storage, ZooState& state, DurableTree& durable,
                            consensus::LogIndex index, const Txn& txn) {
  const consensus::Zxid zxid = consensus::make_zxid(1, static_cast<uint32_t>(index));
  consensus::Entry entry{index, zxid, consensus::EntryType::kData, encode_txn(txn)};
  state.apply(txn, static_cast<int64_t>(zxid));
  WriteBatch batch;
  batch.entries.push_back(entry);
  durable.take_changes(LogPosition{index, zxid}, batch);
  return storage.write(batch);
}

TEST(StoreDurableTree, ReopenGivesTheSameStateAndLog) {
  TempDir dir;
  uint64_t hash = 0;
  {
    auto storage = open_storage(dir.path());
    ASSERT_NE(storage, nullptr);
    ZooState state;
    DurableTree durable(*storage, state);
    consensus::LogIndex index = 0;
    ASSERT_TRUE(apply_durably(*storage, state, durable, ++index, create_txn("/a", "x", 1)).is_ok());
    for (int i = 0; i < 20; ++i) {
      const Txn txn = create_txn("/a/n" + std::to_string(i), "v" + std::to_string(i), i + 1);
      ASSERT_TRUE(apply_durably(*storage, state, durable, ++index, txn).is_ok());
    }
    ASSERT_TRUE(
        apply_durably(*storage, state, durable, ++index, set_data_txn("/a/n3", "w", 1)).is_ok());
    hash = state.state_hash();
    EXPECT_EQ(durable.pending_changes(), 0u);
  }
  auto storage = open_storage(dir.path());
  ASSERT_NE(storage, nullptr);
  ZooState reloaded;
  DurableTree durable(*storage, reloaded);
  RecoveredStorage recovered;
  const StorageStatus status = durable.recover(&recovered);
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(reloaded.state_hash(), hash);
  EXPECT_EQ(recovered.applied.index, 22u);
  EXPECT_EQ(reloaded.last_applied_zxid(), static_cast<int64_t>(consensus::make_zxid(1, 22)));
  EXPECT_EQ(recovered.entries.size(), 22u);
  const Znode* node = reloaded.tree().find("/a/n3");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->data(), "w");
  EXPECT_EQ(node->stat.version, 1);
  EXPECT_EQ(reloaded.tree().find("/a")->stat.num_children, 20);
}

// The child: recover, then create /k<i> one by one, printing i once its batch
// is synced. Never returns.
[[noreturn]] void run_writer(const std::string& dir, int ack_fd) {
  std::unique_ptr<RocksStorage> storage;
  if (!RocksStorage::open(testing::options_for(dir), &storage).is_ok()) _exit(2);
  ZooState state;
  DurableTree durable(*storage, state);
  RecoveredStorage recovered;
  if (!durable.recover(&recovered).is_ok()) _exit(3);
  consensus::LogIndex index = recovered.applied.index;
  const Znode* root = state.tree().find("/");
  int32_t cversion = root->stat.cversion;
  for (int64_t i = static_cast<int64_t>(index);; ++i) {
    const Txn txn = create_txn("/k" + std::to_string(i), "value-" + std::to_string(i), ++cversion);
    if (!apply_durably(*storage, state, durable, ++index, txn).is_ok()) _exit(4);
    const std::string ack = std::to_string(i) + "\n";
    if (write(ack_fd, ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) _exit(5);
  }
}

TEST(StoreDurableTree, KilledWriterLosesNoAcknowledgedWrite) {
  TempDir dir;
  std::mt19937 random(20261124);
  int64_t highest_acked = -1;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      run_writer(dir.path(), fds[1]);
    }
    close(fds[1]);
    // Wait for its first acknowledgement (opening RocksDB takes a while under
    // sanitizers), let it write for a random while longer, then kill it
    // mid-flight.
    std::string acks;
    char buffer[4096];
    while (acks.find('\n') == std::string::npos) {
      const ssize_t n = read(fds[0], buffer, sizeof buffer);
      ASSERT_GT(n, 0) << "the writer died before its first acknowledgement";
      acks.append(buffer, static_cast<size_t>(n));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 200));
    kill(child, SIGKILL);
    int wait_status = 0;
    waitpid(child, &wait_status, 0);
    ASSERT_TRUE(WIFSIGNALED(wait_status))
        << "writer exited early with " << WEXITSTATUS(wait_status);
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) acks.append(buffer, n);
    close(fds[0]);
    for (size_t at = 0, end; (end = acks.find('\n', at)) != std::string::npos; at = end + 1) {
      highest_acked = std::max<int64_t>(highest_acked, std::stoll(acks.substr(at, end - at)));
    }

    auto storage = open_storage(dir.path());
    ASSERT_NE(storage, nullptr);
    ZooState state;
    DurableTree durable(*storage, state);
    RecoveredStorage recovered;
    const StorageStatus status = durable.recover(&recovered);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    for (int64_t i = 0; i <= highest_acked; ++i) {
      const Znode* node = state.tree().find("/k" + std::to_string(i));
      ASSERT_NE(node, nullptr) << "acknowledged /k" << i << " lost in round " << round;
      ASSERT_EQ(node->data(), "value-" + std::to_string(i));
    }
    EXPECT_GE(static_cast<int64_t>(recovered.applied.index), highest_acked + 1);
  }
  EXPECT_GT(highest_acked, 10) << "the writer barely wrote; the test proved little";
}

}  // namespace
}  // namespace warden::store
