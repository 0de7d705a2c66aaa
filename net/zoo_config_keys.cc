// Reading each zoo.cfg key: the readers of the keys Warden uses, the
// ZooKeeper keys it accepts without using, and the dispatch that warns about
// any other.
#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <map>
#include <utility>

#include "net/zoo_config_state.h"
#include "net/zoo_config_values.h"

namespace warden::net::zoo_config_detail {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

// ---- Value readers: each fails with the key, line and reason. ----

bool read_int(ParseState& state, const Entry& entry, int64_t min, int64_t max, int64_t& out) {
  const std::optional<int64_t> value = parse_decimal(entry.value);
  if (!value) return fail(state, entry, "'" + entry.value + "' is not a number");
  if (*value < min || *value > max) {
    return fail(state, entry,
                std::to_string(*value) + " is out of range (" + std::to_string(min) + ".." +
                    std::to_string(max) + ")");
  }
  out = *value;
  return true;
}

template <typename T>
bool read_field(ParseState& state, const Entry& entry, int64_t min, int64_t max, T& field) {
  int64_t value = 0;
  if (!read_int(state, entry, min, max, value)) return false;
  field = static_cast<T>(value);
  return true;
}

bool read_bool(ParseState& state, const Entry& entry, bool& out) {
  const std::optional<bool> value = parse_java_bool(entry.value);
  if (!value) return fail(state, entry, "'" + entry.value + "' is not true or false");
  out = *value;
  return true;
}

bool read_port(ParseState& state, const Entry& entry, std::optional<uint16_t>& out) {
  uint16_t port = 0;
  if (!read_field(state, entry, 1, 65535, port)) return false;
  out = port;
  return true;
}

bool read_nonempty(ParseState& state, const Entry& entry, std::string& out) {
  if (entry.value.empty()) return fail(state, entry, "is empty");
  out = entry.value;
  return true;
}

// ZooKeeper warns about relative paths (they follow the working directory)
// unless they start with "./", which says it is meant.
bool read_directory(ParseState& state, const Entry& entry, std::string& out) {
  if (!read_nonempty(state, entry, out)) return false;
  if (out.front() != '/' && !out.starts_with("./")) {
    warn(state, entry,
         "'" + out + "' is relative to the working directory (write ./" + out +
             " if that is meant)");
  }
  return true;
}

// ---- Keys Warden uses. ----

bool on_tick_time(ParseState& s, const Entry& e) {
  return read_field(s, e, 1, kIntMax, s.config.tick_time_ms);
}
bool on_init_limit(ParseState& s, const Entry& e) {
  return read_field(s, e, 0, kIntMax, s.config.init_limit_ticks);
}
bool on_sync_limit(ParseState& s, const Entry& e) {
  return read_field(s, e, 0, kIntMax, s.config.sync_limit_ticks);
}
bool on_data_dir(ParseState& s, const Entry& e) {
  return read_directory(s, e, s.config.data_dir);
}
bool on_data_log_dir(ParseState& s, const Entry& e) {
  return read_directory(s, e, s.config.data_log_dir);
}

bool on_client_port(ParseState& s, const Entry& e) {
  uint16_t port = 0;
  if (!read_field(s, e, 0, 65535, port)) return false;
  s.client_port = port == 0 ? std::nullopt : std::optional<uint16_t>(port);
  return true;
}

bool on_client_port_address(ParseState& s, const Entry& e) {
  std::string address;
  if (!read_nonempty(s, e, address)) return false;
  s.client_port_address = address;
  return true;
}

bool on_max_client_cnxns(ParseState& s, const Entry& e) {
  return read_field(s, e, 0, kIntMax, s.config.max_client_cnxns);
}

// -1 means "the default" in ZooKeeper; 0 would expire sessions at once.
bool read_session_timeout(ParseState& s, const Entry& e, std::optional<int64_t>& out) {
  int64_t value = 0;
  if (!read_int(s, e, -1, kIntMax, value)) return false;
  if (value == 0) return fail(s, e, "must be positive (or -1 for the default)");
  out = value == -1 ? std::nullopt : std::optional<int64_t>(value);
  return true;
}
bool on_min_session_timeout(ParseState& s, const Entry& e) {
  return read_session_timeout(s, e, s.min_session_timeout_ms);
}
bool on_max_session_timeout(ParseState& s, const Entry& e) {
  return read_session_timeout(s, e, s.max_session_timeout_ms);
}

bool on_listen_backlog(ParseState& s, const Entry& e) {
  return read_field(s, e, -1, kIntMax, s.config.client_port_listen_backlog);
}

// FourLetterCommands.isEnabled: comma-separated, trimmed, "*" = every word,
// and "srvr" always (zkServer.sh needs it).
bool on_four_letter_words(ParseState& s, const Entry& e) {
  std::set<std::string> words = {"srvr"};
  std::string unknown;
  size_t start = 0;
  while (start <= e.value.size()) {
    size_t comma = e.value.find(',', start);
    if (comma == std::string::npos) comma = e.value.size();
    const std::string word(java_trim(std::string_view(e.value).substr(start, comma - start)));
    start = comma + 1;
    if (word == "*") {
      words.insert(known_four_letter_words().begin(), known_four_letter_words().end());
    } else if (known_four_letter_words().contains(word)) {
      words.insert(word);
    } else if (!word.empty()) {
      unknown += (unknown.empty() ? "'" : ", '") + word + "'";
    }
  }
  if (!unknown.empty()) warn(s, e, "not four-letter words ZooKeeper 3.8 knows: " + unknown);
  s.config.four_letter_words = std::move(words);
  return true;
}

// Java reads it with Integer.getInteger, so 0x100000 works as well as 1048576.
bool on_jute_max_buffer(ParseState& s, const Entry& e) {
  const std::optional<int64_t> value = parse_java_decode(e.value);
  if (!value) return fail(s, e, "'" + e.value + "' is not a number");
  if (*value < 1 || *value > kIntMax) {
    return fail(s, e,
                std::to_string(*value) + " is out of range (1.." + std::to_string(kIntMax) + ")");
  }
  s.config.jute_max_buffer_bytes = static_cast<uint32_t>(*value);
  return true;
}

// ZooKeeper raises a count below 3 to 3 with a warning (PurgeTxnLog needs 3).
bool on_snap_retain_count(ParseState& s, const Entry& e) {
  int64_t count = 0;
  if (!read_int(s, e, std::numeric_limits<int32_t>::min(), kIntMax, count)) return false;
  if (count < 3) warn(s, e, std::to_string(count) + " is below the minimum; using 3");
  s.config.snap_retain_count = static_cast<uint32_t>(std::max<int64_t>(count, 3));
  return true;
}

// Zero or less turns purging off, as in ZooKeeper.
bool on_purge_interval(ParseState& s, const Entry& e) {
  int64_t hours = 0;
  if (!read_int(s, e, std::numeric_limits<int32_t>::min(), kIntMax, hours)) return false;
  s.config.purge_interval_hours = static_cast<uint32_t>(std::max<int64_t>(hours, 0));
  return true;
}

// "user:base64(sha1(user:password))": 20 bytes are 27 base64 characters and
// one '='.
bool on_super_digest(ParseState& s, const Entry& e) {
  const size_t colon = e.value.find(':');
  const std::string digest = colon == std::string::npos ? "" : e.value.substr(colon + 1);
  const bool base64_sha1 =
      digest.size() == 28 && digest.back() == '=' &&
      std::all_of(digest.begin(), digest.end() - 1, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
      });
  if (colon == 0 || !base64_sha1) {
    return fail(s, e, "'" + e.value + "' is not user:base64(sha1(user:password))");
  }
  s.config.super_digest = e.value;
  return true;
}

