#include "net/asio/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "net/asio/listen_endpoint.h"

namespace warden::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {
constexpr uint32_t kMaxRequestHeaderBytes = 8 * 1024;
}  // namespace

// One connection: read a request, answer it, repeat while kept alive.
class HttpServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Handler handler, std::chrono::seconds idle_timeout)
      : stream_(std::move(socket)), handler_(std::move(handler)), idle_timeout_(idle_timeout) {}

  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestHeaderBytes);
    parser_->body_limit(0);  // checks carry no body
    stream_.expires_after(idle_timeout_);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, size_t) {
                       if (error) return self->close();
                       self->answer();
                     });
  }

 private:
  void answer() {
    const http::request<http::empty_body>& request = parser_->get();
    const beast::string_view method = request.method_string();
    const beast::string_view target = request.target();
    const HttpAnswer answer = handler_(std::string_view(method.data(), method.size()),
                                       std::string_view(target.data(), target.size()));
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.status), request.version());
    response->set(http::field::server, "warden");
    response->set(http::field::content_type, answer.content_type);
    response->set(http::field::cache_control, "no-store");
    response->keep_alive(request.keep_alive());
    if (request.method() != http::verb::head) response->body() = answer.body;
    response->prepare_payload();
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code error, size_t) {
                        if (error || !response->keep_alive()) return self->close();
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
  Handler handler_;
  std::chrono::seconds idle_timeout_;
};

HttpServer::HttpServer(asio::io_context& io, Handler handler, std::chrono::seconds idle_timeout)
    : acceptor_(io), handler_(std::move(handler)), idle_timeout_(idle_timeout) {}

void HttpServer::start(const std::string& address, uint16_t port) {
  start_listening(acceptor_, address, port);
  accept();
}

void HttpServer::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

uint16_t HttpServer::port() const {
  beast::error_code ignored;
  return acceptor_.local_endpoint(ignored).port();
}

void HttpServer::accept() {
  acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!error) std::make_shared<Session>(std::move(socket), handler_, idle_timeout_)->read();
    accept();
  });
}

}  // namespace warden::net
