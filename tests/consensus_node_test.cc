// Scenario tests for consensus::Node on the deterministic in-test cluster
// (tests/consensus_harness.h): elections, replication, the commit rule, log
// repair, leases (check-quorum, pre-vote), read index, observers, batching,
// flow control and snapshots. Each test drives one situation step by step and
// checks the exact property it is about; the harness additionally checks the
// always-on safety invariants, which every test asserts at its end.
//
// The PlantedBugs tests run some scenarios against the core's deliberate
// defects (Config::planted_bug) to show those scenarios really catch them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "consensus/message.h"
#include "consensus/node.h"
#include "consensus/types.h"
#include "tests/consensus_harness.h"

namespace warden::consensus {
namespace {

using testing::Cluster;
using testing::ClusterOptions;
using testing::ConfigTweak;
using testing::DropFilter;

constexpr int kElectionTicks = Config{}.election_timeout_ticks;

// Runs the whole-cluster durability checks, then expects no safety violation
// at all during the test.
#define EXPECT_NO_VIOLATIONS(cluster)                                                     \
  do {                                                                                    \
    (cluster).check_committed_durable();                                                  \
    (cluster).check_electable_voters_hold_committed();                                    \
    EXPECT_TRUE((cluster).violations().empty()) << testing::describe_violations(cluster); \
  } while (false)

// ----- Helpers ----------------------------------------------------------------

ConfigTweak without_pre_vote() {
  return [](Config& config) { config.pre_vote = false; };
}

std::vector<NodeId> others(const Cluster& cluster, NodeId excluded) {
  std::vector<NodeId> out;
  for (NodeId id : cluster.ids()) {
    if (id != excluded) out.push_back(id);
  }
  return out;
}

NodeId elect_any(Cluster& cluster) {
  const std::optional<NodeId> leader = cluster.run_until_leader();
  if (!leader) {
    ADD_FAILURE() << "no leader emerged";
    return kNoNode;
  }
  cluster.settle(2);
  return *leader;
}

std::vector<std::string> numbered(const std::string& prefix, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// Proposes every value on `id` (all must be accepted) and lets them commit
// everywhere reachable.
void commit_all(Cluster& cluster, NodeId id, const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    EXPECT_EQ(cluster.propose(id, value), ProposeResult::kAccepted) << value;
  }
  cluster.settle(3);
}

// Index of the first queued message matching `wanted`.
template <typename Predicate>
std::optional<size_t> find_in_flight(Cluster& cluster, Predicate wanted) {
  const auto& queue = cluster.in_flight();
  for (size_t k = 0; k < queue.size(); ++k) {
    if (wanted(queue[k])) return k;
  }
  return std::nullopt;
}

std::optional<size_t> find_in_flight(Cluster& cluster, MessageType type, NodeId from, NodeId to) {
  return find_in_flight(
      cluster, [&](const Message& m) { return m.type == type && m.from == from && m.to == to; });
}

// Ticks one node alone until it reaches `role`; false if it never does.
bool tick_until_role(Cluster& cluster, NodeId id, Role role, int max_ticks = 10 * kElectionTicks) {
  for (int i = 0; i < max_ticks && cluster.node(id).role() != role; ++i) cluster.tick(id);
  return cluster.node(id).role() == role;
}

// Every running node holds the same (index, zxid) sequence from `from` on,
// and the same entries where both still have them in memory.
void expect_identical_logs(Cluster& cluster, LogIndex from = 1) {
  const std::vector<NodeId> up = cluster.up_ids();
  ASSERT_FALSE(up.empty());
  const auto reference = cluster.zxids_of(up.front(), from);
  for (NodeId id : up) {
    EXPECT_EQ(cluster.zxids_of(id, from), reference) << "node " << id << " vs " << up.front();
    for (LogIndex index = from; index <= cluster.node(id).last_index(); ++index) {
      const Entry* mine = cluster.node(id).entry_at(index);
      const Entry* theirs = cluster.node(up.front()).entry_at(index);
      if (mine && theirs) {
        EXPECT_EQ(*mine, *theirs) << "node " << id << " index " << index;
      }
    }
  }
}

size_t campaigning(const Cluster& cluster) {
  return cluster.count_role(Role::kPreCandidate) + cluster.count_role(Role::kCandidate);
}

bool applied_anywhere(const Cluster& cluster, const std::string& data) {
  for (NodeId id : cluster.ids()) {
    const auto values = cluster.applied_data(id);
    if (std::find(values.begin(), values.end(), data) != values.end()) return true;
  }
  return false;
}

// ----- Elections and replication ------------------------------------------------

TEST(ConsensusNode, SingleNodeElectsItselfAndCommits) {
  Cluster cluster(1);
  ASSERT_EQ(cluster.run_until_leader(), std::optional<NodeId>(1));
  Node& node = cluster.node(1);
  EXPECT_TRUE(node.epoch_established());

  EXPECT_EQ(cluster.propose(1, "x"), ProposeResult::kAccepted);
  cluster.deliver_all();

  EXPECT_EQ(cluster.applied_data(1), std::vector<std::string>{"x"});
  EXPECT_EQ(node.commit_index(), node.last_index());
  ASSERT_EQ(cluster.applied(1).size(), 2u);
  const Entry& opening = cluster.applied(1).front();
  EXPECT_EQ(opening.type, EntryType::kNewEpoch);
  EXPECT_EQ(opening.zxid, make_zxid(node.epoch(), 0));
  EXPECT_EQ(cluster.applied(1).back().zxid, make_zxid(node.epoch(), 1));
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, ThreeNodesElectOneLeaderAndReplicate) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const Epoch epoch = cluster.node(leader).epoch();
  EXPECT_EQ(cluster.count_role(Role::kLeader), 1u);
  for (NodeId id : others(cluster, leader)) {
    EXPECT_EQ(cluster.node(id).role(), Role::kFollower);
    EXPECT_EQ(cluster.node(id).leader(), leader);
    EXPECT_EQ(cluster.node(id).epoch(), epoch);
  }

  const auto values = numbered("v", 5);
  commit_all(cluster, leader, values);

