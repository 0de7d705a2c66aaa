// `warden bench -server HOSTS [options]`: a load generator for a
// ZooKeeper-compatible ensemble, Warden or Apache ZooKeeper alike (the same
// client, net/asio/zk_client.h, against both). N sessions (--sessions,
// spread over the hosts) each keep K requests (--in-flight) pipelined, for
// --seconds or --ops per phase. The phases --ops-kind names run in this order:
//   create    creates nodes in the session's own subtree of /bench-<pid>
//   set, get, exists   setData, getData, exists on the nodes the session
//             created, round and round; with --keys M, on M znodes
//             /bench-<pid>/keys/k<i> made beforehand (untimed), picked
//             uniformly at random by a PRNG seeded with --seed
//   children  getChildren of the parent of those nodes
//   multi     a multi of --multi-ops setData on them
//   mix       getData for --read-percent of the requests, setData for the rest
//   watch     --watchers sessions watch the keys; one setData on k0 by
//             another session; latency from sending it to each notification
// Each phase prints one line:
//   create ops=... seconds=... ops_per_s=... p50_ms=... p99_ms=... p999_ms=... max_ms=...
//   errors=...
// or, with --json, one object (the format scripts read; keep it stable):
//   {"phase":"create","sessions":16,"in_flight":32,"value_bytes":100,"keys":0,
//    "read_percent":null,"seconds":8.0,"ops":N,"ops_per_s":X,"errors":E,
//    "latency_ms":{"p50":a,"p99":b,"p999":c,"max":d},"cdf":[[ms,fraction],...],
//    "max_write_gap_ms":G}
// where ops counts the requests that succeeded and errors those that did
// not; latencies (of the requests that succeeded, submit to reply) come
// from a log-bucketed histogram (net/latency_histogram.h), as does the
// CDF; max_write_gap_ms is the longest time in the phase (from its start to
// its last reply) in which no write (create, setData, multi) succeeded on
// any session, null in a phase that sent none. read_percent is null except
// in mix. Runs longer than 5 s print progress to stderr each second
// (--quiet: not).
//
// A failed request is counted, never fatal: a lost connection fails what
// it carried and the client takes the session to the next host; a session
// that ends (expired, or no host took it back in its timeout) is replaced
// by a new one before its next request. The znodes are deleted at the end.
// Exits 1 if a phase had errors (its line is printed all the same) or the
// set-up failed, 2 on bad arguments.
//
// One io_context on the calling thread drives every session: on a small
// machine a single thread leaves the cores to the servers.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "net/asio/zk_client.h"
#include "net/latency_histogram.h"
#include "store/acl.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

using Clock = std::chrono::steady_clock;
using net::LatencyHistogram;
using store::ErrorCode;
using store::OpCode;

// The phases, in the order they run.
enum class Kind { kCreate, kSet, kGet, kExists, kChildren, kMulti, kMix, kWatch };
constexpr std::array<std::pair<Kind, std::string_view>, 8> kKindNames{{
    {Kind::kCreate, "create"},
    {Kind::kSet, "set"},
    {Kind::kGet, "get"},
    {Kind::kExists, "exists"},
    {Kind::kChildren, "children"},
    {Kind::kMulti, "multi"},
    {Kind::kMix, "mix"},
    {Kind::kWatch, "watch"},
}};

std::string kind_name(Kind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return std::string(name);
  }
  return "?";
}

// Runs longer than this print progress each second.
constexpr std::chrono::seconds kProgressAfter{5};

struct BenchOptions {
  std::string servers;
  int sessions = 16;
  int in_flight = 32;
  double seconds = 10;
  uint64_t ops = 0;  // per phase; 0: run for `seconds` instead
  int value_bytes = 100;
  std::string kinds = "create,set,get";
  int32_t session_timeout_ms = 30000;
  uint64_t keys = 0;  // 0: each session's own nodes
  int read_percent = 90;
  uint64_t seed = 1;
  int multi_ops = 4;
  int watchers = 100;
  uint64_t watch_keys_per_session = 0;  // 0: every key
  bool json = false;
  bool quiet = false;
};

struct PhaseResult {
  std::string name;
  size_t sessions = 0;
  uint64_t keys = 0;
  std::optional<int> read_percent;  // mix only
  uint64_t ok = 0;
  uint64_t errors = 0;
  double seconds = 0;
  LatencyHistogram latency;  // of the requests that succeeded
  std::map<ErrorCode, uint64_t> error_counts;
  std::optional<Clock::duration> max_write_gap;  // phases that sent writes
};

