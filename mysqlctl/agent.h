// The MySQL agent's runtime: runs beside one MySQL server inside `warden
// serve` and drives the agent's loop (mysqlctl/agent_loop.h, which holds the
// whole sequence of probes, reads, decisions and actions) on Boost.Asio:
// timers on the io_context, the namespace through Warden's client to the
// local node (as any ZooKeeper client would), and MySQL through a
// MysqlOperator.
//
// MySQL calls block, so they run on two threads of their own: one for
// probes, one for actions, so that a long action (a failover waits for a
// relay log) never stops the probes that keep the member record fresh.
//
// Created, started and stopped on its io_context's thread; that thread runs
// all of its handlers and the loop.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mysqlctl/agent_core.h"
#include "mysqlctl/agent_loop.h"
#include "mysqlctl/health_checks.h"
#include "mysqlctl/probe_result.h"
#include "mysqlctl/result.h"
#include "net/asio/zk_client.h"

namespace warden::mysqlctl {

// What the agent does to MySQL servers, each call blocking and bounded by the
// implementation's timeout; never throws. The real one runs over MySQL
// Connector/C++ (mysqlctl/mysql_operator.h); tests may substitute another.
class MysqlOperator {
 public:
  virtual ~MysqlOperator() = default;
  virtual ProbeResult probe(const ProbeTarget& server) = 0;
  // Each returns a line for the log on success, or why it failed.
  virtual Result<std::string> fence(const ProbeTarget& server) = 0;
  virtual Result<std::string> make_writable(const ProbeTarget& server) = 0;
  virtual Result<std::string> promote(const ProbeTarget& server) = 0;
  virtual Result<std::string> repoint(const ProbeTarget& server, const ProbeTarget& source) = 0;
  virtual Result<std::string> wait_relay_log_applied(const ProbeTarget& server) = 0;
  virtual Result<std::string> resume_replication(const ProbeTarget& server) = 0;
  virtual Result<std::string> stop_receiving(const ProbeTarget& server) = 0;
};

struct AgentOptions {
  AgentSettings settings;
  ProbeTarget server;                   // the local MySQL
  uint32_t priority = 1;                // candidate preference (member.h)
  std::vector<net::ZkEndpoint> warden;  // the local node's client port
  int32_t session_timeout_ms = 6000;
  uint64_t probe_interval_ms = 500;
  std::shared_ptr<MysqlOperator> mysql;
  std::function<void(const std::string& line)> log;
};

class Agent : public std::enable_shared_from_this<Agent>, private AgentPorts {
 public:
  static std::shared_ptr<Agent> create(boost::asio::io_context& io, AgentOptions options);
  ~Agent() override;

  void start();
  // Closes the session (its member record goes at once) and stops the
  // rounds; `done` runs when the session is closed. MySQL calls already
  // running finish on their threads.
  void stop(std::function<void()> done);

  // What this member's health checks answer from (mysqlctl/health_checks.h,
  // served on warden.mysql.healthPort).
  MemberHealthFacts health_facts() const { return loop_.health_facts(); }
  const AgentCounters& counters() const { return loop_.counters(); }

 private:
  using Clock = std::chrono::steady_clock;

  Agent(boost::asio::io_context& io, AgentOptions options);

  // AgentPorts.
  uint64_t now_ms() const override;
  int64_t wall_ms() const override;
  void after_ms(uint64_t delay_ms, const char* label, std::function<void()> task) override;
  void connect(std::function<void(std::optional<uint64_t> session)> done) override;
  void submit(NsRequest request, std::function<void(const NsReply&)> done) override;
  void probe(const ProbeTarget& server, std::function<void(const ProbeResult&)> done) override;
  void act(MysqlAction action, const ProbeTarget& target, const std::optional<ProbeTarget>& source,
           std::function<void(const Result<std::string>&)> done) override;
  void log(const std::string& line) override;

  boost::asio::io_context& io_;
  AgentOptions options_;
  const Clock::time_point epoch_;
  boost::asio::thread_pool probe_thread_{1};
  boost::asio::thread_pool action_thread_{1};
  std::shared_ptr<net::ZkClient> client_;
  bool stopping_ = false;
  AgentLoop loop_;
};

}  // namespace warden::mysqlctl