  for (NodeId id : cluster.ids()) {
    EXPECT_EQ(cluster.applied_data(id), values) << "node " << id;
    EXPECT_EQ(cluster.node(id).commit_index(), cluster.node(leader).last_index());
  }
  // The epoch's entries carry zxids epoch:0 (its opening), epoch:1, epoch:2...
  const auto& applied = cluster.applied(leader);
  for (size_t i = 0; i < applied.size(); ++i) {
    EXPECT_EQ(applied[i].zxid, make_zxid(epoch, static_cast<uint32_t>(i)));
  }
  expect_identical_logs(cluster);
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, FollowerAndObserverForwardProposalsToTheLeader) {
  Cluster cluster(3, 1);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = others(cluster, leader).front();
  const NodeId observer = 4;

  EXPECT_EQ(cluster.propose(follower, "from-follower"), ProposeResult::kAccepted);
  EXPECT_EQ(cluster.propose(observer, "from-observer"), ProposeResult::kAccepted);
  cluster.settle(3);

  const std::vector<std::string> expected{"from-follower", "from-observer"};
  for (NodeId id : cluster.ids()) EXPECT_EQ(cluster.applied_data(id), expected) << "node " << id;
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, ProposalWithoutAnyKnownLeaderIsRefused) {
  Cluster cluster(3);
  EXPECT_EQ(cluster.propose(1, "too-early"), ProposeResult::kNoLeader);
}

// ----- The commit rule -------------------------------------------------------------

// Observation of "a leader cut off from its followers keeps proposing".
struct CutOffLeaderRun {
  LogIndex commit_before = 0;
  LogIndex commit_after = 0;
  LogIndex last_after = 0;
  bool followers_have_it = false;
  bool applied_anywhere = false;
};

CutOffLeaderRun run_cut_off_leader(PlantedBug bug) {
  Cluster cluster(3, 0, [bug](Config& config) { config.planted_bug = bug; });
  CutOffLeaderRun run;
  const NodeId leader = elect_any(cluster);
  if (leader == kNoNode) return run;
  commit_all(cluster, leader, {"before"});
  run.commit_before = cluster.node(leader).commit_index();

  cluster.isolate(leader);
  EXPECT_EQ(cluster.propose(leader, "unreplicated"), ProposeResult::kAccepted);
  // Fewer ticks than an election timeout: it still believes it leads.
  for (int i = 0; i < kElectionTicks / 2; ++i) {
    cluster.tick(leader);
    cluster.deliver_all();
  }
  run.commit_after = cluster.node(leader).commit_index();
  run.last_after = cluster.node(leader).last_index();
  for (NodeId id : others(cluster, leader)) {
    run.followers_have_it |= cluster.node(id).last_index() >= run.last_after;
  }
  run.applied_anywhere = applied_anywhere(cluster, "unreplicated");
  return run;
}

TEST(ConsensusNode, LeaderCutOffFromItsFollowersCommitsNothing) {
  const CutOffLeaderRun run = run_cut_off_leader(PlantedBug::kNone);
  EXPECT_GT(run.last_after, run.commit_before) << "the proposal was not even appended";
  EXPECT_EQ(run.commit_after, run.commit_before);
  EXPECT_FALSE(run.followers_have_it);
  EXPECT_FALSE(run.applied_anywhere);
}

// A leader commits `shared_value`, is cut off, writes `tail_length`
// uncommitted entries no one else sees, and the other two elect a new leader.
struct DivergentTail {
  NodeId old_leader = kNoNode;
  std::optional<NodeId> new_leader;  // nullopt: the others failed to elect one
  LogIndex common_prefix = 0;
};

DivergentTail cut_off_leader_with_tail(Cluster& cluster, const std::string& shared_value,
                                       const std::string& tail_prefix, int tail_length) {
  DivergentTail run;
  run.old_leader = elect_any(cluster);
  if (run.old_leader == kNoNode) return run;
  commit_all(cluster, run.old_leader, {shared_value});
  run.common_prefix = cluster.node(run.old_leader).last_index();
  cluster.isolate(run.old_leader);
  for (const std::string& value : numbered(tail_prefix, tail_length)) {
    cluster.propose(run.old_leader, value);
  }
  cluster.deliver_all();
  for (int round = 0; round < 100 && !run.new_leader; ++round) {
    cluster.settle(1);
    const auto leader = cluster.established_leader();
    if (leader && *leader != run.old_leader) run.new_leader = leader;
  }
  return run;
}

TEST(ConsensusNode, StaleLeaderStepsDownAndItsDivergentTailIsReplaced) {
  // Without check-quorum the cut-off leader keeps believing it leads until it
  // hears of the newer epoch, which is the moment this test is about.
  Cluster cluster(3, 0, [](Config& config) { config.check_quorum = false; });
  // A tail longer than what the new leader will write, so repair must truncate.
  const DivergentTail run = cut_off_leader_with_tail(cluster, "committed", "lost", 6);
  ASSERT_NE(run.old_leader, kNoNode);
  const NodeId old_leader = run.old_leader;
  const LogIndex common_prefix = run.common_prefix;
  ASSERT_EQ(cluster.node(old_leader).last_index(), common_prefix + 6);
  const std::optional<NodeId> new_leader = run.new_leader;
  ASSERT_TRUE(new_leader);
  const Epoch new_epoch = cluster.node(*new_leader).epoch();
  commit_all(cluster, *new_leader, {"new0", "new1"});
  ASSERT_EQ(cluster.node(old_leader).role(), Role::kLeader) << "the old leader should be stale";
  ASSERT_LT(cluster.node(old_leader).epoch(), new_epoch);

  // One heartbeat round of the new leader reaches the old one.
  cluster.heal();
  cluster.tick(*new_leader);
  cluster.deliver_all();
  EXPECT_EQ(cluster.node(old_leader).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(old_leader).epoch(), new_epoch);
  EXPECT_EQ(cluster.node(old_leader).leader(), *new_leader);

  cluster.settle(5);
  expect_identical_logs(cluster);
  EXPECT_EQ(cluster.node(old_leader).last_index(), cluster.node(*new_leader).last_index());
  for (LogIndex index = common_prefix + 1; index <= cluster.node(old_leader).last_index();
       ++index) {
    EXPECT_EQ(epoch_of(*cluster.node(old_leader).zxid_at(index)), new_epoch) << index;
  }
  const std::vector<std::string> expected{"committed", "new0", "new1"};
  for (NodeId id : cluster.ids()) EXPECT_EQ(cluster.applied_data(id), expected) << "node " << id;
  EXPECT_NO_VIOLATIONS(cluster);
}

// A leader's appends leave before its own sync (Ready::early_messages), so
// the followers sync while it does. The leader crashing before that sync must
// lose nothing: the entry is not acknowledged until a quorum holds it, and the
// followers that hold it carry it into the next epoch.
TEST(ConsensusNode, ALeadersAppendsLeaveBeforeItsSyncAndItsCrashThenLosesNothing) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  commit_all(cluster, leader, {"a"});
  ASSERT_TRUE(cluster.in_flight().empty());

  ASSERT_EQ(cluster.node(leader).propose("b"), ProposeResult::kAccepted);
  Ready ready = cluster.node(leader).ready();
  ASSERT_EQ(ready.entries.size(), 1u);
  EXPECT_FALSE(ready.hard_state);
  std::map<NodeId, size_t> early_appends_of_b;
  for (const Message& m : ready.early_messages) {
    for (const Entry& entry : m.entries) early_appends_of_b[m.to] += entry.data == "b";
  }
  for (NodeId follower : others(cluster, leader)) {
    EXPECT_EQ(early_appends_of_b[follower], 1u) << "follower " << follower;
  }
  for (const Message& m : ready.messages) EXPECT_NE(m.type, MessageType::kAppend);

  // The appends are on the wire; the leader dies before its sync.
  for (Message& m : ready.early_messages) cluster.in_flight().push_back(std::move(m));
  cluster.crash(leader);
  ASSERT_TRUE(cluster.disk(leader).entries.empty() ||
              cluster.disk(leader).entries.back().data != "b");
  ASSERT_TRUE(cluster.run_until_leader());
  cluster.settle(3);
  cluster.restart(leader);
  ASSERT_TRUE(cluster.run_until_leader());
  cluster.settle(3);
  for (NodeId id : cluster.ids()) {
    EXPECT_EQ(cluster.applied_data(id), (std::vector<std::string>{"a", "b"})) << "node " << id;
  }
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, FollowerNeverCommitsPastWhatMatchesTheLeader) {
  Cluster cluster(3, 0, [](Config& config) { config.check_quorum = false; });
  const DivergentTail run = cut_off_leader_with_tail(cluster, "shared", "divergent", 3);
  ASSERT_NE(run.old_leader, kNoNode);
  const NodeId old_leader = run.old_leader;
  const LogIndex common_prefix = run.common_prefix;
  const std::optional<NodeId> new_leader = run.new_leader;
  ASSERT_TRUE(new_leader);
  // The new leader's commit index goes well past the old leader's tail.
  commit_all(cluster, *new_leader, numbered("new", 8));
  ASSERT_GT(cluster.node(*new_leader).commit_index(), cluster.node(old_leader).last_index());

  // Deliver one message at a time; after each, every index the old leader
  // calls committed must hold the new leader's entry.
  cluster.heal();
  cluster.tick(*new_leader);
  for (int step = 0; step < 200 && !cluster.in_flight().empty(); ++step) {
    cluster.deliver_at(0);
    const Node& rejoined = cluster.node(old_leader);
    EXPECT_LE(rejoined.commit_index(), rejoined.last_index());
    for (LogIndex index = common_prefix; index <= rejoined.commit_index(); ++index) {
      EXPECT_EQ(rejoined.zxid_at(index), cluster.node(*new_leader).zxid_at(index))
          << "step " << step << " index " << index;
    }
    if (cluster.in_flight().empty()) cluster.tick(*new_leader);
  }
  EXPECT_EQ(cluster.node(old_leader).commit_index(), cluster.node(*new_leader).commit_index());
  EXPECT_FALSE(applied_anywhere(cluster, "divergent0"));
  EXPECT_NO_VIOLATIONS(cluster);
}

