// `warden serve --config zoo.cfg`: runs one node of a Warden ensemble from
// an existing ZooKeeper configuration (and the myid in its dataDir), until
// SIGINT or SIGTERM.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "net/asio/node_server.h"
#include "net/zoo_config.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

// Lines go to stderr with a millisecond stamp; every line is flushed, so a
// node killed with SIGKILL leaves its last words in the log.
void set_up_logging() {
  auto logger = spdlog::stderr_logger_mt("warden");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%l] %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void log_line(const std::string& line) {
  spdlog::info("{}", line);
}

int serve(const std::string& config_path) {
  const net::ConfigResult loaded = net::load_zoo_config(config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "warden serve: %s\n", loaded.error.c_str());
    return 2;
  }
  const net::ZooConfig& config = *loaded.config;
  set_up_logging();
  for (const std::string& warning : config.warnings) spdlog::warn("{}", warning);
  net::NodeServerOptions options;
  options.config = config;
  options.log = log_line;
  net::NodeServer server(options);
  const std::string error = server.open();
  if (!error.empty()) {
    std::fprintf(stderr, "warden serve: %s\n", error.c_str());
    return 1;
  }
  log_line("node " + std::to_string(config.my_id) + " of cluster " +
           std::to_string(config.cluster_id) + " serving clients on " + config.client_address +
           ":" + std::to_string(server.client_port()));
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& failed, int signal) {
    if (!failed) log_line("signal " + std::to_string(signal) + ": stopping");
    server.stop();
  });
  std::thread signal_thread([&] { signals_io.run(); });
  server.run();
  signals_io.stop();
  signal_thread.join();
  log_line("stopped");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand("serve", "Run one node of a Warden ensemble");
  auto config_path = std::make_shared<std::string>();
  command->add_option("--config", *config_path, "ZooKeeper's zoo.cfg (myid is read from dataDir)")
      ->required();
  command->callback([exit_code, config_path] { *exit_code = serve(*config_path); });
}

}  // namespace warden::tools
