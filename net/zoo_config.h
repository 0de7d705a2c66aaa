// Warden's configuration, read from a ZooKeeper 3.8 zoo.cfg, so that
// `warden serve --config zoo.cfg` starts on an existing ensemble's files
// unchanged: zoo.cfg itself, <dataDir>/myid, and the dynamicConfigFile it may
// name (ZooKeeper 3.5+ keeps the server.N lines there once reconfig is on).
//
// ZooKeeper's keys keep ZooKeeper's names, defaults and checks
// (QuorumPeerConfig.parseProperties); Warden's own keys sit beside them under
// the prefix "warden.". Keys ZooKeeper knows that Warden has no use for
// (snapCount, preAllocSize, metricsProvider.*, ...) are accepted and listed in
// `notes`; a few that ask for something Warden does not do (TLS, SASL between
// servers, reconfig, hierarchical quorums) are accepted with a warning. Any
// other key draws exactly one warning, naming it and its line. A bad value
// fails the whole load with a message naming the file, line, key and reason.
//
// parse_zoo_config is sans-IO (the caller hands it every file's text);
// load_zoo_config reads the files and calls it. Called by the `warden serve`
// command and the runtime (net/); render_conf serves the `conf` four-letter
// word.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace warden::net {

// One server.N line: server.N=host:peerPort:electionPort[:participant|:observer]
// [;[clientAddress:]clientPort]. ZooKeeper 3.6's multiple addresses
// ("a:1:2|b:1:2", with multiAddress.enabled=true) keep the first address.
struct ServerSpec {
  uint32_t id = 0;
  std::string host;            // as written; an IPv6 literal without its brackets
  uint16_t peer_port = 0;      // followers connect to the leader here (ZooKeeper's quorum port)
  uint16_t election_port = 0;  // leader election
  bool observer = false;       // receives the log, never votes
  // The ";[address:]port" part, where the line has one ("0.0.0.0" when only a
  // port is given).
  std::optional<std::string> client_address;
  std::optional<uint16_t> client_port;
  bool operator==(const ServerSpec&) const = default;
};

// The four-letter words ZooKeeper 3.8 knows; "*" in 4lw.commands.whitelist
// stands for all of them.
const std::set<std::string>& known_four_letter_words();

// The MySQL agent beside this node (warden.mysql.* keys), off unless
// warden.mysql.host is set. Names and files are checked where the agent
// starts (tools/serve_command.cc), which knows mysqlctl's rules.
struct MysqlAgentConfig {
  std::string host;              // warden.mysql.host: the local MySQL (TCP)
  uint16_t port = 3306;          // warden.mysql.port
  std::string cluster = "main";  // warden.mysql.cluster
  std::string member_id;         // warden.mysql.member; default "member<myid>"
  std::string credentials_file;  // warden.mysql.credentials (required)
  // warden.mysql.replicationCredentials: the account replicas log in to the
  // primary with (required).
  std::string replication_credentials_file;
  uint32_t priority = 1;                      // warden.mysql.priority (0 = never promoted)
  uint32_t probe_interval_ms = 500;           // warden.mysql.probeIntervalMs
  uint32_t probe_timeout_ms = 1000;           // warden.mysql.probeTimeoutMs
  uint32_t session_timeout_ms = 6000;         // warden.mysql.sessionTimeoutMs
  uint32_t min_failover_interval_ms = 60000;  // warden.mysql.minFailoverIntervalMs
  // warden.mysql.healthPort: the agent answers HTTP health checks about its
  // member there (GET /primary, /replica, /health), for HAProxy; unset, none.
  std::optional<uint16_t> health_port;

  bool enabled() const { return !host.empty(); }
};

struct ZooConfig {
  std::string source_name;  // the zoo.cfg path, for messages

  // Time. A tick is ZooKeeper's unit: heartbeats, initLimit and syncLimit.
  uint32_t tick_time_ms = 3000;
  uint32_t init_limit_ticks = 0;  // required (non-zero) in an ensemble
  uint32_t sync_limit_ticks = 0;  // required (non-zero) in an ensemble
  // The range a client's requested session timeout is clamped to; default
  // 2 and 20 ticks.
  uint32_t min_session_timeout_ms = 0;
  uint32_t max_session_timeout_ms = 0;

  // Storage.
  std::string data_dir;               // required; holds myid
  std::string data_log_dir;           // defaults to data_dir
  uint32_t snap_retain_count = 3;     // autopurge.snapRetainCount, at least 3
  uint32_t purge_interval_hours = 0;  // autopurge.purgeInterval; 0 = never

