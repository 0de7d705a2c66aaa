// `warden router --server HOSTS --cluster NAME [--rw-port P] [--ro-port P]
// [--listen ADDRESS] [--max-lag-seconds S] [--http-port P]`: the read/write
// split in front of a MySQL cluster that Warden's agents manage (the
// runtime is mysqlctl/router.h). Connections to the read-write port reach
// the published primary, those to the read-only port a replica fit for
// reads; it runs until SIGINT or SIGTERM and logs through spdlog, as
// `warden serve` does.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "mysqlctl/router.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct RouterCommandOptions {
  std::string server = "127.0.0.1:2181";
  std::string cluster = "main";
  std::string listen = "127.0.0.1";
  // MySQL Router's classic-protocol defaults, which clients may already use.
  uint16_t rw_port = 6446;
  uint16_t ro_port = 6447;
  uint64_t max_lag_seconds = mysqlctl::RoutePolicy{}.max_lag_seconds;
  std::optional<uint16_t> http_port;
  bool no_primary_fallback = false;
  int32_t session_timeout_ms = 10000;
};

void set_up_logging() {
  auto logger = spdlog::stderr_logger_mt("warden");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int run_router(const RouterCommandOptions& command) {
  const char* prefix = "warden router: ";
  if (std::string error = mysqlctl::cluster_name_error(command.cluster); !error.empty()) {
    std::fprintf(stderr, "%s--cluster: %s\n", prefix, error.c_str());
    return kExitUsage;
  }
  std::string error;
  std::optional<std::vector<net::ZkEndpoint>> hosts =
      net::parse_connect_string(command.server, &error);
  if (!hosts) {
    std::fprintf(stderr, "%s--server: %s\n", prefix, error.c_str());
    return kExitUsage;
  }
  set_up_logging();
  mysqlctl::RouterOptions options;
  options.warden = *hosts;
  options.cluster = command.cluster;
  options.listen_address = command.listen;
  options.rw_port = command.rw_port;
  options.ro_port = command.ro_port;
  options.http_port = command.http_port;
  options.policy.max_lag_seconds = command.max_lag_seconds;
  options.policy.reads_fall_back_to_primary = !command.no_primary_fallback;
  options.session_timeout_ms = command.session_timeout_ms;
  options.log = [](const std::string& line) { spdlog::info("{}", line); };

  boost::asio::io_context io;
  std::shared_ptr<mysqlctl::Router> router = mysqlctl::Router::create(io, std::move(options));
  try {
    router->start();
  } catch (const boost::system::system_error& failed) {
    std::fprintf(stderr, "%scannot listen on %s: %s\n", prefix, command.listen.c_str(),
                 failed.what());
    return kExitFailed;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& failed, int signal) {
    if (failed) return;
    spdlog::info("signal {}: stopping", signal);
    router->stop([&io] { io.stop(); });
  });
  io.run();
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace

void add_router_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<RouterCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "router",
      "Split reads from writes in front of a MySQL cluster that Warden's agents manage: the "
      "read-write port reaches the published primary, the read-only port a replica");
  command->add_option("--server", options->server, "Warden nodes, host:port[,host:port...]")
      ->capture_default_str();
  command->add_option("--cluster", options->cluster, "The MySQL cluster (warden.mysql.cluster)")
      ->capture_default_str();
  command->add_option("--rw-port", options->rw_port, "Port for writes (to the primary)")
      ->capture_default_str();
  command->add_option("--ro-port", options->ro_port, "Port for reads (to a replica)")
      ->capture_default_str();
  command->add_option("--listen", options->listen, "Address the ports listen on")
      ->capture_default_str();
  command
      ->add_option("--max-lag-seconds", options->max_lag_seconds,
                   "Replicas lagging more than this get no new reads")
      ->capture_default_str();
  command->add_option("--http-port", options->http_port,
                      "Port for HTTP checks: GET /primary, /replica, /health (none by default)");
  command->add_flag("--no-primary-fallback", options->no_primary_fallback,
                    "Refuse reads when no replica is fit for them, rather than send them to the "
                    "primary");
  command
      ->add_option("--session-timeout-ms", options->session_timeout_ms,
                   "The router's session with Warden; without one it routes nothing new")
      ->capture_default_str();
  command->callback([options, exit_code] { *exit_code = run_router(*options); });
}

}  // namespace warden::tools
