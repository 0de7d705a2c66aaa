#include "sim/mysql_agent.h"

#include <cassert>
#include <cmath>

namespace warden::sim {

using mysqlctl::AgentDecision;
using mysqlctl::AgentInput;
using mysqlctl::ClusterView;
using mysqlctl::FailoverPlan;
using mysqlctl::FailoverStep;
using mysqlctl::LocalAction;
using mysqlctl::MemberRecord;
using mysqlctl::PrimaryRecord;
using mysqlctl::ProbeResult;
using mysqlctl::ProbeTarget;
using mysqlctl::StepKind;
using Text = mysqlctl::Result<std::string>;

namespace {

// As in mysqlctl/agent.cc.
constexpr uint64_t kReconnectDelayMs = 500;

bool ok(const ZkReply& reply) {
  return reply.error == ZkError::kOk;
}

std::string error_name(const ZkReply& reply) {
  return std::string("error ") + zk_error_name(reply.error);
}

ZkRequest request(ZkOp op, std::string path, std::string data = "", bool ephemeral = false,
                  int32_t version = -1) {
  return ZkRequest{op, std::move(path), std::move(data), ephemeral, version};
}

}  // namespace

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
  }
  return "?";
}

struct SimAgent::PendingView {
  uint64_t sync_sent_ms = 0;
  ClusterView view;
  std::vector<std::string> member_ids;
  std::set<std::string> maintenance;
  size_t outstanding = 0;
  bool failed = false;
};

SimAgent::SimAgent(SimAgentOptions options, AgentEnvironment& env)
    : options_(std::move(options)),
      env_(env),
      core_(options_.settings, 0),
      created_us_(env.now_us()) {
  assert(options_.clock_rate > 0.5 && options_.clock_rate < 2.0);
  assert(options_.probe_interval_ms > 0);
}

uint64_t SimAgent::now_ms() const {
  const double elapsed_us = static_cast<double>(env_.now_us() - created_us_);
  return static_cast<uint64_t>(std::floor(elapsed_us * options_.clock_rate / 1000.0));
}

int64_t SimAgent::sim_delay_us(uint64_t agent_ms) const {
  return static_cast<int64_t>(
      std::ceil(static_cast<double>(agent_ms) * 1000.0 / options_.clock_rate));
}

void SimAgent::later_ms(uint64_t agent_ms, const char* label, std::function<void()> task) {
  env_.agent_later(options_.host, options_.incarnation, sim_delay_us(agent_ms), label,
                   std::move(task));
}

void SimAgent::submit(ZkRequest zk, std::function<void(const ZkReply&)> done) {
  env_.zk_submit(options_.host, options_.incarnation, std::move(zk), std::move(done));
}

void SimAgent::start() {
  log("agent for member " + options_.settings.member_id + " started");
  connect();
  round();
}

void SimAgent::on_session_lost() {
  if (!session_alive_) return;
  session_alive_ = false;
  log("session lost: reconnecting");
  published_.clear();
  layout_ready_ = false;
  connect();
}

void SimAgent::connect() {
  const uint64_t generation = ++connect_generation_;
  env_.zk_connect(options_.host, options_.incarnation,
                  [this, generation](std::optional<uint64_t> session) {
                    if (generation != connect_generation_) return;
                    if (!session) {
                      log("cannot open a session on the local node: retrying");
                      later_ms(kReconnectDelayMs, "agent-reconnect", [this] { connect(); });
                      return;
                    }
                    session_alive_ = true;
                    ensure_layout();
                  });
}

void SimAgent::ensure_layout() {
  const std::string& cluster = options_.settings.cluster;
  const std::vector<std::string> paths = {
      "/warden", std::string(mysqlctl::kMysqlRootPath), mysqlctl::cluster_path(cluster),
      mysqlctl::members_path(cluster), mysqlctl::maintenance_path(cluster)};
  const uint64_t generation = connect_generation_;
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool last = i + 1 == paths.size();
    submit(request(ZkOp::kCreate, paths[i]), [this, last, generation](const ZkReply& reply) {
      const bool made = ok(reply) || reply.error == ZkError::kNodeExists;
      if (last && made && generation == connect_generation_) layout_ready_ = true;
    });
  }
}

