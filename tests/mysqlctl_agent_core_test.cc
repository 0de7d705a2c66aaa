// mysqlctl/agent_core: the MySQL agent's per-round decisions. Each test
// builds one round's input (the local probe, the namespace view, the clocks)
// and checks one rule of agent_core.h, from both sides: fencing on the local
// clock, following the published primary, failover (two independent
// observations, the lease wait, the lock, anti-flapping, the candidate
// only) and bootstrap.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "mysqlctl/agent_core.h"
#include "mysqlctl/failover_plan.h"
#include "mysqlctl/member.h"
#include "tests/mysqlctl_topology_fixtures.h"

namespace warden::mysqlctl {
namespace {

// The agent's monotonic clock in the middle of its life (started at 0, long
// settled), and a wall clock an hour past the last change of primary.
constexpr uint64_t kNow = 100000;
constexpr int64_t kWallNow = 1700000000000;
constexpr int64_t kAnHourAgo = kWallNow - 3600000;

// db1 lives on 10.0.0.1, db2 on 10.0.0.2, ...
std::string host_of(const std::string& id) {
  return "10.0.0." + id.substr(2);
}

// A healthy writable server: what the probe reports for a primary.
MemberRecord primary(const std::string& id, const std::string& position) {
  MemberRecord record;
  record.id = id;
  record.host = host_of(id);
  record.port = 3306;
  record.role = MemberRole::kPrimary;
  record.flavour = Flavour::kMariaDB;
  record.gtid_position = position;
  record.healthy = true;
  record.read_only = false;
  return record;
}

// A healthy read-only replica of `source`, connected to it unless told not.
MemberRecord replica_of(const std::string& id, const MemberRecord& source,
                        const std::string& position, bool io_running = true) {
  MemberRecord record;
  record.id = id;
  record.host = host_of(id);
  record.port = 3306;
  record.role = MemberRole::kReplica;
  record.flavour = Flavour::kMariaDB;
  record.gtid_position = position;
  record.healthy = true;
  record.read_only = true;
  record.source_host = source.host;
  record.source_port = source.port;
  record.io_running = io_running;
  record.lag_seconds = 0;
  return record;
}

// Read-only and replicating from nobody (restarted, or fenced): the probe
// calls that neither primary nor replica.
MemberRecord stray(const std::string& id, const std::string& position) {
  MemberRecord record = primary(id, position);
  record.role = MemberRole::kUnknown;
  record.healthy = false;
  record.read_only = true;
  record.problem = "read_only is ON and no replication is configured";
  return record;
}

// A primary whose own agent cannot reach its server.
MemberRecord unreachable(const std::string& id) {
  MemberRecord record;
  record.id = id;
  record.host = host_of(id);
  record.flavour = Flavour::kMariaDB;
  record.problem = "probe did not complete";
  return record;
}

ClusterView view_of(std::vector<MemberRecord> members, std::optional<PrimaryRecord> published) {
  ClusterView view;
  view.members = std::move(members);
  view.primary = std::move(published);
  view.primary_version = 4;
  view.primary_written_ms = kAnHourAgo;
  return view;
}

// A round in which the agent is confirmed (a sync answered 100 ms ago), its
// probe completed and it read `view`.
AgentInput round(const MemberRecord& local, std::optional<ClusterView> view, uint64_t now = kNow) {
  AgentInput input;
  input.now_ms = now;
  input.wall_now_ms = kWallNow + (static_cast<int64_t>(now) - static_cast<int64_t>(kNow));
  input.local = local;
  input.local_probe_completed = true;
  input.session_alive = true;
  input.last_confirmed_ms = now - 100;
  input.view = std::move(view);
  return input;
}

const MemberRecord* find(const ClusterView& view, const std::string& id) {
  for (const MemberRecord& m : view.members) {
    if (m.id == id) return &m;
  }
  ADD_FAILURE() << "no member " << id;
  return nullptr;
}

std::vector<std::string> steps_of(const FailoverPlan& plan) {
  std::vector<std::string> lines;
  for (const FailoverStep& step : plan.steps) lines.push_back(describe(step));
  return lines;
}

uint64_t lease_wait_of(const FailoverPlan& plan) {
  for (const FailoverStep& step : plan.steps) {
    if (step.kind == StepKind::kWaitLeaseExpiry) return step.wait_ms;
  }
  ADD_FAILURE() << "no lease wait";
  return 0;
}

// db1 the primary at epoch 3 (0-1-12), db2 caught up with it, db3 behind.
ClusterView healthy_cluster() {
  const MemberRecord p = primary("db1", "0-1-12");
  return view_of({p, replica_of("db2", p, "0-1-12"), replica_of("db3", p, "0-1-10")},
                 PrimaryRecord{"db1", 3, "", 0, ""});
}

// healthy_cluster() after db1's agent lost its session: its record is gone,
// and its replicas have lost it too.
ClusterView primary_gone_cluster() {
  const MemberRecord p = primary("db1", "0-1-12");
  return view_of({replica_of("db2", p, "0-1-12", false), replica_of("db3", p, "0-1-10", false)},
                 PrimaryRecord{"db1", 3, "", 0, ""});
}

// healthy_cluster() with db1's agent alive but its server unreachable, and
// neither replica connected to it.
ClusterView primary_unhealthy_cluster() {
  const MemberRecord p = primary("db1", "0-1-12");
  return view_of({unreachable("db1"), replica_of("db2", p, "0-1-12", false),
                  replica_of("db3", p, "0-1-10", false)},
                 PrimaryRecord{"db1", 3, "", 0, ""});
}

// ----- 1. fencing on the local clock

TEST(MysqlctlAgentFenceOnClock, FencesWhenTheLastConfirmationIsAsOldAsTheBound) {
  AgentCore core(settings_for("db1"), 0);
  // No view at all: the agent cannot read the namespace, yet must fence.
  AgentInput input = round(primary("db1", "0-1-12"), std::nullopt);
  input.last_confirmed_ms = kNow - 4000;
  const AgentDecision decision = core.decide(input);
  EXPECT_EQ(decision.local, LocalAction::kFence);
  EXPECT_EQ(decision.local_reason, "no quorum confirmation for 4000 ms");
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.primary_failure, "");
}

TEST(MysqlctlAgentFenceOnClock, DoesNotFenceJustBelowTheBound) {
  AgentCore core(settings_for("db1"), 0);
  AgentInput input = round(primary("db1", "0-1-12"), std::nullopt);
  input.last_confirmed_ms = kNow - 3999;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
  // Nor with the view naming it: the published primary, confirmed, stays.
  input.view = healthy_cluster();
  const AgentDecision decision = core.decide(input);
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_EQ(decision.local_reason, "");
}

TEST(MysqlctlAgentFenceOnClock, FencesWhenTheSessionIsLost) {
  AgentCore core(settings_for("db1"), 0);
  // A confirmation this very moment does not help once the session is gone:
  // the ensemble may already have expired it.
  AgentInput input = round(primary("db1", "0-1-12"), std::nullopt);
  input.session_alive = false;
  input.last_confirmed_ms = kNow;
  const AgentDecision decision = core.decide(input);
  EXPECT_EQ(decision.local, LocalAction::kFence);
  EXPECT_EQ(decision.local_reason, "the agent's session is lost");
}

// Never confirmed, the agent counts from its start: a restarted agent beside
// the running primary does not stop its writes before it could reach the
// ensemble, but it does fence once a confirmed agent would have.
TEST(MysqlctlAgentFenceOnClock, NeverConfirmedCountsFromTheStart) {
  AgentCore core(settings_for("db1"), kNow - 3999);
  AgentInput input = round(primary("db1", "0-1-12"), std::nullopt);
  input.last_confirmed_ms = std::nullopt;
  input.session_alive = false;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);

