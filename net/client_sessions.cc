// ClientSessions: connections, framing, request ids and closing. The
// handshake, requests, reads, watches and auth live in the other
// client_sessions_*.cc files (see client_sessions.h).
#include "net/client_sessions.h"

#include <algorithm>
#include <cstdio>

namespace warden::net {

ClientSessions::ClientSessions(ClientSessionsHost& host, const store::ZooState& state,
                               ClientSessionsConfig config)
    : host_(host),
      state_(state),
      config_(std::move(config)),
      // Starting from the clock keeps ids growing across restarts of this
      // node, as long as it takes fewer than 1000 requests a millisecond.
      request_counter_(static_cast<uint64_t>(std::max<int64_t>(host.now_ms(), 0)) * 1000) {}

bool ClientSessions::on_connect(ConnectionId connection, std::string remote_ip,
                                uint16_t remote_port) {
  if (config_.max_connections_per_ip != 0) {
    const auto from_same_ip =
        std::count_if(connections_.begin(), connections_.end(), [&](const auto& entry) {
          return entry.second.phase != Phase::kClosed && entry.second.remote_ip == remote_ip;
        });
    if (static_cast<size_t>(from_same_ip) >= config_.max_connections_per_ip) {
      ++stats_.connections_closed[static_cast<size_t>(CloseReason::kTooManyConnections)];
      host_.log("refusing a connection: too many connections from " + remote_ip + " - max is " +
                std::to_string(config_.max_connections_per_ip));
      return false;
    }
  }
  ++stats_.connections_accepted;
  Connection c;
  c.decoder = FrameDecoder(
      static_cast<int32_t>(std::min<size_t>(config_.max_frame_bytes, size_t{INT32_MAX})));
  c.id = connection;
  c.remote_ip = std::move(remote_ip);
  c.stats.remote_port = remote_port;
  c.stats.established_ms = host_.now_ms();
  c.auth.ids.push_back(store::Id{"ip", c.remote_ip});
  connections_.insert_or_assign(connection, std::move(c));
  return true;
}

void ClientSessions::on_bytes(ConnectionId connection, std::string_view bytes) {
  Connection* c = find(connection);
  if (c == nullptr) return;  // closed by us; the runtime has not caught up yet
  c->decoder.feed(bytes);
  process_frames(*c);
  reap_closed();
}

void ClientSessions::on_disconnect(ConnectionId connection) {
  Connection* c = find(connection);
  if (c == nullptr) return;
  // The client went: nothing to send, but its watches and binding go.
  ++stats_.connections_closed[static_cast<size_t>(CloseReason::kClientGone)];
  if (c->session != 0 && by_session_[c->session] == c->id) by_session_.erase(c->session);
  watches_.remove_watcher(c->id);
  c->queue.clear();
  c->phase = Phase::kClosed;
  closed_.push_back(c->id);
  reap_closed();
}

ClientSessions::Connection* ClientSessions::find(ConnectionId id) {
  const auto it = connections_.find(id);
  if (it == connections_.end() || it->second.phase == Phase::kClosed) return nullptr;
  return &it->second;
}

// Frames are taken one at a time, and none while a new session is being
// created: ZooKeeper stops reading a connection until its session is set up,
// so what the client pipelined behind its ConnectRequest waits in the
// decoder.
void ClientSessions::process_frames(Connection& c) {
  while (c.phase == Phase::kHandshake || c.phase == Phase::kBound) {
    std::optional<std::string> frame = c.decoder.next();
    if (!frame) {
      if (c.decoder.failed()) close_connection(c, CloseReason::kBadFrame, c.decoder.error());
      return;
    }
    ++c.stats.packets_received;
    ++stats_.packets_received;
    if (c.phase == Phase::kHandshake) {
      handle_connect(c, *frame);
    } else {
      handle_request(c, *frame);
    }
  }
}

void ClientSessions::close_connection(Connection& c, CloseReason reason,
                                      const std::string& detail) {
  if (c.phase == Phase::kClosed) return;
  ++stats_.connections_closed[static_cast<size_t>(reason)];
  host_.log("closing " + name(c) + ": " + std::string(close_reason_name(reason)) +
            (detail.empty() ? "" : ": " + detail));
  if (c.session != 0) {
    const auto bound = by_session_.find(c.session);
    if (bound != by_session_.end() && bound->second == c.id) by_session_.erase(bound);
  }
  watches_.remove_watcher(c.id);
  c.queue.clear();
  c.phase = Phase::kClosed;
  closed_.push_back(c.id);
  host_.close(c.id);
}

// Closed connections stay in the map until the public call that closed them
// ends, so that no caller up the stack holds a dangling reference.
void ClientSessions::reap_closed() {
  if (closed_.empty()) return;
  for (const ConnectionId id : closed_) {
    const auto it = connections_.find(id);
    if (it != connections_.end() && it->second.phase == Phase::kClosed) connections_.erase(it);
  }
  closed_.clear();
  for (auto it = waiting_writes_.begin(); it != waiting_writes_.end();) {
    it = connections_.count(it->second) == 0 ? waiting_writes_.erase(it) : std::next(it);
  }
  for (auto it = waiting_syncs_.begin(); it != waiting_syncs_.end();) {
    it = connections_.count(it->second) == 0 ? waiting_syncs_.erase(it) : std::next(it);
  }
}

// Node-unique ids ((counter << 8) | node id) that also lie above what the
// log has applied for the session, so that apply does not drop a request
// because another node's ids ran ahead of ours.
uint64_t ClientSessions::next_request_id(store::SessionId session) {
  if (const store::SessionInfo* info = state_.session(session)) {
    request_counter_ = std::max(request_counter_, (info->last_request_id >> 8) + 1);
  }
  return (request_counter_++ << 8) | (config_.node_id & 0xff);
}

void ClientSessions::touch(const Connection& c) {
  if (c.phase == Phase::kBound && c.session != 0) activity_.touch(c.session);
}

void ClientSessions::send_frame(Connection& c, std::string frame) {
  ++c.stats.packets_sent;
  ++stats_.packets_sent;
  host_.send(c.id, std::move(frame));
}

void ClientSessions::answered(Connection& c, store::OpCode op, int32_t xid, int64_t zxid,
                              int64_t received_ms) {
  const int64_t now_ms = host_.now_ms();
  ConnectionStats& s = c.stats;
  s.last_operation = operation_short_name(op);
  s.last_xid = xid;
  s.last_zxid = zxid;
  s.last_response_ms = now_ms;
  s.last_latency_ms = std::max<int64_t>(now_ms - received_ms, 0);
  s.latency.add(s.last_latency_ms);
  stats_.latency.add(s.last_latency_ms);
}

std::vector<ConnectionStats> ClientSessions::connection_stats() const {
  std::vector<ConnectionStats> rows;
  for (const auto& [id, c] : connections_) {
    if (c.phase == Phase::kClosed) continue;
    ConnectionStats& row = rows.emplace_back(c.stats);
    row.id = id;
    row.remote_ip = c.remote_ip;
    row.session = c.session;
    row.timeout_ms = c.timeout_ms;
    row.queued = c.queue.size();
  }
  return rows;
}

store::SessionId ClientSessions::session_of(ConnectionId connection) const {
  const auto it = connections_.find(connection);
  return it == connections_.end() ? 0 : it->second.session;
}

std::string ClientSessions::name(const Connection& c) const {
  char session[32];
  std::snprintf(session, sizeof session, "0x%llx", static_cast<unsigned long long>(c.session));
  return "connection " + std::to_string(c.id) + " from " + c.remote_ip +
         (c.session != 0 ? std::string(" (session ") + session + ")" : std::string());
}

}  // namespace warden::net
