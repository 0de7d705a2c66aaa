#include "mysqlctl/mysql_admin.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <cppconn/exception.h>
#include <cppconn/resultset.h>

#include "mysqlctl/mysql_connection.h"

namespace warden::mysqlctl {
namespace {

// Completes "the account lacks a privilege ..." in errors; the server's own
// message names the one it wanted.
constexpr const char* kAdminPrivileges =
    "the action needs (MariaDB: READ_ONLY ADMIN, CONNECTION ADMIN, PROCESS, RELOAD, REPLICATION "
    "SLAVE ADMIN, REPLICATION MASTER ADMIN, REPLICA MONITOR; MySQL: SYSTEM_VARIABLES_ADMIN, "
    "CONNECTION_ADMIN, PROCESS, RELOAD, REPLICATION_SLAVE_ADMIN, REPLICATION CLIENT)";

constexpr int kNoSuchThread = 1094;     // ER_NO_SUCH_THREAD: KILL of a connection already gone
constexpr int kLockWaitTimeout = 1205;  // ER_LOCK_WAIT_TIMEOUT

// Rounds of looking for client connections to kill: the second catches
// those that connected while the first killed; a client reconnecting in a
// loop is not chased for ever (read_only holds it off unless it has
// READ_ONLY ADMIN).
constexpr int kFenceRounds = 3;

// Time kept back from a server-side wait for its answer to arrive before the
// client library's read timeout.
constexpr int64_t kReplyMarginMs = 200;

// The statements that differ between the flavours.
struct Dialect {
  const char* stop_replication;
  const char* start_replication;
  const char* stop_io_thread;
  const char* start_io_thread;
  const char* reset_replication;
  const char* replication_status;
  // Column of the status: what the IO thread received.
  const char* received_column;
  // The position that counts every transaction the server has.
  const char* position_variable;
  // f(position, seconds): 0 once applied; MariaDB -1, MySQL 1 on timeout.
  const char* wait_function;
};

constexpr Dialect kMariaDBDialect{
    .stop_replication = "STOP SLAVE",
    .start_replication = "START SLAVE",
    .stop_io_thread = "STOP SLAVE IO_THREAD",
    .start_io_thread = "START SLAVE IO_THREAD",
    .reset_replication = "RESET SLAVE ALL",
    .replication_status = "SHOW SLAVE STATUS",
    .received_column = "Gtid_IO_Pos",
    .position_variable = "gtid_current_pos",
    .wait_function = "MASTER_GTID_WAIT",
};
constexpr Dialect kMySQLDialect{
    .stop_replication = "STOP REPLICA",
    .start_replication = "START REPLICA",
    .stop_io_thread = "STOP REPLICA IO_THREAD",
    .start_io_thread = "START REPLICA IO_THREAD",
    .reset_replication = "RESET REPLICA ALL",
    .replication_status = "SHOW REPLICA STATUS",
    .received_column = "Retrieved_Gtid_Set",
    .position_variable = "gtid_executed",
    .wait_function = "WAIT_FOR_EXECUTED_GTID_SET",
};

// An open session and what the action needs to know about its server.
struct Server {
  MysqlSession& session;
  Flavour flavour;
  std::string version;
  std::string connection_id;
  // False under sql_mode NO_BACKSLASH_ESCAPES: string literals differ.
  bool backslash_escapes;
  const Dialect& sql;
};

Server open_server(MysqlSession& session) {
  session.connect();
  const std::vector<std::optional<std::string>> row =
      session.first_row("reading the server's version",
                        "SELECT @@GLOBAL.version, CONNECTION_ID(), @@SESSION.sql_mode");
  if (row.size() != 3 || !row[0] || !row[1]) session.fail("the server did not report @@version");
  const Flavour flavour = flavour_of_version(*row[0]);
  const bool backslash_escapes =
      row[2].value_or("").find("NO_BACKSLASH_ESCAPES") == std::string::npos;
  return Server{.session = session,
                .flavour = flavour,
                .version = *row[0],
                .connection_id = *row[1],
                .backslash_escapes = backslash_escapes,
                .sql = flavour == Flavour::kMariaDB ? kMariaDBDialect : kMySQLDialect};
}

// Runs `body` on a fresh session; every failure becomes "<action>: <reason>".
template <class T, class Body>
Result<T> run_action(const char* action, const ProbeTarget& target, const Credentials& credentials,
                     int timeout_ms, Body&& body) {
  MysqlSession session(target, credentials, timeout_ms, kAdminPrivileges);
  try {
    Server server = open_server(session);
    return Result<T>::success(body(server));
  } catch (...) {
    return Result<T>::failure(std::string(action) + ": " + session.explain_current_exception());
  }
}

std::string literal(Server& server, std::string_view text, std::string_view what) {
  Result<std::string> quoted = sql_string_literal(text, server.backslash_escapes);
  if (!quoted.ok()) server.session.fail(std::string(what) + " " + quoted.error());
  return quoted.value();
}

std::string read_position(Server& server) {
  const std::string variable = server.sql.position_variable;
  const std::vector<std::optional<std::string>> row =
      server.session.first_row("reading " + variable, "SELECT @@GLOBAL." + variable);
  if (row.empty() || !row[0]) server.session.fail("the server did not report @@" + variable);
  return *row[0];
}

// ---------------------------------------------------------------------------
// Replication status

struct ReplicaState {
  std::string received;
  bool sql_running = false;
  std::string sql_thread_state;
  std::string last_sql_error;
};

// Fails when the server replicates from nobody.
ReplicaState read_replica_state(Server& server) {
  std::unique_ptr<sql::ResultSet> rows =
      server.session.query("reading replication status", server.sql.replication_status);
  if (!rows->next()) server.session.fail("replicates from nobody (no replication configured)");
  const Row row(*rows);
  if (row.text({"Master_Host", "Source_Host"}).empty()) {
    server.session.fail("replicates from nobody (no source host configured)");
  }
  ReplicaState state;
  state.received = row.text({server.sql.received_column});
  state.sql_thread_state = row.text({"Slave_SQL_Running", "Replica_SQL_Running"});
  state.sql_running = state.sql_thread_state == "Yes";
  state.last_sql_error = row.text({"Last_SQL_Error"});
  return state;
}

std::string sql_thread_failure(const ReplicaState& state) {
  std::string text = "its SQL thread is not running (" + state.sql_thread_state +
                     "), so what it received will not be applied";
  if (!state.last_sql_error.empty()) text += "; its last error: " + state.last_sql_error;
  return text;
}

// ---------------------------------------------------------------------------
// Semi-synchronous replication

// The semi-sync variables the server has. MySQL's plugins use either the
// source/replica names (8.0.26+) or master/slave; MariaDB has the latter
// built in.
struct SemiSync {
  std::map<std::string, std::string> values;
  std::string source_prefix;   // "rpl_semi_sync_source_", "rpl_semi_sync_master_" or ""
  std::string replica_prefix;  // "rpl_semi_sync_replica_", "rpl_semi_sync_slave_" or ""
};

SemiSync read_semi_sync(Server& server) {
  SemiSync semi_sync;
  // Named one by one rather than with LIKE, whose escapes depend on sql_mode.
  semi_sync.values = server.session.name_values(
      "reading semi-synchronous replication settings",
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_enabled', "
      "'rpl_semi_sync_master_timeout', 'rpl_semi_sync_master_wait_point', "
      "'rpl_semi_sync_source_enabled', 'rpl_semi_sync_source_timeout', "
      "'rpl_semi_sync_source_wait_point', 'rpl_semi_sync_slave_enabled', "
      "'rpl_semi_sync_replica_enabled')");
  const auto has = [&](const char* name) { return semi_sync.values.count(name) != 0; };
  if (has("rpl_semi_sync_source_enabled")) {
    semi_sync.source_prefix = "rpl_semi_sync_source_";
  } else if (has("rpl_semi_sync_master_enabled")) {
    semi_sync.source_prefix = "rpl_semi_sync_master_";
  }
  if (has("rpl_semi_sync_replica_enabled")) {
    semi_sync.replica_prefix = "rpl_semi_sync_replica_";
  } else if (has("rpl_semi_sync_slave_enabled")) {
    semi_sync.replica_prefix = "rpl_semi_sync_slave_";
  }
  return semi_sync;
}

// SET GLOBAL <name> = <value> unless it is so already; whether it changed.
// Values are keywords and numbers, never user text.
bool ensure_global(Server& server, const SemiSync& semi_sync, const std::string& name,
                   const std::string& value) {
  const auto found = semi_sync.values.find(name);
  if (found != semi_sync.values.end() && found->second == value) return false;
  server.session.execute("setting " + name + "=" + value, "SET GLOBAL " + name + " = " + value);
  return true;
}

// Switches the source role on or off; whether anything changed.
bool set_source_role(Server& server, const SemiSync& semi_sync, bool on, uint64_t timeout_ms) {
  const std::string& prefix = semi_sync.source_prefix;
  if (prefix.empty()) return false;
  bool changed = false;
  if (on) {
    // Wait point and timeout first, so the role never runs with other settings.
    changed |= ensure_global(server, semi_sync, prefix + "wait_point", "AFTER_SYNC");
    changed |= ensure_global(server, semi_sync, prefix + "timeout", std::to_string(timeout_ms));
  }
  changed |= ensure_global(server, semi_sync, prefix + "enabled", on ? "ON" : "OFF");
  return changed;
}

bool set_replica_role(Server& server, const SemiSync& semi_sync, bool on) {
  if (semi_sync.replica_prefix.empty()) return false;
  return ensure_global(server, semi_sync, semi_sync.replica_prefix + "enabled", on ? "ON" : "OFF");
}

// Sets one role on and the other off, the one being left first, so the
// server never holds both. `running_replica`: the IO thread is to reconnect
// if the replica role changed, since the source learns it then.
SemiSyncReport set_semi_sync_role(Server& server, SemiSyncRole role, uint64_t timeout_ms,
                                  bool running_replica) {
  const SemiSync semi_sync = read_semi_sync(server);
  const bool source = role == SemiSyncRole::kSource;
  bool source_changed = false;
  bool replica_changed = false;
  if (source) {
    replica_changed = set_replica_role(server, semi_sync, false);
    source_changed = set_source_role(server, semi_sync, true, timeout_ms);
  } else {
    source_changed = set_source_role(server, semi_sync, false, timeout_ms);
    replica_changed = set_replica_role(server, semi_sync, true);
  }
  if (replica_changed && running_replica) {
    server.session.execute("reconnecting the IO thread", server.sql.stop_io_thread);
    server.session.execute("reconnecting the IO thread", server.sql.start_io_thread);
  }
  SemiSyncReport report;
  report.available = !(source ? semi_sync.source_prefix : semi_sync.replica_prefix).empty();
  report.changed = source_changed || replica_changed;
  return report;
}

// Whether the server has a replication row with a running IO thread; no row
// is no replica.
bool io_thread_running(Server& server) {
  std::unique_ptr<sql::ResultSet> rows =
      server.session.query("reading replication status", server.sql.replication_status);
  if (!rows->next()) return false;
  return Row(*rows).text({"Slave_IO_Running", "Replica_IO_Running"}) == "Yes";
}

// ---------------------------------------------------------------------------
// fence

bool kept_connection(const std::string& user, const std::string& command) {
  // Replicas pulling the binary log: they must get what they lack.
  if (command == "Binlog Dump" || command == "Binlog Dump GTID") return true;
  // The server's own threads: replication IO/SQL/workers run as "system
  // user", the event scheduler as a daemon.
  return user == "system user" || user == "event_scheduler" || command == "Daemon" ||
         command == "Delayed insert";
}

std::vector<uint64_t> client_connections(Server& server, const std::set<uint64_t>& skip) {
  std::unique_ptr<sql::ResultSet> rows =
      server.session.query("listing connections", "SHOW PROCESSLIST");
  const Row row(*rows);
  std::vector<uint64_t> ids;
  while (rows->next()) {
    const std::string id_text = row.text({"Id"});
    uint64_t id = 0;
    const auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (error != std::errc() || end != id_text.data() + id_text.size()) {
      server.session.fail("SHOW PROCESSLIST gave the connection id '" + id_text + "'");
    }
    if (id_text == server.connection_id || skip.count(id) != 0) continue;
    if (kept_connection(row.text({"User"}), row.text({"Command"}))) continue;
    ids.push_back(id);
  }
  return ids;
}

// False when the connection had already gone.
bool kill_connection(Server& server, uint64_t id) {
  try {
    server.session.execute("killing connection " + std::to_string(id),
                           "KILL CONNECTION " + std::to_string(id));
    return true;
  } catch (const sql::SQLException& error) {
    if (error.getErrorCode() == kNoSuchThread) return false;
    throw;
  }
}

// One round of kills, skipping (and adding to) those already killed;
// whether it found anyone.
bool kill_clients(Server& server, std::set<uint64_t>& killed, FenceReport& report) {
  const std::vector<uint64_t> clients = client_connections(server, killed);
  for (uint64_t id : clients) {
    if (kill_connection(server, id)) ++report.killed_connections;
    killed.insert(id);
  }
  return !clients.empty();
}

// SET GLOBAL read_only=ON waits for running writes to finish. When one does
// not finish within a second, the clients are killed first (ending the
// write) and it is tried again, until the deadline: a stuck write must not
// hold the fence off.
void set_read_only_on(Server& server, std::set<uint64_t>& killed, FenceReport& report) {
  server.session.execute("limiting lock waits", "SET SESSION lock_wait_timeout = 1");
  while (true) {
    try {
      server.session.execute("setting read_only=ON", "SET GLOBAL read_only = ON");
      return;
    } catch (const sql::SQLException& error) {
      if (error.getErrorCode() != kLockWaitTimeout) throw;
    }
    kill_clients(server, killed, report);
  }
}

FenceReport fence_server(Server& server) {
  // Without PROCESS, SHOW PROCESSLIST lists only the account's own
  // connections and the fence would kill nobody without a word. Reading
  // InnoDB's transaction table needs that privilege, and says so (with LIMIT
  // 0 MariaDB skips the table and the check).
  server.session.query("checking the PROCESS privilege (to see other users' connections)",
                       "SELECT COUNT(*) FROM information_schema.INNODB_TRX");
  FenceReport report;
  std::set<uint64_t> killed;
  set_read_only_on(server, killed, report);
  for (int round = 0; round < kFenceRounds; ++round) {
    if (!kill_clients(server, killed, report)) break;
  }
  return report;
}

// ---------------------------------------------------------------------------
// promote

PromoteReport promote_server(Server& server, uint64_t semi_sync_timeout_ms) {
  server.session.execute("stopping replication", server.sql.stop_replication);
  server.session.execute("removing the replication configuration", server.sql.reset_replication);
  PromoteReport report;
  report.semi_sync_source =
      set_semi_sync_role(server, SemiSyncRole::kSource, semi_sync_timeout_ms, false).available;
  // Last: until now a client could not write to a half-promoted server.
  server.session.execute("setting read_only=OFF", "SET GLOBAL read_only = OFF");
  report.gtid_position = read_position(server);
  return report;
}

// ---------------------------------------------------------------------------
// repoint

// MASTER_DEMOTE_TO_SLAVE came with MariaDB 10.10.
bool has_demote_option(const std::string& version) {
  int major = 0;
  int minor = 0;
  const char* end = version.data() + version.size();
  const auto [dot, major_error] = std::from_chars(version.data(), end, major);
  if (major_error != std::errc() || dot == end || *dot != '.') return false;
  if (std::from_chars(dot + 1, end, minor).ec != std::errc()) return false;
  return major > 10 || (major == 10 && minor >= 10);
}

MariaPosition parse_mariadb_position(Server& server, const char* name, const std::string& text) {
  Result<MariaPosition> position = MariaPosition::parse(text);
  if (!position.ok()) server.session.fail("@@" + std::string(name) + ": " + position.error());
  return std::move(position).value();
}

// MariaDB: whether the server wrote transactions its replication position
// lacks (a former primary; see repoint() in the header). If so and the
// server predates MASTER_DEMOTE_TO_SLAVE, merges them in by hand.
bool adopt_own_transactions(Server& server) {
  const std::vector<std::optional<std::string>> row = server.session.first_row(
      "reading GTID positions",
      "SELECT @@GLOBAL.gtid_slave_pos, @@GLOBAL.gtid_binlog_pos, @@GLOBAL.gtid_current_pos");
  if (row.size() != 3) server.session.fail("the server did not report its GTID positions");
  const MariaPosition slave = parse_mariadb_position(server, "gtid_slave_pos", row[0].value_or(""));
  const MariaPosition binlog =
      parse_mariadb_position(server, "gtid_binlog_pos", row[1].value_or(""));
  if (slave.contains(binlog)) return false;
  if (!has_demote_option(server.version)) {
    server.session.execute(
        "setting gtid_slave_pos to gtid_current_pos",
        "SET GLOBAL gtid_slave_pos = " + literal(server, row[2].value_or(""), "gtid_current_pos"));
  }
  return true;
}

std::string checked_change_statement(Server& server, const ReplicationSource& source, bool demote) {
  Result<std::string> statement =
      change_source_statement(server.flavour, source, server.backslash_escapes, demote);
  if (!statement.ok()) server.session.fail(statement.error());
  return statement.value();
}

RepointReport repoint_server(Server& server, const ReplicationSource& source) {
  // Built before anything changes, so a value that cannot be quoted changes
  // nothing.
  std::string change = checked_change_statement(server, source, false);
  server.session.execute("setting read_only=ON", "SET GLOBAL read_only = ON");
  server.session.execute("stopping replication", server.sql.stop_replication);
  RepointReport report;
  if (server.flavour == Flavour::kMariaDB) {
    report.demoted_former_primary = adopt_own_transactions(server);
    if (report.demoted_former_primary && has_demote_option(server.version)) {
      change = checked_change_statement(server, source, true);
    }
  }
  const std::string password = source.account.password;
  server.session.execute_hiding(
      "pointing replication at " + source.host + ":" + std::to_string(source.port), change,
      {password, literal(server, password, "the replication password")});
  // The source timeout is not used: the source role goes off. START SLAVE
  // below connects with the new replica role, so no reconnection is needed.
  report.semi_sync_replica = set_semi_sync_role(server, SemiSyncRole::kReplica, 0, false).available;
  server.session.execute("starting replication", server.sql.start_replication);
  report.gtid_position = read_position(server);
  return report;
}

// ---------------------------------------------------------------------------
// wait_relay_log_applied

// `seconds` as the wait function takes it. MariaDB takes fractions; MySQL is
// given whole seconds, at least one, and the client's read timeout bounds it.
std::string wait_seconds(const Server& server, int64_t wait_ms) {
  if (wait_ms < 0) wait_ms = 0;
  if (server.flavour == Flavour::kMySQL) return std::to_string(wait_ms < 1000 ? 1 : wait_ms / 1000);
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(wait_ms / 1000),
                static_cast<long long>(wait_ms % 1000));
  return text;
}

// Whether the SQL thread applied `position` before the deadline.
bool wait_applied(Server& server, const std::string& position) {
  const std::string statement =
      std::string("SELECT ") + server.sql.wait_function + "(" +
      literal(server, position, "the received position") + ", " +
      wait_seconds(server, server.session.remaining_ms() - kReplyMarginMs) + ")";
  const std::vector<std::optional<std::string>> row =
      server.session.first_row("waiting for the SQL thread to apply " + position, statement);
  return !row.empty() && row[0] == "0";
}

AppliedReport wait_applied_server(Server& server) {
  server.session.execute("stopping the IO thread", server.sql.stop_io_thread);
  const ReplicaState state = read_replica_state(server);
  if (!state.sql_running) server.session.fail(sql_thread_failure(state));
  AppliedReport report;
  report.received = state.received;
  if (!wait_applied(server, state.received)) {
    const ReplicaState now = read_replica_state(server);
    if (!now.sql_running) server.session.fail(sql_thread_failure(now));
    server.session.fail("its SQL thread had not applied " + state.received + " after " +
                        std::to_string(server.session.elapsed_ms()) + " ms (timeout " +
                        std::to_string(server.session.timeout_ms()) + " ms); it is at " +
                        read_position(server));
  }
  report.gtid_position = read_position(server);
  return report;
}

}  // namespace

