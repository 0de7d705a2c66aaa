// mysqlctl/failover_plan: candidate choice, errant members, the failover
// step list and its ordering rules, and anti-flapping. Properties check, on
// generated clusters, that the choice is the most advanced eligible member,
// never one with errant transactions, independent of input order, and that
// every plan keeps the rules the runtime and the simulator rely on.
#include <gtest/gtest.h>

#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <map>

#include <algorithm>
#include <string>
#include <vector>

#include "mysqlctl/failover_plan.h"
#include "tests/mysqlctl_gtid_generators.h"

namespace warden::mysqlctl {
namespace {

constexpr const char* kU1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr const char* kU2 = "8a94f357-aab4-11df-86ab-c80aa9429562";

MemberRecord replica(const std::string& id, const std::string& position, uint32_t priority = 1) {
  MemberRecord record;
  record.id = id;
  record.host = "127.0.0.1";
  record.port = 3306;
  record.role = MemberRole::kReplica;
  record.flavour = Flavour::kMariaDB;
  record.gtid_position = position;
  record.healthy = true;
  record.read_only = true;
  record.priority = priority;
  return record;
}

MemberRecord mysql_replica(const std::string& id, const std::string& position) {
  MemberRecord record = replica(id, position);
  record.flavour = Flavour::kMySQL;
  return record;
}

std::string reason_for(const CandidateChoice& choice, const std::string& id) {
  for (const Exclusion& e : choice.excluded) {
    if (e.member_id == id) return e.reason;
  }
  return "(not excluded)";
}

// ----- choose_candidate

TEST(MysqlctlChooseCandidate, MostAdvancedWins) {
  const CandidateChoice choice = choose_candidate(
      {replica("r1", "0-1-90"), replica("r2", "0-1-100"), replica("r3", "0-1-95")}, "p");
  EXPECT_EQ(choice.candidate_id, "r2");
  EXPECT_FALSE(choice.diverged);
  EXPECT_EQ(reason_for(choice, "r1"), "less advanced than r2 (0-1-90)");
  EXPECT_EQ(choice.excluded.size(), 2u);
}

// An acknowledged commit may be only in a relay log: what a replica received
// ranks it, and the plan waits for it to apply that much (`warden sim
// --workload mysql`, seed 224: the replica applied less but had received
// more, and the one chosen lacked an acknowledged write).
TEST(MysqlctlChooseCandidate, WhatAReplicaReceivedCounts) {
  MemberRecord behind = replica("r1", "0-1-90");
  behind.received_gtid_position = "0-1-101";
  const std::vector<MemberRecord> members = {behind, replica("r2", "0-1-100")};
  const CandidateChoice choice = choose_candidate(members, "p");
  EXPECT_EQ(choice.candidate_id, "r1");
  EXPECT_EQ(reason_for(choice, "r2"), "less advanced than r1 (0-1-100)");
  EXPECT_FALSE(choice.diverged);

  const FailoverOutcome outcome = plan_failover({.members = members,
                                                 .current_primary = std::nullopt,
                                                 .lease_wait_ms = 0,
                                                 .roster = {},
                                                 .in_maintenance = {}});
  ASSERT_TRUE(outcome.plan);
  EXPECT_EQ(outcome.plan->steps.front().kind, StepKind::kWaitRelayLogApplied);
  EXPECT_EQ(outcome.plan->steps.front().gtid_position, "0-1-101");
  // r2 applied nothing r1 will lack: it is repointed, not held out.
  EXPECT_TRUE(outcome.not_repointed.empty());

  // An unreadable received position is no evidence of anything received.
  behind.received_gtid_position = "garbage";
  EXPECT_EQ(choose_candidate({behind, replica("r2", "0-1-100")}, "p").candidate_id, "r2");
}

TEST(MysqlctlChooseCandidate, LagDoesNotMatter) {
  MemberRecord lagging = replica("r1", "0-1-100");
  lagging.lag_seconds = 3600;
  const CandidateChoice choice = choose_candidate({lagging, replica("r2", "0-1-99")}, "p");
  EXPECT_EQ(choice.candidate_id, "r1");
}

TEST(MysqlctlChooseCandidate, TiesGoToPriorityThenId) {
  CandidateChoice choice = choose_candidate(
      {replica("r1", "0-1-100", 1), replica("r2", "0-2-100", 7), replica("r3", "0-1-100", 3)}, "p");
  EXPECT_EQ(choice.candidate_id, "r2");
  EXPECT_EQ(reason_for(choice, "r1"), "same position as r2, lower priority");
  choice = choose_candidate({replica("r9", "0-1-100"), replica("r10", "0-1-100")}, "p");
  EXPECT_EQ(choice.candidate_id, "r10");  // "r10" < "r9" as strings
  EXPECT_EQ(reason_for(choice, "r9"),
            "same position and priority as r10, which has the smaller id");
  // Priority never beats a more advanced position.
  choice = choose_candidate({replica("r1", "0-1-101", 1), replica("r2", "0-1-100", 1000)}, "p");
  EXPECT_EQ(choice.candidate_id, "r1");
}

TEST(MysqlctlChooseCandidate, ExcludesIneligibleMembersWithReasons) {
  MemberRecord sick = replica("sick", "0-1-200");
  sick.healthy = false;
  MemberRecord resting = replica("resting", "0-1-200");
  resting.maintenance = true;
  MemberRecord odd = replica("odd", "0-1-200");
  odd.role = MemberRole::kUnknown;
  MemberRecord second_primary = replica("p2", "0-1-200");
  second_primary.role = MemberRole::kPrimary;
  MemberRecord backup = replica("backup", "0-1-200", 0);
  MemberRecord garbled = replica("garbled", "0-1");
  MemberRecord old_primary = replica("p", "0-1-300");
  const CandidateChoice choice = choose_candidate(
      {sick, resting, odd, second_primary, backup, garbled, old_primary, replica("ok", "0-1-1")},
      "p");
  EXPECT_EQ(choice.candidate_id, "ok");
  EXPECT_EQ(reason_for(choice, "sick"), "unhealthy");
  EXPECT_EQ(reason_for(choice, "resting"), "in maintenance");
  EXPECT_EQ(reason_for(choice, "odd"), "role is unknown, not replica");
  EXPECT_EQ(reason_for(choice, "p2"), "role is primary, not replica");
  EXPECT_EQ(reason_for(choice, "backup"), "priority 0 (never promoted)");
  EXPECT_NE(reason_for(choice, "garbled").find("unreadable GTID position: GTID '0-1'"),
            std::string::npos);
  EXPECT_EQ(reason_for(choice, "p"), "the old primary");
  // Every member but the chosen one, in input order.
  ASSERT_EQ(choice.excluded.size(), 7u);
  EXPECT_EQ(choice.excluded.front().member_id, "sick");
  EXPECT_EQ(choice.excluded.back().member_id, "p");
}

TEST(MysqlctlChooseCandidate, NobodyEligible) {
  MemberRecord sick = replica("r1", "0-1-1");
  sick.healthy = false;
  const CandidateChoice choice = choose_candidate({sick}, "p");
  EXPECT_EQ(choice.candidate_id, std::nullopt);
  EXPECT_EQ(choice.excluded, (std::vector<Exclusion>{{"r1", "unhealthy"}}));
  EXPECT_EQ(choose_candidate({}, "p").candidate_id, std::nullopt);
}

TEST(MysqlctlChooseCandidate, ExcludesMembersWithErrantTransactions) {
  // r2 wrote to domain 1 on its own: the most advanced, r1, lacks it.
  const CandidateChoice choice =
      choose_candidate({replica("r1", "0-1-100"), replica("r2", "0-1-90,1-5-3")}, "p");
  EXPECT_EQ(choice.candidate_id, "r1");
  EXPECT_TRUE(choice.diverged);
  EXPECT_EQ(reason_for(choice, "r2"),
            "has transactions the most advanced candidate r1 lacks (errant: 1-5-3)");
}

TEST(MysqlctlChooseCandidate, MysqlFlavour) {
  const std::string u1 = kU1;
  const std::string u2 = kU2;
  const CandidateChoice choice =
      choose_candidate({mysql_replica("r1", u1 + ":1-100"), mysql_replica("r2", u1 + ":1-120"),
                        mysql_replica("r3", u1 + ":1-99," + u2 + ":1")},
                       "p");
  EXPECT_EQ(choice.candidate_id, "r2");
  EXPECT_TRUE(choice.diverged);
  EXPECT_EQ(reason_for(choice, "r3"),
            "has transactions the most advanced candidate r2 lacks (errant: " + u2 + ":1)");
}

TEST(MysqlctlChooseCandidate, RefusesAMixedCluster) {
  const CandidateChoice choice = choose_candidate(
      {replica("r1", "0-1-100"), mysql_replica("r2", std::string(kU1) + ":1-5")}, "p");
  EXPECT_EQ(choice.candidate_id, std::nullopt);
  EXPECT_EQ(reason_for(choice, "r1"), "the cluster mixes mariadb and mysql");
  EXPECT_EQ(reason_for(choice, "r2"), "the cluster mixes mariadb and mysql");
}

// ----- errant_members

TEST(MysqlctlErrantMembers, ListsWhatThePrimaryLacks) {
  MemberRecord primary = replica("p", "0-1-100");
  primary.role = MemberRole::kPrimary;
  MemberRecord other_flavour = mysql_replica("m", std::string(kU1) + ":1");
  const std::vector<ErrantMember> errant =
      errant_members(primary, {primary, replica("behind", "0-1-90"), replica("equal", "0-2-100"),
                               replica("wrote", "0-1-90,3-7-2"), replica("ahead", "0-1-101"),
                               replica("garbled", "x"), other_flavour});
  EXPECT_EQ(errant, (std::vector<ErrantMember>{{"wrote", "3-7-2"}, {"ahead", "0-1-101"}}));
}

TEST(MysqlctlErrantMembers, MysqlReturningOldPrimary) {
  const std::string u1 = kU1;
  const std::string u2 = kU2;
  MemberRecord new_primary = mysql_replica("r1", u1 + ":1-100," + u2 + ":1-5");
  new_primary.role = MemberRole::kPrimary;
  // The old primary (u1) took two writes nobody received before it died.
  const MemberRecord old_primary = mysql_replica("p", u1 + ":1-102");
  EXPECT_EQ(errant_members(new_primary, {old_primary}),
            (std::vector<ErrantMember>{{"p", u1 + ":101-102"}}));
}

// ----- plan_failover

FailoverInput sample_input() {
  FailoverInput input;
  MemberRecord sick = replica("r3", "0-1-80");
  sick.healthy = false;
  MemberRecord resting = replica("r4", "0-1-95");
  resting.maintenance = true;
  MemberRecord old_primary = replica("p", "0-1-100");
  old_primary.role = MemberRole::kPrimary;
  old_primary.healthy = false;  // its MySQL is down; its agent still reports
  input.members = {old_primary, replica("r1", "0-1-99"),       replica("r2", "0-1-97"),  sick,
                   resting,     replica("r5", "0-1-90,2-9-1"), replica("r6", "0-1-1", 0)};
  input.current_primary = PrimaryRecord{"p", 6, "", 0, ""};
  input.lease_wait_ms = 4500;
  return input;
}

TEST(MysqlctlPlanFailover, PlansEveryStepInOrder) {
  const FailoverOutcome outcome = plan_failover(sample_input());
  ASSERT_TRUE(outcome.plan) << outcome.refusal;
  const FailoverPlan& plan = *outcome.plan;
  EXPECT_EQ(plan.old_primary_id, "p");
  EXPECT_EQ(plan.candidate_id, "r1");
  EXPECT_EQ(plan.new_epoch, 7u);
  std::vector<std::string> lines;
  for (const FailoverStep& step : plan.steps) lines.push_back(describe(step));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "fence old primary p",
                       "wait 4500 ms for the lease of p",
                       "fence old primary p",
                       "stop r1 receiving and read its position",
                       "stop r2 receiving and read its position",
                       "stop r3 receiving and read its position",
                       "stop r5 receiving and read its position",
                       "stop r6 receiving and read its position",
                       "wait for r1 to apply its relay log (at least '0-1-99')",
                       "promote r1",
                       "repoint r2 to r1",
                       "repoint r6 to r1",
                       "publish primary r1 at epoch 7",
                   }));
  EXPECT_EQ(plan.steps[1].wait_ms, 4500u);
  EXPECT_EQ(plan.steps[8].gtid_position, "0-1-99");
  EXPECT_EQ(plan.steps.back().epoch, 7u);
  EXPECT_EQ(outcome.not_repointed,
            (std::vector<Exclusion>{
                {"r3", "unhealthy"},
                {"r4", "in maintenance"},
                {"r5", "has transactions the new primary lacks (errant: 2-9-1)"},
            }));
  EXPECT_TRUE(outcome.choice.diverged);
  EXPECT_EQ(plan_rule_error(plan), "");
}

