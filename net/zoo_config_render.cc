// The derived cluster id and the `conf` four-letter word's text.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "net/zoo_config.h"
#include "net/zoo_config_values.h"

namespace warden::net {
namespace {

using zoo_config_detail::delimited_host;

// "1=zoo1:2888:3888": what identifies a member; host names compare without
// case, as DNS does.
std::string membership_line(const ServerSpec& server) {
  std::string host = server.host;
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::to_string(server.id) + "=" + host + ":" + std::to_string(server.peer_port) + ":" +
         std::to_string(server.election_port);
}

uint64_t fnv1a_64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// QuorumServer.toString: the client part only where the line had one.
std::string server_text(const ServerSpec& server) {
  std::string text = delimited_host(server.host) + ":" + std::to_string(server.peer_port) + ":" +
                     std::to_string(server.election_port) +
                     (server.observer ? ":observer" : ":participant");
  if (server.client_port) {
    text +=
        ";" + delimited_host(*server.client_address) + ":" + std::to_string(*server.client_port);
  }
  return text;
}

std::string hex(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%llx", static_cast<unsigned long long>(value));
  return buffer;
}

void add(std::string& out, std::string_view key, const std::string& value) {
  out.append(key).append("=").append(value).append("\n");
}

// QuorumZooKeeperServer.dumpConf's additions, then QuorumMaj.toString.
void add_quorum_lines(std::string& out, const ZooConfig& config) {
  const ServerSpec& me = config.me();
  add(out, "initLimit", std::to_string(config.init_limit_ticks));
  add(out, "syncLimit", std::to_string(config.sync_limit_ticks));
  add(out, "electionAlg", "3");
  add(out, "electionPort", std::to_string(me.election_port));
  add(out, "quorumPort", std::to_string(me.peer_port));
  add(out, "peerType", me.observer ? "1" : "0");
  out += "membership: \n";
  for (const ServerSpec& server : config.servers) {
    add(out, "server." + std::to_string(server.id), server_text(server));
  }
  out += "version=" + hex(config.config_version);
}

}  // namespace

uint64_t derive_cluster_id(const std::vector<ServerSpec>& servers) {
  std::vector<std::string> lines;
  for (const ServerSpec& server : servers) lines.push_back(membership_line(server));
  std::sort(lines.begin(), lines.end());
  std::string joined;
  for (const std::string& line : lines) joined += line + "\n";
  const uint64_t id = fnv1a_64(joined);
  return id == 0 ? 1 : id;
}

std::string render_conf(const ZooConfig& config, const ConfRuntime& runtime) {
  std::string out;
  add(out, "clientPort", std::to_string(config.client_port));
  add(out, "secureClientPort", "-1");
  add(out, "dataDir", config.data_dir);
  add(out, "dataDirSize", std::to_string(runtime.data_dir_size_bytes));
  add(out, "dataLogDir", config.data_log_dir);
  add(out, "dataLogSize", std::to_string(runtime.data_log_size_bytes));
  add(out, "tickTime", std::to_string(config.tick_time_ms));
  add(out, "maxClientCnxns", std::to_string(config.max_client_cnxns));
  add(out, "minSessionTimeout", std::to_string(config.min_session_timeout_ms));
  add(out, "maxSessionTimeout", std::to_string(config.max_session_timeout_ms));
  add(out, "clientPortListenBacklog", std::to_string(config.client_port_listen_backlog));
  // A standalone ZooKeeperServer reports server id 0.
  add(out, "serverId", std::to_string(config.standalone ? 0 : config.my_id));
  if (!config.standalone) add_quorum_lines(out, config);
  return out;
}

}  // namespace warden::net
