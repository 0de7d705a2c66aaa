#include "net/asio/zk_client.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "net/asio/write_queue.h"

namespace warden::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using store::ErrorCode;
using store::OpCode;

namespace {

// After a round of hosts in which none opened the session: not a tight loop
// against a dead ensemble.
constexpr std::chrono::milliseconds kRoundPause{200};
// How long close() waits for the answer to closeSession.
constexpr std::chrono::milliseconds kCloseWait{2000};
// The least time one dial and handshake get, however many hosts share the
// session timeout.
constexpr int32_t kMinAttemptMs = 1000;

Reply failed_reply(int32_t xid, ErrorCode error) {
  Reply reply;
  reply.header = ReplyHeader{xid, 0, error};
  return reply;
}

}  // namespace

struct ZkClient::Connection {
  Connection(asio::io_context& io, ZkEndpoint server)
      : socket(io), resolver(io), endpoint(std::move(server)) {}
  tcp::socket socket;
  tcp::resolver resolver;
  WriteQueue writes;
  ZkEndpoint endpoint;
  std::array<char, 64 * 1024> buffer{};
};

std::shared_ptr<ZkClient> ZkClient::create(asio::io_context& io, ZkClientOptions options) {
  return std::shared_ptr<ZkClient>(new ZkClient(io, std::move(options)));
}

ZkClient::ZkClient(asio::io_context& io, ZkClientOptions options)
    : io_(io),
      options_(std::move(options)),
      codec_(options_.session_timeout_ms),
      attempt_timer_(io),
      heartbeat_timer_(io) {
  assert(!options_.hosts.empty());
}

std::string ZkClient::server() const {
  return connection_ && state_ == State::kConnected ? endpoint_text(connection_->endpoint) : "";
}

void ZkClient::connect(ConnectHandler done) {
  assert(state_ == State::kIdle);
  connect_done_ = std::move(done);
  state_ = State::kConnecting;
  deadline_ = Clock::now() + std::chrono::milliseconds(options_.session_timeout_ms);
  try_next_host();
}

void ZkClient::submit(OpCode op, RequestBody body, ReplyHandler done) {
  if (state_ == State::kClosed || state_ == State::kClosing) {
    const ErrorCode error = lost_ != ErrorCode::kOk ? lost_ : ErrorCode::kSessionExpired;
    asio::post(io_, [done = std::move(done), error] { done(failed_reply(0, error)); });
    return;
  }
  if (state_ != State::kConnected) {
    waiting_.push_back(Waiting{op, std::move(body), std::move(done)});
    return;
  }
  send(op, body, std::move(done));
}

void ZkClient::close(std::function<void()> done) {
  if (state_ == State::kClosed) {
    asio::post(io_, std::move(done));
    return;
  }
  close_done_ = std::move(done);
  if (state_ != State::kConnected) {
    end_session(ErrorCode::kSessionExpired);
    return;
  }
  state_ = State::kClosing;
  auto self = shared_from_this();
  send(OpCode::kCloseSession, std::monostate{},
       [self](const Reply&) { self->end_session(ErrorCode::kSessionExpired); });
  attempt_timer_.expires_after(kCloseWait);
  attempt_timer_.async_wait([self](const error_code& error) {
    if (!error && self->state_ == State::kClosing) self->end_session(ErrorCode::kSessionExpired);
  });
}

void ZkClient::try_next_host() {
  if (state_ != State::kConnecting) return;
  if (Clock::now() >= deadline_) {
    end_session(codec_.session_id() == 0 ? ErrorCode::kConnectionLoss : ErrorCode::kSessionExpired);
    return;
  }
  const size_t index = hosts_tried_ % options_.hosts.size();
  const bool new_round = hosts_tried_ > 0 && index == 0;
  ++hosts_tried_;
  auto connection = std::make_shared<Connection>(io_, options_.hosts[index]);
  connection_ = connection;
  if (!new_round) {
    dial(connection);
    return;
  }
  auto self = shared_from_this();
  attempt_timer_.expires_after(kRoundPause);
  attempt_timer_.async_wait([self, connection](const error_code& error) {
    if (!error && self->current(connection)) self->dial(connection);
  });
}

