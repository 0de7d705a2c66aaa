// `warden mysql status` and `warden mysql maintenance`: what the agents
// published about a MySQL cluster, read through any Warden node, and an
// operator's maintenance flag on one member. Registered by
// tools/mysql_command.cc.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mysqlctl/member.h"
#include "store/acl.h"
#include "tools/cli_session.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct TopologyOptions {
  std::string server = "127.0.0.1:2181";
  std::string cluster = "main";
  bool json = false;
};

struct Topology {
  std::vector<mysqlctl::MemberRecord> members;
  std::vector<std::string> unreadable;  // "<id>: why"
  std::optional<mysqlctl::PrimaryRecord> primary;
  std::string primary_error;
  std::optional<std::string> lock_holder;
};

std::unique_ptr<CliSession> open_session(const std::string& server, std::string* error) {
  std::optional<std::vector<net::ZkEndpoint>> hosts = net::parse_connect_string(server, error);
  if (!hosts) return nullptr;
  auto session = std::make_unique<CliSession>(*hosts, 10000);
  if (session->open() != store::ErrorCode::kOk) {
    *error = "cannot open a session on " + server + ": " + session->connect_error();
    return nullptr;
  }
  return session;
}

// The data of `path`, or nullopt (NONODE or another failure, in *err).
std::optional<std::string> read_data(CliSession& session, const std::string& path,
                                     store::ErrorCode* err) {
  const net::Reply reply = session.call(store::OpCode::kGetData, net::GetDataRequest{path, false});
  *err = reply.header.err;
  if (reply.header.err != store::ErrorCode::kOk) return std::nullopt;
  return std::get<net::GetDataResponse>(reply.body).data;
}

std::vector<std::string> children(CliSession& session, const std::string& path) {
  const net::Reply reply =
      session.call(store::OpCode::kGetChildren, net::GetChildrenRequest{path, false});
  if (reply.header.err != store::ErrorCode::kOk) return {};
  return std::get<net::GetChildrenResponse>(reply.body).children;
}

Topology read_topology(CliSession& session, const std::string& cluster) {
  Topology topology;
  // Read what the leader has committed, not only what this node applied.
  session.call(store::OpCode::kSync, net::SyncRequest{mysqlctl::cluster_path(cluster)});
  store::ErrorCode err = store::ErrorCode::kOk;
  if (std::optional<std::string> data = read_data(session, mysqlctl::primary_path(cluster), &err)) {
    mysqlctl::Result<mysqlctl::PrimaryRecord> primary = mysqlctl::decode_primary(*data);
    if (primary.ok()) {
      topology.primary = primary.value();
    } else {
      topology.primary_error = primary.error();
    }
  }
  const std::vector<std::string> maintained =
      children(session, mysqlctl::maintenance_path(cluster));
  for (const std::string& id : children(session, mysqlctl::members_path(cluster))) {
    std::optional<std::string> data = read_data(session, mysqlctl::member_path(cluster, id), &err);
    if (!data) continue;  // gone since the listing
    mysqlctl::Result<mysqlctl::MemberRecord> record = mysqlctl::decode_member(*data);
    if (!record.ok()) {
      topology.unreadable.push_back(id + ": " + record.error());
      continue;
    }
    topology.members.push_back(record.value());
    for (const std::string& name : maintained) {
      if (name == id) topology.members.back().maintenance = true;
    }
  }
  topology.lock_holder = read_data(session, mysqlctl::failover_lock_path(cluster), &err);
  return topology;
}

std::string yes_no(bool value) {
  return value ? "yes" : "no";
}

