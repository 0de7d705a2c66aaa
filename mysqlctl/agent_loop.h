// The MySQL agent's loop, without I/O: the one sequence of probes, namespace
// reads, decisions and actions that both the real runtime (mysqlctl/agent.h,
// on Boost.Asio, Warden's client and MySQL Connector/C++) and the simulator
// (sim/mysql_agent.h, on simulated time and modelled MySQL) drive. Everything
// it needs from the world comes through AgentPorts, so a rule fixed here is
// fixed in both.
//
// Every probe_interval_ms it (1) starts a probe of the local server unless
// one is running, (2) starts a sync and a read of the cluster's subtree
// unless one is running, and (3) decides (AgentCore) from the latest of both.
// It acts one thing at a time, and after an action decides again only on a
// probe and a view that both began after the action ended, so it never acts
// twice on what it saw before.
//
// Making the local server writable (a primary resuming) takes the failover
// lock too, so that it never overlaps a failover.
//
// A failover runs step by step under the failover lock, on the session that
// took the lock: every namespace request of the failover is refused once
// that session is gone (the lock went with it), and no MySQL step starts
// unless a sync on that session was answered within fence_after_ms (so the
// lock cannot have expired yet, whatever the ensemble's clock rate).
//
// Single-threaded: every method and every port callback runs on one thread.
// The ports deliver callbacks only while the loop exists.
#pragma once

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

namespace warden::mysqlctl {

// The namespace operations the agent uses, in ZooKeeper's terms.
enum class NsOp : uint8_t { kCreate, kSetData, kDelete, kSync, kGetChildren, kGetData, kExists };
const char* ns_op_name(NsOp op);

// The answers the agent tells apart; kOther is any other error.
enum class NsError : uint8_t {
  kOk,
  kNoNode,
  kNodeExists,
  kBadVersion,
  kNotEmpty,
  kSessionExpired,
  kConnectionLoss,
  kOther,
};
const char* ns_error_name(NsError error);

struct NsRequest {
  NsOp op = NsOp::kSync;
  std::string path;
  std::string data;
  bool ephemeral = false;  // kCreate
  int32_t version = -1;    // kSetData, kDelete: expected version, -1 for any
  // 0: on whatever session the client has now. Otherwise only on this one:
  // refused with kSessionExpired once the client has moved to another.
  uint64_t session = 0;
};

struct NsReply {
  NsError error = NsError::kOk;
  std::string data;  // kGetData
  int32_t version = 0;
  int64_t mtime_ms = 0;               // kGetData, kExists: the leader's clock
  std::vector<std::string> children;  // kGetChildren
};
// An answer carrying only an error.
NsReply ns_failure(NsError error);

// What the agent does to MySQL servers.
enum class MysqlAction : uint8_t {
  kFence,         // read_only on, client connections killed
  kMakeWritable,  // read_only off
  kPromote,       // stop replicating, semi-sync as a primary, read_only off
  kRepoint,       // replicate from the source by GTID
  kWaitRelayLogApplied,
  kResumeReplication,  // start the replication threads again
  kStopReceiving,      // stop the IO thread: nothing more arrives from the source
};
const char* mysql_action_name(MysqlAction action);

// The loop's view of the world. Callbacks run on the loop's thread, later
// (never inside the call that asked for them).
class AgentPorts {
 public:
  virtual ~AgentPorts() = default;
  // The agent's monotonic clock, ms since it started.
  virtual uint64_t now_ms() const = 0;
  // The host's wall clock, ms since the epoch (compared with znode mtimes).
  virtual int64_t wall_ms() const = 0;
  virtual void after_ms(uint64_t delay_ms, const char* label, std::function<void()> task) = 0;
  // Opens a new session on the local Warden node: its id, or none when no
  // session could be opened. Replaces the previous client; its requests were
  // all answered when its session ended.
  virtual void connect(std::function<void(std::optional<uint64_t> session)> done) = 0;
  // Every request is answered, in order.
  virtual void submit(NsRequest request, std::function<void(const NsReply&)> done) = 0;
  // Probes `server`: the local one every round, others in a failover.
  virtual void probe(const ProbeTarget& server, std::function<void(const ProbeResult&)> done) = 0;
  // `source`: kRepoint only. Bounded in time; a line for the log, or why not.
  virtual void act(MysqlAction action, const ProbeTarget& target,
                   const std::optional<ProbeTarget>& source,
                   std::function<void(const Result<std::string>&)> done) = 0;
  virtual void log(const std::string& line) = 0;
};

struct AgentLoopOptions {
  AgentSettings settings;
  ProbeTarget server;     // the local MySQL
  uint32_t priority = 1;  // candidate preference (member.h)
  uint64_t probe_interval_ms = 500;
  // The simulator's planted bugs change what the core is told; nothing else
  // sets it.
  std::function<void(AgentInput&)> distort_input;
};

class AgentLoop {
 public:
  AgentLoop(AgentLoopOptions options, AgentPorts& ports);

