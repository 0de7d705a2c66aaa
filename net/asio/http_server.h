// HttpServer: a small HTTP/1.1 server on Boost.Beast for the endpoints
// Warden serves: the admin server (net/asio/admin_server.h), the MySQL
// router's and each agent's health checks (mysqlctl/router.h,
// tools/serve_command.cc). Every request is answered by the handler given at
// construction, from its method and target; one request at a time per
// connection, keep-alive honoured, a silent client dropped after
// `idle_timeout`, request bodies refused, HEAD answered without a body.
//
// Created, started, stopped and run on one io_context's thread; the handler
// runs there too, so it may read its owner's state directly. A connection
// in progress keeps a copy of the handler, so the handler must not assume
// its owner is still alive (capture a weak_ptr, or a copy of what it reads).
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "net/http_answer.h"

namespace warden::net {

class HttpServer {
 public:
  using Handler = std::function<HttpAnswer(std::string_view method, std::string_view target)>;

  HttpServer(boost::asio::io_context& io, Handler handler, std::chrono::seconds idle_timeout);

  // Binds (SO_REUSEADDR) and starts accepting; throws
  // boost::system::system_error when the address cannot be bound. Port 0
  // takes any free port (see port()).
  void start(const std::string& address, uint16_t port);
  // Stops accepting; connections in progress finish their request.
  void stop();
  uint16_t port() const;

 private:
  class Session;
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  std::chrono::seconds idle_timeout_;
};

}  // namespace warden::net