  AgentCore started_earlier(settings_for("db1"), kNow - 4000);
  const AgentDecision decision = started_earlier.decide(input);
  EXPECT_EQ(decision.local, LocalAction::kFence);
  EXPECT_EQ(decision.local_reason, "no quorum confirmation for 4000 ms");
}

TEST(MysqlctlAgentFenceOnClock, FencesEvenInMaintenance) {
  AgentCore core(settings_for("db1"), 0);
  // Maintenance stops every other rule, not this one: an unvouched writable
  // server is what loses writes.
  MemberRecord local = primary("db1", "0-1-12");
  local.maintenance = true;
  ClusterView view = healthy_cluster();
  view.members[0].maintenance = true;
  AgentInput input = round(local, view);
  input.last_confirmed_ms = kNow - 5000;
  const AgentDecision decision = core.decide(input);
  EXPECT_EQ(decision.local, LocalAction::kFence);
  EXPECT_EQ(decision.local_reason, "no quorum confirmation for 4000 ms");
}

TEST(MysqlctlAgentFenceOnClock, OnlyAWritableServerThatAnsweredIsFenced) {
  AgentCore core(settings_for("db2"), 0);
  // Read-only already: nothing to fence.
  AgentInput input = round(replica_of("db2", primary("db1", "0-1-12"), "0-1-12"), std::nullopt);
  input.session_alive = false;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
  // A probe that did not complete gives no read_only to act on.
  input = round(primary("db2", "0-1-12"), std::nullopt);
  input.session_alive = false;
  input.local_probe_completed = false;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
  // Nor does having no probe yet.
  input.local = std::nullopt;
  input.local_probe_completed = true;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
}

// ----- 2. following the published primary

TEST(MysqlctlAgentFollowPrimary, FencesAWritableServerThePrimaryRecordDoesNotName) {
  AgentCore core(settings_for("db2"), 0);
  const AgentDecision decision = core.decide(round(primary("db2", "0-1-12"), healthy_cluster()));
  EXPECT_EQ(decision.local, LocalAction::kFence);
  EXPECT_EQ(decision.local_reason, "the published primary is db1 (epoch 3)");
  EXPECT_FALSE(decision.source);
}

TEST(MysqlctlAgentFollowPrimary, MakesTheNamedPrimaryWritableWhileConfirmed) {
  AgentCore core(settings_for("db1"), 0);
  // It restarted read-only, or fenced itself while cut off and is back.
  ClusterView view = healthy_cluster();
  view.members[0] = stray("db1", "0-1-12");
  const AgentDecision decision = core.decide(round(stray("db1", "0-1-12"), view));
  EXPECT_EQ(decision.local, LocalAction::kMakeWritable);
  EXPECT_EQ(decision.local_reason, "this member is the published primary db1 (epoch 3)");
}

// A restarted Warden process has a new session: its member record is
// recreated a moment later. While the view lacks it, the others see the
// primary gone and may already be failing it over, under a lock taken after
// this view was read; the failover's fence would be undone (`warden sim
// --workload mysql`, seed 271: an acknowledged write lost).
TEST(MysqlctlAgentFollowPrimary, DoesNotMakeTheNamedPrimaryWritableWithoutItsRecordInTheView) {
  AgentCore core(settings_for("db1"), 0);
  ClusterView view = healthy_cluster();
  view.members.erase(view.members.begin());
  AgentDecision decision = core.decide(round(stray("db1", "0-1-12"), view));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  view.members.insert(view.members.begin(), stray("db1", "0-1-12"));
  decision = core.decide(round(stray("db1", "0-1-12"), view));
  EXPECT_EQ(decision.local, LocalAction::kMakeWritable);
}

// `warden sim --workload mysql --overlapping-faults`, seed 59: a restarted
// primary's crash recovery dropped a commit that db3, down now, received;
// writable again, it would commit another transaction under that GTID.
TEST(MysqlctlAgentFollowPrimary, DoesNotResumeWhileAFollowerIsUnaccountedFor) {
  AgentCore core(settings_for("db1"), 0);
  ClusterView view = healthy_cluster();
  view.members[0] = stray("db1", "0-1-12");
  view.roster = {{"db1", 3}, {"db2", 3}, {"db3", 3}};
  std::erase_if(view.members, [](const MemberRecord& m) { return m.id == "db3"; });
  AgentDecision decision = core.decide(round(stray("db1", "0-1-12"), view));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_EQ(decision.problem,
            "the published primary does not take writes again: member db3 may hold acknowledged "
            "commits and has no record (maintenance on it lets the failover go on without it)");
  view.in_maintenance = {"db3"};
  decision = core.decide(round(stray("db1", "0-1-12"), view));
  EXPECT_EQ(decision.local, LocalAction::kMakeWritable);
}

TEST(MysqlctlAgentFollowPrimary, DoesNotMakeTheNamedPrimaryWritableWhenIsolated) {
  AgentCore core(settings_for("db1"), 0);
  ClusterView view = healthy_cluster();
  view.members[0] = stray("db1", "0-1-12");
  AgentInput input = round(stray("db1", "0-1-12"), view);
  input.last_confirmed_ms = kNow - 4000;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
  input.last_confirmed_ms = kNow - 100;
  input.session_alive = false;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
  input.session_alive = true;
  input.last_confirmed_ms = std::nullopt;
  EXPECT_EQ(core.decide(input).local, LocalAction::kNone);
}

TEST(MysqlctlAgentFollowPrimary, DoesNotMakeANamedPrimaryThatStillReplicatesWritable) {
  AgentCore core(settings_for("db1"), 0);
  // Named but still a replica of someone (a switchover not finished): making
  // it writable would leave replication running into a writable server.
  const MemberRecord local = replica_of("db1", primary("db9", "0-9-1"), "0-1-12");
  EXPECT_EQ(core.decide(round(local, healthy_cluster())).local, LocalAction::kNone);
}

