// Member records for the read/write split's tests (route table, health
// checks): a healthy server at `host`:3306 in `role`, a replica streaming
// from 10.0.0.1:3306 with `lag_seconds`.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace warden::mysqlctl
