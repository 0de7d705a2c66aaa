// The client side of ZooKeeper's protocol without sockets: what Warden's own
// client (net/asio/zk_client.h) writes and how it reads what comes back.
//
// One codec serves one session across its connections. Per connection it
// sends the ConnectRequest (resuming the session, with the last zxid seen,
// once one exists) and, on a resumed session, SetWatches re-arming the
// watches it holds; it then numbers requests (xid 1, 2, ... across
// connections) and remembers each one's op code, so that every reply is
// decoded as the answer to its own request. Replies come in request order,
// as ZooKeeper's server guarantees; one that does not is a protocol error
// (ZooKeeper's client says "Xid out of order" and drops the connection).
// Notifications (xid -1) come out as events; answers to pings (xid -2),
// SetWatches (xid -8) and auth (xid -4) are consumed here.
//
// Watches are tracked as ZooKeeper's client tracks them: set by a watching
// getData/exists/getChildren that succeeded (exists also on NONODE), cleared
// by the event that fires them.
//
// Sans-IO and single-threaded: callers append the bytes it produces to what
// they write, and feed it what they read. Used by net/asio/zk_client and
// tests.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/jute_records.h"

namespace warden::net {

// ZooKeeper's client port when a connect string names none.
inline constexpr uint16_t kDefaultClientPort = 2181;

struct ZkEndpoint {
  std::string host;
  uint16_t port = kDefaultClientPort;
  bool operator==(const ZkEndpoint&) const = default;
};

// "host:port,host:port,..." as ZooKeeper clients take it ("[::1]:2181" for an
// IPv6 address; a missing port means 2181). A chroot suffix ("/app") is not
// supported and is an error. On failure returns nullopt and sets *error.
std::optional<std::vector<ZkEndpoint>> parse_connect_string(std::string_view text,
                                                            std::string* error);
std::string endpoint_text(const ZkEndpoint& endpoint);

// A reply to one of this client's requests, with the op code it was decoded
// as. reply.header.err says whether it succeeded; a failed one has no body.
struct ZkReply {
  store::OpCode op = store::OpCode::kPing;
  Reply reply;
};

// What one connection delivers, in order: first the handshake's answer
// (timeout_ms 0 means the session expired), then replies and events.
using ZkClientInput = std::variant<ConnectResponse, ZkReply, WatcherEvent>;

class ZkClientCodec {
 public:
  explicit ZkClientCodec(int32_t session_timeout_ms, int32_t max_frame_bytes = kDefaultMaxBuffer);

  // A new connection: forgets what the last one had in flight and appends
  // the handshake (and SetWatches, for a session that holds watches) to
  // `out`. The requests that were in flight are lost: the caller fails them.
  void start_connection(std::string& out);
  // Appends a request frame to `out` and returns its xid. Any time after
  // start_connection(): a server reads what follows the ConnectRequest once
  // the session is open.
  int32_t request(std::string& out, store::OpCode op, const RequestBody& body);
  // Appends a ping (xid -2): keeps the session alive while idle.
  void ping(std::string& out);

  // Bytes as they were read, in any pieces.
  void feed(std::string_view bytes);
  // The next complete input, or nullopt if more bytes are needed or the
  // connection failed (failed(): drop it and start another).
  std::optional<ZkClientInput> next();

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // The handshake on this connection has been answered with a live session.
  bool connected() const { return phase_ == Phase::kConnected; }
  // Requests sent on this connection and not yet answered.
  size_t in_flight() const { return pending_.size(); }

  store::SessionId session_id() const { return session_id_; }
  // What the server granted (0 before the first handshake).
  int32_t negotiated_timeout_ms() const { return negotiated_timeout_ms_; }
  int64_t last_zxid_seen() const { return last_zxid_seen_; }
  const std::set<std::string>& data_watches() const { return data_watches_; }
  const std::set<std::string>& exist_watches() const { return exist_watches_; }
  const std::set<std::string>& child_watches() const { return child_watches_; }

 private:
  enum class Phase { kIdle, kHandshake, kConnected };
  struct Pending {
    int32_t xid = 0;
    store::OpCode op = store::OpCode::kPing;
    std::string watch_path;  // empty unless the request sets a watch
  };

  std::optional<ZkClientInput> handshake(std::string_view payload);
  // nullopt for a reply consumed here (ping, SetWatches, auth).
  std::optional<ZkClientInput> reply(std::string_view payload);
  void register_watch(const Pending& request, store::ErrorCode err);
  void clear_watches(const WatcherEvent& event);
  void fail(std::string message);

  int32_t session_timeout_ms_;
  int32_t max_frame_bytes_;
  Phase phase_ = Phase::kIdle;
  FrameDecoder decoder_;
  std::deque<Pending> pending_;
  std::string error_;
  int32_t next_xid_ = 1;
  store::SessionId session_id_ = 0;
  std::string passwd_;
  int32_t negotiated_timeout_ms_ = 0;
  int64_t last_zxid_seen_ = 0;
  std::set<std::string> data_watches_;
  std::set<std::string> exist_watches_;
  std::set<std::string> child_watches_;
};

}  // namespace warden::net