TEST(MysqlctlAgentFollowPrimary, RepointsAReplicaFollowingSomeoneElse) {
  AgentCore core(settings_for("db3"), 0);
  const ClusterView view = healthy_cluster();
  const MemberRecord local = replica_of("db3", primary("db9", "0-1-9"), "0-1-10");
  const AgentDecision decision = core.decide(round(local, view));
  EXPECT_EQ(decision.local, LocalAction::kRepoint);
  ASSERT_TRUE(decision.source);
  EXPECT_EQ(*decision.source, *find(view, "db1"));
  EXPECT_EQ(decision.local_reason, "follow the published primary db1 (epoch 3)");
  EXPECT_EQ(decision.problem, "");
}

TEST(MysqlctlAgentFollowPrimary, RepointsAServerReplicatingFromNobody) {
  AgentCore core(settings_for("db1"), 0);
  // The old primary, fenced and back, without transactions db2 lacks.
  const MemberRecord p2 = primary("db2", "0-1-14");
  const ClusterView view = view_of({stray("db1", "0-1-12"), p2, replica_of("db3", p2, "0-1-14")},
                                   PrimaryRecord{"db2", 4, "", 0, ""});
  const AgentDecision decision = core.decide(round(stray("db1", "0-1-12"), view));
  EXPECT_EQ(decision.local, LocalAction::kRepoint);
  ASSERT_TRUE(decision.source);
  EXPECT_EQ(*decision.source, p2);
  EXPECT_EQ(decision.local_reason, "follow the published primary db2 (epoch 4)");
}

TEST(MysqlctlAgentFollowPrimary, LeavesAReplicaAlreadyFollowingThePrimaryAlone) {
  AgentCore core(settings_for("db3"), 0);
  const ClusterView view = healthy_cluster();
  const AgentDecision decision = core.decide(round(*find(view, "db3"), view));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_FALSE(decision.source);
  EXPECT_EQ(decision.local_reason, "");
  // Even while disconnected from it: reconnecting is replication's job.
  const MemberRecord local = replica_of("db3", *find(view, "db1"), "0-1-10", false);
  EXPECT_EQ(core.decide(round(local, view)).local, LocalAction::kNone);
}

TEST(MysqlctlAgentFollowPrimary, HoldsOutAReplicaAheadOfThePrimaryInItsDomain) {
  AgentCore core(settings_for("db3"), 0);
  // db1 is at 0-1-10; db3 has applied up to seq 12 in domain 0.
  const MemberRecord p = primary("db1", "0-1-10");
  const ClusterView view = view_of({p}, PrimaryRecord{"db1", 3, "", 0, ""});
  const MemberRecord local = replica_of("db3", primary("db9", "0-1-12"), "0-1-12");
  const AgentDecision decision = core.decide(round(local, view));
  EXPECT_EQ(decision.local, LocalAction::kHoldOut);
  EXPECT_EQ(decision.problem,
            "held out: has transactions the primary db1 lacks (errant GTIDs 0-1-12)");
  EXPECT_EQ(decision.local_reason, decision.problem);
  EXPECT_FALSE(decision.source);
}

TEST(MysqlctlAgentFollowPrimary, HoldsOutAReplicaWithADomainThePrimaryLacks) {
  AgentCore core(settings_for("db3"), 0);
  const MemberRecord p = primary("db1", "0-1-12");
  const ClusterView view = view_of({p}, PrimaryRecord{"db1", 3, "", 0, ""});
  // Behind in domain 0, but domain 1 was written on db3 alone.
  const MemberRecord local = stray("db3", "0-1-10,1-3-5");
  const AgentDecision decision = core.decide(round(local, view));
  EXPECT_EQ(decision.local, LocalAction::kHoldOut);
  EXPECT_EQ(decision.problem,
            "held out: has transactions the primary db1 lacks (errant GTIDs 1-3-5)");
}

TEST(MysqlctlAgentFollowPrimary, AnotherServerIdInTheSameDomainIsNotErrant) {
  AgentCore core(settings_for("db3"), 0);
  // MariaDB counts seq per domain whoever wrote it: 0-3-5 is behind 0-1-12.
  const MemberRecord p = primary("db1", "0-1-12");
  const ClusterView view = view_of({p}, PrimaryRecord{"db1", 3, "", 0, ""});
  const AgentDecision decision = core.decide(round(stray("db3", "0-3-5"), view));
  EXPECT_EQ(decision.local, LocalAction::kRepoint);
  EXPECT_EQ(decision.problem, "");
}

TEST(MysqlctlAgentFollowPrimary, DoesNothingWhenThePrimarysRecordIsNotAHealthyPrimary) {
  AgentCore core(settings_for("db3"), 0);
  const MemberRecord local = replica_of("db3", primary("db9", "0-1-9"), "0-1-10");
  // Unhealthy: repointing to it now would follow a server that may be lost.
  ClusterView view = healthy_cluster();
  view.members[0].healthy = false;
  EXPECT_EQ(core.decide(round(local, view)).local, LocalAction::kNone);
  // Not a primary (read-only, or still replicating).
  view = healthy_cluster();
  view.members[0] = stray("db1", "0-1-12");
  EXPECT_EQ(core.decide(round(local, view)).local, LocalAction::kNone);
  // Healthy, but a replica still (a promotion not finished).
  view = healthy_cluster();
  view.members[0] = replica_of("db1", primary("db9", "0-1-12"), "0-1-12");
  EXPECT_EQ(core.decide(round(local, view)).local, LocalAction::kNone);
  // Absent: its agent's session ended.
  view = healthy_cluster();
  view.members.erase(view.members.begin());
  const AgentDecision decision = core.decide(round(local, view));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_FALSE(decision.source);
}

TEST(MysqlctlAgentFollowPrimary, NothingInMaintenance) {
  ClusterView view = healthy_cluster();
  // A replica following someone else is not repointed...
  AgentCore replica_core(settings_for("db3"), 0);
  MemberRecord local = replica_of("db3", primary("db9", "0-1-9"), "0-1-10");
  local.maintenance = true;
  EXPECT_EQ(replica_core.decide(round(local, view)).local, LocalAction::kNone);
  // ... a confirmed writable server not named is not fenced ...
  local = primary("db3", "0-1-10");
  local.maintenance = true;
  EXPECT_EQ(replica_core.decide(round(local, view)).local, LocalAction::kNone);
  // ... an errant one is not held out ...
  local = stray("db3", "0-1-10,1-3-5");
  local.maintenance = true;
  const AgentDecision decision = replica_core.decide(round(local, view));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_EQ(decision.problem, "");
  // ... and the named primary is not made writable.
  AgentCore primary_core(settings_for("db1"), 0);
  local = stray("db1", "0-1-12");
  local.maintenance = true;
  view.members[0] = local;
  EXPECT_EQ(primary_core.decide(round(local, view)).local, LocalAction::kNone);
}

