// HttpAnswer: what an HTTP endpoint answers, as data. The routes that build
// answers (net/admin_routes.h, mysqlctl/health_checks.h) are pure functions
// returning one; net/asio/http_server.h sends it. Anyone may use it.
#pragma once

#include <string>

namespace warden::net {

struct HttpAnswer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

}  // namespace warden::net