// ----- Votes -------------------------------------------------------------------------

struct SecondVoteRun {
  bool first_granted = false;
  std::optional<bool> second_granted;  // nullopt: no answer at all
  NodeId voted_for_after = kNoNode;
  Epoch epoch = 0;
};

// Node 3 votes for node 1 in some epoch; optionally crashes and restarts;
// then node 2 asks for its vote in that same epoch.
SecondVoteRun run_second_vote(bool restart_between, PlantedBug bug) {
  Cluster cluster(3, 0, [bug](Config& config) {
    config.pre_vote = false;
    config.planted_bug = bug;
  });
  SecondVoteRun run;
  if (!tick_until_role(cluster, 1, Role::kCandidate)) return run;
  run.epoch = cluster.node(1).epoch();
  const auto request_to_3 = find_in_flight(cluster, MessageType::kVote, 1, 3);
  if (!request_to_3) return run;
  cluster.deliver_at(*request_to_3);
  const auto answer = find_in_flight(cluster, MessageType::kVoteResponse, 3, 1);
  run.first_granted = answer && !cluster.in_flight()[*answer].reject;
  cluster.in_flight().clear();

  if (restart_between) {
    cluster.crash(3);
    cluster.restart(3);
  }
  // Node 2 campaigns alone until it asks in that very epoch.
  for (int i = 0; i < 1000 && cluster.node(2).epoch() < run.epoch; ++i) cluster.tick(2);
  if (cluster.node(2).epoch() != run.epoch || cluster.node(2).role() != Role::kCandidate) {
    return run;
  }
  const auto request_from_2 = find_in_flight(cluster, MessageType::kVote, 2, 3);
  if (!request_from_2) return run;
  cluster.deliver_at(*request_from_2);
  if (const auto reply = find_in_flight(cluster, MessageType::kVoteResponse, 3, 2)) {
    run.second_granted = !cluster.in_flight()[*reply].reject;
  }
  run.voted_for_after = cluster.node(3).voted_for();
  return run;
}

TEST(ConsensusNode, NodeVotesOnlyOncePerEpoch) {
  const SecondVoteRun run = run_second_vote(false, PlantedBug::kNone);
  ASSERT_TRUE(run.first_granted);
  ASSERT_TRUE(run.second_granted.has_value()) << "node 3 never answered node 2";
  EXPECT_FALSE(*run.second_granted);
  EXPECT_EQ(run.voted_for_after, 1u);
}

TEST(ConsensusNode, VoteSurvivesRestartInTheMiddleOfAnElection) {
  const SecondVoteRun run = run_second_vote(true, PlantedBug::kNone);
  ASSERT_TRUE(run.first_granted);
  ASSERT_TRUE(run.second_granted.has_value()) << "node 3 never answered node 2";
  EXPECT_FALSE(*run.second_granted);
  EXPECT_EQ(run.voted_for_after, 1u);
}

TEST(ConsensusNode, VoteIsPersistedBeforeTheGrantIsSent) {
  Cluster cluster(3, 0, without_pre_vote());
  ASSERT_TRUE(tick_until_role(cluster, 1, Role::kCandidate));
  const auto request = find_in_flight(cluster, MessageType::kVote, 1, 3);
  ASSERT_TRUE(request);
  cluster.deliver_at(*request);
  // deliver_at carried out the whole Ready: if the grant left, the disk has it.
  ASSERT_TRUE(find_in_flight(cluster, MessageType::kVoteResponse, 3, 1));
  EXPECT_EQ(cluster.disk(3).hard_state, (HardState{cluster.node(1).epoch(), 1}));
}

struct OlderLogCandidateRun {
  bool staged = false;
  NodeId lagger = kNoNode;
  std::optional<bool> granted;
  NodeId voter_voted_for = kNoNode;
  std::optional<NodeId> next_leader;
};

// Node `lagger` misses entries that the other two commit; the leader then
// dies and the lagger asks the up-to-date survivor for its vote.
OlderLogCandidateRun run_older_log_candidate(PlantedBug bug) {
  // No leases (check-quorum off), so the survivor answers rather than ignores.
  Cluster cluster(3, 0, [bug](Config& config) {
    config.pre_vote = false;
    config.check_quorum = false;
    config.planted_bug = bug;
  });
  OlderLogCandidateRun run;
  const NodeId leader = elect_any(cluster);
  if (leader == kNoNode) return run;
  const NodeId lagger = others(cluster, leader)[0];
  const NodeId survivor = others(cluster, leader)[1];
  run.lagger = lagger;
  cluster.isolate(lagger);
  commit_all(cluster, leader, numbered("missed", 3));
  cluster.crash(leader);
  cluster.heal();
  cluster.in_flight().clear();

  // The lagger campaigns until its epoch is ahead of the survivor's.
  const Epoch survivor_epoch = cluster.node(survivor).epoch();
  for (int i = 0; i < 1000 && cluster.node(lagger).epoch() <= survivor_epoch + 1; ++i) {
    cluster.tick(lagger);
    std::erase_if(cluster.in_flight(), [&](const Message& m) {
      return m.type == MessageType::kVote && m.epoch < cluster.node(lagger).epoch();
    });
  }
  const auto request = find_in_flight(cluster, MessageType::kVote, lagger, survivor);
  run.staged = cluster.node(lagger).last_index() < cluster.node(survivor).last_index() &&
               request.has_value();
  if (!run.staged) return run;
  cluster.deliver_at(*request);
  if (const auto reply = find_in_flight(cluster, MessageType::kVoteResponse, survivor, lagger)) {
    run.granted = !cluster.in_flight()[*reply].reject;
  }
  run.voter_voted_for = cluster.node(survivor).voted_for();
  cluster.in_flight().clear();
  run.next_leader = cluster.run_until_leader();
  return run;
}

TEST(ConsensusNode, CandidateWithAnOlderLogIsRefused) {
  const OlderLogCandidateRun run = run_older_log_candidate(PlantedBug::kNone);
  ASSERT_TRUE(run.staged);
  ASSERT_TRUE(run.granted.has_value()) << "the survivor never answered";
  EXPECT_FALSE(*run.granted);
  EXPECT_NE(run.voter_voted_for, run.lagger);
  // Only the survivor can win now: it holds the committed entries.
  ASSERT_TRUE(run.next_leader);
  EXPECT_NE(*run.next_leader, run.lagger);
}

