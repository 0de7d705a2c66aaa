// `warden bench -server HOSTS [--sessions N] [--in-flight K] [--seconds S |
// --ops N] [--value-bytes B] [--ops-kind create,set,get]`: a load generator
// for a ZooKeeper-compatible ensemble. N sessions (spread over the hosts)
// each keep K requests pipelined on their own subtree of /bench-<pid>: first
// creates, then setData on the nodes created, then getData on them. Each
// phase prints one line:
//   create ops=... seconds=... ops_per_s=... p50_ms=... p99_ms=... p999_ms=... errors=...
// where ops counts the requests that succeeded, errors those that did not,
// and latencies run from submit to reply. The znodes are deleted at the end.
// Exits 1 if a phase had errors or the set-up failed.
//
// One io_context on the calling thread drives every session: on a small
// machine a single thread leaves the cores to the servers.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "net/asio/zk_client.h"
#include "store/acl.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

using Clock = std::chrono::steady_clock;
using store::ErrorCode;
using store::OpCode;

struct BenchOptions {
  std::string servers;
  int sessions = 16;
  int in_flight = 32;
  double seconds = 10;
  uint64_t ops = 0;  // per phase; 0: run for `seconds` instead
  int value_bytes = 100;
  std::string kinds = "create,set,get";
  int32_t session_timeout_ms = 30000;
};

struct PhaseResult {
  uint64_t ok = 0;
  uint64_t errors = 0;
  double seconds = 0;
  std::vector<uint32_t> latencies_us;
  std::map<ErrorCode, uint64_t> error_counts;
};

// The n-th request a session sends in a phase, or nullopt when it has none.
using Outgoing = std::optional<std::pair<OpCode, net::RequestBody>>;
using RequestMaker = std::function<Outgoing(size_t session, uint64_t n)>;
using ReplyTaker = std::function<void(size_t session, uint64_t n, const net::Reply& reply)>;

double percentile_ms(std::vector<uint32_t>& sorted_us, double q) {
  if (sorted_us.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted_us.size()));
  const size_t index = std::min(sorted_us.size() - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
  return sorted_us[index] / 1000.0;
}

void print_result(const std::string& name, PhaseResult& result) {
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  const double per_s = result.seconds > 0 ? static_cast<double>(result.ok) / result.seconds : 0;
  std::printf(
      "%s ops=%llu seconds=%.2f ops_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f "
      "errors=%llu\n",
      name.c_str(), static_cast<unsigned long long>(result.ok), result.seconds, per_s,
      percentile_ms(result.latencies_us, 0.5), percentile_ms(result.latencies_us, 0.99),
      percentile_ms(result.latencies_us, 0.999), static_cast<unsigned long long>(result.errors));
  std::fflush(stdout);
  for (const auto& [code, count] : result.error_counts) {
    std::fprintf(stderr, "%s: %llu x %s\n", name.c_str(), static_cast<unsigned long long>(count),
                 store::error_name(code));
  }
}

class Bench {
 public:
  explicit Bench(BenchOptions options)
      : options_(std::move(options)),
        root_("/bench-" + std::to_string(getpid())),
        value_(static_cast<size_t>(options_.value_bytes), 'x'),
        nodes_(static_cast<size_t>(options_.sessions)) {}

  int run(const std::vector<net::ZkEndpoint>& hosts, const std::set<std::string>& kinds);

 private:
  // The phase under way.
  struct Phase {
    RequestMaker make;
    ReplyTaker take;
    std::optional<Clock::time_point> deadline;
    uint64_t budget = UINT64_MAX;  // requests to send in all
    uint64_t sent = 0;
    uint64_t in_flight = 0;
    std::vector<uint64_t> next_n;
    PhaseResult result;
    Clock::time_point started;
    Clock::time_point last_reply;
  };

  bool connect(const std::vector<net::ZkEndpoint>& hosts);
  bool make_tree();
  void fill(size_t per_session);
  PhaseResult run_phase(RequestMaker make, ReplyTaker take, bool timed);
  void send(size_t session);
  void on_reply(size_t session, uint64_t n, Clock::time_point sent, const net::Reply& reply);
  PhaseResult create_phase(bool timed);
  PhaseResult read_or_write_phase(OpCode op);
  void clean_up();
  void close();

  std::string dir(size_t session) const { return root_ + "/s" + std::to_string(session); }
  std::string node(size_t session, uint64_t n) const {
    return dir(session) + "/n" + std::to_string(n);
  }

  BenchOptions options_;
  std::string root_;
  std::string value_;
  boost::asio::io_context io_;
  std::vector<std::shared_ptr<net::ZkClient>> clients_;
  std::vector<std::vector<uint64_t>> nodes_;  // per session: the n of each node it created
  Phase phase_;
};