TEST(MysqlctlPlanFailover, RefusesWhileThePrimaryIsHealthy) {
  FailoverInput input = sample_input();
  input.members[0].healthy = true;
  const FailoverOutcome outcome = plan_failover(input);
  EXPECT_FALSE(outcome.plan);
  EXPECT_EQ(outcome.refusal, "primary p is healthy: nothing to fail over");
}

TEST(MysqlctlPlanFailover, ProceedsWhenThePrimaryRecordIsGone) {
  FailoverInput input = sample_input();
  input.members.erase(input.members.begin());  // its session expired
  const FailoverOutcome outcome = plan_failover(input);
  ASSERT_TRUE(outcome.plan) << outcome.refusal;
  EXPECT_EQ(outcome.plan->steps.front().kind, StepKind::kFenceOldPrimary);
  EXPECT_EQ(outcome.plan->candidate_id, "r1");
}

// Semi-sync puts each acknowledged commit on one replica, not on all: a
// member that may hold some must be heard from, or be put into maintenance
// (`warden sim --workload mysql --overlapping-faults`, seed 163: the one
// replica holding the acknowledged commits was down, the other promoted).
TEST(MysqlctlPlanFailover, WaitsForEveryRosterMember) {
  FailoverInput input = sample_input();
  input.roster = {{"p", 6}, {"r1", 6}, {"r2", 6}, {"r7", 6}};
  FailoverOutcome outcome = plan_failover(input);
  EXPECT_FALSE(outcome.plan);
  EXPECT_EQ(outcome.refusal,
            "member r7 may hold acknowledged commits and has no record (maintenance on it lets "
            "the failover go on without it)");
  // Gone before epoch 6 began: it never replicated from this primary.
  input.roster["r7"] = 5;
  EXPECT_TRUE(plan_failover(input).plan);
  // Never seen following anything: it may have replicated all along.
  input.roster["r7"] = 0;
  EXPECT_FALSE(plan_failover(input).plan);
  input.roster["r7"] = 6;
  input.in_maintenance = {"r7"};
  outcome = plan_failover(input);
  ASSERT_TRUE(outcome.plan) << outcome.refusal;
  EXPECT_EQ(outcome.plan->candidate_id, "r1");

  // A record without a position (its server did not answer the probe) is
  // no better than none.
  MemberRecord down = replica("r7", "");
  down.healthy = false;
  down.gtid_position = "unreadable";
  input.members.push_back(down);
  input.in_maintenance.clear();
  EXPECT_EQ(plan_failover(input).refusal,
            "member r7 may hold acknowledged commits and has no readable position (maintenance "
            "on it lets the failover go on without it)");
}

