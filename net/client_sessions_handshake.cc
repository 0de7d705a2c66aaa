// ClientSessions: the connect handshake (ZooKeeperServer.processConnectRequest
// and finishSessionInit). A new session is a createSession txn answered once
// it applies; a reconnect is checked against the replicated session table
// and the password every node derives alike.
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "net/client_sessions.h"

namespace warden::net {

namespace {

std::string hex(int64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

void put_u64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

}  // namespace

std::string session_password(uint64_t password_secret, store::SessionId session) {
  std::string input = "warden session password";
  put_u64(input, password_secret);
  put_u64(input, static_cast<uint64_t>(session));
  std::array<unsigned char, SHA_DIGEST_LENGTH> sha{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), sha.data());
  return std::string(reinterpret_cast<const char*>(sha.data()), 16);  // ZooKeeper's length
}

void ClientSessions::handle_connect(Connection& c, std::string_view payload) {
  const Decoded<ConnectRequest> request = decode<ConnectRequest>(payload);
  if (!request) {
    close_connection(c, CloseReason::kMalformedRequest,
                     "first frame is not a ConnectRequest: " + request.error());
    return;
  }
  if (request->last_zxid_seen > state_.last_applied_zxid()) {
    // Answering would let the client see the state go back in time.
    close_connection(c, CloseReason::kZxidAhead,
                     "the client has seen zxid " + hex(request->last_zxid_seen) +
                         "; this node has applied " + hex(state_.last_applied_zxid()));
    return;
  }
  c.timeout_ms = negotiate_timeout(request->timeout_ms);
  // ZooKeeper writes the readOnly byte back only to clients that sent one.
  c.client_sent_read_only = request->read_only.has_value();
  if (request->session_id != 0) {
    reopen_session(c, request->session_id, request->passwd);
    return;
  }
  store::WriteRequest create;
  create.op = store::OpCode::kCreateSession;
  create.request_id = next_request_id(0);
  create.session_timeout_ms = c.timeout_ms;
  create.auth = c.auth;
  c.create_request_id = create.request_id;
  c.phase = Phase::kCreatingSession;
  waiting_writes_[{0, create.request_id}] = c.id;
  host_.submit_write(create);
}

int32_t ClientSessions::negotiate_timeout(int32_t requested) const {
  return std::clamp(requested, config_.min_session_timeout_ms, config_.max_session_timeout_ms);
}

void ClientSessions::reopen_session(Connection& c, store::SessionId session,
                                    std::string_view password) {
  const bool valid = state_.session(session) != nullptr &&
                     password == session_password(config_.password_secret, session);
  if (!valid) {
    // ZooKeeper's answer to an expired session (or a wrong password): a
    // zero timeout, then the connection ends.
    answer_connect(c, false);
    close_connection(c, CloseReason::kSessionExpired,
                     "session " + hex(session) + " expired or its password is wrong");
    return;
  }
  const auto bound = by_session_.find(session);
  if (bound != by_session_.end() && bound->second != c.id) {
    if (Connection* old = find(bound->second)) {
      close_connection(*old, CloseReason::kSessionMoved,
                       "reconnected on connection " + std::to_string(c.id));
    }
  }
  bind(c, session);
  answer_connect(c, true);
}

void ClientSessions::bind(Connection& c, store::SessionId session) {
  c.session = session;
  c.phase = Phase::kBound;
  by_session_[session] = c.id;
  touch(c);
}

void ClientSessions::answer_connect(Connection& c, bool valid) {
  ConnectResponse response;
  response.timeout_ms = valid ? c.timeout_ms : 0;
  response.session_id = valid ? c.session : 0;
  response.passwd =
      valid ? session_password(config_.password_secret, c.session) : std::string(16, '\0');
  if (c.client_sent_read_only) response.read_only = false;
  send_frame(c, encode_frame(response));
}

// A createSession this node submitted has applied: the session exists on
// every node from this zxid on.
void ClientSessions::session_created(const store::ApplyResult& result) {
  const auto waiting = waiting_writes_.find({0, result.request_id});
  if (waiting == waiting_writes_.end()) return;  // another node's client
  Connection* c = find(waiting->second);
  waiting_writes_.erase(waiting);
  // A client that left meanwhile leaves a session that simply expires.
  if (c == nullptr || c->phase != Phase::kCreatingSession) return;
  if (result.error != store::ErrorCode::kOk || result.created_session == 0) {
    close_connection(*c, CloseReason::kSessionNotCreated,
                     std::string("createSession failed: ") + store::error_name(result.error));
    return;
  }
  bind(*c, result.created_session);
  answer_connect(*c, true);
  process_frames(*c);  // what the client sent behind its ConnectRequest
}

}  // namespace warden::net