TEST(MysqlctlAgentFollowPrimary, NothingWithoutAView) {
  AgentCore core(settings_for("db3"), 0);
  const MemberRecord local = replica_of("db3", primary("db9", "0-1-9"), "0-1-10");
  const AgentDecision decision = core.decide(round(local, std::nullopt));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_EQ(decision.primary_failure, "");
  EXPECT_EQ(decision.failover_held, "");
}

// ----- 3. failover

TEST(MysqlctlAgentFailover, NoneWhileThePrimaryIsHealthy) {
  AgentCore core(settings_for("db2"), 0);
  const ClusterView view = healthy_cluster();
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.primary_failure, "");
  EXPECT_EQ(decision.failover_held, "");
  EXPECT_FALSE(decision.failover);
}

TEST(MysqlctlAgentFailover, AGonePrimaryIsReportedAndItsLeaseWaitedOut) {
  AgentCore core(settings_for("db2"), 0);
  const ClusterView view = primary_gone_cluster();
  AgentDecision decision = core.decide(round(*find(view, "db2"), view, kNow));
  EXPECT_EQ(decision.primary_failure,
            "primary db1 (epoch 3) has no member record: its agent's session ended");
  EXPECT_EQ(decision.failover_held, "");
  ASSERT_TRUE(decision.failover);
  const FailoverPlan& plan = *decision.failover;
  EXPECT_EQ(plan.old_primary_id, "db1");
  EXPECT_EQ(plan.candidate_id, "db2");
  EXPECT_EQ(plan.new_epoch, 4u);
  EXPECT_EQ(plan_rule_error(plan), "");
  // Seen gone just now: promotion only after the whole lease wait.
  EXPECT_EQ(steps_of(plan), (std::vector<std::string>{
                                "fence old primary db1",
                                "wait 8000 ms for the lease of db1",
                                "fence old primary db1",
                                "stop db2 receiving and read its position",
                                "stop db3 receiving and read its position",
                                "wait for db2 to apply its relay log (at least '0-1-12')",
                                "promote db2",
                                "repoint db3 to db2",
                                "publish primary db2 at epoch 4",
                            }));
}

TEST(MysqlctlAgentFailover, TheLeaseWaitShrinksFromWhenThePrimaryWasFirstSeenGone) {
  AgentCore core(settings_for("db2"), 0);
  const ClusterView view = primary_gone_cluster();
  const MemberRecord local = *find(view, "db2");
  std::optional<FailoverPlan> plan = core.decide(round(local, view, kNow)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 8000u);
  plan = core.decide(round(local, view, kNow + 3000)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 5000u);
  plan = core.decide(round(local, view, kNow + 7999)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 1u);
  plan = core.decide(round(local, view, kNow + 8000)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 0u);
  // Long past: still 0, not a wrapped-around huge wait.
  plan = core.decide(round(local, view, kNow + 60000)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 0u);
  EXPECT_EQ(plan_rule_error(*plan), "");
}

TEST(MysqlctlAgentFailover, TheGoneSinceClockResetsWhenTheRecordComesBack) {
  AgentCore core(settings_for("db2"), 0);
  const ClusterView gone = primary_gone_cluster();
  const MemberRecord local = *find(gone, "db2");
  ASSERT_TRUE(core.decide(round(local, gone, kNow)).failover);
  std::optional<FailoverPlan> plan = core.decide(round(local, gone, kNow + 5000)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 3000u);
  // db1's agent reconnected and republished: a new session, a new lease.
  const AgentDecision back = core.decide(round(local, healthy_cluster(), kNow + 6000));
  EXPECT_EQ(back.primary_failure, "");
  EXPECT_FALSE(back.failover);
  plan = core.decide(round(local, gone, kNow + 7000)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 8000u);
}

TEST(MysqlctlAgentFailover, TheGoneSinceClockRestartsForAnotherPrimary) {
  AgentCore core(settings_for("db3"), 0);
  const MemberRecord p = primary("db1", "0-1-12");
  const MemberRecord local = replica_of("db3", p, "0-1-12", false);
  ClusterView view = view_of({local}, PrimaryRecord{"db1", 3, "", 0, ""});
  std::optional<FailoverPlan> plan = core.decide(round(local, view, kNow)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 8000u);
  // Meanwhile db2 was published and lost too: its lease counts from now.
  view.primary = PrimaryRecord{"db2", 4, "", 0, ""};
  plan = core.decide(round(local, view, kNow + 5000)).failover;
  ASSERT_TRUE(plan);
  EXPECT_EQ(lease_wait_of(*plan), 8000u);
  EXPECT_EQ(plan->old_primary_id, "db2");
  EXPECT_EQ(plan->new_epoch, 5u);
}

TEST(MysqlctlAgentFailover, AnUnhealthyPrimaryNoReplicaReachesIsFailedOverAtOnce) {
  AgentCore core(settings_for("db2"), 0);
  const ClusterView view = primary_unhealthy_cluster();
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.primary_failure,
            "primary db1 (epoch 3) is unhealthy (probe did not complete) and none of its 2 "
            "replicas is connected to it");
  EXPECT_EQ(decision.failover_held, "");
  ASSERT_TRUE(decision.failover);
  // Its agent is alive and fences on sight of the new primary: no lease.
  EXPECT_EQ(lease_wait_of(*decision.failover), 0u);
  EXPECT_EQ(decision.failover->candidate_id, "db2");
  EXPECT_EQ(decision.failover->new_epoch, 4u);
  EXPECT_EQ(plan_rule_error(*decision.failover), "");
}

TEST(MysqlctlAgentFailover, APublishedPrimaryThatIsNotWritableCountsAsUnhealthy) {
  AgentCore core(settings_for("db2"), 0);
  // db1 is named but replicates from db9 (a healthy replica, problem ""),
  // and its own replicas lost it: it takes no writes, so it is failed over.
  ClusterView view = primary_unhealthy_cluster();
  view.members[0] = replica_of("db1", primary("db9", "0-9-1"), "0-1-12");
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.primary_failure,
            "primary db1 (epoch 3) is unhealthy and none of its 2 replicas is connected to it");
  ASSERT_TRUE(decision.failover);
  EXPECT_EQ(lease_wait_of(*decision.failover), 0u);
}