TEST(MysqlctlPlanFailover, RefusesWhenAnUnpromotableFollowerReceivedMore) {
  FailoverInput input = sample_input();
  input.roster = {{"p", 6}, {"r1", 6}, {"r3", 6}};
  MemberRecord& sick = input.members[3];
  ASSERT_EQ(sick.id, "r3");
  sick.received_gtid_position = "0-1-101";
  sick.source_host = "10.0.0.9";  // where the old primary's server listens
  sick.source_port = 3306;
  input.current_primary->host = "10.0.0.9";
  input.current_primary->port = 3306;
  FailoverOutcome outcome = plan_failover(input);
  EXPECT_FALSE(outcome.plan);
  EXPECT_EQ(outcome.refusal, "member r3 received transactions r1 lacks (0-1-101)");
  // Pointed elsewhere since (at a member a failover promoted and could not
  // publish, overlapping seed 407), it still holds what it received.
  sick.source_host = "10.0.0.8";
  EXPECT_FALSE(plan_failover(input).plan);
}

// The records are a probe interval old; once every replica stopped
// receiving, what each holds decides (`warden sim --workload mysql
// --overlapping-faults`, seeds 82, 89, 138, 182: a replica received and
// acknowledged more after its record was written).
TEST(MysqlctlPlanFailover, RecheckAfterFreezeUsesWhatEachMemberHeldOnceStopped) {
  FailoverInput input = sample_input();
  input.roster = {{"p", 6}, {"r1", 6}, {"r2", 6}};
  for (MemberRecord& member : input.members) {
    member.source_host = "10.0.0.9";
    member.source_port = 3306;
  }
  input.current_primary->host = "10.0.0.9";
  input.current_primary->port = 3306;
  ASSERT_TRUE(plan_failover(input).plan);
  const FrozenPosition r1{
      .applied = "0-1-99", .received = "0-1-100", .source_host = "10.0.0.9", .source_port = 3306};
  std::map<std::string, FrozenPosition> frozen = {{"r1", r1}, {"r2", r1}};
  frozen["r2"].applied = "0-1-97";
  EXPECT_EQ(recheck_after_freeze(input, "r1", frozen), "");
  // r2 went on receiving after its record: it holds commits r1 lacks.
  frozen["r2"].received = "0-1-102";
  // Its record, written while its server was down, named no source (seed
  // 168): what it said once stopped counts.
  input.members[2].source_host = "";
  input.members[2].source_port = 0;
  ASSERT_EQ(input.members[2].id, "r2");
  EXPECT_EQ(recheck_after_freeze(input, "r1", frozen),
            "member r2 received transactions r1 lacks (0-1-102)");
  // Unread, a member that followed the old primary is unknown.
  frozen.erase("r2");
  EXPECT_EQ(recheck_after_freeze(input, "r1", frozen),
            "member r2 may hold acknowledged commits and has no readable position (maintenance "
            "on it lets the failover go on without it)");
  // One that did not follow it (not in the roster at epoch 6) is not needed.
  input.roster["r2"] = 5;
  EXPECT_EQ(recheck_after_freeze(input, "r1", frozen), "");
  // Nor is a candidate that cannot be read promoted.
  frozen.erase("r1");
  EXPECT_EQ(recheck_after_freeze(input, "r1", frozen),
            "candidate r1 could not be read once it stopped receiving");
}

