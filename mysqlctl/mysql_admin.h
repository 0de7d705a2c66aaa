// The agent's actions on a live MySQL or MariaDB server, the steps a
// failover or switchover runs (mysqlctl/failover_plan.h decides which, on
// which server, in which order): fence a primary, wait until a replica has
// applied what it received, promote it, repoint a server at a new source,
// and set the semi-synchronous replication role.
//
// Each action opens its own connection (mysqlctl/mysql_connection.h), reads
// the flavour from @@version, runs its statements under one deadline
// (`timeout_ms`, rounded up to whole seconds for the client library's own
// timeouts) and closes it. None throws: a failure comes back as a Result
// whose error starts with the action and names the server and the step, as
// in "promote: 10.0.0.2:3306: the account lacks a privilege ... while
// stopping replication: Access denied; ... (MySQL error 1227)".
//
// MariaDB (10.11 is what runs here) uses its own statements: SHOW SLAVE
// STATUS, CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos, MASTER_GTID_WAIT,
// rpl_semi_sync_master_* / rpl_semi_sync_slave_*. MySQL 8.0.23+ uses SHOW
// REPLICA STATUS, CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION=1,
// STOP/START REPLICA, RESET REPLICA ALL, WAIT_FOR_EXECUTED_GTID_SET and the
// semi-sync variables its plugin has (rpl_semi_sync_source_* /
// rpl_semi_sync_replica_*, or the older master/slave names).
//
// The account needs, on MariaDB 10.11: READ_ONLY ADMIN (read_only),
// CONNECTION ADMIN and PROCESS (to see and kill other users' connections),
// RELOAD (RESET SLAVE), REPLICATION SLAVE ADMIN (replication and the
// replica's semi-sync role), REPLICATION MASTER ADMIN (the source's semi-sync
// role) and REPLICA MONITOR (replication status); tests/mysql/admin_test.py
// runs every action with exactly these. On MySQL 8: SYSTEM_VARIABLES_ADMIN,
// CONNECTION_ADMIN, PROCESS, RELOAD, REPLICATION_SLAVE_ADMIN and
// REPLICATION CLIENT.
//
// Called by `warden mysql fence|promote|repoint|wait-applied|semi-sync` and
// by the agent (mysqlctl/mysql_operator.h), from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mysqlctl/credentials.h"
#include "mysqlctl/gtid.h"
#include "mysqlctl/probe_result.h"
#include "mysqlctl/result.h"

