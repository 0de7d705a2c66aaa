// A model of MariaDB servers replicating by GTID with semi-synchronous
// replication, for the simulator's MySQL workload (sim/mysql_workload.h):
// what the MySQL agents probe, fence, promote and repoint, and what clients
// commit to. It keeps what the failover rules depend on, and nothing else
// (no rows, only transactions):
//
// - Each server has read_only, a binary log (every transaction it executed,
//   its own and replicated ones: log_slave_updates) and a relay log (received
//   from its source, not yet applied). GTIDs are MariaDB's, all in domain 0,
//   under gtid_strict_mode, so a binlog numbers its transactions 1, 2, 3...
// - A replica's IO thread connects to its source and asks for what follows
//   the last GTID it holds (relay log, else binlog). A source whose binlog
//   does not hold that GTID refuses with error 1236, which stops the IO
//   thread for good. A dead source is noticed at once (the connection is
//   reset) and retried every second (MASTER_CONNECT_RETRY=1); a cut link is
//   noticed only after net_timeout (slave_net_timeout), and until then the
//   IO thread still reports "Yes". The SQL thread applies the relay log in
//   order, one transaction every few milliseconds (slower in a slow period).
// - Semi-sync, AFTER_SYNC: a client's commit is in the binlog at once and is
//   acknowledged when a replica connected as a semi-sync replica has
//   received it into its relay log. With my.cnf's timeout (MariaDB's default
//   10 s) a commit nobody acknowledges in time makes the source fall back to
//   asynchronous replication, which acknowledges everything at once, until a
//   replica's ack comes again; promote sets the timeout never to run out
//   (kSemiSyncNoFallbackMs). Switching the source role off releases the
//   waiting commits too (as MariaDB does).
// - kill -9 keeps both logs (sync_binlog=1; the relay log as received) and
//   the replication configuration; waiting commits fail. A restarted server
//   comes back read-only with both semi-sync roles on and my.cnf's timeout
//   and, when it has a source, starts replicating again. With init_rpl_role=
//   SLAVE (as tools/mariadb.sh starts managed servers) its crash recovery
//   drops the binlog's tail that no replica had acknowledged: under
//   AFTER_SYNC those transactions never reached the storage engine. A
//   killed connection's transaction does reach it (it stops waiting and
//   commits), so a fence truncates nothing.
// - The actions are mysqlctl/mysql_admin.h's: fence (read_only, clients
//   killed), promote (stop and reset replication, discarding the relay log,
//   then writable), repoint (CHANGE MASTER discards the relay log) and the
//   relay-log wait (stop the IO thread, let the SQL thread finish).
//
// Links between hosts carry replication and the agents' MySQL connections
// (the world decides which are cut). Owned by the MySQL simulation; the
// unit tests drive it on a TaskAgenda of their own. Single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mysqlctl/gtid.h"
#include "mysqlctl/probe_result.h"
#include "mysqlctl/result.h"
#include "sim/mysql_tasks.h"
#include "sim/prng.h"

namespace warden::sim {

// The replication domain every transaction is in.
inline constexpr uint32_t kMysqlDomain = 0;

struct MysqlTxn {
  mysqlctl::MariaGtid gtid;
  uint64_t write_id = 0;  // the client write it carries (ids start at 1)
  int64_t commit_us = 0;  // when its origin committed it (for replica lag)

  friend bool operator==(const MysqlTxn&, const MysqlTxn&) = default;
};

enum class IoState : uint8_t {
  kStopped,     // never started, or stopped (Slave_IO_Running: No)
  kConnecting,  // retrying its source every second (Connecting)
  kConnected,   // streaming (Yes), also while a cut link is not yet noticed
  kFailed,      // stopped by a fatal error (No, with Last_IO_Error)
};

enum class CommitOutcome : uint8_t {
  kAcknowledged,  // a semi-sync replica received it (or the source role was off)
  kReadOnly,      // refused by read_only: nothing written
  kDown,          // connection refused: nothing written
  kKilled,        // in the binlog, but the connection ended before an ack
};
const char* commit_outcome_name(CommitOutcome outcome);

struct MysqlServer {
  int index = 0;
  uint32_t server_id = 0;
  std::string host;
  uint16_t port = 3306;

  bool up = true;
  uint64_t incarnation = 1;  // grows at every crash
  bool read_only = true;
  bool semi_sync_source = true;            // rpl_semi_sync_master_enabled
  bool semi_sync_replica = true;           // rpl_semi_sync_slave_enabled
  uint64_t semi_sync_timeout_ms = 10'000;  // rpl_semi_sync_master_timeout
  bool semi_sync_fallen_back = false;      // Rpl_semi_sync_master_status OFF
  std::vector<MysqlTxn> binlog;
  std::deque<MysqlTxn> relay_log;
  std::vector<uint8_t> has_write;  // by write id: the write is in the binlog

  // Replication: the configuration survives crashes (master.info).
  std::optional<int> source;
  IoState io = IoState::kStopped;
  std::string io_error;
  bool sql_running = false;
  std::string sql_error;

  // The IO thread's current connection: deliveries of an older one are
  // dropped. Stalled: its link is cut and the thread has not noticed yet.
  uint64_t io_connection = 0;
  bool io_stalled = false;
  uint64_t io_retry_generation = 0;
  uint64_t stall_generation = 0;
  bool connected_semi_sync = false;  // the role it connected with
  size_t stream_next = 0;            // the source's binlog index sent next
  int64_t stream_last_us = 0;        // keeps one stream's deliveries in order
  bool apply_scheduled = false;
  double sql_slowdown = 1.0;  // > 1 during a slow period
  int64_t apply_us = 2000;    // the SQL thread's usual time per transaction