// Everything acknowledged before the failed primary's epoch was on it when
// it took the epoch: a candidate that followed it but never caught up lacks
// it (`warden sim --workload mysql --overlapping-faults`, seed 273).
TEST(MysqlctlPlanFailover, TheCandidateHoldsWhatTheFailedPrimaryStartedFrom) {
  FailoverInput input = sample_input();
  input.current_primary->gtid_position = "0-1-99";
  EXPECT_TRUE(plan_failover(input).plan);
  input.current_primary->gtid_position = "0-1-150";
  const FailoverOutcome outcome = plan_failover(input);
  EXPECT_FALSE(outcome.plan);
  EXPECT_EQ(outcome.refusal, "candidate r1 lacks 0-1-150, which p held when it took epoch 6");
}

// `warden sim --workload mysql --overlapping-faults`, seed 59: a restarted
// primary whose recovery dropped a commit the one replica holding it
// received must not reuse its GTID while that replica is unaccounted for.
TEST(MysqlctlPlanFailover, ResumeRefusedWhileAFollowerIsUnaccountedFor) {
  FailoverInput input = sample_input();
  MemberRecord primary = input.members[0];
  primary.gtid_position = "0-1-99";
  input.roster = {{"p", 6}, {"r1", 6}, {"r7", 6}};
  EXPECT_EQ(resume_refusal(input, primary),
            "member r7 may hold acknowledged commits and has no record (maintenance on it lets "
            "the failover go on without it)");
  input.in_maintenance.push_back("r7");
  EXPECT_EQ(resume_refusal(input, primary), "");
  // r1 holds a commit the restarted primary's recovery dropped, and follows
  // another member now (a failover promoted it and could not publish it:
  // overlapping seed 407).
  primary.gtid_position = "0-1-98";
  input.members[1].source_host = "10.0.0.7";
  ASSERT_EQ(input.members[1].id, "r1");
  EXPECT_EQ(resume_refusal(input, primary), "member r1 received transactions p lacks (0-1-99)");
  primary.gtid_position = "garbage";
  EXPECT_EQ(resume_refusal(input, primary), "its own position is unreadable");
}

