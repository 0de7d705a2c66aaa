#include "mysqlctl/agent_loop.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace warden::mysqlctl {
namespace {

// Reopening a session after a lost one or a failed attempt.
constexpr uint64_t kReconnectDelayMs = 500;

// A fence of the old primary that reached the server and then lost the
// connection (MySQL client errors 2013 and 2006) is tried again, this many
// times in all, this far apart: an old primary whose own agent is gone (its
// Warden process died, its mysqld runs on) is fenced by nobody else
// (`warden sim --workload mysql`, seed 276: both fences lost their
// connection, and the old primary went on acknowledging through a replica).
// A server that refuses or does not answer connections is down or cut off:
// trying again would only delay the failover (by 0.8 s for a killed
// mysqld), and the lease wait covers it.
constexpr uint32_t kFenceAttempts = 3;
constexpr uint64_t kFenceRetryDelayMs = 200;
constexpr uint64_t kUnlockRetryDelayMs = 500;

bool lost_mid_query(const std::string& error) {
  for (const char* sign : {"Lost connection", "gone away", "2013)", "2006)"}) {
    if (error.find(sign) != std::string::npos) return true;
  }
  return false;
}

bool ok(const NsReply& reply) {
  return reply.error == NsError::kOk;
}

std::string error_name(const NsReply& reply) {
  return std::string("error ") + ns_error_name(reply.error);
}

NsRequest request(NsOp op, std::string path, std::string data = "", bool ephemeral = false,
                  int32_t version = -1) {
  NsRequest r;
  r.op = op;
  r.path = std::move(path);
  r.data = std::move(data);
  r.ephemeral = ephemeral;
  r.version = version;
  return r;
}

// Whether `current` (a read of the primary record) finds it as `view` did.
bool same_primary_record(const NsReply& current, const ClusterView& view) {
  if (!view.primary) return current.error == NsError::kNoNode;
  return ok(current) && current.version == view.primary_version;
}

}  // namespace

const char* ns_op_name(NsOp op) {
  switch (op) {
    case NsOp::kCreate:
      return "create";
    case NsOp::kSetData:
      return "setData";
    case NsOp::kDelete:
      return "delete";
    case NsOp::kSync:
      return "sync";
    case NsOp::kGetChildren:
      return "getChildren";
    case NsOp::kGetData:
      return "getData";
    case NsOp::kExists:
      return "exists";
  }
  return "?";
}

const char* ns_error_name(NsError error) {
  switch (error) {
    case NsError::kOk:
      return "OK";
    case NsError::kNoNode:
      return "NONODE";
    case NsError::kNodeExists:
      return "NODEEXISTS";
    case NsError::kBadVersion:
      return "BADVERSION";
    case NsError::kNotEmpty:
      return "NOTEMPTY";
    case NsError::kSessionExpired:
      return "SESSIONEXPIRED";
    case NsError::kConnectionLoss:
      return "CONNECTIONLOSS";
    case NsError::kOther:
      return "OTHER";
  }
  return "?";
}

NsReply ns_failure(NsError error) {
  NsReply reply;
  reply.error = error;
  return reply;
}

const char* mysql_action_name(MysqlAction action) {
  switch (action) {
    case MysqlAction::kFence:
      return "fence";
    case MysqlAction::kMakeWritable:
      return "make-writable";
    case MysqlAction::kPromote:
      return "promote";
    case MysqlAction::kRepoint:
      return "repoint";
    case MysqlAction::kWaitRelayLogApplied:
      return "wait-relay-log-applied";
    case MysqlAction::kResumeReplication:
      return "resume-replication";
    case MysqlAction::kStopReceiving:
      return "stop-receiving";
  }
  return "?";
}

// A read of the cluster's subtree in progress: the children lists first,
// then every member's record.
struct AgentLoop::PendingView {
  uint64_t sync_sent_ms = 0;
  ClusterView view;
  std::vector<std::string> member_ids;
  std::vector<std::string> roster_ids;
  std::set<std::string> maintenance;
  size_t outstanding = 0;
  bool failed = false;
};

// A failover this agent runs: the plan, the view it was made from, and the
// session that holds the lock.
struct AgentLoop::Failover {
  FailoverPlan plan;
  ClusterView view;
  uint64_t session = 0;
  // Servers whose replication the failover stopped (or may have): if it
  // stops short of publishing, they replicate again.
  std::vector<ProbeTarget> paused;
  // What each member held once it stopped receiving, by id.
  std::map<std::string, FrozenPosition> frozen;
  // What the candidate holds once its relay log is applied: published with
  // the new epoch.
  std::string promoted_position;
};

