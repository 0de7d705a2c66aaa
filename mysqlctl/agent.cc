#include "mysqlctl/agent.h"

#include <cassert>

#include "store/acl.h"

namespace warden::mysqlctl {
namespace {

namespace asio = boost::asio;
using store::ErrorCode;
using store::OpCode;

// Reconnecting to the local node after a lost session or a failed connect.
constexpr uint64_t kReconnectDelayMs = 500;

bool ok(const net::Reply& reply) {
  return reply.header.err == ErrorCode::kOk;
}

std::string error_name(const net::Reply& reply) {
  return "error " + std::to_string(static_cast<int32_t>(reply.header.err));
}

net::CreateRequest create_request(std::string path, std::string data, store::CreateMode mode) {
  net::CreateRequest request;
  request.path = std::move(path);
  request.data = std::move(data);
  request.acl = store::open_acl();
  request.mode = mode;
  return request;
}

}  // namespace

// A read of the cluster's subtree in progress: the children lists first,
// then every member's record.
struct Agent::PendingView {
  uint64_t sync_sent_ms = 0;
  ClusterView view;
  std::vector<std::string> member_ids;
  std::set<std::string> maintenance;
  size_t outstanding = 0;
  bool failed = false;
};

std::shared_ptr<Agent> Agent::create(asio::io_context& io, AgentOptions options) {
  return std::shared_ptr<Agent>(new Agent(io, std::move(options)));
}

Agent::Agent(asio::io_context& io, AgentOptions options)
    : io_(io),
      options_(std::move(options)),
      core_(options_.settings, 0),
      epoch_(Clock::now()),
      round_timer_(io),
      wait_timer_(io) {
  assert(options_.mysql != nullptr);
  assert(member_id_error(options_.settings.member_id).empty());
  assert(cluster_name_error(options_.settings.cluster).empty());
}

Agent::~Agent() {
  probe_thread_.join();
  action_thread_.join();
}

uint64_t Agent::now_ms() const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch_).count());
}

void Agent::start() {
  log("agent for member " + options_.settings.member_id + " of MySQL cluster " +
      options_.settings.cluster + " watching " + options_.server.host + ":" +
      std::to_string(options_.server.port));
  connect();
  round();
}

void Agent::stop(std::function<void()> done) {
  stopping_ = true;
  round_timer_.cancel();
  wait_timer_.cancel();
  if (client_ && !client_->ended()) {
    client_->close(std::move(done));
  } else {
    asio::post(io_, std::move(done));
  }
}

void Agent::connect() {
  if (stopping_) return;
  net::ZkClientOptions zk;
  zk.hosts = options_.warden;
  zk.session_timeout_ms = options_.session_timeout_ms;
  std::weak_ptr<Agent> weak = weak_from_this();
  zk.on_session_lost = [weak](ErrorCode error) {
    auto self = weak.lock();
    if (!self || self->stopping_) return;
    self->session_alive_ = false;
    self->log("session lost (error " + std::to_string(static_cast<int32_t>(error)) +
              "): reconnecting");
    self->published_.clear();
    self->layout_ready_ = false;
    self->connect();
  };
  client_ = net::ZkClient::create(io_, std::move(zk));
  client_->connect([weak, client = client_](ErrorCode error) {
    auto self = weak.lock();
    if (!self || self->stopping_ || client != self->client_) return;
    if (error != ErrorCode::kOk) {
      self->log("cannot open a session on the local node (" + client->last_error() + "): retrying");
      auto timer = std::make_shared<asio::steady_timer>(self->io_);
      timer->expires_after(std::chrono::milliseconds(kReconnectDelayMs));
      timer->async_wait([weak, timer](const boost::system::error_code&) {
        if (auto again = weak.lock()) again->connect();
      });
      return;
    }
    self->session_alive_ = true;
    self->ensure_layout();
  });
}

// The cluster's folders, made once per session; NODEEXISTS is success.
void Agent::ensure_layout() {
  const std::string& cluster = options_.settings.cluster;
  const std::vector<std::string> paths = {"/warden", std::string(kMysqlRootPath),
                                          cluster_path(cluster), members_path(cluster),
                                          maintenance_path(cluster)};
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool last = i + 1 == paths.size();
    client_->submit(OpCode::kCreate, create_request(paths[i], "", store::CreateMode::kPersistent),
                    [self = shared_from_this(), last](const net::Reply& reply) {
                      const bool made = ok(reply) || reply.header.err == ErrorCode::kNodeExists;
                      if (last && made) self->layout_ready_ = true;
                    });
  }
}

