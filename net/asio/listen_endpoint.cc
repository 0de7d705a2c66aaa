#include "net/asio/listen_endpoint.h"

namespace warden::net {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp::endpoint listen_endpoint(asio::io_context& io, const std::string& host, uint16_t port) {
  boost::system::error_code error;
  const asio::ip::address literal = asio::ip::make_address(host, error);
  if (!error) return tcp::endpoint(literal, port);
  tcp::resolver resolver(io);
  const tcp::resolver::results_type results =
      resolver.resolve(host, std::to_string(port), tcp::resolver::passive);  // throws
  // Prefer IPv4, as the loopback names of most hosts files list it first
  // and clients dial it.
  for (const auto& entry : results) {
    if (entry.endpoint().address().is_v4()) return entry.endpoint();
  }
  return results.begin()->endpoint();
}

void start_listening(tcp::acceptor& acceptor, const std::string& host, uint16_t port) {
  const tcp::endpoint endpoint = listen_endpoint(
      static_cast<asio::io_context&>(acceptor.get_executor().context()), host, port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
}

}  // namespace warden::net