AgentLoop::AgentLoop(AgentLoopOptions options, AgentPorts& ports)
    : options_(std::move(options)), ports_(ports), core_(options_.settings, 0) {
  assert(options_.probe_interval_ms > 0);
  assert(member_id_error(options_.settings.member_id).empty());
  assert(cluster_name_error(options_.settings.cluster).empty());
}

void AgentLoop::start() {
  log("agent for member " + options_.settings.member_id + " of MySQL cluster " +
      options_.settings.cluster + " watching " + options_.server.host + ":" +
      std::to_string(options_.server.port));
  connect();
  round();
}

void AgentLoop::submit(NsRequest zk, std::function<void(const NsReply&)> done) {
  ports_.submit(std::move(zk), [this, done = std::move(done)](const NsReply& reply) {
    if (!stopped_) done(reply);
  });
}

void AgentLoop::on_session_lost() {
  if (stopped_ || session_ == 0) return;
  log("session " + std::to_string(session_) + " lost: reconnecting");
  session_ = 0;
  published_.clear();
  layout_ready_ = false;
  connect();
}

void AgentLoop::connect() {
  if (stopped_) return;
  const uint64_t generation = ++connect_generation_;
  ports_.connect([this, generation](std::optional<uint64_t> session) {
    if (stopped_ || generation != connect_generation_) return;
    if (!session) {
      log("cannot open a session on the local node: retrying");
      ports_.after_ms(kReconnectDelayMs, "agent-reconnect", [this] { connect(); });
      return;
    }
    assert(*session != 0);
    session_ = *session;
    ensure_layout();
  });
}

// The cluster's folders, made once per session; NODEEXISTS is success.
void AgentLoop::ensure_layout() {
  const std::string& cluster = options_.settings.cluster;
  const std::vector<std::pair<std::string, std::string>> paths = {
      {"/warden", ""},
      {std::string(kMysqlRootPath), ""},
      {cluster_path(cluster), ""},
      {members_path(cluster), ""},
      {maintenance_path(cluster), ""},
      {roster_path(cluster), ""},
      {roster_member_path(cluster, options_.settings.member_id), encode_roster_entry({})}};
  const uint64_t generation = connect_generation_;
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool last = i + 1 == paths.size();
    submit(request(NsOp::kCreate, paths[i].first, paths[i].second),
           [this, last, generation](const NsReply& reply) {
             const bool made = ok(reply) || reply.error == NsError::kNodeExists;
             if (last && made && generation == connect_generation_) layout_ready_ = true;
           });
  }
}

void AgentLoop::schedule_round() {
  ports_.after_ms(options_.probe_interval_ms, "agent-round", [this] { round(); });
}

void AgentLoop::round() {
  if (stopped_) return;
  if (!probing_) start_probe();
  if (!reading_view_ && session_ != 0 && layout_ready_) start_view();
  decide();
  schedule_round();
}

void AgentLoop::start_probe() {
  probing_ = true;
  const uint64_t started = ports_.now_ms();
  ports_.probe(options_.server, [this, started](const ProbeResult& result) {
    if (!stopped_) on_probe(result, started);
  });
}

void AgentLoop::on_probe(const ProbeResult& result, uint64_t started_ms) {
  probing_ = false;
  Result<MemberRecord> record = member_record_from_probe(
      result, options_.server, options_.settings.member_id, options_.priority);
  if (!record.ok()) {
    log("cannot make a member record: " + record.error());
    return;
  }
  MemberRecord fresh = std::move(record).value();
  fresh.maintenance = maintenance_.count(fresh.id) > 0;
  if (!problem_.empty()) fresh.problem = problem_;
  if (!fresh.healthy) log_change(last_failure_, "local server unhealthy: " + fresh.problem);
  note_semi_sync(fresh);
  local_record_ = std::move(fresh);
  local_probe_completed_ = result.completed;
  probe_started_ms_ = started_ms;
  const bool stopped_primary =
      result.completed && local_record_->read_only && local_record_->source_host.empty();
  if (!stopped_primary) {
    read_only_seen_ms_.reset();
  } else if (!read_only_seen_ms_) {
    read_only_seen_ms_ = ports_.now_ms();
  }
  publish_member();
}

// With no replica to acknowledge them, a writable primary's commits wait
// (no fallback): say so once, and when it ends.
void AgentLoop::note_semi_sync(const MemberRecord& record) {
  if (!record.semi_sync_replicas) return;
  log_change(last_semi_sync_note_,
             *record.semi_sync_replicas == 0
                 ? "commits wait: no replica is connected to acknowledge them "
                   "(semi-synchronous replication, semi_sync " +
                       record.semi_sync + ")"
                 : std::to_string(*record.semi_sync_replicas) +
                       " replicas acknowledge commits (semi_sync " + record.semi_sync + ")");
}