void Agent::schedule_round() {
  if (stopping_) return;
  round_timer_.expires_after(std::chrono::milliseconds(options_.probe_interval_ms));
  round_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error) self->round();
  });
}

void Agent::round() {
  if (stopping_) return;
  if (!probing_) start_probe();
  if (!reading_view_ && session_alive_ && layout_ready_) start_view();
  decide();
  schedule_round();
}

void Agent::start_probe() {
  probing_ = true;
  const uint64_t started = now_ms();
  asio::post(probe_thread_, [self = shared_from_this(), started] {
    ProbeResult result = self->options_.mysql->probe(self->options_.server);
    asio::post(self->io_, [self, result = std::move(result), started]() mutable {
      self->on_probe(std::move(result), started);
    });
  });
}

void Agent::on_probe(ProbeResult result, uint64_t started_ms) {
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
  if (fresh.semi_sync_replicas) {
    // With no replica to acknowledge, commits wait (no fallback): say so
    // once, and when it ends.
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

void Agent::publish_member() {
  if (!session_alive_ || !layout_ready_ || publishing_ || !local_record_) return;
  const std::string encoded = encode_member(*local_record_);
  if (encoded == published_) return;
  publishing_ = true;
  const std::string path = member_path(options_.settings.cluster, options_.settings.member_id);
  auto done = [self = shared_from_this(), encoded, path](const net::Reply& reply) {
    self->publishing_ = false;
    if (ok(reply)) {
      self->published_ = encoded;
    } else if (reply.header.err == ErrorCode::kNodeExists) {
      // The record of this member's previous session (a restarted
      // process), not yet expired: replace it with this session's.
      self->client_->submit(OpCode::kDelete, net::DeleteRequest{path, -1},
                            [](const net::Reply&) {});
    } else if (reply.header.err == ErrorCode::kNoNode) {
      self->published_.clear();  // someone deleted it: create it again
    }
  };
  if (published_.empty()) {
    client_->submit(OpCode::kCreate, create_request(path, encoded, store::CreateMode::kEphemeral),
                    done);
  } else {
    client_->submit(OpCode::kSetData, net::SetDataRequest{path, encoded, -1}, done);
  }
}

void Agent::start_view() {
  reading_view_ = true;
  const uint64_t sent = now_ms();
  client_->submit(OpCode::kSync, net::SyncRequest{cluster_path(options_.settings.cluster)},
                  [self = shared_from_this(), sent](const net::Reply& reply) {
                    if (!ok(reply)) {
                      self->reading_view_ = false;
                      return;
                    }
                    self->last_confirmed_ms_ = sent;
                    self->read_view(sent);
                  });
}

// After the sync: the folders' children, the primary record and the lock
// (pipelined), then each member's record.
void Agent::read_view(uint64_t sync_sent_ms) {
  const std::string& cluster = options_.settings.cluster;
  auto pending = std::make_shared<PendingView>();
  pending->sync_sent_ms = sync_sent_ms;
  pending->outstanding = 4;
  auto self = shared_from_this();
  auto one_done = [self, pending] {
    if (--pending->outstanding == 0) self->finish_view(pending);
  };
  client_->submit(OpCode::kGetChildren, net::GetChildrenRequest{members_path(cluster), false},
                  [self, pending, one_done](const net::Reply& reply) {
                    if (ok(reply)) {
                      pending->member_ids = std::get<net::GetChildrenResponse>(reply.body).children;
                    } else {
                      pending->failed = true;
                    }
                    one_done();
                  });
  client_->submit(
      OpCode::kGetChildren, net::GetChildrenRequest{maintenance_path(cluster), false},
      [pending, one_done](const net::Reply& reply) {
        if (ok(reply)) {
          for (const std::string& id : std::get<net::GetChildrenResponse>(reply.body).children) {
            pending->maintenance.insert(id);
          }
        }
        one_done();
      });
  client_->submit(OpCode::kGetData, net::GetDataRequest{primary_path(cluster), false},
                  [self, pending, one_done](const net::Reply& reply) {
                    if (ok(reply)) {
                      const auto& data = std::get<net::GetDataResponse>(reply.body);
                      Result<PrimaryRecord> primary = decode_primary(data.data);
                      if (primary.ok()) {
                        pending->view.primary = primary.value();
                      } else {
                        self->log_change(self->last_failure_,
                                         "unreadable primary record: " + primary.error());
                      }
                      pending->view.primary_version = data.stat.version;
                      pending->view.primary_written_ms = data.stat.mtime_ms;
                    } else if (reply.header.err != ErrorCode::kNoNode) {
                      pending->failed = true;
                    }
                    one_done();
                  });
  client_->submit(OpCode::kExists, net::ExistsRequest{failover_lock_path(cluster), false},
                  [pending, one_done](const net::Reply& reply) {
                    pending->view.failover_lock_held = ok(reply);
                    one_done();
                  });
}

void Agent::finish_view(const std::shared_ptr<PendingView>& pending) {
  if (pending->failed) {
    reading_view_ = false;
    return;
  }
  pending->outstanding = pending->member_ids.size() + 1;
  auto self = shared_from_this();
  auto one_done = [self, pending] {
    if (--pending->outstanding != 0) return;
    self->reading_view_ = false;
    if (pending->failed) return;
    for (MemberRecord& member : pending->view.members) {
      member.maintenance = pending->maintenance.count(member.id) > 0;
    }
    self->maintenance_ = pending->maintenance;
    self->view_ = std::move(pending->view);
    self->view_started_ms_ = pending->sync_sent_ms;
  };
  for (const std::string& id : pending->member_ids) {
    const std::string path = member_path(options_.settings.cluster, id);
    client_->submit(OpCode::kGetData, net::GetDataRequest{path, false},
                    [self, pending, one_done, id](const net::Reply& reply) {
                      if (ok(reply)) {
                        const auto& data = std::get<net::GetDataResponse>(reply.body);
                        Result<MemberRecord> record = decode_member(data.data);
                        if (record.ok()) {
                          pending->view.member_written_ms[id] = data.stat.mtime_ms;
                          pending->view.members.push_back(std::move(record).value());
                        } else {
                          self->log_change(self->last_failure_,
                                           "member " + id + ": " + record.error());
                        }
                      } else if (reply.header.err != ErrorCode::kNoNode) {
                        pending->failed = true;
                      }
                      one_done();
                    });
  }
  one_done();  // the +1 above: finishes at once when there are no members
}

void Agent::decide() {
  if (acting_) return;
  AgentInput input;
  input.now_ms = now_ms();
  input.wall_now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Only what began after the last action ended describes the world as
  // that action left it.
  const bool probe_fresh = local_record_ && probe_started_ms_ >= action_ended_ms_;
  if (probe_fresh) {
    input.local = local_record_;
    input.local_probe_completed = local_probe_completed_;
  }
  input.session_alive = session_alive_;
  input.last_confirmed_ms = last_confirmed_ms_;
  // A view older than a few rounds is no view: the node stopped answering.
  const uint64_t view_max_age_ms = 4 * options_.probe_interval_ms;
  if (view_ && view_started_ms_ >= action_ended_ms_ &&
      input.now_ms <= view_started_ms_ + view_max_age_ms) {
    input.view = view_;
  }
  const AgentDecision decision = core_.decide(input);
  act(decision);
}

void Agent::act(const AgentDecision& decision) {
  if (decision.problem != problem_) {
    problem_ = decision.problem;
    if (local_record_) {
      local_record_->problem = problem_.empty() ? local_record_->problem : problem_;
      publish_member();
    }
  }
  if (!decision.primary_failure.empty()) log_change(last_failure_, decision.primary_failure);
  if (!decision.failover_held.empty())
    log_change(last_held_, "failover held: " + decision.failover_held);
  if (decision.failover) {
    run_failover(*decision.failover, *view_);
  } else if (decision.adopt_as_primary) {
    adopt();
  } else if (decision.local == LocalAction::kMakeWritable && local_record_->read_only &&
             (!read_only_seen_ms_ || view_started_ms_ < *read_only_seen_ms_)) {
    // Making a server writable must rest on a view read after a probe
    // first found it read-only: a switchover's lock, taken before it fenced
    // the server, is then seen.
  } else if (decision.local != LocalAction::kNone && decision.local != LocalAction::kHoldOut) {
    run_local(decision);
  }
}

void Agent::run_local(const AgentDecision& decision) {
  acting_ = true;
  log(std::string(local_action_name(decision.local)) +
      " the local server: " + decision.local_reason);
  std::shared_ptr<MysqlOperator> mysql = options_.mysql;
  const ProbeTarget server = options_.server;
  std::function<Result<std::string>()> work;
  switch (decision.local) {
    case LocalAction::kFence:
      work = [mysql, server] { return mysql->fence(server); };
      break;
    case LocalAction::kMakeWritable:
      work = [mysql, server] { return mysql->make_writable(server); };
      break;
    case LocalAction::kRepoint: {
      const ProbeTarget source{.host = decision.source->host, .port = decision.source->port};
      work = [mysql, server, source] { return mysql->repoint(server, source); };
      break;
    }
    case LocalAction::kNone:
    case LocalAction::kHoldOut:
      assert(false);
      return;
  }
  const std::string what = local_action_name(decision.local);
  on_action_thread(
      std::move(work), [self = shared_from_this(), what](const Result<std::string>& result) {
        self->log(what + (result.ok() ? ": " + result.value() : " failed: " + result.error()));
        self->acting_ = false;
        self->action_ended_ms_ = self->now_ms();
      });
}

void Agent::adopt() {
  acting_ = true;
  const PrimaryRecord first{.member_id = options_.settings.member_id,
                            .epoch = 1,
                            .host = options_.server.host,
                            .port = options_.server.port};
  client_->submit(OpCode::kCreate,
                  create_request(primary_path(options_.settings.cluster), encode_primary(first),
                                 store::CreateMode::kPersistent),
                  [self = shared_from_this()](const net::Reply& reply) {
                    self->log(ok(reply) ? "published this member as the first primary (epoch 1)"
                                        : "could not publish this member as the first primary: " +
                                              error_name(reply));
                    self->acting_ = false;
                    self->action_ended_ms_ = self->now_ms();
                  });
}

std::optional<ProbeTarget> Agent::target_of(const ClusterView& view, const std::string& id) const {
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

void Agent::run_failover(FailoverPlan plan, ClusterView view) {
  acting_ = true;
  const std::string lock = failover_lock_path(options_.settings.cluster);
  auto shared_plan = std::make_shared<FailoverPlan>(std::move(plan));
  auto shared_view = std::make_shared<ClusterView>(std::move(view));
  client_->submit(
      OpCode::kCreate,
      create_request(lock, options_.settings.member_id, store::CreateMode::kEphemeral),
      [self = shared_from_this(), shared_plan, shared_view](const net::Reply& reply) {
        if (!ok(reply)) {
          self->log("failover: the lock is taken or unavailable (" + error_name(reply) + ")");
          self->acting_ = false;
          self->action_ended_ms_ = self->now_ms();
          return;
        }
        self->log("failover to " + shared_plan->candidate_id + " at epoch " +
                  std::to_string(shared_plan->new_epoch) + ": " +
                  std::to_string(shared_plan->steps.size()) + " steps");
        self->run_step(shared_plan, shared_view, 0);
      });
}

void Agent::run_step(std::shared_ptr<FailoverPlan> plan, std::shared_ptr<ClusterView> view,
                     size_t index) {
  if (stopping_) return;
  assert(index < plan->steps.size());
  const FailoverStep& step = plan->steps[index];
  log("failover step " + std::to_string(index + 1) + ": " + describe(step));
  auto next = [self = shared_from_this(), plan, view, index] {
    self->run_step(plan, view, index + 1);
  };
  if (step.kind == StepKind::kPublishPrimary) {
    publish_primary(plan, view);
    return;
  }
  if (step.kind == StepKind::kWaitLeaseExpiry) {
    wait_timer_.expires_after(std::chrono::milliseconds(step.wait_ms));
    wait_timer_.async_wait([next](const boost::system::error_code& error) {
      if (!error) next();
    });
    return;
  }
  const std::optional<ProbeTarget> target = target_of(*view, step.member_id);
  // Best effort: the old primary may be gone, a replica unreachable. The
  // candidate's steps must succeed, or the failover stops here.
  const bool must_succeed =
      step.kind == StepKind::kWaitRelayLogApplied || step.kind == StepKind::kPromote;
  if (!target) {
    if (must_succeed) return end_failover("stopped: candidate " + step.member_id + " unknown");
    log("failover: " + step.member_id + " has no member record; skipped");
    return next();
  }
  std::shared_ptr<MysqlOperator> mysql = options_.mysql;
  std::function<Result<std::string>()> work;
  switch (step.kind) {
    case StepKind::kFenceOldPrimary:
      work = [mysql, server = *target] { return mysql->fence(server); };
      break;
    case StepKind::kWaitRelayLogApplied:
      work = [mysql, server = *target] { return mysql->wait_relay_log_applied(server); };
      break;
    case StepKind::kPromote:
      work = [mysql, server = *target] { return mysql->promote(server); };
      break;
    case StepKind::kRepoint: {
      const std::optional<ProbeTarget> source = target_of(*view, step.source_id);
      work = [mysql, server = *target, source] { return mysql->repoint(server, *source); };
      break;
    }
    case StepKind::kWaitLeaseExpiry:
    case StepKind::kPublishPrimary:
      assert(false);
      return;
  }
  on_action_thread(
      std::move(work), [self = shared_from_this(), next, must_succeed,
                        description = describe(step)](const Result<std::string>& result) {
        if (result.ok()) {
          self->log("failover: " + description + ": " + result.value());
        } else if (must_succeed) {
          return self->end_failover("stopped at '" + description + "': " + result.error());
        } else {
          self->log("failover: " + description + " failed (continuing): " + result.error());
        }
        next();
      });
}

void Agent::publish_primary(std::shared_ptr<FailoverPlan> plan, std::shared_ptr<ClusterView> view) {
  const std::optional<ProbeTarget> server = target_of(*view, plan->candidate_id);
  assert(server);  // the promotion, just done, needed it
  const PrimaryRecord record{.member_id = plan->candidate_id,
                             .epoch = plan->new_epoch,
                             .host = server->host,
                             .port = server->port};
  const std::string path = primary_path(options_.settings.cluster);
  auto done = [self = shared_from_this(), record](const net::Reply& reply) {
    self->end_failover(ok(reply) ? "published primary " + record.member_id + " at epoch " +
                                       std::to_string(record.epoch)
                                 : "could not publish the new primary: " + error_name(reply));
  };
  if (view->primary) {
    // Conditional on the record this plan was made from: if anyone changed
    // it meanwhile, this failover lost, and the promoted server is fenced by
    // its agent as a writable non-primary.
    client_->submit(OpCode::kSetData,
                    net::SetDataRequest{path, encode_primary(record), view->primary_version}, done);
  } else {
    client_->submit(OpCode::kCreate,
                    create_request(path, encode_primary(record), store::CreateMode::kPersistent),
                    done);
  }
}

void Agent::end_failover(const std::string& how) {
  log("failover " + how);
  client_->submit(OpCode::kDelete,
                  net::DeleteRequest{failover_lock_path(options_.settings.cluster), -1},
                  [](const net::Reply&) {});
  acting_ = false;
  action_ended_ms_ = now_ms();
}

void Agent::on_action_thread(std::function<Result<std::string>()> work,
                             std::function<void(const Result<std::string>&)> then) {
  asio::post(action_thread_,
             [self = shared_from_this(), work = std::move(work), then = std::move(then)] {
               Result<std::string> result = work();
               asio::post(self->io_, [result = std::move(result), then] { then(result); });
             });
}

MemberHealthFacts Agent::health_facts() const {
  MemberHealthFacts facts;
  facts.member_id = options_.settings.member_id;
  const uint64_t now = now_ms();
  // As in decide(): what is older than a few rounds describes a server or a
  // node that stopped answering.
  const uint64_t max_age_ms = 4 * options_.probe_interval_ms;
  if (local_record_ && now <= probe_started_ms_ + max_age_ms) facts.local = local_record_;
  // Stricter than the fencing rule: unconfirmed until the first answered
  // sync, so a checker never hears "primary" from an agent that has not
  // reached the ensemble.
  facts.confirmed = session_alive_ && last_confirmed_ms_ &&
                    now < *last_confirmed_ms_ + options_.settings.fence_after_ms;
  if (view_ && now <= view_started_ms_ + max_age_ms) {
    facts.view.primary = view_->primary;
    facts.view.members = view_->members;
  } else {
    facts.view.unknown_because = "this member's agent has no recent view of the cluster";
  }
  return facts;
}

void Agent::log(const std::string& line) const {
  if (options_.log) options_.log("mysql agent: " + line);
}

void Agent::log_change(std::string& last, const std::string& line) const {
  if (line == last) return;
  last = line;
  log(line);
}

}  // namespace warden::mysqlctl