// The n-th request a session sends in a phase, or nullopt when it has none.
using Outgoing = std::optional<std::pair<OpCode, net::RequestBody>>;
using RequestMaker = std::function<Outgoing(size_t session, uint64_t n)>;
using ReplyTaker = std::function<void(size_t session, uint64_t n, const net::Reply& reply)>;

uint64_t to_us(Clock::duration duration) {
  return static_cast<uint64_t>(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(duration).count()));
}
double to_ms(uint64_t us) {
  return static_cast<double>(us) / 1000;
}
double to_seconds(Clock::duration duration) {
  return std::chrono::duration<double>(duration).count();
}
// Short decimals in the JSON: measured values carry no more digits than this.
double rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

bool is_write(OpCode op) {
  return op == OpCode::kCreate || op == OpCode::kSetData || op == OpCode::kMulti ||
         op == OpCode::kDelete;
}

// Why a request failed: the header's code, or for a multi the code of the
// op that failed.
ErrorCode reply_error(const net::Reply& reply) {
  if (reply.header.err != ErrorCode::kOk) return reply.header.err;
  if (const auto* multi = std::get_if<net::MultiResponse>(&reply.body)) {
    for (const net::MultiResult& result : multi->results) {
      const auto* failed = std::get_if<net::ErrorResponse>(&result.record);
      if (failed && failed->err != ErrorCode::kOk) return failed->err;
    }
  }
  return ErrorCode::kOk;
}

double ops_per_s(const PhaseResult& result) {
  return result.seconds > 0 ? static_cast<double>(result.ok) / result.seconds : 0;
}

void print_table_line(const PhaseResult& result) {
  const LatencyHistogram& latency = result.latency;
  std::printf(
      "%s ops=%llu seconds=%.2f ops_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f "
      "max_ms=%.3f errors=%llu\n",
      result.name.c_str(), static_cast<unsigned long long>(result.ok), result.seconds,
      ops_per_s(result), to_ms(latency.value_at_quantile_us(0.5)),
      to_ms(latency.value_at_quantile_us(0.99)), to_ms(latency.value_at_quantile_us(0.999)),
      to_ms(latency.max_us()), static_cast<unsigned long long>(result.errors));
}

void print_json_line(const PhaseResult& result, const BenchOptions& options) {
  using Json = nlohmann::ordered_json;  // the fields in the documented order
  const LatencyHistogram& latency = result.latency;
  Json cdf = Json::array();
  for (const auto& point : latency.cdf())
    cdf.push_back(Json::array({to_ms(point.value_us), rounded(point.fraction, 6)}));
  Json line;
  line["phase"] = result.name;
  line["sessions"] = result.sessions;
  line["in_flight"] = options.in_flight;
  line["value_bytes"] = options.value_bytes;
  line["keys"] = result.keys;
  line["read_percent"] = result.read_percent ? Json(*result.read_percent) : Json(nullptr);
  line["seconds"] = rounded(result.seconds, 3);
  line["ops"] = result.ok;
  line["ops_per_s"] = rounded(ops_per_s(result), 1);
  line["errors"] = result.errors;
  line["latency_ms"] = Json::object();
  line["latency_ms"]["p50"] = to_ms(latency.value_at_quantile_us(0.5));
  line["latency_ms"]["p99"] = to_ms(latency.value_at_quantile_us(0.99));
  line["latency_ms"]["p999"] = to_ms(latency.value_at_quantile_us(0.999));
  line["latency_ms"]["max"] = to_ms(latency.max_us());
  line["cdf"] = std::move(cdf);
  line["max_write_gap_ms"] =
      result.max_write_gap ? Json(to_ms(to_us(*result.max_write_gap))) : Json(nullptr);
  std::printf("%s\n", line.dump().c_str());
}

void print_result(const PhaseResult& result, const BenchOptions& options) {
  if (options.json) {
    print_json_line(result, options);
  } else {
    print_table_line(result);
  }
  std::fflush(stdout);
  for (const auto& [code, count] : result.error_counts) {
    std::fprintf(stderr, "%s: %llu x %s\n", result.name.c_str(),
                 static_cast<unsigned long long>(count), store::error_name(code));
  }
}

class Bench {
 public:
  explicit Bench(BenchOptions options)
      : options_(std::move(options)),
        root_("/bench-" + std::to_string(getpid())),
        value_(static_cast<size_t>(options_.value_bytes), 'x'),
        nodes_(static_cast<size_t>(options_.sessions)),
        progress_timer_(io_) {}

  int run(const std::vector<net::ZkEndpoint>& hosts, const std::set<Kind>& kinds);