void AgentLoop::publish_member() {
  if (session_ == 0 || !layout_ready_ || publishing_ || !local_record_) return;
  const std::string encoded = encode_member(*local_record_);
  if (encoded == published_) return;
  publishing_ = true;
  const std::string path = member_path(options_.settings.cluster, options_.settings.member_id);
  auto done = [this, encoded, path](const NsReply& reply) {
    publishing_ = false;
    if (ok(reply)) {
      published_ = encoded;
    } else if (reply.error == NsError::kNodeExists) {
      // The record of this member's previous session (a restarted
      // process), not yet expired: replace it with this session's.
      submit(request(NsOp::kDelete, path), [](const NsReply&) {});
    } else if (reply.error == NsError::kNoNode) {
      published_.clear();  // someone deleted it: create it again
    }
  };
  if (published_.empty()) {
    submit(request(NsOp::kCreate, path, encoded, /*ephemeral=*/true), done);
  } else {
    submit(request(NsOp::kSetData, path, encoded), done);
  }
}

void AgentLoop::start_view() {
  reading_view_ = true;
  const uint64_t sent = ports_.now_ms();
  NsRequest sync = request(NsOp::kSync, cluster_path(options_.settings.cluster));
  sync.session = session_;
  submit(std::move(sync), [this, sent, session = session_](const NsReply& reply) {
    if (!ok(reply)) {
      reading_view_ = false;
      return;
    }
    last_confirmed_ms_ = sent;
    confirmed_session_ = session;
    read_view(sent);
  });
}

void AgentLoop::read_view(uint64_t sync_sent_ms) {
  const std::string& cluster = options_.settings.cluster;
  auto pending = std::make_shared<PendingView>();
  pending->sync_sent_ms = sync_sent_ms;
  pending->outstanding = 5;
  auto one_done = [this, pending] {
    if (--pending->outstanding == 0) finish_view(pending);
  };
  submit(request(NsOp::kGetChildren, members_path(cluster)),
         [pending, one_done](const NsReply& reply) {
           if (ok(reply)) {
             pending->member_ids = reply.children;
           } else {
             pending->failed = true;
           }
           one_done();
         });
  submit(request(NsOp::kGetChildren, maintenance_path(cluster)),
         [pending, one_done](const NsReply& reply) {
           if (ok(reply)) {
             for (const std::string& id : reply.children) pending->maintenance.insert(id);
           }
           one_done();
         });
  // NONODE: a cluster laid out before the roster existed.
  submit(request(NsOp::kGetChildren, roster_path(cluster)),
         [pending, one_done](const NsReply& reply) {
           if (ok(reply)) {
             pending->roster_ids = reply.children;
           } else if (reply.error != NsError::kNoNode) {
             pending->failed = true;
           }
           one_done();
         });
  submit(request(NsOp::kGetData, primary_path(cluster)),
         [this, pending, one_done](const NsReply& reply) {
           if (ok(reply)) {
             Result<PrimaryRecord> primary = decode_primary(reply.data);
             if (primary.ok()) {
               pending->view.primary = primary.value();
             } else {
               log_change(last_failure_, "unreadable primary record: " + primary.error());
             }
             pending->view.primary_version = reply.version;
             pending->view.primary_written_ms = reply.mtime_ms;
           } else if (reply.error != NsError::kNoNode) {
             pending->failed = true;
           }
           one_done();
         });
  submit(request(NsOp::kExists, failover_lock_path(cluster)),
         [pending, one_done](const NsReply& reply) {
           pending->view.failover_lock_held = ok(reply);
           one_done();
         });
}

