// DurableReplica on real RocksDB directories: a 3-node cluster in one process
// commits txns, survives restarts of every node without applying anything
// twice, streams an image from a RocksDB snapshot to a new node while writes
// continue, and stalls (then resumes) on a full disk without losing a write.
#include <gtest/gtest.h>

#include "store/rocks_codec.h"
#include "store/rocks_group_commit.h"
#include "store/rocks_rebuild.h"
#include "tests/store_replica_cluster.h"

namespace warden::store {
namespace {

using testing::ReplicaCluster;

void expect_same_state(ReplicaCluster& cluster) {
  const uint64_t hash = cluster.replica(1).state().state_hash();
  for (consensus::NodeId id = 2; id <= 3; ++id) {
    if (!cluster.up(id)) continue;
    EXPECT_EQ(cluster.replica(id).state().state_hash(), hash) << "node " << id;
    EXPECT_EQ(cluster.replica(id).applied(), cluster.replica(1).applied()) << "node " << id;
  }
}

std::string data_of(ReplicaCluster& cluster, consensus::NodeId id, const std::string& path) {
  return cluster.replica(id).state().get_data(path, AuthContext{}).data;
}

TEST(DurableReplica, WritesCommitEverywhereAndSurviveARestartOfEveryNode) {
  testing::TempDir dir;
  ReplicaCluster cluster(dir.path());
  ASSERT_TRUE(cluster.elect());
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(cluster.write(i % 30));
  cluster.tick_all();  // carries the last commit point out
  expect_same_state(cluster);
  EXPECT_EQ(data_of(cluster, 2, "/k7"), "v3");
  const uint64_t before = cluster.replica(1).state().state_hash();

  for (consensus::NodeId id = 1; id <= 3; ++id) cluster.stop(id);
  for (consensus::NodeId id = 1; id <= 3; ++id) {
    const StorageStatus status = cluster.start(id);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
  }
  // Each node rebuilt what it had applied and persisted; after an election
  // the entries past that are re-committed and applied exactly once (a
  // setData applied twice would change the version and the hash).
  ASSERT_TRUE(cluster.elect());
  cluster.tick_all();
  expect_same_state(cluster);
  EXPECT_EQ(cluster.replica(3).state().state_hash(), before);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(cluster.write(i % 30));
  cluster.tick_all();
  expect_same_state(cluster);
  EXPECT_EQ(data_of(cluster, 3, "/k7"), "v4");
  for (consensus::NodeId id = 1; id <= 3; ++id) {
    EXPECT_EQ(cluster.replica(id).undecodable_entries(), 0u);
  }
}

TEST(DurableReplica, ANewNodeGetsAnImageStreamedInChunksWhileWritesContinue) {
  testing::TempDir dir;
  ReplicaCluster cluster(dir.path(), /*snapshot_chunk_bytes=*/1000);
  ASSERT_TRUE(cluster.elect());
  const consensus::NodeId leader = *cluster.leader();
  const consensus::NodeId newcomer = leader == 3 ? 2 : 3;
  cluster.wipe(newcomer);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(cluster.write(i));
  cluster.tick_all();
  ASSERT_GT(cluster.replica(leader).storage().snapshot().index, 0u)
      << "the leader never compacted, so no image is needed";

  ASSERT_TRUE(cluster.start(newcomer).is_ok());
  // Writes go on while the image streams: a write after every few messages.
  int key = 300;
  size_t writes_during_transfer = 0;
  for (int round = 0; round < 400 && cluster.images_installed(newcomer) == 0; ++round) {
    if (round % 20 == 0) cluster.replica(leader).node().tick();
    ASSERT_TRUE(cluster.write(key++, /*max_messages=*/4));
    ++writes_during_transfer;
  }
  cluster.tick_all();
  // Writes can outrun the transfer far enough that the leader compacts past
  // the image, and then the newcomer needs a second, newer one.
  EXPECT_GE(cluster.images_installed(newcomer), 1);
  EXPECT_GT(writes_during_transfer, 10u);
  EXPECT_GT(cluster.snapshot_messages(), 10u) << "the image did not travel in chunks";
  expect_same_state(cluster);
  EXPECT_EQ(data_of(cluster, newcomer, "/k5"), "v0");
  EXPECT_EQ(cluster.replica(newcomer).node().commit_index(),
            cluster.replica(leader).node().commit_index());

  // What it received is durable: it restarts from its own directory, at
  // least at the image, and catches up from the log.
  const LogPosition image = cluster.replica(newcomer).storage().snapshot();
  cluster.stop(newcomer);
  ASSERT_TRUE(cluster.start(newcomer).is_ok());
  EXPECT_GE(cluster.replica(newcomer).applied().index, image.index);
  EXPECT_GT(image.index, 300u);
  for (int tick = 0; tick < 5; ++tick) cluster.tick_all();
  expect_same_state(cluster);
}

TEST(DurableReplica, AnImageReplacesAStaleTreeAndItsLog) {
  testing::TempDir dir;
  ReplicaCluster cluster(dir.path(), 512);
  ASSERT_TRUE(cluster.elect());
  const consensus::NodeId leader = *cluster.leader();
  const consensus::NodeId lagger = leader == 3 ? 2 : 3;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(cluster.write(i));
  cluster.tick_all();
  cluster.stop(lagger);  // keeps a tree and log that fall far behind
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(cluster.write(1000 + i));
  cluster.tick_all();
  ASSERT_TRUE(cluster.start(lagger).is_ok());
  for (int tick = 0; tick < 30; ++tick) cluster.tick_all();
  EXPECT_EQ(cluster.images_installed(lagger), 1);
  expect_same_state(cluster);
  EXPECT_EQ(data_of(cluster, lagger, "/k1100"), "v0");
}

// A follower whose disk fills stalls with kNoSpace: it sends and applies
// nothing past what is on disk, the other two keep committing, and once
// space is back the same Ready is written and the node catches up, with
// nothing lost or doubled. Needs root for the tmpfs.
TEST(DurableReplica, AFullDiskStallsTheNodeAndItResumesWhenSpaceIsBack) {
  testing::TempDir dir;
  testing::Tmpfs tmpfs(dir.sub("small"));
  if (!tmpfs.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs (" << tmpfs.error() << "); needs root";
  }
  ReplicaCluster cluster(dir.path(), 1 << 20, {{3, dir.sub("small/node3")}});
  cluster.stop(3);  // so that node 3, on the small disk, is a follower
  ASSERT_TRUE(cluster.elect());
  ASSERT_TRUE(cluster.start(3).is_ok());
  cluster.tick_all();
  cluster.pad_values(32 << 10);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cluster.write(i));
  testing::fill_leaving(dir.sub("small/filler"), 512 << 10);

