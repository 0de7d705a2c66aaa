// ZkClient: a ZooKeeper client session over TCP on Boost.Asio, for Warden's
// own tools (`warden cli`, `warden bench`). The protocol is ZkClientCodec's
// (net/zk_client_codec.h); this class adds the sockets and the clock.
//
// connect() tries the hosts of the connect string in order, round and round,
// until one opens a session or the session timeout has passed. Requests may
// be pipelined: submit() sends at once, however many are in flight, and
// replies come back in submission order. While the session is being
// (re)established, submitted requests wait and go out once it is. A lost
// connection fails what was in flight with CONNECTIONLOSS, and the client
// moves on to the next host with the same session (its watches re-armed)
// until the session timeout runs out; a server that says the session
// expired ends it with SESSIONEXPIRED. The client pings when it has sent
// nothing for a third of the session timeout, and drops a connection that
// has been silent for two thirds of it, as ZooKeeper's client does.
//
// Create it with ZkClient::create and end it with close(): pending handlers
// hold it alive. Handlers run on the io_context's thread, the only thread
// that may call it; they may submit more requests.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/zk_client_codec.h"

namespace warden::net {

struct ZkClientOptions {
  std::vector<ZkEndpoint> hosts;  // tried in this order
  int32_t session_timeout_ms = 30000;
  // Each watch notification, as it arrives.
  std::function<void(const WatcherEvent& event)> on_event;
  // The session ended for good (expired, or no server could be reached in
  // time); every request from now on fails with `error`.
  std::function<void(store::ErrorCode error)> on_session_lost;
};

class ZkClient : public std::enable_shared_from_this<ZkClient> {
 public:
  // The reply; on failure header.err says why (CONNECTIONLOSS if the
  // connection went first) and the body is empty.
  using ReplyHandler = std::function<void(const Reply& reply)>;
  using ConnectHandler = std::function<void(store::ErrorCode error)>;

  static std::shared_ptr<ZkClient> create(boost::asio::io_context& io, ZkClientOptions options);

  // Opens the session; `done` gets OK, or why no host gave one.
  void connect(ConnectHandler done);
  void submit(store::OpCode op, RequestBody body, ReplyHandler done);
  // Closes the session (closeSession, then the socket); `done` runs once it
  // is closed or the server did not answer in time.
  void close(std::function<void()> done);

  bool connected() const { return state_ == State::kConnected; }
  // The session is over: closed, expired or never opened.
  bool ended() const { return state_ == State::kClosed; }
  // "host:port" of the server the session is on ("" when none).
  std::string server() const;
  store::SessionId session_id() const { return codec_.session_id(); }
  size_t in_flight() const { return in_flight_.size(); }
  // Why the last connection ended or the last attempt failed ("" if none did).
  const std::string& last_error() const { return last_error_; }

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { kIdle, kConnecting, kConnected, kClosing, kClosed };
  struct Connection;
  struct Waiting {
    store::OpCode op;
    RequestBody body;
    ReplyHandler done;
  };

  ZkClient(boost::asio::io_context& io, ZkClientOptions options);

  void try_next_host();
  void dial(const std::shared_ptr<Connection>& connection);
  void on_dialed(const std::shared_ptr<Connection>& connection);
  void read(const std::shared_ptr<Connection>& connection);
  void on_bytes(const std::shared_ptr<Connection>& connection, size_t count);
  void on_input(ZkClientInput& input);
  void on_handshake(const ConnectResponse& response);
  void write(const std::shared_ptr<Connection>& connection);
  void send(store::OpCode op, const RequestBody& body, ReplyHandler done);
  void arm_heartbeat();
  void heartbeat();
  // The connection ended: fail what it carried, then reconnect, give up or
  // finish closing, as the state says.
  void drop(const std::shared_ptr<Connection>& connection, const std::string& why);
  // The session is over (expired, unreachable or closed): everything
  // pending fails with `error`, and whoever waits is told.
  void end_session(store::ErrorCode error);
  void fail_in_flight(store::ErrorCode error);
  void fail_waiting(store::ErrorCode error);
  bool current(const std::shared_ptr<Connection>& connection) const {
    return connection && connection == connection_;
  }

  boost::asio::io_context& io_;
  ZkClientOptions options_;
  ZkClientCodec codec_;
  State state_ = State::kIdle;
  std::shared_ptr<Connection> connection_;
  size_t hosts_tried_ = 0;      // connection attempts so far; the next host is this modulo
  Clock::time_point deadline_;  // give up (re)connecting after this
  boost::asio::steady_timer attempt_timer_;    // one dial and handshake; closing
  boost::asio::steady_timer heartbeat_timer_;  // pings and the silence check
  Clock::time_point last_sent_;
  Clock::time_point last_received_;
  ConnectHandler connect_done_;
  std::function<void()> close_done_;
  std::deque<std::pair<int32_t, ReplyHandler>> in_flight_;  // by xid, in send order
  std::deque<Waiting> waiting_;                             // until the session is (re)opened
  store::ErrorCode lost_ = store::ErrorCode::kOk;           // why the session ended
  std::string last_error_;
};

}  // namespace warden::net