void AgentLoop::finish_view(const std::shared_ptr<PendingView>& pending) {
  if (pending->failed) {
    reading_view_ = false;
    return;
  }
  pending->outstanding = pending->member_ids.size() + pending->roster_ids.size() + 1;
  auto one_done = [this, pending] {
    if (--pending->outstanding != 0) return;
    reading_view_ = false;
    if (pending->failed) return;
    for (MemberRecord& member : pending->view.members) {
      member.maintenance = pending->maintenance.count(member.id) > 0;
    }
    maintenance_ = pending->maintenance;
    pending->view.in_maintenance.assign(pending->maintenance.begin(), pending->maintenance.end());
    view_ = std::move(pending->view);
    view_started_ms_ = pending->sync_sent_ms;
    note_following();
  };
  for (const std::string& id : pending->roster_ids) {
    submit(request(NsOp::kGetData, roster_member_path(options_.settings.cluster, id)),
           [pending, one_done, id](const NsReply& reply) {
             if (ok(reply)) {
               // Unreadable: as if it had followed every epoch, the safe side.
               Result<RosterEntry> entry = decode_roster_entry(reply.data);
               pending->view.roster[id] = entry.ok() ? entry.value().following_epoch
                                                     : std::numeric_limits<uint64_t>::max();
             } else if (reply.error != NsError::kNoNode) {
               pending->failed = true;
             }
             one_done();
           });
  }
  for (const std::string& id : pending->member_ids) {
    submit(request(NsOp::kGetData, member_path(options_.settings.cluster, id)),
           [this, pending, one_done, id](const NsReply& reply) {
             if (ok(reply)) {
               Result<MemberRecord> record = decode_member(reply.data);
               if (record.ok()) {
                 pending->view.member_written_ms[id] = reply.mtime_ms;
                 pending->view.members.push_back(std::move(record).value());
               } else {
                 log_change(last_failure_, "member " + id + ": " + record.error());
               }
             } else if (reply.error != NsError::kNoNode) {
               pending->failed = true;
             }
             one_done();
           });
  }
  one_done();  // the +1 above: finishes at once when there are no members
}

// Records in this member's roster entry that it replicates from the
// published primary's epoch, before it can acknowledge any of its commits
// (as far as one round allows): a failover then waits for this member.
void AgentLoop::note_following() {
  if (writing_roster_ || !view_ || !view_->primary || !local_record_) return;
  const PrimaryRecord& primary = *view_->primary;
  const bool follows = !primary.host.empty() && local_record_->source_host == primary.host &&
                       local_record_->source_port == primary.port;
  auto entry = view_->roster.find(options_.settings.member_id);
  if (!follows || entry == view_->roster.end() || entry->second >= primary.epoch) return;
  writing_roster_ = true;
  submit(roster_write(options_.settings.member_id, primary.epoch, 0),
         [this](const NsReply&) { writing_roster_ = false; });
}

// A probe or view older than a few rounds describes a server or a node that
// stopped answering.
bool AgentLoop::recent(uint64_t started_ms) const {
  return ports_.now_ms() <= started_ms + 4 * options_.probe_interval_ms;
}

void AgentLoop::decide() {
  if (acting_) return;
  AgentInput input;
  input.now_ms = ports_.now_ms();
  input.wall_now_ms = ports_.wall_ms();
  // Only what began after the last action ended describes the world as
  // that action left it.
  if (local_record_ && probe_started_ms_ >= action_ended_ms_) {
    input.local = local_record_;
    input.local_probe_completed = local_probe_completed_;
  }
  input.session_alive = session_ != 0;
  input.last_confirmed_ms = last_confirmed_ms_;
  if (view_ && view_started_ms_ >= action_ended_ms_ && recent(view_started_ms_)) {
    input.view = view_;
  }
  if (options_.distort_input) options_.distort_input(input);
  act(core_.decide(input));
}

void AgentLoop::act(const AgentDecision& decision) {
  if (decision.problem != problem_) {
    problem_ = decision.problem;
    if (local_record_) {
      local_record_->problem = problem_.empty() ? local_record_->problem : problem_;
      publish_member();
    }
  }
  if (!decision.primary_failure.empty()) log_change(last_failure_, decision.primary_failure);
  if (!decision.failover_held.empty()) {
    log_change(last_held_, "failover held: " + decision.failover_held);
  }
  if (decision.failover) {
    // The plan's steps act on the servers the real view names (the core may
    // have been handed a distorted copy).
    run_failover(*decision.failover, *view_);
  } else if (decision.adopt_as_primary) {
    adopt();
  } else if (decision.local == LocalAction::kMakeWritable && local_record_->read_only &&
             (!read_only_seen_ms_ || view_started_ms_ < *read_only_seen_ms_)) {
    // Making a server writable must rest on a view read after a probe
    // first found it read-only: a switchover's lock, taken before it fenced
    // the server, is then seen.
  } else if (decision.local == LocalAction::kMakeWritable) {
    resume_under_lock(decision);
  } else if (decision.local != LocalAction::kNone && decision.local != LocalAction::kHoldOut) {
    run_local(decision);
  }
}

