#include "net/zk_client_codec.h"

#include <charconv>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace warden::net {

using store::ErrorCode;
using store::EventType;
using store::OpCode;

namespace {

std::optional<ZkEndpoint> parse_endpoint(std::string_view text, std::string* error) {
  ZkEndpoint endpoint;
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      *error = "unbalanced [ in \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      *error = "expected :port after ] in \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const size_t colon = text.rfind(':');
    endpoint.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (endpoint.host.empty()) {
    *error = "no host in \"" + std::string(text) + "\"";
    return std::nullopt;
  }
  if (!port.empty()) {
    int value = 0;
    const auto [end, failed] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (failed != std::errc{} || end != port.data() + port.size() || value <= 0 || value > 65535) {
      *error = "bad port in \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    endpoint.port = static_cast<uint16_t>(value);
  }
  return endpoint;
}

// The path a request asks to watch, or "" if it sets no watch.
std::string watched_path(const RequestBody& body) {
  return std::visit(
      [](const auto& request) -> std::string {
        using T = std::decay_t<decltype(request)>;
        if constexpr (std::is_same_v<T, GetDataRequest> || std::is_same_v<T, ExistsRequest> ||
                      std::is_same_v<T, GetChildrenRequest> ||
                      std::is_same_v<T, GetChildren2Request>) {
          return request.watch ? request.path : std::string();
        } else {
          return std::string();
        }
      },
      body);
}

}  // namespace

std::optional<std::vector<ZkEndpoint>> parse_connect_string(std::string_view text,
                                                            std::string* error) {
  if (text.find('/') != std::string_view::npos) {
    *error = "a chroot in the connect string is not supported";
    return std::nullopt;
  }
  std::vector<ZkEndpoint> endpoints;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;  // "a:1,,b:2" and a trailing comma, as ZooKeeper allows
    std::optional<ZkEndpoint> endpoint = parse_endpoint(item, error);
    if (!endpoint) return std::nullopt;
    endpoints.push_back(std::move(*endpoint));
  }
  if (endpoints.empty()) {
    *error = "no host:port in the connect string";
    return std::nullopt;
  }
  return endpoints;
}

std::string endpoint_text(const ZkEndpoint& endpoint) {
  const bool ipv6 = endpoint.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + endpoint.host + "]" : endpoint.host;
  return host + ":" + std::to_string(endpoint.port);
}

ZkClientCodec::ZkClientCodec(int32_t session_timeout_ms, int32_t max_frame_bytes)
    : session_timeout_ms_(session_timeout_ms),
      max_frame_bytes_(max_frame_bytes),
      decoder_(max_frame_bytes) {}

void ZkClientCodec::start_connection(std::string& out) {
  phase_ = Phase::kHandshake;
  decoder_ = FrameDecoder(max_frame_bytes_);
  pending_.clear();
  error_.clear();
  ConnectRequest connect;
  connect.last_zxid_seen = last_zxid_seen_;
  connect.timeout_ms = session_timeout_ms_;
  connect.session_id = session_id_;
  connect.passwd = session_id_ != 0 ? passwd_ : std::string(16, '\0');
  connect.read_only = false;
  append_encoded_frame(out, connect);
  if (data_watches_.empty() && exist_watches_.empty() && child_watches_.empty()) return;
  // As ZooKeeper's client primes a connection: the watches go right behind
  // the handshake, and the server fires those whose node changed since
  // last_zxid_seen.
  SetWatches watches;
  watches.relative_zxid = last_zxid_seen_;
  watches.data_watches.assign(data_watches_.begin(), data_watches_.end());
  watches.exist_watches.assign(exist_watches_.begin(), exist_watches_.end());
  watches.child_watches.assign(child_watches_.begin(), child_watches_.end());
  append_encoded_frame(out, RequestHeader{kSetWatchesXid, OpCode::kSetWatches}, watches);
}

int32_t ZkClientCodec::request(std::string& out, OpCode op, const RequestBody& body) {
  const int32_t xid = next_xid_;
  // Negative xids are the protocol's own (notifications, pings, ...).
  next_xid_ = next_xid_ == INT32_MAX ? 1 : next_xid_ + 1;
  append_encoded_frame(out, RequestHeader{xid, op}, body);
  pending_.push_back(Pending{xid, op, watched_path(body)});
  return xid;
}