TEST(MysqlctlAgentFailover, HeldWhileAFollowerIsStillConnected) {
  AgentCore core(settings_for("db2"), 0);
  // db1's agent cannot reach it, but db3 can: one agent's word is not enough.
  ClusterView view = primary_unhealthy_cluster();
  view.members[2].io_running = true;
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.failover_held,
            "primary db1 is unhealthy (probe did not complete) but replica db3 is still "
            "connected to it");
  EXPECT_EQ(decision.primary_failure, "");
  EXPECT_FALSE(decision.failover);
}

TEST(MysqlctlAgentFailover, HeldWithoutAFollowerToConfirm) {
  AgentCore core(settings_for("db2"), 0);
  // The replicas follow somebody else, and the one that follows db1 is
  // unhealthy: nobody independent confirms that db1 is lost.
  const MemberRecord elsewhere = primary("db9", "0-1-12");
  MemberRecord broken = replica_of("db3", primary("db1", "0-1-12"), "0-1-10", false);
  broken.healthy = false;
  const ClusterView view =
      view_of({unreachable("db1"), replica_of("db2", elsewhere, "0-1-12", false), broken},
              PrimaryRecord{"db1", 3, "", 0, ""});
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.failover_held,
            "primary db1 is unhealthy (probe did not complete) and no healthy replica "
            "follows it to confirm");
  EXPECT_EQ(decision.primary_failure, "");
  EXPECT_FALSE(decision.failover);
}

TEST(MysqlctlAgentFailover, APrimaryInMaintenanceIsNeverFailedOver) {
  AgentCore core(settings_for("db2"), 0);
  ClusterView view = primary_unhealthy_cluster();
  view.members[0].maintenance = true;
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.failover_held, "primary db1 is in maintenance");
  EXPECT_EQ(decision.primary_failure, "");
  EXPECT_FALSE(decision.failover);
}

TEST(MysqlctlAgentFailover, HeldWhileAnotherAgentHoldsTheLock) {
  AgentCore core(settings_for("db2"), 0);
  ClusterView view = primary_unhealthy_cluster();
  view.failover_lock_held = true;
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.failover_held, "another agent holds the failover lock");
  // The failure is still reported.
  EXPECT_NE(decision.primary_failure, "");
  EXPECT_FALSE(decision.failover);
}

TEST(MysqlctlAgentFailover, AntiFlappingCountsFromThePrimaryRecordsLastWrite) {
  AgentCore core(settings_for("db2"), 0);
  ClusterView view = primary_unhealthy_cluster();
  const MemberRecord local = *find(view, "db2");
  view.primary_written_ms = kWallNow - 59999;
  AgentDecision decision = core.decide(round(local, view));
  EXPECT_EQ(decision.failover_held,
            "anti-flapping: the last change of primary was less than 60000 ms ago");
  EXPECT_NE(decision.primary_failure, "");
  EXPECT_FALSE(decision.failover);
  // A record written "later" than this agent's wall clock: no time passed.
  view.primary_written_ms = kWallNow + 1000;
  EXPECT_FALSE(core.decide(round(local, view)).failover);
  view.primary_written_ms = kWallNow - 60000;
  decision = core.decide(round(local, view));
  EXPECT_EQ(decision.failover_held, "");
  ASSERT_TRUE(decision.failover);
  EXPECT_EQ(decision.failover->candidate_id, "db2");
}

// The first primary (epoch 1) was adopted, not failed over to: the first
// failover may follow it at once.
TEST(MysqlctlAgentFailover, TheFirstPrimaryIsNotAChangeOfPrimary) {
  AgentCore core(settings_for("db2"), 0);
  ClusterView view = primary_unhealthy_cluster();
  view.primary->epoch = 1;
  view.primary_written_ms = kWallNow - 10;
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_EQ(decision.failover_held, "");
  ASSERT_TRUE(decision.failover);
  EXPECT_EQ(decision.failover->new_epoch, 2u);
  view.primary->epoch = 2;
  EXPECT_EQ(core.decide(round(*find(view, "db2"), view)).failover_held,
            "anti-flapping: the last change of primary was less than 60000 ms ago");
}

TEST(MysqlctlAgentFailover, OnlyTheCandidatesAgentGetsThePlan) {
  const ClusterView view = primary_unhealthy_cluster();
  // db2 is the most advanced replica.
  AgentCore candidate(settings_for("db2"), 0);
  const AgentDecision mine = candidate.decide(round(*find(view, "db2"), view));
  ASSERT_TRUE(mine.failover);
  EXPECT_EQ(mine.failover->candidate_id, "db2");
  for (const std::string id : {"db1", "db3"}) {
    AgentCore other(settings_for(id), 0);
    AgentInput input = round(*find(view, id), view);
    input.local_probe_completed = id != "db1";  // db1's agent cannot reach its server
    const AgentDecision theirs = other.decide(input);
    EXPECT_FALSE(theirs.failover) << id;
    EXPECT_EQ(theirs.primary_failure, mine.primary_failure) << id;
    EXPECT_EQ(theirs.failover_held, "") << id;
  }
}

TEST(MysqlctlAgentFailover, APlanRefusalIsReportedAsHeld) {
  AgentCore core(settings_for("db2"), 0);
  // Both replicas confirm db1 is lost, but neither may be promoted.
  ClusterView view = primary_unhealthy_cluster();
  view.members[1].priority = 0;
  view.members[2].maintenance = true;
  const AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_NE(decision.primary_failure, "");
  EXPECT_EQ(decision.failover_held, "no eligible candidate among 3 members");
  EXPECT_FALSE(decision.failover);
}

// ----- 4. bootstrap

TEST(MysqlctlAgentBootstrap, NothingBeforeSettle) {
  AgentCore core(settings_for("db1"), 50000);
  // Some members may not have published yet.
  const ClusterView view = view_of({primary("db1", "0-1-12")}, std::nullopt);
  AgentDecision decision = core.decide(round(primary("db1", "0-1-12"), view, 52999));
  EXPECT_FALSE(decision.adopt_as_primary);
  EXPECT_EQ(decision.failover_held, "");
  decision = core.decide(round(primary("db1", "0-1-12"), view, 53000));
  EXPECT_TRUE(decision.adopt_as_primary);
}

TEST(MysqlctlAgentBootstrap, TheOneWritableMemberIsAdoptedByItsOwnAgent) {
  const MemberRecord p = primary("db1", "0-1-12");
  const ClusterView view =
      view_of({p, replica_of("db2", p, "0-1-12"), stray("db3", "")}, std::nullopt);
  AgentCore own(settings_for("db1"), 0);
  const AgentDecision decision = own.decide(round(p, view));
  EXPECT_TRUE(decision.adopt_as_primary);
  // Without a primary record, a writable server is not fenced.
  EXPECT_EQ(decision.local, LocalAction::kNone);
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held, "");
  for (const std::string id : {"db2", "db3"}) {
    AgentCore other(settings_for(id), 0);
    const AgentDecision theirs = other.decide(round(*find(view, id), view));
    EXPECT_FALSE(theirs.adopt_as_primary) << id;
    EXPECT_FALSE(theirs.failover) << id;
    EXPECT_EQ(theirs.local, LocalAction::kNone) << id;
  }
}