namespace warden::mysqlctl {

struct FenceReport {
  // Client connections ended: everyone's but the fence's own, replication
  // threads and the server's own threads.
  uint32_t killed_connections = 0;
};

// Stops a primary from taking writes: SET GLOBAL read_only=ON, then kills
// every client connection except its own, the server's own threads and the
// binary log dump threads ("Binlog Dump", "Binlog Dump GTID") that serve
// replicas, so replicas can still pull what they lack. Killing matters
// because read_only does not stop accounts with READ_ONLY ADMIN (SUPER on
// MySQL), and it rolls back open transactions. Connections that arrive while
// it kills are looked for again, a few rounds at most. Setting read_only
// waits for running writes: one still running after a second has the
// clients killed first, then read_only is set (so a stuck write cannot hold
// the fence off). Works on a server that is already read-only (it kills what
// is left).
Result<FenceReport> fence(const ProbeTarget& target, const Credentials& credentials,
                          int timeout_ms);

struct PromoteReport {
  // The server's position once writable: MariaDB gtid_current_pos, MySQL
  // gtid_executed.
  std::string gtid_position;
  // Semi-synchronous replication is enabled as a source (false when the
  // server has no semi-sync variables).
  bool semi_sync_source = false;
};

// Makes a replica the primary: stops replication, removes its configuration
// (RESET SLAVE ALL), enables semi-sync as a source where the server has it
// (wait point AFTER_SYNC, timeout `semi_sync_timeout_ms`), disables its
// semi-sync replica role, and sets read_only=OFF last, so it takes no write
// before it is configured. Precondition: the caller has waited for the relay
// log to be applied (wait_relay_log_applied); stopping replication discards
// what is not. Running it again on the promoted server does no harm.
Result<PromoteReport> promote(const ProbeTarget& target, const Credentials& credentials,
                              uint64_t semi_sync_timeout_ms, int timeout_ms);

// The source to replicate from, and the replication account (REPLICATION
// SLAVE) the replica logs in to it with.
struct ReplicationSource {
  std::string host;
  uint16_t port = 3306;
  Credentials account;
};

struct RepointReport {
  // MariaDB: the server had written transactions of its own (a former
  // primary), so its replication position was first set to include them.
  bool demoted_former_primary = false;
  // Semi-synchronous replication is enabled as a replica.
  bool semi_sync_replica = false;
  // Its position when it started replicating from the new source.
  std::string gtid_position;
};

// Makes the server a replica of `source`: read_only=ON first, stop
// replication, CHANGE MASTER TO the source by GTID with a 1 s reconnection
// interval (a failover waits on it), semi-sync as a replica where the server
// has it (and not as a source: a replica's commits must not wait for
// acknowledgements), then START SLAVE. It does not wait for the replica to
// connect or catch up.
//
// MariaDB positions. The server replicates from its gtid_slave_pos
// (MASTER_USE_GTID=slave_pos), which holds only the transactions it
// replicated. A former primary's own transactions are in gtid_binlog_pos and
// gtid_current_pos but not there, so it would ask the new source for
// everything after its last replicated transaction (all of it, if it never
// replicated). It would skip those carrying its own server_id
// (replicate_same_server_id is off), but the source must still have them:
// once the source has purged those binary logs the replica cannot connect at
// all (error 1236, "Could not find GTID state requested by slave in any
// binlog files"); tests/mysql/admin_test.py shows the purged case working.
// MariaDB documents MASTER_DEMOTE_TO_SLAVE=1 (10.10+) for turning a former
// primary into a replica: at CHANGE MASTER it merges gtid_binlog_pos into
// gtid_slave_pos once, keeping Using_Gtid=Slave_Pos. MASTER_USE_GTID=
// current_pos would do it on every connection, so a stray local write on a
// replica would later move its replication position; MariaDB deprecates it
// for that reason (MDEV-20122). So repoint keeps slave_pos and, when
// gtid_binlog_pos holds GTIDs beyond gtid_slave_pos, adds
// MASTER_DEMOTE_TO_SLAVE=1 (before 10.10: SET GLOBAL gtid_slave_pos =
// gtid_current_pos, the same merge by hand). MySQL needs nothing of the
// kind: gtid_executed already holds every transaction the server has.
//
// Precondition (the caller's, mysqlctl/failover_plan.h): the server has no
// errant transactions relative to `source`, that is the source's position
// contains the server's. Repointing a server with errant transactions
// would make them part of its replication position; the source would then
// refuse it (MariaDB with gtid_strict_mode) or replicate around them.
Result<RepointReport> repoint(const ProbeTarget& target, const Credentials& credentials,
                              const ReplicationSource& source, int timeout_ms);

struct AppliedReport {
  // What the replica had received when its IO thread stopped (MariaDB
  // Gtid_IO_Pos, MySQL Retrieved_Gtid_Set).
  std::string received;
  // Its position once that was applied (gtid_current_pos / gtid_executed).
  std::string gtid_position;
};

// For a replica whose source is dead or fenced, so what it received is all
// it will get: stops the IO thread, reads what was received, and waits for
// the SQL thread to apply it (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET),
// within the timeout. Fails at once when the server replicates from nobody
// or its SQL thread is not running (it would never apply anything; the
// error carries the SQL thread's last error), and when the wait times out.
Result<AppliedReport> wait_relay_log_applied(const ProbeTarget& target,
                                             const Credentials& credentials, int timeout_ms);

// Starts the replication threads again (both; those already running are left
// so), as a failover that paused a candidate and then stopped does.
Result<std::string> resume_replication(const ProbeTarget& target, const Credentials& credentials,
                                       int timeout_ms);

// Stops the IO thread (the SQL thread goes on applying), so that nothing
// more arrives from the source: a failover does it to every replica before
// it reads what each received.
Result<std::string> stop_receiving(const ProbeTarget& target, const Credentials& credentials,
                                   int timeout_ms);

// Waits, within the timeout, until the server has applied `position` (a
// position in its flavour's syntax: what a switchover's fenced primary
// holds), with its replication left running. Returns its position then.
Result<std::string> wait_for_position(const ProbeTarget& target, const Credentials& credentials,
                                      const std::string& position, int timeout_ms);

enum class SemiSyncRole : uint8_t { kSource, kReplica };

struct SemiSyncReport {
  // The server has the role's semi-sync variables (MySQL: the plugin is
  // loaded; MariaDB has them built in).
  bool available = false;
  // Something was changed; false when it was already so.
  bool changed = false;
};

// Sets one semi-synchronous role on and the other off, as the agent does at
// start for the role its server has. As a source: wait point AFTER_SYNC (a
// transaction is visible to others only once a replica has it) and timeout
// `source_timeout_ms`. As a replica whose IO thread runs, a changed replica
// role restarts the IO thread, since the source learns it when the replica
// connects. Idempotent.
Result<SemiSyncReport> configure_semi_sync(const ProbeTarget& target,
                                           const Credentials& credentials, SemiSyncRole role,
                                           uint64_t source_timeout_ms, int timeout_ms);

// The server's GTID position now (gtid_current_pos / gtid_executed), for an
// errant-transaction check after a fence.
Result<std::string> read_gtid_position(const ProbeTarget& target, const Credentials& credentials,
                                       int timeout_ms);

// ---------------------------------------------------------------------------
// Statement text. Pure; exposed so that the quoting is unit-tested.

// `text` as a single-quoted SQL string literal. With backslash escapes (the
// default sql_mode) ' and \ are escaped with a backslash; under sql_mode
// NO_BACKSLASH_ESCAPES a backslash is an ordinary character and ' is
// doubled. Refuses a NUL byte, which no host, user or password holds. Assumes
// the connection's character set is UTF-8 (the connector's default), where
// no multi-byte character contains the byte of ' or \.
Result<std::string> sql_string_literal(std::string_view text, bool backslash_escapes);

// The CHANGE MASTER TO (MariaDB) or CHANGE REPLICATION SOURCE TO (MySQL)
// statement repoint() runs; `demote` adds MASTER_DEMOTE_TO_SLAVE=1 (MariaDB
// only). Fails when a value cannot be quoted, or the host or user is empty.
Result<std::string> change_source_statement(Flavour flavour, const ReplicationSource& source,
                                            bool backslash_escapes, bool demote);

}  // namespace warden::mysqlctl
