// The MysqlSimulation class behind run_mysql_simulation(): the hosts (mysqld,
// Warden node, agent), the ensemble's quorum and sessions, each agent's
// Warden client, the clients, the fault plan, the checker and the trace.
// Split over mysql_workload.cc (wiring, the agents' environment, clients,
// checks) and mysql_faults.cc (the fault plan).
//
// Private to sim/mysql_*.cc; everyone else calls run_mysql_simulation().
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/mysql_agent.h"
#include "sim/mysql_checker.h"
#include "sim/mysql_model.h"
#include "sim/mysql_namespace.h"
#include "sim/mysql_tasks.h"
#include "sim/mysql_workload.h"
#include "sim/prng.h"

namespace warden::sim {

// The agent's timing, as warden serve's defaults have it, but for the
// anti-flapping interval: a third of production's minute, so that a run of
// two simulated minutes sees several failovers. The rules are unchanged.
struct MysqlTiming {
  uint64_t probe_interval_ms = 500;
  int64_t session_timeout_ms = 6000;
  uint64_t fence_after_ms = 4000;
  uint64_t lease_wait_ms = 8000;
  uint64_t settle_ms = 3000;
  uint64_t min_failover_interval_ms = 20000;
  int64_t probe_timeout_us = 1'000'000;
  int64_t action_timeout_us = 5'000'000;
  int64_t relay_log_timeout_us = 60'000'000;
};

class MysqlSimulation final : public AgentEnvironment {
 public:
  explicit MysqlSimulation(const SimOptions& options);
  SimResult run();

  // AgentEnvironment.
  int64_t now_us() const override { return agenda_.now_us(); }
  int64_t wall_ms(int host) const override;
  void agent_later(int host, uint64_t incarnation, int64_t delay_us, const char* label,
                   std::function<void()> task) override;
  void zk_connect(int host, uint64_t incarnation,
                  std::function<void(std::optional<uint64_t> session)> done) override;
  void zk_submit(int host, uint64_t incarnation, ZkRequest request,
                 std::function<void(const ZkReply&)> done) override;
  void mysql_probe(int host, uint64_t incarnation, int target,
                   std::function<void(const mysqlctl::ProbeResult&)> done) override;
  void mysql_act(int host, uint64_t incarnation, MysqlAction action, int target, int source,
                 std::function<void(const mysqlctl::Result<std::string>&)> done) override;
  std::optional<int> server_at(const std::string& host, uint16_t port) const override;
  void agent_log(int host, const std::string& line) override;

 private:
  using ReplyDone = std::function<void(const ZkReply&)>;

  // The agent's Warden client on its node (net/asio/zk_client.h's rules).
  struct ZkClientState {
    uint64_t session = 0;  // 0 before one is open
    bool connecting = false;
    int64_t connect_deadline_us = 0;
    std::function<void(std::optional<uint64_t>)> connect_done;
    bool connected = false;
    bool ended = false;       // the session is over; requests fail at once
    uint64_t connection = 0;  // grows at every (re)connection and drop
    int64_t disconnected_since_us = 0;
    struct Waiting {
      ZkRequest request;
      ReplyDone done;
    };
    std::deque<Waiting> waiting;              // until the session is (re)established
    std::map<uint64_t, ReplyDone> in_flight;  // by request id, in send order
    int64_t arrival_fifo_us = 0;              // keeps one client's requests in order
    int64_t reply_fifo_us = 0;
  };

  struct Host {
    bool warden_up = true;  // the warden serve process: its node and its agent
    bool paused = false;
    uint64_t incarnation = 0;  // of the process; callbacks of older ones are dropped
    std::unique_ptr<SimAgent> agent;
    std::vector<std::pair<const char*, std::function<void()>>> deferred;  // while paused
    ZkClientState zk;
    double clock_rate = 1.0;
    int64_t wall_offset_us = 0;
    int probe_faults = 0;  // the agent's probes time out while > 0
  };

  struct Client {
    std::optional<int> route;  // the server the primary record names, as last read
    uint64_t route_epoch = 0;
    uint64_t op = 0;  // numbers wakes and timeouts; stale ones are ignored
    bool in_flight = false;
    uint64_t write_id = 0;
    int warden_cuts = 0;  // > 0: cannot read the primary record (a stale router)
  };

  enum class WriteOutcome : uint8_t { kPending, kAcknowledged, kRefused, kUnknown };
  struct Write {
    uint32_t client = 0;
    int server = 0;
    int64_t sent_us = 0;
    WriteOutcome outcome = WriteOutcome::kPending;
    std::string gtid;  // where it was committed, if it was
  };

