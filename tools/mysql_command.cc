// `warden mysql ...`: the MySQL agent's operator commands, for operators
// doing by hand what the agent does, and for tests. `probe` runs the agent's
// probe once and prints what the agent would publish; `fence`, `promote`,
// `repoint`, `wait-applied` and `semi-sync` run one action of
// mysqlctl/mysql_admin.h and print its report. Registered by tools/main.cc.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mysqlctl/credentials.h"
#include "mysqlctl/member.h"
#include "mysqlctl/mysql_admin.h"
#include "mysqlctl/mysql_probe.h"
#include "mysqlctl/probe_result.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

// Exit codes of every `warden mysql` command, so a script can tell a server
// that failed from a command that could not run. For `probe`, failed means
// unhealthy or unreachable.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitCannotRun = 2;

// An action that waits for nothing but its statements.
constexpr int kActionTimeoutMs = 5000;
// The relay-log wait may take as long as the replica needs to apply what it
// received.
constexpr int kWaitAppliedTimeoutMs = 60000;
constexpr int kProbeTimeoutMs = 2000;

// The server a command talks to and how: every `warden mysql` command has
// these options.
struct ServerOptions {
  std::string host;
  uint16_t port = 3306;
  std::string credentials_path;
  int timeout_ms = kActionTimeoutMs;

  mysqlctl::ProbeTarget target() const { return {.host = host, .port = port}; }
  std::string name() const { return host + ":" + std::to_string(port); }
};

void add_server_options(CLI::App& command, ServerOptions& options, int default_timeout_ms) {
  options.timeout_ms = default_timeout_ms;
  command.add_option("--host", options.host, "Server address (TCP)")->required();
  command.add_option("--port", options.port, "Server port")->capture_default_str();
  command
      .add_option("--credentials", options.credentials_path,
                  "Option file with a [client] group holding user= and password=, mode 0600 "
                  "or 0400, owned by the user running warden")
      ->required();
  command
      .add_option("--timeout-ms", options.timeout_ms,
                  "Give up after this long (rounded up to whole seconds)")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
}

// The account in the file at `path`; nullopt, with the reason on stderr,
// when the file is refused.
std::optional<mysqlctl::Credentials> read_credentials(const std::string& prefix,
                                                      const std::string& path) {
  mysqlctl::Result<mysqlctl::Credentials> credentials = mysqlctl::read_credentials_file(path);
  if (!credentials.ok()) {
    std::cerr << prefix << credentials.error() << "\n";
    return std::nullopt;
  }
  return std::move(credentials).value();
}

// An action's report as one JSON line on stdout, or its error on stderr.
template <class Report, class ToJson>
int print_outcome(const std::string& prefix, const ServerOptions& server,
                  const mysqlctl::Result<Report>& result, ToJson to_json) {
  if (!result.ok()) {
    std::cerr << prefix << result.error() << "\n";
    return kExitFailed;
  }
  nlohmann::json output = to_json(result.value());
  output["server"] = server.name();
  std::cout << output.dump() << std::endl;
  return kExitOk;
}

// ---------------------------------------------------------------------------
// probe

// "<host>-<port>" with what a member id may not hold replaced by '_'.
std::string default_member_id(const std::string& host, uint16_t port) {
  std::string id = host + "-" + std::to_string(port);
  for (char& c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!allowed) c = '_';
  }
  if (id.front() == '.') id.front() = '_';
  return id.substr(0, 64);
}

struct ProbeOptions {
  ServerOptions server;
  std::string member_id;  // empty: derived from host and port
};