int Bench::run(const std::vector<net::ZkEndpoint>& hosts, const std::set<std::string>& kinds) {
  if (!connect(hosts) || !make_tree()) {
    close();
    return 1;
  }
  bool errors = false;
  auto report = [&errors](const std::string& name, PhaseResult result) {
    errors = errors || result.errors > 0;
    print_result(name, result);
  };
  if (kinds.contains("create")) {
    report("create", create_phase(true));
  } else {
    fill(static_cast<size_t>(options_.in_flight));  // something to set and get
  }
  if (kinds.contains("set")) report("set", read_or_write_phase(OpCode::kSetData));
  if (kinds.contains("get")) report("get", read_or_write_phase(OpCode::kGetData));
  clean_up();
  close();
  return errors ? 1 : 0;
}

bool Bench::connect(const std::vector<net::ZkEndpoint>& hosts) {
  size_t waiting = 0;
  bool ok = true;
  for (size_t s = 0; s < nodes_.size(); ++s) {
    net::ZkClientOptions options;
    // Each session starts on another host, so the load is spread.
    for (size_t i = 0; i < hosts.size(); ++i)
      options.hosts.push_back(hosts[(s + i) % hosts.size()]);
    options.session_timeout_ms = options_.session_timeout_ms;
    auto client = net::ZkClient::create(io_, std::move(options));
    clients_.push_back(client);
    ++waiting;
    client->connect([&waiting, &ok, client, s](ErrorCode error) {
      --waiting;
      if (error == ErrorCode::kOk) return;
      ok = false;
      std::fprintf(stderr, "warden bench: session %zu could not connect: %s\n", s,
                   client->last_error().c_str());
    });
  }
  while (waiting > 0) io_.run_one();
  return ok;
}

bool Bench::make_tree() {
  bool ok = true;
  auto take = [&ok](size_t, uint64_t, const net::Reply& reply) {
    ok = ok && reply.header.err == ErrorCode::kOk;
  };
  auto create = [this](const std::string& path) {
    return std::pair<OpCode, net::RequestBody>(
        OpCode::kCreate,
        net::CreateRequest{path, "", store::open_acl(), store::CreateMode::kPersistent});
  };
  run_phase([&](size_t s,
                uint64_t n) -> Outgoing { return s == 0 && n == 0 ? create(root_) : Outgoing(); },
            take, false);
  if (ok) {
    run_phase(
        [&](size_t s, uint64_t n) -> Outgoing { return n == 0 ? create(dir(s)) : Outgoing(); },
        take, false);
  }
  if (!ok)
    std::fprintf(stderr, "warden bench: could not create %s and its subtrees\n", root_.c_str());
  return ok;
}

// Creates `per_session` nodes for each session, untimed.
void Bench::fill(size_t per_session) {
  const uint64_t budget = options_.ops;
  options_.ops = per_session * nodes_.size();
  create_phase(false);
  options_.ops = budget;
}

PhaseResult Bench::create_phase(bool timed) {
  return run_phase(
      [this](size_t s, uint64_t n) -> Outgoing {
        return std::pair<OpCode, net::RequestBody>(
            OpCode::kCreate, net::CreateRequest{node(s, n), value_, store::open_acl(),
                                                store::CreateMode::kPersistent});
      },
      [this](size_t s, uint64_t n, const net::Reply& reply) {
        if (reply.header.err == ErrorCode::kOk) nodes_[s].push_back(n);
      },
      timed || options_.ops > 0);
}

// setData or getData, round and round the nodes each session created.
PhaseResult Bench::read_or_write_phase(OpCode op) {
  return run_phase(
      [this, op](size_t s, uint64_t n) -> Outgoing {
        if (nodes_[s].empty()) return std::nullopt;
        const std::string path = node(s, nodes_[s][n % nodes_[s].size()]);
        if (op == OpCode::kGetData)
          return std::pair(op, net::RequestBody(net::GetDataRequest{path, false}));
        return std::pair(op, net::RequestBody(net::SetDataRequest{path, value_, -1}));
      },
      nullptr, true);
}

// Deletes what each session's subtree holds, listed rather than taken from
// nodes_: a create whose connection was lost may have been applied.
void Bench::clean_up() {
  std::vector<std::vector<std::string>> children(clients_.size());
  run_phase(
      [&](size_t s, uint64_t n) -> Outgoing {
        if (n > 0) return std::nullopt;
        return std::pair<OpCode, net::RequestBody>(OpCode::kGetChildren,
                                                   net::GetChildrenRequest{dir(s), false});
      },
      [&](size_t s, uint64_t, const net::Reply& reply) {
        if (reply.header.err == ErrorCode::kOk) {
          children[s] = std::get<net::GetChildrenResponse>(reply.body).children;
        }
      },
      false);
  auto remove = [](const std::string& path) {
    return std::pair<OpCode, net::RequestBody>(OpCode::kDelete, net::DeleteRequest{path, -1});
  };
  uint64_t failed = 0;
  auto take = [&failed](size_t, uint64_t, const net::Reply& reply) {
    failed += reply.header.err != ErrorCode::kOk && reply.header.err != ErrorCode::kNoNode;
  };
  run_phase(
      [&](size_t s, uint64_t n) -> Outgoing {
        if (n < children[s].size()) return remove(dir(s) + "/" + children[s][n]);
        return std::nullopt;
      },
      take, false);
  run_phase([&](size_t s, uint64_t n) -> Outgoing { return n == 0 ? remove(dir(s)) : Outgoing(); },
            take, false);
  run_phase([&](size_t s,
                uint64_t n) -> Outgoing { return s == 0 && n == 0 ? remove(root_) : Outgoing(); },
            take, false);
  if (failed > 0) {
    std::fprintf(stderr, "warden bench: %llu deletes failed; %s may be left behind\n",
                 static_cast<unsigned long long>(failed), root_.c_str());
  }
}

