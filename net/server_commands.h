// The server's commands: what ZooKeeper answers to its four-letter words
// (ruok, srvr, stat, mntr, conf, cons, envi, wchs, wchc, wchp, dump, isro,
// dirs) and through its AdminServer's /commands/<name>. Each command reads a
// ServerFacts and gives both forms at once: ZooKeeper's text for the client
// port, and JSON for HTTP, so the two never disagree.
//
// Sans-IO: the runtime gathers ServerFacts on its thread (it owns the
// sockets, the directory sizes and the process facts); this file only reads
// them. Called by NodeServer (four-letter words) and the admin HTTP routes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/client_stats.h"
#include "net/zoo_config.h"
#include "store/watch_manager.h"
#include "store/zoo_state.h"

namespace warden::net {

// Everything a command may report, as of one moment on the node's thread.
struct ServerFacts {
  const ZooConfig* config = nullptr;
  const store::ZooState* state = nullptr;
  const store::WatchManager* watches = nullptr;
  std::string mode;          // "leader", "follower", "observer", "standalone"
  uint64_t leader_id = 0;    // 0: none known
  bool stalled = false;      // the disk refuses writes (see NodeServer)
  bool catching_up = false;  // rebuilt from peers and not yet current
  uint64_t epoch = 0;
  uint64_t commit_index = 0;
  uint64_t applied_index = 0;
  size_t outstanding_requests = 0;
  ClientStats clients;
  std::vector<ConnectionStats> connections;
  int64_t now_ms = 0;      // wall clock
  int64_t started_ms = 0;  // when this process began serving
  // Process facts for envi and mntr, in the order envi prints them.
  std::vector<std::pair<std::string, std::string>> environment;
  int64_t open_file_descriptors = -1;  // -1: unknown
  int64_t max_file_descriptors = -1;
  uint64_t data_dir_bytes = 0;
  uint64_t data_log_dir_bytes = 0;
  // What the storage engine holds in memory (store::StorageMemory).
  uint64_t memtable_bytes = 0;
  uint64_t table_reader_bytes = 0;
  uint64_t block_cache_bytes = 0;
  uint64_t log_entries_in_memory = 0;  // the consensus log kept for followers
};

struct CommandOutput {
  nlohmann::ordered_json data;  // the admin server's body, before "command" and "error"
  std::string text;             // the four-letter word's answer
};

struct CommandName {
  std::string_view word;  // four letters, e.g. "mntr"
  std::string_view name;  // the admin server's, e.g. "monitor"
};
// Every command, in the order /commands lists them.
const std::vector<CommandName>& command_names();
// The command `name_or_word` names, by its admin name or its word.
std::optional<CommandName> find_command(std::string_view name_or_word);

// Runs a known command (see find_command).
CommandOutput run_command(const CommandName& command, const ServerFacts& facts);

// The admin server's JSON for a command: its data plus "command" and "error"
// (null), as ZooKeeper's AdminServer answers.
std::string command_json(const CommandName& command, const ServerFacts& facts);

// Whether the node can serve: a known leader, a disk that takes writes,
// and not catching up after a rebuild. The reasons say what is wrong.
struct Health {
  bool ok = true;
  std::vector<std::string> problems;
};
Health node_health(const ServerFacts& facts);
std::string health_json(const ServerFacts& facts);

}  // namespace warden::net