std::string cell(const std::string& text, size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

void print_table(const Topology& topology, const std::string& cluster) {
  std::string head = "cluster " + cluster + ": ";
  if (topology.primary) {
    head += "primary " + topology.primary->member_id + " (epoch " +
            std::to_string(topology.primary->epoch) + ")";
    if (!topology.primary->host.empty()) {
      head += " at " + topology.primary->host + ":" + std::to_string(topology.primary->port);
    }
  } else {
    head += topology.primary_error.empty() ? "no primary published"
                                           : "unreadable primary record: " + topology.primary_error;
  }
  if (topology.lock_holder) head += "; failover in progress by " + *topology.lock_holder;
  std::string out = head + "\n";
  out += cell("MEMBER", 10) + cell("ROLE", 9) + cell("HEALTHY", 8) + cell("RO", 4) +
         cell("ADDRESS", 22) + cell("GTID", 24) + cell("LAG", 5) + cell("SOURCE", 22) +
         cell("IO", 4) + "NOTE\n";
  for (const mysqlctl::MemberRecord& m : topology.members) {
    std::string note = m.problem;
    if (m.maintenance) note = "maintenance" + (note.empty() ? "" : "; " + note);
    const std::string source =
        m.source_host.empty() ? "-" : m.source_host + ":" + std::to_string(m.source_port);
    out += cell(m.id, 10) + cell(mysqlctl::member_role_name(m.role), 9) +
           cell(yes_no(m.healthy), 8) + cell(yes_no(m.read_only), 4) +
           cell(m.host + ":" + std::to_string(m.port), 22) +
           cell(m.gtid_position.empty() ? "-" : m.gtid_position, 24) +
           cell(m.lag_seconds ? std::to_string(*m.lag_seconds) : "-", 5) + cell(source, 22) +
           cell(m.source_host.empty() ? "-" : yes_no(m.io_running), 4) + note + "\n";
  }
  for (const std::string& bad : topology.unreadable) out += "unreadable member " + bad + "\n";
  print(stdout, out);
}

void print_json(const Topology& topology, const std::string& cluster) {
  nlohmann::json members = nlohmann::json::array();
  for (const mysqlctl::MemberRecord& m : topology.members) {
    members.push_back(nlohmann::json::parse(mysqlctl::encode_member(m)));
  }
  const nlohmann::json out = {
      {"cluster", cluster},
      {"primary", topology.primary
                      ? nlohmann::json::parse(mysqlctl::encode_primary(*topology.primary))
                      : nlohmann::json(nullptr)},
      {"members", members},
      {"failover_lock",
       topology.lock_holder ? nlohmann::json(*topology.lock_holder) : nlohmann::json(nullptr)},
  };
  print(stdout, out.dump() + "\n");
}

int run_status(const TopologyOptions& options) {
  if (std::string error = mysqlctl::cluster_name_error(options.cluster); !error.empty()) {
    std::cerr << "warden mysql status: --cluster: " << error << "\n";
    return kExitUsage;
  }
  std::string error;
  std::unique_ptr<CliSession> session = open_session(options.server, &error);
  if (!session) {
    std::cerr << "warden mysql status: " << error << "\n";
    return kExitFailed;
  }
  const Topology topology = read_topology(*session, options.cluster);
  if (options.json) {
    print_json(topology, options.cluster);
  } else {
    print_table(topology, options.cluster);
  }
  return kExitOk;
}

struct MaintenanceOptions {
  TopologyOptions target;
  std::string member_id;
  bool on = false;
  bool off = false;
};

int run_maintenance(const MaintenanceOptions& options) {
  const char* prefix = "warden mysql maintenance: ";
  for (const std::string& error : {mysqlctl::cluster_name_error(options.target.cluster),
                                   mysqlctl::member_id_error(options.member_id)}) {
    if (!error.empty()) {
      std::cerr << prefix << error << "\n";
      return kExitUsage;
    }
  }
  std::string error;
  std::unique_ptr<CliSession> session = open_session(options.target.server, &error);
  if (!session) {
    std::cerr << prefix << error << "\n";
    return kExitFailed;
  }
  const std::string path =
      mysqlctl::maintenance_member_path(options.target.cluster, options.member_id);
  net::Reply reply;
  if (options.on) {
    net::CreateRequest create;
    create.path = path;
    create.acl = store::open_acl();
    reply = session->call(store::OpCode::kCreate, create);
    if (reply.header.err == store::ErrorCode::kNodeExists) reply.header.err = store::ErrorCode::kOk;
  } else {
    reply = session->call(store::OpCode::kDelete, net::DeleteRequest{path, -1});
    if (reply.header.err == store::ErrorCode::kNoNode) reply.header.err = store::ErrorCode::kOk;
  }
  if (reply.header.err != store::ErrorCode::kOk) {
    std::cerr << prefix << "cannot " << (options.on ? "create " : "delete ") << path << " (error "
              << static_cast<int32_t>(reply.header.err) << "; does the cluster exist?)\n";
    return kExitFailed;
  }
  print(stdout, options.member_id + " maintenance " + (options.on ? "on" : "off") + "\n");
  return kExitOk;
}

void add_target_options(CLI::App& command, TopologyOptions& options) {
  command.add_option("--server", options.server, "Warden nodes, host:port[,host:port...]")
      ->capture_default_str();
  command.add_option("--cluster", options.cluster, "The MySQL cluster (warden.mysql.cluster)")
      ->capture_default_str();
}

}  // namespace

void add_mysql_topology_commands(CLI::App& mysql, int* exit_code) {
  auto status = std::make_shared<TopologyOptions>();
  CLI::App* status_command = mysql.add_subcommand(
      "status",
      "The cluster's topology as the agents published it: the primary and its epoch, and per "
      "member its role, health, read_only, GTID position, lag and replication source");
  add_target_options(*status_command, *status);
  status_command->add_flag("--json", status->json, "One JSON object instead of the table");
  status_command->callback([status, exit_code] { *exit_code = run_status(*status); });

  auto maintenance = std::make_shared<MaintenanceOptions>();
  CLI::App* maintenance_command = mysql.add_subcommand(
      "maintenance",
      "Put a member into maintenance (never promoted, never repointed, its agent leaves its "
      "server alone; a primary in maintenance is not failed over) or take it out");
  add_target_options(*maintenance_command, maintenance->target);
  maintenance_command->add_option("--member", maintenance->member_id, "The member id")->required();
  CLI::Option* on = maintenance_command->add_flag("--on", maintenance->on, "Into maintenance");
  CLI::Option* off = maintenance_command->add_flag("--off", maintenance->off, "Out of it");
  on->excludes(off);
  maintenance_command->callback([maintenance, exit_code] {
    if (!maintenance->on && !maintenance->off) {
      std::cerr << "warden mysql maintenance: say --on or --off\n";
      *exit_code = kExitUsage;
      return;
    }
    *exit_code = run_maintenance(*maintenance);
  });
}

}  // namespace warden::tools