// A stale leader's long uncommitted tail of an old epoch loses against a
// shorter log that ends in a newer epoch: logs compare by last zxid first.
TEST(ConsensusNode, LongerLogFromAnOlderEpochLosesTheVote) {
  Cluster cluster(3, 0, [](Config& config) {
    config.pre_vote = false;
    config.check_quorum = false;
  });
  const NodeId stale = elect_any(cluster);
  ASSERT_NE(stale, kNoNode);
  cluster.isolate(stale);
  for (const std::string& value : numbered("tail", 6)) cluster.propose(stale, value);
  cluster.deliver_all();

  std::optional<NodeId> newer;
  for (int round = 0; round < 100 && !newer; ++round) {
    cluster.settle(1);
    const auto leader = cluster.established_leader();
    if (leader && *leader != stale) newer = leader;
  }
  ASSERT_TRUE(newer);
  commit_all(cluster, *newer, {"committed"});
  const NodeId voter =
      others(cluster, stale)[0] == *newer ? others(cluster, stale)[1] : others(cluster, stale)[0];
  ASSERT_GT(cluster.node(stale).last_index(), cluster.node(voter).last_index());
  ASSERT_LT(cluster.node(stale).last_zxid(), cluster.node(voter).last_zxid());

  // The newer leader dies. One heartbeat exchange tells the stale leader about
  // the newer epoch; then it campaigns alone until it asks past that epoch.
  cluster.crash(*newer);
  cluster.heal();
  cluster.tick(stale);
  cluster.deliver_all();
  ASSERT_NE(cluster.node(stale).role(), Role::kLeader);
  const Epoch voter_epoch = cluster.node(voter).epoch();
  for (int i = 0; i < 100 * kElectionTicks && (cluster.node(stale).epoch() <= voter_epoch ||
                                               cluster.node(stale).role() != Role::kCandidate);
       ++i) {
    cluster.in_flight().clear();
    cluster.tick(stale);
  }
  ASSERT_GT(cluster.node(stale).epoch(), voter_epoch);
  const auto request = find_in_flight(cluster, MessageType::kVote, stale, voter);
  ASSERT_TRUE(request);
  cluster.deliver_at(*request);
  const auto reply = find_in_flight(cluster, MessageType::kVoteResponse, voter, stale);
  ASSERT_TRUE(reply) << "the voter never answered";
  EXPECT_TRUE(cluster.in_flight()[*reply].reject);
  EXPECT_NE(cluster.node(voter).voted_for(), stale);

  cluster.deliver_all();
  cluster.restart(*newer);
  cluster.settle(10 * kElectionTicks);
  EXPECT_FALSE(applied_anywhere(cluster, "tail0"));
  for (NodeId id : cluster.ids()) {
    EXPECT_EQ(cluster.applied_data(id).front(), "committed") << "node " << id;
  }
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, CompetingCandidatesEndWithOneLeaderPerEpoch) {
  for (const bool pre_vote : {true, false}) {
    for (uint64_t seed = 1; seed <= 40; ++seed) {
      SCOPED_TRACE("seed " + std::to_string(seed) + (pre_vote ? " pre-vote" : " no pre-vote"));
      ClusterOptions options{5, 0, seed,
                             [pre_vote](Config& config) { config.pre_vote = pre_vote; }};
      Cluster cluster(options);
      // Hold all traffic until at least two nodes campaign at the same time.
      for (int tick = 0; tick < 10 * kElectionTicks && campaigning(cluster) < 2; ++tick) {
        cluster.tick_all();
      }
      ASSERT_GE(campaigning(cluster), 2u);
      // Then deliver the crossing requests in a seed-chosen order.
      std::mt19937_64 order(seed);
      while (!cluster.in_flight().empty()) {
        cluster.deliver_at(order() % cluster.in_flight().size());
      }
      const std::optional<NodeId> leader = cluster.run_until_leader();
      ASSERT_TRUE(leader);
      EXPECT_EQ(cluster.count_role(Role::kLeader), 1u);
      for (NodeId id : others(cluster, *leader)) {
        EXPECT_EQ(cluster.node(id).epoch(), cluster.node(*leader).epoch()) << "node " << id;
      }
      EXPECT_NO_VIOLATIONS(cluster);
    }
  }
}

// ----- Raft's Figure 8 -------------------------------------------------------------------

struct Figure8Run {
  bool staged = false;  // the old entry sat on a majority under a later leader
  LogIndex old_entry_index = 0;
  LogIndex commit_when_staged = 0;  // the later leader's commit index at that moment
  bool unsafe_when_staged = false;  // a voter lacking a committed entry could then win
  bool old_entry_applied = false;
  bool converged = false;  // in the end all five logs are identical
  std::vector<std::string> violations;
};

// Five nodes. S1 (epoch A) writes X and only S2 gets it. S5 wins epoch B with
// S3 and S4 and keeps its opening entry at X's index to itself. S1 comes back,
// wins epoch C and copies X onto S3 and S4 (a majority now holds X) while its
// own epoch-C entry is held back. Counting replicas would now commit X; but S1
// can still die and S5 win with S2-S4 and overwrite X with its epoch-B entry.
class Figure8 {
 public:
  explicit Figure8(PlantedBug bug)
      : cluster_(5, 0, [bug](Config& config) {
          config.planted_bug = bug;
          config.max_entries_per_append = 1;  // so X can travel without S1's later entries
        }) {}

  Figure8Run run() {
    if (s1_writes_x_to_s2_only() && s5_leads_epoch_b_alone() && s1_leads_epoch_c_and_spreads_x()) {
      s5_returns_and_overwrites();
    }
    cluster_.check_committed_durable();
    result_.violations = cluster_.violations();
    return result_;
  }

 private:
  bool s1_writes_x_to_s2_only() {
    if (!cluster_.elect(1)) return false;
    cluster_.settle(3);
    epoch_a_ = cluster_.node(1).epoch();
    cluster_.propose(1, "X");
    cluster_.deliver_all(
        [](const Message& m) { return m.type == MessageType::kAppend && m.to != 2; });
    result_.old_entry_index = cluster_.node(1).last_index();
    x_zxid_ = *cluster_.node(1).zxid_at(result_.old_entry_index);
    return cluster_.node(2).zxid_at(result_.old_entry_index) == std::optional<Zxid>(x_zxid_);
  }

  // S1 is down and S2 cut off; S5's appends go nowhere.
  bool s5_leads_epoch_b_alone() {
    cluster_.crash(1);
    cluster_.isolate(2);
    const DropFilter s5_keeps_its_entries = [](const Message& m) {
      return m.type == MessageType::kAppend && m.from == 5;
    };
    if (!cluster_.elect(5, 500, s5_keeps_its_entries)) return false;
    epoch_b_ = cluster_.node(5).epoch();
    cluster_.crash(5);
    cluster_.heal();
    cluster_.in_flight().clear();
    return true;
  }

  // S1's appends reach a follower only as far as their consistency check:
  // where the follower lacks the previous entry it gets the (entry-less) probe
  // and answers with a hint; where it has it, the epoch-C entry is lost.
  bool s1_leads_epoch_c_and_spreads_x() {
    cluster_.restart(1);
    cluster_.set_in_transit_edit([this](Message& m) { return hold_back_epoch_c(m); });
    if (!cluster_.elect(1)) return false;
    for (int round = 0; round < 20; ++round) {
      cluster_.settle(1,
                      [](const Message& m) { return testing::is_vote_request(m) && m.from != 1; });
    }
    size_t holders = 0;
    for (NodeId id = 1; id <= 4; ++id) {
      holders += cluster_.node(id).zxid_at(result_.old_entry_index) == std::optional<Zxid>(x_zxid_);
    }
    result_.staged = holders >= 3 && cluster_.node(1).role() == Role::kLeader &&
                     cluster_.node(1).epoch() > epoch_b_;
    result_.commit_when_staged = cluster_.node(1).commit_index();
    const size_t violations_before = cluster_.violations().size();
    cluster_.check_electable_voters_hold_committed();
    result_.unsafe_when_staged = cluster_.violations().size() > violations_before;
    cluster_.set_in_transit_edit({});
    return true;
  }