// Making the server writable excludes a failover: it happens only under the
// failover lock, on a primary record unchanged since the view. A failover
// that takes the lock first finds the server read-only and keeps it so; one
// that takes it later fences it first (`warden sim --workload mysql`, seed
// 397: a restarted primary's agent, on a view read just before a failover
// took the lock, made its server writable during the lease wait).
void AgentLoop::resume_under_lock(const AgentDecision& decision) {
  acting_ = true;
  const uint64_t session = session_;
  assert(view_);  // the decision came from it
  const ClusterView planned = *view_;
  ++locks_taken_;
  NsRequest lock = request(NsOp::kCreate, failover_lock_path(options_.settings.cluster),
                           options_.settings.member_id, /*ephemeral=*/true);
  lock.session = session;
  const uint64_t sent = ports_.now_ms();
  submit(std::move(lock), [this, decision, session, sent, planned](const NsReply& reply) {
    if (!ok(reply)) {
      log("make-writable not started: the failover lock is taken or unavailable (" +
          error_name(reply) + ")");
      return end_action();
    }
    last_confirmed_ms_ = sent;
    confirmed_session_ = session;
    NsRequest read = request(NsOp::kGetData, primary_path(options_.settings.cluster));
    read.session = session;
    submit(std::move(read), [this, decision, session, planned](const NsReply& current) {
      const std::string doubt = same_primary_record(current, planned)
                                    ? lock_doubt(session)
                                    : "the primary record changed since the view";
      if (!doubt.empty()) {
        log("make-writable not started: " + doubt);
        release_lock(session);
        return end_action();
      }
      run_local(decision, [this, session] { release_lock(session); });
    });
  });
}

// A lost answer is not a lost delete: the lock is deleted again only while
// it is still this member's (no other agent writes this member's id) and
// this agent has taken no lock since. A lock left behind on a session that
// lives on would hold every failover off for good (`warden sim --workload
// mysql --overlapping-faults`, seed 386).
void AgentLoop::release_lock(uint64_t session) {
  NsRequest unlock = request(NsOp::kDelete, failover_lock_path(options_.settings.cluster));
  unlock.session = session;
  const uint64_t taken = locks_taken_;
  submit(std::move(unlock), [this, session, taken](const NsReply& reply) {
    if (reply.error == NsError::kConnectionLoss) recheck_lock(session, taken);
  });
}

void AgentLoop::recheck_lock(uint64_t session, uint64_t taken) {
  ports_.after_ms(kUnlockRetryDelayMs, "agent-unlock-retry", [this, session, taken] {
    if (stopped_ || locks_taken_ != taken || session_ != session) return;
    NsRequest read = request(NsOp::kGetData, failover_lock_path(options_.settings.cluster));
    read.session = session;
    submit(std::move(read), [this, session, taken](const NsReply& lock) {
      if (stopped_ || locks_taken_ != taken) return;
      if (lock.error == NsError::kConnectionLoss) return recheck_lock(session, taken);
      if (ok(lock) && lock.data == options_.settings.member_id) {
        log("failover lock: deleting it again (the answer to the delete was lost)");
        release_lock(session);
      }
    });
  });
}

void AgentLoop::run_local(const AgentDecision& decision, std::function<void()> then) {
  acting_ = true;
  log(std::string(local_action_name(decision.local)) +
      " the local server: " + decision.local_reason);
  MysqlAction action = MysqlAction::kFence;
  std::optional<ProbeTarget> source;
  switch (decision.local) {
    case LocalAction::kFence:
      action = MysqlAction::kFence;
      ++counters_.fences;
      break;
    case LocalAction::kMakeWritable:
      action = MysqlAction::kMakeWritable;
      ++counters_.make_writables;
      break;
    case LocalAction::kRepoint:
      action = MysqlAction::kRepoint;
      source = ProbeTarget{.host = decision.source->host, .port = decision.source->port};
      ++counters_.repoints;
      break;
    case LocalAction::kNone:
    case LocalAction::kHoldOut:
      assert(false);
      return;
  }
  const std::string what = local_action_name(decision.local);
  auto run = [this, action, source, what, then = std::move(then)] {
    ports_.act(action, options_.server, source,
               [this, what, then](const Result<std::string>& result) {
                 if (stopped_) return;
                 log(what + (result.ok() ? ": " + result.value() : " failed: " + result.error()));
                 if (then) then();
                 end_action();
               });
  };
  if (action != MysqlAction::kRepoint || !view_ || !view_->primary) return run();
  // In the roster before it can acknowledge anything of this primary's.
  submit(roster_write(options_.settings.member_id, view_->primary->epoch, 0),
         [run](const NsReply&) { run(); });
}

NsRequest AgentLoop::roster_write(const std::string& member_id, uint64_t epoch,
                                  uint64_t session) const {
  NsRequest write =
      request(NsOp::kSetData, roster_member_path(options_.settings.cluster, member_id),
              encode_roster_entry({.following_epoch = epoch}));
  write.session = session;
  return write;
}

void AgentLoop::end_action() {
  acting_ = false;
  action_ended_ms_ = ports_.now_ms();
}

