// The read/write split's TCP router (`warden router`): two listening ports in
// front of a MySQL cluster, one for writes and one for reads, each splicing
// a client's bytes both ways to the server that mysqlctl/route_table.h's
// rules choose when the connection is accepted. MySQL's protocol begins
// with the server's greeting and carries no addresses, so plain byte
// splicing is enough: clients log in to the server itself.
//
// The router follows the cluster's subtree through Warden's client
// (net/asio/zk_client.h) with watches: a data watch on the primary record
// (an exists watch while it is absent), a children watch on members/ and
// maintenance/, and a data watch on every member record. Every event
// re-reads the whole subtree, and so does a timer, in case an event is ever
// missed. When the primary record names another member or epoch, every
// read-write connection made under the old one is closed at once, so no
// client keeps writing to a deposed primary; new ones go to the new primary
// once its member record says it is writable. Read-only connections stay
// where they are; new ones avoid replicas that stopped qualifying. While the
// router has no session, nothing new is routed.
//
// Optionally answers HTTP health checks (mysqlctl/health_checks.h) on
// http_port.
//
// Created, started and stopped on its io_context's thread, which runs all of
// its handlers.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mysqlctl/route_table.h"
#include "net/asio/http_server.h"
#include "net/asio/zk_client.h"

namespace warden::mysqlctl {

struct RouterOptions {
  std::vector<net::ZkEndpoint> warden;  // any nodes of the ensemble
  std::string cluster;                  // valid (member.h), asserted
  std::string listen_address = "127.0.0.1";
  uint16_t rw_port = 0;  // 0: any free port (see rw_port())
  uint16_t ro_port = 0;
  std::optional<uint16_t> http_port;  // none: no HTTP checks
  RoutePolicy policy;
  int32_t session_timeout_ms = 10000;
  // The safety-net re-read, besides the watches.
  uint64_t refresh_interval_ms = 1000;
  // A backend that does not accept within this long fails the connection.
  uint64_t backend_connect_timeout_ms = 2000;
  std::function<void(const std::string& line)> log;
};

class Router : public std::enable_shared_from_this<Router> {
 public:
  static std::shared_ptr<Router> create(boost::asio::io_context& io, RouterOptions options);
  ~Router();

  // Binds every port, then follows the namespace and accepts. Throws
  // boost::system::system_error when a port cannot be bound.
  void start();
  // Stops accepting, closes every spliced connection and the session;
  // `done` runs once the session is closed.
  void stop(std::function<void()> done);

  uint16_t rw_port() const;
  uint16_t ro_port() const;
  uint16_t http_port() const;  // 0 without HTTP

 private:
  enum class Port { kReadWrite, kReadOnly };
  class Splice;
  struct PendingRead;

  Router(boost::asio::io_context& io, RouterOptions options);

  void connect();
  void reconnect_later();
  void on_event();
  void read_topology();
  void read_members(const std::shared_ptr<PendingRead>& pending);
  void finish_read(const std::shared_ptr<PendingRead>& pending);
  void watch_existence(const std::string& path);
  void schedule_refresh();
  void apply(Topology topology);
  void close_stale_read_write();
  void set_unknown(const std::string& why);

  void accept(Port port);
  void on_accepted(Port port, boost::asio::ip::tcp::socket socket);
  ConnectionCounts read_only_counts() const;

  void log(const std::string& line) const;
  void log_change(std::string& last, const std::string& line) const;

  boost::asio::io_context& io_;
  RouterOptions options_;
  boost::asio::ip::tcp::acceptor rw_acceptor_;
  boost::asio::ip::tcp::acceptor ro_acceptor_;
  std::unique_ptr<net::HttpServer> http_;
  boost::asio::steady_timer refresh_timer_;
  std::shared_ptr<net::ZkClient> client_;
  bool stopping_ = false;

  Topology topology_;
  bool reading_ = false;
  bool read_again_ = false;  // an event came while a read was running

  struct Open {
    Port port;
    Backend backend;
    std::shared_ptr<Splice> splice;
  };
  std::map<uint64_t, Open> open_;  // by connection number
  uint64_t next_connection_ = 1;

  mutable std::string last_write_route_;
  mutable std::string last_read_route_;
  mutable std::string last_refusal_;
  mutable std::string last_backend_failure_;
  mutable std::string last_unreadable_;
  mutable std::string last_accept_failure_;
};

}  // namespace warden::mysqlctl
