// `warden sim`: runs the deterministic simulator for one seed or a batch of
// seeds, optionally with a planted bug, and reports violations with the
// events that led to them. Wall time is measured here, never inside the
// simulation.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "sim/simulation.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

using sim::SimResult;

struct SimArgs {
  std::optional<uint64_t> seed;
  std::optional<uint64_t> seeds;
  uint64_t first = 1;
  int nodes = 3;
  std::optional<int> sim_seconds;  // default: 60, or 140 for the MySQL workload
  std::string bug_name;
  std::string workload = "register";
  bool summary = false;
  bool list_bugs = false;
  bool overlapping_faults = false;
};

// The seeds --inject-bug tries when none are given.
constexpr uint64_t kDefaultBugSeeds = 100;

// The MySQL workload's run: faults for 90 s, then 50 s in which the cluster
// must have a writable primary again. The liveness bound covers the
// anti-flapping interval (20 s in the simulator), a session timeout, the
// lease wait and a failover's own steps.
constexpr int kMysqlSimSeconds = 140;
constexpr int kMysqlQuietSeconds = 50;
constexpr int kMysqlLivenessBoundSeconds = 45;

std::string hex16(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016" PRIx64, value);
  return buffer;
}

uint64_t total_ops(const SimResult& r) {
  return r.ops.ok + r.ops.failed + r.ops.unknown;
}

void print_result_line(const SimResult& r) {
  if (r.workload == sim::WorkloadKind::kMysql) {
    std::printf("seed=%" PRIu64 " servers=%d result=%s writes=%" PRIu64 " acknowledged=%" PRIu64
                " failovers=%" PRIu64 " epoch=%" PRIu64 " crashes=%" PRIu64
                " sim_seconds=%.3f trace=%s\n",
                r.seed, r.nodes, r.ok ? "ok" : "violation", r.mysql.writes, r.mysql.acknowledged,
                r.mysql.failovers_published, r.mysql.final_epoch, r.crashes, r.sim_seconds,
                hex16(r.trace_hash).c_str());
    return;
  }
  std::printf("seed=%" PRIu64 " nodes=%d result=%s ops=%" PRIu64 " elections=%" PRIu64
              " crashes=%" PRIu64 " sim_seconds=%.3f trace=%s\n",
              r.seed, r.nodes, r.ok ? "ok" : "violation", total_ops(r), r.elections, r.crashes,
              r.sim_seconds, hex16(r.trace_hash).c_str());
}

void print_violations(const SimResult& r) {
  for (const sim::Violation& v : r.violations) {
    std::printf("VIOLATION seed=%" PRIu64 " nodes=%d invariant=%s at t=%.6fs: %s\n", r.seed,
                r.nodes, v.invariant.c_str(), static_cast<double>(v.time_us) / 1e6,
                v.message.c_str());
    if (!v.last_events.empty()) std::printf("  events leading to it (oldest first):\n");
    for (const std::string& line : v.last_events) std::printf("    %s\n", line.c_str());
  }
}

void print_mysql_summary(const SimResult& r) {
  const sim::MysqlStats& m = r.mysql;
  std::printf("summary of seed %" PRIu64
              ": %d MariaDB servers, each with its Warden node and agent; %d clients; %.3f "
              "simulated seconds, %" PRIu64 " events\n",
              r.seed, m.servers, m.clients, r.sim_seconds, r.events);
  std::printf("faults injected: %" PRIu64 " crashes, %" PRIu64 " partitions, %" PRIu64 " pauses\n",
              r.crashes, r.partitions, r.pauses);
  for (const std::string& fault : r.faults) std::printf("  %s\n", fault.c_str());
  std::printf("writes: %" PRIu64 " sent, %" PRIu64 " acknowledged, %" PRIu64 " refused, %" PRIu64
              " unknown (timed out or killed)\n",
              m.writes, r.ops.ok, r.ops.failed, r.ops.unknown);
  std::printf("failovers: %" PRIu64 " started, %" PRIu64 " published, %" PRIu64 " stopped; %" PRIu64
              " changes of primary, epoch %" PRIu64 " at the end\n",
              m.failovers_started, m.failovers_published, m.failovers_stopped, m.primary_changes,
              m.final_epoch);
  std::printf("agents' own actions: %" PRIu64 " fences, %" PRIu64 " repoints, %" PRIu64
              " made writable\n",
              m.fences, m.repoints, m.make_writables);
  std::printf(
      "writable servers at once: at most %d; two or more for %.3fs (allowed while only one "
      "can acknowledge a commit)\n",
      m.max_writable, m.two_writable_seconds);
  std::printf("primary at the end: %s\n",
              m.final_primary.empty() ? "none writable" : m.final_primary.c_str());
  for (const std::string& server : m.server_states) std::printf("  %s\n", server.c_str());
  if (!m.liveness_applicable) {
    std::printf("liveness: not applicable (no healthy replica at the deadline)\n");
  }
  std::printf("invariant checks run: %" PRIu64 "\n", r.checks_run);
  if (r.recovery_seconds >= 0) {
    std::printf("first acknowledged write %.3fs after every fault healed\n", r.recovery_seconds);
  }
}