void AgentLoop::adopt() {
  acting_ = true;
  const PrimaryRecord first{.member_id = options_.settings.member_id,
                            .epoch = 1,
                            .host = options_.server.host,
                            .port = options_.server.port,
                            .gtid_position = local_record_ ? local_record_->gtid_position : ""};
  submit(request(NsOp::kCreate, primary_path(options_.settings.cluster), encode_primary(first)),
         [this](const NsReply& reply) {
           if (ok(reply)) ++counters_.adoptions;
           log(ok(reply)
                   ? "published this member as the first primary (epoch 1)"
                   : "could not publish this member as the first primary: " + error_name(reply));
           end_action();
         });
}

std::optional<ProbeTarget> AgentLoop::target_of(const ClusterView& view,
                                                const std::string& id) const {
  if (const MemberRecord* member = find_member(view.members, id)) {
    return ProbeTarget{.host = member->host, .port = member->port};
  }
  // An old primary whose Warden node died has no member record; its
  // primary record still says where its server is, to fence it.
  if (view.primary && view.primary->member_id == id && !view.primary->host.empty()) {
    return ProbeTarget{.host = view.primary->host, .port = view.primary->port};
  }
  return std::nullopt;
}

void AgentLoop::run_failover(FailoverPlan plan, ClusterView view) {
  acting_ = true;
  auto failover = std::make_shared<Failover>();
  failover->plan = std::move(plan);
  failover->view = std::move(view);
  failover->session = session_;
  ++locks_taken_;
  NsRequest lock = request(NsOp::kCreate, failover_lock_path(options_.settings.cluster),
                           options_.settings.member_id, /*ephemeral=*/true);
  lock.session = failover->session;
  const uint64_t sent = ports_.now_ms();
  submit(std::move(lock), [this, failover, sent](const NsReply& reply) {
    if (!ok(reply)) {
      log("failover: the lock is taken or unavailable (" + error_name(reply) + ")");
      return end_action();
    }
    // Taking the lock is a quorum's answer on this session, like a sync.
    last_confirmed_ms_ = sent;
    confirmed_session_ = failover->session;
    ++counters_.failovers_started;
    check_plan_current(failover);
  });
}

// The plan rests on the primary record it read; under the lock, read it
// again: a failover that ran between that read and this lock (and released
// it) already changed the topology, and this plan would undo it.
void AgentLoop::check_plan_current(const std::shared_ptr<Failover>& failover) {
  NsRequest read = request(NsOp::kGetData, primary_path(options_.settings.cluster));
  read.session = failover->session;
  submit(std::move(read), [this, failover](const NsReply& reply) {
    if (!same_primary_record(reply, failover->view)) {
      return end_failover(
          failover,
          "not started: the primary record changed since the plan was made (" +
              (ok(reply) ? "version " + std::to_string(reply.version) : error_name(reply)) + ")",
          false);
    }
    log("failover to " + failover->plan.candidate_id + " at epoch " +
        std::to_string(failover->plan.new_epoch) + ": " +
        std::to_string(failover->plan.steps.size()) + " steps");
    run_step(failover, 0);
  });
}

// Why the lock taken on `session` may no longer be this agent's, or "" when
// it surely is: that session is still the client's, and a sync on it was
// answered recently enough that the ensemble cannot have expired it.
std::string AgentLoop::lock_doubt(uint64_t session) const {
  if (session_ != session) return "the session holding the lock is gone";
  if (confirmed_session_ != session || !last_confirmed_ms_ ||
      ports_.now_ms() >= *last_confirmed_ms_ + options_.settings.fence_after_ms) {
    return "no quorum has confirmed the session holding the lock for " +
           std::to_string(options_.settings.fence_after_ms) + " ms";
  }
  return "";
}