bool on_admin_port(ParseState& s, const Entry& e) {
  return read_port(s, e, s.zookeeper_admin_port);
}
bool on_admin_address(ParseState& s, const Entry& e) {
  return read_nonempty(s, e, s.config.admin_address);
}
bool on_admin_enabled(ParseState& s, const Entry& e) {
  return read_bool(s, e, s.config.admin_enabled);
}
bool on_standalone_enabled(ParseState& s, const Entry& e) {
  return read_bool(s, e, s.standalone_enabled);
}
bool on_listen_on_all_ips(ParseState& s, const Entry& e) {
  return read_bool(s, e, s.config.quorum_listen_on_all_ips);
}
bool on_multi_address(ParseState& s, const Entry& e) {
  return read_bool(s, e, s.multi_address_enabled);
}

// Only FastLeaderElection (3) is left in ZooKeeper 3.6+.
bool on_election_alg(ParseState& s, const Entry& e) {
  int64_t algorithm = 0;
  if (!read_int(s, e, std::numeric_limits<int32_t>::min(), kIntMax, algorithm)) return false;
  if (algorithm != 3) return fail(s, e, "only 3 is supported (as in ZooKeeper 3.8)");
  return true;
}

bool on_peer_type(ParseState& s, const Entry& e) {
  const std::string type(java_trim(e.value));
  std::string lowered = type;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered != "observer" && lowered != "participant") {
    return fail(s, e, "'" + type + "' is not participant or observer");
  }
  s.peer_type_observer = lowered == "observer";
  return true;
}

