#include "sim/mysql_workload.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "mysqlctl/member.h"
#include "sim/mysql_simulation_internal.h"

namespace warden::sim {

using mysqlctl::ProbeResult;
using Text = mysqlctl::Result<std::string>;

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerMilli = 1'000;
// Wall clocks start here (ms since the epoch), each host a little off.
constexpr int64_t kWallEpochMs = 1'700'000'000'000;
// The ensemble refreshes and expires sessions at this granularity.
constexpr int64_t kEnsembleTickUs = 100'000;
constexpr size_t kRecentLines = 250;
// Agents' monotonic clocks run this much fast or slow, at most.
constexpr double kMaxClockDrift = 0.02;

uint64_t fold(uint64_t hash, uint64_t word) {
  return (hash ^ word) * 0x100000001b3ULL;
}

uint64_t fold_text(uint64_t hash, const char* text) {
  for (const char* c = text; *c != '\0'; ++c) hash = fold(hash, static_cast<unsigned char>(*c));
  return hash;
}

std::string seconds_text(int64_t time_us) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "t=%" PRId64 ".%06" PRId64, time_us / kMicrosPerSecond,
                time_us % kMicrosPerSecond);
  return buffer;
}

bool is_write(ZkOp op) {
  return op == ZkOp::kCreate || op == ZkOp::kSetData || op == ZkOp::kDelete || op == ZkOp::kSync;
}

const char* zk_op_name(ZkOp op) {
  switch (op) {
    case ZkOp::kCreate:
      return "create";
    case ZkOp::kSetData:
      return "setData";
    case ZkOp::kDelete:
      return "delete";
    case ZkOp::kSync:
      return "sync";
    case ZkOp::kGetChildren:
      return "getChildren";
    case ZkOp::kGetData:
      return "getData";
    case ZkOp::kExists:
      return "exists";
  }
  return "?";
}

}  // namespace