// Once published, its acknowledged commits are promised: semi-sync is set
// never to fall back before that (overlapping seed 138).
TEST(MysqlctlAgentBootstrap, SemiSyncIsConfiguredBeforeTheFirstPrimaryIsAdopted) {
  MemberRecord p = primary("db1", "0-1-12");
  p.semi_sync = "may-fall-back";
  const ClusterView view = view_of({p, replica_of("db2", p, "0-1-12")}, std::nullopt);
  AgentCore own(settings_for("db1"), 0);
  AgentDecision decision = own.decide(round(p, view));
  EXPECT_FALSE(decision.adopt_as_primary);
  EXPECT_EQ(decision.local, LocalAction::kMakeWritable);
  EXPECT_EQ(decision.local_reason,
            "semi-synchronous replication is may-fall-back: configuring it never to fall back "
            "before adopting this member as the first primary");
  p.semi_sync = "on";
  decision = own.decide(round(p, view));
  EXPECT_TRUE(decision.adopt_as_primary);
  EXPECT_EQ(decision.local, LocalAction::kNone);
}

// Cut off, the agent cannot know whether a primary was published meanwhile:
// it fences its server rather than adopt it. In maintenance it adopts
// nothing either.
TEST(MysqlctlAgentBootstrap, AnIsolatedOrMaintainedWritableMemberIsNotAdopted) {
  MemberRecord p = primary("db1", "0-1-12");
  const ClusterView view = view_of({p}, std::nullopt);
  AgentCore core(settings_for("db1"), 0);
  AgentInput input = round(p, view);
  input.last_confirmed_ms = input.now_ms - 4000;
  AgentDecision decision = core.decide(input);
  EXPECT_FALSE(decision.adopt_as_primary);
  EXPECT_EQ(decision.local, LocalAction::kFence);

  p.maintenance = true;
  decision = core.decide(round(p, view_of({p}, std::nullopt)));
  EXPECT_FALSE(decision.adopt_as_primary);
  EXPECT_EQ(decision.local, LocalAction::kNone);
}

// A switchover fences the primary and promotes a replica before it
// publishes: under its lock, no agent undoes either half.
TEST(MysqlctlAgentFollowPrimary, NothingWhileTheFailoverLockIsHeld) {
  ClusterView view = healthy_cluster();
  view.failover_lock_held = true;
  MemberRecord fenced = *find(view, "db1");
  fenced.read_only = true;
  fenced.role = MemberRole::kUnknown;
  AgentCore primary_agent(settings_for("db1"), 0);
  EXPECT_EQ(primary_agent.decide(round(fenced, view)).local, LocalAction::kNone);
  MemberRecord promoted = *find(view, "db2");
  promoted.read_only = false;
  promoted.role = MemberRole::kPrimary;
  promoted.source_host.clear();
  AgentCore replica_agent(settings_for("db2"), 0);
  EXPECT_EQ(replica_agent.decide(round(promoted, view)).local, LocalAction::kNone);
  // Without the lock both would act.
  view.failover_lock_held = false;
  EXPECT_EQ(primary_agent.decide(round(fenced, view)).local, LocalAction::kMakeWritable);
  EXPECT_EQ(replica_agent.decide(round(promoted, view)).local, LocalAction::kFence);
}

// The published primary's semi-sync must never fall back: an acknowledged
// commit is then always on a replica too.
TEST(MysqlctlAgentFollowPrimary, ThePrimarysSemiSyncIsSetNeverToFallBack) {
  ClusterView view = healthy_cluster();
  MemberRecord me = *find(view, "db1");
  AgentCore core(settings_for("db1"), 0);
  for (const char* state : {"off", "may-fall-back"}) {
    me.semi_sync = state;
    const AgentDecision decision = core.decide(round(me, view));
    EXPECT_EQ(decision.local, LocalAction::kMakeWritable) << state;
    EXPECT_EQ(decision.local_reason, std::string("semi-synchronous replication is ") + state +
                                         " on the primary: configuring it never to fall back");
  }
  me.semi_sync = "on";
  EXPECT_EQ(core.decide(round(me, view)).local, LocalAction::kNone);
  me.semi_sync = "";  // no such feature: nothing to configure
  EXPECT_EQ(core.decide(round(me, view)).local, LocalAction::kNone);
  me.semi_sync = "off";
  AgentSettings relaxed = settings_for("db1");
  relaxed.require_semi_sync = false;
  AgentCore asynchronous(relaxed, 0);
  EXPECT_EQ(asynchronous.decide(round(me, view)).local, LocalAction::kNone);
}

// The primary crashed and restarted read-only; its crash recovery dropped
// 0-1-12, which db2 had received. It must not lead again: db2 takes over,
// at once (its agent is alive and its server read-only).
TEST(MysqlctlAgentFailover, ARestartedPrimaryBehindItsReplicaIsReplaced) {
  const MemberRecord before = primary("db1", "0-1-12");
  MemberRecord restarted = stray("db1", "0-1-11");
  restarted.port = before.port;
  // db2 cannot stream from it: the GTID it asks to continue after is gone.
  const ClusterView view = view_of(
      {restarted, replica_of("db2", before, "0-1-12", false), replica_of("db3", before, "0-1-11")},
      PrimaryRecord{"db1", 3, "", 0, ""});
  AgentCore own(settings_for("db1"), 0);
  const AgentDecision mine = own.decide(round(restarted, view));
  EXPECT_EQ(mine.local, LocalAction::kNone);  // not made writable
  EXPECT_EQ(mine.primary_failure,
            "primary db1 (epoch 3) is read-only and member db2 has transactions it lacks "
            "(0-1-12): it restarted");
  AgentCore candidate(settings_for("db2"), 0);
  const AgentDecision theirs = candidate.decide(round(*find(view, "db2"), view));
  ASSERT_TRUE(theirs.failover);
  EXPECT_EQ(theirs.failover->candidate_id, "db2");
  EXPECT_EQ(theirs.failover->steps[1].wait_ms, 0u);
  // Replicas no further than it: it resumes, nothing to replace.
  const ClusterView level =
      view_of({restarted, replica_of("db2", before, "0-1-11"), replica_of("db3", before, "0-1-11")},
              PrimaryRecord{"db1", 3, "", 0, ""});
  EXPECT_EQ(own.decide(round(restarted, level)).local, LocalAction::kMakeWritable);
  EXPECT_FALSE(candidate.decide(round(*find(level, "db2"), level)).failover);
}