 private:
  // One session of the load, and what it takes to open another in its place.
  struct Session {
    std::shared_ptr<net::ZkClient> client;
    net::ZkClientOptions options;
    std::mt19937_64 random;
  };
  using Pool = std::vector<Session>;
  using EventTaker = std::function<void(size_t session, const net::WatcherEvent& event)>;

  // The phase under way.
  struct Phase {
    std::string name;
    Pool* pool = nullptr;
    RequestMaker make;
    ReplyTaker take;
    std::optional<Clock::time_point> deadline;
    uint64_t budget = UINT64_MAX;  // requests to send in all
    uint64_t sent = 0;
    uint64_t in_flight = 0;
    uint64_t writes_sent = 0;
    uint64_t sessions_reopened = 0;
    std::vector<uint64_t> next_n;
    bool measured = false;                  // a timed phase, not set-up or clean-up
    std::vector<LatencyHistogram> latency;  // by session, merged at the end
    PhaseResult result;
    Clock::time_point started;
    Clock::time_point last_reply;
    Clock::time_point last_write_ok;
    Clock::duration max_write_gap{0};
    Clock::time_point last_progress;
    uint64_t ok_at_last_progress = 0;
  };

  // The watch phase's notifications.
  struct WatchRound {
    bool armed = false;  // the setData is on its way
    std::string path;
    Clock::time_point sent;
    std::vector<std::optional<Clock::time_point>> notified;  // by watcher
    size_t count = 0;
  };

  bool open_sessions(Pool& pool, size_t count, const EventTaker& on_event);
  void reopen(Session& session, size_t index);
  bool make_tree();
  bool make_keys(uint64_t count);
  void fill(size_t per_session);
  PhaseResult run_phase(const std::string& name, Pool& pool, RequestMaker make, ReplyTaker take,
                        bool limited);
  PhaseResult finish_phase();
  void send(size_t session);
  void on_reply(size_t session, uint64_t n, bool write, Clock::time_point sent,
                const net::Reply& reply);
  void arm_progress(uint64_t serial);
  void print_progress();
  PhaseResult create_phase(const std::string& name, bool timed);
  PhaseResult keyed_phase(Kind kind);
  Outgoing keyed_request(Kind kind, size_t session, uint64_t n);
  std::string target(size_t session, uint64_t n);
  PhaseResult watch_phase();
  void set_watches(Pool& watchers);
  ErrorCode trigger_and_wait();
  void tally_watch(PhaseResult& result, ErrorCode set_error);
  void on_watch_event(size_t watcher, const net::WatcherEvent& event);
  void clean_up();
  void close(Pool& pool);

  std::string dir(size_t session) const { return root_ + "/s" + std::to_string(session); }
  std::string node(size_t session, uint64_t n) const {
    return dir(session) + "/n" + std::to_string(n);
  }
  std::string keys_dir() const { return root_ + "/keys"; }
  std::string key(uint64_t index) const { return keys_dir() + "/k" + std::to_string(index); }

  BenchOptions options_;
  std::string root_;
  std::string value_;
  std::vector<net::ZkEndpoint> hosts_;
  boost::asio::io_context io_;
  Pool sessions_;
  std::vector<std::vector<uint64_t>> nodes_;  // per session: the n of each node it created
  uint64_t keys_made_ = 0;
  Phase phase_;
  uint64_t phase_serial_ = 0;  // tells a late progress tick from a live one
  boost::asio::steady_timer progress_timer_;
  WatchRound watch_;
};

int Bench::run(const std::vector<net::ZkEndpoint>& hosts, const std::set<Kind>& kinds) {
  hosts_ = hosts;
  // The watch phase needs one key at least, --keys or not.
  const uint64_t keys = std::max<uint64_t>(options_.keys, kinds.contains(Kind::kWatch) ? 1 : 0);
  if (!open_sessions(sessions_, static_cast<size_t>(options_.sessions), nullptr) || !make_tree() ||
      !make_keys(keys)) {
    close(sessions_);
    return 1;
  }
  bool errors = false;
  auto report = [this, &errors](const PhaseResult& result) {
    errors = errors || result.errors > 0;
    print_result(result, options_);
  };
  const bool uses_own_nodes =
      options_.keys == 0 && std::any_of(kinds.begin(), kinds.end(), [](Kind kind) {
        return kind != Kind::kCreate && kind != Kind::kWatch;
      });
  if (kinds.contains(Kind::kCreate)) {
    report(create_phase("create", true));
  } else if (uses_own_nodes) {
    fill(static_cast<size_t>(options_.in_flight));  // something to act on
  }
  for (Kind kind :
       {Kind::kSet, Kind::kGet, Kind::kExists, Kind::kChildren, Kind::kMulti, Kind::kMix}) {
    if (kinds.contains(kind)) report(keyed_phase(kind));
  }
  if (kinds.contains(Kind::kWatch)) report(watch_phase());
  clean_up();
  close(sessions_);
  return errors ? 1 : 0;
}

