// The commands' bodies: each builds its JSON data and its four-letter text
// from the same facts. Text layouts follow ZooKeeper 3.8's commands
// (StatCommand, ConsCommand, EnvCommand, WatchCommand, DumpCommand,
// DirsCommand) and its AdminServer's JSON field names.
#include "net/server_commands.h"

#include <cstdio>
#include <map>
#include <set>

namespace warden::net {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kVersion = "3.8.0-warden";

std::string hex(int64_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string average_text(const LatencyStats& latency) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", latency.average_ms());
  return text;
}

size_t ephemeral_count(const store::ZooState& state) {
  size_t count = 0;
  for (const auto& [session, paths] : state.tree().ephemerals()) count += paths.size();
  return count;
}

// " /10.0.0.1:5000[1](queued=0,recved=3,sent=3" — the start of a cons or
// stat line.
std::string connection_head(const ConnectionStats& c) {
  return " /" + c.remote_ip + ":" + std::to_string(c.remote_port) +
         "[1](queued=" + std::to_string(c.queued) +
         ",recved=" + std::to_string(c.packets_received) +
         ",sent=" + std::to_string(c.packets_sent);
}

std::string connection_line(const ConnectionStats& c) {
  std::string line = connection_head(c);
  if (c.session != 0) {
    line += ",sid=" + hex(static_cast<int64_t>(c.session)) +
            ",lop=" + (c.last_operation.empty() ? "NA" : c.last_operation) +
            ",est=" + std::to_string(c.established_ms) + ",to=" + std::to_string(c.timeout_ms);
    if (c.latency.count > 0) {
      line += ",lcxid=" + hex(c.last_xid) + ",lzxid=" + hex(c.last_zxid) +
              ",lresp=" + std::to_string(c.last_response_ms) +
              ",llat=" + std::to_string(c.last_latency_ms) +
              ",minlat=" + std::to_string(c.latency.min_ms) +
              ",avglat=" + std::to_string(static_cast<int64_t>(c.latency.average_ms())) +
              ",maxlat=" + std::to_string(c.latency.max_ms);
    }
  }
  return line + ")\n";
}

Json connection_json(const ConnectionStats& c) {
  Json row;
  row["remote_socket_address"] = c.remote_ip + ":" + std::to_string(c.remote_port);
  row["interest_ops"] = 1;
  row["outstanding_requests"] = c.queued;
  row["packets_received"] = c.packets_received;
  row["packets_sent"] = c.packets_sent;
  if (c.session != 0) {
    row["session_id"] = hex(static_cast<int64_t>(c.session));
    row["last_operation"] = c.last_operation.empty() ? "NA" : c.last_operation;
    row["established"] = c.established_ms;
    row["session_timeout"] = c.timeout_ms;
    row["last_cxid"] = hex(c.last_xid);
    row["last_zxid"] = hex(c.last_zxid);
    row["last_response_time"] = c.last_response_ms;
    row["last_latency"] = c.last_latency_ms;
    row["min_latency"] = c.latency.min_ms;
    row["avg_latency"] = static_cast<int64_t>(c.latency.average_ms());
    row["max_latency"] = c.latency.max_ms;
  }
  return row;
}

// srvr and stat share everything but stat's client list.
CommandOutput server_stats(const ServerFacts& f, bool with_clients) {
  const LatencyStats& latency = f.clients.latency;
  CommandOutput out;
  Json& d = out.data;
  d["version"] = kVersion;
  d["read_only"] = false;
  d["server_state"] = f.mode;
  d["min_latency"] = latency.min_ms;
  d["avg_latency"] = latency.average_ms();
  d["max_latency"] = latency.max_ms;
  d["packets_received"] = f.clients.packets_received;
  d["packets_sent"] = f.clients.packets_sent;
  d["num_alive_connections"] = f.connections.size();
  d["outstanding_requests"] = f.outstanding_requests;
  d["last_zxid"] = hex(f.state->last_applied_zxid());
  d["node_count"] = f.state->tree().node_count();
  d["uptime_ms"] = f.now_ms - f.started_ms;
  std::string& t = out.text;
  t = std::string("Zookeeper version: ") + kVersion + "\n";
  if (with_clients) {
    Json clients = Json::array();
    t += "Clients:\n";
    for (const ConnectionStats& c : f.connections) {
      t += connection_head(c) + ")\n";
      clients.push_back(connection_json(c));
    }
    t += "\n";
    d["connections"] = std::move(clients);
  }
  t += "Latency min/avg/max: " + std::to_string(latency.min_ms) + "/" + average_text(latency) +
       "/" + std::to_string(latency.max_ms) + "\n";
  t += "Received: " + std::to_string(f.clients.packets_received) + "\n";
  t += "Sent: " + std::to_string(f.clients.packets_sent) + "\n";
  t += "Connections: " + std::to_string(f.connections.size()) + "\n";
  t += "Outstanding: " + std::to_string(f.outstanding_requests) + "\n";
  t += "Zxid: " + hex(f.state->last_applied_zxid()) + "\n";
  t += "Mode: " + f.mode + "\n";
  t += "Node count: " + std::to_string(f.state->tree().node_count()) + "\n";
  return out;
}

// mntr's keys without their "zk_" prefix, as the AdminServer's monitor names
// them; the text adds the prefix back.
CommandOutput monitor(const ServerFacts& f) {
  const store::WatchCounts watches = f.watches->counts();
  const LatencyStats& latency = f.clients.latency;
  CommandOutput out;
  Json& d = out.data;
  d["version"] = kVersion;
  d["avg_latency"] = latency.average_ms();
  d["max_latency"] = latency.max_ms;
  d["min_latency"] = latency.min_ms;
  d["packets_received"] = f.clients.packets_received;
  d["packets_sent"] = f.clients.packets_sent;
  d["num_alive_connections"] = f.connections.size();
  d["outstanding_requests"] = f.outstanding_requests;
  d["server_state"] = f.mode;
  d["znode_count"] = f.state->tree().node_count();
  d["watch_count"] = watches.watches;
  d["ephemerals_count"] = ephemeral_count(*f.state);
  d["approximate_data_size"] = f.state->tree().approximate_data_bytes();
  d["open_file_descriptor_count"] = f.open_file_descriptors;
  d["max_file_descriptor_count"] = f.max_file_descriptors;
  d["global_sessions"] = f.state->sessions().size();
  d["last_zxid"] = hex(f.state->last_applied_zxid());
  d["uptime"] = f.now_ms - f.started_ms;
  d["connections_accepted"] = f.clients.connections_accepted;
  for (size_t i = 0; i < kCloseReasonCount; ++i) {
    const std::string reason(close_reason_name(static_cast<CloseReason>(i)));
    d["connections_closed_" + reason] = f.clients.connections_closed[i];
  }
  d["epoch"] = f.epoch;
  d["commit_index"] = f.commit_index;
  d["applied_index"] = f.applied_index;
  d["disk_stalled"] = f.stalled ? 1 : 0;
  d["memtable_bytes"] = f.memtable_bytes;
  d["table_reader_bytes"] = f.table_reader_bytes;
  d["block_cache_bytes"] = f.block_cache_bytes;
  d["log_entries_in_memory"] = f.log_entries_in_memory;
  for (const auto& [key, value] : d.items()) {
    out.text += "zk_" + key + "\t" + (value.is_string() ? value.get<std::string>() : value.dump());
    out.text += "\n";
  }
  return out;
}

// conf's JSON is its text's key=value lines.
CommandOutput configuration(const ServerFacts& f) {
  CommandOutput out;
  out.text = render_conf(*f.config, ConfRuntime{f.data_dir_bytes, f.data_log_dir_bytes});
  size_t start = 0;
  while (start < out.text.size()) {
    size_t end = out.text.find('\n', start);
    if (end == std::string::npos) end = out.text.size();
    const std::string line = out.text.substr(start, end - start);
    const size_t equals = line.find('=');
    if (equals != std::string::npos) out.data[line.substr(0, equals)] = line.substr(equals + 1);
    start = end + 1;
  }
  out.text += "\n";
  return out;
}

CommandOutput connections(const ServerFacts& f) {
  CommandOutput out;
  Json rows = Json::array();
  for (const ConnectionStats& c : f.connections) {
    out.text += connection_line(c);
    rows.push_back(connection_json(c));
  }
  out.text += "\n";
  out.data["connections"] = std::move(rows);
  out.data["secure_connections"] = Json::array();
  return out;
}

CommandOutput environment(const ServerFacts& f) {
  CommandOutput out;
  out.text = "Environment:\n";
  out.data["zookeeper.version"] = kVersion;
  out.text += std::string("zookeeper.version=") + kVersion + "\n";
  for (const auto& [key, value] : f.environment) {
    out.data[key] = value;
    out.text += key + "=" + value + "\n";
  }
  return out;
}

CommandOutput watch_summary(const ServerFacts& f) {
  const store::WatchCounts counts = f.watches->counts();
  CommandOutput out;
  out.data["num_connections"] = counts.watchers;
  out.data["num_paths"] = counts.paths;
  out.data["num_total_watches"] = counts.watches;
  out.text = std::to_string(counts.watchers) + " connections watching " +
             std::to_string(counts.paths) +
             " paths\nTotal watches:" + std::to_string(counts.watches) + "\n";
  return out;
}

// Watchers are connections; ZooKeeper lists them by their session.
std::map<uint64_t, store::SessionId> sessions_by_watcher(const ServerFacts& f) {
  std::map<uint64_t, store::SessionId> sessions;
  for (const ConnectionStats& c : f.connections) sessions[c.id] = c.session;
  return sessions;
}

CommandOutput watches_by_session(const ServerFacts& f) {
  const std::map<uint64_t, store::SessionId> sessions = sessions_by_watcher(f);
  std::map<store::SessionId, std::set<std::string>> paths_by_session;
  for (const auto& [watcher, paths] : f.watches->paths_by_watcher()) {
    const auto it = sessions.find(watcher);
    const store::SessionId session = it == sessions.end() ? 0 : it->second;
    paths_by_session[session].insert(paths.begin(), paths.end());
  }
  CommandOutput out;
  Json& by_session = out.data["session_id_to_watched_paths"] = Json::object();
  for (const auto& [session, paths] : paths_by_session) {
    out.text += hex(static_cast<int64_t>(session)) + "\n";
    for (const std::string& path : paths) out.text += "\t" + path + "\n";
    by_session[std::to_string(session)] = paths;
  }
  out.text += "\n";
  return out;
}

CommandOutput watches_by_path(const ServerFacts& f) {
  const std::map<uint64_t, store::SessionId> sessions = sessions_by_watcher(f);
  CommandOutput out;
  Json& by_path = out.data["path_to_session_ids"] = Json::object();
  for (const auto& [path, watchers] : f.watches->watchers_by_path()) {
    std::set<store::SessionId> ids;
    for (uint64_t watcher : watchers) {
      const auto it = sessions.find(watcher);
      ids.insert(it == sessions.end() ? 0 : it->second);
    }
    out.text += path + "\n";
    for (store::SessionId id : ids) out.text += "\t" + hex(static_cast<int64_t>(id)) + "\n";
    by_path[path] = ids;
  }
  out.text += "\n";
  return out;
}

CommandOutput dump(const ServerFacts& f) {
  CommandOutput out;
  const auto& sessions = f.state->sessions();
  const auto& ephemerals = f.state->tree().ephemerals();
  std::string& t = out.text;
  t = "SessionTracker dump:\nGlobal Sessions(" + std::to_string(sessions.size()) + "):\n";
  Json session_rows = Json::array();
  for (const auto& [id, info] : sessions) {
    t += hex(static_cast<int64_t>(id)) + "\t" + std::to_string(info.timeout_ms) + "ms\n";
    session_rows.push_back(Json{{"session_id", id}, {"timeout_ms", info.timeout_ms}});
  }
  t += "ephemeral nodes dump:\nSessions with Ephemerals (" + std::to_string(ephemerals.size()) +
       "):\n";
  Json& by_session = out.data["session_id_to_ephemeral_paths"] = Json::object();
  for (const auto& [session, paths] : ephemerals) {
    t += hex(static_cast<int64_t>(session)) + ":\n";
    for (const std::string& path : paths) t += "\t" + path + "\n";
    by_session[std::to_string(session)] = paths;
  }
  out.data["sessions"] = std::move(session_rows);
  return out;
}

CommandOutput dirs(const ServerFacts& f) {
  CommandOutput out;
  out.data["datadir_size"] = f.data_dir_bytes;
  out.data["logdir_size"] = f.data_log_dir_bytes;
  out.text = "datadir_size: " + std::to_string(f.data_dir_bytes) +
             "\nlogdir_size: " + std::to_string(f.data_log_dir_bytes) + "\n";
  return out;
}

}  // namespace