int run_probe(const ProbeOptions& options) {
  const std::string prefix = "warden mysql probe: ";
  const std::optional<mysqlctl::Credentials> credentials =
      read_credentials(prefix, options.server.credentials_path);
  if (!credentials) return kExitCannotRun;
  const mysqlctl::ProbeTarget target = options.server.target();
  const std::string member_id =
      options.member_id.empty() ? default_member_id(target.host, target.port) : options.member_id;
  if (std::string error = mysqlctl::member_id_error(member_id); !error.empty()) {
    std::cerr << prefix << "--id: " << error << "\n";
    return kExitCannotRun;
  }

  const mysqlctl::ProbeResult result =
      mysqlctl::probe(target, *credentials, options.server.timeout_ms);
  mysqlctl::Result<mysqlctl::MemberRecord> record =
      mysqlctl::member_record_from_probe(result, target, member_id, /*priority=*/1);
  if (!record.ok()) {
    std::cerr << prefix << record.error() << "\n";
    return kExitCannotRun;
  }
  const nlohmann::json output = {
      {"member", nlohmann::json::parse(mysqlctl::encode_member(record.value()))},
      {"probe", nlohmann::json::parse(mysqlctl::encode_probe_result(result))},
  };
  std::cout << output.dump() << std::endl;

  const mysqlctl::ProbeAssessment assessment = mysqlctl::assess_probe(result);
  if (!assessment.healthy) {
    // A failed probe's error already names the server.
    std::cerr << prefix;
    if (result.completed) std::cerr << options.server.name() << " is unhealthy: ";
    std::cerr << assessment.unhealthy_reason << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

void add_probe_subcommand(CLI::App& mysql, int* exit_code) {
  auto options = std::make_shared<ProbeOptions>();
  CLI::App* command = mysql.add_subcommand(
      "probe",
      "Probe a MySQL/MariaDB server once, as the agent does, and print JSON on stdout: "
      "\"member\" (the record the agent would publish) and \"probe\" (what the server "
      "reported). Exit status: 0 healthy; 1 unhealthy or unreachable, with the reason on "
      "stderr; 2 the probe could not run (credentials file refused, bad --id).");
  add_server_options(*command, options->server, kProbeTimeoutMs);
  command->add_option("--id", options->member_id,
                      "Member id in the record (default: <host>-<port>)");
  command->callback([options, exit_code] { *exit_code = run_probe(*options); });
}

// ---------------------------------------------------------------------------
// The failover actions

constexpr const char* kActionExitStatus =
    " Exit status: 0 done (the JSON line on stdout); 1 the server refused or failed (the "
    "reason on stderr); 2 the command could not run (credentials file refused).";

// Registers an action: its server options, plus `run` called with the
// account once the credentials file is read.
template <class Options, class Run>
CLI::App* add_action(CLI::App& mysql, int* exit_code, const std::string& name,
                     const std::string& description, int default_timeout_ms,
                     std::shared_ptr<Options> options, Run run) {
  CLI::App* command = mysql.add_subcommand(name, description + kActionExitStatus);
  add_server_options(*command, options->server, default_timeout_ms);
  command->callback([options, exit_code, name, run] {
    const std::string prefix = "warden mysql " + name + ": ";
    const std::optional<mysqlctl::Credentials> credentials =
        read_credentials(prefix, options->server.credentials_path);
    *exit_code = credentials ? run(prefix, *options, *credentials) : kExitCannotRun;
  });
  return command;
}

struct ActionOptions {
  ServerOptions server;
};

void add_fence_subcommand(CLI::App& mysql, int* exit_code) {
  add_action(
      mysql, exit_code, "fence",
      "Stop a primary from taking writes: read_only=ON, then kill every client "
      "connection but replication's. Prints one JSON line: {\"server\", \"killed_connections\"}.",
      kActionTimeoutMs, std::make_shared<ActionOptions>(),
      [](const std::string& prefix, const ActionOptions& options,
         const mysqlctl::Credentials& account) {
        const ServerOptions& server = options.server;
        return print_outcome(
            prefix, server, mysqlctl::fence(server.target(), account, server.timeout_ms),
            [](const mysqlctl::FenceReport& report) {
              return nlohmann::json{{"killed_connections", report.killed_connections}};
            });
      });
}

struct PromoteOptions {
  ServerOptions server;
  uint64_t semi_sync_timeout_ms = mysqlctl::kSemiSyncNoFallbackMs;
};

void add_promote_subcommand(CLI::App& mysql, int* exit_code) {
  auto options = std::make_shared<PromoteOptions>();
  CLI::App* command = add_action(
      mysql, exit_code, "promote",
      "Make a replica the primary: stop and remove replication, semi-sync as a source, "
      "read_only=OFF last. Run wait-applied first. Prints one JSON line: {\"server\", "
      "\"gtid_position\", "
      "\"semi_sync_source\"}.",
      kActionTimeoutMs, options,
      [](const std::string& prefix, const PromoteOptions& options,
         const mysqlctl::Credentials& account) {
        const ServerOptions& server = options.server;
        return print_outcome(prefix, server,
                             mysqlctl::promote(server.target(), account,
                                               options.semi_sync_timeout_ms, server.timeout_ms),
                             [](const mysqlctl::PromoteReport& report) {
                               return nlohmann::json{{"gtid_position", report.gtid_position},
                                                     {"semi_sync_source", report.semi_sync_source}};
                             });
      });
  command
      ->add_option("--semi-sync-timeout-ms", options->semi_sync_timeout_ms,
                   "How long a commit waits for a replica's acknowledgement before the "
                   "primary falls back to asynchronous replication (default: about 49.7 "
                   "days, that is never)")
      ->check(CLI::Range(uint64_t{1}, mysqlctl::kSemiSyncNoFallbackMs))
      ->capture_default_str();
}

struct RepointOptions {
  ServerOptions server;
  std::string source_host;
  uint16_t source_port = 3306;
  std::string replication_credentials_path;
};

int run_repoint(const std::string& prefix, const RepointOptions& options,
                const mysqlctl::Credentials& account) {
  const std::optional<mysqlctl::Credentials> replication =
      read_credentials(prefix, options.replication_credentials_path);
  if (!replication) return kExitCannotRun;
  const mysqlctl::ReplicationSource source{
      .host = options.source_host, .port = options.source_port, .account = *replication};
  const std::string source_name = source.host + ":" + std::to_string(source.port);
  const ServerOptions& server = options.server;
  return print_outcome(
      prefix, server, mysqlctl::repoint(server.target(), account, source, server.timeout_ms),
      [&](const mysqlctl::RepointReport& report) {
        return nlohmann::json{{"source", source_name},
                              {"gtid_position", report.gtid_position},
                              {"demoted_former_primary", report.demoted_former_primary},
                              {"semi_sync_replica", report.semi_sync_replica}};
      });
}

void add_repoint_subcommand(CLI::App& mysql, int* exit_code) {
  auto options = std::make_shared<RepointOptions>();
  CLI::App* command = add_action(
      mysql, exit_code, "repoint",
      "Make the server a replica of a source by GTID: read_only=ON, CHANGE MASTER TO the "
      "source (a former primary's own transactions kept in its position), semi-sync as a "
      "replica, START SLAVE. The server must have no errant transactions relative to the "
      "source. Prints one JSON line: {\"server\", \"source\", \"gtid_position\", "
      "\"demoted_former_primary\", "
      "\"semi_sync_replica\"}.",
      kActionTimeoutMs, options, run_repoint);
  command->add_option("--source-host", options->source_host, "The source's address")->required();
  command->add_option("--source-port", options->source_port, "The source's port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  command
      ->add_option("--replication-credentials", options->replication_credentials_path,
                   "Option file ([client] user= and password=, mode 0600 or 0400) with the "
                   "account the replica logs in to the source with (REPLICATION SLAVE)")
      ->required();
}

void add_wait_applied_subcommand(CLI::App& mysql, int* exit_code) {
  add_action(mysql, exit_code, "wait-applied",
             "On a replica whose source is dead or fenced: stop its IO thread and wait until "
             "its SQL thread has applied everything received. Prints one JSON line: {\"server\", "
             "\"received\", \"gtid_position\"}.",
             kWaitAppliedTimeoutMs, std::make_shared<ActionOptions>(),
             [](const std::string& prefix, const ActionOptions& options,
                const mysqlctl::Credentials& account) {
               const ServerOptions& server = options.server;
               return print_outcome(
                   prefix, server,
                   mysqlctl::wait_relay_log_applied(server.target(), account, server.timeout_ms),
                   [](const mysqlctl::AppliedReport& report) {
                     return nlohmann::json{{"received", report.received},
                                           {"gtid_position", report.gtid_position}};
                   });
             });
}

struct SemiSyncOptions {
  ServerOptions server;
  std::string role;
  uint64_t source_timeout_ms = mysqlctl::kSemiSyncNoFallbackMs;
};

void add_semi_sync_subcommand(CLI::App& mysql, int* exit_code) {
  auto options = std::make_shared<SemiSyncOptions>();
  CLI::App* command = add_action(
      mysql, exit_code, "semi-sync",
      "Set the server's semi-synchronous replication role, as the agent does at start: "
      "\"source\" (wait point AFTER_SYNC) or \"replica\" (a running IO thread reconnects), "
      "the other role off. Prints one JSON line: {\"server\", \"role\", \"available\", "
      "\"changed\"}.",
      kActionTimeoutMs, options,
      [](const std::string& prefix, const SemiSyncOptions& options,
         const mysqlctl::Credentials& account) {
        const ServerOptions& server = options.server;
        const mysqlctl::SemiSyncRole role = options.role == "source"
                                                ? mysqlctl::SemiSyncRole::kSource
                                                : mysqlctl::SemiSyncRole::kReplica;
        return print_outcome(
            prefix, server,
            mysqlctl::configure_semi_sync(server.target(), account, role, options.source_timeout_ms,
                                          server.timeout_ms),
            [&](const mysqlctl::SemiSyncReport& report) {
              return nlohmann::json{{"role", options.role},
                                    {"available", report.available},
                                    {"changed", report.changed}};
            });
      });
  command->add_option("--role", options->role, "source or replica")
      ->required()
      ->check(CLI::IsMember({"source", "replica"}));
  command
      ->add_option("--semi-sync-timeout-ms", options->source_timeout_ms,
                   "As a source: how long a commit waits for an acknowledgement before the "
                   "primary falls back to asynchronous replication (default: never)")
      ->check(CLI::Range(uint64_t{1}, mysqlctl::kSemiSyncNoFallbackMs))
      ->capture_default_str();
}

}  // namespace

void add_mysql_command(CLI::App& app, int* exit_code) {
  CLI::App* mysql = app.add_subcommand("mysql", "Operate the MySQL agent");
  mysql->require_subcommand(1);
  add_probe_subcommand(*mysql, exit_code);
  add_fence_subcommand(*mysql, exit_code);
  add_promote_subcommand(*mysql, exit_code);
  add_repoint_subcommand(*mysql, exit_code);
  add_wait_applied_subcommand(*mysql, exit_code);
  add_semi_sync_subcommand(*mysql, exit_code);
  add_mysql_topology_commands(*mysql, exit_code);
}

}  // namespace warden::tools
