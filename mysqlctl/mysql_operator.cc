#include "mysqlctl/mysql_operator.h"

#include "mysqlctl/mysql_admin.h"
#include "mysqlctl/mysql_probe.h"

namespace warden::mysqlctl {
namespace {

// A report's line for the log, or the action's error as it is.
template <class Report, class Describe>
Result<std::string> described(const Result<Report>& result, Describe describe) {
  if (!result.ok()) return Result<std::string>::failure(result.error());
  return Result<std::string>::success(describe(result.value()));
}

std::string semi_sync_text(bool on) {
  return on ? "semi-sync on" : "no semi-sync";
}

}  // namespace

ProbeResult ConnectorMysqlOperator::probe(const ProbeTarget& server) {
  return mysqlctl::probe(server, options_.account, options_.probe_timeout_ms);
}

Result<std::string> ConnectorMysqlOperator::fence(const ProbeTarget& server) {
  return described(mysqlctl::fence(server, options_.account, options_.action_timeout_ms),
                   [](const FenceReport& report) {
                     return "read_only on, " + std::to_string(report.killed_connections) +
                            " client connections killed";
                   });
}

// The published primary resuming after a restart or a fence of its own is a
// promotion of a server that replicates from nobody: the same statements.
Result<std::string> ConnectorMysqlOperator::make_writable(const ProbeTarget& server) {
  return promote(server);
}

Result<std::string> ConnectorMysqlOperator::promote(const ProbeTarget& server) {
  return described(mysqlctl::promote(server, options_.account, options_.semi_sync_timeout_ms,
                                     options_.action_timeout_ms),
                   [](const PromoteReport& report) {
                     return "writable at " + report.gtid_position + ", " +
                            semi_sync_text(report.semi_sync_source);
                   });
}

Result<std::string> ConnectorMysqlOperator::repoint(const ProbeTarget& server,
                                                    const ProbeTarget& source) {
  const ReplicationSource replication_source{
      .host = source.host, .port = source.port, .account = options_.replication};
  return described(
      mysqlctl::repoint(server, options_.account, replication_source, options_.action_timeout_ms),
      [&](const RepointReport& report) {
        return "replicating from " + source.host + ":" + std::to_string(source.port) + " at " +
               report.gtid_position + (report.demoted_former_primary ? " (former primary)" : "") +
               ", " + semi_sync_text(report.semi_sync_replica);
      });
}

Result<std::string> ConnectorMysqlOperator::wait_relay_log_applied(const ProbeTarget& server) {
  return described(
      mysqlctl::wait_relay_log_applied(server, options_.account, options_.relay_log_timeout_ms),
      [](const AppliedReport& report) {
        return "applied all it received (" + report.received + "), now at " + report.gtid_position;
      });
}

Result<std::string> ConnectorMysqlOperator::stop_receiving(const ProbeTarget& server) {
  return mysqlctl::stop_receiving(server, options_.account, options_.action_timeout_ms);
}

Result<std::string> ConnectorMysqlOperator::resume_replication(const ProbeTarget& server) {
  return mysqlctl::resume_replication(server, options_.account, options_.action_timeout_ms);
}

}  // namespace warden::mysqlctl
