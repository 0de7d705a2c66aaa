// Whole-run properties of the simulator: a seed replays exactly, different
// seeds differ, healthy seeds pass, every planted bug is caught, and the
// liveness check can fire.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/simulation.h"

namespace warden::sim {
namespace {

SimOptions short_run(uint64_t seed, int nodes = 3) {
  SimOptions options;
  options.seed = seed;
  options.nodes = nodes;
  options.sim_seconds = 20;
  options.fault_seconds = 12;
  options.liveness_bound_seconds = 8;
  return options;
}

TEST(SimReplay, SameSeedSameTraceAndHistory) {
  const SimResult first = run_simulation(short_run(7));
  const SimResult second = run_simulation(short_run(7));
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.events, second.events);
  EXPECT_EQ(first.history_ops, second.history_ops);
  EXPECT_EQ(first.ops.ok, second.ops.ok);
  EXPECT_EQ(first.ops.unknown, second.ops.unknown);
  EXPECT_EQ(first.faults, second.faults);
  EXPECT_EQ(first.leaders_by_epoch, second.leaders_by_epoch);
}

TEST(SimReplay, DifferentSeedsDiffer) {
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 5; ++seed)
    hashes.insert(run_simulation(short_run(seed)).trace_hash);
  EXPECT_EQ(hashes.size(), 5u);
}

TEST(SimReplay, HealthySeedsPassWithWorkDone) {
  for (int nodes : {3, 5}) {
    const SimResult result = run_simulation(short_run(11, nodes));
    EXPECT_TRUE(result.ok) << (result.violations.empty() ? "" : result.violations[0].invariant);
    EXPECT_GT(result.ops.ok, 100u);
    EXPECT_GT(result.elections, 0u);
    EXPECT_EQ(result.lin_verdict, LinVerdict::kLinearizable);
  }
}

TEST(SimReplay, LivenessCheckFiresWhenTheBoundIsTooShort) {
  SimOptions options = short_run(3);
  options.liveness_bound_seconds = 0;  // nobody can recover in no time at all
  const SimResult result = run_simulation(options);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.violations.front().invariant, "liveness");
}

struct BugCase {
  SimBug bug;
  uint64_t seed;
  std::set<std::string> expected;  // invariants that may catch it
};

class SimPlantedBug : public testing::TestWithParam<BugCase> {};

TEST_P(SimPlantedBug, IsCaught) {
  const BugCase& c = GetParam();
  SimOptions options;
  options.seed = c.seed;
  options.bug = c.bug;
  const SimResult result = run_simulation(options);
  ASSERT_FALSE(result.ok) << sim_bug_name(c.bug) << " slipped through seed " << c.seed;
  const Violation& violation = result.violations.front();
  EXPECT_TRUE(c.expected.count(violation.invariant)) << violation.invariant;
  EXPECT_FALSE(violation.last_events.empty());
}

INSTANTIATE_TEST_SUITE_P(
    AllBugs, SimPlantedBug,
    testing::Values(
        BugCase{SimBug::kVoteTwice, 1, {"one-leader-per-epoch"}},
        BugCase{SimBug::kCommitWithoutQuorum, 1, {"committed-lost", "committed-prefix"}},
        BugCase{SimBug::kVoteIgnoresLog, 1, {"committed-lost", "committed-prefix"}},
        BugCase{SimBug::kCommitOldEpochByCount, 31, {"committed-lost", "committed-prefix"}},
        BugCase{SimBug::kSendBeforeFsync, 2, {"committed-lost", "committed-prefix"}}),
    [](const testing::TestParamInfo<BugCase>& info) {
      std::string name = sim_bug_name(info.param.bug);
      for (char& ch : name) ch = ch == '-' ? '_' : ch;
      return name;
    });

TEST(SimPlantedBugNames, RoundTrip) {
  for (SimBug bug : all_sim_bugs()) EXPECT_EQ(parse_sim_bug(sim_bug_name(bug)), bug);
  EXPECT_FALSE(parse_sim_bug("no-such-bug").has_value());
}

}  // namespace
}  // namespace warden::sim
