// The read/write split's rules: given what the agents published (the primary
// record and the member records), where a new connection to the read-write
// port goes, where one to the read-only port goes, and which read-write
// connections already open must be closed because the primary changed.
//
// Used by the router (mysqlctl/router.h), which carries the bytes, and by the
// agent's health checks (mysqlctl/health_checks.h), which answer HAProxy with
// the same rules about one member. Pure: no I/O and no clock; anyone may call
// it.
//
// The rules:
//
// - Writes go to the published primary only, and only while its own member
//   record says it is healthy, a primary and writable, at the address the
//   primary record names. Otherwise there is no read-write backend and new
//   connections are refused: a write sent anywhere else could be lost or
//   diverge, a refused one is retried by the client.
// - Reads go to a replica that follows the published primary (configured for
//   it and connected to it), is healthy, is not in maintenance, and whose lag
//   is known and at most max_lag_seconds. Among those, the one with the
//   fewest open read-only connections, ties broken by member id. With none,
//   the primary serves reads when the policy allows it.
// - A read-write connection is made under one primary record (member and
//   epoch); once the record names another member or epoch, the connection
//   is to an old primary and must be closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mysqlctl/member.h"

namespace warden::mysqlctl {

// What a router or an agent read of one cluster's subtree.
struct Topology {
  std::optional<PrimaryRecord> primary;
  // Every member record, with maintenance set from maintenance/<id>.
  std::vector<MemberRecord> members;
  // Non-empty when the reader has no current view of the namespace (no
  // session, nothing read yet), and why: then nothing is routed.
  std::string unknown_because;
};

struct RoutePolicy {
  uint64_t max_lag_seconds = 10;
  // With no replica fit for reads, send reads to the primary rather than
  // refuse them.
  bool reads_fall_back_to_primary = true;
};

// A server chosen for a new connection, and the primary record's epoch it
// was chosen under.
struct Backend {
  std::string member_id;
  std::string host;
  uint16_t port = 0;
  uint64_t epoch = 0;

  friend bool operator==(const Backend&, const Backend&) = default;
};

struct Route {
  std::optional<Backend> backend;
  // Why there is no backend, for the log and the HTTP answer ("" with one).
  std::string refusal;
  // Read-only routes only: no replica qualified, so this is the primary.
  bool primary_fallback = false;
};

// Where the published primary's server listens: the primary record's
// address, or its member record's when the record names none.
struct Address {
  std::string host;
  uint16_t port = 0;
  friend bool operator==(const Address&, const Address&) = default;
};
std::optional<Address> primary_address(const Topology& topology);

Route read_write_route(const Topology& topology);

// Why `member` may not serve reads under `topology`'s primary ("" when it
// may). The same rule answers the agent's replica health check.
std::string replica_refusal(const MemberRecord& member, const Topology& topology,
                            uint64_t max_lag_seconds);

// Every replica that may serve reads now, ordered by member id.
std::vector<Backend> read_only_backends(const Topology& topology, const RoutePolicy& policy);

// Open read-only connections per member id (members absent have none).
using ConnectionCounts = std::map<std::string, size_t>;

Route read_only_route(const Topology& topology, const RoutePolicy& policy,
                      const ConnectionCounts& open);

// Whether a read-write connection made to `backend` is now to an old
// primary: the topology's primary record names another member or epoch.
// Without a primary record (unknown, or deleted) nothing is known to be old,
// so nothing is closed.
bool read_write_connection_stale(const Backend& backend, const Topology& topology);

}  // namespace warden::mysqlctl