void AgentLoop::run_step(const std::shared_ptr<Failover>& failover, size_t index,
                         uint32_t attempt) {
  if (stopped_) return;
  const FailoverPlan& plan = failover->plan;
  assert(index < plan.steps.size());
  const FailoverStep& step = plan.steps[index];
  if (step.kind != StepKind::kWaitLeaseExpiry) {
    if (std::string doubt = lock_doubt(failover->session); !doubt.empty()) {
      return end_failover(failover, "stopped before '" + describe(step) + "': " + doubt, false);
    }
  }
  log("failover step " + std::to_string(index + 1) + ": " + describe(step));
  auto next = [this, failover, index] { run_step(failover, index + 1); };
  if (step.kind == StepKind::kPublishPrimary) return publish_primary(failover);
  if (step.kind == StepKind::kWaitLeaseExpiry) {
    return ports_.after_ms(step.wait_ms, "agent-lease-wait", next);
  }
  if (step.kind == StepKind::kWaitRelayLogApplied) {
    if (std::string why = second_look(*failover, step); !why.empty()) {
      return end_failover(failover, "stopped: " + why, false);
    }
  }
  const std::optional<ProbeTarget> target = target_of(failover->view, step.member_id);
  // Best effort: the old primary may be gone, a replica unreachable. The
  // candidate's steps must succeed, or the failover stops here.
  const bool must_succeed =
      step.kind == StepKind::kWaitRelayLogApplied || step.kind == StepKind::kPromote;
  if (!target) {
    if (must_succeed) {
      return end_failover(failover, "stopped: candidate " + step.member_id + " unknown", false);
    }
    log("failover: " + step.member_id + " has no member record; skipped");
    return next();
  }
  MysqlAction action = MysqlAction::kFence;
  std::optional<ProbeTarget> source;
  switch (step.kind) {
    case StepKind::kFenceOldPrimary:
      action = MysqlAction::kFence;
      break;
    case StepKind::kStopReceiving:
      return stop_receiving(failover, index, *target);
    case StepKind::kWaitRelayLogApplied:
      action = MysqlAction::kWaitRelayLogApplied;
      note_paused(*failover, *target);
      break;
    case StepKind::kPromote:
      action = MysqlAction::kPromote;
      break;
    case StepKind::kRepoint:
      action = MysqlAction::kRepoint;
      source = target_of(failover->view, step.source_id);
      assert(source);  // the candidate, promoted by now
      break;
    case StepKind::kWaitLeaseExpiry:
    case StepKind::kPublishPrimary:
      assert(false);
      return;
  }
  if (action == MysqlAction::kRepoint) {
    // In the roster before it can acknowledge anything of the new primary's
    // (on the lock's session: a failover that lost it writes nothing).
    submit(roster_write(step.member_id, plan.new_epoch, failover->session), [](const NsReply&) {});
  }
  const bool may_retry = action == MysqlAction::kFence && attempt + 1 < kFenceAttempts;
  ports_.act(action, *target, source,
             [this, failover, next, must_succeed, index, attempt, may_retry,
              description = describe(step)](const Result<std::string>& result) {
               if (stopped_) return;
               if (result.ok()) {
                 log("failover: " + description + ": " + result.value());
               } else if (may_retry && lost_mid_query(result.error())) {
                 log("failover: " + description + " failed (trying again): " + result.error());
                 return ports_.after_ms(
                     kFenceRetryDelayMs, "agent-fence-retry",
                     [this, failover, index, attempt] { run_step(failover, index, attempt + 1); });
               } else if (must_succeed) {
                 return end_failover(failover,
                                     "stopped at '" + description + "': " + result.error(), false);
               } else {
                 log("failover: " + description + " failed (continuing): " + result.error());
               }
               next();
             });
}

// Every member has stopped receiving by now (or could not be reached): the
// plan's rule again on what each holds, and what the candidate will hold
// once promoted (published with the epoch). A new cluster stopped nobody.
std::string AgentLoop::second_look(Failover& failover, const FailoverStep& relay_wait) const {
  const FailoverPlan& plan = failover.plan;
  failover.promoted_position = relay_wait.gtid_position;
  if (!plan.old_primary_id) return "";
  std::string why =
      recheck_after_freeze(failover_input(failover.view, 0), plan.candidate_id, failover.frozen);
  if (!why.empty()) return why;
  const MemberRecord* candidate = find_member(failover.view.members, plan.candidate_id);
  // Both there and readable: recheck_after_freeze required it.
  assert(candidate != nullptr && failover.frozen.count(plan.candidate_id) > 0);
  failover.promoted_position =
      member_known_position(with_frozen(*candidate, failover.frozen.at(plan.candidate_id)))
          ->format();
  return "";
}

void AgentLoop::stop_receiving(const std::shared_ptr<Failover>& failover, size_t index,
                               const ProbeTarget& target) {
  const std::string member_id = failover->plan.steps[index].member_id;
  note_paused(*failover, target);
  ports_.act(MysqlAction::kStopReceiving, target, std::nullopt,
             [this, failover, index, member_id, target](const Result<std::string>& stopped) {
               if (stopped_) return;
               if (!stopped.ok()) log("failover: stop " + member_id + ": " + stopped.error());
               // Read it even so: a server that replicates from nobody
               // receives nothing either.
               ports_.probe(target,
                            [this, failover, index, member_id, target](const ProbeResult& probe) {
                              if (stopped_) return;
                              note_frozen(*failover, member_id, target, probe);
                              run_step(failover, index + 1);
                            });
             });
}