// The replica that is ahead cannot reconnect to the restarted primary (error
// 1236 on the missing GTID) and turns unhealthy because of that very gap:
// it still keeps the primary from resuming, which would write another
// transaction as 0-1-12 (`warden sim --workload mysql`, seed 387: a replica
// later streamed from the new primary with a different 0-1-12).
// A primary that fenced itself while cut off is made writable again when it
// is back; a view can hold its record from while it was read-only beside a
// replica's newer one, streaming what it committed since. That replica is
// not ahead of a truncated binary log (it could not stream from one): no
// failover (`warden sim --workload mysql`, seed 127: a healthy primary failed
// over, twice).
TEST(MysqlctlAgentFailover, AReplicaStillStreamingFromThePrimaryIsNotAheadOfIt) {
  const MemberRecord writable = primary("db1", "0-1-13");
  const MemberRecord stale = stray("db1", "0-1-12");
  const ClusterView view =
      view_of({stale, replica_of("db2", writable, "0-1-13"), replica_of("db3", writable, "0-1-12")},
              PrimaryRecord{"db1", 3, "", 0, ""});
  AgentCore other(settings_for("db2"), 0);
  const AgentDecision decision = other.decide(round(*find(view, "db2"), view));
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held,
            "primary db1 is unhealthy (read_only is ON and no replication is configured) but "
            "replica db2 is still connected to it");
}

TEST(MysqlctlAgentFailover, AReplicaAheadCountsEvenOnceItsReplicationFailed) {
  const MemberRecord before = primary("db1", "0-1-12");
  MemberRecord restarted = stray("db1", "0-1-11");
  MemberRecord ahead = replica_of("db2", before, "0-1-12", false);
  ahead.healthy = false;
  ahead.problem = "replication from 10.0.0.1:3306 is not running: Slave_IO_Running is No";
  const ClusterView view = view_of({restarted, ahead, replica_of("db3", before, "0-1-11")},
                                   PrimaryRecord{"db1", 3, "", 0, ""});
  AgentCore own(settings_for("db1"), 0);
  const AgentDecision mine = own.decide(round(restarted, view));
  EXPECT_EQ(mine.local, LocalAction::kNone);
  EXPECT_EQ(mine.primary_failure,
            "primary db1 (epoch 3) is read-only and member db2 has transactions it lacks "
            "(0-1-12): it restarted");
}

// A failover promoted db2 (and pointed db3 at it) but could not publish it;
// db2 fenced itself. The restarted primary lacks what both hold: it is
// failed, whatever they replicate from now (overlapping seed 407).
TEST(MysqlctlAgentFailover, AMemberAheadCountsWhateverItFollowsNow) {
  MemberRecord restarted = stray("db1", "0-1-11");
  MemberRecord fenced = stray("db2", "0-1-12");
  const ClusterView view = view_of({restarted, fenced, replica_of("db3", fenced, "0-1-12")},
                                   PrimaryRecord{"db1", 3, "", 0, ""});
  AgentCore own(settings_for("db3"), 0);
  const AgentDecision decision = own.decide(round(*find(view, "db3"), view));
  EXPECT_EQ(decision.primary_failure,
            "primary db1 (epoch 3) is read-only and member db2 has transactions it lacks "
            "(0-1-12): it restarted");
}

// A replica whose SQL thread lags behind a crashed primary holds, in its
// relay log, commits the primary's crash recovery dropped: what it received
// counts, though it applied no more than the primary kept.
TEST(MysqlctlAgentFailover, AReplicaAheadInItsRelayLogCounts) {
  const MemberRecord before = primary("db1", "0-1-12");
  MemberRecord restarted = stray("db1", "0-1-11");
  MemberRecord lagging = replica_of("db2", before, "0-1-10", false);
  lagging.received_gtid_position = "0-1-12";
  const ClusterView view = view_of({restarted, lagging, replica_of("db3", before, "0-1-11")},
                                   PrimaryRecord{"db1", 3, "", 0, ""});
  AgentCore own(settings_for("db1"), 0);
  const AgentDecision mine = own.decide(round(restarted, view));
  EXPECT_EQ(mine.local, LocalAction::kNone);
  EXPECT_EQ(mine.primary_failure,
            "primary db1 (epoch 3) is read-only and member db2 has transactions it lacks "
            "(0-1-12): it restarted");
}

// Just after a failover the new primary's own record may still be the one
// its agent wrote as a replica, and the replica repointed to it may not be
// connected yet: that is no failure of the new primary.
TEST(MysqlctlAgentFailover, ARecordFromBeforeThePromotionIsNoEvidence) {
  const MemberRecord old_primary = primary("db1", "0-1-12");
  MemberRecord promoted = replica_of("db2", old_primary, "0-1-12", false);
  const MemberRecord repointed = replica_of("db3", primary("db2", "0-2-14"), "0-2-14", false);
  ClusterView view = view_of({promoted, repointed}, PrimaryRecord{"db2", 4, "", 0, ""});
  view.member_written_ms = {{"db2", kAnHourAgo - 10}, {"db3", kAnHourAgo + 5}};
  AgentCore core(settings_for("db3"), 0);
  AgentDecision decision = core.decide(round(repointed, view));
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.primary_failure, "");
  EXPECT_EQ(decision.failover_held, "primary db2's member record predates its promotion");
  // Once its agent writes again, the record counts.
  view.member_written_ms["db2"] = kAnHourAgo + 1;
  decision = core.decide(round(repointed, view));
  EXPECT_NE(decision.failover_held, "primary db2's member record predates its promotion");
}

TEST(MysqlctlAgentBootstrap, HeldWhenSeveralMembersAreWritable) {
  AgentCore core(settings_for("db1"), 0);
  const ClusterView view =
      view_of({primary("db1", "0-1-12"), stray("db2", ""), primary("db3", "0-3-4")}, std::nullopt);
  const AgentDecision decision = core.decide(round(primary("db1", "0-1-12"), view));
  EXPECT_FALSE(decision.adopt_as_primary);
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held,
            "no primary published and several members are writable: db1, db3");
}

// The primary's agent may simply not have published yet: its replicas are
// still connected to it, and nobody is promoted beside it.
TEST(MysqlctlAgentBootstrap, NoPromotionWhileAReplicaIsConnectedToItsSource) {
  const MemberRecord live = primary("db9", "0-9-20");
  const ClusterView view =
      view_of({replica_of("db2", live, "0-9-20", false), replica_of("db3", live, "0-9-18", true)},
              std::nullopt);
  AgentCore candidate(settings_for("db2"), 0);
  const AgentDecision decision = candidate.decide(round(*find(view, "db2"), view));
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held,
            "no primary published, and db3 is still connected to its "
            "source " +
                host_of("db9") + ":" + std::to_string(live.port));
}