bool on_dynamic_config_file(ParseState& s, const Entry& e) {
  std::string path;
  if (!read_nonempty(s, e, path)) return false;
  s.dynamic_config_file = path;
  return true;
}

// The version of the membership in a static file (hex, as QuorumMaj reads it).
bool on_version(ParseState& s, const Entry& e) {
  const std::optional<uint64_t> version = parse_hex(e.value);
  if (!version) return fail(s, e, "'" + e.value + "' is not a hex version");
  s.config.config_version = *version;
  return true;
}

// ---- Warden's own keys. ----

bool on_warden_admin_port(ParseState& s, const Entry& e) {
  return read_port(s, e, s.warden_admin_port);
}

// Decimal or 0x hex, the full 64 bits.
std::optional<uint64_t> parse_cluster_id(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) return parse_hex(text.substr(2));
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = c - '0';
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

bool on_warden_cluster_id(ParseState& s, const Entry& e) {
  const std::optional<uint64_t> id = parse_cluster_id(e.value);
  if (!id) return fail(s, e, "'" + e.value + "' is not a 64-bit number (decimal or 0x hex)");
  if (*id == 0) return fail(s, e, "must not be 0");
  s.cluster_id = id;
  return true;
}

bool on_compact_every(ParseState& s, const Entry& e) {
  return read_field(s, e, 1, std::numeric_limits<int64_t>::max(), s.config.compact_every_entries);
}
bool on_retain_entries(ParseState& s, const Entry& e) {
  return read_field(s, e, 0, std::numeric_limits<int64_t>::max(), s.config.retain_entries);
}
bool on_snapshot_chunk(ParseState& s, const Entry& e) {
  return read_field(s, e, 1024, int64_t{1} << 30, s.config.snapshot_chunk_bytes);
}
// A leader heartbeats every tick, so a follower must wait longer than one.
bool on_election_timeout(ParseState& s, const Entry& e) {
  return read_field(s, e, 2, 10000, s.config.election_timeout_ticks);
}

// ---- The MySQL agent's keys (warden.mysql.*). ----

bool on_mysql_host(ParseState& s, const Entry& e) {
  return read_nonempty(s, e, s.config.mysql.host);
}
bool on_mysql_port(ParseState& s, const Entry& e) {
  return read_field(s, e, 1, 65535, s.config.mysql.port);
}
bool on_mysql_cluster(ParseState& s, const Entry& e) {
  return read_nonempty(s, e, s.config.mysql.cluster);
}
bool on_mysql_member(ParseState& s, const Entry& e) {
  return read_nonempty(s, e, s.config.mysql.member_id);
}
bool on_mysql_credentials(ParseState& s, const Entry& e) {
  return read_nonempty(s, e, s.config.mysql.credentials_file);
}
bool on_mysql_replication_credentials(ParseState& s, const Entry& e) {
  return read_nonempty(s, e, s.config.mysql.replication_credentials_file);
}
bool on_mysql_priority(ParseState& s, const Entry& e) {
  return read_field(s, e, 0, 1000, s.config.mysql.priority);
}
bool on_mysql_probe_interval(ParseState& s, const Entry& e) {
  return read_field(s, e, 50, 60000, s.config.mysql.probe_interval_ms);
}
bool on_mysql_probe_timeout(ParseState& s, const Entry& e) {
  return read_field(s, e, 100, 60000, s.config.mysql.probe_timeout_ms);
}
// Within the range a client's session timeout is clamped to by default.
bool on_mysql_session_timeout(ParseState& s, const Entry& e) {
  return read_field(s, e, 1000, 600000, s.config.mysql.session_timeout_ms);
}
bool on_mysql_min_failover_interval(ParseState& s, const Entry& e) {
  return read_field(s, e, 0, 86'400'000, s.config.mysql.min_failover_interval_ms);
}
bool on_mysql_health_port(ParseState& s, const Entry& e) {
  return read_port(s, e, s.config.mysql.health_port);
}

// ---- ZooKeeper keys Warden accepts without using. ----