MysqlSimulation::MysqlSimulation(const SimOptions& options)
    : options_(options),
      servers_(options.nodes),
      prng_(options.seed ^ 0x6d79'7371'6cULL),
      fault_prng_(prng_.fork()),
      client_prng_(prng_.fork()),
      zk_prng_(prng_.fork()) {
  assert(servers_ >= 3);
  clients_.resize(static_cast<size_t>(prng_.uniform_int(2, 5)));
  // Busy, moderate or sparse writers: sparse ones leave moments with no
  // write in flight, when positions look equal.
  switch (prng_.below(3)) {
    case 0:
      think_min_us_ = 5'000;
      think_max_us_ = 40'000;
      break;
    case 1:
      think_min_us_ = 50'000;
      think_max_us_ = 400'000;
      break;
    default:
      think_min_us_ = 300'000;
      think_max_us_ = 3'000'000;
      break;
  }
  MysqlModelConfig config;
  config.servers = servers_;
  // Replicas keep up on average (a replica that never does makes every
  // failover wait out the relay-log timeout, which proves nothing), some
  // seeds with little to spare: a slow period or a burst leaves a backlog
  // in the relay log.
  if (options_.bug == SimBug::kNoRelayWait || options_.bug == SimBug::kPromoteAnyReplica) {
    // Busy writers: what a failover must not lose is always in flight.
    think_min_us_ = 5'000;
    think_max_us_ = 40'000;
  }
  const int64_t write_interval_us =
      (think_min_us_ + think_max_us_) / 2 / static_cast<int64_t>(clients_.size());
  config.min_apply_us = 100;
  config.max_apply_us = std::clamp<int64_t>(write_interval_us * prng_.uniform_int(10, 140) / 100,
                                            config.min_apply_us, 40'000);
  if (options_.bug == SimBug::kNoRelayWait) {
    // Replicas that just keep up: their relay logs always hold a backlog.
    config.min_apply_us = write_interval_us * 8 / 10;
    config.max_apply_us = write_interval_us;
  } else if (options_.bug == SimBug::kPromoteAnyReplica) {
    // Replicas that apply at once: positions differ by what each received.
    config.max_apply_us = config.min_apply_us;
  }
  config.net_timeout_us = prng_.uniform_int(3, 30) * kMicrosPerSecond;
  model_ = std::make_unique<MysqlModel>(
      config, agenda_, prng_.fork(), [this](int server, uint64_t write_id, CommitOutcome outcome) {
        on_commit_done(server, write_id, outcome);
      });
  checker_ = std::make_unique<MysqlChecker>(*model_, ns_, cluster_);
  hosts_.resize(static_cast<size_t>(servers_));
  for (Host& host : hosts_) {
    host.clock_rate = 1.0 + (prng_.unit() * 2 - 1) * kMaxClockDrift;
    host.wall_offset_us = prng_.uniform_int(-300'000, 300'000);
  }
  const auto links = static_cast<size_t>(servers_ * servers_);
  mysql_cuts_.assign(links, 0);
  warden_cuts_.assign(links, 0);
  slow_periods_.assign(static_cast<size_t>(servers_), 0);
  client_cuts_.assign(clients_.size() * static_cast<size_t>(servers_), 0);
  route_refresh_us_ = prng_.uniform_int(200'000, 2'000'000);
  slow_fence_probability_ = prng_.uniform_int(0, 20) / 100.0;
  action_failure_probability_ = prng_.uniform_int(0, 4) / 100.0;
  fault_end_us_ = static_cast<int64_t>(options_.fault_seconds) * kMicrosPerSecond;
  if (options_.overlapping_faults) {
    min_fault_gap_us_ = prng_.uniform_int(500'000, 2'000'000);
    max_fault_gap_us_ = min_fault_gap_us_ + prng_.uniform_int(1'000'000, 8'000'000);
  } else {
    // Time to recover after a fault heals: a failover takes a session
    // timeout, the lease wait and its steps.
    min_fault_gap_us_ = prng_.uniform_int(2'000'000, 10'000'000);
    max_fault_gap_us_ = min_fault_gap_us_ + prng_.uniform_int(5'000'000, 20'000'000);
  }
  target_primary_probability_ = prng_.uniform_int(30, 90) / 100.0;
  for (int& weight : fault_weights_) weight = static_cast<int>(prng_.uniform_int(0, 4));
  fault_weights_[0] += 1;  // every seed kills a mysqld now and then
  if (options_.bug == SimBug::kNoRelayWait || options_.bug == SimBug::kPromoteAnyReplica) {
    // Those bugs show in failovers: kill the primary's mysqld often.
    fault_weights_[0] = 12;
    target_primary_probability_ = 0.9;
  }
  bugs_.skip_relay_wait = options_.bug == SimBug::kNoRelayWait;
  bugs_.never_isolated = options_.bug == SimBug::kNoSelfFence;
  bugs_.ignore_gtid_order = options_.bug == SimBug::kPromoteAnyReplica;
}

SimResult MysqlSimulation::run() {
  int first_primary = static_cast<int>(prng_.below(static_cast<uint64_t>(servers_)));
  if (options_.bug == SimBug::kPromoteAnyReplica) {
    // db1 a replica far away, behind the others by its link's latency; with
    // GTIDs ignored the smallest id, db1, is the candidate.
    first_primary = servers_ - 1;
    const int64_t far_us = prng_.uniform_int(20'000, 100'000);
    for (int other = 1; other < servers_; ++other) {
      model_->add_link_latency(0, other, far_us);
      model_->add_link_latency(other, 0, far_us);
    }
  }
  model_->bootstrap(first_primary);
  for (int h = 0; h < servers_; ++h) {
    agenda_.after(prng_.uniform_int(0, 300'000), "warden-start", static_cast<uint32_t>(h),
                  [this, h] { start_agent(h); });
  }
  agenda_.after(kEnsembleTickUs, "ensemble-tick", 0, [this] { ensemble_tick(); });
  for (uint32_t c = 0; c < clients_.size(); ++c) {
    agenda_.after(client_prng_.uniform_int(1'000'000, 3'000'000), "client-wake", c,
                  [this, c] { client_wake(c, clients_[c].op); });
    agenda_.after(client_prng_.uniform_int(0, route_refresh_us_), "client-route", c,
                  [this, c] { route_tick(c); });
  }
  if (fault_end_us_ > 0) {
    agenda_.after(fault_prng_.uniform_int(min_fault_gap_us_, max_fault_gap_us_), "fault-inject", 0,
                  [this] { inject_fault(); });
  }
  agenda_.at(fault_end_us_, "heal-all", 0, [this] { heal_all(); });
  const int64_t end_us = static_cast<int64_t>(options_.sim_seconds) * kMicrosPerSecond;
  const int64_t deadline_us =
      fault_end_us_ + static_cast<int64_t>(options_.liveness_bound_seconds) * kMicrosPerSecond;
  if (deadline_us <= end_us) {
    agenda_.at(deadline_us, "liveness-deadline", 0, [this] { check_liveness(); });
  }
  TaskAgenda::Ran ran;
  while (!checker_->violation() && agenda_.run_next(end_us, ran)) after_task(ran);
  return collect_result();
}

void MysqlSimulation::after_task(const TaskAgenda::Ran& ran) {
  trace_hash_ = fold(trace_hash_, static_cast<uint64_t>(ran.time_us));
  trace_hash_ = fold_text(trace_hash_, ran.label);
  trace_hash_ = fold(trace_hash_, ran.host);
  trace_hash_ = fold(trace_hash_, model_->digest());
  trace_hash_ = fold(trace_hash_, ns_.writes());
  checker_->after_event(agenda_.now_us());
  if (checker_->violation()) {
    checker_->attach_last_events(std::vector<std::string>(recent_.begin(), recent_.end()));
  }
}

void MysqlSimulation::note(const std::string& line) {
  recent_.push_back(seconds_text(agenda_.now_us()) + " " + line);
  if (recent_.size() > kRecentLines) recent_.pop_front();
}

// ---------------------------------------------------------------------------
// Agents and their environment

void MysqlSimulation::start_agent(int h) {
  Host& host = hosts_[static_cast<size_t>(h)];
  assert(host.warden_up && !host.agent);
  ++host.incarnation;
  host.zk = ZkClientState{};
  host.deferred.clear();
  SimAgentOptions agent;
  agent.settings.cluster = cluster_;
  agent.settings.member_id = host_name(h);
  agent.settings.fence_after_ms = timing_.fence_after_ms;
  agent.settings.lease_wait_ms = options_.bug == SimBug::kSkipLeaseWait ? 0 : timing_.lease_wait_ms;
  agent.settings.min_failover_interval_ms = timing_.min_failover_interval_ms;
  agent.settings.settle_ms = timing_.settle_ms;
  agent.host = h;
  agent.incarnation = host.incarnation;
  agent.server = mysqlctl::ProbeTarget{.host = model_->server(h).host, .port = 3306};
  agent.probe_interval_ms = timing_.probe_interval_ms;
  agent.clock_rate = host.clock_rate;
  agent.bugs = bugs_;
  host.agent = std::make_unique<SimAgent>(std::move(agent), *this);
  host.agent->start();
}

void MysqlSimulation::run_agent_task(int h, uint64_t incarnation, const char* label,
                                     const std::function<void()>& task) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (host.incarnation != incarnation || !host.agent) return;
  if (host.paused) {
    host.deferred.emplace_back(label, task);
    return;
  }
  task();
}

int64_t MysqlSimulation::wall_ms(int h) const {
  return kWallEpochMs +
         (agenda_.now_us() + hosts_[static_cast<size_t>(h)].wall_offset_us) / kMicrosPerMilli;
}

void MysqlSimulation::agent_later(int h, uint64_t incarnation, int64_t delay_us, const char* label,
                                  std::function<void()> task) {
  agenda_.after(delay_us, label, static_cast<uint32_t>(h),
                [this, h, incarnation, label, task = std::move(task)] {
                  run_agent_task(h, incarnation, label, task);
                });
}

std::optional<int> MysqlSimulation::server_at(const std::string& host, uint16_t port) const {
  if (port != 3306) return std::nullopt;
  return model_->server_by_host(host);
}

void MysqlSimulation::agent_log(int h, const std::string& line) {
  note(host_name(h) + " agent: " + line);
}

// ---------------------------------------------------------------------------
// The ensemble, and each agent's client on its node

bool MysqlSimulation::warden_alive(int h) const {
  const Host& host = hosts_[static_cast<size_t>(h)];
  return host.warden_up && !host.paused;
}

bool MysqlSimulation::warden_link_open(int a, int b) const {
  return warden_cuts_[static_cast<size_t>(a * servers_ + b)] == 0 &&
         warden_cuts_[static_cast<size_t>(b * servers_ + a)] == 0;
}

// A node serves its clients while it reaches a leader that reaches a
// majority (the leader counting itself).
bool MysqlSimulation::has_quorum(int h) const {
  if (!warden_alive(h)) return false;
  const int majority = servers_ / 2 + 1;
  for (int leader = 0; leader < servers_; ++leader) {
    if (!warden_alive(leader) || (leader != h && !warden_link_open(h, leader))) continue;
    int followers = 0;
    for (int j = 0; j < servers_; ++j) {
      if (warden_alive(j) && (j == leader || warden_link_open(leader, j))) ++followers;
    }
    if (followers >= majority) return true;
  }
  return false;
}

bool MysqlSimulation::quorum_exists() const {
  for (int h = 0; h < servers_; ++h) {
    if (has_quorum(h)) return true;
  }
  return false;
}

int64_t MysqlSimulation::leader_wall_ms() const {
  for (int h = 0; h < servers_; ++h) {
    if (has_quorum(h)) return wall_ms(h);
  }
  return wall_ms(0);
}

void MysqlSimulation::ensemble_tick() {
  const bool quorum = quorum_exists();
  for (int h = 0; h < servers_; ++h) update_client(h);
  if (quorum) {
    const int64_t now = agenda_.now_us();
    // A new leader gives every session a fresh timeout, as ZooKeeper's does.
    if (quorum_was_lost_) {
      for (uint64_t session : ns_.live_sessions()) ns_.touch(session, now);
      quorum_was_lost_ = false;
    }
    for (uint64_t session : ns_.live_sessions()) {
      if (now - ns_.last_contact_us(session) < timing_.session_timeout_ms * kMicrosPerMilli) {
        continue;
      }
      ns_.expire(session);
      auto owner = session_host_.find(session);
      note("ensemble: session " + std::to_string(session) + " of " +
           (owner == session_host_.end() ? std::string("?") : host_name(owner->second)) +
           " expired; its ephemeral znodes are gone");
    }
  } else {
    quorum_was_lost_ = true;
  }
  agenda_.after(kEnsembleTickUs, "ensemble-tick", 0, [this] { ensemble_tick(); });
}

void MysqlSimulation::update_client(int h) {
  Host& host = hosts_[static_cast<size_t>(h)];
  ZkClientState& zk = host.zk;
  if (!host.agent) return;
  if (zk.connecting) return try_connect(h);
  if (zk.ended || zk.session == 0) return;
  const int64_t now = agenda_.now_us();
  if (zk.connected) {
    if (!has_quorum(h)) return disconnect(h);
    if (!ns_.session_alive(zk.session)) return end_session(h, ZkError::kSessionExpired);
    ns_.touch(zk.session, now);
    return;
  }
  if (has_quorum(h)) {
    if (!ns_.session_alive(zk.session)) return end_session(h, ZkError::kSessionExpired);
    zk.connected = true;
    ++zk.connection;
    ns_.touch(zk.session, now);
    std::deque<ZkClientState::Waiting> waiting = std::move(zk.waiting);
    zk.waiting.clear();
    for (ZkClientState::Waiting& w : waiting) send(h, std::move(w.request), std::move(w.done));
  } else if (now - zk.disconnected_since_us >= timing_.session_timeout_ms * kMicrosPerMilli) {
    // No server answered within the session timeout: the client gives up.
    end_session(h, ZkError::kSessionExpired);
  }
}

void MysqlSimulation::zk_connect(int h, uint64_t incarnation,
                                 std::function<void(std::optional<uint64_t>)> done) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (host.incarnation != incarnation) return;
  // A new client; the old one answered everything when its session ended.
  assert(host.zk.in_flight.empty() && host.zk.waiting.empty());
  const ZkClientState old = std::move(host.zk);
  host.zk = ZkClientState{};
  host.zk.arrival_fifo_us = old.arrival_fifo_us;
  host.zk.reply_fifo_us = old.reply_fifo_us;
  host.zk.connection = old.connection + 1;
  host.zk.connecting = true;
  host.zk.connect_deadline_us = agenda_.now_us() + timing_.session_timeout_ms * kMicrosPerMilli;
  host.zk.connect_done = std::move(done);
  try_connect(h);
}

void MysqlSimulation::try_connect(int h) {
  Host& host = hosts_[static_cast<size_t>(h)];
  ZkClientState& zk = host.zk;
  if (!zk.connecting) return;
  const uint64_t incarnation = host.incarnation;
  if (has_quorum(h)) {
    zk.connecting = false;
    zk.session = ns_.open_session(agenda_.now_us());
    session_host_[zk.session] = h;
    zk.connected = true;
    ++zk.connection;
    note(host_name(h) + " agent: session " + std::to_string(zk.session) + " opened");
    auto done = std::move(zk.connect_done);
    agent_later(h, incarnation, zk_prng_.uniform_int(1'000, 3'000), "zk-connected",
                [done, session = zk.session] { done(session); });
    std::deque<ZkClientState::Waiting> waiting = std::move(zk.waiting);
    zk.waiting.clear();
    for (ZkClientState::Waiting& w : waiting) send(h, std::move(w.request), std::move(w.done));
  } else if (agenda_.now_us() >= zk.connect_deadline_us) {
    zk.connecting = false;
    zk.ended = true;
    auto done = std::move(zk.connect_done);
    std::deque<ZkClientState::Waiting> waiting = std::move(zk.waiting);
    zk.waiting.clear();
    for (ZkClientState::Waiting& w : waiting) {
      reply_to_agent(h, std::move(w.done), ZkReply{ZkError::kConnectionLoss, "", 0, 0, {}}, 0);
    }
    agent_later(h, incarnation, 0, "zk-connect-failed", [done] { done(std::nullopt); });
  }
}

void MysqlSimulation::zk_submit(int h, uint64_t incarnation, ZkRequest request,
                                std::function<void(const ZkReply&)> done) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (host.incarnation != incarnation) return;
  ZkClientState& zk = host.zk;
  if (zk.connected) {
    send(h, std::move(request), std::move(done));
  } else if (zk.ended) {
    reply_to_agent(h, std::move(done), ZkReply{ZkError::kSessionExpired, "", 0, 0, {}}, 0);
  } else {
    zk.waiting.push_back({std::move(request), std::move(done)});
  }
}

void MysqlSimulation::send(int h, ZkRequest request, ReplyDone done) {
  Host& host = hosts_[static_cast<size_t>(h)];
  ZkClientState& zk = host.zk;
  assert(zk.connected);
  const uint64_t id = next_request_++;
  zk.in_flight.emplace(id, std::move(done));
  // Writes and syncs go through the leader and a quorum; reads are local.
  const int64_t travel =
      is_write(request.op) ? zk_prng_.uniform_int(1'000, 6'000) : zk_prng_.uniform_int(100, 800);
  const int64_t arrival = std::max(agenda_.now_us() + travel, zk.arrival_fifo_us + 1);
  zk.arrival_fifo_us = arrival;
  agenda_.at(arrival, "zk-request", static_cast<uint32_t>(h),
             [this, h, incarnation = host.incarnation, connection = zk.connection, id,
              request = std::move(request)] { arrive(h, incarnation, connection, id, request); });
}

void MysqlSimulation::arrive(int h, uint64_t incarnation, uint64_t connection, uint64_t id,
                             const ZkRequest& request) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (host.incarnation != incarnation) return;
  ZkClientState& zk = host.zk;
  if (zk.connection != connection || zk.in_flight.count(id) == 0) return;
  if (!has_quorum(h)) return disconnect(h);
  if (!ns_.session_alive(zk.session)) return end_session(h, ZkError::kSessionExpired);
  ns_.touch(zk.session, agenda_.now_us());
  ZkReply reply = apply(h, request);
  const int64_t back =
      std::max(agenda_.now_us() + zk_prng_.uniform_int(100, 500), zk.reply_fifo_us + 1);
  zk.reply_fifo_us = back;
  agenda_.at(back, "zk-reply", static_cast<uint32_t>(h),
             [this, h, incarnation, connection, id, reply = std::move(reply)] {
               Host& host = hosts_[static_cast<size_t>(h)];
               if (host.incarnation != incarnation) return;
               ZkClientState& zk = host.zk;
               auto found = zk.in_flight.find(id);
               if (zk.connection != connection || found == zk.in_flight.end()) return;
               // The answer is lost with the connection: it took effect all the same.
               if (!has_quorum(h)) return disconnect(h);
               ReplyDone done = std::move(found->second);
               zk.in_flight.erase(found);
               run_agent_task(h, incarnation, "zk-reply", [done, reply] { done(reply); });
             });
}