// Sends what `make` says, K requests in flight per session, until it says
// no more or (if `limited`) the time or the op budget is used up.
PhaseResult Bench::run_phase(RequestMaker make, ReplyTaker take, bool limited) {
  phase_ = Phase{};
  phase_.make = std::move(make);
  phase_.take = std::move(take);
  phase_.next_n.assign(clients_.size(), 0);
  phase_.started = phase_.last_reply = Clock::now();
  if (limited && options_.ops > 0) phase_.budget = options_.ops;
  if (limited && options_.ops == 0) {
    phase_.deadline = phase_.started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options_.seconds));
  }
  for (size_t s = 0; s < clients_.size(); ++s) {
    for (int k = 0; k < options_.in_flight; ++k) send(s);
  }
  while (phase_.in_flight > 0) io_.run_one();
  phase_.result.seconds = std::chrono::duration<double>(phase_.last_reply - phase_.started).count();
  return std::move(phase_.result);
}

void Bench::send(size_t session) {
  if (phase_.sent >= phase_.budget) return;
  const Clock::time_point now = Clock::now();
  if (phase_.deadline && now >= *phase_.deadline) return;
  Outgoing request = phase_.make(session, phase_.next_n[session]);
  if (!request) return;
  const uint64_t n = phase_.next_n[session]++;
  ++phase_.sent;
  ++phase_.in_flight;
  clients_[session]->submit(
      request->first, std::move(request->second),
      [this, session, n, now](const net::Reply& reply) { on_reply(session, n, now, reply); });
}

void Bench::on_reply(size_t session, uint64_t n, Clock::time_point sent, const net::Reply& reply) {
  phase_.last_reply = Clock::now();
  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(phase_.last_reply - sent);
  phase_.result.latencies_us.push_back(static_cast<uint32_t>(latency.count()));
  if (reply.header.err == ErrorCode::kOk) {
    ++phase_.result.ok;
  } else {
    ++phase_.result.errors;
    ++phase_.result.error_counts[reply.header.err];
  }
  if (phase_.take) phase_.take(session, n, reply);
  --phase_.in_flight;
  send(session);
}

void Bench::close() {
  size_t open = clients_.size();
  for (auto& client : clients_) client->close([&open] { --open; });
  while (open > 0) io_.run_one();
}

std::optional<std::set<std::string>> parse_kinds(const std::string& text) {
  std::set<std::string> kinds;
  std::stringstream items(text);
  std::string kind;
  while (std::getline(items, kind, ',')) {
    if (kind != "create" && kind != "set" && kind != "get") return std::nullopt;
    kinds.insert(kind);
  }
  if (kinds.empty()) return std::nullopt;
  return kinds;
}

int run_bench(const BenchOptions& options) {
  std::string error;
  const auto hosts = net::parse_connect_string(options.servers, &error);
  if (!hosts) {
    std::fprintf(stderr, "warden bench: -server %s: %s\n", options.servers.c_str(), error.c_str());
    return 2;
  }
  const auto kinds = parse_kinds(options.kinds);
  if (!kinds) {
    std::fprintf(stderr, "warden bench: --ops-kind takes a list of create, set and get\n");
    return 2;
  }
  return Bench(options).run(*hosts, *kinds);
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand(
      "bench",
      "Load an ensemble: pipelined create, setData and getData; prints one line per phase");
  auto options = std::make_shared<BenchOptions>();
  command->add_option("--server", options->servers, "host:port[,host:port...] (also -server)")
      ->required();
  command->add_option("--sessions", options->sessions, "Sessions, spread over the hosts")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  command->add_option("--in-flight", options->in_flight, "Requests pipelined per session")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  CLI::Option* seconds = command->add_option("--seconds", options->seconds, "Length of each phase")
                             ->check(CLI::PositiveNumber)
                             ->capture_default_str();
  command->add_option("--ops", options->ops, "Requests per phase (instead of --seconds)")
      ->check(CLI::PositiveNumber)
      ->excludes(seconds);
  command->add_option("--value-bytes", options->value_bytes, "Size of the data written")
      ->check(CLI::Range(0, net::kDefaultMaxBuffer - 1024))
      ->capture_default_str();
  command->add_option("--ops-kind", options->kinds, "Phases to run, of create,set,get")
      ->capture_default_str();
  command
      ->add_option("--session-timeout-ms", options->session_timeout_ms,
                   "Session timeout asked for, in ms")
      ->capture_default_str();
  command->callback([exit_code, options] { *exit_code = run_bench(*options); });
}

}  // namespace warden::tools