// A boolean that ZooKeeper checks; Warden checks it the same way, then ignores it.
bool on_ignored_bool(ParseState& s, const Entry& e) {
  bool value = false;
  if (!read_bool(s, e, value)) return false;
  note(s, e, "a ZooKeeper setting Warden does not use (ignored)");
  return true;
}

// A boolean asking for a feature Warden lacks: a warning when it is on.
bool read_unsupported_switch(ParseState& s, const Entry& e, const std::string& feature) {
  bool on = false;
  if (!read_bool(s, e, on)) return false;
  if (on) {
    warn(s, e, "Warden has no " + feature + "; ignored");
  } else {
    note(s, e, "off, as in Warden (ignored)");
  }
  return true;
}
bool on_reconfig_enabled(ParseState& s, const Entry& e) {
  return read_unsupported_switch(s, e, "dynamic reconfiguration (the reconfig operation fails)");
}
bool on_tls_switch(ParseState& s, const Entry& e) {
  return read_unsupported_switch(s, e, "TLS");
}
bool on_sasl_switch(ParseState& s, const Entry& e) {
  return read_unsupported_switch(s, e, "SASL authentication between servers");
}

bool on_secure_client_port(ParseState& s, const Entry& e) {
  int64_t port = 0;
  if (!read_int(s, e, 0, 65535, port)) return false;
  if (port != 0) warn(s, e, "Warden has no TLS client port; clients must use clientPort");
  return true;
}

bool on_oracle_path(ParseState& s, const Entry& e) {
  warn(s, e, "Warden has no oracle quorums (a two-server ensemble needs a majority); ignored");
  return true;
}

// ZooKeeper skips every ACL check when skipACL=yes; Warden always checks.
bool on_skip_acl(ParseState& s, const Entry& e) {
  if (e.value == "yes") {
    warn(s, e, "Warden always checks ACLs; clients that relied on skipACL=yes may be refused");
  } else {
    note(s, e, "Warden always checks ACLs (ignored)");
  }
  return true;
}

bool on_hierarchical(ParseState& s, const Entry& e) {
  if (!s.hierarchical_warned) {
    warn(s, e,
         "hierarchical quorums (group.N/weight.N) are not supported; a majority of the "
         "participants decides");
  }
  s.hierarchical_warned = true;
  return true;
}

using Handler = bool (*)(ParseState&, const Entry&);

const std::map<std::string, Handler, std::less<>>& handlers() {
  static const std::map<std::string, Handler, std::less<>> table = {
      {"tickTime", on_tick_time},
      {"initLimit", on_init_limit},
      {"syncLimit", on_sync_limit},
      {"dataDir", on_data_dir},
      {"dataLogDir", on_data_log_dir},
      {"clientPort", on_client_port},
      {"clientPortAddress", on_client_port_address},
      {"maxClientCnxns", on_max_client_cnxns},
      {"minSessionTimeout", on_min_session_timeout},
      {"maxSessionTimeout", on_max_session_timeout},
      {"clientPortListenBacklog", on_listen_backlog},
      {"4lw.commands.whitelist", on_four_letter_words},
      {"jute.maxbuffer", on_jute_max_buffer},
      {"autopurge.snapRetainCount", on_snap_retain_count},
      {"autopurge.purgeInterval", on_purge_interval},
      {"DigestAuthenticationProvider.superDigest", on_super_digest},
      {"admin.serverPort", on_admin_port},
      {"admin.serverAddress", on_admin_address},
      {"admin.enableServer", on_admin_enabled},
      {"standaloneEnabled", on_standalone_enabled},
      {"quorumListenOnAllIPs", on_listen_on_all_ips},
      {"multiAddress.enabled", on_multi_address},
      {"electionAlg", on_election_alg},
      {"peerType", on_peer_type},
      {"dynamicConfigFile", on_dynamic_config_file},
      {"version", on_version},
      {"warden.adminPort", on_warden_admin_port},
      {"warden.clusterId", on_warden_cluster_id},
      {"warden.compactEveryEntries", on_compact_every},
      {"warden.retainEntries", on_retain_entries},
      {"warden.snapshotChunkBytes", on_snapshot_chunk},
      {"warden.electionTimeoutTicks", on_election_timeout},
      {"warden.mysql.host", on_mysql_host},
      {"warden.mysql.port", on_mysql_port},
      {"warden.mysql.cluster", on_mysql_cluster},
      {"warden.mysql.member", on_mysql_member},
      {"warden.mysql.credentials", on_mysql_credentials},
      {"warden.mysql.replicationCredentials", on_mysql_replication_credentials},
      {"warden.mysql.priority", on_mysql_priority},
      {"warden.mysql.probeIntervalMs", on_mysql_probe_interval},
      {"warden.mysql.probeTimeoutMs", on_mysql_probe_timeout},
      {"warden.mysql.sessionTimeoutMs", on_mysql_session_timeout},
      {"warden.mysql.minFailoverIntervalMs", on_mysql_min_failover_interval},
      {"warden.mysql.healthPort", on_mysql_health_port},
      {"syncEnabled", on_ignored_bool},
      {"localSessionsEnabled", on_ignored_bool},
      {"localSessionsUpgradingEnabled", on_ignored_bool},
      {"sslQuorumReloadCertFiles", on_ignored_bool},
      {"multiAddress.reachabilityCheckEnabled", on_ignored_bool},
      {"reconfigEnabled", on_reconfig_enabled},
      {"sslQuorum", on_tls_switch},
      {"portUnification", on_tls_switch},
      {"client.portUnification", on_tls_switch},
      {"quorum.auth.enableSasl", on_sasl_switch},
      {"quorum.auth.serverRequireSasl", on_sasl_switch},
      {"quorum.auth.learnerRequireSasl", on_sasl_switch},
      {"secureClientPort", on_secure_client_port},
      {"oraclePath", on_oracle_path},
      {"skipACL", on_skip_acl},
  };
  return table;
}

