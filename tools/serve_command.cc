// `warden serve --config zoo.cfg`: runs one node of a Warden ensemble from
// an existing ZooKeeper configuration (and the myid in its dataDir), until
// SIGINT or SIGTERM.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "mysqlctl/agent.h"
#include "mysqlctl/credentials.h"
#include "mysqlctl/mysql_operator.h"
#include "net/asio/http_server.h"
#include "net/asio/node_server.h"
#include "net/asio/process_memory.h"
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

// The MySQL agent beside this node, on a thread of its own so that its
// handling never delays the node's; it reaches the node through the client
// port like any client.
class MysqlAgentThread {
 public:
  // Empty when the agent is configured right (or not at all), else why not.
  std::string start(const net::ZooConfig& config, uint16_t client_port) {
    const net::MysqlAgentConfig& mysql = config.mysql;
    if (!mysql.enabled()) return "";
    mysqlctl::AgentOptions options;
    options.settings.cluster = mysql.cluster;
    options.settings.member_id =
        mysql.member_id.empty() ? "member" + std::to_string(config.my_id) : mysql.member_id;
    if (std::string error = mysqlctl::cluster_name_error(options.settings.cluster);
        !error.empty()) {
      return "warden.mysql.cluster: " + error;
    }
    if (std::string error = mysqlctl::member_id_error(options.settings.member_id); !error.empty()) {
      return "warden.mysql.member: " + error;
    }
    mysqlctl::MysqlOperatorOptions operator_options;
    if (std::string error = read_credentials("warden.mysql.credentials", mysql.credentials_file,
                                             operator_options.account);
        !error.empty()) {
      return error;
    }
    if (std::string error =
            read_credentials("warden.mysql.replicationCredentials",
                             mysql.replication_credentials_file, operator_options.replication);
        !error.empty()) {
      return error;
    }
    operator_options.probe_timeout_ms = static_cast<int>(mysql.probe_timeout_ms);
    // Cut off for two thirds of its session timeout, the primary's agent
    // fences its server; the others promote no sooner than a whole session
    // timeout after they saw its session end, which is later still.
    options.settings.fence_after_ms = mysql.session_timeout_ms * 2 / 3;
    options.settings.lease_wait_ms = mysql.session_timeout_ms;
    options.settings.min_failover_interval_ms = mysql.min_failover_interval_ms;
    // Long enough for every agent of a starting cluster to have published.
    options.settings.settle_ms =
        std::max(3 * mysql.probe_interval_ms, mysql.session_timeout_ms / 2);
    options.server = {.host = mysql.host, .port = mysql.port};
    options.priority = mysql.priority;
    const std::string node_host =
        config.client_address == "0.0.0.0" || config.client_address.empty() ? "127.0.0.1"
                                                                            : config.client_address;
    options.warden = {{.host = node_host, .port = client_port}};
    options.session_timeout_ms = static_cast<int32_t>(mysql.session_timeout_ms);
    options.probe_interval_ms = mysql.probe_interval_ms;
    options.mysql = std::make_shared<mysqlctl::ConnectorMysqlOperator>(operator_options);
    options.log = log_line;
    agent_ = mysqlctl::Agent::create(io_, std::move(options));
    if (std::string error = start_health_checks(config); !error.empty()) {
      agent_.reset();  // never started: stop() has nothing to stop
      return error;
    }
    boost::asio::post(io_, [agent = agent_] { agent->start(); });
    thread_ = std::thread([this] { io_.run(); });
    return "";
  }

  // Closes the agent's session, so its member record goes at once.
  // Safe to call twice (the signal handler, then the end of serve).
  void stop() {
    if (!agent_) return;
    boost::asio::post(io_, [this] {
      if (health_) health_->stop();
      agent_->stop([this] { io_.stop(); });
    });
    thread_.join();
    agent_.reset();
  }

 private:
  // warden.mysql.healthPort: HTTP checks about this member for HAProxy, on
  // the agent's thread (the handler reads the agent's state), on the
  // address the node serves clients on. Empty when started or not asked
  // for, else why it could not listen.
  std::string start_health_checks(const net::ZooConfig& config) {
    if (!config.mysql.health_port) return "";
    std::weak_ptr<mysqlctl::Agent> weak = agent_;
    health_ = std::make_unique<net::HttpServer>(
        io_,
        [weak](std::string_view method, std::string_view target) {
          auto agent = weak.lock();
          if (!agent)
            return mysqlctl::HttpAnswer{.status = 503, .body = "{\"reason\":\"stopping\"}\n"};
          return mysqlctl::member_http_answer(method, target, agent->health_facts());
        },
        std::chrono::seconds(5));
    const std::string address = config.client_address.empty() ? "0.0.0.0" : config.client_address;
    try {
      health_->start(address, *config.mysql.health_port);
    } catch (const boost::system::system_error& failed) {
      return "warden.mysql.healthPort: cannot listen on " + address + ":" +
             std::to_string(*config.mysql.health_port) + ": " + failed.what();
    }
    log_line("MySQL health checks for HAProxy on " + address + ":" +
             std::to_string(health_->port()) + " (GET /primary, /replica, /health)");
    return "";
  }

  static std::string read_credentials(const char* key, const std::string& path,
                                      mysqlctl::Credentials& out) {
    if (path.empty()) return std::string(key) + " is required with warden.mysql.host";
    mysqlctl::Result<mysqlctl::Credentials> read = mysqlctl::read_credentials_file(path);
    if (!read.ok()) return std::string(key) + ": " + read.error();
    out = read.value();
    return "";
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::shared_ptr<mysqlctl::Agent> agent_;
  std::unique_ptr<net::HttpServer> health_;
  std::thread thread_;
};

int serve(const std::string& config_path) {
  const net::ConfigResult loaded = net::load_zoo_config(config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "warden serve: %s\n", loaded.error.c_str());
    return 2;
  }
  const net::ZooConfig& config = *loaded.config;
  set_up_logging();
  net::keep_large_blocks_off_the_heap();
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
  // The agent starts before the node serves: it connects once the node
  // does, retrying until then. Its configuration is checked first, so a bad
  // one stops the node before it serves anyone.
  MysqlAgentThread agent;
  if (const std::string agent_error = agent.start(config, server.client_port());
      !agent_error.empty()) {
    std::fprintf(stderr, "warden serve: %s\n", agent_error.c_str());
    return 2;
  }
  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& failed, int signal) {
    if (!failed) log_line("signal " + std::to_string(signal) + ": stopping");
    // The agent first, while the node can still close its session: its
    // member record then goes at once rather than at session expiry.
    agent.stop();
    server.stop();
  });
  std::thread signal_thread([&] { signals_io.run(); });
  server.run();
  signals_io.stop();
  signal_thread.join();
  agent.stop();
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
