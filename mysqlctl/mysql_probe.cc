#include "mysqlctl/mysql_probe.h"

#include <charconv>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

namespace warden::mysqlctl {
namespace {

using Clock = std::chrono::steady_clock;

// Client error codes of the MySQL/MariaDB client library (errmsg.h) and
// server error codes (mysqld_error.h) the probe explains; the connector's
// headers do not carry them.
constexpr int kAccessDenied = 1045;          // ER_ACCESS_DENIED_ERROR
constexpr int kSpecificAccessDenied = 1227;  // ER_SPECIFIC_ACCESS_DENIED_ERROR
// MariaDB Connector/C, which Debian's connector uses, reports a refused TCP
// connection as CR_CONNECTION_ERROR; MySQL's client as CR_CONN_HOST_ERROR.
constexpr int kConnectionError = 2002;     // CR_CONNECTION_ERROR
constexpr int kCannotConnect = 2003;       // CR_CONN_HOST_ERROR
constexpr int kUnknownHost = 2005;         // CR_UNKNOWN_HOST
constexpr int kServerGone = 2006;          // CR_SERVER_GONE_ERROR
constexpr int kServerLost = 2013;          // CR_SERVER_LOST
constexpr int kServerLostExtended = 2055;  // CR_SERVER_LOST_EXTENDED (MySQL's client)

// The variables read in the first statement, which is also the liveness
// check: the server answered a query. One statement, so the positions and
// read_only are seen at one moment; SHOW rather than SELECT @@x, because a
// variable the flavour lacks is then absent, not an error.
constexpr const char* kVariablesQuery =
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'server_id', 'read_only', "
    "'gtid_current_pos', 'gtid_slave_pos', 'gtid_binlog_pos', 'gtid_executed', "
    "'rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled')";
constexpr const char* kSemiSyncStatusQuery =
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', "
    "'Rpl_semi_sync_source_status')";

class ProbeFailed : public std::exception {
 public:
  explicit ProbeFailed(std::string why) : why_(std::move(why)) {}
  const char* what() const noexcept override { return why_.c_str(); }