// ---------------------------------------------------------------------------

Result<FenceReport> fence(const ProbeTarget& target, const Credentials& credentials,
                          int timeout_ms) {
  return run_action<FenceReport>("fence", target, credentials, timeout_ms, fence_server);
}

Result<PromoteReport> promote(const ProbeTarget& target, const Credentials& credentials,
                              uint64_t semi_sync_timeout_ms, int timeout_ms) {
  return run_action<PromoteReport>("promote", target, credentials, timeout_ms, [&](Server& server) {
    return promote_server(server, semi_sync_timeout_ms);
  });
}

Result<RepointReport> repoint(const ProbeTarget& target, const Credentials& credentials,
                              const ReplicationSource& source, int timeout_ms) {
  return run_action<RepointReport>("repoint", target, credentials, timeout_ms,
                                   [&](Server& server) { return repoint_server(server, source); });
}

Result<AppliedReport> wait_relay_log_applied(const ProbeTarget& target,
                                             const Credentials& credentials, int timeout_ms) {
  return run_action<AppliedReport>("wait-applied", target, credentials, timeout_ms,
                                   wait_applied_server);
}

Result<std::string> resume_replication(const ProbeTarget& target, const Credentials& credentials,
                                       int timeout_ms) {
  return run_action<std::string>(
      "resume replication", target, credentials, timeout_ms, [](Server& server) {
        server.session.execute("starting replication", server.sql.start_replication);
        return "replication started at " + read_position(server);
      });
}