void print_summary(const SimResult& r) {
  if (r.workload == sim::WorkloadKind::kMysql) return print_mysql_summary(r);
  std::printf("summary of seed %" PRIu64
              ": %d voters, %d observer(s), %.3f simulated seconds, "
              "%" PRIu64 " events\n",
              r.seed, r.nodes, r.observers, r.sim_seconds, r.events);
  std::printf("faults injected: %" PRIu64 " crashes (%" PRIu64 " torn writes), %" PRIu64
              " partitions, %" PRIu64 " pauses, %" PRIu64 " clogs, %" PRIu64
              " lossy periods, %" PRIu64 " damaged disks (their nodes refused to start; %" PRIu64
              " rebuilt from peers)\n",
              r.crashes, r.torn_writes, r.partitions, r.pauses, r.clogs, r.lossy_periods,
              r.refused_restarts, r.rebuilds);
  for (const std::string& fault : r.faults) std::printf("  %s\n", fault.c_str());
  std::printf("leaders by epoch (%" PRIu64 " elections):", r.elections);
  for (const auto& [epoch, leader] : r.leaders_by_epoch) std::printf(" %u:%u", epoch, leader);
  std::printf("\ncommitted log length: %" PRIu64 "\n", r.commit_index);
  std::printf("ops: %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64 " unknown, %" PRIu64
              " reads dropped after timeouts, %" PRIu64 " client node switches\n",
              r.ops.ok, r.ops.failed, r.ops.unknown, r.ops.dropped_reads, r.ops.switches);
  std::printf("invariant checks run: %" PRIu64 "\n", r.checks_run);
  if (r.recovery_seconds >= 0) {
    std::printf("recovered %.3fs after every fault healed\n", r.recovery_seconds);
  }
  if (r.violations.empty() && (r.tree_writes_checked > 0 || r.tree_reads_checked > 0)) {
    std::printf("tree check: ok over %zu requests (%" PRIu64
                " answered writes held against the "
                "committed log, %" PRIu64 " reads against the state at their zxid)\n",
                r.history_ops, r.tree_writes_checked, r.tree_reads_checked);
  } else if (r.violations.empty()) {
    std::printf("lincheck: %s over %zu ops (%" PRIu64 " search steps)\n",
                sim::lin_verdict_name(r.lin_verdict), r.history_ops, r.lin_steps);
  } else {
    std::printf("lincheck: not run to a verdict (%zu violation(s) found first)\n",
                r.violations.size());
  }
}

sim::SimOptions options_for(const SimArgs& args, sim::SimBug bug, uint64_t seed) {
  sim::SimOptions options;
  options.seed = seed;
  options.nodes = args.nodes;
  options.bug = bug;
  options.workload = sim::workload_for_bug(
      bug, sim::parse_workload(args.workload).value_or(sim::WorkloadKind::kRegister));
  if (options.workload == sim::WorkloadKind::kMysql) {
    options.sim_seconds = args.sim_seconds.value_or(kMysqlSimSeconds);
    options.fault_seconds = std::max(0, options.sim_seconds - kMysqlQuietSeconds);
    options.liveness_bound_seconds =
        std::min(kMysqlLivenessBoundSeconds, options.sim_seconds - options.fault_seconds);
    options.overlapping_faults = args.overlapping_faults;
    return options;
  }
  options.sim_seconds = args.sim_seconds.value_or(60);
  // Keep the 45-of-60 shape for other lengths: faults, then time to recover.
  options.fault_seconds = options.sim_seconds * 3 / 4;
  options.liveness_bound_seconds = std::min(10, options.sim_seconds - options.fault_seconds);
  return options;
}

