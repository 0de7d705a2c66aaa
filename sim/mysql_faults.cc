// The MySQL workload's fault plan: until the fault phase ends, one fault at a
// time from the seed's mix, each healed after a while and followed by time
// to recover (the seed's pace); with overlapping faults, a new one every few
// seconds whatever is still broken. Then everything heals at once. Faults
// hit one layer or a host:
//
//   mysqld-crash     kill -9 of a mysqld, restarted later
//   warden-crash     kill -9 of a warden serve process (its node and agent);
//                    its mysqld keeps running
//   host-crash       both
//   host-isolate     every link of a host cut: replication, the ensemble,
//                    clients
//   warden-isolate   only the host's Warden node cut from the others
//   mysql-link-cut   the MySQL link between two hosts (replication, agents'
//                    connections)
//   bridge           two hosts cut from each other, a third sees both
//   pause            a warden serve process stops for up to 5 s (its node
//                    and agent; the lease covers pauses shorter than the
//                    session timeout plus the lease wait less fence_after)
//   slow-sql         a server's SQL thread applies 20-200 times slower
//   client-cut       a client loses one server, or the ensemble (its route
//                    goes stale)
//   probe-fault      an agent's probes of its own server time out
//
// Part of MysqlSimulation (sim/mysql_simulation_internal.h).
#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "sim/mysql_simulation_internal.h"

namespace warden::sim {

namespace {

enum FaultKind : int {
  kMysqldCrash,
  kWardenCrash,
  kHostCrash,
  kHostIsolate,
  kWardenIsolate,
  kMysqlLinkCut,
  kBridge,
  kPause,
  kSlowSql,
  kClientCut,
  kProbeFault,
  kFaultKinds,
};
static_assert(kFaultKinds == 11, "MysqlSimulation::fault_weights_ has one weight per kind");

constexpr int64_t kSecondUs = 1'000'000;

}  // namespace

void MysqlSimulation::log_fault(const std::string& text) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "t=%.3fs ", static_cast<double>(agenda_.now_us()) / 1e6);
  fault_log_.push_back(stamp + text);
  note("fault: " + text);
}

int MysqlSimulation::choose_target_host() {
  if (fault_prng_.chance(target_primary_probability_)) {
    const Znode* node = ns_.get(mysqlctl::primary_path(cluster_));
    if (node != nullptr) {
      mysqlctl::Result<mysqlctl::PrimaryRecord> record = mysqlctl::decode_primary(node->data);
      if (record.ok()) {
        if (std::optional<int> server = model_->server_by_host(record.value().host)) {
          return *server;
        }
      }
    }
  }
  return static_cast<int>(fault_prng_.below(static_cast<uint64_t>(servers_)));
}

void MysqlSimulation::cut_mysql_link(int a, int b, int delta) {
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    int& cuts = mysql_cuts_[static_cast<size_t>(from * servers_ + to)];
    cuts += delta;
    assert(cuts >= 0);
    model_->set_link(from, to, cuts == 0);
  }
}

void MysqlSimulation::cut_warden_link(int a, int b, int delta) {
  int& cuts = warden_cuts_[static_cast<size_t>(a * servers_ + b)];
  cuts += delta;
  assert(cuts >= 0);
}

void MysqlSimulation::cut_client_link(uint32_t client, int server, int delta) {
  int& cuts = client_cuts_[client * static_cast<size_t>(servers_) + static_cast<size_t>(server)];
  cuts += delta;
  assert(cuts >= 0);
}

void MysqlSimulation::crash_mysqld(int h, uint64_t id) {
  model_->crash(h);
  ++counters_.crashes;
  active_faults_[id].heal = [this, h] {
    model_->restart(h);
    log_fault("mysqld of " + host_name(h) + " restarted (read-only)");
  };
}

void MysqlSimulation::crash_warden(int h, uint64_t id) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (host.agent) retired_agents_ += host.agent->counters();
  host.agent.reset();
  ++host.incarnation;  // whatever the dead process was waiting for is dropped
  host.warden_up = false;
  host.paused = false;
  host.deferred.clear();
  host.zk = ZkClientState{};
  ++counters_.crashes;
  active_faults_[id].heal = [this, h] { restart_warden(h); };
}

void MysqlSimulation::restart_warden(int h) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (host.warden_up) return;
  host.warden_up = true;
  log_fault("warden serve on " + host_name(h) + " restarted");
  start_agent(h);
}