TEST(MysqlctlPlanFailover, NewClusterNeedsNoFencing) {
  FailoverInput input;
  input.members = {replica("a", ""), replica("b", "")};
  input.lease_wait_ms = 4500;
  const FailoverOutcome outcome = plan_failover(input);
  ASSERT_TRUE(outcome.plan) << outcome.refusal;
  EXPECT_EQ(outcome.plan->old_primary_id, std::nullopt);
  EXPECT_EQ(outcome.plan->candidate_id, "a");
  EXPECT_EQ(outcome.plan->new_epoch, 1u);
  ASSERT_EQ(outcome.plan->steps.size(), 4u);
  EXPECT_EQ(outcome.plan->steps[0].kind, StepKind::kWaitRelayLogApplied);
  EXPECT_EQ(describe(outcome.plan->steps[2]), "repoint b to a");
}

TEST(MysqlctlPlanFailover, RefusesWithoutACandidate) {
  FailoverInput input = sample_input();
  for (MemberRecord& m : input.members) m.healthy = false;
  const FailoverOutcome outcome = plan_failover(input);
  EXPECT_FALSE(outcome.plan);
  EXPECT_EQ(outcome.refusal, "no eligible candidate among 7 members");
  EXPECT_EQ(outcome.choice.excluded.size(), 7u);
}