void ZkClient::dial(const std::shared_ptr<Connection>& connection) {
  auto self = shared_from_this();
  const int32_t attempt_ms = std::max<int32_t>(
      kMinAttemptMs, options_.session_timeout_ms / static_cast<int32_t>(options_.hosts.size()));
  attempt_timer_.expires_after(std::chrono::milliseconds(attempt_ms));
  attempt_timer_.async_wait([self, connection, attempt_ms](const error_code& error) {
    if (error || !self->current(connection) || self->state_ != State::kConnecting) return;
    self->drop(connection, "no session from " + endpoint_text(connection->endpoint) + " in " +
                               std::to_string(attempt_ms) + " ms");
  });
  connection->resolver.async_resolve(
      connection->endpoint.host, std::to_string(connection->endpoint.port),
      [self, connection](const error_code& error, const tcp::resolver::results_type& results) {
        if (!self->current(connection)) return;
        if (error) {
          self->drop(connection, endpoint_text(connection->endpoint) + ": " + error.message());
          return;
        }
        asio::async_connect(connection->socket, results,
                            [self, connection](const error_code& failed, const tcp::endpoint&) {
                              if (!self->current(connection)) return;
                              if (failed) {
                                self->drop(connection, endpoint_text(connection->endpoint) + ": " +
                                                           failed.message());
                                return;
                              }
                              self->on_dialed(connection);
                            });
      });
}

void ZkClient::on_dialed(const std::shared_ptr<Connection>& connection) {
  error_code ignored;
  // Requests are small and pipelined: waiting to fill a segment only adds latency.
  connection->socket.set_option(tcp::no_delay(true), ignored);
  codec_.start_connection(connection->writes.pending());
  last_sent_ = last_received_ = Clock::now();
  write(connection);
  read(connection);
}

void ZkClient::read(const std::shared_ptr<Connection>& connection) {
  auto self = shared_from_this();
  connection->socket.async_read_some(
      asio::buffer(connection->buffer), [self, connection](const error_code& error, size_t count) {
        if (!self->current(connection)) return;
        if (error) {
          const bool closed = error == asio::error::eof;
          self->drop(connection,
                     endpoint_text(connection->endpoint) + ": " +
                         (closed ? "the server closed the connection" : error.message()));
          return;
        }
        self->on_bytes(connection, count);
      });
}

void ZkClient::on_bytes(const std::shared_ptr<Connection>& connection, size_t count) {
  last_received_ = Clock::now();
  codec_.feed(std::string_view(connection->buffer.data(), count));
  // A handler may close the session or lose the connection: check each time.
  while (current(connection)) {
    std::optional<ZkClientInput> input = codec_.next();
    if (!input) break;
    on_input(*input);
  }
  if (!current(connection)) return;
  if (codec_.failed()) {
    drop(connection, endpoint_text(connection->endpoint) + ": " + codec_.error());
    return;
  }
  read(connection);
}

void ZkClient::on_input(ZkClientInput& input) {
  if (const auto* response = std::get_if<ConnectResponse>(&input)) {
    on_handshake(*response);
  } else if (auto* reply = std::get_if<ZkReply>(&input)) {
    assert(!in_flight_.empty() && in_flight_.front().first == reply->reply.header.xid);
    ReplyHandler done = std::move(in_flight_.front().second);
    in_flight_.pop_front();
    if (done) done(reply->reply);
  } else if (const auto* event = std::get_if<WatcherEvent>(&input)) {
    if (options_.on_event) options_.on_event(*event);
  }
}

void ZkClient::on_handshake(const ConnectResponse& response) {
  if (response.timeout_ms <= 0) {
    last_error_ = "the session expired";
    end_session(ErrorCode::kSessionExpired);
    return;
  }
  state_ = State::kConnected;
  attempt_timer_.cancel();
  arm_heartbeat();
  std::deque<Waiting> waiting = std::exchange(waiting_, {});
  for (Waiting& request : waiting) send(request.op, request.body, std::move(request.done));
  if (connect_done_) std::exchange(connect_done_, nullptr)(ErrorCode::kOk);
}

