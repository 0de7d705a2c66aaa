#include "mysqlctl/failover_plan.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <set>

namespace warden::mysqlctl {
namespace {

struct Eligible {
  size_t index = 0;  // into the members vector
  GtidPosition applied;
  // Applied merged with received: what the member holds once its relay log
  // is applied. Acknowledged commits may be only in a relay log.
  GtidPosition known;
};

// Why `member` cannot be promoted at all, or "" when it can be considered.
std::string ineligibility(const MemberRecord& member, std::string_view old_primary_id) {
  if (member.id == old_primary_id) return "the old primary";
  if (!member.healthy) return "unhealthy";
  if (member.maintenance) return "in maintenance";
  if (member.role != MemberRole::kReplica) {
    return std::string("role is ") + member_role_name(member.role) + ", not replica";
  }
  if (member.priority == 0) return "priority 0 (never promoted)";
  return "";
}

// Most advanced first, then higher priority, then smaller id: a strict weak
// order, so the choice does not depend on the order of the input.
bool ranks_before(const Eligible& a, const Eligible& b, const std::vector<MemberRecord>& members) {
  const MemberRecord& ma = members[a.index];
  const MemberRecord& mb = members[b.index];
  if (auto order = a.known.advancement() <=> b.known.advancement(); order != 0) {
    return order > 0;
  }
  if (ma.priority != mb.priority) return ma.priority > mb.priority;
  return ma.id < mb.id;
}

// Why `loser` (eligible, not errant) lost to `winner`.
std::string lost_reason(const Eligible& loser, const Eligible& winner,
                        const std::vector<MemberRecord>& members) {
  const MemberRecord& lm = members[loser.index];
  const MemberRecord& wm = members[winner.index];
  if (loser.known.advancement() != winner.known.advancement()) {
    return "less advanced than " + wm.id + " (" + loser.known.format() + ")";
  }
  if (lm.priority != wm.priority) return "same position as " + wm.id + ", lower priority";
  return "same position and priority as " + wm.id + ", which has the smaller id";
}

// Eligible members' positions, or an exclusion reason per member (indexed
// like `members`) for those whose position is unusable.
std::vector<Eligible> parse_eligible(const std::vector<MemberRecord>& members,
                                     std::vector<std::string>& reasons) {
  std::vector<Eligible> eligible;
  std::set<Flavour> flavours;
  for (size_t i = 0; i < members.size(); ++i) {
    if (!reasons[i].empty()) continue;
    Result<GtidPosition> position =
        GtidPosition::parse(members[i].flavour, members[i].gtid_position);
    if (!position.ok()) {
      reasons[i] = "unreadable GTID position: " + position.error();
      continue;
    }
    flavours.insert(members[i].flavour);
    GtidPosition known = member_known_position(members[i]).value_or(position.value());
    eligible.push_back({i, std::move(position).value(), std::move(known)});
  }
  // Positions of two flavours cannot be compared; a mixed cluster is a
  // configuration error that no choice would make safe.
  if (flavours.size() > 1) {
    for (const Eligible& e : eligible) reasons[e.index] = "the cluster mixes mariadb and mysql";
    eligible.clear();
  }
  return eligible;
}

}  // namespace

std::optional<GtidPosition> member_known_position(const MemberRecord& member) {
  Result<GtidPosition> applied = GtidPosition::parse(member.flavour, member.gtid_position);
  if (!applied.ok()) return std::nullopt;
  Result<GtidPosition> received =
      GtidPosition::parse(member.flavour, member.received_gtid_position);
  if (!received.ok()) return applied.value();  // unknown: what it applied
  return applied.value().merged_with(received.value());
}

CandidateChoice choose_candidate(const std::vector<MemberRecord>& members,
                                 std::string_view old_primary_id) {
  std::vector<std::string> reasons(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    reasons[i] = ineligibility(members[i], old_primary_id);
  }
  std::vector<Eligible> eligible = parse_eligible(members, reasons);
  CandidateChoice choice;
  if (!eligible.empty()) {
    std::sort(eligible.begin(), eligible.end(),
              [&](const Eligible& a, const Eligible& b) { return ranks_before(a, b, members); });
    const Eligible& winner = eligible.front();
    choice.candidate_id = members[winner.index].id;
    for (size_t k = 1; k < eligible.size(); ++k) {
      const GtidPosition errant = eligible[k].applied.errant_relative_to(winner.known);
      if (errant.empty()) {
        reasons[eligible[k].index] = lost_reason(eligible[k], winner, members);
        continue;
      }
      reasons[eligible[k].index] = "has transactions the most advanced candidate " +
                                   *choice.candidate_id + " lacks (errant: " + errant.format() +
                                   ")";
      choice.diverged = true;
    }
  }
  for (size_t i = 0; i < members.size(); ++i) {
    if (choice.candidate_id && members[i].id == *choice.candidate_id) continue;
    assert(!reasons[i].empty());
    choice.excluded.push_back({members[i].id, reasons[i]});
  }
  return choice;
}

std::vector<ErrantMember> errant_members(const MemberRecord& primary,
                                         const std::vector<MemberRecord>& members) {
  std::vector<ErrantMember> errant;
  Result<GtidPosition> primary_position =
      GtidPosition::parse(primary.flavour, primary.gtid_position);
  if (!primary_position.ok()) return errant;
  for (const MemberRecord& member : members) {
    if (member.id == primary.id || member.flavour != primary.flavour) continue;
    Result<GtidPosition> position = GtidPosition::parse(member.flavour, member.gtid_position);
    if (!position.ok()) continue;
    GtidPosition extra = position.value().errant_relative_to(primary_position.value());
    if (!extra.empty()) errant.push_back({member.id, extra.format()});
  }
  return errant;
}

const char* step_kind_name(StepKind kind) {
  switch (kind) {
    case StepKind::kFenceOldPrimary:
      return "fence-old-primary";
    case StepKind::kWaitLeaseExpiry:
      return "wait-lease-expiry";
    case StepKind::kStopReceiving:
      return "stop-receiving";
    case StepKind::kWaitRelayLogApplied:
      return "wait-relay-log-applied";
    case StepKind::kPromote:
      return "promote";
    case StepKind::kRepoint:
      return "repoint";
    case StepKind::kPublishPrimary:
      return "publish-primary";
  }
  return "?";
}

std::string describe(const FailoverStep& step) {
  switch (step.kind) {
    case StepKind::kFenceOldPrimary:
      return "fence old primary " + step.member_id;
    case StepKind::kWaitLeaseExpiry:
      return "wait " + std::to_string(step.wait_ms) + " ms for the lease of " + step.member_id;
    case StepKind::kStopReceiving:
      return "stop " + step.member_id + " receiving and read its position";
    case StepKind::kWaitRelayLogApplied:
      return "wait for " + step.member_id + " to apply its relay log (at least '" +
             step.gtid_position + "')";
    case StepKind::kPromote:
      return "promote " + step.member_id;
    case StepKind::kRepoint:
      return "repoint " + step.member_id + " to " + step.source_id;
    case StepKind::kPublishPrimary:
      return "publish primary " + step.member_id + " at epoch " + std::to_string(step.epoch);
  }
  return "?";
}

namespace {

FailoverStep make_step(StepKind kind, std::string member_id) {
  FailoverStep step;
  step.kind = kind;
  step.member_id = std::move(member_id);
  return step;
}

// Why `member` is left alone after `candidate` is promoted, or "" to repoint
// it. A replica that cannot be reached now, or must not be touched, follows
// the published primary through its own agent later.
std::string repoint_refusal(const MemberRecord& member, const MemberRecord& candidate) {
  if (!member.healthy) return "unhealthy";
  if (member.maintenance) return "in maintenance";
  if (member.role == MemberRole::kPrimary) return "reports itself primary";
  if (member.flavour != candidate.flavour) return "another flavour than the candidate";
  Result<GtidPosition> position = GtidPosition::parse(member.flavour, member.gtid_position);
  if (!position.ok()) return "unreadable GTID position";
  const std::optional<GtidPosition> target = member_known_position(candidate);
  assert(target);  // choose_candidate only picks readable positions
  const GtidPosition errant = position.value().errant_relative_to(*target);
  if (!errant.empty())
    return "has transactions the new primary lacks (errant: " + errant.format() + ")";
  return "";
}

}  // namespace

namespace {

bool listed(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Why a member might hold acknowledged commits `candidate` lacks, or "".
std::string unaccounted_commits(const FailoverInput& input, const MemberRecord& candidate) {
  const std::string& old_id = input.current_primary->member_id;
  const std::optional<GtidPosition> target = member_known_position(candidate);
  assert(target);  // choose_candidate only picks readable positions
  // Everything acknowledged before the failed primary's epoch was on it
  // when it took the epoch; a candidate that followed it may not have
  // caught up (`warden sim --workload mysql --overlapping-faults`, seed 273).
  const PrimaryRecord& failed = *input.current_primary;
  if (Result<GtidPosition> start = GtidPosition::parse(candidate.flavour, failed.gtid_position);
      !failed.gtid_position.empty() && start.ok()) {
    const GtidPosition missing = start.value().errant_relative_to(*target);
    if (!missing.empty()) {
      return "candidate " + candidate.id + " lacks " + missing.format() + ", which " + old_id +
             " held when it took epoch " + std::to_string(failed.epoch);
    }
  }
  for (const auto& [id, following_epoch] : input.roster) {
    if (id == old_id || id == candidate.id || listed(input.in_maintenance, id)) continue;
    // Last seen following an earlier epoch: it never replicated from the
    // failed primary (agents record an epoch before they repoint to it), so
    // it holds none of its acknowledged commits. 0 is never seen following
    // anything: it may have been a replica of the first primary all along.
    if (following_epoch != 0 && following_epoch < input.current_primary->epoch) continue;
    const MemberRecord* member = find_member(input.members, id);
    const std::optional<GtidPosition> known =
        member == nullptr ? std::nullopt : member_known_position(*member);
    if (!known || member->flavour != candidate.flavour) {
      return "member " + id + " may hold acknowledged commits and has " +
             (member == nullptr ? "no record" : "no readable position") +
             " (maintenance on it lets the failover go on without it)";
    }
    // Whatever it replicates from now: a failover that promoted a member
    // but could not publish it leaves the others pointed at that member,
    // still holding the failed primary's commits (`warden sim --workload
    // mysql --overlapping-faults`, seed 407).
    const GtidPosition missing = known->errant_relative_to(*target);
    if (!missing.empty()) {
      return "member " + id + " received transactions " + candidate.id + " lacks (" +
             missing.format() + ")";
    }
  }
  return "";
}

// A new cluster: a member that published once and has no record now (its
// agent or node is down) may run the writable first primary, with replicas
// streaming from it (`warden sim --workload mysql --overlapping-faults`,
// seed 529).
std::string silent_roster_member(const FailoverInput& input) {
  for (const auto& [id, following_epoch] : input.roster) {
    if (!listed(input.in_maintenance, id) && find_member(input.members, id) == nullptr) {
      return "member " + id + " has no record: its server may be the first primary";
    }
  }
  return "";
}

}  // namespace

FailoverOutcome plan_failover(const FailoverInput& input) {
  FailoverOutcome outcome;
  std::optional<std::string> old_id;
  if (input.current_primary) old_id = input.current_primary->member_id;
  if (old_id) {
    const MemberRecord* old_record = find_member(input.members, *old_id);
    if (old_record != nullptr && old_record->healthy && old_record->role == MemberRole::kPrimary) {
      outcome.refusal = "primary " + *old_id + " is healthy: nothing to fail over";
      return outcome;
    }
  }
  outcome.choice = choose_candidate(input.members, old_id.value_or(""));
  if (!outcome.choice.candidate_id) {
    outcome.refusal =
        "no eligible candidate among " + std::to_string(input.members.size()) + " members";
    return outcome;
  }
  const MemberRecord& candidate = *find_member(input.members, *outcome.choice.candidate_id);
  std::string why =
      input.current_primary ? unaccounted_commits(input, candidate) : silent_roster_member(input);
  if (!why.empty()) {
    outcome.refusal = std::move(why);
    return outcome;
  }
  const uint64_t old_epoch = input.current_primary ? input.current_primary->epoch : 0;
  assert(old_epoch < std::numeric_limits<uint64_t>::max());

  FailoverPlan plan;
  plan.old_primary_id = old_id;
  plan.candidate_id = candidate.id;
  plan.new_epoch = old_epoch + 1;
  if (old_id) {
    plan.steps.push_back(make_step(StepKind::kFenceOldPrimary, *old_id));
    plan.steps.push_back(make_step(StepKind::kWaitLeaseExpiry, *old_id));
    plan.steps.back().wait_ms = input.lease_wait_ms;
    // Again, right before the candidate stops following it: the first fence
    // is best effort (a dropped connection, or an agent gone with its
    // Warden node, leaves it writable), and a restarted agent may have made
    // it writable again during the wait, on a view read before this lock.
    plan.steps.push_back(make_step(StepKind::kFenceOldPrimary, *old_id));
  }
  // The records are a probe interval old: a replica still streaming from
  // the old primary's tail receives (and acknowledges) more. Stopped, each
  // reports what it holds for good, and the executor checks the choice
  // again (recheck_after_freeze). A new cluster has no source to stop.
  if (old_id) {
    plan.steps.push_back(make_step(StepKind::kStopReceiving, candidate.id));
    for (const MemberRecord& member : input.members) {
      if (member.id == candidate.id || member.id == *old_id ||
          listed(input.in_maintenance, member.id) || member.maintenance) {
        continue;
      }
      plan.steps.push_back(make_step(StepKind::kStopReceiving, member.id));
    }
  }
  plan.steps.push_back(make_step(StepKind::kWaitRelayLogApplied, candidate.id));
  plan.steps.back().gtid_position = member_known_position(candidate)->format();
  plan.steps.push_back(make_step(StepKind::kPromote, candidate.id));
  for (const MemberRecord& member : input.members) {
    if (member.id == candidate.id || (old_id && member.id == *old_id)) continue;
    if (std::string why = repoint_refusal(member, candidate); !why.empty()) {
      outcome.not_repointed.push_back({member.id, std::move(why)});
      continue;
    }
    plan.steps.push_back(make_step(StepKind::kRepoint, member.id));
    plan.steps.back().source_id = candidate.id;
  }
  plan.steps.push_back(make_step(StepKind::kPublishPrimary, candidate.id));
  plan.steps.back().epoch = plan.new_epoch;
  assert(plan_rule_error(plan).empty());
  outcome.plan = std::move(plan);
  return outcome;
}

MemberRecord with_frozen(MemberRecord member, const FrozenPosition& frozen) {
  member.gtid_position = frozen.applied;
  member.received_gtid_position = frozen.received;
  // The record may predate a restart that left its source unreadable.
  member.source_host = frozen.source_host;
  member.source_port = frozen.source_port;
  return member;
}

std::string recheck_after_freeze(FailoverInput input, const std::string& candidate_id,
                                 const std::map<std::string, FrozenPosition>& frozen) {
  for (MemberRecord& member : input.members) {
    if (input.current_primary && member.id == input.current_primary->member_id) continue;
    if (auto it = frozen.find(member.id); it != frozen.end()) {
      member = with_frozen(std::move(member), it->second);
    } else {
      // "" would parse as the empty set: an unread member has no position.
      member.gtid_position = "(not read)";
      member.received_gtid_position.clear();
    }
  }
  const MemberRecord* candidate = find_member(input.members, candidate_id);
  if (candidate == nullptr || !member_known_position(*candidate)) {
    return "candidate " + candidate_id + " could not be read once it stopped receiving";
  }
  return input.current_primary ? unaccounted_commits(input, *candidate) : "";
}

std::string resume_refusal(const FailoverInput& input, const MemberRecord& primary) {
  assert(input.current_primary && input.current_primary->member_id == primary.id);
  if (!member_known_position(primary)) return "its own position is unreadable";
  return unaccounted_commits(input, primary);
}

namespace {

// Index of the first step of `kind` on `member_id`, or npos.
size_t find_step(const FailoverPlan& plan, StepKind kind, std::string_view member_id) {
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (plan.steps[i].kind == kind && plan.steps[i].member_id == member_id) return i;
  }
  return std::string::npos;
}

size_t count_steps(const FailoverPlan& plan, StepKind kind) {
  return static_cast<size_t>(std::count_if(plan.steps.begin(), plan.steps.end(),
                                           [&](const FailoverStep& s) { return s.kind == kind; }));
}

std::string promotion_order_error(const FailoverPlan& plan, size_t promote) {
  if (plan.old_primary_id) {
    const size_t fence = find_step(plan, StepKind::kFenceOldPrimary, *plan.old_primary_id);
    const size_t wait = find_step(plan, StepKind::kWaitLeaseExpiry, *plan.old_primary_id);
    if (fence == std::string::npos || fence > promote) return "promotes before fencing";
    if (wait == std::string::npos || wait > promote) {
      return "promotes before the old primary's lease has run out";
    }
    bool fenced_after_wait = false;
    for (size_t i = wait + 1; i < promote; ++i) {
      const FailoverStep& step = plan.steps[i];
      if (step.kind == StepKind::kFenceOldPrimary && step.member_id == *plan.old_primary_id) {
        fenced_after_wait = true;
      }
    }
    if (!fenced_after_wait) return "promotes without fencing the old primary after its lease";
  }
  const size_t relay = find_step(plan, StepKind::kWaitRelayLogApplied, plan.candidate_id);
  if (relay == std::string::npos || relay > promote) {
    return "promotes before the candidate applied its relay log";
  }
  return "";
}

}  // namespace

std::string plan_rule_error(const FailoverPlan& plan) {
  if (plan.candidate_id.empty()) return "no candidate";
  if (plan.old_primary_id && *plan.old_primary_id == plan.candidate_id) {
    return "promotes the old primary";
  }
  if (plan.new_epoch == 0) return "epoch 0";
  if (count_steps(plan, StepKind::kPromote) != 1) return "does not promote exactly once";
  const size_t promote = find_step(plan, StepKind::kPromote, plan.candidate_id);
  if (promote == std::string::npos) return "promotes someone other than the candidate";
  if (std::string error = promotion_order_error(plan, promote); !error.empty()) return error;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const FailoverStep& step = plan.steps[i];
    if (step.kind == StepKind::kStopReceiving && i > promote) {
      return "stops " + step.member_id + " receiving after the promotion";
    }
    if (step.kind != StepKind::kRepoint) continue;
    if (i < promote) return "repoints " + step.member_id + " before the promotion";
    if (step.source_id != plan.candidate_id || step.member_id == plan.candidate_id ||
        (plan.old_primary_id && step.member_id == *plan.old_primary_id)) {
      return "bad repoint: " + describe(step);
    }
  }
  if (count_steps(plan, StepKind::kPublishPrimary) != 1) return "does not publish exactly once";
  const FailoverStep& last = plan.steps.back();
  if (last.kind != StepKind::kPublishPrimary || last.member_id != plan.candidate_id ||
      last.epoch != plan.new_epoch) {
    return "does not end by publishing the candidate at the new epoch";
  }
  return "";
}

bool may_fail_over(uint64_t now_ms, std::optional<uint64_t> last_failover_ms,
                   uint64_t min_interval_ms) {
  if (!last_failover_ms) return true;
  if (now_ms < *last_failover_ms) return false;
  return now_ms - *last_failover_ms >= min_interval_ms;
}

}  // namespace warden::mysqlctl