// ZooKeeper keys (zoo.cfg names, and the system-property names that zoo.cfg
// reaches by dropping "zookeeper.") that tune parts of ZooKeeper Warden does
// not have. From QuorumPeerConfig and the 3.8 Administrator's Guide.
constexpr std::array kIgnoredKeys = {"secureClientPortAddress",
                                     "observerMasterPort",
                                     "connectToLearnerMasterLimit",
                                     "quorum.cnxn.threads.size",
                                     "quorum.auth.kerberos.servicePrincipal",
                                     "quorum.auth.learner.saslLoginContext",
                                     "quorum.auth.server.saslLoginContext",
                                     "multiAddress.reachabilityCheckTimeoutMs",
                                     "globalOutstandingLimit",
                                     "preAllocSize",
                                     "snapCount",
                                     "commitLogCount",
                                     "snapSizeLimitInKb",
                                     "txnLogSizeLimitInKb",
                                     "maxCnxns",
                                     "fsync.warningthresholdms",
                                     "maxResponseCacheSize",
                                     "maxGetChildrenResponseCacheSize",
                                     "extendedTypesEnabled",
                                     "emulate353TTLNodes",
                                     "watchManagerName",
                                     "watcherCleanThreadsNum",
                                     "watcherCleanThreshold",
                                     "watcherCleanIntervalInSeconds",
                                     "maxInProcessingDeadWatchers",
                                     "bitHashCacheSize",
                                     "fastleader.minNotificationInterval",
                                     "fastleader.maxNotificationInterval",
                                     "connectionMaxTokens",
                                     "connectionTokenFillTime",
                                     "connectionTokenFillCount",
                                     "connectionFreezeTime",
                                     "connectionDropIncrease",
                                     "connectionDropDecrease",
                                     "connectionDecreaseRatio",
                                     "connection_throttle_tokens",
                                     "connection_throttle_fill_time",
                                     "connection_throttle_fill_count",
                                     "connection_throttle_freeze_time",
                                     "connection_throttle_drop_increase",
                                     "connection_throttle_drop_decrease",
                                     "connection_throttle_decrease_ratio",
                                     "connection_throttle_weight_enabled",
                                     "connection_throttle_global_session_weight",
                                     "connection_throttle_local_session_weight",
                                     "connection_throttle_renew_session_weight",
                                     "serverCnxnFactory",
                                     "flushDelay",
                                     "maxWriteQueuePollTime",
                                     "maxBatchSize",
                                     "requestThrottleLimit",
                                     "requestThrottleStallTime",
                                     "requestThrottleDropStale",
                                     "requestStaleLatencyCheck",
                                     "requestStaleConnectionCheck",
                                     "request_throttle_max_requests",
                                     "request_throttle_stall_time",
                                     "request_throttle_drop_stale",
                                     "request_stale_latency_check",
                                     "request_stale_connection_check",
                                     "request_throttler.shutdownTimeout",
                                     "advancedFlowControlEnabled",
                                     "netty.advancedFlowControl.enabled",
                                     "enableEagerACLCheck",
                                     "maxConcurrentSnapSyncs",
                                     "maxConcurrentDiffSyncs",
                                     "leader.maxConcurrentSnapSyncs",
                                     "leader.maxConcurrentDiffSyncs",
                                     "digest.enabled",
                                     "snapshot.trust.empty",
                                     "audit.enable",
                                     "audit.impl.class",
                                     "largeRequestMaxBytes",
                                     "largeRequestThreshold",
                                     "outstandingHandshake.limit",
                                     "netty.server.outstandingHandshake.limit",
                                     "throttledOpWaitTime",
                                     "throttled_op_wait_time",
                                     "learner.closeSocketAsync",
                                     "leader.closeSocketAsync",
                                     "maxTimeToWaitForEpoch",
                                     "leader.maxTimeToWaitForEpoch",
                                     "leaderServes",
                                     "cnxTimeout",
                                     "quorumCnxnTimeoutMs",
                                     "tcpKeepAlive",
                                     "clientTcpKeepAlive",
                                     "electionPortBindRetry",
                                     "observer.reconnectDelayMs",
                                     "observer.election.DelayMs",
                                     "observer.syncEnabled",
                                     "X509AuthenticationProvider.superUser",
                                     "superUser",
                                     "ensembleAuthName",
                                     "sessionRequireClientSASLAuth",
                                     "allowSaslFailedClients",
                                     "authProvider",
                                     "kerberos.removeHostFromPrincipal",
                                     "kerberos.removeRealmFromPrincipal",
                                     "readonlymode.enabled",
                                     "forceSync",
                                     "jute.maxbuffer.extrasize",
                                     "datadir.autocreate",
                                     "db.autocreate",
                                     "admin.portUnification",
                                     "admin.idleTimeout",
                                     "admin.commandURL",
                                     "admin.forceHttps",
                                     "admin.needClientAuth",
                                     "jvm.pause.monitor",
                                     "jvm.pause.sleep.time.ms",
                                     "jvm.pause.warn-threshold.ms",
                                     "jvm.pause.info-threshold.ms",
                                     "4lw.commands.blacklist"};