  // Wiring (mysql_workload.cc).
  void start_agent(int host);
  void run_agent_task(int host, uint64_t incarnation, const char* label,
                      const std::function<void()>& task);
  void after_task(const TaskAgenda::Ran& ran);
  void note(const std::string& line);
  std::string host_name(int host) const { return "db" + std::to_string(host + 1); }

  // The ensemble (mysql_workload.cc).
  bool warden_alive(int host) const;
  bool warden_link_open(int a, int b) const;
  bool has_quorum(int host) const;
  bool quorum_exists() const;
  int64_t leader_wall_ms() const;
  void ensemble_tick();
  void update_client(int host);
  void try_connect(int host);
  void send(int host, ZkRequest request, ReplyDone done);
  void arrive(int host, uint64_t incarnation, uint64_t connection, uint64_t id,
              const ZkRequest& request);
  ZkReply apply(int host, const ZkRequest& request);
  void disconnect(int host);
  void end_session(int host, ZkError why);
  void reply_to_agent(int host, ReplyDone done, ZkReply reply, int64_t delay_us);

  // MySQL actions (mysql_workload.cc).
  int64_t action_work_us(MysqlAction action);
  void finish_action(int host, uint64_t incarnation, MysqlAction action, int target,
                     int64_t started_us,
                     std::function<void(const mysqlctl::Result<std::string>&)> done,
                     mysqlctl::Result<std::string> result);
  void poll_relay_wait(int host, uint64_t incarnation, int target, int64_t started_us,
                       std::string received,
                       std::function<void(const mysqlctl::Result<std::string>&)> done);

  // Clients (mysql_workload.cc).
  void client_wake(uint32_t client, uint64_t op);
  void client_timeout(uint32_t client, uint64_t op);
  void refresh_route(uint32_t client);
  void route_tick(uint32_t client);
  void on_commit_done(int server, uint64_t write_id, CommitOutcome outcome);
  void client_think(uint32_t client);
  bool client_link_open(uint32_t client, int server) const;

  // Checks and results (mysql_workload.cc).
  void check_liveness();
  int healthy_replicas() const;
  SimResult collect_result();

  // Faults (mysql_faults.cc).
  void schedule_next_fault();
  void inject_fault();
  void heal_fault(uint64_t id);
  void heal_all();
  int choose_target_host();
  void crash_mysqld(int host, uint64_t id);
  void crash_warden(int host, uint64_t id);
  void restart_warden(int host);
  void pause_warden(int host, uint64_t id);
  void resume_warden(int host);
  void cut_mysql_link(int a, int b, int delta);
  void cut_warden_link(int a, int b, int delta);
  void cut_client_link(uint32_t client, int server, int delta);
  void log_fault(const std::string& text);

  SimOptions options_;
  MysqlTiming timing_;
  int servers_ = 3;
  Prng prng_;
  Prng fault_prng_;
  Prng client_prng_;
  Prng zk_prng_;
  TaskAgenda agenda_;
  MysqlNamespace ns_;
  std::unique_ptr<MysqlModel> model_;
  std::unique_ptr<MysqlChecker> checker_;
  std::vector<Host> hosts_;
  std::vector<Client> clients_;
  std::vector<Write> writes_;     // by write id - 1
  std::vector<int> mysql_cuts_;   // per directed link between hosts
  std::vector<int> warden_cuts_;  // per directed link
  std::vector<int> client_cuts_;  // per client and server
  uint64_t next_request_ = 1;
  bool quorum_was_lost_ = false;
  std::string cluster_ = "main";
  AgentBugs bugs_;
  int64_t think_min_us_ = 0;
  int64_t think_max_us_ = 0;
  int64_t route_refresh_us_ = 0;
  int64_t client_timeout_us_ = 3'000'000;
  double slow_fence_probability_ = 0.1;
  double action_failure_probability_ = 0.02;

  // Faults.
  struct ActiveFault {
    std::function<void()> heal;
    std::string description;
  };
  std::map<uint64_t, ActiveFault> active_faults_;
  uint64_t next_fault_id_ = 1;
  int64_t fault_end_us_ = 0;
  int64_t min_fault_gap_us_ = 1'000'000;
  int64_t max_fault_gap_us_ = 6'000'000;
  bool healed_ = false;
  double target_primary_probability_ = 0.6;
  std::array<int, 11> fault_weights_{};
  std::vector<std::string> fault_log_;

  // Trace: every task folds into the hash; notes go to the recent lines.
  uint64_t trace_hash_ = 0xcbf29ce484222325ULL;
  std::deque<std::string> recent_;
  SimResult counters_;
  AgentCounters retired_agents_;  // counters of agents whose process died
  std::map<uint64_t, int> session_host_;
  std::vector<int> slow_periods_;  // per server
  int64_t acknowledged_after_heal_us_ = -1;
};

}  // namespace warden::sim