// The first primary's agent, cut off at startup, fenced it before adopting
// it: read-only, it is never adopted, and its replicas, still streaming from
// it, would hold every bootstrap for ever (the simulator's seed 9 of
// `warden sim --workload mysql`). Its own agent makes it writable again once
// confirmed; nobody else acts.
TEST(MysqlctlAgentBootstrap, AFirstPrimaryFencedBeforeItWasAdoptedResumes) {
  const MemberRecord first = primary("db1", "0-1-20");
  const MemberRecord fenced = stray("db1", "0-1-20");
  const ClusterView view =
      view_of({fenced, replica_of("db2", first, "0-1-20"), replica_of("db3", first, "0-1-19")},
              std::nullopt);
  AgentCore own(settings_for("db1"), 0);
  AgentDecision decision = own.decide(round(fenced, view));
  EXPECT_EQ(decision.local, LocalAction::kMakeWritable);
  EXPECT_EQ(decision.local_reason,
            "no primary published, and db2 streams from this member's server: the first "
            "primary, fenced before it was adopted, resumes");
  EXPECT_FALSE(decision.failover);
  EXPECT_FALSE(decision.adopt_as_primary);
  for (const std::string id : {"db2", "db3"}) {
    AgentCore other(settings_for(id), 0);
    const AgentDecision theirs = other.decide(round(*find(view, id), view));
    EXPECT_EQ(theirs.local, LocalAction::kNone) << id;
    EXPECT_FALSE(theirs.failover) << id;
  }
  // Not while cut off, not under someone's lock, not when nobody streams
  // from it, and not before settle.
  AgentInput isolated = round(fenced, view);
  isolated.last_confirmed_ms = isolated.now_ms - 4000;
  EXPECT_EQ(own.decide(isolated).local, LocalAction::kNone);
  ClusterView locked = view;
  locked.failover_lock_held = true;
  EXPECT_EQ(own.decide(round(fenced, locked)).local, LocalAction::kNone);
  const ClusterView disconnected =
      view_of({fenced, replica_of("db2", first, "0-1-20", false)}, std::nullopt);
  decision = own.decide(round(fenced, disconnected));
  EXPECT_EQ(decision.local, LocalAction::kNone);
  AgentCore early(settings_for("db1"), kNow - 100);
  EXPECT_EQ(early.decide(round(fenced, view)).local, LocalAction::kNone);
}

// db1 published once and has no record now: its server may be the writable
// first primary, its agent down (overlapping seed 529).
TEST(MysqlctlAgentBootstrap, NoPromotionWhileARosterMemberHasNoRecord) {
  const MemberRecord lost = primary("db1", "0-1-20");
  ClusterView view =
      view_of({replica_of("db2", lost, "0-1-20", false), replica_of("db3", lost, "0-1-18", false)},
              std::nullopt);
  view.roster = {{"db1", 0}, {"db2", 0}, {"db3", 0}};
  AgentCore candidate(settings_for("db2"), 0);
  AgentDecision decision = candidate.decide(round(*find(view, "db2"), view));
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held,
            "no primary published: member db1 has no record: its server may be the first primary");
  view.in_maintenance = {"db1"};
  decision = candidate.decide(round(*find(view, "db2"), view));
  EXPECT_TRUE(decision.failover);
}

TEST(MysqlctlAgentBootstrap, WithoutAWritableMemberTheMostAdvancedReplicaIsPromoted) {
  // The replicas of a primary that never got published (or whose record was
  // deleted): db2 has more.
  const MemberRecord lost = primary("db9", "0-9-20");
  const ClusterView view =
      view_of({replica_of("db2", lost, "0-9-20", false), replica_of("db3", lost, "0-9-18", false)},
              std::nullopt);
  AgentCore candidate(settings_for("db2"), 0);
  const AgentDecision decision = candidate.decide(round(*find(view, "db2"), view));
  EXPECT_FALSE(decision.adopt_as_primary);
  ASSERT_TRUE(decision.failover);
  EXPECT_EQ(decision.failover->old_primary_id, std::nullopt);
  EXPECT_EQ(decision.failover->new_epoch, 1u);
  EXPECT_EQ(plan_rule_error(*decision.failover), "");
  EXPECT_EQ(steps_of(*decision.failover),
            (std::vector<std::string>{
                "wait for db2 to apply its relay log (at least '0-9-20')",
                "promote db2",
                "repoint db3 to db2",
                "publish primary db2 at epoch 1",
            }));
  AgentCore other(settings_for("db3"), 0);
  const AgentDecision theirs = other.decide(round(*find(view, "db3"), view));
  EXPECT_FALSE(theirs.failover);
  EXPECT_FALSE(theirs.adopt_as_primary);
}

TEST(MysqlctlAgentBootstrap, NoPlanWhileTheLockIsHeldOrWithoutACandidate) {
  AgentCore core(settings_for("db2"), 0);
  const MemberRecord lost = primary("db9", "0-9-20");
  ClusterView view =
      view_of({replica_of("db2", lost, "0-9-20", false), replica_of("db3", lost, "0-9-18", false)},
              std::nullopt);
  view.failover_lock_held = true;
  AgentDecision decision = core.decide(round(*find(view, "db2"), view));
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held, "");
  // Fresh servers, read-only and replicating from nobody, are no candidates.
  view = view_of({stray("db2", ""), stray("db3", "")}, std::nullopt);
  decision = core.decide(round(stray("db2", ""), view));
  EXPECT_FALSE(decision.failover);
  EXPECT_EQ(decision.failover_held, "no primary published: no eligible candidate among 2 members");
  // Nor is adopted a writable server whose probe found it unhealthy (an
  // unreadable position): it does not count as writable.
  MemberRecord unreadable = primary("db1", "");
  unreadable.healthy = false;
  unreadable.problem = "unreadable GTID position: ...";
  view = view_of({unreadable, stray("db2", "")}, std::nullopt);
  AgentCore own(settings_for("db1"), 0);
  decision = own.decide(round(unreadable, view));
  EXPECT_FALSE(decision.adopt_as_primary);
  EXPECT_EQ(decision.failover_held, "no primary published: no eligible candidate among 2 members");
}

TEST(MysqlctlAgentCore, LocalActionNames) {
  EXPECT_STREQ(local_action_name(LocalAction::kNone), "none");
  EXPECT_STREQ(local_action_name(LocalAction::kFence), "fence");
  EXPECT_STREQ(local_action_name(LocalAction::kMakeWritable), "make-writable");
  EXPECT_STREQ(local_action_name(LocalAction::kRepoint), "repoint");
  EXPECT_STREQ(local_action_name(LocalAction::kHoldOut), "hold-out");
}

}  // namespace
}  // namespace warden::mysqlctl