Result<std::string> stop_receiving(const ProbeTarget& target, const Credentials& credentials,
                                   int timeout_ms) {
  return run_action<std::string>(
      "stop receiving", target, credentials, timeout_ms, [](Server& server) {
        server.session.execute("stopping the IO thread", server.sql.stop_io_thread);
        return "IO thread stopped, received " + read_replica_state(server).received;
      });
}

Result<std::string> wait_for_position(const ProbeTarget& target, const Credentials& credentials,
                                      const std::string& position, int timeout_ms) {
  return run_action<std::string>(
      "wait-for-position", target, credentials, timeout_ms, [&](Server& server) {
        if (!wait_applied(server, position)) {
          server.session.fail("it had not applied " + position + " within the timeout (it is at " +
                              read_position(server) + ")");
        }
        return read_position(server);
      });
}

Result<SemiSyncReport> configure_semi_sync(const ProbeTarget& target,
                                           const Credentials& credentials, SemiSyncRole role,
                                           uint64_t source_timeout_ms, int timeout_ms) {
  return run_action<SemiSyncReport>(
      "configure semi-sync", target, credentials, timeout_ms, [&](Server& server) {
        const bool running_replica = role == SemiSyncRole::kReplica && io_thread_running(server);
        return set_semi_sync_role(server, role, source_timeout_ms, running_replica);
      });
}

