// The MySQL agent's runtime: runs beside one MySQL server inside `warden
// serve`, probes that server, publishes its member record through the local
// Warden node (as any ZooKeeper client would), and carries out what
// AgentCore (mysqlctl/agent_core.h) decides: fencing, resuming, repointing
// its own server, adopting the first primary, and failovers when it is the
// candidate.
//
// Every probe_interval_ms it (1) starts a probe of the local server unless
// one is running, (2) starts a sync and a read of the cluster's subtree unless
// one is running, and (3) decides from the latest of both. MySQL calls block,
// so they run on two threads of their own: one for probes, one for actions,
// so that a long action (a failover waits for a relay log) never stops the
// probes that keep the member record fresh. After an action it decides again
// only on a probe and a view that both began after the action ended, so it
// never acts twice on what it saw before.
//
// Created, started and stopped on its io_context's thread; that thread runs
// all of its handlers. Talks to MySQL only through MysqlOperator.
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

class Agent : public std::enable_shared_from_this<Agent> {
 public:
  static std::shared_ptr<Agent> create(boost::asio::io_context& io, AgentOptions options);
  ~Agent();

  void start();
  // Closes the session (its member record goes at once) and stops the
  // rounds; `done` runs when the session is closed. MySQL calls already
  // running finish on their threads.
  void stop(std::function<void()> done);

  // What this member's health checks answer from (mysqlctl/health_checks.h,
  // served on warden.mysql.healthPort): the latest probe and view, each only
  // while recent, and whether the ensemble confirms this agent.
  MemberHealthFacts health_facts() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct PendingView;

  Agent(boost::asio::io_context& io, AgentOptions options);

  uint64_t now_ms() const;
  void schedule_round();
  void round();
  void connect();
  void ensure_layout();
  void start_probe();
  void on_probe(ProbeResult result, uint64_t started_ms);
  void publish_member();
  void start_view();
  void read_view(uint64_t sync_sent_ms);
  void finish_view(const std::shared_ptr<PendingView>& pending);
  void decide();
  void act(const AgentDecision& decision);
  void run_local(const AgentDecision& decision);
  void adopt();
  void run_failover(FailoverPlan plan, ClusterView view);
  void run_step(std::shared_ptr<FailoverPlan> plan, std::shared_ptr<ClusterView> view,
                size_t index);
  void end_failover(const std::string& how);
  void publish_primary(std::shared_ptr<FailoverPlan> plan, std::shared_ptr<ClusterView> view);
  // Runs `work` on the action thread, then `then` with its result here.
  void on_action_thread(std::function<Result<std::string>()> work,
                        std::function<void(const Result<std::string>&)> then);
  void log(const std::string& line) const;
  // Logs `line` only when it differs from the last one logged under `key`.
  void log_change(std::string& last, const std::string& line) const;
  std::optional<ProbeTarget> target_of(const ClusterView& view, const std::string& id) const;

  boost::asio::io_context& io_;
  AgentOptions options_;
  AgentCore core_;
  const Clock::time_point epoch_;
  boost::asio::thread_pool probe_thread_{1};
  boost::asio::thread_pool action_thread_{1};
  boost::asio::steady_timer round_timer_;
  boost::asio::steady_timer wait_timer_;
  std::shared_ptr<net::ZkClient> client_;
  bool stopping_ = false;
  bool session_alive_ = false;
  bool layout_ready_ = false;

  // The latest probe and view, and when each began.
  std::optional<MemberRecord> local_record_;
  bool local_probe_completed_ = false;
  uint64_t probe_started_ms_ = 0;
  // When probes started finding the server read-only and replicating from
  // nobody (a fenced or restarted primary); none while they do not.
  std::optional<uint64_t> read_only_seen_ms_;
  bool probing_ = false;
  std::optional<ClusterView> view_;
  uint64_t view_started_ms_ = 0;
  bool reading_view_ = false;
  std::optional<uint64_t> last_confirmed_ms_;
  std::set<std::string> maintenance_;

  // Publishing this member's record.
  std::string published_;  // what the record holds now ("" before it exists)
  bool publishing_ = false;
  std::string problem_;  // the latest decision's, for the record

  // An action or failover in progress, and when the last one ended.
  bool acting_ = false;
  uint64_t action_ended_ms_ = 0;
  mutable std::string last_held_;
  mutable std::string last_semi_sync_note_;
  mutable std::string last_failure_;
};

}  // namespace warden::mysqlctl
