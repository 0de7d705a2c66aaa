#include "net/admin_routes.h"

#include <cstdio>

namespace warden::net {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kCommandsPrefix = "/commands/";

HttpAnswer json_error(unsigned status, const std::string& command, const std::string& error) {
  Json body;
  body["command"] = command;
  body["error"] = error;
  return HttpAnswer{status, "application/json", body.dump(2) + "\n"};
}

HttpAnswer command_list() {
  Json names = Json::array();
  for (const CommandName& command : command_names()) names.push_back(command.name);
  Json body;
  body["commands"] = std::move(names);
  body["four_letter_words"] = Json::array();
  for (const CommandName& command : command_names())
    body["four_letter_words"].push_back(command.word);
  body["error"] = nullptr;
  return HttpAnswer{200, "application/json", body.dump(2) + "\n"};
}

// The path without a query string or a trailing slash.
std::string_view route_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  return target;
}

// Prometheus writing helpers: a HELP and TYPE header, then samples.
class Exposition {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& name, double value, const std::string& labels = "") {
    char number[64];
    std::snprintf(number, sizeof(number), "%.17g", value);
    text_ += name + (labels.empty() ? "" : "{" + labels + "}") + " " + number + "\n";
  }
  void metric(const std::string& name, const char* type, const char* help, double value) {
    family(name, type, help);
    sample(name, value);
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace

HttpAnswer route_admin(std::string_view method, std::string_view target, const FactsSource& facts) {
  const std::string_view path = route_path(target);
  if (method != "GET" && method != "HEAD") {
    return json_error(405, std::string(path), "only GET is served");
  }
  if (path == "/commands") return command_list();
  if (path.starts_with(kCommandsPrefix)) {
    const std::string name(path.substr(kCommandsPrefix.size()));
    const std::optional<CommandName> command = find_command(name);
    if (!command) return json_error(404, name, "Unknown command: " + name);
    return HttpAnswer{200, "application/json", command_json(*command, facts())};
  }
  if (path == "/metrics") {
    return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", prometheus_metrics(facts())};
  }
  if (path == "/health") {
    const ServerFacts now = facts();
    return HttpAnswer{node_health(now).ok ? 200u : 503u, "application/json", health_json(now)};
  }
  return json_error(404, std::string(path), "no such page; try /commands, /metrics or /health");
}

std::string prometheus_metrics(const ServerFacts& f) {
  Exposition out;
  out.family("warden_server_state", "gauge", "1 for the role this node has now.");
  for (const char* state : {"leader", "follower", "observer", "standalone"}) {
    out.sample("warden_server_state", f.mode == state ? 1 : 0,
               std::string("state=\"") + state + "\"");
  }
  out.metric("warden_leader_id", "gauge", "The leader this node knows of; 0 if none.",
             double(f.leader_id));
  out.metric("warden_epoch", "gauge", "The consensus epoch.", double(f.epoch));
  out.metric("warden_commit_index", "gauge", "The highest log index known committed.",
             double(f.commit_index));
  out.metric("warden_applied_index", "gauge", "The highest log index applied to the state.",
             double(f.applied_index));
  out.metric("warden_last_zxid", "gauge", "The zxid of the last applied transaction.",
             double(f.state->last_applied_zxid()));
  out.metric("warden_disk_stalled", "gauge", "1 while the disk refuses this node's writes.",
             f.stalled ? 1 : 0);
  out.metric("warden_znode_count", "gauge", "Znodes in the tree.",
             double(f.state->tree().node_count()));
  out.metric("warden_approximate_data_size_bytes", "gauge", "Bytes of paths and data.",
             double(f.state->tree().approximate_data_bytes()));
  size_t ephemerals = 0;
  for (const auto& [session, paths] : f.state->tree().ephemerals()) ephemerals += paths.size();
  out.metric("warden_ephemerals_count", "gauge", "Ephemeral znodes.", double(ephemerals));
  out.metric("warden_watch_count", "gauge", "Watches set on this node.",
             double(f.watches->counts().watches));
  out.metric("warden_global_sessions", "gauge", "Sessions open in the ensemble.",
             double(f.state->sessions().size()));
  out.metric("warden_num_alive_connections", "gauge", "Client connections open on this node.",
             double(f.connections.size()));
  out.metric("warden_outstanding_requests", "gauge", "Requests received and not yet answered.",
             double(f.outstanding_requests));
  out.metric("warden_packets_received_total", "counter", "Client frames received.",
             double(f.clients.packets_received));
  out.metric("warden_packets_sent_total", "counter", "Client frames sent.",
             double(f.clients.packets_sent));
  out.metric("warden_connections_accepted_total", "counter", "Client connections accepted.",
             double(f.clients.connections_accepted));
  out.family("warden_connections_closed_total", "counter", "Client connections ended, by why.");
  for (size_t i = 0; i < kCloseReasonCount; ++i) {
    const std::string reason(close_reason_name(static_cast<CloseReason>(i)));
    out.sample("warden_connections_closed_total", double(f.clients.connections_closed[i]),
               "reason=\"" + reason + "\"");
  }
  const LatencyStats& latency = f.clients.latency;
  out.family("warden_request_latency_ms", "summary",
             "Time from a request's arrival to its answer.");
  out.sample("warden_request_latency_ms_sum", double(latency.total_ms));
  out.sample("warden_request_latency_ms_count", double(latency.count));
  out.metric("warden_request_latency_max_ms", "gauge", "The slowest answer so far.",
             double(latency.max_ms));
  out.metric("warden_open_file_descriptors", "gauge", "File descriptors open in the process.",
             double(f.open_file_descriptors));
  out.metric("warden_max_file_descriptors", "gauge", "The process's file descriptor limit.",
             double(f.max_file_descriptors));
  out.metric("warden_data_dir_bytes", "gauge", "Bytes under dataDir.", double(f.data_dir_bytes));
  out.metric("warden_storage_memtable_bytes", "gauge", "RocksDB memtables, flushing ones included.",
             double(f.memtable_bytes));
  out.metric("warden_storage_table_reader_bytes", "gauge",
             "RocksDB index and filter blocks of open tables.", double(f.table_reader_bytes));
  out.metric("warden_storage_block_cache_bytes", "gauge", "RocksDB's block cache in use.",
             double(f.block_cache_bytes));
  out.metric("warden_log_entries_in_memory", "gauge",
             "Consensus log entries held in memory (kept for lagging followers).",
             double(f.log_entries_in_memory));
  out.metric("warden_uptime_seconds", "gauge", "Seconds since this process began serving.",
             double(f.now_ms - f.started_ms) / 1000.0);
  return out.take();
}

}  // namespace warden::net