// ----- plan_rule_error

FailoverPlan valid_plan() {
  FailoverOutcome outcome = plan_failover(sample_input());
  EXPECT_TRUE(outcome.plan);
  return *outcome.plan;
}

size_t index_of(const FailoverPlan& plan, StepKind kind) {
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.steps[i].kind == kind) return i;
  }
  ADD_FAILURE() << "no " << step_kind_name(kind);
  return 0;
}

TEST(MysqlctlPlanRules, CatchesBrokenPlans) {
  FailoverPlan plan = valid_plan();
  ASSERT_EQ(plan_rule_error(plan), "");

  plan = valid_plan();
  plan.steps.erase(plan.steps.begin() + index_of(plan, StepKind::kWaitLeaseExpiry));
  EXPECT_EQ(plan_rule_error(plan), "promotes before the old primary's lease has run out");

  plan = valid_plan();
  std::swap(plan.steps[index_of(plan, StepKind::kWaitLeaseExpiry)],
            plan.steps[index_of(plan, StepKind::kPromote)]);
  EXPECT_EQ(plan_rule_error(plan), "promotes before the old primary's lease has run out");

  // The fence after the lease wait is the one a promotion relies on: the
  // first may have failed or been undone meanwhile (`warden sim --workload
  // mysql`, seeds 8 and 271 before plans fenced twice).
  plan = valid_plan();
  plan.steps.erase(plan.steps.begin() + index_of(plan, StepKind::kWaitLeaseExpiry) + 1);
  EXPECT_EQ(plan_rule_error(plan), "promotes without fencing the old primary after its lease");

  plan = valid_plan();
  std::erase_if(plan.steps,
                [](const FailoverStep& step) { return step.kind == StepKind::kFenceOldPrimary; });
  EXPECT_EQ(plan_rule_error(plan), "promotes before fencing");

  plan = valid_plan();
  plan.steps.erase(plan.steps.begin() + index_of(plan, StepKind::kWaitRelayLogApplied));
  EXPECT_EQ(plan_rule_error(plan), "promotes before the candidate applied its relay log");

  plan = valid_plan();
  plan.steps.insert(plan.steps.begin() + index_of(plan, StepKind::kPromote),
                    plan.steps[index_of(plan, StepKind::kRepoint)]);
  EXPECT_EQ(plan_rule_error(plan), "repoints r2 before the promotion");

  plan = valid_plan();
  plan.steps.insert(plan.steps.begin() + index_of(plan, StepKind::kPromote) + 1,
                    plan.steps[index_of(plan, StepKind::kStopReceiving)]);
  EXPECT_EQ(plan_rule_error(plan), "stops r1 receiving after the promotion");

  plan = valid_plan();
  plan.steps[index_of(plan, StepKind::kRepoint)].source_id = "p";
  EXPECT_EQ(plan_rule_error(plan), "bad repoint: repoint r2 to p");

  plan = valid_plan();
  plan.steps.back().epoch = 6;
  EXPECT_EQ(plan_rule_error(plan), "does not end by publishing the candidate at the new epoch");

  plan = valid_plan();
  std::swap(plan.steps.back(), plan.steps[plan.steps.size() - 2]);
  EXPECT_EQ(plan_rule_error(plan), "does not end by publishing the candidate at the new epoch");

  plan = valid_plan();
  plan.steps.push_back(plan.steps[index_of(plan, StepKind::kPromote)]);
  EXPECT_EQ(plan_rule_error(plan), "does not promote exactly once");

  plan = valid_plan();
  plan.steps[index_of(plan, StepKind::kPromote)].member_id = "r2";
  EXPECT_EQ(plan_rule_error(plan), "promotes someone other than the candidate");

  plan = valid_plan();
  plan.candidate_id = "p";
  EXPECT_EQ(plan_rule_error(plan), "promotes the old primary");

  plan = valid_plan();
  plan.new_epoch = 0;
  EXPECT_EQ(plan_rule_error(plan), "epoch 0");
}

TEST(MysqlctlPlanRules, StepNames) {
  EXPECT_EQ(std::string(step_kind_name(StepKind::kFenceOldPrimary)), "fence-old-primary");
  EXPECT_EQ(std::string(step_kind_name(StepKind::kPublishPrimary)), "publish-primary");
}

