// The second half of reading a zoo.cfg: what depends on several keys and on
// the side files. Mirrors QuorumPeerConfig's checks (parseProperties' tail,
// parseDynamicConfig, setupMyId, setupClientPort, setupPeerType,
// checkValidity) with Warden's stricter rules where a silent ZooKeeper choice
// would hide a mistake (a repeated server id, myid not in the list).
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "net/zoo_config_properties.h"
#include "net/zoo_config_state.h"
#include "net/zoo_config_values.h"

namespace warden::net::zoo_config_detail {
namespace {

constexpr int64_t kMaxServerId = 255;  // ZooKeeper: "a value between 1 and 255"

std::string join_path(const std::string& directory, const std::string& name) {
  if (directory.back() == '/') return directory + name;
  return directory + "/" + name;
}

bool settle_storage(ParseState& s) {
  ZooConfig& config = s.config;
  if (config.data_dir.empty()) {
    return fail_key(s, "dataDir", "is required (the directory for snapshots and myid)");
  }
  if (config.data_log_dir.empty()) config.data_log_dir = config.data_dir;
  return true;
}

// Defaults of 2 and 20 ticks, as ZooKeeperServer computes them.
bool settle_session_timeouts(ParseState& s) {
  ZooConfig& config = s.config;
  const int64_t tick = config.tick_time_ms;
  const int64_t limit = std::numeric_limits<int32_t>::max();
  const int64_t min = s.min_session_timeout_ms.value_or(std::min(2 * tick, limit));
  const int64_t max = s.max_session_timeout_ms.value_or(std::min(20 * tick, limit));
  if (min > max) {
    const std::string key = s.min_session_timeout_ms ? "minSessionTimeout" : "maxSessionTimeout";
    return fail_key(s, key,
                    "minSessionTimeout (" + std::to_string(min) +
                        " ms) must not be larger than maxSessionTimeout (" + std::to_string(max) +
                        " ms)");
  }
  config.min_session_timeout_ms = static_cast<uint32_t>(min);
  config.max_session_timeout_ms = static_cast<uint32_t>(max);
  return true;
}

// ZooKeeper's getVersionFromFilename: the hex after the last '.', if any.
uint64_t version_from_file_name(const std::string& path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string::npos) return 0;
  return parse_hex(std::string_view(path).substr(dot + 1)).value_or(0);
}

// The dynamic file holds only the membership (parseDynamicConfig).
bool read_dynamic_file(ParseState& s, const std::string& path, const std::string& text) {
  const PropertiesResult properties = parse_java_properties(text);
  if (!properties.ok()) {
    return fail_file(s, path + ":" + std::to_string(properties.error_line), properties.error);
  }
  std::set<std::string> seen;
  for (const Property& property : properties.properties) {
    const Entry entry{std::string(java_trim(property.key)), std::string(java_trim(property.value)),
                      property.line, path};
    if (!seen.insert(entry.key).second) return fail(s, entry, "is set twice");
    if (entry.key == "version") {
      return fail(s, entry, "must not be in the dynamic file (its name carries the version)");
    }
    if (entry.key.starts_with("server.")) {
      s.server_entries.push_back(entry);
    } else if (entry.key.starts_with("group.") || entry.key.starts_with("weight.")) {
      if (!s.hierarchical_warned) {
        warn(s, entry,
             "hierarchical quorums are not supported; a majority of the participants "
             "decides");
      }
      s.hierarchical_warned = true;
    } else {
      return fail(s, entry, "only server.N, group.N and weight.N belong in a dynamic file");
    }
  }
  s.config.config_version = version_from_file_name(path);
  return true;
}

bool gather_dynamic_servers(ParseState& s, const ZooConfigFiles& files) {
  const std::string& path = *s.dynamic_config_file;
  if (!s.server_entries.empty()) {
    return fail(s, s.server_entries.front(),
                "must be in the dynamic file " + path + " when dynamicConfigFile is set");
  }
  if (!files.dynamic_config) {
    return fail_key(s, "dynamicConfigFile", "'" + path + "' does not exist");
  }
  return read_dynamic_file(s, path, *files.dynamic_config);
}

bool parse_server_id(ParseState& s, const Entry& entry, uint32_t& id) {
  const std::string_view suffix = std::string_view(entry.key).substr(sizeof("server.") - 1);
  const std::optional<int64_t> number = parse_decimal(suffix);
  if (!number) return fail(s, entry, "'" + std::string(suffix) + "' is not a server id");
  if (*number < 1 || *number > kMaxServerId) {
    return fail(s, entry,
                "id " + std::to_string(*number) + " is out of range (1.." +
                    std::to_string(kMaxServerId) + ", as ZooKeeper's myid)");
  }
  id = static_cast<uint32_t>(*number);
  return true;
}

// Two servers on one host and port cannot both listen; by address as written.
bool check_addresses(ParseState& s, const Entry& entry, const ServerSpec& server,
                     std::map<std::string, uint32_t>& owners) {
  for (const uint16_t port : {server.peer_port, server.election_port}) {
    const std::string address = delimited_host(server.host) + ":" + std::to_string(port);
    const auto [it, fresh] = owners.try_emplace(address, server.id);
    if (!fresh) {
      return fail(s, entry, address + " is also used by server." + std::to_string(it->second));
    }
  }
  return true;
}

bool read_servers(ParseState& s) {
  std::map<uint32_t, int> lines_by_id;
  std::map<std::string, uint32_t> address_owners;
  for (const Entry& entry : s.server_entries) {
    uint32_t id = 0;
    if (!parse_server_id(s, entry, id)) return false;
    const auto [earlier, fresh] = lines_by_id.try_emplace(id, entry.line);
    if (!fresh) {
      return fail(s, entry,
                  "server id " + std::to_string(id) + " is also given on line " +
                      std::to_string(earlier->second));
    }
    const ServerLine line = parse_server_line(id, entry.value, s.multi_address_enabled);
    if (!line.error.empty()) return fail(s, entry, line.error);
    if (!check_addresses(s, entry, line.spec, address_owners)) return false;
    if (line.extra_addresses) {
      warn(s, entry,
           "Warden uses only the first address, " + delimited_host(line.spec.host) + ":" +
               std::to_string(line.spec.peer_port) + ":" + std::to_string(line.spec.election_port));
    }
    s.config.servers.push_back(line.spec);
  }
  std::sort(s.config.servers.begin(), s.config.servers.end(),
            [](const ServerSpec& a, const ServerSpec& b) { return a.id < b.id; });
  return true;
}

// QuorumPeerConfig.parseDynamicConfig and isDistributed(): no server lines,
// or one participant while standaloneEnabled, is standalone mode.
bool settle_mode(ParseState& s) {
  ZooConfig& config = s.config;
  const auto participants =
      std::count_if(config.servers.begin(), config.servers.end(),
                    [](const ServerSpec& server) { return !server.observer; });
  const auto observers = static_cast<int64_t>(config.servers.size()) - participants;
  if (participants == 0 && observers > 0) {
    return fail(s, s.server_entries.front(), "observers without participants are not an ensemble");
  }
  if (participants == 0 && !s.standalone_enabled) {
    return fail_key(s, "standaloneEnabled", "is false, so at least one server.N line is required");
  }
  if (participants == 1 && s.standalone_enabled && observers > 0) {
    return fail(s, s.server_entries.front(),
                "observers need two or more participants (or standaloneEnabled=false)");
  }
  config.standalone = participants == 0 || (participants == 1 && s.standalone_enabled);
  if (config.standalone) return true;
  const Entry& where_servers = s.server_entries.front();
  if (participants <= 2) {
    warn(s, where_servers, "No server failure will be tolerated. You need at least 3 servers.");
  } else if (participants % 2 == 0) {
    warn(s, where_servers, "Non-optimal configuration, consider an odd number of servers.");
  }
  return true;
}

// The first line of myid, blanks around it allowed.
bool parse_myid(ParseState& s, const std::string& path, const std::string& text, uint32_t& id) {
  const std::string_view first_line = std::string_view(text).substr(0, text.find_first_of("\r\n"));
  const std::string_view trimmed = java_trim(first_line);
  const std::optional<int64_t> number = parse_decimal(trimmed);
  if (!number || *number < 1 || *number > kMaxServerId) {
    return fail_file(s, path,
                     "'" + std::string(trimmed) + "' is not a server id (myid holds this " +
                         "server's number, 1.." + std::to_string(kMaxServerId) + ")");
  }
  id = static_cast<uint32_t>(*number);
  return true;
}

std::string server_list(const ZooConfig& config) {
  std::string list;
  for (const ServerSpec& server : config.servers) {
    list += (list.empty() ? "server." : ", server.") + std::to_string(server.id);
  }
  return list;
}

// ZooKeeper reads myid whenever the file exists, and needs it in an ensemble.
bool settle_my_id(ParseState& s, const ZooConfigFiles& files) {
  ZooConfig& config = s.config;
  const std::string path = join_path(config.data_dir, "myid");
  uint32_t id = 0;
  if (files.myid && !parse_myid(s, path, *files.myid, id)) return false;
  if (config.servers.empty()) {
    // Standalone without server lines: a made-up one-node membership.
    config.my_id = files.myid ? id : 1;
    config.servers.push_back({config.my_id, "localhost", 0, 0, false, std::nullopt, std::nullopt});
    return true;
  }
  if (!files.myid && !config.standalone) {
    return fail_file(s, path,
                     "is missing; each server of an ensemble needs it, holding its id (" +
                         server_list(config) + ")");
  }
  // Standalone with one server line and no myid: that line is this server.
  if (!files.myid) id = config.servers.front().id;
  const bool listed = std::any_of(config.servers.begin(), config.servers.end(),
                                  [&](const ServerSpec& server) { return server.id == id; });
  if (!listed) {
    return fail_file(s, path,
                     "says " + std::to_string(id) + ", which is not in the server list (" +
                         server_list(config) + ")");
  }
  config.my_id = id;
  return true;
}

bool is_wildcard(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address == "0:0:0:0:0:0:0:0";
}

// setupClientPort: this server's ";port" part and clientPort must agree.
bool settle_client_port(ParseState& s) {
  ZooConfig& config = s.config;
  if (s.client_port_address && !s.client_port) {
    return fail_key(s, "clientPortAddress", "is set but clientPort is not");
  }
  const ServerSpec& me = config.me();
  if (me.client_port) {
    const std::string me_key = "server." + std::to_string(me.id);
    if (s.client_port && *s.client_port != *me.client_port) {
      return fail_key(s, "clientPort",
                      std::to_string(*s.client_port) + " differs from " + me_key +
                          "'s client port " + std::to_string(*me.client_port));
    }
    if (s.client_port_address && !is_wildcard(*s.client_port_address) &&
        *s.client_port_address != *me.client_address) {
      return fail_key(s, "clientPortAddress",
                      *s.client_port_address + " differs from " + me_key + "'s client address " +
                          *me.client_address);
    }
    config.client_port = *me.client_port;
    config.client_address = *me.client_address;
    return true;
  }
  if (!s.client_port) {
    return fail_key(s, "clientPort",
                    "is not set (nor a ;clientPort part on this server's line): Warden needs a "
                    "port to serve clients on");
  }
  config.client_port = *s.client_port;
  config.client_address = s.client_port_address.value_or("0.0.0.0");
  return true;
}

// checkValidity: an ensemble cannot run without these limits.
bool check_ensemble_limits(ParseState& s) {
  if (s.config.standalone) return true;
  if (s.config.init_limit_ticks == 0) {
    return fail_key(s, "initLimit",
                    "is required in an ensemble (ticks a follower may take to "
                    "connect and sync to the leader)");
  }
  if (s.config.sync_limit_ticks == 0) {
    return fail_key(s, "syncLimit",
                    "is required in an ensemble (ticks a follower may lag "
                    "before the leader drops it)");
  }
  return true;
}

// setupPeerType: the server list decides; a differing peerType is a warning.
void settle_peer_type(ParseState& s) {
  if (!s.peer_type_observer || s.config.standalone) return;
  const bool listed_observer = s.config.me().observer;
  if (*s.peer_type_observer == listed_observer) return;
  const auto role = [](bool observer) { return observer ? "observer" : "participant"; };
  warn(s, Entry{"peerType", "", s.key_lines["peerType"], ""},
       std::string("says ") + role(*s.peer_type_observer) + " but server." +
           std::to_string(s.config.my_id) + " is listed as " + role(listed_observer) +
           "; the server list wins, as in ZooKeeper");
}

void settle_admin_and_cluster(ParseState& s) {
  ZooConfig& config = s.config;
  config.admin_port = s.warden_admin_port.value_or(s.zookeeper_admin_port.value_or(8080));
  config.cluster_id_derived = !s.cluster_id;
  config.cluster_id = s.cluster_id.value_or(derive_cluster_id(config.servers));
}

}  // namespace

bool finish_zoo_config(ParseState& s, const ZooConfigFiles& files) {
  if (!settle_storage(s) || !settle_session_timeouts(s)) return false;
  if (s.dynamic_config_file && !gather_dynamic_servers(s, files)) return false;
  if (!read_servers(s) || !settle_mode(s) || !settle_my_id(s, files)) return false;
  if (!settle_client_port(s) || !check_ensemble_limits(s)) return false;
  settle_peer_type(s);
  settle_admin_and_cluster(s);
  return true;
}

}  // namespace warden::net::zoo_config_detail
