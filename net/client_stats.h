// Counters of the client port, as ClientSessions keeps them: why
// connections were closed, packets each way, request latency, and a row per
// open connection. They feed the four-letter words (srvr, mntr, cons), the
// admin server's /commands and /metrics.
//
// Plain values; ClientSessions fills them, anyone may read a copy.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/request.h"

namespace warden::net {

// Why the server ended a client connection. Each is a label of the
// connections_closed metric, so the set is small and fixed.
enum class CloseReason : uint8_t {
  kClientGone,          // the client closed it, or the socket failed
  kBadFrame,            // a length below 0 or beyond jute.maxbuffer
  kMalformedRequest,    // a frame that does not decode as what it must be
  kUnknownRequestType,  // an op code the server does not take
  kZxidAhead,           // the client has seen a later zxid than this node
  kSessionExpired,      // reconnecting to an expired session, or a wrong password
  kSessionMoved,        // the session reconnected on another connection
  kSessionClosed,       // the session was closed, by its client or by expiry
  kSessionNotCreated,   // the log refused the connection's createSession
  kNoLeader,            // what the connection needs cannot be done without a leader
  kAuthFailed,          // an auth packet for a scheme the server lacks
  kTooManyConnections,  // maxClientCnxns from the client's address reached
  kCount,
};

inline constexpr size_t kCloseReasonCount = static_cast<size_t>(CloseReason::kCount);

// snake_case, as metric labels want it.
std::string_view close_reason_name(CloseReason reason);

// Latency from a request's arrival to its answer, in milliseconds.
struct LatencyStats {
  int64_t min_ms = 0;
  int64_t max_ms = 0;
  int64_t total_ms = 0;
  uint64_t count = 0;

  void add(int64_t latency_ms);
  double average_ms() const { return count == 0 ? 0.0 : double(total_ms) / double(count); }
};

struct ClientStats {
  uint64_t connections_accepted = 0;
  std::array<uint64_t, kCloseReasonCount> connections_closed{};
  uint64_t packets_received = 0;  // frames, the handshake included
  uint64_t packets_sent = 0;      // frames: replies, notifications, pings
  LatencyStats latency;

  uint64_t closed(CloseReason reason) const {
    return connections_closed[static_cast<size_t>(reason)];
  }
};

// One open connection, as the cons four-letter word lists it.
struct ConnectionStats {
  uint64_t id = 0;
  std::string remote_ip;
  uint16_t remote_port = 0;
  store::SessionId session = 0;
  int32_t timeout_ms = 0;
  size_t queued = 0;  // requests received and not yet answered
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  int64_t established_ms = 0;  // wall clock, ms since the epoch
  std::string last_operation;  // ZooKeeper's short names: PING, GETD, SETD, ...
  int32_t last_xid = 0;
  int64_t last_zxid = -1;
  int64_t last_response_ms = 0;
  int64_t last_latency_ms = 0;
  LatencyStats latency;
};

// ZooKeeper's abbreviation of an op code in cons output ("lop").
std::string_view operation_short_name(store::OpCode op);

}  // namespace warden::net
