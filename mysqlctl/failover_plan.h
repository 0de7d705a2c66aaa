// The failover decisions, as pure functions of what the agents published:
// which replica to promote, which members hold errant transactions, and the
// ordered steps of a failover. The plan is data: the agent holding the
// failover lock carries it out step by step, and the simulator runs the same
// functions against its model of MySQL replication and checks the outcome.
//
// Nothing here confirms that the primary has failed (the caller does that
// from the cluster's view: the primary's member record gone or unhealthy),
// measures time, or talks to MySQL.
//
// Reports must be read in a sensible order, because positions read at
// different moments differ: see errant_members().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mysqlctl/gtid.h"
#include "mysqlctl/member.h"

namespace warden::mysqlctl {

// A member that was not chosen, and why (for logs and `warden mysql status`).
struct Exclusion {
  std::string member_id;
  std::string reason;

  friend bool operator==(const Exclusion&, const Exclusion&) = default;
};

struct CandidateChoice {
  std::optional<std::string> candidate_id;  // none when nobody is eligible
  // Every member not chosen, in input order, each with its reason.
  std::vector<Exclusion> excluded;
  // Some eligible members have transactions the chosen one lacks, so the
  // eligible positions do not form a chain: promoting loses those
  // transactions, and those members cannot follow the new primary until an
  // operator resolves them. The runtime may choose to hold the failover and
  // alert instead.
  bool diverged = false;
};

// What `member` holds once it has applied its relay log: its applied
// position merged with what it received; none when the applied position is
// unreadable (an unreadable received position counts as nothing received).
std::optional<GtidPosition> member_known_position(const MemberRecord& member);

// Picks the replica to promote from the members' latest records.
// Eligible: not `old_primary_id`, healthy, not in maintenance, role replica,
// priority above 0, a position that parses, and all of one flavour. Lag does
// not matter: the candidate applies its relay log before it is promoted.
// Among the eligible, the most advanced position wins (Advancement of
// member_known_position: received counts, since an acknowledged commit may be
// only in a relay log), then the higher priority, then the smaller id;
// members that applied transactions the winner will not hold (errant
// relative to it) are excluded. So when the eligible positions form a chain,
// the winner contains every one of them.
CandidateChoice choose_candidate(const std::vector<MemberRecord>& members,
                                 std::string_view old_primary_id);

struct ErrantMember {
  std::string member_id;
  std::string errant_gtids;  // formatted in the flavour's syntax

  friend bool operator==(const ErrantMember&, const ErrantMember&) = default;
};

// Members (other than `primary`) that executed transactions the primary
// lacks: they cannot safely replicate from it. The primary's position must
// have been read after the members' (a replica reported a moment after a
// stale primary report looks errant while it is merely up to date); members
// of another flavour or with unreadable positions are skipped (they are
// refused elsewhere).
std::vector<ErrantMember> errant_members(const MemberRecord& primary,
                                         const std::vector<MemberRecord>& members);

enum class StepKind : uint8_t {
  // Set read_only and kill client connections on the old primary. Best
  // effort: the old primary may be unreachable, which is what the lease
  // wait covers.
  kFenceOldPrimary,
  // Wait `wait_ms` from when the step starts: what is still due of the lease
  // wait counted from when the old primary's session was seen to end (the
  // caller passes that remainder as lease_wait_ms), so that its agent has
  // surely fenced itself, even if it is cut off from everyone and never
  // heard of this failover.
  kWaitLeaseExpiry,
  // Stop `member_id`'s IO thread, so that it receives nothing more from the
  // old primary, and read what it applied and received. Best effort per
  // member; recheck_after_freeze() then decides whether the candidate still
  // holds everything acknowledged.
  kStopReceiving,
  // Wait until the candidate has applied all it received (its relay log),
  // reaching at least `gtid_position`.
  kWaitRelayLogApplied,
  // Stop replication on the candidate and make it writable.
  kPromote,
  // Point `member_id` at `source_id` by GTID (MariaDB MASTER_USE_GTID=
  // slave_pos, MySQL SOURCE_AUTO_POSITION=1). Best effort per replica: one
  // that fails catches up when its own agent sees the published primary.
  kRepoint,
  // Write the primary record {member_id, epoch}: routers follow it from now.
  kPublishPrimary,
};
const char* step_kind_name(StepKind kind);

struct FailoverStep {
  StepKind kind = StepKind::kFenceOldPrimary;
  std::string member_id;      // the member the step acts on
  std::string source_id;      // kRepoint: the new primary
  uint64_t wait_ms = 0;       // kWaitLeaseExpiry
  std::string gtid_position;  // kWaitRelayLogApplied: at least this
  uint64_t epoch = 0;         // kPublishPrimary