// Families of keys with open-ended names.
constexpr std::array kIgnoredPrefixes = {
    "metricsProvider.", "ssl.",           "authProvider.", "nio.", "commitProcessor.",
    "znode.container.", "messageTracker."};

bool is_ignored_key(std::string_view key) {
  if (std::find(kIgnoredKeys.begin(), kIgnoredKeys.end(), key) != kIgnoredKeys.end()) return true;
  return std::any_of(kIgnoredPrefixes.begin(), kIgnoredPrefixes.end(),
                     [&](std::string_view prefix) { return key.starts_with(prefix); });
}

bool is_server_family(std::string_view key) {
  return key.starts_with("server.") || key.starts_with("group.") || key.starts_with("weight.");
}

// ZooKeeper hands every key it does not read itself to Java as the system
// property "zookeeper.<key>", so such a setting is also written with that
// prefix (zookeeper.DigestAuthenticationProvider.superDigest).
std::string canonical_key(const std::string& key) {
  constexpr std::string_view kPrefix = "zookeeper.";
  if (!key.starts_with(kPrefix)) return key;
  const std::string_view rest = std::string_view(key).substr(kPrefix.size());
  if (handlers().contains(rest) || is_ignored_key(rest)) return std::string(rest);
  return key;
}

}  // namespace

bool is_recognised_key(const std::string& key) {
  const std::string canonical = canonical_key(key);
  return handlers().contains(canonical) || is_ignored_key(canonical) || is_server_family(canonical);
}

bool dispatch_key(ParseState& state, const Entry& entry) {
  const std::string key = canonical_key(entry.key);
  state.key_lines[key] = entry.line;
  const auto handler = handlers().find(key);
  if (handler != handlers().end()) return handler->second(state, entry);
  if (key.starts_with("server.")) {
    state.server_entries.push_back(entry);
    return true;
  }
  if (is_server_family(key)) return on_hierarchical(state, entry);
  if (is_ignored_key(key)) {
    note(state, entry, "a ZooKeeper setting Warden does not use (ignored)");
  } else {
    warn(state, entry, "unknown key (ignored)");
  }
  return true;
}

}  // namespace warden::net::zoo_config_detail
