// A node whose disk was lost or damaged is rebuilt from its peers: it starts
// empty with rebuilt_hard_state(), one epoch past the one it had, and neither
// votes nor campaigns until it holds a committed entry of a later epoch. The
// tests show why each half is needed: an empty voter could elect a leader
// that lacks an entry the lost disk had acknowledged, and the old leader
// still counts that acknowledgement.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "consensus/node.h"
#include "tests/consensus_harness.h"

namespace warden::consensus {
namespace {

using testing::Cluster;

bool applied_contains(const Cluster& cluster, NodeId id, const std::string& value) {
  const std::vector<std::string> data = cluster.applied_data(id);
  return std::find(data.begin(), data.end(), value) != data.end();
}

// Node `lagger` never saw "x", which the leader committed with `rebuilt`'s
// acknowledgement; then `rebuilt` loses its disk and the leader dies. The
// lagger alone must not be able to win: the rebuilt node's empty log would
// otherwise vote for it and "x" would be gone.
TEST(ConsensusRebuild, ARebuiltNodeDoesNotVoteBeforeItHasCaughtUp) {
  Cluster cluster(3);
  const std::optional<NodeId> leader = cluster.run_until_leader();
  ASSERT_TRUE(leader);
  cluster.settle(2);
  const NodeId lagger = *leader == 1 ? 2 : 1;
  const NodeId rebuilt = 6 - *leader - lagger;
  cluster.isolate(lagger);
  ASSERT_EQ(cluster.propose(*leader, "x"), ProposeResult::kAccepted);
  cluster.settle(3);
  ASSERT_TRUE(applied_contains(cluster, *leader, "x"));

  cluster.crash(*leader);
  cluster.rebuild(rebuilt);
  EXPECT_TRUE(cluster.node(rebuilt).catching_up());
  cluster.heal();
  cluster.settle(10 * Config{}.election_timeout_ticks);
  EXPECT_FALSE(cluster.leader().has_value()) << "elected without the entry the lost disk held";

  // The old leader returns with "x"; it wins, and the rebuilt node catches up.
  cluster.restart(*leader);
  ASSERT_TRUE(cluster.run_until_leader());
  cluster.settle(5);
  for (NodeId id : cluster.ids()) {
    EXPECT_TRUE(applied_contains(cluster, id, "x")) << "node " << id;
  }
  EXPECT_FALSE(cluster.node(rebuilt).catching_up());
  EXPECT_EQ(cluster.disk(rebuilt).hard_state.rebuilt_after_epoch, 0u);
  EXPECT_TRUE(cluster.violations().empty()) << testing::describe_violations(cluster);
}

// The rebuilt node answers the leader it served before with a newer epoch, so
// that leader steps down rather than keep counting acknowledgements the lost
// disk no longer backs. A new leader, elected by the others, brings it up to
// date, and after that it votes again.
TEST(ConsensusRebuild, TheOldLeaderStepsDownAndANewOneBringsTheNodeUpToDate) {
  Cluster cluster(3);
  const std::optional<NodeId> leader = cluster.run_until_leader();
  ASSERT_TRUE(leader);
  cluster.settle(2);
  const Epoch old_epoch = cluster.node(*leader).epoch();
  for (int i = 0; i < 5; ++i) cluster.propose(*leader, "v" + std::to_string(i));
  cluster.settle(3);
  const NodeId rebuilt = *leader == 3 ? 2 : 3;
  cluster.rebuild(rebuilt);
  EXPECT_EQ(cluster.node(rebuilt).epoch(), old_epoch + 1);

  cluster.settle(1);
  EXPECT_NE(cluster.node(*leader).role(), Role::kLeader) << "the old leader kept leading";
  ASSERT_TRUE(cluster.run_until_leader());
  cluster.settle(5);
  const NodeId new_leader = *cluster.established_leader();
  EXPECT_NE(new_leader, rebuilt);
  EXPECT_GT(cluster.node(new_leader).epoch(), old_epoch + 1);
  EXPECT_FALSE(cluster.node(rebuilt).catching_up());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(applied_contains(cluster, rebuilt, "v" + std::to_string(i))) << i;
  }
  EXPECT_TRUE(cluster.violations().empty()) << testing::describe_violations(cluster);
}

// Catching up is durable: a rebuilt node that crashes before it has caught
// up still withholds its vote when it restarts.
TEST(ConsensusRebuild, CatchingUpSurvivesARestart) {
  Cluster cluster(3);
  ASSERT_TRUE(cluster.run_until_leader());
  cluster.settle(2);
  const NodeId rebuilt = *cluster.leader() == 3 ? 2 : 3;
  cluster.isolate(rebuilt);
  cluster.rebuild(rebuilt);
  cluster.settle(3);
  cluster.crash(rebuilt);
  cluster.restart(rebuilt);
  EXPECT_TRUE(cluster.node(rebuilt).catching_up());
  EXPECT_NE(cluster.disk(rebuilt).hard_state.rebuilt_after_epoch, 0u);
}

}  // namespace
}  // namespace warden::consensus
