#include "mysqlctl/mysql_connection.h"

#include <exception>
#include <utility>

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

namespace warden::mysqlctl {
namespace {

// Client error codes of the MySQL/MariaDB client library (errmsg.h) and
// server error codes (mysqld_error.h) that explain() interprets; the
// connector's headers do not carry them.
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

// The library reports an expired connect or read timeout as a lost
// connection; a loss this close to the timeout is taken for the timeout.
constexpr int64_t kTimeoutSlackMs = 100;

sql::mysql::MySQL_Driver* driver() {
  // A function-local static: created once, thread-safely, on first use.
  static sql::mysql::MySQL_Driver* const instance = sql::mysql::get_mysql_driver_instance();
  return instance;
}

}  // namespace

MysqlSession::MysqlSession(const ProbeTarget& target, const Credentials& credentials,
                           int timeout_ms, std::string privilege_hint)
    : target_(target),
      credentials_(credentials),
      timeout_ms_(timeout_ms < 1 ? 1 : timeout_ms),
      privilege_hint_(std::move(privilege_hint)),
      start_(Clock::now()) {}

MysqlSession::~MysqlSession() {
  close();
}

void MysqlSession::connect() {
  step_ = "connecting";
  const int timeout_seconds = (timeout_ms_ + 999) / 1000;
  sql::ConnectOptionsMap options;
  // "tcp://" makes the library use TCP even for "localhost", which it
  // would otherwise take as its Unix socket.
  options["hostName"] = sql::SQLString("tcp://" + url_host() + ":" + std::to_string(target_.port));
  options["userName"] = sql::SQLString(credentials_.user);
  options["password"] = sql::SQLString(credentials_.password);
  options["OPT_CONNECT_TIMEOUT"] = timeout_seconds;
  options["OPT_READ_TIMEOUT"] = timeout_seconds;
  options["OPT_WRITE_TIMEOUT"] = timeout_seconds;
  // A reconnect would silently drop session state and hide a failure.
  options["OPT_RECONNECT"] = false;
  connection_.reset(driver()->connect(options));
}

void MysqlSession::close() noexcept {
  try {
    connection_.reset();
  } catch (...) {
    // The goodbye failed; the connection object is lost either way.
    (void)connection_.release();
  }
}

std::string MysqlSession::url_host() const {
  // An IPv6 literal needs brackets to be told from the port.
  if (target_.host.find(':') != std::string::npos) return "[" + target_.host + "]";
  return target_.host;
}

void MysqlSession::begin_step(std::string_view step) {
  step_ = std::string(step);
  const int64_t elapsed = elapsed_ms();
  if (elapsed >= timeout_ms_) {
    fail("timed out after " + std::to_string(elapsed) + " ms (timeout " +
         std::to_string(timeout_ms_) + " ms) before " + step_);
  }
  if (!connection_) fail("not connected before " + step_);
}

void MysqlSession::execute(std::string_view step, const std::string& statement) {
  begin_step(step);
  std::unique_ptr<sql::Statement> handle(connection_->createStatement());
  handle->execute(statement);
}

void MysqlSession::execute_hiding(std::string_view step, const std::string& statement,
                                  std::initializer_list<std::string_view> secrets) {
  try {
    execute(step, statement);
  } catch (...) {
    constexpr std::string_view kRedacted = "<redacted>";
    std::string text = explain_current_exception();
    for (std::string_view secret : secrets) {
      if (secret.empty()) continue;
      // Searching on after the replacement, which may itself hold the secret.
      for (size_t at = text.find(secret); at != std::string::npos;
           at = text.find(secret, at + kRedacted.size())) {
        text.replace(at, secret.size(), kRedacted);
      }
    }
    throw SessionFailure(text);
  }
}

std::unique_ptr<sql::ResultSet> MysqlSession::query(std::string_view step,
                                                    const std::string& statement) {
  begin_step(step);
  std::unique_ptr<sql::Statement> handle(connection_->createStatement());
  return std::unique_ptr<sql::ResultSet>(handle->executeQuery(statement));
}

std::map<std::string, std::string> MysqlSession::name_values(std::string_view step,
                                                             const std::string& statement) {
  std::unique_ptr<sql::ResultSet> rows = query(step, statement);
  std::map<std::string, std::string> values;
  while (rows->next()) values[std::string(rows->getString(1))] = std::string(rows->getString(2));
  return values;
}

std::vector<std::optional<std::string>> MysqlSession::first_row(std::string_view step,
                                                                const std::string& statement) {
  std::unique_ptr<sql::ResultSet> rows = query(step, statement);
  std::vector<std::optional<std::string>> columns;
  if (!rows->next()) return columns;
  const unsigned int count = rows->getMetaData()->getColumnCount();
  for (unsigned int column = 1; column <= count; ++column) {
    if (rows->isNull(column)) {
      columns.emplace_back();
    } else {
      columns.emplace_back(std::string(rows->getString(column)));
    }
  }
  return columns;
}

void MysqlSession::fail(const std::string& what) const {
  throw SessionFailure(where() + ": " + what);
}

std::string MysqlSession::explain_current_exception() const {
  std::string text;
  try {
    throw;
  } catch (const sql::SQLException& error) {
    text = explain_server_error(error.getErrorCode(), error.what());
  } catch (const SessionFailure& error) {
    text = error.what();
  } catch (const std::exception& error) {
    text = where() + ": " + step_ + " failed: " + error.what();
  } catch (...) {
    text = where() + ": " + step_ + " failed with an unknown exception";
  }
  return text;
}

std::string MysqlSession::explain_server_error(int code, const char* what) const {
  const int64_t elapsed = elapsed_ms();
  std::string meaning;
  // Login and connection failures only happen while connecting: saying so
  // again would be noise.
  bool name_step = true;
  switch (code) {
    case kAccessDenied:
      meaning =
          "login refused (wrong user or password, or the account may not log in from "
          "this host)";
      name_step = false;
      break;
    case kSpecificAccessDenied:
      meaning = "the account lacks a privilege " + privilege_hint_;
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
      meaning = elapsed + kTimeoutSlackMs >= timeout_ms_
                    ? "timed out after " + std::to_string(elapsed) + " ms (timeout " +
                          std::to_string(timeout_ms_) + " ms)"
                    : "connection lost";
      break;
    default:
      meaning = "failed";
  }
  std::string text = where() + ": " + meaning;
  if (name_step) text += " while " + step_;
  text += std::string(": ") + what;
  if (code != 0) text += " (MySQL error " + std::to_string(code) + ")";
  return text;
}

std::string MysqlSession::where() const {
  return target_.host + ":" + std::to_string(target_.port);
}

int64_t MysqlSession::elapsed_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
}

int64_t MysqlSession::remaining_ms() const {
  const int64_t left = timeout_ms_ - elapsed_ms();
  return left > 0 ? left : 0;
}

Row::Row(sql::ResultSet& results) : results_(results) {
  sql::ResultSetMetaData* meta = results.getMetaData();
  for (unsigned int column = 1; column <= meta->getColumnCount(); ++column) {
    columns_[std::string(meta->getColumnLabel(column))] = column;
  }
}

std::optional<std::string> Row::get(std::initializer_list<const char*> names) const {
  for (const char* name : names) {
    auto found = columns_.find(name);
    if (found == columns_.end()) continue;
    if (results_.isNull(found->second)) return std::nullopt;
    return std::string(results_.getString(found->second));
  }
  return std::nullopt;
}

std::string Row::text(std::initializer_list<const char*> names) const {
  return get(names).value_or("");
}

}  // namespace warden::mysqlctl