  // As a semi-sync source: client commits waiting for an ack, by binlog
  // index, and everything below `acked_upto` is acknowledged.
  std::map<size_t, uint64_t> waiting;
  size_t acked_upto = 0;
  // Set by a crash with commits waiting: the binlog length recovery keeps.
  std::optional<size_t> recovery_truncates_to;
};

struct MysqlModelConfig {
  int servers = 3;
  int64_t min_link_latency_us = 200;  // one way, per directed link
  int64_t max_link_latency_us = 2000;
  int64_t jitter_us = 300;
  int64_t min_apply_us = 500;  // per server, drawn once
  int64_t max_apply_us = 20000;
  int64_t net_timeout_us = 10'000'000;  // slave_net_timeout
  int64_t connect_retry_us = 1'000'000;
  uint64_t my_cnf_semi_sync_timeout_ms = 10'000;  // what a (re)started server has
  bool init_rpl_role_slave = true;                // crash recovery truncates (see above)
};

class MysqlModel {
 public:
  using CommitDone = std::function<void(int server, uint64_t write_id, CommitOutcome outcome)>;

  MysqlModel(const MysqlModelConfig& config, TaskAgenda& agenda, Prng prng, CommitDone done);

  int size() const { return static_cast<int>(servers_.size()); }
  const MysqlServer& server(int index) const { return servers_.at(static_cast<size_t>(index)); }
  std::optional<int> server_by_host(const std::string& host) const;

  // The starting topology: `primary` writable, the others replicating from it.
  void bootstrap(int primary);

  // Links between hosts (directed), for replication and agents' connections.
  bool link_open(int from, int to) const;
  void set_link(int from, int to, bool open);
  bool reachable(int a, int b) const { return a == b || (link_open(a, b) && link_open(b, a)); }
  int64_t latency_us(int from, int to);
  // A slower link from now on (a replica in another data centre).
  void add_link_latency(int from, int to, int64_t extra_us);

  // A client's commit arriving at `server`; the outcome comes through the
  // CommitDone callback, at once or when an ack arrives.
  void commit(int server, uint64_t write_id);

  // Faults.
  void crash(int server);
  void restart(int server);
  void set_sql_slowdown(int server, double factor);

  // What the agent's probe reads (the server must be up).
  mysqlctl::ProbeResult probe(int server) const;
  // The actions, at the moment they take effect; each fails on a server that
  // is down, as a connection would.
  mysqlctl::Result<std::string> fence(int server);
  mysqlctl::Result<std::string> promote(int server);
  mysqlctl::Result<std::string> repoint(int server, int source);
  // START SLAVE: the replication threads run again (left as they are when
  // they run).
  mysqlctl::Result<std::string> resume_replication(int server);
  // The relay-log wait's first part: stop the IO thread and say what was
  // received. Then relay_wait_failure() / relay_log_applied() until done.
  mysqlctl::Result<std::string> stop_io_for_relay_wait(int server);
  // STOP SLAVE IO_THREAD: a failover's freeze before it reads positions.
  mysqlctl::Result<std::string> stop_receiving(int server);
  std::string relay_wait_failure(int server) const;  // "" while it can go on
  bool relay_log_applied(int server) const;

  // For the checker.
  // Writable, up, and able to acknowledge a commit now: its source role is
  // off or has fallen back or may fall back (a finite timeout), or a
  // semi-sync replica is streaming from it over an open link.
  bool can_acknowledge(int server) const;
  // `replica` streams from `source` now (IO connected, not stalled).
  bool streams_from(int replica, int source) const;
  mysqlctl::MariaPosition position(int server) const;
  bool has_write(int server, uint64_t write_id) const;
  // A digest of every server's state, folded into the run's trace hash.
  uint64_t digest() const;

 private:
  MysqlServer& at(int index) { return servers_.at(static_cast<size_t>(index)); }
  void append(MysqlServer& server, const MysqlTxn& txn);
  void pump(MysqlServer& replica);
  void deliver(int replica, uint64_t connection, const MysqlTxn& txn, size_t index);
  void on_ack(int source, uint64_t incarnation, int replica, size_t index);
  void release_acknowledged(MysqlServer& source);
  void fall_back(int source, uint64_t incarnation, size_t binlog_index);
  void schedule_apply(MysqlServer& server);
  void apply(int server, uint64_t incarnation);
  void connect_io(int replica);
  void schedule_retry(MysqlServer& replica);
  void drop_connection(MysqlServer& replica, IoState now);
  void start_replication(MysqlServer& server);
  void stop_replication(MysqlServer& server);
  void recheck_links();
  void kill_waiting(MysqlServer& server);

  MysqlModelConfig config_;
  TaskAgenda& agenda_;
  Prng prng_;
  CommitDone done_;
  std::vector<MysqlServer> servers_;
  std::vector<int64_t> base_latency_us_;  // per directed link
  std::vector<bool> open_;                // per directed link
};

// "0-<server_id>-<seq>" for the transaction, or "" for none.
std::string format_gtid(const std::optional<mysqlctl::MariaGtid>& gtid);

}  // namespace warden::sim