// ----- may_fail_over

TEST(MysqlctlAntiFlapping, MinimumIntervalBetweenFailovers) {
  EXPECT_TRUE(may_fail_over(0, std::nullopt, 60000));
  EXPECT_FALSE(may_fail_over(100000, 50000, 60000));
  EXPECT_TRUE(may_fail_over(110000, 50000, 60000));
  EXPECT_TRUE(may_fail_over(200000, 50000, 60000));
  EXPECT_FALSE(may_fail_over(40000, 50000, 0));  // a clock behind the last failover
  EXPECT_TRUE(may_fail_over(50000, 50000, 0));
  EXPECT_FALSE(may_fail_over(UINT64_MAX, UINT64_MAX - 1, 5));  // no overflow
  EXPECT_TRUE(may_fail_over(UINT64_MAX, 0, UINT64_MAX));
}

// ----- properties

struct GeneratedCluster {
  std::vector<MemberRecord> members;
  std::string old_primary_id;
};

// Members with random eligibility. With `chain`, positions are taken from
// one growing chain (so they are totally ordered by containment); otherwise
// they are arbitrary and may diverge.
GeneratedCluster any_cluster(bool chain, Flavour flavour) {
  GeneratedCluster cluster;
  const int count = *rc::gen::inRange(1, 7);
  GtidPosition position = GtidPosition::empty_of(flavour);
  std::vector<std::string> positions;
  for (int i = 0; i < count; ++i) {
    if (flavour == Flavour::kMariaDB) {
      position = GtidPosition(chain ? testing::grown(*position.mariadb())
                                    : testing::any_maria_position(2));
    } else {
      position = GtidPosition(chain ? position.mysql()->union_with(testing::any_mysql_set())
                                    : testing::any_mysql_set());
    }
    positions.push_back(position.format());
  }
  // Hand the chain out in random order.
  for (size_t i = 0; i + 1 < positions.size(); ++i) {
    std::swap(positions[i], positions[*rc::gen::inRange<size_t>(i, positions.size())]);
  }
  for (int i = 0; i < count; ++i) {
    MemberRecord m =
        replica("m" + std::to_string(i), positions[i], *rc::gen::inRange<uint32_t>(0, 4));
    m.flavour = flavour;
    m.healthy = *rc::gen::weightedElement<bool>({{4, true}, {1, false}});
    m.maintenance = *rc::gen::weightedElement<bool>({{6, false}, {1, true}});
    m.role = *rc::gen::weightedElement<MemberRole>(
        {{6, MemberRole::kReplica}, {1, MemberRole::kPrimary}, {1, MemberRole::kUnknown}});
    cluster.members.push_back(std::move(m));
  }
  cluster.old_primary_id = "m" + std::to_string(*rc::gen::inRange(0, count + 1));
  return cluster;
}

bool is_eligible(const MemberRecord& m, const std::string& old_primary_id) {
  return m.id != old_primary_id && m.healthy && !m.maintenance && m.role == MemberRole::kReplica &&
         m.priority > 0;
}

GtidPosition position_of(const MemberRecord& m) {
  Result<GtidPosition> parsed = GtidPosition::parse(m.flavour, m.gtid_position);
  RC_ASSERT(parsed.ok());
  return parsed.value();
}

const MemberRecord& by_id(const std::vector<MemberRecord>& members, const std::string& id) {
  auto found = std::find_if(members.begin(), members.end(),
                            [&](const MemberRecord& m) { return m.id == id; });
  RC_ASSERT(found != members.end());
  return *found;
}

Flavour any_flavour() {
  return *rc::gen::element(Flavour::kMariaDB, Flavour::kMySQL);
}

RC_GTEST_PROP(MysqlctlChooseCandidateProperty, OnAChainTheChoiceContainsEveryEligible, ()) {
  const GeneratedCluster cluster = any_cluster(/*chain=*/true, any_flavour());
  const CandidateChoice choice = choose_candidate(cluster.members, cluster.old_primary_id);
  const bool any_eligible =
      std::any_of(cluster.members.begin(), cluster.members.end(),
                  [&](const MemberRecord& m) { return is_eligible(m, cluster.old_primary_id); });
  RC_ASSERT(choice.candidate_id.has_value() == any_eligible);
  if (!any_eligible) return;
  RC_ASSERT(!choice.diverged);
  const MemberRecord& chosen = by_id(cluster.members, *choice.candidate_id);
  RC_ASSERT(is_eligible(chosen, cluster.old_primary_id));
  for (const MemberRecord& m : cluster.members) {
    if (is_eligible(m, cluster.old_primary_id)) {
      RC_ASSERT(position_of(chosen).contains(position_of(m)));
    }
  }
}