void SimAgent::schedule_round() {
  later_ms(options_.probe_interval_ms, "agent-round", [this] { round(); });
}

void SimAgent::round() {
  if (!probing_) start_probe();
  if (!reading_view_ && session_alive_ && layout_ready_) start_view();
  decide();
  schedule_round();
}

void SimAgent::start_probe() {
  probing_ = true;
  const uint64_t started = now_ms();
  env_.mysql_probe(options_.host, options_.incarnation,
                   [this, started](const ProbeResult& result) { on_probe(result, started); });
}

void SimAgent::on_probe(const ProbeResult& result, uint64_t started_ms) {
  probing_ = false;
  mysqlctl::Result<MemberRecord> record = mysqlctl::member_record_from_probe(
      result, options_.server, options_.settings.member_id, options_.priority);
  if (!record.ok()) {
    log("cannot make a member record: " + record.error());
    return;
  }
  MemberRecord fresh = std::move(record).value();
  fresh.maintenance = maintenance_.count(fresh.id) > 0;
  if (!problem_.empty()) fresh.problem = problem_;
  if (!fresh.healthy) log_change(last_failure_, "local server unhealthy: " + fresh.problem);
  if (fresh.semi_sync_replicas) {
    log_change(last_semi_sync_note_,
               *fresh.semi_sync_replicas == 0
                   ? "commits wait: no replica is connected to acknowledge them "
                     "(semi-synchronous replication, semi_sync " +
                         fresh.semi_sync + ")"
                   : std::to_string(*fresh.semi_sync_replicas) +
                         " replicas acknowledge commits (semi_sync " + fresh.semi_sync + ")");
  }
  local_record_ = std::move(fresh);
  local_probe_completed_ = result.completed;
  probe_started_ms_ = started_ms;
  const bool stopped_primary =
      result.completed && local_record_->read_only && local_record_->source_host.empty();
  if (!stopped_primary) {
    read_only_seen_ms_.reset();
  } else if (!read_only_seen_ms_) {
    read_only_seen_ms_ = now_ms();
  }
  publish_member();
}

void SimAgent::publish_member() {
  if (!session_alive_ || !layout_ready_ || publishing_ || !local_record_) return;
  const std::string encoded = mysqlctl::encode_member(*local_record_);
  if (encoded == published_) return;
  publishing_ = true;
  const std::string path =
      mysqlctl::member_path(options_.settings.cluster, options_.settings.member_id);
  auto done = [this, encoded, path](const ZkReply& reply) {
    publishing_ = false;
    if (ok(reply)) {
      published_ = encoded;
    } else if (reply.error == ZkError::kNodeExists) {
      // The record of this member's previous session, not yet expired.
      submit(request(ZkOp::kDelete, path), [](const ZkReply&) {});
    } else if (reply.error == ZkError::kNoNode) {
      published_.clear();
    }
  };
  if (published_.empty()) {
    submit(request(ZkOp::kCreate, path, encoded, /*ephemeral=*/true), done);
  } else {
    submit(request(ZkOp::kSetData, path, encoded), done);
  }
}

void SimAgent::start_view() {
  reading_view_ = true;
  const uint64_t sent = now_ms();
  submit(request(ZkOp::kSync, mysqlctl::cluster_path(options_.settings.cluster)),
         [this, sent](const ZkReply& reply) {
           if (!ok(reply)) {
             reading_view_ = false;
             return;
           }
           last_confirmed_ms_ = sent;
           read_view(sent);
         });
}

