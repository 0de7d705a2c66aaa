#include "mysqlctl/agent_core.h"

#include <algorithm>
#include <cassert>

namespace warden::mysqlctl {
FailoverInput failover_input(const ClusterView& view, uint64_t lease_wait_ms) {
  return FailoverInput{.members = view.members,
                       .current_primary = view.primary,
                       .lease_wait_ms = lease_wait_ms,
                       .roster = view.roster,
                       .in_maintenance = view.in_maintenance};
}

namespace {

bool follows(const MemberRecord& replica, const MemberRecord& source) {
  return replica.source_host == source.host && replica.source_port == source.port;
}

// " (what it reports)", or "" when it reports nothing.
std::string reported(const MemberRecord& member) {
  return member.problem.empty() ? "" : " (" + member.problem + ")";
}

std::string primary_name(const PrimaryRecord& primary) {
  return primary.member_id + " (epoch " + std::to_string(primary.epoch) + ")";
}

// What `member` has that `primary` lacks, formatted; "" when nothing (or
// when either position is unreadable: such a member is not repointed
// anyway, being unhealthy).
// With `received`, what the member received counts too.
std::string errant_gtids(const MemberRecord& member, const MemberRecord& primary,
                         bool received = false) {
  if (member.flavour != primary.flavour) return "";
  Result<GtidPosition> mine = GtidPosition::parse(member.flavour, member.gtid_position);
  Result<GtidPosition> theirs = GtidPosition::parse(primary.flavour, primary.gtid_position);
  if (!mine.ok() || !theirs.ok()) return "";
  const GtidPosition held = received ? *member_known_position(member) : mine.value();
  const GtidPosition errant = held.errant_relative_to(theirs.value());
  return errant.empty() ? "" : errant.format();
}

// A member with transactions the restarted `primary` lacks, if any: what a
// primary whose crash recovery truncated its binary log leaves behind
// (MariaDB with init_rpl_role=SLAVE). Healthy or not: a replica's IO thread
// fails on the very gap (error 1236), and a primary resumed beside it would
// write other transactions under the same GTIDs. Also a member that follows
// someone else now (a failover promoted it, or pointed it at the one it
// promoted, and could not publish: overlapping seed 407).
const MemberRecord* member_ahead_of(const ClusterView& view, const MemberRecord& primary) {
  // A record without a position (its probe did not complete) says nothing
  // about what the server lacks.
  // Only a server replicating from nobody and read-only is a restarted
  // primary; a replica's record is a primary's from before its promotion.
  if (primary.role != MemberRole::kUnknown || primary.gtid_position.empty()) return nullptr;
  for (const MemberRecord& member : view.members) {
    // Still streaming from it: what it has beyond the primary's record came
    // from the primary after that record was written (a fenced primary made
    // writable again), not from before a truncation, which would have
    // broken the stream (`warden sim --workload mysql`, seed 127).
    if (member.id == primary.id || (follows(member, primary) && member.io_running)) continue;
    // Its relay log counts: acknowledged commits the primary lost may be
    // only there.
    if (!errant_gtids(member, primary, /*received=*/true).empty()) return &member;
  }
  return nullptr;
}

}  // namespace

const char* local_action_name(LocalAction action) {
  switch (action) {
    case LocalAction::kNone:
      return "none";
    case LocalAction::kFence:
      return "fence";
    case LocalAction::kMakeWritable:
      return "make-writable";
    case LocalAction::kRepoint:
      return "repoint";
    case LocalAction::kHoldOut:
      return "hold-out";
  }
  return "?";
}

AgentCore::AgentCore(AgentSettings settings, uint64_t started_ms)
    : settings_(std::move(settings)), started_ms_(started_ms) {
  assert(settings_.fence_after_ms > 0);
}

bool AgentCore::falls_back(const MemberRecord& writable) const {
  return settings_.require_semi_sync &&
         (writable.semi_sync == "off" || writable.semi_sync == "may-fall-back");
}

bool AgentCore::isolated(const AgentInput& input) const {
  // Until its first confirmation the agent counts from its start: a
  // restarted agent beside a running primary gets as long to reach the
  // ensemble as a confirmed one gets to hear from it again, so the primary
  // does not stop taking writes each time its agent restarts.
  if (!input.last_confirmed_ms) return input.now_ms >= started_ms_ + settings_.fence_after_ms;
  // A session that was confirmed and is now lost has expired: the others
  // may already be promoting a replica.
  if (!input.session_alive) return true;
  return input.now_ms >= *input.last_confirmed_ms + settings_.fence_after_ms;
}

AgentDecision AgentCore::decide(const AgentInput& input) {
  AgentDecision decision;
  const bool writable = input.local && input.local_probe_completed && !input.local->read_only;
  const bool in_maintenance = input.view && input.local && input.local->maintenance;
  // Rule 1 holds even in maintenance: a writable server nobody can vouch
  // for is the one thing that loses writes.
  if (writable && isolated(input)) {
    decision.local = LocalAction::kFence;
    decision.local_reason =
        input.session_alive || !input.last_confirmed_ms
            ? "no quorum confirmation for " + std::to_string(settings_.fence_after_ms) + " ms"
            : "the agent's session is lost";
  }
  if (!input.view) return decision;
  const ClusterView& view = *input.view;
  // While someone holds the failover lock (a failover, or an operator's
  // switchover), the topology is theirs to change: a fenced primary or a
  // promoted replica must not be undone halfway.
  if (decision.local == LocalAction::kNone && !in_maintenance && !view.failover_lock_held) {
    follow_primary(input, view, decision);
  }
  if (view.primary) {
    consider_failover(input, view, decision);
  } else {
    consider_bootstrap(input, view, decision);
  }
  return decision;
}

void AgentCore::follow_primary(const AgentInput& input, const ClusterView& view,
                               AgentDecision& decision) {
  if (!input.local || !input.local_probe_completed || !view.primary) return;
  const MemberRecord& me = *input.local;
  const PrimaryRecord& primary = *view.primary;
  if (primary.member_id == me.id) {
    // Not while its own record is missing from the view: the others see it
    // gone too and may be failing it over already, under a lock taken after
    // this view was read (`warden sim --workload mysql`, seed 271).
    if (me.read_only && me.source_host.empty() && !isolated(input) &&
        member_ahead_of(view, me) == nullptr && find_member(view.members, me.id) != nullptr) {
      // A restarted primary's recovery may have dropped commits a replica
      // received: with that replica unaccounted for, new commits would
      // reuse their GTIDs (`warden sim --workload mysql
      // --overlapping-faults`, seed 59).
      if (std::string refusal = resume_refusal(failover_input(view, 0), me); !refusal.empty()) {
        decision.problem = "the published primary does not take writes again: " + refusal;
        return;
      }
      decision.local = LocalAction::kMakeWritable;
      decision.local_reason = "this member is the published primary " + primary_name(primary);
    } else if (!me.read_only && falls_back(me) && !isolated(input)) {
      // Making it writable again configures semi-sync as promote does: an
      // acknowledged commit must be on a replica, never only here.
      decision.local = LocalAction::kMakeWritable;
      decision.local_reason = "semi-synchronous replication is " + me.semi_sync +
                              " on the primary: configuring it never to fall back";
    }
    return;
  }
  if (!me.read_only) {
    decision.local = LocalAction::kFence;
    decision.local_reason = "the published primary is " + primary_name(primary);
    return;
  }
  const MemberRecord* source = find_member(view.members, primary.member_id);
  if (source == nullptr || !source->healthy || source->role != MemberRole::kPrimary) return;
  if (follows(me, *source)) return;
  if (std::string errant = errant_gtids(me, *source); !errant.empty()) {
    decision.local = LocalAction::kHoldOut;
    decision.problem = "held out: has transactions the primary " + source->id +
                       " lacks (errant GTIDs " + errant + ")";
    decision.local_reason = decision.problem;
    return;
  }
  decision.local = LocalAction::kRepoint;
  decision.source = *source;
  decision.local_reason = "follow the published primary " + primary_name(primary);
}

std::optional<uint64_t> AgentCore::primary_failed(const AgentInput& input, const ClusterView& view,
                                                  AgentDecision& decision) {
  const PrimaryRecord& primary = *view.primary;
  const MemberRecord* record = find_member(view.members, primary.member_id);
  if (record == nullptr) {
    if (!primary_gone_since_ || primary_gone_since_->first != primary.member_id) {
      primary_gone_since_ = {primary.member_id, input.now_ms};
    }
    const uint64_t gone_ms = input.now_ms - primary_gone_since_->second;
    decision.primary_failure =
        "primary " + primary_name(primary) + " has no member record: its agent's session ended";
    return gone_ms >= settings_.lease_wait_ms ? 0 : settings_.lease_wait_ms - gone_ms;
  }
  primary_gone_since_.reset();
  if (record->healthy && record->role == MemberRole::kPrimary) return std::nullopt;
  if (auto written = view.member_written_ms.find(record->id);
      written != view.member_written_ms.end() && written->second < view.primary_written_ms) {
    // Its agent has not published since the promotion: the record shows a
    // replica that is one no longer.
    decision.failover_held = "primary " + record->id + "'s member record predates its promotion";
    return std::nullopt;
  }
  if (record->maintenance) {
    decision.failover_held = "primary " + record->id + " is in maintenance";
    return std::nullopt;
  }
  if (const MemberRecord* ahead = member_ahead_of(view, *record)) {
    // The primary restarted and its crash recovery dropped transactions it
    // had sent (never acknowledged to a client, but on this replica): it
    // cannot lead its replicas again. Its agent is alive (its record is
    // there), and its server is read-only: no lease to wait out.
    decision.primary_failure = "primary " + primary_name(primary) + " is read-only and member " +
                               ahead->id + " has transactions it lacks (" +
                               errant_gtids(*ahead, *record, /*received=*/true) + "): it restarted";
    return 0;
  }
  size_t followers = 0;
  for (const MemberRecord& member : view.members) {
    if (member.id == record->id || !member.healthy || !follows(member, *record)) continue;
    ++followers;
    if (member.io_running) {
      decision.failover_held = "primary " + record->id + " is unhealthy" + reported(*record) +
                               " but replica " + member.id + " is still connected to it";
      return std::nullopt;
    }
  }
  if (followers == 0) {
    decision.failover_held = "primary " + record->id + " is unhealthy" + reported(*record) +
                             " and no healthy replica follows it to confirm";
    return std::nullopt;
  }
  decision.primary_failure = "primary " + primary_name(primary) + " is unhealthy" +
                             reported(*record) + " and none of its " + std::to_string(followers) +
                             " replicas is connected to it";
  // Its agent is alive (its record is there): it fences the server the
  // moment it sees the new primary, so there is no lease to wait out.
  return 0;
}

void AgentCore::consider_failover(const AgentInput& input, const ClusterView& view,
                                  AgentDecision& decision) {
  const std::optional<uint64_t> lease_wait_ms = primary_failed(input, view, decision);
  if (!lease_wait_ms) return;
  if (view.failover_lock_held) {
    decision.failover_held = "another agent holds the failover lock";
    return;
  }
  // Epoch 1 is the first primary (adopted at bootstrap), not a change of
  // primary: the first failover is never held back by it.
  const bool changed_before = view.primary->epoch > 1 && view.primary_written_ms > 0;
  const std::optional<uint64_t> last_ms =
      changed_before ? std::optional<uint64_t>(view.primary_written_ms) : std::nullopt;
  if (!may_fail_over(static_cast<uint64_t>(std::max<int64_t>(input.wall_now_ms, 0)), last_ms,
                     settings_.min_failover_interval_ms)) {
    decision.failover_held = "anti-flapping: the last change of primary was less than " +
                             std::to_string(settings_.min_failover_interval_ms) + " ms ago";
    return;
  }
  FailoverOutcome outcome = plan_failover(failover_input(view, *lease_wait_ms));
  if (!outcome.plan) {
    decision.failover_held = outcome.refusal;
    return;
  }
  if (outcome.plan->candidate_id == settings_.member_id) decision.failover = outcome.plan;
}

void AgentCore::consider_bootstrap(const AgentInput& input, const ClusterView& view,
                                   AgentDecision& decision) {
  if (input.now_ms < started_ms_ + settings_.settle_ms) return;
  std::vector<const MemberRecord*> writable;
  for (const MemberRecord& member : view.members) {
    if (member.healthy && member.role == MemberRole::kPrimary) writable.push_back(&member);
  }
  if (writable.size() > 1) {
    std::string names;
    for (const MemberRecord* member : writable) names += (names.empty() ? "" : ", ") + member->id;
    decision.failover_held = "no primary published and several members are writable: " + names;
    return;
  }
  if (writable.size() == 1) {
    // An isolated agent fences its server instead (rule 1): it cannot know
    // whether someone was published meanwhile.
    const bool mine = writable.front()->id == settings_.member_id &&
                      !writable.front()->maintenance && !isolated(input);
    // Published, its acknowledged commits are promised: semi-sync must not
    // fall back first (`warden sim --workload mysql --overlapping-faults`,
    // seed 138: the agent died a second after adopting, and the server
    // fell back to asynchronous 10 s later).
    if (mine && input.local && falls_back(*input.local)) {
      decision.local = LocalAction::kMakeWritable;
      decision.local_reason = "semi-synchronous replication is " + input.local->semi_sync +
                              ": configuring it never to fall back before adopting this member as "
                              "the first primary";
      return;
    }
    decision.adopt_as_primary = mine;
    return;
  }
  if (view.failover_lock_held) return;
  // The first primary that its own agent fenced before adopting it (cut off
  // from the ensemble at startup) is never adopted, being read-only, and its
  // replicas, still streaming from it, hold the plan below for ever. Its
  // agent, confirmed again, makes it writable; a later round adopts it.
  if (input.local && input.local_probe_completed && input.local->read_only &&
      input.local->source_host.empty() && !input.local->maintenance && !isolated(input)) {
    for (const MemberRecord& member : view.members) {
      if (member.id == settings_.member_id || !member.io_running ||
          !follows(member, *input.local)) {
        continue;
      }
      decision.local = LocalAction::kMakeWritable;
      decision.local_reason = "no primary published, and " + member.id +
                              " streams from this member's server: the first primary, fenced "
                              "before it was adopted, resumes";
      return;
    }
  }
  // A replica still connected to its source shows a live primary that has
  // not published yet (its agent is starting): never promote beside it.
  for (const MemberRecord& member : view.members) {
    if (member.io_running) {
      decision.failover_held = "no primary published, and " + member.id +
                               " is still connected to its source " + member.source_host + ":" +
                               std::to_string(member.source_port);
      return;
    }
  }
  FailoverOutcome outcome = plan_failover(failover_input(view, 0));
  if (!outcome.plan) {
    decision.failover_held = "no primary published: " + outcome.refusal;
    return;
  }
  if (outcome.plan->candidate_id == settings_.member_id) decision.failover = outcome.plan;
}

}  // namespace warden::mysqlctl
