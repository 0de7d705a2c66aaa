#include "mysqlctl/mysql_probe.h"

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <cppconn/resultset.h>

#include "mysqlctl/mysql_connection.h"

namespace warden::mysqlctl {
namespace {

// Completes "the account lacks a privilege ..." in errors.
constexpr const char* kProbePrivileges =
    "the probe needs (REPLICA MONITOR on MariaDB, REPLICATION CLIENT on MySQL)";

// The variables read in the first statement, which is also the liveness
// check: the server answered a query. One statement, so the positions and
// read_only are seen at one moment; SHOW rather than SELECT @@x, because a
// variable the flavour lacks is then absent, not an error.
constexpr const char* kVariablesQuery =
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'server_id', 'read_only', "
    "'gtid_current_pos', 'gtid_slave_pos', 'gtid_binlog_pos', 'gtid_executed', "
    "'rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled', "
    "'rpl_semi_sync_master_timeout', 'rpl_semi_sync_source_timeout')";
constexpr const char* kSemiSyncStatusQuery =
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', "
    "'Rpl_semi_sync_source_status', 'Rpl_semi_sync_master_clients', "
    "'Rpl_semi_sync_source_clients')";

std::optional<uint64_t> parse_unsigned(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_on(const std::string& value) {
  return value == "ON" || value == "1";
}

void read_variables(MysqlSession& session, ProbeResult& result) {
  const std::map<std::string, std::string> variables =
      session.name_values("reading server variables", kVariablesQuery);
  const auto variable = [&](const char* name) -> std::optional<std::string> {
    auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
  const auto required = [&](const char* name) -> std::string {
    std::optional<std::string> value = variable(name);
    if (!value) session.fail(std::string("the server did not report @@") + name);
    return *value;
  };

  result.version = required("version");
  result.flavour = flavour_of_version(result.version);
  const std::string server_id = required("server_id");
  const std::optional<uint64_t> parsed_id = parse_unsigned(server_id);
  if (!parsed_id || *parsed_id > UINT32_MAX) {
    session.fail("@@server_id '" + server_id + "' is not a server id");
  }
  result.server_id = static_cast<uint32_t>(*parsed_id);
  result.read_only = is_on(required("read_only"));
  if (result.flavour == Flavour::kMariaDB) {
    result.gtid_current_pos = required("gtid_current_pos");
    result.gtid_slave_pos = required("gtid_slave_pos");
    result.gtid_binlog_pos = required("gtid_binlog_pos");
  } else {
    result.gtid_executed = required("gtid_executed");
  }
  std::optional<std::string> semi_sync = variable("rpl_semi_sync_master_enabled");
  if (!semi_sync) semi_sync = variable("rpl_semi_sync_source_enabled");
  if (semi_sync) result.semi_sync_source_enabled = is_on(*semi_sync);
  std::optional<std::string> timeout = variable("rpl_semi_sync_master_timeout");
  if (!timeout) timeout = variable("rpl_semi_sync_source_timeout");
  if (timeout) result.semi_sync_source_timeout_ms = parse_unsigned(*timeout);
}

void read_semi_sync_status(MysqlSession& session, ProbeResult& result) {
  const std::map<std::string, std::string> status =
      session.name_values("reading semi-synchronous replication status", kSemiSyncStatusQuery);
  for (const auto& [name, value] : status) {
    if (name.ends_with("_status")) {
      result.semi_sync_source_active = is_on(value);
    } else if (name.ends_with("_clients")) {
      result.semi_sync_source_clients = parse_unsigned(value);
    }
  }
}

void read_replication(MysqlSession& session, ProbeResult& result) {
  // MariaDB: the default connection of multi-source replication, which is
  // the one Warden manages. MySQL 8.0.22+ has the REPLICA spelling (and 8.4
  // only that one), with Replica_/Source_ column names.
  const bool mariadb = result.flavour == Flavour::kMariaDB;
  std::unique_ptr<sql::ResultSet> rows = session.query(
      "reading replication status", mariadb ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS");
  if (!rows->next()) return;
  const Row row(*rows);
  ReplicationStatus status;
  status.source_host = row.text({"Master_Host", "Source_Host"});
  // RESET SLAVE ALL leaves no row; a row without a source is the same.
  if (status.source_host.empty()) return;
  const std::optional<uint64_t> port = parse_unsigned(row.text({"Master_Port", "Source_Port"}));
  status.source_port = port && *port <= UINT16_MAX ? static_cast<uint16_t>(*port) : 0;
  status.io_thread_state = row.text({"Slave_IO_Running", "Replica_IO_Running"});
  status.sql_thread_state = row.text({"Slave_SQL_Running", "Replica_SQL_Running"});
  if (std::optional<std::string> lag =
          row.get({"Seconds_Behind_Master", "Seconds_Behind_Source"})) {
    status.seconds_behind_source = parse_unsigned(*lag);
  }
  status.last_io_error = row.text({"Last_IO_Error"});
  status.last_sql_error = row.text({"Last_SQL_Error"});
  status.received_gtid = row.text({"Gtid_IO_Pos", "Retrieved_Gtid_Set"});
  result.replication = std::move(status);
}

}  // namespace

ProbeResult probe(const ProbeTarget& target, const Credentials& credentials, int timeout_ms) {
  MysqlSession session(target, credentials, timeout_ms, kProbePrivileges);
  ProbeResult result;
  try {
    session.connect();
    read_variables(session, result);
    if (result.semi_sync_source_enabled) read_semi_sync_status(session, result);
    read_replication(session, result);
    result.completed = true;
  } catch (...) {
    result.error = session.explain_current_exception();
  }
  session.close();
  result.elapsed_ms = session.elapsed_ms();
  return result;
}

}  // namespace warden::mysqlctl
