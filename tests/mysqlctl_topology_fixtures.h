// Fixtures for the MySQL agent's tests: member records for the read/write
// split's tests (route table, health checks): a healthy server at
// `host`:3306 in `role`, a replica streaming from 10.0.0.1:3306 with
// `lag_seconds`; and the agent settings the decision and loop tests use.
#pragma once

#include <cstdint>
#include <string>

#include "mysqlctl/agent_core.h"
#include "mysqlctl/member.h"

namespace warden::mysqlctl {

inline MemberRecord topology_member(const std::string& id, const std::string& host, MemberRole role,
                                    uint64_t lag_seconds) {
  MemberRecord record;
  record.id = id;
  record.host = host;
  record.port = 3306;
  record.role = role;
  record.gtid_position = "0-1-100";
  record.healthy = true;
  record.read_only = role != MemberRole::kPrimary;
  if (role == MemberRole::kReplica) {
    record.source_host = "10.0.0.1";
    record.source_port = 3306;
    record.io_running = true;
    record.lag_seconds = lag_seconds;
  }
  return record;
}

// Cluster "main", fencing after 4 s without a quorum, an 8 s lease wait,
// a minute between failovers, 3 s to settle.
inline AgentSettings settings_for(const std::string& member_id) {
  AgentSettings settings;
  settings.cluster = "main";
  settings.member_id = member_id;
  settings.fence_after_ms = 4000;
  settings.lease_wait_ms = 8000;
  settings.min_failover_interval_ms = 60000;
  settings.settle_ms = 3000;
  return settings;
}

}  // namespace warden::mysqlctl