  bool hold_back_epoch_c(Message& m) {
    if (m.type != MessageType::kAppend || m.from != 1) return true;
    if (!testing::carries_entries_of_epoch(m, cluster_.node(1).epoch())) return true;
    if (!cluster_.is_up(m.to)) return false;
    if (cluster_.node(m.to).zxid_at(m.prev_index) == std::optional<Zxid>(m.prev_zxid)) return false;
    const Epoch epoch_a = epoch_a_;
    std::erase_if(m.entries, [epoch_a](const Entry& e) { return epoch_of(e.zxid) > epoch_a; });
    return true;
  }

  // S1 dies before its epoch is established; S5 wins with S2-S4 and its
  // epoch-B entry replaces X everywhere.
  void s5_returns_and_overwrites() {
    cluster_.crash(1);
    cluster_.restart(5);
    if (!cluster_.elect(5)) return;
    cluster_.settle(5);
    cluster_.restart(1);
    cluster_.settle(10);
    result_.old_entry_applied = applied_anywhere(cluster_, "X");
    const auto reference = cluster_.zxids_of(5, 1);
    result_.converged = cluster_.node(5).zxid_at(result_.old_entry_index) == make_zxid(epoch_b_, 0);
    for (NodeId id : cluster_.ids()) result_.converged &= cluster_.zxids_of(id, 1) == reference;
  }

  Cluster cluster_;
  Figure8Run result_;
  Epoch epoch_a_ = 0;
  Epoch epoch_b_ = 0;
  Zxid x_zxid_ = 0;
};

Figure8Run run_figure8(PlantedBug bug) {
  return Figure8(bug).run();
}

TEST(ConsensusNode, Figure8OldEpochEntryIsNotCommittedByCounting) {
  const Figure8Run run = run_figure8(PlantedBug::kNone);
  ASSERT_TRUE(run.staged) << "the scenario did not reach Figure 8's critical state";
  EXPECT_LT(run.commit_when_staged, run.old_entry_index);
  EXPECT_FALSE(run.unsafe_when_staged);
  EXPECT_FALSE(run.old_entry_applied);
  EXPECT_TRUE(run.converged);
  EXPECT_TRUE(run.violations.empty())
      << run.violations.size()
      << " violations, first: " << (run.violations.empty() ? "" : run.violations.front());
}

// ----- Leases: check-quorum and pre-vote ------------------------------------------------

TEST(ConsensusNode, LeaderInContactKeepsLeading) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const Epoch epoch = cluster.node(leader).epoch();
  cluster.settle(20 * kElectionTicks);
  EXPECT_EQ(cluster.leader(), std::optional<NodeId>(leader));
  EXPECT_EQ(cluster.node(leader).epoch(), epoch);
  EXPECT_EQ(cluster.leaders_by_epoch().size(), 1u);
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, CheckQuorumLeaderWithoutQuorumStepsDown) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  cluster.isolate(leader);
  int ticks = 0;
  while (cluster.node(leader).role() == Role::kLeader && ticks < 10 * kElectionTicks) {
    cluster.tick(leader);
    cluster.deliver_all();
    ++ticks;
  }
  EXPECT_NE(cluster.node(leader).role(), Role::kLeader);
  // Contact is checked once per election timeout, so within two of them.
  EXPECT_LE(ticks, 2 * kElectionTicks);
  EXPECT_EQ(cluster.propose(leader, "no-leader"), ProposeResult::kNoLeader);
}

// The loner comes back campaigning: its pre-vote reaches the others before
// any heartbeat reaches it. Its log is as long as theirs (nothing was written
// meanwhile), so only the leader lease makes them refuse.
TEST(ConsensusNode, PreVoteKeepsAPartitionedNodeFromDisruptingTheLeader) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const Epoch epoch = cluster.node(leader).epoch();
  const NodeId loner = others(cluster, leader).front();

  cluster.isolate(loner);
  cluster.settle(20 * kElectionTicks);
  EXPECT_EQ(cluster.node(loner).epoch(), epoch);
  EXPECT_EQ(cluster.disk(loner).hard_state.epoch, epoch);
  EXPECT_NE(cluster.node(loner).role(), Role::kCandidate);

  cluster.heal();
  const size_t pre_votes_before = cluster.sent_count(MessageType::kPreVote);
  for (int i = 0;
       i < 4 * kElectionTicks && cluster.sent_count(MessageType::kPreVote) == pre_votes_before;
       ++i) {
    cluster.tick(loner);
  }
  ASSERT_GT(cluster.sent_count(MessageType::kPreVote), pre_votes_before);
  cluster.deliver_all();
  cluster.settle(3 * kElectionTicks);

  EXPECT_EQ(cluster.leader(), std::optional<NodeId>(leader));
  EXPECT_EQ(cluster.node(leader).epoch(), epoch);
  EXPECT_EQ(cluster.leaders_by_epoch().size(), 1u);
  EXPECT_EQ(cluster.node(loner).role(), Role::kFollower);
  EXPECT_EQ(cluster.node(loner).leader(), leader);

  commit_all(cluster, leader, {"after-rejoin"});
  EXPECT_EQ(cluster.applied_data(loner), std::vector<std::string>{"after-rejoin"});
  EXPECT_NO_VIOLATIONS(cluster);
}

// The leader's process dies: the transport of each follower sees its
// connection end, and they elect a new leader within a few ticks, not an
// election timeout.
TEST(ConsensusNode, FollowersThatLoseTheLeadersConnectionElectWithinAFewTicks) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  commit_all(cluster, leader, {"before"});
  cluster.crash(leader);
  for (NodeId id : others(cluster, leader)) cluster.node(id).peer_connection_lost(leader);
  int ticks = 0;
  std::optional<NodeId> next;
  for (; ticks < kElectionTicks && !next; ++ticks) {
    cluster.tick_all();
    cluster.deliver_all();
    next = cluster.established_leader();
  }
  ASSERT_TRUE(next) << "no leader within " << kElectionTicks << " ticks";
  EXPECT_LE(ticks, 2 * kQuickElectionTicks);
  EXPECT_NE(*next, leader);
  commit_all(cluster, *next, {"after"});
  EXPECT_NO_VIOLATIONS(cluster);
}

// A connection that breaks while the leader lives: the follower that saw it
// campaigns, but the other, still hearing from the leader, ignores it.
TEST(ConsensusNode, ALostConnectionToALiveLeaderDisruptsNothing) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const Epoch epoch = cluster.node(leader).epoch();
  const NodeId follower = others(cluster, leader).front();
  cluster.node(follower).peer_connection_lost(leader);
  // Another node's id, or a message from the leader first: nothing happens.
  cluster.node(leader).peer_connection_lost(follower);
  EXPECT_EQ(cluster.node(leader).role(), Role::kLeader);
  cluster.settle(3 * kElectionTicks);
  EXPECT_EQ(cluster.leader(), std::optional<NodeId>(leader));
  EXPECT_EQ(cluster.node(leader).epoch(), epoch);
  EXPECT_EQ(cluster.leaders_by_epoch().size(), 1u);
  EXPECT_EQ(cluster.node(follower).leader(), leader);
  commit_all(cluster, leader, {"still"});
  EXPECT_NO_VIOLATIONS(cluster);
}