void SimAgent::read_view(uint64_t sync_sent_ms) {
  const std::string& cluster = options_.settings.cluster;
  auto pending = std::make_shared<PendingView>();
  pending->sync_sent_ms = sync_sent_ms;
  pending->outstanding = 4;
  auto one_done = [this, pending] {
    if (--pending->outstanding == 0) finish_view(pending);
  };
  submit(request(ZkOp::kGetChildren, mysqlctl::members_path(cluster)),
         [pending, one_done](const ZkReply& reply) {
           if (ok(reply)) {
             pending->member_ids = reply.children;
           } else {
             pending->failed = true;
           }
           one_done();
         });
  submit(request(ZkOp::kGetChildren, mysqlctl::maintenance_path(cluster)),
         [pending, one_done](const ZkReply& reply) {
           if (ok(reply)) {
             for (const std::string& id : reply.children) pending->maintenance.insert(id);
           }
           one_done();
         });
  submit(request(ZkOp::kGetData, mysqlctl::primary_path(cluster)),
         [this, pending, one_done](const ZkReply& reply) {
           if (ok(reply)) {
             mysqlctl::Result<PrimaryRecord> primary = mysqlctl::decode_primary(reply.data);
             if (primary.ok()) {
               pending->view.primary = primary.value();
             } else {
               log_change(last_failure_, "unreadable primary record: " + primary.error());
             }
             pending->view.primary_version = reply.version;
             pending->view.primary_written_ms = reply.mtime_ms;
           } else if (reply.error != ZkError::kNoNode) {
             pending->failed = true;
           }
           one_done();
         });
  submit(request(ZkOp::kExists, mysqlctl::failover_lock_path(cluster)),
         [pending, one_done](const ZkReply& reply) {
           pending->view.failover_lock_held = ok(reply);
           one_done();
         });
}

void SimAgent::finish_view(const std::shared_ptr<PendingView>& pending) {
  if (pending->failed) {
    reading_view_ = false;
    return;
  }
  pending->outstanding = pending->member_ids.size() + 1;
  auto one_done = [this, pending] {
    if (--pending->outstanding != 0) return;
    reading_view_ = false;
    if (pending->failed) return;
    for (MemberRecord& member : pending->view.members) {
      member.maintenance = pending->maintenance.count(member.id) > 0;
    }
    maintenance_ = pending->maintenance;
    view_ = std::move(pending->view);
    view_started_ms_ = pending->sync_sent_ms;
  };
  for (const std::string& id : pending->member_ids) {
    submit(request(ZkOp::kGetData, mysqlctl::member_path(options_.settings.cluster, id)),
           [this, pending, one_done, id](const ZkReply& reply) {
             if (ok(reply)) {
               mysqlctl::Result<MemberRecord> record = mysqlctl::decode_member(reply.data);
               if (record.ok()) {
                 pending->view.member_written_ms[id] = reply.mtime_ms;
                 pending->view.members.push_back(std::move(record).value());
               } else {
                 log_change(last_failure_, "member " + id + ": " + record.error());
               }
             } else if (reply.error != ZkError::kNoNode) {
               pending->failed = true;
             }
             one_done();
           });
  }
  one_done();
}

void SimAgent::decide() {
  if (acting_) return;
  AgentInput input;
  input.now_ms = now_ms();
  input.wall_now_ms = env_.wall_ms(options_.host);
  const bool probe_fresh = local_record_ && probe_started_ms_ >= action_ended_ms_;
  if (probe_fresh) {
    input.local = local_record_;
    input.local_probe_completed = local_probe_completed_;
  }
  input.session_alive = session_alive_;
  input.last_confirmed_ms = last_confirmed_ms_;
  const uint64_t view_max_age_ms = 4 * options_.probe_interval_ms;
  if (view_ && view_started_ms_ >= action_ended_ms_ &&
      input.now_ms <= view_started_ms_ + view_max_age_ms) {
    input.view = view_;
  }
  if (options_.bugs.never_isolated) {
    input.session_alive = true;
    input.last_confirmed_ms = input.now_ms;
  }
  if (options_.bugs.ignore_gtid_order) {
    if (input.local) input.local->gtid_position.clear();
    if (input.view) {
      for (MemberRecord& member : input.view->members) member.gtid_position.clear();
    }
  }
  const AgentDecision decision = core_.decide(input);
  act(decision);
}

