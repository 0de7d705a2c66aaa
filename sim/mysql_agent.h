// The MySQL agent's runtime on simulated time: the loop of mysqlctl/agent.cc
// (Agent) reproduced step for step, driving the real mysqlctl::AgentCore,
// plan_failover and member_record_from_probe. Every probe_interval_ms it
// starts a probe of its server unless one runs, starts a sync and a read of
// the cluster's subtree unless one runs, and decides from the latest of both;
// it acts one thing at a time, decides again only on a probe and a view that
// began after the last action ended, runs a failover step by step under the
// failover lock when it is the candidate, and publishes the new primary by a
// conditional setData on the version it planned from.
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
#include "mysqlctl/probe_result.h"
#include "mysqlctl/result.h"
#include "sim/mysql_namespace.h"

namespace warden::sim {

enum class ZkOp : uint8_t { kCreate, kSetData, kDelete, kSync, kGetChildren, kGetData, kExists };

struct ZkRequest {
  ZkOp op = ZkOp::kSync;
  std::string path;
  std::string data;
  bool ephemeral = false;  // kCreate
  int32_t version = -1;    // kSetData, kDelete
};

struct ZkReply {
  ZkError error = ZkError::kOk;
  std::string data;  // kGetData
  int32_t version = 0;
  int64_t mtime_ms = 0;
  std::vector<std::string> children;  // kGetChildren
};

enum class MysqlAction : uint8_t {
  kFence,
  kMakeWritable,
  kPromote,
  kRepoint,
  kWaitRelayLogApplied
};
const char* mysql_action_name(MysqlAction action);

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
  virtual void mysql_probe(int host, uint64_t incarnation,
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
  bool skip_relay_wait = false;    // promote without applying the relay log
  bool never_isolated = false;     // report every sync as answered: no self-fencing
  bool ignore_gtid_order = false;  // hand the core positions without GTIDs
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

// What the agent did, for the run's report.
struct AgentCounters {
  uint64_t failovers_started = 0;  // the lock was taken
  uint64_t failovers_published = 0;
  uint64_t failovers_stopped = 0;  // a must-succeed step failed, or the publish was refused
  uint64_t fences = 0;
  uint64_t make_writables = 0;
  uint64_t repoints = 0;
  uint64_t adoptions = 0;
};

class SimAgent {
 public:
  SimAgent(SimAgentOptions options, AgentEnvironment& env);

  void start();
  // The client learnt that its session expired: reconnect, as
  // ZkClientOptions::on_session_lost does in the real runtime.
  void on_session_lost();

  bool acting() const { return acting_; }
  const AgentCounters& counters() const { return counters_; }

 private:
  struct PendingView;

  uint64_t now_ms() const;
  int64_t sim_delay_us(uint64_t agent_ms) const;
  void later_ms(uint64_t agent_ms, const char* label, std::function<void()> task);
  void submit(ZkRequest request, std::function<void(const ZkReply&)> done);
  void connect();
  void ensure_layout();
  void schedule_round();
  void round();
  void start_probe();
  void on_probe(const mysqlctl::ProbeResult& result, uint64_t started_ms);
  void publish_member();
  void start_view();
  void read_view(uint64_t sync_sent_ms);
  void finish_view(const std::shared_ptr<PendingView>& pending);
  void decide();
  void act(const mysqlctl::AgentDecision& decision);
  void run_local(const mysqlctl::AgentDecision& decision);
  void adopt();
  void run_failover(mysqlctl::FailoverPlan plan, mysqlctl::ClusterView view);
  void run_step(std::shared_ptr<mysqlctl::FailoverPlan> plan,
                std::shared_ptr<mysqlctl::ClusterView> view, size_t index);
  void publish_primary(std::shared_ptr<mysqlctl::FailoverPlan> plan,
                       std::shared_ptr<mysqlctl::ClusterView> view);
  void end_failover(const std::string& how, bool published);
  void log(const std::string& line);
  void log_change(std::string& last, const std::string& line);
  std::optional<mysqlctl::ProbeTarget> target_of(const mysqlctl::ClusterView& view,
                                                 const std::string& id) const;
  std::optional<int> server_of(const mysqlctl::ProbeTarget& target) const;

  SimAgentOptions options_;
  AgentEnvironment& env_;
  mysqlctl::AgentCore core_;
  const int64_t created_us_;
  bool session_alive_ = false;
  bool layout_ready_ = false;
  uint64_t connect_generation_ = 0;  // replies to an older session's layout are ignored

  std::optional<mysqlctl::MemberRecord> local_record_;
  bool local_probe_completed_ = false;
  uint64_t probe_started_ms_ = 0;
  // When probes started finding the server read-only and replicating from
  // nobody (a fenced or restarted primary); none while they do not.
  std::optional<uint64_t> read_only_seen_ms_;
  bool probing_ = false;
  std::optional<mysqlctl::ClusterView> view_;
  uint64_t view_started_ms_ = 0;
  bool reading_view_ = false;
  std::optional<uint64_t> last_confirmed_ms_;
  std::set<std::string> maintenance_;

  std::string published_;
  bool publishing_ = false;
  std::string problem_;

  bool acting_ = false;
  uint64_t action_ended_ms_ = 0;
  std::string last_held_;
  std::string last_semi_sync_note_;
  std::string last_failure_;
  AgentCounters counters_;
};

}  // namespace warden::sim