void AgentLoop::note_paused(Failover& failover, const ProbeTarget& target) {
  if (std::find(failover.paused.begin(), failover.paused.end(), target) == failover.paused.end()) {
    failover.paused.push_back(target);
  }
}

void AgentLoop::note_frozen(Failover& failover, const std::string& member_id,
                            const ProbeTarget& target, const ProbeResult& probe) {
  Result<MemberRecord> record = member_record_from_probe(probe, target, member_id, 1);
  if (!probe.completed || !record.ok()) {
    return log("failover: " + member_id +
               " could not be read: " + (record.ok() ? probe.error : record.error()));
  }
  if (probe.replication && probe.replication->io_thread_state != "No") {
    return log("failover: " + member_id + " is still receiving (IO thread " +
               probe.replication->io_thread_state + ")");
  }
  const MemberRecord& read = record.value();
  failover.frozen[member_id] = {.applied = read.gtid_position,
                                .received = read.received_gtid_position,
                                .source_host = read.source_host,
                                .source_port = read.source_port};
  log("failover: " + member_id + " receives nothing more; applied '" + read.gtid_position +
      "', received '" + read.received_gtid_position + "'");
}

void AgentLoop::publish_primary(const std::shared_ptr<Failover>& failover) {
  const FailoverPlan& plan = failover->plan;
  const std::optional<ProbeTarget> server = target_of(failover->view, plan.candidate_id);
  assert(server);  // the promotion, just done, needed it
  const PrimaryRecord record{.member_id = plan.candidate_id,
                             .epoch = plan.new_epoch,
                             .host = server->host,
                             .port = server->port,
                             .gtid_position = failover->promoted_position};
  const std::string path = primary_path(options_.settings.cluster);
  // Conditional on the record this plan was made from: if anyone changed it
  // meanwhile, this failover lost, and the promoted server is fenced by its
  // agent as a writable non-primary. On the lock's session: if it ended,
  // the lock may be someone else's now.
  NsRequest publish = failover->view.primary ? request(NsOp::kSetData, path, encode_primary(record),
                                                       false, failover->view.primary_version)
                                             : request(NsOp::kCreate, path, encode_primary(record));
  publish.session = failover->session;
  submit(std::move(publish), [this, failover, record](const NsReply& reply) {
    end_failover(failover,
                 ok(reply) ? "published primary " + record.member_id + " at epoch " +
                                 std::to_string(record.epoch)
                           : "could not publish the new primary: " + error_name(reply),
                 ok(reply));
  });
}

void AgentLoop::end_failover(const std::shared_ptr<Failover>& failover, const std::string& how,
                             bool published) {
  log("failover " + how);
  if (published) {
    ++counters_.failovers_published;
  } else {
    ++counters_.failovers_stopped;
  }
  // On the lock's session only: on another, the lock may be someone else's.
  release_lock(failover->session);
  if (published) return end_action();
  // Nobody was promoted (or the promotion failed): whoever stopped
  // replicating for this failover replicates again, to keep up with
  // whoever is primary.
  resume_paused(failover, 0);
}

void AgentLoop::resume_paused(const std::shared_ptr<Failover>& failover, size_t index) {
  if (index >= failover->paused.size()) return end_action();
  const ProbeTarget target = failover->paused[index];
  ports_.act(MysqlAction::kResumeReplication, target, std::nullopt,
             [this, failover, index, target](const Result<std::string>& result) {
               if (stopped_) return;
               log("failover: resume replication on " + target.host + ":" +
                   std::to_string(target.port) +
                   (result.ok() ? ": " + result.value() : " failed: " + result.error()));
               resume_paused(failover, index + 1);
             });
}

MemberHealthFacts AgentLoop::health_facts() const {
  MemberHealthFacts facts;
  facts.member_id = options_.settings.member_id;
  facts.counters = counters_;
  if (local_record_ && recent(probe_started_ms_)) facts.local = local_record_;
  // Stricter than the fencing rule: unconfirmed until the first answered
  // sync, so a checker never hears "primary" from an agent that has not
  // reached the ensemble.
  facts.confirmed = session_ != 0 && last_confirmed_ms_ &&
                    ports_.now_ms() < *last_confirmed_ms_ + options_.settings.fence_after_ms;
  if (view_ && recent(view_started_ms_)) {
    facts.view.primary = view_->primary;
    facts.view.members = view_->members;
  } else {
    facts.view.unknown_because = "this member's agent has no recent view of the cluster";
  }
  return facts;
}

void AgentLoop::log_change(std::string& last, const std::string& line) {
  if (line == last) return;
  last = line;
  log(line);
}

}  // namespace warden::mysqlctl
