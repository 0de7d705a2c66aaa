#include "mysqlctl/route_table.h"

#include <algorithm>

namespace warden::mysqlctl {
namespace {

std::string address_text(const std::string& host, uint16_t port) {
  return host + ":" + std::to_string(port);
}

std::string primary_name(const PrimaryRecord& primary) {
  return primary.member_id + " (epoch " + std::to_string(primary.epoch) + ")";
}

// Why the published primary may not take writes ("" when it may).
std::string primary_refusal(const PrimaryRecord& primary, const MemberRecord* member) {
  const std::string name = "primary " + primary_name(primary);
  // Its record is gone when its agent's session ended: nobody vouches for
  // the server, and a failover may be under way.
  if (member == nullptr) return name + " has no member record";
  if (!member->healthy) {
    return name + " is unhealthy" + (member->problem.empty() ? "" : ": " + member->problem);
  }
  if (member->role != MemberRole::kPrimary) {
    return name + " is not a primary yet (" + member_role_name(member->role) + ")";
  }
  // Fenced, or not yet made writable after a promotion or a restart.
  if (member->read_only) return name + " is read-only";
  // The member record describes another server than the one the primary
  // record names: its health says nothing about that one.
  if (!primary.host.empty() && (member->host != primary.host || member->port != primary.port)) {
    return name + " is published at " + address_text(primary.host, primary.port) +
           " but its member record is at " + address_text(member->host, member->port);
  }
  return "";
}

Backend backend_of(const MemberRecord& member, uint64_t epoch) {
  return Backend{.member_id = member.id, .host = member.host, .port = member.port, .epoch = epoch};
}

size_t open_count(const ConnectionCounts& open, const std::string& member_id) {
  const auto found = open.find(member_id);
  return found == open.end() ? 0 : found->second;
}

}  // namespace

std::optional<Address> primary_address(const Topology& topology) {
  if (!topology.primary) return std::nullopt;
  if (!topology.primary->host.empty()) {
    return Address{.host = topology.primary->host, .port = topology.primary->port};
  }
  const MemberRecord* member = find_member(topology.members, topology.primary->member_id);
  if (member == nullptr) return std::nullopt;
  return Address{.host = member->host, .port = member->port};
}

Route read_write_route(const Topology& topology) {
  Route route;
  if (!topology.unknown_because.empty()) {
    route.refusal = topology.unknown_because;
    return route;
  }
  if (!topology.primary) {
    route.refusal = "no primary published";
    return route;
  }
  const PrimaryRecord& primary = *topology.primary;
  const MemberRecord* member = find_member(topology.members, primary.member_id);
  route.refusal = primary_refusal(primary, member);
  if (!route.refusal.empty()) return route;
  const Address address = *primary_address(topology);
  route.backend = Backend{.member_id = primary.member_id,
                          .host = address.host,
                          .port = address.port,
                          .epoch = primary.epoch};
  return route;
}

std::string replica_refusal(const MemberRecord& member, const Topology& topology,
                            uint64_t max_lag_seconds) {
  if (!topology.unknown_because.empty()) return topology.unknown_because;
  if (!topology.primary) return "no primary published";
  const std::string name = "member " + member.id;
  if (member.id == topology.primary->member_id) return name + " is the primary";
  if (member.maintenance) return name + " is in maintenance";
  if (!member.healthy) {
    return name + " is unhealthy" + (member.problem.empty() ? "" : ": " + member.problem);
  }
  if (member.role != MemberRole::kReplica) return name + " is not a replica";
  const std::optional<Address> primary = primary_address(topology);
  if (!primary) return "the primary's address is unknown";
  // Configured for another source: an old primary's data, or a chain.
  if (member.source_host != primary->host || member.source_port != primary->port) {
    return name + " replicates from " + address_text(member.source_host, member.source_port) +
           ", not from the primary at " + address_text(primary->host, primary->port);
  }
  // Disconnected, it falls behind without knowing by how much.
  if (!member.io_running) return name + " is not connected to the primary";
  if (!member.lag_seconds) return name + "'s lag is unknown";
  if (*member.lag_seconds > max_lag_seconds) {
    return name + " lags " + std::to_string(*member.lag_seconds) + " s (at most " +
           std::to_string(max_lag_seconds) + " s)";
  }
  return "";
}

std::vector<Backend> read_only_backends(const Topology& topology, const RoutePolicy& policy) {
  std::vector<Backend> backends;
  for (const MemberRecord& member : topology.members) {
    if (!replica_refusal(member, topology, policy.max_lag_seconds).empty()) continue;
    backends.push_back(backend_of(member, topology.primary->epoch));
  }
  std::sort(backends.begin(), backends.end(),
            [](const Backend& a, const Backend& b) { return a.member_id < b.member_id; });
  return backends;
}

Route read_only_route(const Topology& topology, const RoutePolicy& policy,
                      const ConnectionCounts& open) {
  Route route;
  if (!topology.unknown_because.empty()) {
    route.refusal = topology.unknown_because;
    return route;
  }
  const std::vector<Backend> replicas = read_only_backends(topology, policy);
  if (!replicas.empty()) {
    // Sorted by member id, so the first of the least loaded wins a tie.
    route.backend = *std::min_element(
        replicas.begin(), replicas.end(), [&open](const Backend& a, const Backend& b) {
          return open_count(open, a.member_id) < open_count(open, b.member_id);
        });
    return route;
  }
  if (!policy.reads_fall_back_to_primary) {
    route.refusal = "no replica fit for reads";
    return route;
  }
  route = read_write_route(topology);
  if (route.backend) {
    route.primary_fallback = true;
  } else {
    route.refusal = "no replica fit for reads, and " + route.refusal;
  }
  return route;
}

bool read_write_connection_stale(const Backend& backend, const Topology& topology) {
  if (!topology.primary) return false;
  return topology.primary->member_id != backend.member_id ||
         topology.primary->epoch != backend.epoch;
}

}  // namespace warden::mysqlctl