const std::vector<CommandName>& command_names() {
  static const std::vector<CommandName> kNames = {
      {"conf", "configuration"}, {"cons", "connections"}, {"dirs", "dirs"},
      {"dump", "dump"},          {"envi", "environment"}, {"isro", "is_read_only"},
      {"mntr", "monitor"},       {"ruok", "ruok"},        {"srvr", "server_stats"},
      {"stat", "stats"},         {"wchc", "watches"},     {"wchp", "watches_by_path"},
      {"wchs", "watch_summary"},
  };
  return kNames;
}

std::optional<CommandName> find_command(std::string_view name_or_word) {
  for (const CommandName& command : command_names()) {
    if (command.word == name_or_word || command.name == name_or_word) return command;
  }
  return std::nullopt;
}

CommandOutput run_command(const CommandName& command, const ServerFacts& facts) {
  const std::string_view w = command.word;
  if (w == "ruok") return CommandOutput{Json::object(), "imok"};
  if (w == "isro") return CommandOutput{Json{{"read_only", false}}, "rw"};
  if (w == "srvr") return server_stats(facts, false);
  if (w == "stat") return server_stats(facts, true);
  if (w == "mntr") return monitor(facts);
  if (w == "conf") return configuration(facts);
  if (w == "cons") return connections(facts);
  if (w == "envi") return environment(facts);
  if (w == "wchs") return watch_summary(facts);
  if (w == "wchc") return watches_by_session(facts);
  if (w == "wchp") return watches_by_path(facts);
  if (w == "dump") return dump(facts);
  if (w == "dirs") return dirs(facts);
  return CommandOutput{Json::object(), ""};  // command_names() and this list agree
}

std::string command_json(const CommandName& command, const ServerFacts& facts) {
  Json body = run_command(command, facts).data;
  body["command"] = command.name;
  body["error"] = nullptr;
  return body.dump(2) + "\n";
}

Health node_health(const ServerFacts& facts) {
  Health health;
  auto problem = [&health](std::string text) {
    health.ok = false;
    health.problems.push_back(std::move(text));
  };
  if (facts.mode != "standalone" && facts.leader_id == 0) problem("no leader known");
  if (facts.stalled) problem("the disk refuses writes");
  if (facts.catching_up) problem("catching up after a rebuild from peers");
  return health;
}

std::string health_json(const ServerFacts& facts) {
  const Health health = node_health(facts);
  Json body;
  body["status"] = health.ok ? "ok" : "unavailable";
  body["server_state"] = facts.mode;
  body["leader_id"] = facts.leader_id;
  body["last_zxid"] = hex(facts.state->last_applied_zxid());
  body["problems"] = health.problems;
  return body.dump(2) + "\n";
}

}  // namespace warden::net