bool has_safety_violation(const SimResult& result) {
  for (const sim::Violation& violation : result.violations) {
    if (sim::is_safety_violation(violation)) return true;
  }
  return false;
}

// Runs seeds first..first+count-1. When hunting a planted bug, stops at the
// first safety violation: a liveness failure elsewhere is not the bug.
int run_batch(const SimArgs& args, sim::SimBug bug, uint64_t first, uint64_t count,
              bool stop_at_first_safety_violation) {
  const auto wall_start = std::chrono::steady_clock::now();
  uint64_t runs = 0, violations = 0;
  double sim_seconds = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    const SimResult result = sim::run_simulation(options_for(args, bug, seed));
    ++runs;
    sim_seconds += result.sim_seconds;
    if (!result.ok) {
      ++violations;
      print_violations(result);
      print_result_line(result);
      std::fflush(stdout);
      if (stop_at_first_safety_violation && has_safety_violation(result)) break;
    }
  }
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf("seeds=%" PRIu64 " violations=%" PRIu64 " sim_seconds=%.3f wall_seconds=%.3f\n", runs,
              violations, sim_seconds, wall_seconds);
  return violations == 0 ? 0 : 1;
}

int run_sim(const SimArgs& args) {
  if (args.list_bugs) {
    for (sim::SimBug bug : sim::all_sim_bugs()) std::printf("%s\n", sim::sim_bug_name(bug));
    return 0;
  }
  if (!sim::parse_workload(args.workload)) {
    std::fprintf(stderr, "warden sim: --workload must be register, tree or mysql\n");
    return 2;
  }
  if (args.nodes != 3 && args.nodes != 5) {
    std::fprintf(stderr, "warden sim: --nodes must be 3 or 5\n");
    return 2;
  }
  sim::SimBug bug = sim::SimBug::kNone;
  if (!args.bug_name.empty()) {
    const std::optional<sim::SimBug> parsed = sim::parse_sim_bug(args.bug_name);
    if (!parsed) {
      std::fprintf(stderr, "warden sim: unknown bug '%s' (see --list-bugs)\n",
                   args.bug_name.c_str());
      return 2;
    }
    bug = *parsed;
  }
  if (args.seed) {
    const SimResult result = sim::run_simulation(options_for(args, bug, *args.seed));
    print_violations(result);
    if (args.summary) print_summary(result);
    print_result_line(result);
    return result.ok ? 0 : 1;
  }
  if (args.seeds) return run_batch(args, bug, args.first, *args.seeds, false);
  if (bug != sim::SimBug::kNone) return run_batch(args, bug, 1, kDefaultBugSeeds, true);
  std::fprintf(stderr, "warden sim: give --seed, --seeds, --inject-bug or --list-bugs\n");
  return 2;
}

}  // namespace

void add_sim_command(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SimArgs>();
  CLI::App* command =
      app.add_subcommand("sim", "Run the deterministic simulator over one seed or many");
  command->add_option("--seed", args->seed, "Run this one seed");
  command->add_option("--seeds", args->seeds, "Run this many seeds, from --first on");
  command->add_option("--first", args->first, "First seed of --seeds (default 1)");
  command->add_option("--nodes", args->nodes,
                      "Voting members: 3 or 5 (default 3); with --workload mysql, servers "
                      "(each with its Warden node)");
  command->add_option("--sim-seconds", args->sim_seconds,
                      "Simulated seconds per seed (default 60; 140 for --workload mysql, the "
                      "last 50 without faults)");
  command->add_option("--inject-bug", args->bug_name,
                      "Plant a bug (see --list-bugs); alone, runs the default seeds until caught");
  command->add_option("--workload", args->workload,
                      "register (read/write/cas on integer keys, default), tree (the "
                      "ZooKeeper tree in sessions) or mysql (MySQL failover: agents, "
                      "replication and clients)");
  command->add_flag("--summary", args->summary, "With --seed: print a readable report");
  command->add_flag("--overlapping-faults", args->overlapping_faults,
                    "With --workload mysql: a new fault every few seconds, whatever is still "
                    "broken (default: one at a time, each followed by time to recover)");
  command->add_flag("--list-bugs", args->list_bugs, "Print the bugs --inject-bug accepts");
  command->get_option("--seed")->excludes("--seeds");
  command->callback([args, exit_code] { *exit_code = run_sim(*args); });
}

}  // namespace warden::tools
