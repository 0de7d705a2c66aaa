#include "sim/mysql_model.h"

#include <algorithm>
#include <cassert>

namespace warden::sim {

using mysqlctl::MariaGtid;
using mysqlctl::MariaPosition;
using mysqlctl::ProbeResult;
using Text = mysqlctl::Result<std::string>;

namespace {

constexpr const char* kVersion = "10.11.6-MariaDB-0+deb12u1-log";

std::optional<MariaGtid> last_gtid(const std::vector<MysqlTxn>& log) {
  if (log.empty()) return std::nullopt;
  return log.back().gtid;
}

// What the IO thread asks its source for: everything after the last GTID
// the server holds, received or applied.
std::optional<MariaGtid> received_gtid(const MysqlServer& server) {
  if (!server.relay_log.empty()) return server.relay_log.back().gtid;
  return last_gtid(server.binlog);
}

const char* io_state_text(const MysqlServer& server) {
  switch (server.io) {
    case IoState::kConnected:
      return "Yes";
    case IoState::kConnecting:
      return "Connecting";
    case IoState::kStopped:
    case IoState::kFailed:
      return "No";
  }
  return "No";
}

std::string refused(const MysqlServer& server, const char* action) {
  return std::string(action) + ": " + server.host + ":" + std::to_string(server.port) +
         ": Can't connect to server (111 \"Connection refused\")";
}

}  // namespace

const char* commit_outcome_name(CommitOutcome outcome) {
  switch (outcome) {
    case CommitOutcome::kAcknowledged:
      return "acknowledged";
    case CommitOutcome::kReadOnly:
      return "read-only";
    case CommitOutcome::kDown:
      return "down";
    case CommitOutcome::kKilled:
      return "killed";
  }
  return "?";
}

std::string format_gtid(const std::optional<MariaGtid>& gtid) {
  if (!gtid) return "";
  MariaPosition position;
  position.set(*gtid);
  return position.format();
}

MysqlModel::MysqlModel(const MysqlModelConfig& config, TaskAgenda& agenda, Prng prng,
                       CommitDone done)
    : config_(config), agenda_(agenda), prng_(prng), done_(std::move(done)) {
  assert(config_.servers >= 1);
  const auto n = static_cast<size_t>(config_.servers);
  for (size_t i = 0; i < n; ++i) {
    MysqlServer server;
    server.index = static_cast<int>(i);
    server.server_id = static_cast<uint32_t>(i + 1);
    server.host = "10.0.0." + std::to_string(i + 1);
    server.apply_us = prng_.uniform_int(config_.min_apply_us, config_.max_apply_us);
    server.semi_sync_timeout_ms = config_.my_cnf_semi_sync_timeout_ms;
    servers_.push_back(std::move(server));
  }
  base_latency_us_.resize(n * n);
  for (int64_t& latency : base_latency_us_) {
    latency = prng_.uniform_int(config_.min_link_latency_us, config_.max_link_latency_us);
  }
  open_.assign(n * n, true);
}

std::optional<int> MysqlModel::server_by_host(const std::string& host) const {
  for (const MysqlServer& server : servers_) {
    if (server.host == host) return server.index;
  }
  return std::nullopt;
}

void MysqlModel::bootstrap(int primary) {
  at(primary).read_only = false;
  for (MysqlServer& server : servers_) {
    if (server.index == primary) continue;
    server.source = primary;
    start_replication(server);
  }
}

bool MysqlModel::link_open(int from, int to) const {
  return open_[static_cast<size_t>(from * size() + to)];
}

void MysqlModel::set_link(int from, int to, bool open) {
  assert(from != to);
  open_[static_cast<size_t>(from * size() + to)] = open;
  recheck_links();
}

int64_t MysqlModel::latency_us(int from, int to) {
  if (from == to) return 50 + prng_.uniform_int(0, 50);
  return base_latency_us_[static_cast<size_t>(from * size() + to)] +
         prng_.uniform_int(0, config_.jitter_us);
}

void MysqlModel::add_link_latency(int from, int to, int64_t extra_us) {
  assert(from != to && extra_us >= 0);
  base_latency_us_[static_cast<size_t>(from * size() + to)] += extra_us;
}

void MysqlModel::commit(int index, uint64_t write_id) {
  MysqlServer& server = at(index);
  if (!server.up) return done_(index, write_id, CommitOutcome::kDown);
  if (server.read_only) return done_(index, write_id, CommitOutcome::kReadOnly);
  const MysqlTxn txn{.gtid = MariaGtid{kMysqlDomain, server.server_id, server.binlog.size() + 1},
                     .write_id = write_id,
                     .commit_us = agenda_.now_us()};
  append(server, txn);
  if (!server.semi_sync_source || server.semi_sync_fallen_back) {
    return done_(index, write_id, CommitOutcome::kAcknowledged);
  }
  const size_t binlog_index = server.binlog.size() - 1;
  server.waiting.emplace(binlog_index, write_id);
  if (server.semi_sync_timeout_ms < mysqlctl::kSemiSyncNoFallbackMs) {
    agenda_.after(static_cast<int64_t>(server.semi_sync_timeout_ms) * 1000, "semi-sync-timeout",
                  static_cast<uint32_t>(index),
                  [this, index, incarnation = server.incarnation, binlog_index] {
                    fall_back(index, incarnation, binlog_index);
                  });
  }
}

// A commit waited its whole timeout: the source goes asynchronous, and
// everything waiting is acknowledged to its client.
void MysqlModel::fall_back(int index, uint64_t incarnation, size_t binlog_index) {
  MysqlServer& source = at(index);
  if (!source.up || source.incarnation != incarnation || !source.semi_sync_source ||
      source.semi_sync_fallen_back || source.waiting.count(binlog_index) == 0) {
    return;
  }
  source.semi_sync_fallen_back = true;
  release_acknowledged(source);
}

void MysqlModel::append(MysqlServer& server, const MysqlTxn& txn) {
  // gtid_strict_mode: the binlog numbers its transactions without gaps.
  assert(txn.gtid.seq_no == server.binlog.size() + 1);
  server.binlog.push_back(txn);
  if (txn.write_id != 0) {
    if (server.has_write.size() <= txn.write_id) server.has_write.resize(txn.write_id + 1, 0);
    server.has_write[txn.write_id] = 1;
  }
  for (MysqlServer& replica : servers_) {
    if (replica.up && replica.source == server.index && replica.io == IoState::kConnected &&
        !replica.io_stalled) {
      pump(replica);
    }
  }
}

// Sends the replica what its source has beyond what was sent, in order.
void MysqlModel::pump(MysqlServer& replica) {
  assert(replica.source);
  const int source_index = *replica.source;
  const MysqlServer& source = server(source_index);
  while (replica.stream_next < source.binlog.size()) {
    const size_t index = replica.stream_next++;
    const int64_t arrival = std::max(agenda_.now_us() + latency_us(source_index, replica.index),
                                     replica.stream_last_us + 1);
    replica.stream_last_us = arrival;
    agenda_.at(arrival, "binlog-event", static_cast<uint32_t>(replica.index),
               [this, r = replica.index, connection = replica.io_connection,
                txn = source.binlog[index], index] { deliver(r, connection, txn, index); });
  }
}

void MysqlModel::deliver(int index, uint64_t connection, const MysqlTxn& txn, size_t source_index) {
  MysqlServer& replica = at(index);
  if (!replica.up || replica.io_connection != connection || replica.io != IoState::kConnected ||
      replica.io_stalled) {
    return;
  }
  replica.relay_log.push_back(txn);
  schedule_apply(replica);
  if (!replica.connected_semi_sync) return;
  const int source = *replica.source;
  agenda_.after(latency_us(index, source), "semi-sync-ack", static_cast<uint32_t>(source),
                [this, source, incarnation = server(source).incarnation, index, source_index] {
                  on_ack(source, incarnation, index, source_index);
                });
}

void MysqlModel::on_ack(int index, uint64_t incarnation, int replica, size_t binlog_index) {
  MysqlServer& source = at(index);
  // A reply on a link cut meanwhile, or to a source that died, is lost.
  if (!source.up || source.incarnation != incarnation || !link_open(replica, index)) return;
  source.acked_upto = std::max(source.acked_upto, binlog_index + 1);
  source.semi_sync_fallen_back = false;  // a replica acknowledges again
  release_acknowledged(source);
}

void MysqlModel::release_acknowledged(MysqlServer& source) {
  while (!source.waiting.empty() && (source.waiting.begin()->first < source.acked_upto ||
                                     !source.semi_sync_source || source.semi_sync_fallen_back)) {
    const uint64_t write_id = source.waiting.begin()->second;
    source.waiting.erase(source.waiting.begin());
    done_(source.index, write_id, CommitOutcome::kAcknowledged);
  }
}

void MysqlModel::schedule_apply(MysqlServer& server) {
  if (server.apply_scheduled || !server.up || !server.sql_running || server.relay_log.empty()) {
    return;
  }
  server.apply_scheduled = true;
  const double spread = 0.5 + prng_.unit();
  const auto delay =
      static_cast<int64_t>(static_cast<double>(server.apply_us) * server.sql_slowdown * spread);
  agenda_.after(std::max<int64_t>(delay, 1), "sql-apply", static_cast<uint32_t>(server.index),
                [this, index = server.index, incarnation = server.incarnation] {
                  apply(index, incarnation);
                });
}

void MysqlModel::apply(int index, uint64_t incarnation) {
  MysqlServer& server = at(index);
  if (server.incarnation != incarnation) return;  // crashed meanwhile; restart reschedules
  server.apply_scheduled = false;
  if (!server.up || !server.sql_running || server.relay_log.empty()) return;
  const MysqlTxn txn = server.relay_log.front();
  if (txn.gtid.seq_no != server.binlog.size() + 1) {
    server.sql_running = false;
    server.sql_error = "An attempt was made to binlog GTID " + format_gtid(txn.gtid) +
                       " which would create an out-of-order sequence number with existing GTID " +
                       format_gtid(last_gtid(server.binlog)) + ", and gtid strict mode is enabled";
    return;
  }
  server.relay_log.pop_front();
  append(server, txn);
  schedule_apply(server);
}

void MysqlModel::connect_io(int index) {
  MysqlServer& replica = at(index);
  if (!replica.up || !replica.source || replica.io != IoState::kConnecting) return;
  const MysqlServer& source = server(*replica.source);
  if (!source.up || !reachable(index, source.index)) return schedule_retry(replica);
  size_t start = 0;
  if (const std::optional<MariaGtid> from = received_gtid(replica)) {
    const auto k = static_cast<size_t>(from->seq_no - 1);
    if (k >= source.binlog.size() || source.binlog[k].gtid != *from) {
      replica.io = IoState::kFailed;
      ++replica.io_connection;
      replica.io_error =
          "Got fatal error 1236 from master when reading data from binary log: 'Error: "
          "connecting slave requested to start from GTID " +
          format_gtid(from) + ", which is not in the master's binlog" +
          (k >= source.binlog.size() ? "; the slave has more recent transactions'"
                                     : "; the slave has diverged'");
      return;
    }
    start = k + 1;
  }
  replica.io = IoState::kConnected;
  ++replica.io_connection;
  replica.io_stalled = false;
  replica.io_error.clear();
  replica.stream_next = start;
  replica.stream_last_us = agenda_.now_us();
  replica.connected_semi_sync = replica.semi_sync_replica;
  pump(replica);
}

void MysqlModel::schedule_retry(MysqlServer& replica) {
  const uint64_t generation = ++replica.io_retry_generation;
  agenda_.after(config_.connect_retry_us, "io-retry", static_cast<uint32_t>(replica.index),
                [this, index = replica.index, generation] {
                  if (server(index).io_retry_generation == generation) connect_io(index);
                });
}

void MysqlModel::drop_connection(MysqlServer& replica, IoState now) {
  replica.io = now;
  ++replica.io_connection;
  ++replica.io_retry_generation;
  replica.io_stalled = false;
}

void MysqlModel::start_replication(MysqlServer& server) {
  assert(server.source);
  drop_connection(server, IoState::kConnecting);
  server.io_error.clear();
  server.sql_running = true;
  server.sql_error.clear();
  connect_io(server.index);
  schedule_apply(server);
}

void MysqlModel::stop_replication(MysqlServer& server) {
  drop_connection(server, IoState::kStopped);
  server.sql_running = false;
}

// A cut link stalls the streams over it (noticed after net_timeout); a
// healed one lets a stalled stream go on from what the replica holds.
void MysqlModel::recheck_links() {
  for (MysqlServer& replica : servers_) {
    if (!replica.up || !replica.source || replica.io != IoState::kConnected) continue;
    const int source = *replica.source;
    const bool open = reachable(replica.index, source);
    if (!open && !replica.io_stalled) {
      replica.io_stalled = true;
      ++replica.io_connection;
      const uint64_t generation = ++replica.stall_generation;
      agenda_.after(config_.net_timeout_us, "io-net-timeout", static_cast<uint32_t>(replica.index),
                    [this, index = replica.index, generation] {
                      MysqlServer& r = at(index);
                      if (!r.io_stalled || r.stall_generation != generation) return;
                      drop_connection(r, IoState::kConnecting);
                      schedule_retry(r);
                    });
    } else if (open && replica.io_stalled) {
      replica.io = IoState::kConnecting;
      replica.io_stalled = false;
      connect_io(replica.index);
    }
  }
}

void MysqlModel::kill_waiting(MysqlServer& server) {
  const std::map<size_t, uint64_t> waiting = std::move(server.waiting);
  server.waiting.clear();
  for (const auto& [binlog_index, write_id] : waiting) {
    done_(server.index, write_id, CommitOutcome::kKilled);
  }
}

void MysqlModel::crash(int index) {
  MysqlServer& server = at(index);
  if (!server.up) return;
  server.up = false;
  ++server.incarnation;
  server.apply_scheduled = false;
  ++server.io_connection;
  ++server.io_retry_generation;
  server.io_stalled = false;
  if (config_.init_rpl_role_slave && !server.waiting.empty()) {
    server.recovery_truncates_to = server.waiting.begin()->first;
  }
  kill_waiting(server);
  server.acked_upto = server.binlog.size();
  // Its replicas see the connection reset at once.
  for (MysqlServer& replica : servers_) {
    if (replica.up && replica.source == index && replica.io == IoState::kConnected &&
        !replica.io_stalled) {
      drop_connection(replica, IoState::kConnecting);
      schedule_retry(replica);
    }
  }
}

void MysqlModel::restart(int index) {
  MysqlServer& server = at(index);
  if (server.up) return;
  if (server.recovery_truncates_to) {
    const size_t keep = *server.recovery_truncates_to;
    server.recovery_truncates_to.reset();
    assert(keep <= server.binlog.size());
    for (size_t i = keep; i < server.binlog.size(); ++i) {
      if (server.binlog[i].write_id != 0) server.has_write[server.binlog[i].write_id] = 0;
    }
    server.binlog.resize(keep);
  }
  server.up = true;
  server.read_only = true;
  server.semi_sync_source = true;
  server.semi_sync_replica = true;
  server.semi_sync_timeout_ms = config_.my_cnf_semi_sync_timeout_ms;
  server.semi_sync_fallen_back = false;
  server.acked_upto = server.binlog.size();
  if (server.source) {
    start_replication(server);
  } else {
    stop_replication(server);
  }
}

void MysqlModel::set_sql_slowdown(int index, double factor) {
  assert(factor >= 1.0);
  at(index).sql_slowdown = factor;
}

ProbeResult MysqlModel::probe(int index) const {
  const MysqlServer& server = this->server(index);
  assert(server.up);
  ProbeResult probe;
  probe.completed = true;
  probe.version = kVersion;
  probe.flavour = mysqlctl::Flavour::kMariaDB;
  probe.server_id = server.server_id;
  probe.read_only = server.read_only;
  probe.gtid_current_pos = format_gtid(last_gtid(server.binlog));
  probe.gtid_binlog_pos = probe.gtid_current_pos;
  probe.gtid_slave_pos = probe.gtid_current_pos;
  if (server.source) {
    const MysqlServer& source = this->server(*server.source);
    mysqlctl::ReplicationStatus status;
    status.source_host = source.host;
    status.source_port = source.port;
    status.io_thread_state = io_state_text(server);
    status.sql_thread_state = server.sql_running ? "Yes" : "No";
    status.last_io_error = server.io == IoState::kFailed ? server.io_error : "";
    status.last_sql_error = server.sql_error;
    status.received_gtid = format_gtid(received_gtid(server));
    if (status.io_running() && status.sql_running()) {
      status.seconds_behind_source =
          server.relay_log.empty()
              ? 0
              : static_cast<uint64_t>(
                    std::max<int64_t>(0, agenda_.now_us() - server.relay_log.front().commit_us) /
                    1'000'000);
    }
    probe.replication = status;
  }
  probe.semi_sync_source_enabled = server.semi_sync_source;
  probe.semi_sync_source_active = server.semi_sync_source && !server.semi_sync_fallen_back;
  probe.semi_sync_source_timeout_ms = server.semi_sync_timeout_ms;
  uint64_t clients = 0;
  for (const MysqlServer& replica : servers_) {
    if (streams_from(replica.index, index) && replica.connected_semi_sync) ++clients;
  }
  probe.semi_sync_source_clients = clients;
  return probe;
}

mysqlctl::Result<std::string> MysqlModel::fence(int index) {
  MysqlServer& server = at(index);
  if (!server.up) return Text::failure(refused(server, "fence"));
  server.read_only = true;
  const size_t killed = server.waiting.size();
  kill_waiting(server);
  return Text::success("read_only on, " + std::to_string(killed) + " client connections killed");
}

mysqlctl::Result<std::string> MysqlModel::promote(int index) {
  MysqlServer& server = at(index);
  if (!server.up) return Text::failure(refused(server, "promote"));
  // STOP SLAVE; RESET SLAVE ALL: what the relay log still holds is gone.
  stop_replication(server);
  server.source.reset();
  server.relay_log.clear();
  server.io_error.clear();
  server.sql_error.clear();
  server.semi_sync_source = true;
  server.semi_sync_timeout_ms = mysqlctl::kSemiSyncNoFallbackMs;
  server.semi_sync_fallen_back = false;
  server.semi_sync_replica = false;
  server.read_only = false;
  return Text::success("writable at " + format_gtid(last_gtid(server.binlog)) + ", semi-sync on");
}

mysqlctl::Result<std::string> MysqlModel::repoint(int index, int source) {
  MysqlServer& server = at(index);
  if (!server.up) return Text::failure(refused(server, "repoint"));
  assert(index != source);
  server.read_only = true;
  stop_replication(server);
  // CHANGE MASTER starts a new relay log; the old one's unapplied part is gone.
  server.source = source;
  server.relay_log.clear();
  server.semi_sync_replica = true;
  server.semi_sync_source = false;
  release_acknowledged(server);
  start_replication(server);
  const MysqlServer& to = this->server(source);
  return Text::success("replicating from " + to.host + ":" + std::to_string(to.port) + " at " +
                       format_gtid(last_gtid(server.binlog)) + ", semi-sync on");
}

mysqlctl::Result<std::string> MysqlModel::resume_replication(int index) {
  MysqlServer& server = at(index);
  if (!server.up) return Text::failure(refused(server, "resume replication"));
  if (!server.source) {
    return Text::failure("resume replication: " + server.host +
                         ": the server replicates from nobody");
  }
  if (server.io == IoState::kStopped || !server.sql_running) start_replication(server);
  return Text::success("replication started at " + format_gtid(last_gtid(server.binlog)));
}

mysqlctl::Result<std::string> MysqlModel::stop_receiving(int index) {
  MysqlServer& server = at(index);
  if (!server.up) return Text::failure(refused(server, "stop-receiving"));
  if (!server.source) {
    return Text::failure("stop-receiving: " + server.host + ": the server replicates from nobody");
  }
  drop_connection(server, IoState::kStopped);
  return Text::success("IO thread stopped, received " + format_gtid(received_gtid(server)));
}

mysqlctl::Result<std::string> MysqlModel::stop_io_for_relay_wait(int index) {
  MysqlServer& server = at(index);
  if (!server.up) return Text::failure(refused(server, "wait-applied"));
  if (!server.source) {
    return Text::failure("wait-applied: " + server.host + ": the server replicates from nobody");
  }
  if (!server.sql_running) {
    return Text::failure("wait-applied: " + server.host +
                         ": its SQL thread is not running (Last_SQL_Error: " + server.sql_error +
                         ")");
  }
  drop_connection(server, IoState::kStopped);
  return Text::success(format_gtid(received_gtid(server)));
}

std::string MysqlModel::relay_wait_failure(int index) const {
  const MysqlServer& server = this->server(index);
  if (!server.up) return "wait-applied: " + server.host + ": lost connection to the server";
  if (!server.sql_running) {
    return "wait-applied: " + server.host +
           ": its SQL thread stopped (Last_SQL_Error: " + server.sql_error + ")";
  }
  return "";
}

bool MysqlModel::relay_log_applied(int index) const {
  return server(index).relay_log.empty();
}

bool MysqlModel::streams_from(int replica_index, int source_index) const {
  const MysqlServer& replica = server(replica_index);
  return replica.up && server(source_index).up && replica.source == source_index &&
         replica.io == IoState::kConnected && !replica.io_stalled &&
         reachable(replica_index, source_index);
}

bool MysqlModel::can_acknowledge(int index) const {
  const MysqlServer& source = server(index);
  if (!source.up || source.read_only) return false;
  if (!source.semi_sync_source || source.semi_sync_fallen_back ||
      source.semi_sync_timeout_ms < mysqlctl::kSemiSyncNoFallbackMs) {
    return true;
  }
  for (const MysqlServer& replica : servers_) {
    if (replica.connected_semi_sync && streams_from(replica.index, index)) return true;
  }
  return false;
}

MariaPosition MysqlModel::position(int index) const {
  MariaPosition position;
  if (const std::optional<MariaGtid> last = last_gtid(server(index).binlog)) position.set(*last);
  return position;
}

bool MysqlModel::has_write(int index, uint64_t write_id) const {
  const std::vector<uint8_t>& has = server(index).has_write;
  return write_id < has.size() && has[write_id] != 0;
}

uint64_t MysqlModel::digest() const {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto fold = [&hash](uint64_t word) { hash = (hash ^ word) * 0x100000001b3ULL; };
  for (const MysqlServer& server : servers_) {
    fold((static_cast<uint64_t>(server.up) << 8) | (static_cast<uint64_t>(server.read_only) << 9) |
         (static_cast<uint64_t>(server.io) << 10) |
         (static_cast<uint64_t>(server.io_stalled) << 14) |
         (static_cast<uint64_t>(server.sql_running) << 15) |
         (static_cast<uint64_t>(server.source.value_or(-1) + 1) << 16) |
         (static_cast<uint64_t>(server.semi_sync_fallen_back) << 24));
    fold(server.binlog.size());
    fold(server.relay_log.size());
    fold(server.waiting.size());
  }
  return hash;
}

}  // namespace warden::sim