// ----- Read index ------------------------------------------------------------------------

std::optional<ReadState> read_state_for(const Cluster& cluster, NodeId id, uint64_t context) {
  for (const ReadState& read : cluster.read_states(id)) {
    if (read.context == context) return read;
  }
  return std::nullopt;
}

TEST(ConsensusNode, ReadIndexCoversEveryAcknowledgedWrite) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const NodeId follower = others(cluster, leader).front();

  for (const std::string& value : numbered("w", 5)) cluster.propose(leader, value);
  cluster.deliver_all();
  // Acknowledged: applied on the leader (clients hear back from there).
  ASSERT_EQ(cluster.applied_data(leader).size(), 5u);
  const LogIndex acknowledged = cluster.applied(leader).back().index;

  cluster.read_index(leader, 101);
  cluster.deliver_all();
  const auto leader_read = read_state_for(cluster, leader, 101);
  ASSERT_TRUE(leader_read);
  EXPECT_TRUE(leader_read->ok);
  EXPECT_GE(leader_read->index, acknowledged);

  // More writes are committed without the follower (it hears nothing of
  // them, not even the commit point)...
  for (const std::string& value : numbered("x", 5)) cluster.propose(leader, value);
  cluster.deliver_all([follower](const Message& m) { return m.to == follower; });
  const LogIndex acknowledged_later = cluster.applied(leader).back().index;
  ASSERT_EQ(cluster.applied_data(leader).size(), 10u);
  ASSERT_LT(cluster.node(follower).commit_index(), acknowledged_later);

  // ...and a read through the follower still covers them.
  cluster.read_index(follower, 202);
  cluster.deliver_all();
  const auto follower_read = read_state_for(cluster, follower, 202);
  ASSERT_TRUE(follower_read);
  EXPECT_TRUE(follower_read->ok);
  EXPECT_GE(follower_read->index, acknowledged_later);
  cluster.settle(2);
  EXPECT_GE(cluster.node(follower).applied_index(), follower_read->index);
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, ReadIndexFailsWithoutALeader) {
  Cluster cluster(3);
  cluster.read_index(1, 7);
  cluster.deliver_all();
  const auto read = read_state_for(cluster, 1, 7);
  ASSERT_TRUE(read);
  EXPECT_FALSE(read->ok);
}

TEST(ConsensusNode, ReadIndexOnACutOffLeaderIsNeverAnswered) {
  // A leader that cannot reach a quorum cannot prove it still leads.
  Cluster cluster(3, 0, [](Config& config) { config.check_quorum = false; });
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  cluster.isolate(leader);
  cluster.read_index(leader, 9);
  cluster.settle(3);
  const auto read = read_state_for(cluster, leader, 9);
  EXPECT_FALSE(read && read->ok);
}

// ----- Observers -------------------------------------------------------------------------

TEST(ConsensusNode, ObserversReplicateButOneVoterCommitsAlone) {
  Cluster cluster(1, 2);
  ASSERT_EQ(cluster.run_until_leader(), std::optional<NodeId>(1));
  EXPECT_EQ(cluster.node(2).role(), Role::kObserver);
  EXPECT_EQ(cluster.node(3).role(), Role::kObserver);

  commit_all(cluster, 1, {"a"});
  for (NodeId id : cluster.ids())
    EXPECT_EQ(cluster.applied_data(id), std::vector<std::string>{"a"});

  // With both observers unreachable the lone voter still commits.
  cluster.isolate(2);
  cluster.isolate(3);
  const LogIndex before = cluster.node(1).commit_index();
  cluster.propose(1, "b");
  cluster.deliver_all();
  EXPECT_EQ(cluster.node(1).commit_index(), before + 1);
  EXPECT_EQ(cluster.applied_data(1), (std::vector<std::string>{"a", "b"}));
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, ObserversDoNotCountTowardsQuorum) {
  Cluster cluster(3, 2);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  commit_all(cluster, leader, {"ok"});
  for (NodeId voter : others(cluster, leader)) {
    if (voter <= 3) cluster.crash(voter);
  }
  const LogIndex commit_before = cluster.node(leader).commit_index();
  cluster.propose(leader, "stuck");
  cluster.settle(3);

  const LogIndex stuck_index = cluster.node(leader).last_index();
  EXPECT_EQ(cluster.node(leader).commit_index(), commit_before);
  for (NodeId observer : {4u, 5u}) {
    EXPECT_EQ(cluster.node(observer).last_index(), stuck_index) << "observer " << observer;
    EXPECT_LT(cluster.node(observer).commit_index(), stuck_index);
  }
  EXPECT_FALSE(applied_anywhere(cluster, "stuck"));
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, ObserversNeverCampaign) {
  Cluster cluster(3, 2);
  size_t observer_campaign_messages = 0;
  cluster.set_send_observer([&](const Message& m) {
    observer_campaign_messages += m.from > 3 && testing::is_vote_request(m);
  });
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  // Every voter loses touch: voters campaign in vain, observers stay quiet.
  for (NodeId id : cluster.ids()) cluster.isolate(id);
  cluster.settle(10 * kElectionTicks);
  EXPECT_GT(cluster.sent_count(MessageType::kPreVote), 0u);
  EXPECT_EQ(observer_campaign_messages, 0u);
  for (NodeId observer : {4u, 5u}) {
    EXPECT_EQ(cluster.node(observer).role(), Role::kObserver);
    EXPECT_EQ(cluster.disk(observer).hard_state.voted_for, kNoNode);
  }
  for (const auto& [epoch, id] : cluster.leaders_by_epoch()) EXPECT_LE(id, 3u) << epoch;
}

// ----- Batching and flow control ---------------------------------------------------------

TEST(ConsensusNode, ManyProposalsBetweenReadiesGoOutInFewBoundedAppends) {
  constexpr size_t kProposals = 1000;
  constexpr size_t kPerAppend = 64;
  Cluster cluster(3, 0, [](Config& config) { config.max_entries_per_append = kPerAppend; });
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);

  std::map<NodeId, size_t> appends_with_entries;
  std::map<NodeId, size_t> entries_sent;
  size_t oversized = 0;
  cluster.set_send_observer([&](const Message& m) {
    if (m.type != MessageType::kAppend || m.entries.empty()) return;
    ++appends_with_entries[m.to];
    entries_sent[m.to] += m.entries.size();
    oversized += m.entries.size() > kPerAppend;
  });
  for (size_t i = 0; i < kProposals; ++i) {
    ASSERT_EQ(cluster.propose(leader, std::string(100, 'p')), ProposeResult::kAccepted);
  }
  cluster.settle(3);

  EXPECT_EQ(oversized, 0u);
  const size_t fewest = (kProposals + kPerAppend - 1) / kPerAppend;
  for (NodeId follower : others(cluster, leader)) {
    EXPECT_EQ(entries_sent[follower], kProposals) << "follower " << follower;
    EXPECT_LE(appends_with_entries[follower], fewest + 1) << "follower " << follower;
    EXPECT_EQ(cluster.applied_data(follower).size(), kProposals);
  }
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, AppendsRespectTheByteBound) {
  constexpr size_t kMaxBytes = 64 * 1024;
  Cluster cluster(3, 0, [](Config& config) { config.max_bytes_per_append = kMaxBytes; });
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  size_t violations = 0;
  cluster.set_send_observer([&](const Message& m) {
    size_t bytes = 0;
    for (const Entry& entry : m.entries) bytes += entry.byte_size();
    violations += m.entries.size() > 1 && bytes > kMaxBytes;
  });
  for (int i = 0; i < 50; ++i) cluster.propose(leader, std::string(10 * 1024, 'b'));
  cluster.propose(leader, std::string(2 * kMaxBytes, 'h'));  // alone may exceed the bound
  cluster.settle(3);
  EXPECT_EQ(violations, 0u);
  for (NodeId id : cluster.ids()) EXPECT_EQ(cluster.applied_data(id).size(), 51u);
}