  // Opens a session and starts the rounds.
  void start();
  // No more rounds or actions; what is running finishes without effect.
  void stop() { stopped_ = true; }
  // The client learnt that its session ended: open another.
  void on_session_lost();

  const AgentCounters& counters() const { return counters_; }
  // What the health checks answer from: the latest probe and view, each
  // only while recent, and whether the ensemble confirms this agent.
  MemberHealthFacts health_facts() const;

 private:
  struct PendingView;
  struct Failover;

  void submit(NsRequest request, std::function<void(const NsReply&)> done);
  void connect();
  void ensure_layout();
  void schedule_round();
  void round();
  void start_probe();
  void on_probe(const ProbeResult& result, uint64_t started_ms);
  void note_semi_sync(const MemberRecord& record);
  void publish_member();
  void start_view();
  void read_view(uint64_t sync_sent_ms);
  void finish_view(const std::shared_ptr<PendingView>& pending);
  void note_following();
  // Sets `member_id`'s roster entry to `epoch` (session: as NsRequest's).
  NsRequest roster_write(const std::string& member_id, uint64_t epoch, uint64_t session) const;
  bool recent(uint64_t started_ms) const;
  void decide();
  void act(const AgentDecision& decision);
  // `then` runs when the action has answered.
  void run_local(const AgentDecision& decision, std::function<void()> then = {});
  void resume_under_lock(const AgentDecision& decision);
  void release_lock(uint64_t session);
  // After a delete of the lock whose answer was lost: deletes it again if
  // it is still this member's and no lock was taken since (`taken`).
  void recheck_lock(uint64_t session, uint64_t taken);
  void end_action();
  void adopt();
  void run_failover(FailoverPlan plan, ClusterView view);
  void check_plan_current(const std::shared_ptr<Failover>& failover);
  // `attempt` counts the tries of a fence that lost its connection.
  void run_step(const std::shared_ptr<Failover>& failover, size_t index, uint32_t attempt = 0);
  std::string lock_doubt(uint64_t session) const;
  // Before the relay-log wait: why the failover must stop, or "" (and the
  // position the candidate will be promoted at, in failover.promoted_position).
  std::string second_look(Failover& failover, const FailoverStep& relay_wait) const;
  // The kStopReceiving step `index` on `target`: stops it, reads it, goes on.
  void stop_receiving(const std::shared_ptr<Failover>& failover, size_t index,
                      const ProbeTarget& target);
  // Adds `target` to the servers to resume if the failover stops (once).
  void note_paused(Failover& failover, const ProbeTarget& target);
  // Records what `probe` read of a member that receives nothing more, or
  // logs why it cannot count as such.
  void note_frozen(Failover& failover, const std::string& member_id, const ProbeTarget& target,
                   const ProbeResult& probe);
  void publish_primary(const std::shared_ptr<Failover>& failover);
  // Resumes replication on the servers from failover->paused[index] on.
  void resume_paused(const std::shared_ptr<Failover>& failover, size_t index);
  void end_failover(const std::shared_ptr<Failover>& failover, const std::string& how,
                    bool published);
  void log(const std::string& line) { ports_.log(line); }
  // Logs `line` only when it differs from the last one logged under `last`.
  void log_change(std::string& last, const std::string& line);
  std::optional<ProbeTarget> target_of(const ClusterView& view, const std::string& id) const;

  AgentLoopOptions options_;
  AgentPorts& ports_;
  AgentCore core_;
  bool stopped_ = false;
  uint64_t session_ = 0;  // 0 while there is none
  bool layout_ready_ = false;
  uint64_t connect_generation_ = 0;  // replies to an older session's layout are ignored

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
  // When the last sync that the ensemble answered was sent, and on which
  // session.
  std::optional<uint64_t> last_confirmed_ms_;
  uint64_t confirmed_session_ = 0;
  std::set<std::string> maintenance_;

  // Publishing this member's record.
  std::string published_;  // what the record holds now ("" before it exists)
  bool publishing_ = false;
  bool writing_roster_ = false;
  std::string problem_;  // the latest decision's, for the record

  // An action or failover in progress, and when the last one ended.
  bool acting_ = false;
  uint64_t action_ended_ms_ = 0;
  std::string last_held_;
  std::string last_semi_sync_note_;
  uint64_t locks_taken_ = 0;  // failover locks this agent asked for
  std::string last_failure_;
  AgentCounters counters_;
};

}  // namespace warden::mysqlctl