bool Bench::open_sessions(Pool& pool, size_t count, const EventTaker& on_event) {
  size_t waiting = 0;
  bool ok = true;
  for (size_t s = 0; s < count; ++s) {
    Session session;
    // Each session starts on another host, so the load is spread.
    for (size_t i = 0; i < hosts_.size(); ++i)
      session.options.hosts.push_back(hosts_[(s + i) % hosts_.size()]);
    session.options.session_timeout_ms = options_.session_timeout_ms;
    if (on_event) {
      session.options.on_event = [on_event, s](const net::WatcherEvent& event) {
        on_event(s, event);
      };
    }
    std::seed_seq seed{options_.seed & 0xffffffff, options_.seed >> 32, static_cast<uint64_t>(s)};
    session.random.seed(seed);
    session.client = net::ZkClient::create(io_, session.options);
    auto client = session.client;
    pool.push_back(std::move(session));
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

// The session ended (expired, or no host took it back in time): a new one
// carries on with the load. Requests submitted meanwhile wait for it.
void Bench::reopen(Session& session, size_t index) {
  ++phase_.sessions_reopened;
  auto client = net::ZkClient::create(io_, session.options);
  session.client = client;
  client->connect([client, index](ErrorCode error) {
    if (error == ErrorCode::kOk) return;
    std::fprintf(stderr, "warden bench: session %zu could not open a new session: %s\n", index,
                 client->last_error().c_str());
  });
}

net::RequestBody create_request(const std::string& path, const std::string& value) {
  return net::CreateRequest{path, value, store::open_acl(), store::CreateMode::kPersistent};
}

bool Bench::make_tree() {
  bool ok = true;
  auto take = [&ok](size_t, uint64_t, const net::Reply& reply) {
    ok = ok && reply.header.err == ErrorCode::kOk;
  };
  auto create = [](const std::string& path) {
    return std::pair(OpCode::kCreate, create_request(path, ""));
  };
  run_phase(
      "set-up", sessions_,
      [&](size_t s, uint64_t n) -> Outgoing {
        return s == 0 && n == 0 ? create(root_) : Outgoing();
      },
      take, false);
  if (ok) {
    run_phase(
        "set-up", sessions_,
        [&](size_t s, uint64_t n) -> Outgoing { return n == 0 ? create(dir(s)) : Outgoing(); },
        take, false);
  }
  if (!ok)
    std::fprintf(stderr, "warden bench: could not create %s and its subtrees\n", root_.c_str());
  return ok;
}

// Creates the keys that are missing, spread over the sessions, untimed.
bool Bench::make_keys(uint64_t count) {
  if (count == 0) return true;
  uint64_t failed = 0;
  auto take = [&failed](size_t, uint64_t, const net::Reply& reply) {
    failed += reply.header.err != ErrorCode::kOk && reply.header.err != ErrorCode::kNodeExists;
  };
  auto create = [this](const std::string& path) {
    return std::pair(OpCode::kCreate, create_request(path, value_));
  };
  run_phase(
      "set-up", sessions_,
      [&](size_t s, uint64_t n) -> Outgoing {
        return s == 0 && n == 0 ? create(keys_dir()) : Outgoing();
      },
      take, false);
  const size_t sessions = sessions_.size();
  run_phase(
      "set-up", sessions_,
      [&](size_t s, uint64_t n) -> Outgoing {
        const uint64_t index = n * sessions + s;
        return index < count ? create(key(index)) : Outgoing();
      },
      take, false);
  // Every session's server has applied the keys before anyone reads them:
  // a read on a server that lags behind the creating one finds no node.
  run_phase(
      "set-up", sessions_,
      [&](size_t, uint64_t n) -> Outgoing {
        return n == 0 ? Outgoing(std::pair(OpCode::kSync, net::SyncRequest{keys_dir()}))
                      : Outgoing();
      },
      take, false);
  keys_made_ = count;
  if (failed > 0) {
    std::fprintf(stderr, "warden bench: %llu of the %llu keys under %s could not be created\n",
                 static_cast<unsigned long long>(failed), static_cast<unsigned long long>(count),
                 keys_dir().c_str());
  }
  return failed == 0;
}

// Creates `per_session` nodes for each session, untimed.
void Bench::fill(size_t per_session) {
  const uint64_t budget = options_.ops;
  options_.ops = per_session * nodes_.size();
  create_phase("fill", false);
  options_.ops = budget;
}

PhaseResult Bench::create_phase(const std::string& name, bool timed) {
  return run_phase(
      name, sessions_,
      [this](size_t s, uint64_t n) -> Outgoing {
        return std::pair(OpCode::kCreate, create_request(node(s, n), value_));
      },
      [this](size_t s, uint64_t n, const net::Reply& reply) {
        if (reply.header.err == ErrorCode::kOk) nodes_[s].push_back(n);
      },
      timed || options_.ops > 0);
}

PhaseResult Bench::keyed_phase(Kind kind) {
  PhaseResult result = run_phase(
      kind_name(kind), sessions_,
      [this, kind](size_t s, uint64_t n) { return keyed_request(kind, s, n); }, nullptr, true);
  if (kind == Kind::kMix) result.read_percent = options_.read_percent;
  return result;
}

// The node a session's n-th request acts on: a random key, or with no keys
// its own nodes round and round.
std::string Bench::target(size_t s, uint64_t n) {
  if (options_.keys > 0) {
    std::uniform_int_distribution<uint64_t> pick(0, options_.keys - 1);
    return key(pick(sessions_[s].random));
  }
  return node(s, nodes_[s][n % nodes_[s].size()]);
}

Outgoing Bench::keyed_request(Kind kind, size_t s, uint64_t n) {
  if (options_.keys == 0 && nodes_[s].empty()) return std::nullopt;
  auto get = [](std::string path) {
    return std::pair(OpCode::kGetData,
                     net::RequestBody(net::GetDataRequest{std::move(path), false}));
  };
  auto set = [this](std::string path) {
    return std::pair(OpCode::kSetData,
                     net::RequestBody(net::SetDataRequest{std::move(path), value_, -1}));
  };
  switch (kind) {
    case Kind::kSet:
      return set(target(s, n));
    case Kind::kGet:
      return get(target(s, n));
    case Kind::kExists:
      return std::pair(OpCode::kExists, net::RequestBody(net::ExistsRequest{target(s, n), false}));
    case Kind::kChildren:
      return std::pair(OpCode::kGetChildren, net::RequestBody(net::GetChildrenRequest{
                                                 options_.keys > 0 ? keys_dir() : dir(s), false}));
    case Kind::kMulti: {
      const auto ops = static_cast<uint64_t>(options_.multi_ops);
      net::MultiRequest multi;
      for (uint64_t i = 0; i < ops; ++i) {
        multi.ops.push_back(net::MultiOp{OpCode::kSetData,
                                         net::SetDataRequest{target(s, n * ops + i), value_, -1}});
      }
      return std::pair(OpCode::kMulti, net::RequestBody(std::move(multi)));
    }
    case Kind::kMix: {
      std::uniform_int_distribution<int> percent(0, 99);
      const bool read = percent(sessions_[s].random) < options_.read_percent;
      return read ? get(target(s, n)) : set(target(s, n));
    }
    case Kind::kCreate:
    case Kind::kWatch:
      break;
  }
  return std::nullopt;
}

// --watchers sessions each set a getData watch on k0 and on
// --watch-keys-per-session - 1 other keys (all of them by default), untimed;
// then sessions_[0] sends one setData on k0, and the phase measures from
// its sending to each watcher's notification.
PhaseResult Bench::watch_phase() {
  Pool watchers;
  watch_ = WatchRound{};
  watch_.path = key(0);
  watch_.notified.assign(static_cast<size_t>(options_.watchers), std::nullopt);
  // Failures show as watchers never notified: the phase goes on without them.
  open_sessions(
      watchers, static_cast<size_t>(options_.watchers),
      [this](size_t watcher, const net::WatcherEvent& event) { on_watch_event(watcher, event); });
  set_watches(watchers);
  PhaseResult result;
  result.name = kind_name(Kind::kWatch);
  result.sessions = watchers.size();
  result.keys = keys_made_;
  tally_watch(result, trigger_and_wait());
  close(watchers);
  return result;
}

void Bench::set_watches(Pool& watchers) {
  const uint64_t keys = keys_made_;
  const uint64_t per_watcher =
      options_.watch_keys_per_session == 0 ? keys : std::min(keys, options_.watch_keys_per_session);
  uint64_t failed = 0;
  run_phase(
      "watch set-up", watchers,
      [this, keys, per_watcher](size_t w, uint64_t n) -> Outgoing {
        if (n >= per_watcher) return std::nullopt;
        // k0, then the watcher's own stretch of the others, so that
        // together the watchers cover the keys evenly.
        const uint64_t index = n == 0 ? 0 : 1 + (w * (per_watcher - 1) + n - 1) % (keys - 1);
        return std::pair(OpCode::kGetData, net::RequestBody(net::GetDataRequest{key(index), true}));
      },
      [&failed](size_t, uint64_t, const net::Reply& reply) {
        failed += reply.header.err != ErrorCode::kOk;
      },
      false);
  if (failed > 0) {
    std::fprintf(stderr, "watch: %llu getData watches could not be set\n",
                 static_cast<unsigned long long>(failed));
  }
}

// Sends the setData on k0, then runs until every watcher has been notified
// or a session timeout has passed (a notification that late is not coming).
// Returns how the setData went.
ErrorCode Bench::trigger_and_wait() {
  auto set_error = std::make_shared<std::optional<ErrorCode>>();
  auto timed_out = std::make_shared<bool>(false);
  boost::asio::steady_timer timeout(io_);
  timeout.expires_after(std::chrono::milliseconds(options_.session_timeout_ms));
  timeout.async_wait([timed_out](const boost::system::error_code& error) {
    if (!error) *timed_out = true;
  });
  Session& writer = sessions_[0];
  if (writer.client->ended()) reopen(writer, 0);
  watch_.armed = true;
  watch_.sent = Clock::now();
  writer.client->submit(OpCode::kSetData, net::SetDataRequest{watch_.path, value_, -1},
                        [set_error](const net::Reply& reply) { *set_error = reply.header.err; });
  const size_t watchers = watch_.notified.size();
  while (!set_error->has_value() || (watch_.count < watchers && !*timed_out)) io_.run_one();
  watch_.armed = false;
  return **set_error;
}

// One latency per watcher notified; the others, and a failed setData, are
// errors.
void Bench::tally_watch(PhaseResult& result, ErrorCode set_error) {
  const size_t watchers = watch_.notified.size();
  Clock::time_point last = watch_.sent;
  for (const auto& at : watch_.notified) {
    if (!at) continue;
    result.latency.record(to_us(*at - watch_.sent));
    last = std::max(last, *at);
  }
  result.ok = watch_.count;
  result.errors = watchers - watch_.count;
  result.seconds = to_seconds((watch_.count < watchers ? Clock::now() : last) - watch_.sent);
  if (set_error != ErrorCode::kOk) {
    ++result.errors;
    ++result.error_counts[set_error];
  }
  if (watch_.count < watchers) {
    std::fprintf(stderr, "watch: %zu of %zu watchers not notified within %d ms\n",
                 watchers - watch_.count, watchers, options_.session_timeout_ms);
  }
}

void Bench::on_watch_event(size_t watcher, const net::WatcherEvent& event) {
  if (!watch_.armed || event.type != store::EventType::kNodeDataChanged ||
      event.path != watch_.path || watch_.notified[watcher]) {
    return;
  }
  watch_.notified[watcher] = Clock::now();
  ++watch_.count;
}

// Deletes what the sessions' subtrees and the keys' parent hold, listed
// rather than taken from nodes_: a create whose connection was lost may
// have been applied.
void Bench::clean_up() {
  std::vector<std::string> parents;
  for (size_t s = 0; s < sessions_.size(); ++s) parents.push_back(dir(s));
  if (keys_made_ > 0) parents.push_back(keys_dir());
  const size_t sessions = sessions_.size();
  std::vector<std::string> doomed;
  run_phase(
      "clean-up", sessions_,
      [&](size_t s, uint64_t n) -> Outgoing {
        const uint64_t index = n * sessions + s;
        if (index >= parents.size()) return std::nullopt;
        return std::pair(OpCode::kGetChildren,
                         net::RequestBody(net::GetChildrenRequest{parents[index], false}));
      },
      [&](size_t s, uint64_t n, const net::Reply& reply) {
        if (reply.header.err != ErrorCode::kOk) return;
        const std::string& parent = parents[n * sessions + s];
        for (const auto& child : std::get<net::GetChildrenResponse>(reply.body).children)
          doomed.push_back(parent + "/" + child);
      },
      false);
  uint64_t failed = 0;
  auto remove_all = [&](const std::vector<std::string>& paths) {
    run_phase(
        "clean-up", sessions_,
        [&](size_t s, uint64_t n) -> Outgoing {
          const uint64_t index = n * sessions + s;
          if (index >= paths.size()) return std::nullopt;
          return std::pair(OpCode::kDelete, net::RequestBody(net::DeleteRequest{paths[index], -1}));
        },
        [&failed](size_t, uint64_t, const net::Reply& reply) {
          failed += reply.header.err != ErrorCode::kOk && reply.header.err != ErrorCode::kNoNode;
        },
        false);
  };
  remove_all(doomed);
  remove_all(parents);
  remove_all({root_});
  if (failed > 0) {
    std::fprintf(stderr, "warden bench: %llu deletes failed; %s may be left behind\n",
                 static_cast<unsigned long long>(failed), root_.c_str());
  }
}

// Sends what `make` says, K requests in flight per session of `pool`, until
// it says no more or (if `limited`) the time or the op budget is used up.
PhaseResult Bench::run_phase(const std::string& name, Pool& pool, RequestMaker make,
                             ReplyTaker take, bool limited) {
  phase_ = Phase{};
  phase_.name = name;
  phase_.pool = &pool;
  phase_.make = std::move(make);
  phase_.take = std::move(take);
  phase_.next_n.assign(pool.size(), 0);
  // Set-up phases keep no latencies: thousands of watchers would each hold
  // a histogram for nothing.
  phase_.measured = limited;
  if (limited) phase_.latency.assign(pool.size(), LatencyHistogram());
  phase_.started = phase_.last_reply = phase_.last_write_ok = phase_.last_progress = Clock::now();
  if (limited && options_.ops > 0) phase_.budget = options_.ops;
  if (limited && options_.ops == 0) {
    phase_.deadline = phase_.started + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(options_.seconds));
  }
  const uint64_t serial = ++phase_serial_;
  if (limited && !options_.quiet) arm_progress(serial);
  for (size_t s = 0; s < pool.size(); ++s) {
    for (int k = 0; k < options_.in_flight; ++k) send(s);
  }
  while (phase_.in_flight > 0) io_.run_one();
  progress_timer_.cancel();
  return finish_phase();
}

PhaseResult Bench::finish_phase() {
  PhaseResult result = std::move(phase_.result);
  result.name = phase_.name;
  result.sessions = phase_.pool->size();
  result.keys = options_.keys;
  result.seconds = to_seconds(phase_.last_reply - phase_.started);
  for (const LatencyHistogram& latency : phase_.latency) result.latency.merge(latency);
  if (phase_.writes_sent > 0) {
    // The stretch since the last write that succeeded counts too: a phase
    // that ends in an outage shows it.
    result.max_write_gap = std::max(phase_.max_write_gap, phase_.last_reply - phase_.last_write_ok);
  }
  if (phase_.sessions_reopened > 0) {
    std::fprintf(stderr, "%s: %llu sessions ended and were replaced by new ones\n",
                 phase_.name.c_str(), static_cast<unsigned long long>(phase_.sessions_reopened));
  }
  return result;
}

void Bench::send(size_t s) {
  if (phase_.sent >= phase_.budget) return;
  const Clock::time_point now = Clock::now();
  if (phase_.deadline && now >= *phase_.deadline) return;
  Outgoing request = phase_.make(s, phase_.next_n[s]);
  if (!request) return;
  const uint64_t n = phase_.next_n[s]++;
  const bool write = is_write(request->first);
  ++phase_.sent;
  ++phase_.in_flight;
  phase_.writes_sent += write;
  Session& session = (*phase_.pool)[s];
  if (session.client->ended()) reopen(session, s);
  session.client->submit(
      request->first, std::move(request->second),
      [this, s, n, write, now](const net::Reply& reply) { on_reply(s, n, write, now, reply); });
}

void Bench::on_reply(size_t s, uint64_t n, bool write, Clock::time_point sent,
                     const net::Reply& reply) {
  const Clock::time_point now = Clock::now();
  phase_.last_reply = now;
  const ErrorCode error = reply_error(reply);
  if (error == ErrorCode::kOk) {
    ++phase_.result.ok;
    if (phase_.measured) phase_.latency[s].record(to_us(now - sent));
    if (write) {
      phase_.max_write_gap = std::max(phase_.max_write_gap, now - phase_.last_write_ok);
      phase_.last_write_ok = now;
    }
  } else {
    ++phase_.result.errors;
    ++phase_.result.error_counts[error];
  }
  if (phase_.take) phase_.take(s, n, reply);
  --phase_.in_flight;
  send(s);
}

void Bench::arm_progress(uint64_t serial) {
  progress_timer_.expires_after(std::chrono::seconds(1));
  progress_timer_.async_wait([this, serial](const boost::system::error_code& error) {
    // A tick that was already due when its phase ended finds another serial.
    if (error || serial != phase_serial_ || phase_.in_flight == 0) return;
    print_progress();
    arm_progress(serial);
  });
}

void Bench::print_progress() {
  const Clock::time_point now = Clock::now();
  const bool long_run = (phase_.deadline && *phase_.deadline - phase_.started > kProgressAfter) ||
                        now - phase_.started >= kProgressAfter;
  if (long_run) {
    const double interval_s = to_seconds(now - phase_.last_progress);
    const auto recent = static_cast<double>(phase_.result.ok - phase_.ok_at_last_progress);
    std::fprintf(stderr, "%s: %.0f s ops=%llu ops_per_s=%.0f errors=%llu\n", phase_.name.c_str(),
                 to_seconds(now - phase_.started),
                 static_cast<unsigned long long>(phase_.result.ok),
                 interval_s > 0 ? recent / interval_s : 0,
                 static_cast<unsigned long long>(phase_.result.errors));
  }
  phase_.last_progress = now;
  phase_.ok_at_last_progress = phase_.result.ok;
}

void Bench::close(Pool& pool) {
  size_t open = pool.size();
  for (Session& session : pool) session.client->close([&open] { --open; });
  while (open > 0) io_.run_one();
}

std::optional<std::set<Kind>> parse_kinds(const std::string& text) {
  std::set<Kind> kinds;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto found = std::find_if(kKindNames.begin(), kKindNames.end(),
                                    [&item](const auto& entry) { return entry.second == item; });
    if (found == kKindNames.end()) return std::nullopt;
    kinds.insert(found->first);
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
    std::fprintf(stderr,
                 "warden bench: --ops-kind takes a list of create, set, get, exists, children, "
                 "multi, mix and watch\n");
    return 2;
  }
  return Bench(options).run(*hosts, *kinds);
}

