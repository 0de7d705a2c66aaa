// `warden mysql status`, `maintenance` and `switchover`: what the agents
// published about a MySQL cluster, read through any Warden node; an
// operator's maintenance flag on one member; and a graceful change of
// primary. Registered by tools/mysql_command.cc.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mysqlctl/credentials.h"
#include "mysqlctl/failover_plan.h"
#include "mysqlctl/gtid.h"
#include "mysqlctl/member.h"
#include "mysqlctl/mysql_admin.h"
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
  int32_t primary_version = -1;  // for a conditional publish
  std::string primary_error;
  std::optional<std::string> lock_holder;
  // Every member that ever published, with the last epoch it followed.
  std::map<std::string, uint64_t> roster;
  std::vector<std::string> in_maintenance;  // records or not
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
                                     store::ErrorCode* err, int32_t* version = nullptr) {
  const net::Reply reply = session.call(store::OpCode::kGetData, net::GetDataRequest{path, false});
  *err = reply.header.err;
  if (reply.header.err != store::ErrorCode::kOk) return std::nullopt;
  const auto& data = std::get<net::GetDataResponse>(reply.body);
  if (version != nullptr) *version = data.stat.version;
  return data.data;
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
  if (std::optional<std::string> data =
          read_data(session, mysqlctl::primary_path(cluster), &err, &topology.primary_version)) {
    mysqlctl::Result<mysqlctl::PrimaryRecord> primary = mysqlctl::decode_primary(*data);
    if (primary.ok()) {
      topology.primary = primary.value();
    } else {
      topology.primary_error = primary.error();
    }
  }
  const std::vector<std::string> maintained =
      children(session, mysqlctl::maintenance_path(cluster));
  topology.in_maintenance = maintained;
  for (const std::string& id : children(session, mysqlctl::roster_path(cluster))) {
    std::optional<std::string> data =
        read_data(session, mysqlctl::roster_member_path(cluster, id), &err);
    if (!data) continue;
    mysqlctl::Result<mysqlctl::RosterEntry> entry = mysqlctl::decode_roster_entry(*data);
    topology.roster[id] = entry.ok() ? entry.value().following_epoch : 0;
  }
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

// What an automatic failover would do now, as the agents decide it (the
// same plan_failover on the same records), or "" while the primary's record
// says it is healthy: a primary, or a replica just promoted whose agent has
// not published since.
std::string failover_outlook(const Topology& topology) {
  if (!topology.primary) return "";
  const mysqlctl::MemberRecord* primary =
      mysqlctl::find_member(topology.members, topology.primary->member_id);
  if (primary != nullptr && primary->healthy) return "";
  const mysqlctl::FailoverOutcome outcome =
      mysqlctl::plan_failover({.members = topology.members,
                               .current_primary = topology.primary,
                               .lease_wait_ms = 0,
                               .roster = topology.roster,
                               .in_maintenance = topology.in_maintenance});
  if (!outcome.plan) return "automatic failover held: " + outcome.refusal;
  return "automatic failover would promote " + outcome.plan->candidate_id + " at epoch " +
         std::to_string(outcome.plan->new_epoch);
}

// Members that published once and have no record now (their agent or node
// is gone), with the epoch each last followed.
std::vector<std::string> absent_members(const Topology& topology) {
  std::vector<std::string> lines;
  for (const auto& [id, epoch] : topology.roster) {
    if (mysqlctl::find_member(topology.members, id) != nullptr) continue;
    lines.push_back(id + " (last followed epoch " + std::to_string(epoch) + ")");
  }
  return lines;
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
  for (const std::string& absent : absent_members(topology)) {
    out += "no record from " + absent + "\n";
  }
  if (std::string outlook = failover_outlook(topology); !outlook.empty()) out += outlook + "\n";
  print(stdout, out);
}

void print_json(const Topology& topology, const std::string& cluster) {
  nlohmann::json members = nlohmann::json::array();
  for (const mysqlctl::MemberRecord& m : topology.members) {
    members.push_back(nlohmann::json::parse(mysqlctl::encode_member(m)));
  }
  nlohmann::json roster = nlohmann::json::object();
  for (const auto& [id, epoch] : topology.roster) roster[id] = {{"following_epoch", epoch}};
  const std::string outlook = failover_outlook(topology);
  const nlohmann::json out = {
      {"cluster", cluster},
      {"primary", topology.primary
                      ? nlohmann::json::parse(mysqlctl::encode_primary(*topology.primary))
                      : nlohmann::json(nullptr)},
      {"members", members},
      {"failover_lock",
       topology.lock_holder ? nlohmann::json(*topology.lock_holder) : nlohmann::json(nullptr)},
      {"roster", roster},
      {"failover_outlook", outlook.empty() ? nlohmann::json(nullptr) : nlohmann::json(outlook)},
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

struct SwitchoverOptions {
  TopologyOptions target;
  std::string to;
  std::string credentials_path;
  std::string replication_credentials_path;
  int catch_up_timeout_ms = 10000;
};

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

mysqlctl::ProbeTarget server_of(const mysqlctl::MemberRecord& member) {
  return {.host = member.host, .port = member.port};
}

// Why `to` cannot take over from `primary` now, or "".
std::string switchover_refusal(const Topology& topology, const std::string& to) {
  if (!topology.primary) return "no primary is published";
  if (topology.lock_holder)
    return "a failover or switchover is running (" + *topology.lock_holder + ")";
  if (topology.primary->member_id == to) return to + " is already the primary";
  const mysqlctl::MemberRecord* primary =
      mysqlctl::find_member(topology.members, topology.primary->member_id);
  const mysqlctl::MemberRecord* target = mysqlctl::find_member(topology.members, to);
  if (primary == nullptr || !primary->healthy || primary->role != mysqlctl::MemberRole::kPrimary) {
    return "the primary " + topology.primary->member_id +
           " is not a healthy primary: a failover is the way out";
  }
  if (target == nullptr) return to + " has no member record";
  if (!target->healthy || target->role != mysqlctl::MemberRole::kReplica) {
    return to + " is not a healthy replica" +
           (target->problem.empty() ? "" : ": " + target->problem);
  }
  if (target->maintenance) return to + " is in maintenance";
  if (target->priority == 0) return to + " has priority 0 (never promoted)";
  if (target->source_host != primary->host || target->source_port != primary->port) {
    return to + " does not replicate from the primary";
  }
  return "";
}

// Everything that changes MySQL, between taking the lock and publishing:
// writes are refused from the fence until the target is promoted.
class Switchover {
 public:
  Switchover(const SwitchoverOptions& options, const Topology& topology,
             mysqlctl::Credentials account, mysqlctl::Credentials replication)
      : options_(options),
        topology_(topology),
        account_(std::move(account)),
        replication_(std::move(replication)),
        old_(*mysqlctl::find_member(topology.members, topology.primary->member_id)),
        new_(*mysqlctl::find_member(topology.members, options.to)) {}

  // Empty on success, else why it stopped (and what state it left).
  std::string run() {
    const Clock::time_point fenced_at = Clock::now();
    auto fence = mysqlctl::fence(server_of(old_), account_, kStepTimeoutMs);
    if (!fence.ok()) return fence.error();
    say("fenced " + old_.id + ": " + std::to_string(fence.value().killed_connections) +
        " client connections killed");
    auto position = mysqlctl::read_gtid_position(server_of(old_), account_, kStepTimeoutMs);
    if (!position.ok()) return undo(position.error());
    auto caught_up = mysqlctl::wait_for_position(server_of(new_), account_, position.value(),
                                                 options_.catch_up_timeout_ms);
    if (!caught_up.ok()) return undo(caught_up.error());
    promoted_position_ = caught_up.value();
    say(new_.id + " has applied " + position.value());
    auto promoted = mysqlctl::promote(server_of(new_), account_, mysqlctl::kSemiSyncNoFallbackMs,
                                      kStepTimeoutMs);
    if (!promoted.ok()) return undo(promoted.error());
    writes_blocked_ms_ = ms_since(fenced_at);
    say("promoted " + new_.id + " (writes were refused for " + std::to_string(writes_blocked_ms_) +
        " ms)");
    repoint(old_);
    for (const mysqlctl::MemberRecord& member : topology_.members) {
      if (member.id == old_.id || member.id == new_.id || member.maintenance) continue;
      if (member.role == mysqlctl::MemberRole::kReplica && member.healthy) repoint(member);
    }
    return "";
  }

  int64_t writes_blocked_ms() const { return writes_blocked_ms_; }
  // What the new primary held when it was promoted.
  const std::string& promoted_position() const { return promoted_position_; }

 private:
  static constexpr int kStepTimeoutMs = 5000;

  void say(const std::string& line) const { print(stdout, line + "\n"); }

  void repoint(const mysqlctl::MemberRecord& member) const {
    const mysqlctl::ReplicationSource source{
        .host = new_.host, .port = new_.port, .account = replication_};
    auto repointed = mysqlctl::repoint(server_of(member), account_, source, kStepTimeoutMs);
    say(repointed.ok()
            ? "repointed " + member.id + " to " + new_.id
            : "could not repoint " + member.id + " (its agent will): " + repointed.error());
  }

  // Before the promotion nothing is lost by giving the old primary back its
  // writes: the target never became writable.
  std::string undo(const std::string& why) const {
    auto writable = mysqlctl::promote(server_of(old_), account_, mysqlctl::kSemiSyncNoFallbackMs,
                                      kStepTimeoutMs);
    return why + (writable.ok() ? "; " + old_.id + " is writable again"
                                : "; could not make " + old_.id + " writable again (" +
                                      writable.error() + "): its agent will");
  }

  const SwitchoverOptions& options_;
  const Topology& topology_;
  const mysqlctl::Credentials account_;
  const mysqlctl::Credentials replication_;
  const mysqlctl::MemberRecord old_;
  const mysqlctl::MemberRecord new_;
  int64_t writes_blocked_ms_ = 0;
  std::string promoted_position_;
};

int run_switchover(const SwitchoverOptions& options) {
  const char* prefix = "warden mysql switchover: ";
  for (const std::string& error : {mysqlctl::cluster_name_error(options.target.cluster),
                                   mysqlctl::member_id_error(options.to)}) {
    if (!error.empty()) {
      std::cerr << prefix << error << "\n";
      return kExitUsage;
    }
  }
  auto account = mysqlctl::read_credentials_file(options.credentials_path);
  auto replication = mysqlctl::read_credentials_file(options.replication_credentials_path);
  for (const auto* read : {&account, &replication}) {
    if (!read->ok()) {
      std::cerr << prefix << read->error() << "\n";
      return kExitUsage;
    }
  }
  std::string error;
  std::unique_ptr<CliSession> session = open_session(options.target.server, &error);
  if (!session) {
    std::cerr << prefix << error << "\n";
    return kExitFailed;
  }
  const std::string& cluster = options.target.cluster;
  const Topology topology = read_topology(*session, cluster);
  if (std::string why = switchover_refusal(topology, options.to); !why.empty()) {
    std::cerr << prefix << why << "\n";
    return kExitFailed;
  }
  // The lock holds the agents off (no automatic failover, no repair of a
  // half-changed topology) until the new primary is published.
  net::CreateRequest lock;
  lock.path = mysqlctl::failover_lock_path(cluster);
  lock.data = "switchover to " + options.to;
  lock.acl = store::open_acl();
  lock.mode = store::CreateMode::kEphemeral;
  if (session->call(store::OpCode::kCreate, lock).header.err != store::ErrorCode::kOk) {
    std::cerr << prefix << "cannot take the failover lock: a failover is starting\n";
    return kExitFailed;
  }
  Switchover switchover(options, topology, account.value(), replication.value());
  std::string failure = switchover.run();
  if (failure.empty()) {
    const mysqlctl::MemberRecord& target = *mysqlctl::find_member(topology.members, options.to);
    const mysqlctl::PrimaryRecord next{options.to, topology.primary->epoch + 1, target.host,
                                       target.port, switchover.promoted_position()};
    const net::Reply published =
        session->call(store::OpCode::kSetData, net::SetDataRequest{mysqlctl::primary_path(cluster),
                                                                   mysqlctl::encode_primary(next),
                                                                   topology.primary_version});
    if (published.header.err != store::ErrorCode::kOk) {
      failure = "could not publish the new primary (error " +
                std::to_string(static_cast<int32_t>(published.header.err)) + ")";
    } else {
      print(stdout,
            "published primary " + options.to + " at epoch " + std::to_string(next.epoch) + "\n");
    }
  }
  session->call(store::OpCode::kDelete, net::DeleteRequest{lock.path, -1});
  if (!failure.empty()) {
    std::cerr << prefix << failure << "\n";
    return kExitFailed;
  }
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
  auto switchover = std::make_shared<SwitchoverOptions>();
  CLI::App* switchover_command = mysql.add_subcommand(
      "switchover",
      "Make a healthy replica the primary, gracefully: under the failover lock, fence the "
      "primary (writes refused from here), wait until the replica has applied everything the "
      "primary has, promote it, repoint the old primary and the other replicas to it, and "
      "publish it at the next epoch. Nothing acknowledged is lost.");
  add_target_options(*switchover_command, switchover->target);
  switchover_command->add_option("--to", switchover->to, "The member to promote")->required();
  switchover_command
      ->add_option("--credentials", switchover->credentials_path,
                   "The agents' account: option file with a [client] group, mode 0600 or 0400")
      ->required();
  switchover_command
      ->add_option("--replication-credentials", switchover->replication_credentials_path,
                   "The account replicas log in to the primary with (option file)")
      ->required();
  switchover_command
      ->add_option("--catch-up-timeout-ms", switchover->catch_up_timeout_ms,
                   "Give up (and make the old primary writable again) if the replica has not "
                   "caught up by then")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
  switchover_command->callback(
      [switchover, exit_code] { *exit_code = run_switchover(*switchover); });

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