  int key = 10;
  for (; key < 400 && !cluster.replica(3).stalled(); ++key) ASSERT_TRUE(cluster.write(key));
  ASSERT_TRUE(cluster.replica(3).stalled()) << "the disk never filled";
  EXPECT_EQ(cluster.last_error(3).code(), StorageCode::kNoSpace);
  const LogPosition stalled_at = cluster.replica(3).applied();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(cluster.write(key++));  // the quorum goes on
  EXPECT_EQ(cluster.replica(3).applied(), stalled_at);
  EXPECT_GT(cluster.replica(1).applied().index, stalled_at.index);

  std::filesystem::remove(dir.sub("small/filler"));
  for (int tick = 0; tick < 20; ++tick) cluster.tick_all();
  EXPECT_FALSE(cluster.replica(3).stalled());
  expect_same_state(cluster);
  cluster.stop(3);
  ASSERT_TRUE(cluster.start(3).is_ok());
  for (int tick = 0; tick < 5; ++tick) cluster.tick_all();
  expect_same_state(cluster);
}

// A node whose log is damaged refuses to start, naming the record; rebuilt
// from its peers it keeps its identity and hard state, sets the damaged
// directory aside, withholds its vote while it catches up, and ends with the
// same state as the others.
TEST(DurableReplica, ADamagedNodeRefusesToStartAndIsRebuiltFromItsPeers) {
  testing::TempDir dir;
  ReplicaCluster cluster(dir.path());
  ASSERT_TRUE(cluster.elect());
  const consensus::NodeId leader = *cluster.leader();
  const consensus::NodeId damaged = leader == 3 ? 2 : 3;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(cluster.write(i));
  cluster.tick_all();
  cluster.stop(damaged);
  {
    // A log value copied under another index: it no longer matches its key.
    testing::RawDb raw(cluster.dir_of(damaged));
    std::string value;
    ASSERT_TRUE(raw.db()->Get({}, raw.cf("log"), rocks_codec::log_key(5), &value).ok());
    ASSERT_TRUE(raw.db()->Put({}, raw.cf("log"), rocks_codec::log_key(6), value).ok());
  }
  const StorageStatus refused = cluster.start(damaged);
  ASSERT_EQ(refused.code(), StorageCode::kCorruption) << refused.to_string();
  EXPECT_NE(refused.message().find("index 6"), std::string::npos) << refused.message();

  RebuildReport report;
  const StorageStatus rebuilt =
      rebuild_from_peers(cluster.options_for_node(damaged).storage, &report);
  ASSERT_TRUE(rebuilt.is_ok()) << rebuilt.to_string();
  EXPECT_EQ(report.damaged_dir, cluster.dir_of(damaged) + ".damaged");
  EXPECT_TRUE(std::filesystem::exists(report.damaged_dir + "/CURRENT"));
  EXPECT_EQ(report.after.epoch, report.before.epoch + 1);
  EXPECT_EQ(report.after.rebuilt_after_epoch, report.before.epoch);

  ASSERT_TRUE(cluster.start(damaged).is_ok());
  EXPECT_TRUE(cluster.replica(damaged).node().catching_up());
  for (int tick = 0; tick < 60 && cluster.replica(damaged).node().catching_up(); ++tick) {
    cluster.tick_all();
  }
  ASSERT_TRUE(cluster.elect());
  for (int i = 30; i < 40; ++i) ASSERT_TRUE(cluster.write(i));
  cluster.tick_all();
  EXPECT_FALSE(cluster.replica(damaged).node().catching_up());
  expect_same_state(cluster);
  EXPECT_EQ(data_of(cluster, damaged, "/k12"), "v0");
}

TEST(DurableReplica, ARebuildIsRefusedWhenTheHardStateDoesNotVerify) {
  testing::TempDir dir;
  {
    ReplicaCluster cluster(dir.path());
    ASSERT_TRUE(cluster.elect());
  }
  const std::string node_dir = dir.path() + "/node1";
  {
    testing::RawDb raw(node_dir);
    ASSERT_TRUE(
        raw.db()->Put({}, raw.cf("meta"), std::string(rocks_codec::kHardStateKey), "junk").ok());
  }
  RebuildReport report;
  const StorageStatus status = rebuild_from_peers(testing::options_for(node_dir), &report);
  EXPECT_EQ(status.code(), StorageCode::kCorruption) << status.to_string();
  EXPECT_NE(status.message().find("hard state"), std::string::npos) << status.message();
  EXPECT_TRUE(std::filesystem::exists(node_dir + "/CURRENT")) << "the directory was moved anyway";
  EXPECT_FALSE(std::filesystem::exists(node_dir + ".damaged"));
}

// A single voter in a directory of `dir`.
ReplicaOptions solo_options(const testing::TempDir& dir) {
  ReplicaOptions options;
  options.storage = testing::options_for(dir.sub("solo"));
  options.consensus.id = 1;
  options.consensus.voters = {1};
  return options;
}

// Carries out every Ready the node has.
void carry_out_readies(DurableReplica& replica) {
  ReplicaOutput out;
  while (replica.node().has_ready()) ASSERT_TRUE(replica.step(&out).is_ok());
}

// Ticks a single voter until it leads an established epoch.
bool elect_solo(DurableReplica& replica) {
  for (int tick = 0; tick < 50 && !replica.node().epoch_established(); ++tick) {
    replica.node().tick();
    carry_out_readies(replica);
  }
  return replica.node().epoch_established();
}

// The tree records on disk are a checkpoint: a znode set many times is not
// written each time, the tree on disk trails the applied state by at most
// tree_checkpoint_entries, and a restart without a flush replays the rest
// from the log to the same state.
TEST(DurableReplica, TheTreeOnDiskIsACheckpointThatTrailsAndRestartReplaysTheRest) {
  testing::TempDir dir;
  ReplicaOptions options = solo_options(dir);
  options.tree_checkpoint_entries = 50;
  std::unique_ptr<DurableReplica> replica;
  ASSERT_TRUE(DurableReplica::open(options, &replica).is_ok());
  auto run_steps = [&] { carry_out_readies(*replica); };
  ASSERT_TRUE(elect_solo(*replica));
  auto propose = [&](const Txn& txn) {
    ASSERT_EQ(replica->node().propose(encode_txn(txn)), consensus::ProposeResult::kAccepted);
    run_steps();
  };
  propose(fixtures::create_txn("/hot", "0", 1));
  const LogPosition checkpoint = replica->storage().applied();
  for (int version = 1; version <= 30; ++version) {
    propose(fixtures::set_data_txn("/hot", std::to_string(version), version));
  }
  // Thirty changes of one record, and none of them written yet.
  EXPECT_EQ(replica->storage().applied(), checkpoint);
  EXPECT_GE(replica->applied().index, checkpoint.index + 30);

  for (int version = 31; version <= 120; ++version) {
    propose(fixtures::set_data_txn("/hot", std::to_string(version), version));
  }
  // The checkpoint moved, and never trailed by more than its bound.
  EXPECT_GT(replica->storage().applied().index, checkpoint.index);
  EXPECT_LE(replica->applied().index, replica->storage().applied().index + 50 + 1);

  // Killed without a flush: the restart replays what the checkpoint lacks.
  const LogPosition applied = replica->applied();
  ASSERT_LT(replica->storage().applied().index, applied.index);
  replica.reset();
  ASSERT_TRUE(DurableReplica::open(options, &replica).is_ok());
  for (int tick = 0; tick < 50 && replica->applied().index < applied.index; ++tick) {
    replica->node().tick();
    run_steps();
  }
  EXPECT_GE(replica->applied().index, applied.index);
  EXPECT_EQ(replica->state().get_data("/hot", AuthContext{}).data, "120");
  EXPECT_EQ(replica->state().get_data("/hot", AuthContext{}).stat.version, 120);
}

// Large records do not wait for the checkpoint: past max_deferred_tree_bytes
// they go with the next write, so no single write grows large.
TEST(DurableReplica, LargeTreeRecordsAreWrittenOnceTheirBytesAddUp) {
  testing::TempDir dir;
  ReplicaOptions options = solo_options(dir);
  options.tree_checkpoint_entries = 1'000'000;
  options.max_deferred_tree_changes = 1'000'000;
  options.max_deferred_tree_bytes = 10'000;
  std::unique_ptr<DurableReplica> replica;
  ASSERT_TRUE(DurableReplica::open(options, &replica).is_ok());
  auto run_steps = [&] { carry_out_readies(*replica); };
  ASSERT_TRUE(elect_solo(*replica));
  const LogPosition start = replica->storage().applied();
  const std::string value(4096, 'v');
  for (int i = 0; i < 2; ++i) {
    const Txn txn = fixtures::create_txn("/big" + std::to_string(i), value, i + 1);
    ASSERT_EQ(replica->node().propose(encode_txn(txn)), consensus::ProposeResult::kAccepted);
    run_steps();
  }
  EXPECT_EQ(replica->storage().applied(), start) << "8 KiB wait for the checkpoint";
  for (int i = 2; i < 4; ++i) {
    const Txn txn = fixtures::create_txn("/big" + std::to_string(i), value, i + 1);
    ASSERT_EQ(replica->node().propose(encode_txn(txn)), consensus::ProposeResult::kAccepted);
    run_steps();
  }
  EXPECT_GT(replica->storage().applied().index, start.index)
      << "past 10,000 bytes the records went with a write";
}

// The two halves of a step with the write done by a GroupCommitter's thread,
// as a runtime that keeps serving reads during the fsync does it.
TEST(DurableReplica, AStepsWriteCanBeDoneByAGroupCommitter) {
  testing::TempDir dir;
  ReplicaOptions options = solo_options(dir);
  std::unique_ptr<DurableReplica> replica;
  ASSERT_TRUE(DurableReplica::open(options, &replica).is_ok());
  uint64_t writes = 0;
  {
    GroupCommitter committer(&replica->storage());
    auto run_steps = [&] {
      while (true) {
        const WriteBatch* batch = nullptr;
        ReplicaOutput now;
        ASSERT_TRUE(replica->start_step(&batch, &now).is_ok());
        EXPECT_TRUE(now.messages.empty()) << "a single node has nobody to send to";
        if (batch == nullptr) return;
        ReplicaOutput out;
        ASSERT_TRUE(replica->finish_step(committer.commit(*batch), &out).is_ok());
      }
    };
    for (int tick = 0; tick < 50 && !replica->node().epoch_established(); ++tick) {
      replica->node().tick();
      run_steps();
    }
    ASSERT_TRUE(replica->node().epoch_established());
    for (int i = 0; i < 20; ++i) {
      const Txn txn = fixtures::create_txn("/g" + std::to_string(i), "x", i + 1);
      ASSERT_EQ(replica->node().propose(encode_txn(txn)), consensus::ProposeResult::kAccepted);
    }
    run_steps();
    replica->node().tick();
    run_steps();
    writes = committer.stats().writes;
  }
  EXPECT_GT(writes, 0u);
  EXPECT_EQ(replica->state().get_data("/g19", AuthContext{}).data, "x");
  // Without a flush the last applies reach the disk only with the next
  // Ready that writes log entries or hard state; restart would replay them
  // from the log.
  const uint64_t hash = replica->state().state_hash();
  ASSERT_TRUE(replica->flush_applied().is_ok());
  const LogPosition applied = replica->applied();
  replica.reset();
  ASSERT_TRUE(DurableReplica::open(options, &replica).is_ok());
  EXPECT_EQ(replica->applied(), applied);
  EXPECT_EQ(replica->state().state_hash(), hash);
}

}  // namespace
}  // namespace warden::store