 private:
  std::string why_;
};

int64_t elapsed_ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::optional<uint64_t> parse_unsigned(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool is_on(const std::string& value) {
  return value == "ON" || value == "1";
}

// One row of a result set by column name, for the replication status whose
// column names differ between flavours and versions.
class Row {
 public:
  explicit Row(sql::ResultSet& results) : results_(results) {
    sql::ResultSetMetaData* meta = results.getMetaData();
    for (unsigned int column = 1; column <= meta->getColumnCount(); ++column) {
      columns_[std::string(meta->getColumnLabel(column))] = column;
    }
  }

  // The first of the names present; absent when none is, or it is NULL.
  std::optional<std::string> get(std::initializer_list<const char*> names) const {
    for (const char* name : names) {
      auto found = columns_.find(name);
      if (found == columns_.end()) continue;
      if (results_.isNull(found->second)) return std::nullopt;
      return std::string(results_.getString(found->second));
    }
    return std::nullopt;
  }
  std::string text(std::initializer_list<const char*> names) const {
    return get(names).value_or("");
  }

 private:
  sql::ResultSet& results_;
  std::map<std::string, uint32_t> columns_;
};

class Prober {
 public:
  Prober(const ProbeTarget& target, const Credentials& credentials, int timeout_ms)
      : target_(target),
        credentials_(credentials),
        timeout_ms_(timeout_ms < 1 ? 1 : timeout_ms),
        start_(Clock::now()) {}

  ProbeResult run() {
    ProbeResult result;
    try {
      probe_into(result);
      result.completed = true;
    } catch (const sql::SQLException& error) {
      result.error = explain(error);
    } catch (const ProbeFailed& error) {
      result.error = error.what();
    } catch (const std::exception& error) {
      result.error = step_ + " failed: " + error.what();
    } catch (...) {
      result.error = step_ + " failed with an unknown exception";
    }
    // Closing sends a goodbye the server may never read; it is bounded by
    // the write timeout and must not escape either.
    try {
      connection_.reset();
    } catch (...) {
      (void)connection_.release();
    }
    result.elapsed_ms = elapsed_ms_since(start_);
    return result;
  }

 private:
  void probe_into(ProbeResult& result) {
    connect();
    read_variables(result);
    if (result.semi_sync_source_enabled) read_semi_sync_status(result);
    read_replication(result);
  }

  void connect() {
    step_ = "connecting";
    // A function-local static: created once, thread-safely, on first use.
    static sql::mysql::MySQL_Driver* const driver = sql::mysql::get_mysql_driver_instance();
    // The client library counts whole seconds.
    const int timeout_seconds = (timeout_ms_ + 999) / 1000;
    sql::ConnectOptionsMap options;
    // "tcp://" makes the library use TCP even for "localhost", which it
    // would otherwise take as its Unix socket.
    options["hostName"] =
        sql::SQLString("tcp://" + url_host() + ":" + std::to_string(target_.port));
    options["userName"] = sql::SQLString(credentials_.user);
    options["password"] = sql::SQLString(credentials_.password);
    options["OPT_CONNECT_TIMEOUT"] = timeout_seconds;
    options["OPT_READ_TIMEOUT"] = timeout_seconds;
    options["OPT_WRITE_TIMEOUT"] = timeout_seconds;
    options["OPT_RECONNECT"] = false;
    connection_.reset(driver->connect(options));
  }

  std::string url_host() const {
    // An IPv6 literal needs brackets to be told from the port.
    if (target_.host.find(':') != std::string::npos) return "[" + target_.host + "]";
    return target_.host;
  }

  // A statement's results, after checking the deadline: a server that
  // answers each statement just within the read timeout must not stretch
  // the probe to several timeouts.
  std::unique_ptr<sql::ResultSet> query(const char* step, const char* sql_text) {
    step_ = step;
    check_deadline();
    std::unique_ptr<sql::Statement> statement(connection_->createStatement());
    return std::unique_ptr<sql::ResultSet>(statement->executeQuery(sql_text));
  }

  void check_deadline() const {
    const int64_t elapsed_ms = elapsed_ms_since(start_);
    if (elapsed_ms >= timeout_ms_) {
      throw ProbeFailed(where() + ": timed out after " + std::to_string(elapsed_ms) +
                        " ms (timeout " + std::to_string(timeout_ms_) + " ms) before " + step_);
    }
  }

  void read_variables(ProbeResult& result) {
    std::unique_ptr<sql::ResultSet> rows = query("reading server variables", kVariablesQuery);
    std::map<std::string, std::string> variables;
    while (rows->next()) {
      variables[std::string(rows->getString(1))] = std::string(rows->getString(2));
    }
    const auto variable = [&](const char* name) -> std::optional<std::string> {
      auto found = variables.find(name);
      if (found == variables.end()) return std::nullopt;
      return found->second;
    };
    const auto required = [&](const char* name) -> std::string {
      std::optional<std::string> value = variable(name);
      if (!value) throw ProbeFailed(where() + ": the server did not report @@" + name);
      return *value;
    };

    result.version = required("version");
    result.flavour = flavour_of_version(result.version);
    const std::string server_id = required("server_id");
    const std::optional<uint64_t> parsed_id = parse_unsigned(server_id);
    if (!parsed_id || *parsed_id > UINT32_MAX) {
      throw ProbeFailed(where() + ": @@server_id '" + server_id + "' is not a server id");
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
  }

  void read_semi_sync_status(ProbeResult& result) {
    std::unique_ptr<sql::ResultSet> rows =
        query("reading semi-synchronous replication status", kSemiSyncStatusQuery);
    while (rows->next()) result.semi_sync_source_active = is_on(std::string(rows->getString(2)));
  }

  void read_replication(ProbeResult& result) {
    // MariaDB: the default connection of multi-source replication, which is
    // the one Warden manages. MySQL 8.0.22+ has the REPLICA spelling (and
    // 8.4 only that one), with Replica_/Source_ column names.
    const bool mariadb = result.flavour == Flavour::kMariaDB;
    std::unique_ptr<sql::ResultSet> rows =
        query("reading replication status", mariadb ? "SHOW SLAVE STATUS" : "SHOW REPLICA STATUS");
    if (!rows->next()) return;
    const Row row(*rows);
    ReplicationStatus status;
    status.source_host = row.text({"Master_Host", "Source_Host"});
    // RESET SLAVE ALL leaves no row; a row without a source is the same.
    if (status.source_host.empty()) return;
    const std::string port = row.text({"Master_Port", "Source_Port"});
    const std::optional<uint64_t> parsed_port = parse_unsigned(port);
    status.source_port =
        parsed_port && *parsed_port <= UINT16_MAX ? static_cast<uint16_t>(*parsed_port) : 0;
    status.io_thread_state = row.text({"Slave_IO_Running", "Replica_IO_Running"});
    status.sql_thread_state = row.text({"Slave_SQL_Running", "Replica_SQL_Running"});
    if (std::optional<std::string> lag =
            row.get({"Seconds_Behind_Master", "Seconds_Behind_Source"})) {
      status.seconds_behind_source = parse_unsigned(*lag);
    }
    status.last_io_error = row.text({"Last_IO_Error"});
    status.last_sql_error = row.text({"Last_SQL_Error"});
    result.replication = std::move(status);
  }

  std::string where() const { return target_.host + ":" + std::to_string(target_.port); }

  // What went wrong, for an operator: the server's own words (which name the
  // account, as in "Access denied for user 'x'@'y'") and what they mean.
  std::string explain(const sql::SQLException& error) const {
    const int code = error.getErrorCode();
    const int64_t elapsed_ms = elapsed_ms_since(start_);
    std::string meaning;
    // Login and connection failures only happen while connecting: saying
    // so again would be noise.
    bool name_step = true;
    switch (code) {
      case kAccessDenied:
        meaning =
            "login refused (wrong user or password, or the account may not log in from "
            "this host)";
        name_step = false;
        break;
      case kSpecificAccessDenied:
        meaning =
            "the account lacks a privilege the probe needs (REPLICA MONITOR on MariaDB, "
            "REPLICATION CLIENT on MySQL)";
        break;
      case kConnectionError:
      case kCannotConnect:
      case kUnknownHost:
        meaning = "cannot connect";
        name_step = false;
        break;
      case kServerGone:
      case kServerLost:
      case kServerLostExtended:
        // The library reports an expired connect or read timeout as a lost
        // connection; the time taken tells them apart.
        meaning = elapsed_ms + 100 >= timeout_ms_
                      ? "timed out after " + std::to_string(elapsed_ms) + " ms (timeout " +
                            std::to_string(timeout_ms_) + " ms)"
                      : "connection lost";
        break;
      default:
        meaning = "failed";
    }
    std::string text = where() + ": " + meaning;
    if (name_step) text += " while " + step_;
    text += std::string(": ") + error.what();
    if (code != 0) text += " (MySQL error " + std::to_string(code) + ")";
    return text;
  }

  const ProbeTarget& target_;
  const Credentials& credentials_;
  const int timeout_ms_;
  const Clock::time_point start_;
  std::string step_ = "starting";
  std::unique_ptr<sql::Connection> connection_;
};

}  // namespace

ProbeResult probe(const ProbeTarget& target, const Credentials& credentials, int timeout_ms) {
  return Prober(target, credentials, timeout_ms).run();
}

}  // namespace warden::mysqlctl