RC_GTEST_PROP(MysqlctlChooseCandidateProperty, NeverChoosesOneWithErrantTransactions, ()) {
  const GeneratedCluster cluster = any_cluster(*rc::gen::arbitrary<bool>(), any_flavour());
  const CandidateChoice choice = choose_candidate(cluster.members, cluster.old_primary_id);
  RC_ASSERT(choice.excluded.size() + (choice.candidate_id ? 1 : 0) == cluster.members.size());
  if (!choice.candidate_id) return;
  const MemberRecord& chosen = by_id(cluster.members, *choice.candidate_id);
  const GtidPosition chosen_position = position_of(chosen);
  bool someone_diverged = false;
  for (const MemberRecord& m : cluster.members) {
    if (!is_eligible(m, cluster.old_primary_id) || m.id == chosen.id) continue;
    const GtidPosition position = position_of(m);
    // The chosen one is at least as advanced as any eligible member.
    RC_ASSERT(chosen_position.advancement() >= position.advancement());
    // Eligible members it does not contain are excluded as errant, and
    // nothing the chosen one has is errant relative to a member containing it.
    if (!chosen_position.contains(position)) {
      someone_diverged = true;
      RC_ASSERT(reason_for(choice, m.id).rfind("has transactions the most advanced", 0) == 0);
    }
    if (position.contains(chosen_position)) RC_ASSERT(chosen_position.contains(position));
  }
  RC_ASSERT(choice.diverged == someone_diverged);
}

RC_GTEST_PROP(MysqlctlChooseCandidateProperty, TheOrderOfReportsDoesNotMatter, ()) {
  GeneratedCluster cluster = any_cluster(*rc::gen::arbitrary<bool>(), any_flavour());
  const CandidateChoice first = choose_candidate(cluster.members, cluster.old_primary_id);
  std::vector<MemberRecord> shuffled = cluster.members;
  for (size_t i = 0; i + 1 < shuffled.size(); ++i) {
    std::swap(shuffled[i], shuffled[*rc::gen::inRange<size_t>(i, shuffled.size())]);
  }
  const CandidateChoice second = choose_candidate(shuffled, cluster.old_primary_id);
  RC_ASSERT(first.candidate_id == second.candidate_id);
  RC_ASSERT(first.diverged == second.diverged);
}

RC_GTEST_PROP(MysqlctlPlanFailoverProperty, EveryPlanKeepsTheRules, ()) {
  const GeneratedCluster cluster = any_cluster(*rc::gen::arbitrary<bool>(), any_flavour());
  FailoverInput input;
  input.members = cluster.members;
  if (*rc::gen::arbitrary<bool>()) {
    input.current_primary =
        PrimaryRecord{cluster.old_primary_id, *rc::gen::inRange<uint64_t>(0, 1000), "", 0, ""};
  }
  input.lease_wait_ms = *rc::gen::inRange<uint64_t>(0, 10000);
  const FailoverOutcome outcome = plan_failover(input);
  RC_ASSERT(outcome.plan.has_value() == outcome.refusal.empty());
  if (!outcome.plan) return;
  const FailoverPlan& plan = *outcome.plan;
  RC_ASSERT(plan_rule_error(plan).empty());
  RC_ASSERT(plan.new_epoch == (input.current_primary ? input.current_primary->epoch + 1 : 1));
  RC_ASSERT(outcome.choice.candidate_id == plan.candidate_id);
  const GtidPosition candidate = position_of(by_id(input.members, plan.candidate_id));
  size_t repointed = 0;
  for (const FailoverStep& step : plan.steps) {
    if (step.kind != StepKind::kRepoint) continue;
    ++repointed;
    const MemberRecord& m = by_id(input.members, step.member_id);
    RC_ASSERT(m.healthy && !m.maintenance);
    RC_ASSERT(candidate.contains(position_of(m)));
  }
  // Every member is the candidate, the old primary, repointed or explained.
  const size_t old_present = std::count_if(
      input.members.begin(), input.members.end(),
      [&](const MemberRecord& m) { return plan.old_primary_id && m.id == *plan.old_primary_id; });
  RC_ASSERT(1 + old_present + repointed + outcome.not_repointed.size() == input.members.size());
}

}  // namespace
}  // namespace warden::mysqlctl
