// One connection to a MySQL or MariaDB server over MySQL Connector/C++ 1.1,
// shared by the agent's probe (mysqlctl/mysql_probe.h) and its actions
// (mysqlctl/mysql_admin.h): log in over TCP within a time bound, run
// statements under one deadline, read rows by column name, and say in an
// operator's words what failed (access denied, refused, timed out, ...).
//
// A session throws: the connector's sql::SQLException, or SessionFailure for
// its own checks (the deadline, a value the server did not give). Its callers
// are functions that promise never to throw; they catch everything and turn
// it into text with explain_current_exception(), which names the server and
// the step that failed.
//
// For the sources of library warden_mysqlctl_mysql only (the connector's
// headers are private to it; this header only declares their names). One
// session per call, used from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mysqlctl/credentials.h"
#include "mysqlctl/probe_result.h"

namespace sql {
class Connection;
class ResultSet;
}  // namespace sql

namespace warden::mysqlctl {

// A failure the session or its caller detected (not the server): the text
// is shown as is, so it names the server (MysqlSession::fail does).
class SessionFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class MysqlSession {
 public:
  using Clock = std::chrono::steady_clock;

  // The deadline starts now: `timeout_ms` (at least 1) bounds the login and
  // every statement after it. `privilege_hint` completes "the account lacks
  // a privilege ..." when the server refuses one, e.g. "the probe needs
  // (REPLICA MONITOR on MariaDB, REPLICATION CLIENT on MySQL)".
  MysqlSession(const ProbeTarget& target, const Credentials& credentials, int timeout_ms,
               std::string privilege_hint);
  // Closes the connection; never throws.
  ~MysqlSession();
  MysqlSession(const MysqlSession&) = delete;
  MysqlSession& operator=(const MysqlSession&) = delete;

  // Logs in. The client library counts its timeouts in whole seconds, so
  // the connect, read and write timeouts are timeout_ms rounded up to a
  // second: a server that stops answering costs at most that per call.
  void connect();
  // Closes the connection now (a goodbye the server may never read, bounded
  // by the write timeout); never throws.
  void close() noexcept;

  // Each runs one statement after checking the deadline, so a server that
  // answers every statement just within the read timeout cannot stretch the
  // session to several timeouts. `step` says what the statement is for
  // ("reading replication status") and is what errors name.
  void execute(std::string_view step, const std::string& statement);
  // execute() for a statement that holds secrets (a password): an error
  // from it has each of `secrets` replaced by "<redacted>", since the server
  // may quote the statement back ("... near '<text>'").
  void execute_hiding(std::string_view step, const std::string& statement,
                      std::initializer_list<std::string_view> secrets);
  // The rows, to read with <cppconn/resultset.h> (and Row, below).
  std::unique_ptr<sql::ResultSet> query(std::string_view step, const std::string& statement);
  // The first two columns of every row, as SHOW VARIABLES and SHOW STATUS
  // give them (name -> value).
  std::map<std::string, std::string> name_values(std::string_view step,
                                                 const std::string& statement);
  // The columns of the first row, in order, NULL as absent; no row: empty.
  std::vector<std::optional<std::string>> first_row(std::string_view step,
                                                    const std::string& statement);

  // Throws SessionFailure with "<host>:<port>: <what>".
  [[noreturn]] void fail(const std::string& what) const;
  // Only inside a catch block: the exception being handled, for an operator.
  // The server's own words (which name the account, as in "Access denied for
  // user 'x'@'y'") with what they mean, the server and the step.
  std::string explain_current_exception() const;

  // "<host>:<port>".
  std::string where() const;
  int timeout_ms() const { return timeout_ms_; }
  int64_t elapsed_ms() const;
  // What is left of the timeout; 0 once it has passed.
  int64_t remaining_ms() const;

 private:
  std::string url_host() const;
  void begin_step(std::string_view step);
  std::string explain_server_error(int code, const char* what) const;

  const ProbeTarget target_;
  const Credentials credentials_;
  const int timeout_ms_;
  const std::string privilege_hint_;
  const Clock::time_point start_;
  std::string step_ = "starting";
  std::unique_ptr<sql::Connection> connection_;
};

// A result set's columns by name, for the statements whose column names
// differ between flavours and versions (SHOW SLAVE STATUS / SHOW REPLICA
// STATUS). Reads the row `results` is on at each call; valid while `results`
// is.
class Row {
 public:
  explicit Row(sql::ResultSet& results);

  // The first of `names` the row has; absent when it has none, or NULL.
  std::optional<std::string> get(std::initializer_list<const char*> names) const;
  // get(), with "" for absent.
  std::string text(std::initializer_list<const char*> names) const;

 private:
  sql::ResultSet& results_;
  std::map<std::string, uint32_t> columns_;
};

}  // namespace warden::mysqlctl
