// The admin server's HTTP routes, as ZooKeeper's AdminServer lays them out
// plus what operators scrape: GET /commands (the list), /commands/<name> (a
// command's JSON; the four-letter word works as the name too), /metrics
// (Prometheus text format) and /health (200 when the node can serve, 503
// with the reasons when not).
//
// Sans-IO: route_admin() maps a request line to a response; the Beast server
// in net/asio/admin_server.h carries the bytes. The facts are gathered only
// for routes that need them.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "net/http_answer.h"
#include "net/server_commands.h"

namespace warden::net {

// ServerFacts as of now; called on the node's thread.
using FactsSource = std::function<ServerFacts()>;

HttpAnswer route_admin(std::string_view method, std::string_view target, const FactsSource& facts);

// The Prometheus text exposition (version 0.0.4) of the node's metrics.
std::string prometheus_metrics(const ServerFacts& facts);

}  // namespace warden::net
