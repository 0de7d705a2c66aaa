// What one probe of a MySQL server found, and what that makes the member:
// its role, whether it is healthy and why not, and the MemberRecord the agent
// publishes for it.
//
// The real probe (mysqlctl/mysql_probe.h) fills a ProbeResult from a live
// server; the simulator can fill one from its model of MySQL. Both then go
// through assess_probe, so the same rules decide role and health in tests,
// in the simulator and in production.
//
// Pure: no I/O, no clock. Anyone may call it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mysqlctl/gtid.h"
#include "mysqlctl/member.h"
#include "mysqlctl/result.h"

namespace warden::mysqlctl {

// Where the server listens (TCP).
struct ProbeTarget {
  std::string host;
  uint16_t port = 3306;

  friend bool operator==(const ProbeTarget&, const ProbeTarget&) = default;
};

// The replication row of the server (MariaDB SHOW SLAVE STATUS for the
// default connection; MySQL SHOW REPLICA STATUS). Thread states are kept as
// the server prints them ("Yes", "No", "Connecting", "Preparing"): only "Yes"
// is running, and the others say why not.
struct ReplicationStatus {
  std::string source_host;  // Master_Host / Source_Host
  uint16_t source_port = 0;
  std::string io_thread_state;   // Slave_IO_Running / Replica_IO_Running
  std::string sql_thread_state;  // Slave_SQL_Running / Replica_SQL_Running
  // Seconds_Behind_Master / Seconds_Behind_Source; NULL (absent) while a
  // thread is stopped.
  std::optional<uint64_t> seconds_behind_source;
  std::string last_io_error;
  std::string last_sql_error;
  // What the IO thread has received (MariaDB Gtid_IO_Pos, MySQL
  // Retrieved_Gtid_Set); "" when the server did not say.
  std::string received_gtid;

  bool io_running() const { return io_thread_state == "Yes"; }
  bool sql_running() const { return sql_thread_state == "Yes"; }

  friend bool operator==(const ReplicationStatus&, const ReplicationStatus&) = default;
};

struct ProbeResult {
  // True when the probe connected, logged in and read everything below.
  bool completed = false;
  // Why it did not complete ("access denied ...", "timed out ..."); empty
  // when completed.
  std::string error;
  // Wall time the probe took, connection included.
  int64_t elapsed_ms = 0;

  std::string version;  // @@version; contains "MariaDB" on MariaDB
  Flavour flavour = Flavour::kMariaDB;
  uint32_t server_id = 0;
  bool read_only = true;
  // MariaDB positions (empty strings on MySQL).
  std::string gtid_current_pos;
  std::string gtid_slave_pos;
  std::string gtid_binlog_pos;
  // MySQL 8 executed set (empty string on MariaDB).
  std::string gtid_executed;
  // Absent when the server replicates from nobody.
  std::optional<ReplicationStatus> replication;
  // Semi-synchronous replication as a source (rpl_semi_sync_master_enabled
  // and the Rpl_semi_sync_master_status status; MySQL's _source_ names too):
  // absent when the server does not have the feature loaded. `active` is off
  // while an enabled primary has fallen back to asynchronous replication.
  std::optional<bool> semi_sync_source_enabled;
  std::optional<bool> semi_sync_source_active;
  // rpl_semi_sync_master_timeout: how long a commit waits for an
  // acknowledgement before the server falls back to asynchronous.
  std::optional<uint64_t> semi_sync_source_timeout_ms;
  // Rpl_semi_sync_master_clients: replicas connected as semi-sync replicas.
  std::optional<uint64_t> semi_sync_source_clients;

  friend bool operator==(const ProbeResult&, const ProbeResult&) = default;
};

// The flavour a server's @@version string shows.
Flavour flavour_of_version(const std::string& version);

// The GTID position the member is ranked by: MariaDB gtid_current_pos, MySQL
// gtid_executed.
const std::string& member_gtid_position(const ProbeResult& probe);

struct ProbeAssessment {
  // Replica when replication is configured (whatever its threads do);
  // primary when writable and replicating from nobody; unknown otherwise
  // (read-only with no source, or not reachable).
  MemberRole role = MemberRole::kUnknown;
  // Completed, the GTID position is readable, and either a primary or a
  // replica whose SQL thread runs and whose IO thread runs or is retrying
  // its source (a replica of a dead primary is a healthy candidate).
  bool healthy = false;
  // For operators and logs; empty when healthy.
  std::string unhealthy_reason;
  // Healthy, but worth saying: a replica's IO thread is not connected.
  std::string note;
};

ProbeAssessment assess_probe(const ProbeResult& probe);

// The record the agent publishes for the member probed. Fails only on an
// invalid `member_id` or `target` (member_record_error): a failed probe still
// gives a record, unhealthy and with an empty position.
Result<MemberRecord> member_record_from_probe(const ProbeResult& probe, const ProbeTarget& target,
                                              const std::string& member_id, uint32_t priority);

// A commit waiting this long (about 49.7 days, the largest value MySQL
// accepts) for a replica's acknowledgement has, for every purpose, no
// fallback to asynchronous replication.
inline constexpr uint64_t kSemiSyncNoFallbackMs = 4'294'967'295;

// "on" / "may-fall-back" / "off" as the member record says it (member.h),
// or "" when the server has no semi-synchronous replication.
std::string semi_sync_state(const ProbeResult& probe);

// Every field of `probe` as a compact JSON object, for `warden mysql probe`
// and for logs. Absent values are null.
std::string encode_probe_result(const ProbeResult& probe);

}  // namespace warden::mysqlctl