  friend bool operator==(const FailoverStep&, const FailoverStep&) = default;
};
// One line for logs: "repoint r2 to r1".
std::string describe(const FailoverStep& step);

struct FailoverPlan {
  std::optional<std::string> old_primary_id;  // none for a new cluster
  std::string candidate_id;
  uint64_t new_epoch = 0;
  std::vector<FailoverStep> steps;
};

struct FailoverInput {
  // The latest records under members/ (a member whose node is gone has none).
  // Set `maintenance` on those with a maintenance/<id> node too.
  std::vector<MemberRecord> members;
  // The primary record, if the cluster ever had a primary.
  std::optional<PrimaryRecord> current_primary;
  // How long after its session's expiry an isolated primary's agent has
  // surely fenced itself: the session timeout plus a margin for clock rate
  // differences (config, not measured here).
  uint64_t lease_wait_ms = 0;
  // Every member that ever published (roster/<id>) with the last epoch it
  // followed, and those in maintenance (maintenance/<id>), records or not.
  std::map<std::string, uint64_t> roster;
  std::vector<std::string> in_maintenance;
};

struct FailoverOutcome {
  std::optional<FailoverPlan> plan;  // none: see `refusal`
  std::string refusal;
  CandidateChoice choice;
  // Members the plan does not repoint, and why (maintenance, unhealthy,
  // diverged); their agents follow the published primary when they can.
  std::vector<Exclusion> not_repointed;
};

// Plans a failover away from `input.current_primary`. Refuses while the old
// primary's record says it is a healthy primary (nothing to fail over; a
// switchover is a different, graceful procedure), when no candidate is
// eligible, and while a member may hold acknowledged commits the candidate
// lacks: semi-synchronous replication puts each acknowledged commit on at
// least one replica, not on all, so every roster member that followed the
// old primary's epoch (but the old primary and those in maintenance) must
// have a record with a readable position, and each that follows the old
// primary must have received nothing the candidate lacks (an operator puts
// a member that is gone for good into maintenance to fail over without it).
//
// Steps, in order: fence the old primary, wait for its lease, fence it
// again, stop every other member's receiving (but those in maintenance),
// wait for the candidate's relay log, promote it, repoint each other healthy
// replica, publish the new primary with the next epoch. Without a primary
// record (a new cluster) the first three are skipped and the epoch is 1,
// and every roster member not in maintenance must have a record (one whose
// agent is down may run a writable first primary).
FailoverOutcome plan_failover(const FailoverInput& input);

// What a member held once it stopped receiving (kStopReceiving), in its
// flavour's syntax: applied (gtid_current_pos / gtid_executed) and received
// (Gtid_IO_Pos / Retrieved_Gtid_Set), and the source it was receiving from.
struct FrozenPosition {
  std::string applied;
  std::string received;
  std::string source_host;  // "" when it replicates from nobody
  uint16_t source_port = 0;
};

// `member` as it reported itself once it stopped receiving: positions and
// source from `frozen`.
MemberRecord with_frozen(MemberRecord member, const FrozenPosition& frozen);

// The failover's second look, after the kStopReceiving steps: the records
// were read a probe interval before the lock, and a replica may have
// received (and acknowledged) more of the old primary's commits since. With
// each member's position and source replaced by what it reported once it
// stopped receiving (`frozen`, by member id; a member missing there could not be
// read and counts as unreadable), the same rule as plan_failover's must hold
// for `candidate_id`. Empty when it does, else why the failover must stop.
std::string recheck_after_freeze(FailoverInput input, const std::string& candidate_id,
                                 const std::map<std::string, FrozenPosition>& frozen);

// Why the published primary `primary` (restarted, read-only) must not take
// writes again, or "": its crash recovery may have dropped commits a replica
// received, so every roster member that followed its epoch must be
// accounted for as in plan_failover (a record with a readable position, or
// maintenance). A member that received more than it is found elsewhere
// (AgentCore: a follower ahead).
std::string resume_refusal(const FailoverInput& input, const MemberRecord& primary);

// Empty when `plan` keeps the orders a failover relies on, else the broken
// rule: the candidate is promoted exactly once, after the old primary (when
// there is one) is fenced, its lease waited out and it is fenced again, and
// after the candidate's relay log is applied; every repoint names the
// candidate as source; the plan ends by publishing the candidate with
// `new_epoch`. plan_failover's plans always pass; the
// simulator checks plans it is handed (and planted bugs) with it.
std::string plan_rule_error(const FailoverPlan& plan);

// Anti-flapping: an automatic failover may start only `min_interval_ms`
// after the last one. A clock that reads earlier than the last failover (it
// came from another node, or jumped) counts as no time passed: refusing is
// the safe side, and a switchover by an operator is not limited.
bool may_fail_over(uint64_t now_ms, std::optional<uint64_t> last_failover_ms,
                   uint64_t min_interval_ms);

}  // namespace warden::mysqlctl
