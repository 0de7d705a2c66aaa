// The state of one zoo.cfg interpretation, shared by its steps:
// net/zoo_config.cc splits the text and folds repeated keys,
// net/zoo_config_keys.cc reads each key into the state, and
// net/zoo_config_membership.cc then settles what depends on several keys and
// side files (defaults, the server list, myid, the client port, the cluster
// id).
//
// Internal to net/zoo_config*.cc.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/zoo_config.h"

namespace warden::net::zoo_config_detail {

// One key after trimming and after later repeats replaced earlier ones.
struct Entry {
  std::string key;
  std::string value;
  int line = 0;
  std::string source;  // the file it came from when not zoo.cfg (the dynamic file)
};

struct ParseState {
  ZooConfig config;
  std::string error;  // set by the first failure; parsing stops there

  // Values whose meaning depends on other keys.
  std::optional<uint16_t> client_port;  // 0 counts as unset, as in ZooKeeper
  std::optional<std::string> client_port_address;
  std::optional<int64_t> min_session_timeout_ms;  // -1 counts as unset
  std::optional<int64_t> max_session_timeout_ms;
  std::optional<std::string> dynamic_config_file;
  std::optional<bool> peer_type_observer;
  bool standalone_enabled = true;
  bool multi_address_enabled = false;
  std::optional<uint16_t> warden_admin_port;
  std::optional<uint16_t> zookeeper_admin_port;
  std::optional<uint64_t> cluster_id;
  std::vector<Entry> server_entries;  // server.N lines, parsed once all keys are read
  bool hierarchical_warned = false;
  std::map<std::string, int, std::less<>> key_lines;  // where each key was set, for messages
};

// "file:line" of an entry, and the messages built on it. fail_key names the
// line the key was set on, if it was; fail_file names another file.
std::string where(const ParseState& state, const Entry& entry);
bool fail(ParseState& state, const Entry& entry, const std::string& reason);
bool fail_key(ParseState& state, const std::string& key, const std::string& reason);
bool fail_file(ParseState& state, const std::string& path, const std::string& reason);
void warn(ParseState& state, const Entry& entry, const std::string& text);
void note(ParseState& state, const Entry& entry, const std::string& text);

// Reads one zoo.cfg key into the state (net/zoo_config_keys.cc): false (with
// state.error) on a bad value; unknown keys are warned about.
bool dispatch_key(ParseState& state, const Entry& entry);
// Whether ZooKeeper or Warden knows the key (with or without "zookeeper.").
bool is_recognised_key(const std::string& key);

// Settles everything that needs all keys read; false (with state.error) on a
// bad combination.
bool finish_zoo_config(ParseState& state, const ZooConfigFiles& files);

}  // namespace warden::net::zoo_config_detail
