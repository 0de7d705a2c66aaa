// `warden mysql ...`: the MySQL agent's operator commands. So far `probe`,
// which runs the agent's probe once against a server and prints what the
// agent would publish for it. Registered by tools/main.cc.
#include <iostream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "mysqlctl/credentials.h"
#include "mysqlctl/member.h"
#include "mysqlctl/mysql_probe.h"
#include "mysqlctl/probe_result.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

// Exit codes of `warden mysql probe`, so a health check can tell a sick
// server from a misconfigured check.
constexpr int kExitHealthy = 0;
constexpr int kExitUnhealthy = 1;
constexpr int kExitCannotProbe = 2;

struct ProbeOptions {
  std::string host;
  uint16_t port = 3306;
  std::string credentials_path;
  int timeout_ms = 2000;
  std::string member_id;  // empty: derived from host and port
};

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

int run_probe(const ProbeOptions& options) {
  const char* prefix = "warden mysql probe: ";
  mysqlctl::Result<mysqlctl::Credentials> credentials =
      mysqlctl::read_credentials_file(options.credentials_path);
  if (!credentials.ok()) {
    std::cerr << prefix << credentials.error() << "\n";
    return kExitCannotProbe;
  }
  const mysqlctl::ProbeTarget target{.host = options.host, .port = options.port};
  const std::string member_id =
      options.member_id.empty() ? default_member_id(options.host, options.port) : options.member_id;
  if (std::string error = mysqlctl::member_id_error(member_id); !error.empty()) {
    std::cerr << prefix << "--id: " << error << "\n";
    return kExitCannotProbe;
  }

  const mysqlctl::ProbeResult result =
      mysqlctl::probe(target, credentials.value(), options.timeout_ms);
  mysqlctl::Result<mysqlctl::MemberRecord> record =
      mysqlctl::member_record_from_probe(result, target, member_id, /*priority=*/1);
  if (!record.ok()) {
    std::cerr << prefix << record.error() << "\n";
    return kExitCannotProbe;
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
    if (result.completed) std::cerr << options.host << ":" << options.port << " is unhealthy: ";
    std::cerr << assessment.unhealthy_reason << "\n";
    return kExitUnhealthy;
  }
  return kExitHealthy;
}

void add_probe_subcommand(CLI::App& mysql, int* exit_code) {
  auto options = std::make_shared<ProbeOptions>();
  CLI::App* command = mysql.add_subcommand(
      "probe",
      "Probe a MySQL/MariaDB server once, as the agent does, and print JSON on stdout: "
      "\"member\" (the record the agent would publish) and \"probe\" (what the server "
      "reported). Exit status: 0 healthy; 1 unhealthy or unreachable, with the reason on "
      "stderr; 2 the probe could not run (credentials file refused, bad --id).");
  command->add_option("--host", options->host, "Server address (TCP)")->required();
  command->add_option("--port", options->port, "Server port")->capture_default_str();
  command
      ->add_option("--credentials", options->credentials_path,
                   "Option file with a [client] group holding user= and password=, mode 0600 "
                   "or 0400, owned by the user running warden")
      ->required();
  command
      ->add_option("--timeout-ms", options->timeout_ms,
                   "Give up after this long (rounded up to whole seconds)")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  command->add_option("--id", options->member_id,
                      "Member id in the record (default: <host>-<port>)");
  command->callback([options, exit_code] { *exit_code = run_probe(*options); });
}

}  // namespace

void add_mysql_command(CLI::App& app, int* exit_code) {
  CLI::App* mysql = app.add_subcommand("mysql", "Operate the MySQL agent");
  mysql->require_subcommand(1);
  add_probe_subcommand(*mysql, exit_code);
}

}  // namespace warden::tools