void ZkClientCodec::ping(std::string& out) {
  append_encoded_frame(out, RequestHeader{kPingXid, OpCode::kPing});
}

void ZkClientCodec::feed(std::string_view bytes) {
  decoder_.feed(bytes);
}

std::optional<ZkClientInput> ZkClientCodec::next() {
  while (!failed()) {
    std::optional<std::string> payload = decoder_.next();
    if (decoder_.failed()) fail("frame: " + decoder_.error());
    if (!payload) return std::nullopt;
    if (phase_ == Phase::kHandshake) return handshake(*payload);
    if (phase_ != Phase::kConnected) {
      fail("bytes before the connection started");
      return std::nullopt;
    }
    std::optional<ZkClientInput> input = reply(*payload);
    if (input) return input;
  }
  return std::nullopt;
}

std::optional<ZkClientInput> ZkClientCodec::handshake(std::string_view payload) {
  Decoded<ConnectResponse> response = decode<ConnectResponse>(payload);
  if (!response) {
    fail("ConnectResponse: " + response.error());
    return std::nullopt;
  }
  if (response->timeout_ms <= 0) {
    // The server ends the connection after this; the session is gone.
    phase_ = Phase::kIdle;
    return ZkClientInput(std::move(*response));
  }
  phase_ = Phase::kConnected;
  session_id_ = response->session_id;
  passwd_ = response->passwd;
  negotiated_timeout_ms_ = response->timeout_ms;
  return ZkClientInput(std::move(*response));
}

std::optional<ZkClientInput> ZkClientCodec::reply(std::string_view payload) {
  const Decoded<ReplyHeader> header = decode<ReplyHeader>(payload);
  if (!header) {
    fail("reply header: " + header.error());
    return std::nullopt;
  }
  const int32_t xid = header->xid;
  if (xid == kPingXid || xid == kSetWatchesXid || xid == kAuthXid) return std::nullopt;
  if (xid != kNotificationXid && (pending_.empty() || pending_.front().xid != xid)) {
    fail("Xid out of order: got " + std::to_string(xid) + ", expected " +
         (pending_.empty() ? std::string("none") : std::to_string(pending_.front().xid)));
    return std::nullopt;
  }
  const OpCode op = xid == kNotificationXid ? OpCode::kNotification : pending_.front().op;
  Decoded<Reply> decoded = decode_reply(payload, op);
  if (!decoded) {
    fail("reply to xid " + std::to_string(xid) + ": " + decoded.error());
    return std::nullopt;
  }
  if (xid == kNotificationXid) {
    WatcherEvent event = std::get<WatcherEvent>(std::move(decoded->body));
    clear_watches(event);
    return ZkClientInput(std::move(event));
  }
  const Pending request = std::move(pending_.front());
  pending_.pop_front();
  if (header->zxid > last_zxid_seen_) last_zxid_seen_ = header->zxid;
  register_watch(request, header->err);
  return ZkClientInput(ZkReply{op, std::move(*decoded)});
}

void ZkClientCodec::register_watch(const Pending& request, ErrorCode err) {
  if (request.watch_path.empty()) return;
  switch (request.op) {
    case OpCode::kGetData:
      if (err == ErrorCode::kOk) data_watches_.insert(request.watch_path);
      return;
    case OpCode::kExists:
      // Watching a node that is not there waits for its creation.
      if (err == ErrorCode::kOk) data_watches_.insert(request.watch_path);
      if (err == ErrorCode::kNoNode) exist_watches_.insert(request.watch_path);
      return;
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
      if (err == ErrorCode::kOk) child_watches_.insert(request.watch_path);
      return;
    default:
      return;
  }
}

void ZkClientCodec::clear_watches(const WatcherEvent& event) {
  switch (event.type) {
    case EventType::kNodeCreated:
    case EventType::kNodeDataChanged:
      data_watches_.erase(event.path);
      exist_watches_.erase(event.path);
      return;
    case EventType::kNodeChildrenChanged:
      child_watches_.erase(event.path);
      return;
    case EventType::kNodeDeleted:
      data_watches_.erase(event.path);
      exist_watches_.erase(event.path);
      child_watches_.erase(event.path);
      return;
    default:
      return;
  }
}

void ZkClientCodec::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

}  // namespace warden::net