void ZkClient::send(OpCode op, const RequestBody& body, ReplyHandler done) {
  const int32_t xid = codec_.request(connection_->writes.pending(), op, body);
  in_flight_.emplace_back(xid, std::move(done));
  last_sent_ = Clock::now();
  write(connection_);
}

void ZkClient::write(const std::shared_ptr<Connection>& connection) {
  auto self = shared_from_this();
  connection->writes.start(connection->socket, [self, connection](const error_code& error) {
    if (!self->current(connection)) return;
    if (error) {
      self->drop(connection, endpoint_text(connection->endpoint) + ": " + error.message());
      return;
    }
    self->write(connection);
  });
}

void ZkClient::arm_heartbeat() {
  auto self = shared_from_this();
  auto connection = connection_;
  const int32_t period_ms = std::max(1, codec_.negotiated_timeout_ms() / 6);
  heartbeat_timer_.expires_after(std::chrono::milliseconds(period_ms));
  heartbeat_timer_.async_wait([self, connection](const error_code& error) {
    if (error || !self->current(connection)) return;
    if (self->state_ == State::kConnected || self->state_ == State::kClosing) self->heartbeat();
  });
}

void ZkClient::heartbeat() {
  const auto now = Clock::now();
  const std::chrono::milliseconds timeout(codec_.negotiated_timeout_ms());
  if (now - last_received_ > timeout * 2 / 3) {
    drop(connection_, endpoint_text(connection_->endpoint) + ": silent for " +
                          std::to_string(timeout.count() * 2 / 3) + " ms");
    return;
  }
  if (now - last_sent_ >= timeout / 3) {
    codec_.ping(connection_->writes.pending());
    last_sent_ = now;
    write(connection_);
  }
  arm_heartbeat();
}

void ZkClient::drop(const std::shared_ptr<Connection>& connection, const std::string& why) {
  if (!current(connection)) return;
  last_error_ = why;
  error_code ignored;
  connection->socket.close(ignored);
  connection->resolver.cancel();
  connection_.reset();
  heartbeat_timer_.cancel();
  if (state_ == State::kClosing) {
    end_session(ErrorCode::kSessionExpired);
    return;
  }
  if (state_ == State::kConnected) {
    // The session outlives the connection for its timeout: that long to
    // find a server that takes it back.
    state_ = State::kConnecting;
    deadline_ = Clock::now() + std::chrono::milliseconds(codec_.negotiated_timeout_ms());
  }
  fail_in_flight(ErrorCode::kConnectionLoss);  // handlers may submit: they wait now
  try_next_host();
}

void ZkClient::end_session(ErrorCode error) {
  if (state_ == State::kClosed) return;
  const bool closing = close_done_ != nullptr;
  state_ = State::kClosed;
  lost_ = error;
  if (connection_) {
    error_code ignored;
    connection_->socket.close(ignored);
    connection_->resolver.cancel();
    connection_.reset();
  }
  attempt_timer_.cancel();
  heartbeat_timer_.cancel();
  fail_in_flight(error);
  fail_waiting(error);
  if (connect_done_) {
    std::exchange(connect_done_, nullptr)(error);
  } else if (!closing && options_.on_session_lost) {
    options_.on_session_lost(error);
  }
  if (close_done_) std::exchange(close_done_, nullptr)();
}

void ZkClient::fail_in_flight(ErrorCode error) {
  std::deque<std::pair<int32_t, ReplyHandler>> failed = std::exchange(in_flight_, {});
  for (auto& [xid, done] : failed) {
    if (done) done(failed_reply(xid, error));
  }
}

void ZkClient::fail_waiting(ErrorCode error) {
  std::deque<Waiting> failed = std::exchange(waiting_, {});
  for (Waiting& request : failed) {
    if (request.done) request.done(failed_reply(0, error));
  }
}

}  // namespace warden::net
