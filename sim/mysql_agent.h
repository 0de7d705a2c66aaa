// The MySQL agent's runtime on simulated time: the agent's loop
// (mysqlctl/agent_loop.h, the same one `warden serve` runs) driving the real
// mysqlctl::AgentCore, plan_failover and member_record_from_probe.
//
// What the real runtime gets from Boost.Asio, Warden's client and MySQL
// Connector/C++ comes from an AgentEnvironment (the MySQL simulation): timers
// on the agent's own clock, requests to the namespace through the agent's
// Warden node, and probes and actions on the simulated servers. The
// environment delivers every callback only to the incarnation that asked,
// and only while its process runs (not crashed, not paused).
//
// A few switches plant bugs in this runtime or in what it passes to the core
// (never in mysqlctl/), so that the checkers can be shown to catch them.
//
// Created by the MySQL simulation, one per Warden process incarnation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mysqlctl/agent_core.h"
#include "mysqlctl/agent_loop.h"
#include "mysqlctl/probe_result.h"
#include "mysqlctl/result.h"
#include "sim/mysql_namespace.h"

namespace warden::sim {

// The namespace requests and answers, in the agent's own terms.
using ZkOp = mysqlctl::NsOp;
using ZkRequest = mysqlctl::NsRequest;
using ZkReply = mysqlctl::NsReply;

using mysqlctl::MysqlAction;

// What the agent needs from the world. `host` and `incarnation` name the
// asking agent; callbacks reach it only while that incarnation runs.
class AgentEnvironment {
 public:
  virtual ~AgentEnvironment() = default;
  virtual int64_t now_us() const = 0;
  // The host's wall clock, ms since the epoch.
  virtual int64_t wall_ms(int host) const = 0;
  virtual void agent_later(int host, uint64_t incarnation, int64_t delay_us, const char* label,
                           std::function<void()> task) = 0;
  // Warden's client (net/asio/zk_client.h) on the host's node: connect opens
  // a new session (its id, or none when no quorum answered within the
  // session timeout); submit sends a request on the current session, waiting
  // while it is being (re)established. Every request is answered, in order:
  // CONNECTIONLOSS when the connection went while it was in flight,
  // SESSIONEXPIRED once the session is over.
  virtual void zk_connect(int host, uint64_t incarnation,
                          std::function<void(std::optional<uint64_t> session)> done) = 0;
  virtual void zk_submit(int host, uint64_t incarnation, ZkRequest request,
                         std::function<void(const ZkReply&)> done) = 0;
  // `target`: a server index (the host's own, or another's over the link).
  virtual void mysql_probe(int host, uint64_t incarnation, int target,
                           std::function<void(const mysqlctl::ProbeResult&)> done) = 0;
  // `target` and `source` are server indexes (source: kRepoint only).
  virtual void mysql_act(int host, uint64_t incarnation, MysqlAction action, int target, int source,
                         std::function<void(const mysqlctl::Result<std::string>&)> done) = 0;
  // The server listening at host:port, if any.
  virtual std::optional<int> server_at(const std::string& host, uint16_t port) const = 0;
  virtual void agent_log(int host, const std::string& line) = 0;
};

// Bugs planted in the runtime, each off unless a test asks.
struct AgentBugs {
  bool skip_relay_wait = false;  // promote without applying the relay log
  bool never_isolated = false;   // report every sync as answered: no self-fencing
  // The agent sees no GTID positions: not in its probes (so neither in the
  // records it publishes nor in a failover's reads of the others), nor in
  // what the core is handed.
  bool ignore_gtid_order = false;
};

struct SimAgentOptions {
  mysqlctl::AgentSettings settings;
  int host = 0;  // also the index of its server
  uint64_t incarnation = 1;
  mysqlctl::ProbeTarget server;
  uint32_t priority = 1;
  uint64_t probe_interval_ms = 500;
  // How fast the agent's monotonic clock runs against simulated time.
  double clock_rate = 1.0;
  AgentBugs bugs;
};

using mysqlctl::AgentCounters;

class SimAgent final : private mysqlctl::AgentPorts {
 public:
  SimAgent(SimAgentOptions options, AgentEnvironment& env);

  void start() { loop_.start(); }
  // The client learnt that its session expired: reconnect, as
  // ZkClientOptions::on_session_lost does in the real runtime.
  void on_session_lost() { loop_.on_session_lost(); }

  const AgentCounters& counters() const { return loop_.counters(); }

 private:
  // mysqlctl::AgentPorts.
  uint64_t now_ms() const override;
  int64_t wall_ms() const override;
  void after_ms(uint64_t delay_ms, const char* label, std::function<void()> task) override;
  void connect(std::function<void(std::optional<uint64_t> session)> done) override;
  void submit(mysqlctl::NsRequest request,
              std::function<void(const mysqlctl::NsReply&)> done) override;
  void probe(const mysqlctl::ProbeTarget& server,
             std::function<void(const mysqlctl::ProbeResult&)> done) override;
  void act(MysqlAction action, const mysqlctl::ProbeTarget& target,
           const std::optional<mysqlctl::ProbeTarget>& source,
           std::function<void(const mysqlctl::Result<std::string>&)> done) override;
  void log(const std::string& line) override;

  int64_t sim_delay_us(uint64_t agent_ms) const;
  int server_of(const mysqlctl::ProbeTarget& target) const;

  SimAgentOptions options_;
  AgentEnvironment& env_;
  const int64_t created_us_;
  uint64_t session_ = 0;  // the client's current session, 0 while none
  mysqlctl::AgentLoop loop_;
};

}  // namespace warden::sim