void MysqlSimulation::pause_warden(int h, uint64_t id) {
  hosts_[static_cast<size_t>(h)].paused = true;
  ++counters_.pauses;
  active_faults_[id].heal = [this, h] { resume_warden(h); };
}

void MysqlSimulation::resume_warden(int h) {
  Host& host = hosts_[static_cast<size_t>(h)];
  if (!host.paused) return;
  host.paused = false;
  log_fault("warden serve on " + host_name(h) + " resumed");
  // What arrived while it stood still runs now, in order.
  std::vector<std::pair<const char*, std::function<void()>>> deferred = std::move(host.deferred);
  host.deferred.clear();
  for (auto& [label, task] : deferred) {
    agent_later(h, host.incarnation, 0, label, std::move(task));
  }
}

void MysqlSimulation::schedule_next_fault() {
  const int64_t next =
      agenda_.now_us() + fault_prng_.uniform_int(min_fault_gap_us_, max_fault_gap_us_);
  if (next < fault_end_us_) agenda_.at(next, "fault-inject", 0, [this] { inject_fault(); });
}

void MysqlSimulation::inject_fault() {
  if (healed_) return;
  // One at a time, the next comes a while after this one heals.
  if (options_.overlapping_faults) schedule_next_fault();
  int total = 0;
  for (int weight : fault_weights_) total += weight;
  assert(total > 0);
  int pick = static_cast<int>(fault_prng_.below(static_cast<uint64_t>(total)));
  int kind = 0;
  while (pick >= fault_weights_[static_cast<size_t>(kind)]) {
    pick -= fault_weights_[static_cast<size_t>(kind)];
    ++kind;
  }
  const uint64_t id = next_fault_id_;
  const int h = choose_target_host();
  const int other =
      (h + 1 + static_cast<int>(fault_prng_.below(static_cast<uint64_t>(servers_ - 1)))) % servers_;
  int64_t duration = fault_prng_.uniform_int(kSecondUs, 20 * kSecondUs);
  std::string what;
  // A fault that cannot apply now (its target is already down) is skipped.
  auto skip = [this] {
    if (!options_.overlapping_faults) schedule_next_fault();
  };
  switch (kind) {
    case kMysqldCrash:
      if (!model_->server(h).up) return skip();
      what = "kill -9 of mysqld on " + host_name(h);
      crash_mysqld(h, id);
      duration = fault_prng_.uniform_int(kSecondUs / 2, 15 * kSecondUs);
      break;
    case kWardenCrash:
      if (!hosts_[static_cast<size_t>(h)].warden_up) return skip();
      what = "kill -9 of warden serve on " + host_name(h) + " (its mysqld runs on)";
      crash_warden(h, id);
      duration = fault_prng_.uniform_int(kSecondUs, 15 * kSecondUs);
      break;
    case kHostCrash: {
      if (!model_->server(h).up || !hosts_[static_cast<size_t>(h)].warden_up) return skip();
      what = "host " + host_name(h) + " crashed (mysqld and warden serve)";
      crash_mysqld(h, id);
      std::function<void()> restart_mysqld = std::move(active_faults_[id].heal);
      crash_warden(h, id);
      std::function<void()> restart = std::move(active_faults_[id].heal);
      active_faults_[id].heal = [restart_mysqld, restart] {
        restart_mysqld();
        restart();
      };
      duration = fault_prng_.uniform_int(2 * kSecondUs, 20 * kSecondUs);
      break;
    }
    case kHostIsolate:
      what = "host " + host_name(h) + " isolated (replication, ensemble, clients)";
      for (int o = 0; o < servers_; ++o) {
        if (o == h) continue;
        cut_mysql_link(h, o, 1);
        cut_warden_link(h, o, 1);
        cut_warden_link(o, h, 1);
      }
      for (uint32_t c = 0; c < clients_.size(); ++c) cut_client_link(c, h, 1);
      ++counters_.partitions;
      active_faults_[id].heal = [this, h] {
        for (int o = 0; o < servers_; ++o) {
          if (o == h) continue;
          cut_mysql_link(h, o, -1);
          cut_warden_link(h, o, -1);
          cut_warden_link(o, h, -1);
        }
        for (uint32_t c = 0; c < clients_.size(); ++c) cut_client_link(c, h, -1);
      };
      break;
    case kWardenIsolate:
      what = "the Warden node of " + host_name(h) + " isolated from the ensemble";
      for (int o = 0; o < servers_; ++o) {
        if (o == h) continue;
        cut_warden_link(h, o, 1);
        cut_warden_link(o, h, 1);
      }
      ++counters_.partitions;
      active_faults_[id].heal = [this, h] {
        for (int o = 0; o < servers_; ++o) {
          if (o == h) continue;
          cut_warden_link(h, o, -1);
          cut_warden_link(o, h, -1);
        }
      };
      break;
    case kMysqlLinkCut:
      what = "MySQL link " + host_name(h) + " <-> " + host_name(other) + " cut";
      cut_mysql_link(h, other, 1);
      ++counters_.partitions;
      active_faults_[id].heal = [this, h, other] { cut_mysql_link(h, other, -1); };
      break;
    case kBridge:
      what = host_name(h) + " and " + host_name(other) + " cut from each other (every layer)";
      cut_mysql_link(h, other, 1);
      cut_warden_link(h, other, 1);
      cut_warden_link(other, h, 1);
      ++counters_.partitions;
      active_faults_[id].heal = [this, h, other] {
        cut_mysql_link(h, other, -1);
        cut_warden_link(h, other, -1);
        cut_warden_link(other, h, -1);
      };
      break;
    case kPause:
      if (!hosts_[static_cast<size_t>(h)].warden_up || hosts_[static_cast<size_t>(h)].paused) {
        return skip();
      }
      duration = fault_prng_.uniform_int(kSecondUs / 4, 5 * kSecondUs);
      what = "warden serve on " + host_name(h) + " paused";
      pause_warden(h, id);
      break;
    case kSlowSql: {
      const double factor = static_cast<double>(fault_prng_.uniform_int(20, 200));
      what = "the SQL thread of " + host_name(h) + " slowed " +
             std::to_string(static_cast<int>(factor)) + " times";
      ++slow_periods_[static_cast<size_t>(h)];
      model_->set_sql_slowdown(h, factor);
      active_faults_[id].heal = [this, h] {
        if (--slow_periods_[static_cast<size_t>(h)] == 0) model_->set_sql_slowdown(h, 1.0);
      };
      break;
    }
    case kClientCut: {
      const auto client = static_cast<uint32_t>(fault_prng_.below(clients_.size()));
      if (fault_prng_.chance(0.5)) {
        what = "client " + std::to_string(client + 1) + " cut from the ensemble (stale route)";
        ++clients_[client].warden_cuts;
        active_faults_[id].heal = [this, client] { --clients_[client].warden_cuts; };
      } else {
        what = "client " + std::to_string(client + 1) + " cut from " + host_name(h);
        cut_client_link(client, h, 1);
        active_faults_[id].heal = [this, client, h] { cut_client_link(client, h, -1); };
      }
      break;
    }
    case kProbeFault:
      what = "the probes of " + host_name(h) + "'s agent time out";
      ++hosts_[static_cast<size_t>(h)].probe_faults;
      duration = fault_prng_.uniform_int(kSecondUs, 10 * kSecondUs);
      active_faults_[id].heal = [this, h] { --hosts_[static_cast<size_t>(h)].probe_faults; };
      break;
    default:
      assert(false);
      return;
  }
  ++next_fault_id_;
  active_faults_[id].description = what;
  char length[32];
  std::snprintf(length, sizeof length, " for %.3fs", static_cast<double>(duration) / 1e6);
  log_fault(what + length);
  agenda_.after(duration, "fault-heal", static_cast<uint32_t>(h), [this, id] { heal_fault(id); });
}

void MysqlSimulation::heal_fault(uint64_t id) {
  auto found = active_faults_.find(id);
  if (found == active_faults_.end()) return;  // healed with everything else
  ActiveFault fault = std::move(found->second);
  active_faults_.erase(found);
  log_fault("healed: " + fault.description);
  fault.heal();
  if (!options_.overlapping_faults) schedule_next_fault();
}

void MysqlSimulation::heal_all() {
  healed_ = true;
  log_fault("every fault heals");
  std::map<uint64_t, ActiveFault> active = std::move(active_faults_);
  active_faults_.clear();
  for (auto& [id, fault] : active) fault.heal();
}

}  // namespace warden::sim