TEST(ConsensusNode, ProposeIsBusyPastTheUncommittedLimit) {
  constexpr size_t kLimit = 10;
  Cluster cluster(3, 0, [](Config& config) { config.max_uncommitted_entries = kLimit; });
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  for (NodeId id : others(cluster, leader)) cluster.cut(leader, id);

  for (size_t i = 0; i < kLimit; ++i) {
    EXPECT_EQ(cluster.propose(leader, "p" + std::to_string(i)), ProposeResult::kAccepted) << i;
  }
  EXPECT_EQ(cluster.propose(leader, "one-too-many"), ProposeResult::kBusy);
  cluster.deliver_all();
  EXPECT_EQ(cluster.propose(leader, "still-too-many"), ProposeResult::kBusy);

  cluster.heal();
  cluster.settle(3);
  EXPECT_EQ(cluster.applied_data(leader).size(), kLimit);
  EXPECT_EQ(cluster.propose(leader, "room-again"), ProposeResult::kAccepted);
  EXPECT_NO_VIOLATIONS(cluster);
}

// ----- Compaction and snapshots ------------------------------------------------------------

TEST(ConsensusNode, FarBehindFollowerCatchesUpFromASnapshot) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const NodeId lagger = others(cluster, leader)[0];
  const NodeId peer = others(cluster, leader)[1];

  cluster.isolate(lagger);
  for (int batch = 0; batch < 4; ++batch) commit_all(cluster, leader, numbered("b", 50));
  cluster.compact(leader, 10);
  cluster.compact(peer, 10);
  ASSERT_GT(cluster.node(leader).first_index(), cluster.node(lagger).last_index() + 1)
      << "the lagger must need entries the leader no longer has";

  const size_t snapshots_before = cluster.sent_count(MessageType::kSnapshot);
  cluster.heal();
  cluster.settle(5);
  EXPECT_GT(cluster.sent_count(MessageType::kSnapshot), snapshots_before);
  EXPECT_EQ(cluster.node(lagger).commit_index(), cluster.node(leader).commit_index());
  EXPECT_EQ(cluster.applied(lagger), cluster.applied(leader));
  EXPECT_GT(cluster.node(lagger).first_index(), 1u);

  commit_all(cluster, leader, {"after-snapshot"});
  EXPECT_EQ(cluster.applied(lagger), cluster.applied(leader));

  // What it persisted is enough to come back with the same state.
  cluster.crash(lagger);
  cluster.restart(lagger);
  cluster.settle(3);
  EXPECT_EQ(cluster.applied(lagger), cluster.applied(leader));
  expect_identical_logs(cluster, cluster.node(lagger).first_index());
  EXPECT_NO_VIOLATIONS(cluster);
}

// ----- Inputs while a Ready is being written ------------------------------------------------

// A runtime that syncs on another thread goes on feeding the node: what that
// changes, and the acks it makes, wait for the next Ready.
TEST(ConsensusNode, AFollowerTakesAppendsWhileItsReadyIsWrittenAndAcksThemAfterTheNext) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  commit_all(cluster, leader, {"before"});
  const NodeId follower = others(cluster, leader)[0];

  cluster.hold_next_ready(follower);
  ASSERT_EQ(cluster.propose(leader, "first"), ProposeResult::kAccepted);
  cluster.deliver_all();
  ASSERT_TRUE(cluster.holds_ready(follower));
  const LogIndex first = cluster.node(leader).last_index();
  LogIndex acked = 0;
  cluster.set_send_observer([&](const Message& m) {
    if (m.from == follower && m.type == MessageType::kAppendResponse && !m.reject)
      acked = std::max(acked, m.match_index);
  });
  ASSERT_EQ(cluster.propose(leader, "second"), ProposeResult::kAccepted);
  cluster.deliver_all();
  EXPECT_EQ(cluster.node(follower).last_index(), first + 1) << "the append was taken meanwhile";
  EXPECT_LT(acked, first) << "nothing is acknowledged while the Ready is being written";

  // The harness checks that every ack is on the sender's disk when sent.
  cluster.release_ready(follower);
  EXPECT_EQ(acked, first);
  cluster.deliver_all();
  cluster.set_send_observer({});
  EXPECT_EQ(acked, first + 1);
  EXPECT_EQ(cluster.node(follower).persisted_index(), first + 1);
  EXPECT_EQ(cluster.applied(follower), cluster.applied(leader));
  EXPECT_NO_VIOLATIONS(cluster);
}

// A follower's unwritten entries from a deposed leader are replaced by the
// new leader's while its Ready with them is being written: once written,
// they must not count as its log, or it would count itself toward a quorum
// for entries it does not hold should it lead next.
TEST(ConsensusNode, AReadyWhoseEntriesWereReplacedMeanwhileCountsOnlyWhatStillStands) {
  Cluster cluster(5);
  const NodeId old_leader = elect_any(cluster);
  ASSERT_NE(old_leader, kNoNode);
  commit_all(cluster, old_leader, {"agreed"});
  const LogIndex agreed = cluster.node(old_leader).last_index();
  const std::vector<NodeId> rest = others(cluster, old_leader);
  const NodeId follower = rest[0];

  // Only `follower` hears the old leader's last entries, and is writing them.
  for (size_t k = 1; k < rest.size(); ++k) cluster.cut(old_leader, rest[k]);
  cluster.hold_next_ready(follower);
  ASSERT_EQ(cluster.propose(old_leader, "stale-1"), ProposeResult::kAccepted);
  ASSERT_EQ(cluster.propose(old_leader, "stale-2"), ProposeResult::kAccepted);
  cluster.deliver_all();
  ASSERT_TRUE(cluster.holds_ready(follower));
  ASSERT_EQ(cluster.node(follower).last_index(), agreed + 2);
  const std::optional<Zxid> stale_zxid = cluster.node(follower).zxid_at(agreed + 1);

  // The other three elect a leader and replicate to the follower meanwhile.
  cluster.isolate(old_leader);
  std::optional<NodeId> new_leader;
  for (int round = 0; round < 500 && !new_leader; ++round) {
    cluster.tick_all();
    cluster.deliver_all();
    for (size_t k = 1; k < rest.size(); ++k) {
      if (cluster.node(rest[k]).epoch_established()) new_leader = rest[k];
    }
  }
  ASSERT_TRUE(new_leader);
  for (int round = 0; round < 20 && cluster.node(follower).zxid_at(agreed + 1) == stale_zxid;
       ++round) {
    cluster.tick_all();
    cluster.deliver_all();
  }
  ASSERT_TRUE(cluster.holds_ready(follower));
  ASSERT_NE(cluster.node(follower).zxid_at(agreed + 1), stale_zxid)
      << "the stale entries were replaced while the Ready with them was being written";

  cluster.release_ready(follower);
  EXPECT_EQ(cluster.node(follower).persisted_index(), agreed)
      << "the stale entries just written are not its log";
  cluster.flush(follower);
  EXPECT_EQ(cluster.node(follower).persisted_index(), cluster.node(follower).last_index());
  cluster.heal();
  cluster.settle(3);
  expect_identical_logs(cluster, 1);
  EXPECT_NO_VIOLATIONS(cluster);
}