Result<std::string> read_gtid_position(const ProbeTarget& target, const Credentials& credentials,
                                       int timeout_ms) {
  return run_action<std::string>("read GTID position", target, credentials, timeout_ms,
                                 read_position);
}

Result<std::string> sql_string_literal(std::string_view text, bool backslash_escapes) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\0') return Result<std::string>::failure("contains a NUL byte");
    // A doubled quote means one quote in either sql_mode.
    if (c == '\'') {
      quoted += "''";
    } else if (c == '\\' && backslash_escapes) {
      quoted += "\\\\";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return Result<std::string>::success(std::move(quoted));
}

Result<std::string> change_source_statement(Flavour flavour, const ReplicationSource& source,
                                            bool backslash_escapes, bool demote) {
  using Text = Result<std::string>;
  if (source.host.empty()) return Text::failure("the source host is empty");
  if (source.port == 0) return Text::failure("the source port is 0");
  if (source.account.user.empty()) return Text::failure("the replication user is empty");
  if (demote && flavour != Flavour::kMariaDB) {
    return Text::failure("MASTER_DEMOTE_TO_SLAVE is MariaDB's; MySQL needs no demotion");
  }
  const Text host = sql_string_literal(source.host, backslash_escapes);
  if (!host.ok()) return Text::failure("the source host " + host.error());
  const Text user = sql_string_literal(source.account.user, backslash_escapes);
  if (!user.ok()) return Text::failure("the replication user " + user.error());
  const Text password = sql_string_literal(source.account.password, backslash_escapes);
  if (!password.ok()) return Text::failure("the replication password " + password.error());

  const bool mariadb = flavour == Flavour::kMariaDB;
  const std::string option = mariadb ? "MASTER_" : "SOURCE_";
  std::string statement = mariadb ? "CHANGE MASTER TO " : "CHANGE REPLICATION SOURCE TO ";
  statement += option + "HOST=" + host.value() + ", " + option +
               "PORT=" + std::to_string(source.port) + ", " + option + "USER=" + user.value() +
               ", " + option + "PASSWORD=" + password.value() + ", ";
  // Reconnect after a second, not the default minute: a failover waits on it.
  statement += mariadb ? "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1"
                       : "SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1";
  if (demote) statement += ", MASTER_DEMOTE_TO_SLAVE=1";
  return Text::success(std::move(statement));
}

}  // namespace warden::mysqlctl
