// The HTTP answers of the read/write split, for load balancers and
// operators:
//
// - the router's (`warden router --http-port`): GET /primary is 200 with the
//   read-write backend as JSON {member_id, epoch, host, port}, or 503 with
//   the reason there is none; GET /replica is 200 with the read-only
//   backends when a new read-only connection has somewhere to go, else 503;
//   GET /health is 200 while the process runs.
// - one member's, answered by its agent inside `warden serve`
//   (warden.mysql.healthPort), so that HAProxy can route without the router,
//   as Patroni's REST API lets it route to PostgreSQL: GET /primary is 200
//   only when the primary record names this member, its latest probe found
//   the server healthy and writable, and the agent is confirmed by the
//   ensemble (not cut off); GET /replica is 200 when the member may serve
//   reads by mysqlctl/route_table.h's rule, with the lag bound from the query
//   (?max_lag_seconds=N, default kDefaultMaxLagSeconds); GET /health is 200
//   when the latest probe found the server healthy; GET /metrics is the
//   Prometheus text exposition of the member's state and the agent's
//   counters, among them warden_mysql_commits_waiting: 1 while the server
//   is a writable primary with semi-synchronous replication and no replica
//   connected to acknowledge, so its commits wait (they never fall back to
//   asynchronous in silence).
//
// Every 503 carries {"reason": "..."}. HEAD is answered as GET without the
// body; other methods get 405, other paths 404.
//
// Pure: the callers gather the facts (the router its topology, the agent its
// probe and view) and an HTTP listener carries the bytes
// (net/asio/http_server.h). Anyone may call these.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mysqlctl/member.h"
#include "mysqlctl/route_table.h"
#include "net/http_answer.h"

namespace warden::mysqlctl {

using net::HttpAnswer;

inline constexpr uint64_t kDefaultMaxLagSeconds = 10;

HttpAnswer router_http_answer(std::string_view method, std::string_view target,
                              const Topology& topology, const RoutePolicy& policy);

// What an agent did since it started, for reports and metrics.
struct AgentCounters {
  uint64_t failovers_started = 0;  // the lock was taken
  uint64_t failovers_published = 0;
  uint64_t failovers_stopped = 0;  // a step failed, the lock was lost, or the publish refused
  uint64_t fences = 0;
  uint64_t make_writables = 0;
  uint64_t repoints = 0;
  uint64_t adoptions = 0;

  AgentCounters& operator+=(const AgentCounters& other) {
    failovers_started += other.failovers_started;
    failovers_published += other.failovers_published;
    failovers_stopped += other.failovers_stopped;
    fences += other.fences;
    make_writables += other.make_writables;
    repoints += other.repoints;
    adoptions += other.adoptions;
    return *this;
  }
};

// What an agent knows about its own member, as of its latest round.
struct MemberHealthFacts {
  std::string member_id;
  // This member as its latest probe found it; none unless that probe
  // completed recently.
  std::optional<MemberRecord> local;
  // The agent's session lives and the ensemble answered one of its syncs
  // recently enough that it is not fencing itself.
  bool confirmed = false;
  // The agent's latest view of the cluster (unknown_because set when it has
  // none recent).
  Topology view;
  AgentCounters counters;
};

HttpAnswer member_http_answer(std::string_view method, std::string_view target,
                              const MemberHealthFacts& facts);

}  // namespace warden::mysqlctl