ZkReply MysqlSimulation::apply(int h, const ZkRequest& request) {
  const uint64_t session = hosts_[static_cast<size_t>(h)].zk.session;
  ZkReply reply;
  switch (request.op) {
    case ZkOp::kCreate:
      reply.error =
          ns_.create(request.path, request.data, request.ephemeral ? session : 0, leader_wall_ms());
      break;
    case ZkOp::kSetData:
      reply.error = ns_.set_data(request.path, request.data, request.version, leader_wall_ms());
      break;
    case ZkOp::kDelete:
      reply.error = ns_.remove(request.path, request.version);
      break;
    case ZkOp::kSync:
      break;
    case ZkOp::kGetChildren:
      if (ns_.get(request.path) == nullptr) {
        reply.error = ZkError::kNoNode;
      } else {
        reply.children = ns_.children(request.path);
      }
      break;
    case ZkOp::kGetData:
    case ZkOp::kExists:
      if (const Znode* node = ns_.get(request.path)) {
        reply.data = node->data;
        reply.version = node->version;
        reply.mtime_ms = node->mtime_ms;
      } else {
        reply.error = ZkError::kNoNode;
      }
      break;
  }
  // The records every agent acts on: the primary and the lock.
  const bool notable = request.path == mysqlctl::primary_path(cluster_) ||
                       request.path == mysqlctl::failover_lock_path(cluster_);
  if (notable && request.op != ZkOp::kGetData && request.op != ZkOp::kExists) {
    note("ensemble: " + host_name(h) + " " + zk_op_name(request.op) + " " + request.path +
         (request.data.empty() ? "" : " " + request.data) +
         (request.version >= 0 ? " (version " + std::to_string(request.version) + ")" : "") + ": " +
         zk_error_name(reply.error));
  }
  return reply;
}