  // This server's client port (clientPort/clientPortAddress, or the ";..."
  // part of its server line).
  std::string client_address = "0.0.0.0";
  uint16_t client_port = 0;
  uint32_t max_client_cnxns = 60;            // per client IP; 0 = no limit
  int32_t client_port_listen_backlog = -1;   // -1 = the system's default
  uint32_t jute_max_buffer_bytes = 0xfffff;  // largest request or znode payload

  // Membership. `servers` is sorted by id. A zoo.cfg without server lines (or,
  // with standaloneEnabled=true, with a single participant) is ZooKeeper's
  // standalone mode: a one-node ensemble; without server lines its one server
  // is made up (host "localhost", peer and election ports 0 = not opened).
  std::vector<ServerSpec> servers;
  bool standalone = false;
  uint32_t my_id = 0;  // from myid; in standalone mode myid is optional (default 1)
  bool quorum_listen_on_all_ips = false;
  uint64_t config_version = 0;  // the dynamic file's hex suffix ("zoo.cfg.dynamic.100000000")
  // Tags this ensemble's messages and data so that nodes of different
  // ensembles never mix. warden.clusterId, else derived from the server list
  // (FNV-1a of the sorted "id=host:peer:election" lines), which changes when
  // the membership does: set it explicitly before changing the server list.
  uint64_t cluster_id = 0;
  bool cluster_id_derived = false;

  // Access.
  std::set<std::string> four_letter_words = {"srvr"};  // "srvr" is always on, as in ZooKeeper
  std::optional<std::string> super_digest;             // "super:base64(sha1(super:password))"

  // Admin HTTP (ZooKeeper's AdminServer keys; warden.adminPort wins).
  bool admin_enabled = true;
  std::string admin_address = "0.0.0.0";
  uint16_t admin_port = 8080;

  // Warden's own (warden.*).
  uint64_t compact_every_entries = 20'000;    // compact the log this often
  uint64_t retain_entries = 10'000;           // entries kept behind a compaction
  uint32_t snapshot_chunk_bytes = 256 << 10;  // image chunks streamed to lagging nodes
  uint32_t election_timeout_ticks = 10;       // consensus ticks without a leader
  MysqlAgentConfig mysql;

  // For the operator: warnings (unknown keys, unsupported features, odd
  // ensemble sizes) and notes (ZooKeeper keys Warden does not use). Each
  // names the file, line and key.
  std::vector<std::string> warnings;
  std::vector<std::string> notes;

  const ServerSpec& me() const;  // this server's entry in `servers`
};

struct ConfigResult {
  std::optional<ZooConfig> config;  // set on success
  std::string error;                // on failure: "file:line: key: reason"
  bool ok() const { return config.has_value(); }
};

// The text of the files zoo.cfg leads to; nullopt = the file does not exist.
struct ZooConfigFiles {
  std::optional<std::string> myid;            // <dataDir>/myid
  std::optional<std::string> dynamic_config;  // the file dynamicConfigFile names
};

// Where those files are, read from the zoo.cfg text ("" when it names none).
struct ZooConfigFilePaths {
  std::string myid;
  std::string dynamic_config;
};
ZooConfigFilePaths zoo_config_file_paths(std::string_view text);

// Interprets a zoo.cfg's text. `source_name` prefixes every message.
ConfigResult parse_zoo_config(std::string_view text, const std::string& source_name,
                              const ZooConfigFiles& files = {});

// Reads `path`, the myid and dynamic files it leads to, and parses them.
ConfigResult load_zoo_config(const std::string& path);

// The stable id of a server list (see ZooConfig::cluster_id); never 0.
uint64_t derive_cluster_id(const std::vector<ServerSpec>& servers);

// What only the running server knows, for render_conf.
struct ConfRuntime {
  uint64_t data_dir_size_bytes = 0;
  uint64_t data_log_size_bytes = 0;
};

// The effective configuration as ZooKeeper 3.8's `conf` four-letter word
// prints it (ZooKeeperServer.dumpConf, plus QuorumZooKeeperServer's lines and
// the membership in an ensemble). dataDir and dataLogDir are the configured
// directories (ZooKeeper prints their version-2 subdirectory, which Warden
// does not have); secureClientPort is always -1 (Warden has no TLS port). As in
// ZooKeeper the text ends without a newline after an ensemble's "version=".
std::string render_conf(const ZooConfig& config, const ConfRuntime& runtime);

}  // namespace warden::net