void SimAgent::act(const AgentDecision& decision) {
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
    // The core planned from the view it was given; with GTIDs hidden from it
    // (a planted bug) that is a copy, but the steps act on the real servers.
    run_failover(*decision.failover, *view_);
  } else if (decision.adopt_as_primary) {
    adopt();
  } else if (decision.local == LocalAction::kMakeWritable && local_record_->read_only &&
             (!read_only_seen_ms_ || view_started_ms_ < *read_only_seen_ms_)) {
    // Making a server writable must rest on a view read after a probe first
    // found it read-only (as mysqlctl/agent.cc has it).
  } else if (decision.local != LocalAction::kNone && decision.local != LocalAction::kHoldOut) {
    run_local(decision);
  }
}

void SimAgent::run_local(const AgentDecision& decision) {
  acting_ = true;
  log(std::string(mysqlctl::local_action_name(decision.local)) +
      " the local server: " + decision.local_reason);
  MysqlAction action = MysqlAction::kFence;
  int source = -1;
  switch (decision.local) {
    case LocalAction::kFence:
      action = MysqlAction::kFence;
      ++counters_.fences;
      break;
    case LocalAction::kMakeWritable:
      action = MysqlAction::kMakeWritable;
      ++counters_.make_writables;
      break;
    case LocalAction::kRepoint: {
      action = MysqlAction::kRepoint;
      const std::optional<int> index =
          server_of(ProbeTarget{.host = decision.source->host, .port = decision.source->port});
      assert(index);
      source = *index;
      ++counters_.repoints;
      break;
    }
    case LocalAction::kNone:
    case LocalAction::kHoldOut:
      assert(false);
      return;
  }
  const std::string what = mysqlctl::local_action_name(decision.local);
  env_.mysql_act(options_.host, options_.incarnation, action, options_.host, source,
                 [this, what](const Text& result) {
                   log(what + (result.ok() ? ": " + result.value() : " failed: " + result.error()));
                   acting_ = false;
                   action_ended_ms_ = now_ms();
                 });
}

void SimAgent::adopt() {
  acting_ = true;
  const PrimaryRecord first{.member_id = options_.settings.member_id,
                            .epoch = 1,
                            .host = options_.server.host,
                            .port = options_.server.port};
  submit(request(ZkOp::kCreate, mysqlctl::primary_path(options_.settings.cluster),
                 mysqlctl::encode_primary(first)),
         [this](const ZkReply& reply) {
           if (ok(reply)) ++counters_.adoptions;
           log(ok(reply)
                   ? "published this member as the first primary (epoch 1)"
                   : "could not publish this member as the first primary: " + error_name(reply));
           acting_ = false;
           action_ended_ms_ = now_ms();
         });
}

std::optional<int> SimAgent::server_of(const ProbeTarget& target) const {
  return env_.server_at(target.host, target.port);
}

std::optional<ProbeTarget> SimAgent::target_of(const ClusterView& view,
                                               const std::string& id) const {
  if (const MemberRecord* member = mysqlctl::find_member(view.members, id)) {
    return ProbeTarget{.host = member->host, .port = member->port};
  }
  if (view.primary && view.primary->member_id == id && !view.primary->host.empty()) {
    return ProbeTarget{.host = view.primary->host, .port = view.primary->port};
  }
  return std::nullopt;
}

void SimAgent::run_failover(FailoverPlan plan, ClusterView view) {
  acting_ = true;
  auto shared_plan = std::make_shared<FailoverPlan>(std::move(plan));
  auto shared_view = std::make_shared<ClusterView>(std::move(view));
  submit(request(ZkOp::kCreate, mysqlctl::failover_lock_path(options_.settings.cluster),
                 options_.settings.member_id, /*ephemeral=*/true),
         [this, shared_plan, shared_view](const ZkReply& reply) {
           if (!ok(reply)) {
             log("failover: the lock is taken or unavailable (" + error_name(reply) + ")");
             acting_ = false;
             action_ended_ms_ = now_ms();
             return;
           }
           ++counters_.failovers_started;
           log("failover to " + shared_plan->candidate_id + " at epoch " +
               std::to_string(shared_plan->new_epoch) + ": " +
               std::to_string(shared_plan->steps.size()) + " steps");
           run_step(shared_plan, shared_view, 0);
         });
}

