#include "net/asio/admin_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>

#include "net/asio/listen_endpoint.h"

namespace warden::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr std::chrono::seconds kIdleTimeout{10};
constexpr uint32_t kMaxRequestHeaderBytes = 8 * 1024;
}  // namespace

// One HTTP connection: read a request, answer it, repeat while kept alive.
class AdminServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const FactsSource& facts)
      : stream_(std::move(socket)), facts_(facts) {}

  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestHeaderBytes);
    parser_->body_limit(0);  // GET carries no body
    stream_.expires_after(kIdleTimeout);
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, *parser_,
                     [self](beast::error_code error, size_t) { self->on_read(error); });
  }

 private:
  void on_read(beast::error_code error) {
    if (error) return close();
    const http::request<http::empty_body>& request = parser_->get();
    const beast::string_view method = request.method_string();
    const beast::string_view target = request.target();
    const AdminResponse answer =
        route_admin(std::string_view(method.data(), method.size()),
                    std::string_view(target.data(), target.size()), facts_);
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), request.version());
    response->set(http::field::server, "warden");
    response->set(http::field::content_type, answer.content_type);
    response->keep_alive(request.keep_alive());
    if (request.method() != http::verb::head) response->body() = answer.body;
    response->prepare_payload();
    auto self = shared_from_this();
    http::async_write(stream_, *response, [self, response](beast::error_code write_error, size_t) {
      if (write_error || !response->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  FactsSource facts_;  // a copy: a session may outlive a stopped server
};

AdminServer::AdminServer(asio::io_context& io, FactsSource facts,
                         std::function<void(const std::string&)> log)
    : acceptor_(io), facts_(std::move(facts)), log_(std::move(log)) {}

void AdminServer::start(const std::string& address, uint16_t port) {
  start_listening(acceptor_, address, port);
  accept();
}

void AdminServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

uint16_t AdminServer::port() const {
  beast::error_code ignored;
  return acceptor_.local_endpoint(ignored).port();
}

void AdminServer::accept() {
  acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) std::make_shared<Session>(std::move(socket), facts_)->read();
    accept();
  });
}

}  // namespace warden::net