void MysqlSimulation::disconnect(int h) {
  Host& host = hosts_[static_cast<size_t>(h)];
  ZkClientState& zk = host.zk;
  if (!zk.connected) return;
  zk.connected = false;
  ++zk.connection;
  zk.disconnected_since_us = agenda_.now_us();
  std::map<uint64_t, ReplyDone> in_flight = std::move(zk.in_flight);
  zk.in_flight.clear();
  for (auto& [id, done] : in_flight) {
    reply_to_agent(h, std::move(done), ZkReply{ZkError::kConnectionLoss, "", 0, 0, {}}, 0);
  }
  note(host_name(h) + " agent: its node lost the quorum; connection lost");
}

void MysqlSimulation::end_session(int h, ZkError why) {
  Host& host = hosts_[static_cast<size_t>(h)];
  ZkClientState& zk = host.zk;
  if (zk.ended) return;
  const bool was_open = zk.session != 0;
  zk.ended = true;
  zk.connected = false;
  zk.connecting = false;
  ++zk.connection;
  std::map<uint64_t, ReplyDone> in_flight = std::move(zk.in_flight);
  zk.in_flight.clear();
  std::deque<ZkClientState::Waiting> waiting = std::move(zk.waiting);
  zk.waiting.clear();
  for (auto& [id, done] : in_flight) {
    reply_to_agent(h, std::move(done), ZkReply{why, "", 0, 0, {}}, 0);
  }
  for (ZkClientState::Waiting& w : waiting) {
    reply_to_agent(h, std::move(w.done), ZkReply{why, "", 0, 0, {}}, 0);
  }
  if (!was_open) return;
  note(host_name(h) + " agent: session " + std::to_string(zk.session) + " is over");
  agent_later(h, host.incarnation, 0, "zk-session-lost",
              [this, h] { hosts_[static_cast<size_t>(h)].agent->on_session_lost(); });
}

