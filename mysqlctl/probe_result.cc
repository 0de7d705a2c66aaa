#include "mysqlctl/probe_result.h"

#include <nlohmann/json.hpp>

namespace warden::mysqlctl {
namespace {

using Json = nlohmann::json;

template <class T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// "Slave_SQL_Running is No (Last_SQL_Error: ...)", or "" when running.
std::string thread_problem(const char* column, const std::string& state, const char* error_column,
                           const std::string& error) {
  if (state == "Yes") return "";
  std::string problem = std::string(column) + " is " + (state.empty() ? "empty" : state);
  if (!error.empty()) problem += " (" + std::string(error_column) + ": " + error + ")";
  return problem;
}

// An IO thread retrying its source ("Connecting", or "Preparing" on MySQL)
// leaves the replica a usable server and a failover candidate: that is what
// every replica of a primary that just died looks like. So does one that
// stopped on an error from its source: a restarted primary whose recovery
// dropped transactions this replica holds refuses it (error 1236), and that
// replica is the one to promote (`warden sim --workload mysql`, seed 29).
// A thread stopped without an error (by an operator) or a stopped or failed
// SQL thread does not.
bool io_thread_usable(const ReplicationStatus& replication) {
  const std::string& state = replication.io_thread_state;
  if (state == "No") return !replication.last_io_error.empty();
  return state == "Yes" || state == "Connecting" || state == "Preparing";
}

void assess_replication(const ProbeResult& probe, ProbeAssessment& assessment) {
  const ReplicationStatus& replication = *probe.replication;
  const bool mariadb = probe.flavour == Flavour::kMariaDB;
  const std::string io =
      thread_problem(mariadb ? "Slave_IO_Running" : "Replica_IO_Running",
                     replication.io_thread_state, "Last_IO_Error", replication.last_io_error);
  const std::string sql =
      thread_problem(mariadb ? "Slave_SQL_Running" : "Replica_SQL_Running",
                     replication.sql_thread_state, "Last_SQL_Error", replication.last_sql_error);
  assessment.healthy = io_thread_usable(replication) && sql.empty();
  if (io.empty() && sql.empty()) return;
  const std::string source =
      replication.source_host + ":" + std::to_string(replication.source_port);
  if (assessment.healthy) {
    assessment.note = "replication from " + source + " is not connected: " + io;
    return;
  }
  assessment.unhealthy_reason = "replication from " + source + " is not running: " + io +
                                (!io.empty() && !sql.empty() ? "; " : "") + sql;
}

}  // namespace

std::string semi_sync_state(const ProbeResult& probe) {
  if (!probe.semi_sync_source_enabled) return "";
  if (!*probe.semi_sync_source_enabled) return "off";
  const bool never_falls_back = probe.semi_sync_source_timeout_ms &&
                                *probe.semi_sync_source_timeout_ms >= kSemiSyncNoFallbackMs;
  return never_falls_back ? "on" : "may-fall-back";
}

Flavour flavour_of_version(const std::string& version) {
  return version.find("MariaDB") != std::string::npos ? Flavour::kMariaDB : Flavour::kMySQL;
}

const std::string& member_gtid_position(const ProbeResult& probe) {
  return probe.flavour == Flavour::kMariaDB ? probe.gtid_current_pos : probe.gtid_executed;
}

ProbeAssessment assess_probe(const ProbeResult& probe) {
  ProbeAssessment assessment;
  if (!probe.completed) {
    assessment.unhealthy_reason = probe.error.empty() ? "probe did not complete" : probe.error;
    return assessment;
  }
  if (probe.replication) {
    assessment.role = MemberRole::kReplica;
  } else if (!probe.read_only) {
    assessment.role = MemberRole::kPrimary;
  }

  Result<GtidPosition> position = GtidPosition::parse(probe.flavour, member_gtid_position(probe));
  if (!position.ok()) {
    // The record could not carry it, and a member whose position is unknown
    // must not be ranked as a candidate.
    assessment.unhealthy_reason = std::string("unreadable GTID position: ") + position.error();
    return assessment;
  }

  switch (assessment.role) {
    case MemberRole::kPrimary:
      assessment.healthy = true;
      break;
    case MemberRole::kReplica:
      assess_replication(probe, assessment);
      break;
    case MemberRole::kUnknown:
      assessment.unhealthy_reason =
          "read_only is ON and no replication is configured: neither a primary nor a replica";
      break;
  }
  return assessment;
}

Result<MemberRecord> member_record_from_probe(const ProbeResult& probe, const ProbeTarget& target,
                                              const std::string& member_id, uint32_t priority) {
  const ProbeAssessment assessment = assess_probe(probe);
  MemberRecord record;
  record.id = member_id;
  record.host = target.host;
  record.port = target.port;
  record.role = assessment.role;
  record.flavour = probe.flavour;
  record.healthy = assessment.healthy;
  record.problem = assessment.healthy ? assessment.note : assessment.unhealthy_reason;
  record.priority = priority;
  if (probe.completed && !probe.read_only && probe.semi_sync_source_enabled) {
    record.semi_sync = semi_sync_state(probe);
    record.semi_sync_replicas = probe.semi_sync_source_clients;
  }
  if (probe.replication) {
    record.source_host = probe.replication->source_host;
    record.source_port = probe.replication->source_port;
    record.io_running = probe.replication->io_running();
    if (GtidPosition::parse(probe.flavour, probe.replication->received_gtid).ok()) {
      record.received_gtid_position = probe.replication->received_gtid;
    }
  }
  if (probe.completed) {
    record.read_only = probe.read_only;
    if (GtidPosition::parse(probe.flavour, member_gtid_position(probe)).ok()) {
      record.gtid_position = member_gtid_position(probe);
    }
    if (probe.replication) record.lag_seconds = probe.replication->seconds_behind_source;
  }
  if (std::string error = member_record_error(record); !error.empty()) {
    return Result<MemberRecord>::failure(error);
  }
  return Result<MemberRecord>::success(std::move(record));
}

std::string encode_probe_result(const ProbeResult& probe) {
  Json replication = nullptr;
  if (probe.replication) {
    const ReplicationStatus& status = *probe.replication;
    replication = {
        {"source_host", status.source_host},
        {"source_port", status.source_port},
        {"io_thread_state", status.io_thread_state},
        {"sql_thread_state", status.sql_thread_state},
        {"seconds_behind_source", optional_json(status.seconds_behind_source)},
        {"last_io_error", status.last_io_error},
        {"last_sql_error", status.last_sql_error},
        {"received_gtid", status.received_gtid},
    };
  }
  const Json json = {
      {"completed", probe.completed},
      {"error", probe.error},
      {"elapsed_ms", probe.elapsed_ms},
      {"version", probe.version},
      {"flavour", flavour_name(probe.flavour)},
      {"server_id", probe.server_id},
      {"read_only", probe.read_only},
      {"gtid_current_pos", probe.gtid_current_pos},
      {"gtid_slave_pos", probe.gtid_slave_pos},
      {"gtid_binlog_pos", probe.gtid_binlog_pos},
      {"gtid_executed", probe.gtid_executed},
      {"replication", replication},
      {"semi_sync_source_enabled", optional_json(probe.semi_sync_source_enabled)},
      {"semi_sync_source_active", optional_json(probe.semi_sync_source_active)},
      {"semi_sync_source_timeout_ms", optional_json(probe.semi_sync_source_timeout_ms)},
      {"semi_sync_source_clients", optional_json(probe.semi_sync_source_clients)},
  };
  // Server strings (error texts) may hold bytes that are not UTF-8; replace
  // them rather than throw.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace warden::mysqlctl
