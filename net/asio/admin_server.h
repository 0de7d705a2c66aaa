// The admin HTTP server (ZooKeeper's admin.serverPort): an HttpServer
// (net/asio/http_server.h) on the node's io_context that answers each GET
// through route_admin (net/admin_routes.h); a slow or silent client is
// dropped after 10 s.
//
// Owned by NodeServer; everything runs on the node's thread, so the facts
// source may read the node's state directly.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "net/admin_routes.h"
#include "net/asio/http_server.h"

namespace warden::net {

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, FactsSource facts,
              std::function<void(const std::string&)> log);

  // Binds and starts accepting; throws boost::system::system_error if the
  // address cannot be bound.
  void start(const std::string& address, uint16_t port);
  void stop();
  uint16_t port() const;

 private:
  static constexpr std::chrono::seconds kIdleTimeout{10};

  HttpServer http_;
  std::function<void(const std::string&)> log_;
};

}  // namespace warden::net
