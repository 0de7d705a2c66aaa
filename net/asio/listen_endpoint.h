// Where to listen, from a zoo.cfg address: an IP literal, or a host name as
// existing ensembles write their server lines ("server.1=zoo1:2888:3888")
// and clientPortAddress. A name is resolved once, at startup, and the first
// address it gives is used, as ZooKeeper binds the InetSocketAddress it
// resolved. Throws boost::system::system_error when it does not resolve.
//
// start_listening opens, binds (with SO_REUSEADDR, so a restarted node gets
// its port back at once) and listens. Called by NodeServer, PeerTransport
// and AdminServer when they bind.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <string>

namespace warden::net {

boost::asio::ip::tcp::endpoint listen_endpoint(boost::asio::io_context& io, const std::string& host,
                                               uint16_t port);

void start_listening(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host,
                     uint16_t port);

}  // namespace warden::net