constexpr const char* kFooter =
    R"(Phases run in the order --ops-kind lists them above. Without --keys, set,
get, exists, children (of the session's subtree), multi and mix act on the
nodes each session's create phase made (without a create phase, --in-flight
nodes per session made beforehand); with --keys N, on N znodes made
beforehand and picked uniformly at random (children: of their parent). Each prints one line, or one JSON object with
--json: phase, sessions, in_flight, value_bytes, keys, read_percent (mix
only, else null), seconds, ops (requests that succeeded), ops_per_s, errors,
latency_ms {p50, p99, p999, max} and cdf [[ms, fraction], ...] of the
requests that succeeded, and max_write_gap_ms: the longest time in the phase
in which no write (create, setData, multi) succeeded on any session (null if
the phase wrote nothing). Failed requests count as errors; a session whose
connection is lost moves to the next host, one that ends is replaced.

The watch phase: --watchers sessions (not --sessions) each set a getData
watch on --watch-keys-per-session of the --keys znodes (default all; always
k0; at least k0 without --keys), untimed; then one of the --sessions sessions
sends a single setData on k0. Each latency is the time from sending that
setData to one watcher receiving its NodeDataChanged notification, so ops is
the number of watchers notified (errors: those not notified within the
session timeout), the percentiles are over the watchers, and max (and
seconds) is the time until the last of them was notified.)";

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand(
      "bench",
      "Load an ensemble (Warden or ZooKeeper): pipelined create, setData, getData, exists, "
      "getChildren, multi, a read/write mix and watch notifications; one line per phase");
  command->footer(kFooter);
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
  command
      ->add_option("--ops-kind", options->kinds,
                   "Phases to run, of create,set,get,exists,children,multi,mix,watch")
      ->capture_default_str();
  command
      ->add_option("--keys", options->keys,
                   "Znodes set, get, exists, children, multi, mix and watch act on, made "
                   "beforehand and picked at random (0: each session's own nodes)")
      ->capture_default_str();
  command
      ->add_option("--read-percent", options->read_percent,
                   "mix: percentage of getData (the rest setData)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Seed of the PRNG that picks keys and mix ops")
      ->capture_default_str();
  command->add_option("--multi-ops", options->multi_ops, "multi: setData ops in each multi")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  command
      ->add_option("--watchers", options->watchers,
                   "watch: sessions that watch the keys (see below)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  command
      ->add_option("--watch-keys-per-session", options->watch_keys_per_session,
                   "watch: keys each watcher watches, k0 among them (0: all)")
      ->capture_default_str();
  command->add_flag("--json", options->json, "One JSON object per phase instead of the table");
  command->add_flag("--quiet", options->quiet, "No progress lines on stderr");
  command
      ->add_option("--session-timeout-ms", options->session_timeout_ms,
                   "Session timeout asked for, in ms")
      ->capture_default_str();
  command->callback([exit_code, options] { *exit_code = run_bench(*options); });
}

}  // namespace warden::tools