void SimAgent::run_step(std::shared_ptr<FailoverPlan> plan, std::shared_ptr<ClusterView> view,
                        size_t index) {
  assert(index < plan->steps.size());
  const FailoverStep& step = plan->steps[index];
  log("failover step " + std::to_string(index + 1) + ": " + mysqlctl::describe(step));
  auto next = [this, plan, view, index] { run_step(plan, view, index + 1); };
  if (step.kind == StepKind::kPublishPrimary) return publish_primary(plan, view);
  if (step.kind == StepKind::kWaitLeaseExpiry) {
    return later_ms(step.wait_ms, "agent-lease-wait", next);
  }
  if (step.kind == StepKind::kWaitRelayLogApplied && options_.bugs.skip_relay_wait) {
    log("failover: relay-log wait skipped (planted bug)");
    return next();
  }
  const std::optional<ProbeTarget> target = target_of(*view, step.member_id);
  const bool must_succeed =
      step.kind == StepKind::kWaitRelayLogApplied || step.kind == StepKind::kPromote;
  if (!target) {
    if (must_succeed) {
      return end_failover("stopped: candidate " + step.member_id + " unknown", false);
    }
    log("failover: " + step.member_id + " has no member record; skipped");
    return next();
  }
  const std::optional<int> server = server_of(*target);
  assert(server);
  MysqlAction action = MysqlAction::kFence;
  int source = -1;
  switch (step.kind) {
    case StepKind::kFenceOldPrimary:
      action = MysqlAction::kFence;
      break;
    case StepKind::kWaitRelayLogApplied:
      action = MysqlAction::kWaitRelayLogApplied;
      break;
    case StepKind::kPromote:
      action = MysqlAction::kPromote;
      break;
    case StepKind::kRepoint: {
      action = MysqlAction::kRepoint;
      const std::optional<ProbeTarget> to = target_of(*view, step.source_id);
      assert(to);
      source = *server_of(*to);
      break;
    }
    case StepKind::kWaitLeaseExpiry:
    case StepKind::kPublishPrimary:
      assert(false);
      return;
  }
  env_.mysql_act(
      options_.host, options_.incarnation, action, *server, source,
      [this, next, must_succeed, description = mysqlctl::describe(step)](const Text& result) {
        if (result.ok()) {
          log("failover: " + description + ": " + result.value());
        } else if (must_succeed) {
          return end_failover("stopped at '" + description + "': " + result.error(), false);
        } else {
          log("failover: " + description + " failed (continuing): " + result.error());
        }
        next();
      });
}

void SimAgent::publish_primary(std::shared_ptr<FailoverPlan> plan,
                               std::shared_ptr<ClusterView> view) {
  const std::optional<ProbeTarget> server = target_of(*view, plan->candidate_id);
  assert(server);
  const PrimaryRecord record{.member_id = plan->candidate_id,
                             .epoch = plan->new_epoch,
                             .host = server->host,
                             .port = server->port};
  const std::string path = mysqlctl::primary_path(options_.settings.cluster);
  auto done = [this, record](const ZkReply& reply) {
    end_failover(ok(reply) ? "published primary " + record.member_id + " at epoch " +
                                 std::to_string(record.epoch)
                           : "could not publish the new primary: " + error_name(reply),
                 ok(reply));
  };
  if (view->primary) {
    submit(request(ZkOp::kSetData, path, mysqlctl::encode_primary(record), false,
                   view->primary_version),
           done);
  } else {
    submit(request(ZkOp::kCreate, path, mysqlctl::encode_primary(record)), done);
  }
}

void SimAgent::end_failover(const std::string& how, bool published) {
  log("failover " + how);
  if (published) {
    ++counters_.failovers_published;
  } else {
    ++counters_.failovers_stopped;
  }
  submit(request(ZkOp::kDelete, mysqlctl::failover_lock_path(options_.settings.cluster)),
         [](const ZkReply&) {});
  acting_ = false;
  action_ended_ms_ = now_ms();
}

void SimAgent::log(const std::string& line) {
  env_.agent_log(options_.host, line);
}

void SimAgent::log_change(std::string& last, const std::string& line) {
  if (line == last) return;
  last = line;
  log(line);
}

}  // namespace warden::sim
