#include "net/asio/admin_server.h"

namespace warden::net {

AdminServer::AdminServer(boost::asio::io_context& io, FactsSource facts,
                         std::function<void(const std::string&)> log)
    : http_(
          io,
          // A copy of the facts source: a connection may outlive a
          // stopped server.
          [facts = std::move(facts)](std::string_view method, std::string_view target) {
            return route_admin(method, target, facts);
          },
          kIdleTimeout),
      log_(std::move(log)) {}

void AdminServer::start(const std::string& address, uint16_t port) {
  http_.start(address, port);
}

void AdminServer::stop() {
  http_.stop();
}

uint16_t AdminServer::port() const {
  return http_.port();
}

}  // namespace warden::net
