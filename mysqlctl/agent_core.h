// The MySQL agent's decisions, one round at a time: given what this agent's
// probe found on its own server, what it read from the namespace and what its
// clock says, what it should do now. Every agent runs the same rules; the
// runtime (mysqlctl/agent.h) gathers the input and carries out the decision,
// and the simulator can drive the same class against its model of MySQL.
//
// The rules, in the order they are applied:
//
// 1. Fencing on the local clock. A writable server is fenced (read_only,
//    client connections killed) when its agent has had no quorum
//    confirmation (a sync answered through the leader) for fence_after_ms
//    (counted from its start until the first one), or has lost a confirmed
//    session: cut off from everyone, the agent cannot know it is
//    still primary, and the others will promote a replica once its lease has
//    surely run out (lease_wait_ms after they saw its session end).
// 2. Following the published primary. A writable server that the primary
//    record does not name is fenced. The named primary's server, read-only
//    with no replication (it restarted, or fenced itself while cut off), is
//    made writable again while its agent is confirmed and the view holds
//    its member record (without it the others may be failing it over)
//    (unless a replica following it has transactions it lacks: it
//    restarted and its crash recovery dropped them, so rule 3 replaces
//    it), and its
//    semi-synchronous replication set never to fall back when it is off or
//    may fall back. Any other read-only
//    server that does not replicate from the primary is repointed to it,
//    unless it holds transactions the primary lacks (errant GTIDs): then it
//    is held out, and its record says why. Not while anyone holds the
//    failover lock: a failover or switchover is changing the topology.
// 3. Failover. The primary has failed when its member record is gone (its
//    agent's session ended, which the ensemble decides) or when its own
//    agent reports it unhealthy and none of the replicas that follow it is
//    still connected to it: two independent observations, not one agent's
//    word; or when it is read-only and a replica following it has
//    transactions it lacks (it restarted and truncated its binary log). A primary in maintenance is
//    never failed over. The plan is mysqlctl/failover_plan.h's; only the chosen candidate's agent
//    carries it out (under the failover lock), so agents do not race, and anti-flapping counts from
//    the primary record's last write (unless it is still the first primary, epoch 1).
// 4. Bootstrap. Without a primary record, after settle_ms, the agent of the
//    one healthy writable member publishes it at epoch 1; with no writable
//    member, the agent of a read-only server that replicas still stream
//    from (a first primary its agent fenced before adopting it) makes it
//    writable again while confirmed; with no writable member and no replica
//    still connected to a source (which would be a live primary whose agent
//    has not published yet), a failover plan without an old primary picks
//    one.
//
// Pure and single-threaded: no I/O; time comes in the input. The only state
// kept between rounds is when the primary's record was first seen gone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mysqlctl/failover_plan.h"
#include "mysqlctl/member.h"

namespace warden::mysqlctl {

struct AgentSettings {
  std::string cluster;
  std::string member_id;
  // A writable server's agent without a quorum confirmation for this long
  // fences it. Below the session timeout, so it fences before the ensemble
  // expires the session.
  uint64_t fence_after_ms = 4000;
  // After an old primary's session is seen gone, wait this long before
  // promoting: its agent has fenced it by then (fence_after_ms, plus the time
  // a fence takes, plus clock-rate margin).
  uint64_t lease_wait_ms = 8000;
  // Anti-flapping: at least this long between automatic failovers.
  uint64_t min_failover_interval_ms = 60000;
  // The primary's semi-synchronous replication must be on and never fall
  // back to asynchronous (an acknowledged commit is then always on a
  // replica); when the probe finds otherwise, the agent configures it.
  bool require_semi_sync = true;
  // Without a primary record, wait this long after starting before
  // bootstrapping, so that every member has published.
  uint64_t settle_ms = 3000;
};

// What the agent read from the namespace this round, after a sync.
struct ClusterView {
  // Every member record (maintenance set from maintenance/<id>).
  std::vector<MemberRecord> members;
  std::optional<PrimaryRecord> primary;
  // The primary znode's version (for a conditional publish) and last write
  // (the leader's clock, ms since the epoch: anti-flapping counts from it).
  int32_t primary_version = -1;
  int64_t primary_written_ms = 0;
  bool failover_lock_held = false;
  // When each member record was last written (the leader's clock, as
  // primary_written_ms). A primary's record written before the primary
  // record describes it before its promotion: no evidence of failure.
  std::map<std::string, int64_t> member_written_ms;
  // Every member that ever published (roster/<id>) with the last epoch it
  // followed, and every member in maintenance (maintenance/<id>), with a
  // record or not.
  std::map<std::string, uint64_t> roster;
  std::vector<std::string> in_maintenance;
};

// What plan_failover is given from `view`.
FailoverInput failover_input(const ClusterView& view, uint64_t lease_wait_ms);

struct AgentInput {
  uint64_t now_ms = 0;      // the agent's monotonic clock
  int64_t wall_now_ms = 0;  // ms since the epoch, compared with primary_written_ms
  // This member's record from its latest probe; none before the first.
  std::optional<MemberRecord> local;
  // Whether the latest probe completed (a server that did not answer has no
  // read_only or position to act on).
  bool local_probe_completed = false;
  bool session_alive = false;
  // When the last sync that the ensemble answered was sent (monotonic).
  std::optional<uint64_t> last_confirmed_ms;
  // None when the namespace could not be read this round.
  std::optional<ClusterView> view;
};

enum class LocalAction : uint8_t {
  kNone,
  kFence,         // read_only on, client connections killed
  kMakeWritable,  // read_only off: the published primary resumes
  kRepoint,       // replicate from `source`
  kHoldOut,       // errant: left as it is, reported
};
const char* local_action_name(LocalAction action);

struct AgentDecision {
  LocalAction local = LocalAction::kNone;
  std::optional<MemberRecord> source;  // kRepoint: the primary to follow
  std::string local_reason;            // for the log: why this local action
  // Put into this member's record: errant GTIDs and the like ("" for none).
  std::string problem;
  // Publish this member as the first primary (epoch 1).
  bool adopt_as_primary = false;
  // This agent is the candidate: take the failover lock and run the plan.
  std::optional<FailoverPlan> failover;
  // A failover seems needed but is not started, and why (for the log and
  // metrics; the runtime logs it when it changes).
  std::string failover_held;
  // Why the primary is considered failed ("" when it is not).
  std::string primary_failure;
};

class AgentCore {
 public:
  AgentCore(AgentSettings settings, uint64_t started_ms);

  AgentDecision decide(const AgentInput& input);
  const AgentSettings& settings() const { return settings_; }

 private:
  bool isolated(const AgentInput& input) const;
  // A writable server whose semi-sync may fall back to asynchronous (or is
  // off) while the settings require it.
  bool falls_back(const MemberRecord& writable) const;
  void follow_primary(const AgentInput& input, const ClusterView& view, AgentDecision& decision);
  // Sets decision.primary_failure, and returns the lease wait still due.
  std::optional<uint64_t> primary_failed(const AgentInput& input, const ClusterView& view,
                                         AgentDecision& decision);
  void consider_failover(const AgentInput& input, const ClusterView& view, AgentDecision& decision);
  void consider_bootstrap(const AgentInput& input, const ClusterView& view,
                          AgentDecision& decision);

  AgentSettings settings_;
  uint64_t started_ms_;
  // The primary whose member record this agent saw gone, and when.
  std::optional<std::pair<std::string, uint64_t>> primary_gone_since_;
};

}  // namespace warden::mysqlctl