void MysqlSimulation::reply_to_agent(int h, ReplyDone done, ZkReply reply, int64_t delay_us) {
  agent_later(h, hosts_[static_cast<size_t>(h)].incarnation, delay_us, "zk-reply",
              [done = std::move(done), reply = std::move(reply)] { done(reply); });
}

// ---------------------------------------------------------------------------
// MySQL: probes and actions

void MysqlSimulation::mysql_probe(int h, uint64_t incarnation, int target,
                                  std::function<void(const ProbeResult&)> done) {
  const MysqlServer& server = model_->server(target);
  auto fail = [&](const std::string& error, int64_t after_us) {
    ProbeResult result;
    result.error = error;
    result.elapsed_ms = after_us / kMicrosPerMilli;
    agent_later(h, incarnation, after_us, "probe-done", [done, result] { done(result); });
  };
  if (hosts_[static_cast<size_t>(target)].probe_faults > 0 || !model_->reachable(h, target)) {
    return fail("timed out after 1000 ms reading " + server.host + ":3306",
                timing_.probe_timeout_us);
  }
  if (!server.up) {
    return fail("Can't connect to server on '" + server.host + "' (111 \"Connection refused\")",
                1'000);
  }
  const int64_t read_us = zk_prng_.uniform_int(1'000, 8'000);
  agenda_.after(read_us, "probe-read", static_cast<uint32_t>(target),
                [this, h, incarnation, target, done, read_us] {
                  ProbeResult result;
                  if (model_->server(target).up &&
                      hosts_[static_cast<size_t>(target)].probe_faults == 0 &&
                      model_->reachable(h, target)) {
                    result = model_->probe(target);
                    result.elapsed_ms = read_us / kMicrosPerMilli + 1;
                  } else {
                    result.error = "Lost connection to server during query";
                  }
                  agent_later(h, incarnation, 500, "probe-done", [done, result] { done(result); });
                });
}

int64_t MysqlSimulation::action_work_us(MysqlAction action) {
  switch (action) {
    case MysqlAction::kFence:
      // read_only waits for running writes, then kills clients: now and
      // then that takes seconds.
      return zk_prng_.chance(slow_fence_probability_) ? zk_prng_.uniform_int(500'000, 3'000'000)
                                                      : zk_prng_.uniform_int(3'000, 30'000);
    case MysqlAction::kMakeWritable:
    case MysqlAction::kPromote:
      return zk_prng_.uniform_int(10'000, 60'000);
    case MysqlAction::kRepoint:
      return zk_prng_.uniform_int(10'000, 80'000);
    case MysqlAction::kWaitRelayLogApplied:
      return zk_prng_.uniform_int(2'000, 10'000);
    case MysqlAction::kResumeReplication:
      return zk_prng_.uniform_int(2'000, 20'000);
    case MysqlAction::kStopReceiving:
      return zk_prng_.uniform_int(1'000, 10'000);
  }
  return 10'000;
}

void MysqlSimulation::mysql_act(int h, uint64_t incarnation, MysqlAction action, int target,
                                int source, std::function<void(const Text&)> done) {
  const int64_t started = agenda_.now_us();
  const std::string where = model_->server(target).host + ":3306";
  const int64_t timeout = action == MysqlAction::kWaitRelayLogApplied ? timing_.relay_log_timeout_us
                                                                      : timing_.action_timeout_us;
  if (!model_->reachable(h, target)) {
    const std::string why = std::string(mysql_action_name(action)) + ": " + where +
                            ": timed out after " + std::to_string(timeout / 1000) +
                            " ms connecting";
    agent_later(h, incarnation, timeout, "action-done", [done, why] { done(Text::failure(why)); });
    return;
  }
  const int64_t effect = model_->latency_us(h, target) + action_work_us(action);
  agenda_.after(
      effect, "action-effect", static_cast<uint32_t>(target),
      [this, h, incarnation, action, target, source, started, done, where] {
        // The statements were sent: they run even if the agent died meanwhile.
        if (!model_->reachable(h, target)) {
          return finish_action(h, incarnation, action, target, started, done,
                               Text::failure(std::string(mysql_action_name(action)) + ": " + where +
                                             ": lost connection to server during query"));
        }
        if (zk_prng_.chance(action_failure_probability_)) {
          return finish_action(h, incarnation, action, target, started, done,
                               Text::failure(std::string(mysql_action_name(action)) + ": " + where +
                                             ": Lost connection to server during query (2013)"));
        }
        Text result = Text::failure("not run");
        switch (action) {
          case MysqlAction::kFence:
            result = model_->fence(target);
            break;
          case MysqlAction::kMakeWritable:
          case MysqlAction::kPromote:
            result = model_->promote(target);
            break;
          case MysqlAction::kRepoint:
            result = model_->repoint(target, source);
            break;
          case MysqlAction::kResumeReplication:
            result = model_->resume_replication(target);
            break;
          case MysqlAction::kStopReceiving:
            result = model_->stop_receiving(target);
            break;
          case MysqlAction::kWaitRelayLogApplied:
            result = model_->stop_io_for_relay_wait(target);
            if (result.ok()) {
              return poll_relay_wait(h, incarnation, target, started, result.value(), done);
            }
            break;
        }
        if (result.ok()) {
          note("mysql: " + std::string(mysql_action_name(action)) + " " + host_name(target) +
               (action == MysqlAction::kRepoint ? " to " + host_name(source) : "") + " by " +
               host_name(h) + "'s agent took effect: " + result.value());
        }
        finish_action(h, incarnation, action, target, started, done, std::move(result));
      });
}

void MysqlSimulation::poll_relay_wait(int h, uint64_t incarnation, int target, int64_t started,
                                      std::string received, std::function<void(const Text&)> done) {
  const std::string failure = model_->relay_wait_failure(target);
  if (!failure.empty()) {
    return finish_action(h, incarnation, MysqlAction::kWaitRelayLogApplied, target, started, done,
                         Text::failure(failure));
  }
  if (model_->relay_log_applied(target)) {
    return finish_action(h, incarnation, MysqlAction::kWaitRelayLogApplied, target, started, done,
                         Text::success("applied all it received (" + received + "), now at " +
                                       model_->position(target).format()));
  }
  if (agenda_.now_us() - started >= timing_.relay_log_timeout_us) {
    return finish_action(
        h, incarnation, MysqlAction::kWaitRelayLogApplied, target, started, done,
        Text::failure("wait-applied: " + model_->server(target).host +
                      ": its SQL thread had not applied " + received + " in time"));
  }
  agenda_.after(5'000, "relay-wait", static_cast<uint32_t>(target),
                [this, h, incarnation, target, started, received, done] {
                  poll_relay_wait(h, incarnation, target, started, received, done);
                });
}

void MysqlSimulation::finish_action(int h, uint64_t incarnation, MysqlAction action, int target,
                                    int64_t started_us, std::function<void(const Text&)> done,
                                    Text result) {
  const int64_t timeout = action == MysqlAction::kWaitRelayLogApplied ? timing_.relay_log_timeout_us
                                                                      : timing_.action_timeout_us;
  agenda_.after(
      model_->latency_us(target, h), "action-reply", static_cast<uint32_t>(h),
      [this, h, incarnation, action, target, started_us, timeout, done,
       result = std::move(result)] {
        if (model_->reachable(h, target)) {
          return run_agent_task(h, incarnation, "action-done", [done, result] { done(result); });
        }
        // The answer is lost: the client gives up at its timeout.
        const std::string why = std::string(mysql_action_name(action)) + ": " +
                                model_->server(target).host +
                                ":3306: timed out waiting for the answer";
        agent_later(h, incarnation, std::max<int64_t>(0, started_us + timeout - agenda_.now_us()),
                    "action-done", [done, why] { done(Text::failure(why)); });
      });
}

// ---------------------------------------------------------------------------
// Clients: a router's view of the primary record, one write at a time

bool MysqlSimulation::client_link_open(uint32_t client, int server) const {
  return client_cuts_[client * static_cast<size_t>(servers_) + static_cast<size_t>(server)] == 0;
}

void MysqlSimulation::refresh_route(uint32_t c) {
  Client& client = clients_[c];
  if (client.warden_cuts > 0 || !quorum_exists()) return;
  const Znode* node = ns_.get(mysqlctl::primary_path(cluster_));
  if (node == nullptr) {
    client.route.reset();
    return;
  }
  mysqlctl::Result<mysqlctl::PrimaryRecord> record = mysqlctl::decode_primary(node->data);
  assert(record.ok());
  client.route = model_->server_by_host(record.value().host);
  client.route_epoch = record.value().epoch;
}

void MysqlSimulation::route_tick(uint32_t c) {
  refresh_route(c);
  agenda_.after(route_refresh_us_, "client-route", c, [this, c] { route_tick(c); });
}

void MysqlSimulation::client_think(uint32_t c) {
  Client& client = clients_[c];
  const uint64_t op = ++client.op;
  agenda_.after(client_prng_.uniform_int(think_min_us_, think_max_us_), "client-wake", c,
                [this, c, op] { client_wake(c, op); });
}

void MysqlSimulation::client_wake(uint32_t c, uint64_t op) {
  Client& client = clients_[c];
  if (op != client.op || client.in_flight) return;
  if (!client.route) refresh_route(c);
  if (!client.route) return client_think(c);
  const int server = *client.route;
  const uint64_t write_id = writes_.size() + 1;
  writes_.push_back(Write{c, server, agenda_.now_us(), WriteOutcome::kPending, ""});
  client.in_flight = true;
  client.write_id = write_id;
  const uint64_t sent_op = ++client.op;
  agenda_.after(client_timeout_us_, "client-timeout", c,
                [this, c, sent_op] { client_timeout(c, sent_op); });
  if (!client_link_open(c, server)) return;  // lost on the way: the client times out
  agenda_.after(client_prng_.uniform_int(300, 1'500), "client-commit",
                static_cast<uint32_t>(server), [this, c, server, write_id] {
                  if (!client_link_open(c, server)) return;
                  model_->commit(server, write_id);
                  if (model_->has_write(server, write_id)) {
                    writes_[write_id - 1].gtid =
                        format_gtid(model_->server(server).binlog.back().gtid);
                  }
                });
}

void MysqlSimulation::client_timeout(uint32_t c, uint64_t op) {
  Client& client = clients_[c];
  if (op != client.op || !client.in_flight) return;
  client.in_flight = false;
  writes_[client.write_id - 1].outcome = WriteOutcome::kUnknown;
  refresh_route(c);
  client_think(c);
}

void MysqlSimulation::on_commit_done(int server, uint64_t write_id, CommitOutcome outcome) {
  const uint32_t c = writes_[write_id - 1].client;
  if (!client_link_open(c, server)) return;  // the answer is lost
  agenda_.after(
      client_prng_.uniform_int(300, 1'500), "client-reply", c,
      [this, c, server, write_id, outcome] {
        Client& client = clients_[c];
        if (!client.in_flight || client.write_id != write_id || !client_link_open(c, server)) {
          return;
        }
        client.in_flight = false;
        Write& write = writes_[write_id - 1];
        if (outcome == CommitOutcome::kAcknowledged) {
          write.outcome = WriteOutcome::kAcknowledged;
          checker_->on_acknowledged(
              AcknowledgedWrite{write_id, server, agenda_.now_us(), write.gtid});
          if (healed_ && acknowledged_after_heal_us_ < 0) {
            acknowledged_after_heal_us_ = agenda_.now_us();
          }
        } else {
          write.outcome =
              outcome == CommitOutcome::kKilled ? WriteOutcome::kUnknown : WriteOutcome::kRefused;
          refresh_route(c);
        }
        client_think(c);
      });
}

// ---------------------------------------------------------------------------
// Checks and the result

int MysqlSimulation::healthy_replicas() const {
  int healthy = 0;
  for (int s = 0; s < servers_; ++s) {
    if (!model_->server(s).up) continue;
    const mysqlctl::ProbeAssessment assessment = mysqlctl::assess_probe(model_->probe(s));
    if (assessment.healthy && assessment.role == mysqlctl::MemberRole::kReplica) ++healthy;
  }
  return healthy;
}

void MysqlSimulation::check_liveness() {
  checker_->check_liveness(agenda_.now_us(), healthy_replicas(), options_.liveness_bound_seconds);
}

SimResult MysqlSimulation::collect_result() {
  SimResult result = counters_;
  result.workload = WorkloadKind::kMysql;
  result.seed = options_.seed;
  result.nodes = servers_;
  if (checker_->violation()) result.violations.push_back(*checker_->violation());
  result.ok = result.violations.empty();
  result.trace_hash = trace_hash_;
  result.sim_seconds = checker_->violation()
                           ? static_cast<double>(agenda_.now_us()) / kMicrosPerSecond
                           : static_cast<double>(options_.sim_seconds);
  result.events = agenda_.processed();
  result.checks_run = checker_->checks_run();
  result.faults = fault_log_;
  MysqlStats& stats = result.mysql;
  stats.servers = servers_;
  stats.clients = static_cast<int>(clients_.size());
  for (const Write& write : writes_) {
    ++stats.writes;
    switch (write.outcome) {
      case WriteOutcome::kAcknowledged:
        ++result.ops.ok;
        break;
      case WriteOutcome::kRefused:
        ++result.ops.failed;
        break;
      case WriteOutcome::kPending:
      case WriteOutcome::kUnknown:
        ++result.ops.unknown;
        break;
    }
  }
  stats.acknowledged = checker_->acknowledged();
  AgentCounters agents = retired_agents_;
  for (const Host& host : hosts_) {
    if (host.agent) agents += host.agent->counters();
  }
  stats.failovers_started = agents.failovers_started;
  stats.failovers_published = agents.failovers_published;
  stats.failovers_stopped = agents.failovers_stopped;
  stats.fences = agents.fences;
  stats.repoints = agents.repoints;
  stats.make_writables = agents.make_writables;
  stats.primary_changes = checker_->primary_changes();
  result.elections = stats.primary_changes;
  stats.final_epoch = checker_->primary_epoch();
  if (checker_->established_primary() >= 0) {
    stats.final_primary = host_name(checker_->established_primary());
  }
  stats.max_writable = static_cast<int>(checker_->max_writable());
  stats.two_writable_seconds = static_cast<double>(checker_->two_writable_us()) / kMicrosPerSecond;
  stats.liveness_applicable = checker_->liveness_applicable();
  for (int s = 0; s < servers_; ++s) {
    const MysqlServer& server = model_->server(s);
    std::string line = host_name(s) + ": " + (server.up ? "up" : "down") +
                       (server.read_only ? ", read-only" : ", writable") + ", at '" +
                       model_->position(s).format() + "' (" + std::to_string(server.binlog.size()) +
                       " transactions, " + std::to_string(server.relay_log.size()) +
                       " in the relay log)";
    if (server.source) {
      static const char* const kIo[] = {"stopped", "connecting", "connected", "failed"};
      line += ", replicating from " + host_name(*server.source) + " (IO " +
              kIo[static_cast<int>(server.io)] +
              (server.sql_running ? ", SQL running" : ", SQL stopped") + ")";
      if (server.io == IoState::kFailed) line += ": " + server.io_error;
    }
    stats.server_states.push_back(std::move(line));
  }
  if (acknowledged_after_heal_us_ >= 0) {
    result.recovery_seconds =
        static_cast<double>(acknowledged_after_heal_us_ - fault_end_us_) / kMicrosPerSecond;
  }
  return result;
}

SimResult run_mysql_simulation(const SimOptions& options) {
  MysqlSimulation simulation(options);
  return simulation.run();
}

}  // namespace warden::sim