// Freeing a large compacted prefix at once stalled every node for ~15 ms;
// compact() frees one slice, each advance() the next, and the log reads the
// same meanwhile.
TEST(ConsensusNode, CompactionFreesTheDroppedEntriesASliceAtATime) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  constexpr int kBatches = 5;
  const int batch_entries = static_cast<int>(kEntriesFreedPerStep) / 2 + 7;
  for (int batch = 0; batch < kBatches; ++batch) {
    commit_all(cluster, leader, numbered("s" + std::to_string(batch) + "-", batch_entries));
  }
  const LogIndex first_before = cluster.node(leader).first_index();
  const LogIndex last = cluster.node(leader).last_index();
  ASSERT_GT(last - first_before, 2 * kEntriesFreedPerStep);

  cluster.compact(leader, 0);
  EXPECT_EQ(cluster.node(leader).snapshot().last_index, last);
  EXPECT_EQ(cluster.node(leader).first_index(), first_before + kEntriesFreedPerStep);
  EXPECT_EQ(cluster.node(leader).zxid_at(last - 1),
            cluster.node(others(cluster, leader)[0]).zxid_at(last - 1))
      << "entries compacted but not yet freed still read as before";

  for (int i = 0; i < 8 && cluster.node(leader).first_index() <= last; ++i) {
    commit_all(cluster, leader, {"after-" + std::to_string(i)});
  }
  EXPECT_EQ(cluster.node(leader).first_index(), last + 1);
  expect_identical_logs(cluster, cluster.node(leader).first_index());
  EXPECT_NO_VIOLATIONS(cluster);
}

TEST(ConsensusNode, SlightlyBehindFollowerGetsEntriesNotASnapshot) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  const NodeId lagger = others(cluster, leader)[0];
  cluster.isolate(lagger);
  commit_all(cluster, leader, numbered("c", 5));
  cluster.compact(leader, 100);  // retains everything the lagger is missing
  cluster.heal();
  cluster.settle(3);
  EXPECT_EQ(cluster.sent_count(MessageType::kSnapshot), 0u);
  EXPECT_EQ(cluster.applied(lagger), cluster.applied(leader));
}

// The rejoining node's divergent entry sits exactly at the index just before
// the current leader's in-memory log (the last compacted position whose zxid
// the leader still knows), and the leader's first probe starts above it. Repair
// has to fall back to a snapshot; probing at that index can only be refused
// again and again.
TEST(ConsensusNode, DivergentEntryAtTheLeadersCompactionEdgeIsRepairedBySnapshot) {
  Cluster cluster(3, 0, [](Config& config) { config.check_quorum = false; });
  const NodeId stale = elect_any(cluster);
  ASSERT_NE(stale, kNoNode);
  commit_all(cluster, stale, {"shared"});
  const LogIndex divergent_index = cluster.node(stale).last_index() + 1;

  cluster.isolate(stale);
  cluster.propose(stale, "divergent");
  cluster.deliver_all();
  std::optional<NodeId> second;
  for (int round = 0; round < 100 && !second; ++round) {
    cluster.settle(1);
    const auto leader = cluster.established_leader();
    if (leader && *leader != stale) second = leader;
  }
  ASSERT_TRUE(second);
  commit_all(cluster, *second, numbered("new", 3));

  // A third leader takes over with a log already past the divergent index, so
  // its first probe towards the stale node starts above it.
  const NodeId third =
      others(cluster, stale)[0] == *second ? others(cluster, stale)[1] : others(cluster, stale)[0];
  const NodeId second_id = *second;
  ASSERT_TRUE(cluster.elect(third, 500, [second_id](const Message& m) {
    return m.from == second_id && m.type != MessageType::kVoteResponse &&
           m.type != MessageType::kPreVoteResponse;
  }));
  cluster.settle(2);
  ASSERT_TRUE(cluster.node(third).epoch_established());
  const LogIndex applied = cluster.node(third).applied_index();
  cluster.compact(third, applied - divergent_index);
  ASSERT_EQ(cluster.node(third).first_index(), divergent_index + 1);
  ASSERT_TRUE(cluster.node(third).zxid_at(divergent_index).has_value());
  ASSERT_NE(cluster.node(third).zxid_at(divergent_index),
            cluster.node(stale).zxid_at(divergent_index));

  cluster.heal();
  cluster.settle(5);
  EXPECT_NO_VIOLATIONS(cluster);
  EXPECT_EQ(cluster.node(stale).commit_index(), cluster.node(third).commit_index());
  EXPECT_EQ(cluster.applied(stale), cluster.applied(third));
  EXPECT_FALSE(applied_anywhere(cluster, "divergent"));
}

TEST(ConsensusNode, RestartedNodeRecoversFromItsDisk) {
  Cluster cluster(3);
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  commit_all(cluster, leader, numbered("r", 10));
  for (NodeId id : cluster.ids()) {
    cluster.crash(id);
    cluster.restart(id);
  }
  ASSERT_TRUE(cluster.run_until_leader());
  cluster.settle(3);
  for (NodeId id : cluster.ids()) EXPECT_EQ(cluster.applied_data(id), numbered("r", 10));
  EXPECT_NO_VIOLATIONS(cluster);
}

// ----- Quiescence ------------------------------------------------------------------------

TEST(ConsensusNode, NoReadyWorkIsPendingOnceThingsSettle) {
  Cluster cluster(3, 1, [](Config& config) { config.heartbeat_interval_ticks = 3; });
  const NodeId leader = elect_any(cluster);
  ASSERT_NE(leader, kNoNode);
  commit_all(cluster, leader, numbered("q", 20));
  cluster.deliver_all();

  for (NodeId id : cluster.ids()) EXPECT_FALSE(cluster.node(id).has_ready()) << "node " << id;
  // A follower well inside its election timeout has nothing to say on a tick.
  for (NodeId id : others(cluster, leader)) {
    cluster.node(id).tick();
    EXPECT_FALSE(cluster.node(id).has_ready()) << "node " << id;
  }
  EXPECT_EQ(cluster.empty_readies(), 0u);
  EXPECT_TRUE(cluster.in_flight().empty());
  EXPECT_NO_VIOLATIONS(cluster);
}

// ----- Planted bugs: the scenarios above do catch them --------------------------------------

TEST(PlantedBugs, CommitWithoutQuorumIsCaught) {
  const CutOffLeaderRun run = run_cut_off_leader(PlantedBug::kCommitWithoutQuorum);
  EXPECT_GT(run.commit_after, run.commit_before);
}

TEST(PlantedBugs, VoteTwiceIsCaught) {
  const SecondVoteRun run = run_second_vote(true, PlantedBug::kVoteTwice);
  ASSERT_TRUE(run.second_granted.has_value());
  EXPECT_TRUE(*run.second_granted);
}

TEST(PlantedBugs, VoteIgnoringTheLogIsCaught) {
  const OlderLogCandidateRun run = run_older_log_candidate(PlantedBug::kVoteIgnoresLog);
  ASSERT_TRUE(run.staged);
  ASSERT_TRUE(run.granted.has_value());
  EXPECT_TRUE(*run.granted);
}

TEST(PlantedBugs, CommitOldEpochByCountIsCaught) {
  const Figure8Run run = run_figure8(PlantedBug::kCommitOldEpochByCount);
  ASSERT_TRUE(run.staged);
  EXPECT_GE(run.commit_when_staged, run.old_entry_index);
  EXPECT_TRUE(run.unsafe_when_staged) << "the leader-completeness check missed it";
  EXPECT_FALSE(run.violations.empty()) << "the lost committed entry went unnoticed";
}

}  // namespace
}  // namespace warden::consensus
