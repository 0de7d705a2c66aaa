#include "sim/simulation.h"

#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "sim/mysql_workload.h"
#include "sim/simulation_internal.h"
#include "sim/tree_checker.h"

namespace warden::sim {

using consensus::Message;
using consensus::NodeId;

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kNominalTickUs = 10'000;
constexpr double kMaxClockDrift = 0.05;
// A healthy run delivers a few thousand messages per simulated second; far
// more means nodes are bouncing messages without progress, which also makes
// the run crawl.
constexpr uint64_t kStormDeliveriesPerSecond = 30'000;

struct BugName {
  SimBug bug;
  const char* name;
};
constexpr BugName kBugNames[] = {
    {SimBug::kVoteTwice, "vote-twice"},
    {SimBug::kCommitWithoutQuorum, "commit-without-quorum"},
    {SimBug::kVoteIgnoresLog, "vote-ignores-log"},
    {SimBug::kCommitOldEpochByCount, "commit-old-epoch-by-count"},
    {SimBug::kSendBeforeFsync, "send-before-fsync"},
    {SimBug::kPrepIgnoresPending, "prep-ignores-pending"},
    {SimBug::kSkipLeaseWait, "skip-lease-wait"},
    {SimBug::kNoRelayWait, "no-relay-wait"},
    {SimBug::kNoSelfFence, "no-self-fence"},
    {SimBug::kPromoteAnyReplica, "promote-any-replica"},
};

consensus::PlantedBug consensus_bug(SimBug bug) {
  switch (bug) {
    case SimBug::kVoteTwice:
      return consensus::PlantedBug::kVoteTwice;
    case SimBug::kCommitWithoutQuorum:
      return consensus::PlantedBug::kCommitWithoutQuorum;
    case SimBug::kVoteIgnoresLog:
      return consensus::PlantedBug::kVoteIgnoresLog;
    case SimBug::kCommitOldEpochByCount:
      return consensus::PlantedBug::kCommitOldEpochByCount;
    case SimBug::kNone:
    case SimBug::kSendBeforeFsync:
    case SimBug::kPrepIgnoresPending:
    case SimBug::kSkipLeaseWait:
    case SimBug::kNoRelayWait:
    case SimBug::kNoSelfFence:
    case SimBug::kPromoteAnyReplica:
      return consensus::PlantedBug::kNone;
  }
  return consensus::PlantedBug::kNone;
}

// Events addressed to one node host (their target is a node index).
bool is_node_event(EventKind kind) {
  switch (kind) {
    case EventKind::kTick:
    case EventKind::kDeliver:
    case EventKind::kFsyncDone:
    case EventKind::kClientRequest:
    case EventKind::kNodeRestart:
    case EventKind::kNodeRebuild:
    case EventKind::kLeaderStrike:
    case EventKind::kNodeResume:
      return true;
    default:
      return false;
  }
}

int observers_for(const SimOptions& options) {
  if (options.observers >= 0) return options.observers;
  // Exercise observers on a third of the 3-node seeds.
  return options.nodes == 3 && options.seed % 3 == 0 ? 1 : 0;
}

NetworkProfile network_profile_for(Prng& prng) {
  NetworkProfile profile;
  profile.min_base_latency_us = prng.uniform_int(100, 400);
  profile.max_base_latency_us = profile.min_base_latency_us + prng.uniform_int(200, 1500);
  profile.jitter_us = prng.uniform_int(100, 1500);
  profile.loss_probability = prng.chance(0.5) ? prng.uniform_int(0, 20) / 1000.0 : 0.0;
  profile.duplicate_probability = prng.chance(0.5) ? prng.uniform_int(0, 20) / 1000.0 : 0.0;
  profile.client_loss_probability = prng.uniform_int(0, 5) / 1000.0;
  return profile;
}

}  // namespace

const char* sim_bug_name(SimBug bug) {
  for (const BugName& entry : kBugNames) {
    if (entry.bug == bug) return entry.name;
  }
  return "none";
}

std::optional<SimBug> parse_sim_bug(std::string_view name) {
  if (name == "none") return SimBug::kNone;
  for (const BugName& entry : kBugNames) {
    if (name == entry.name) return entry.bug;
  }
  return std::nullopt;
}

const char* workload_name(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kRegister:
      return "register";
    case WorkloadKind::kTree:
      return "tree";
    case WorkloadKind::kMysql:
      return "mysql";
  }
  return "?";
}

std::optional<WorkloadKind> parse_workload(std::string_view name) {
  if (name == "register") return WorkloadKind::kRegister;
  if (name == "tree") return WorkloadKind::kTree;
  if (name == "mysql") return WorkloadKind::kMysql;
  return std::nullopt;
}

WorkloadKind workload_for_bug(SimBug bug, WorkloadKind requested) {
  switch (bug) {
    case SimBug::kPrepIgnoresPending:
      return WorkloadKind::kTree;
    case SimBug::kSkipLeaseWait:
    case SimBug::kNoRelayWait:
    case SimBug::kNoSelfFence:
    case SimBug::kPromoteAnyReplica:
      return WorkloadKind::kMysql;
    default:
      return requested;
  }
}

std::vector<SimBug> all_sim_bugs() {
  std::vector<SimBug> bugs;
  for (const BugName& entry : kBugNames) bugs.push_back(entry.bug);
  return bugs;
}

Simulation::Simulation(const SimOptions& options)
    : options_(options),
      observers_(observers_for(options)),
      host_count_(options.nodes + observers_),
      prng_(options.seed),
      fault_prng_(prng_.fork()),
      damage_prng_(options.seed ^ 0x6461'6d61'6765ull),
      network_(host_count_, network_profile_for(prng_), prng_.fork()),
      checker_(static_cast<size_t>(options.nodes)),
      pause_ids_(static_cast<size_t>(host_count_), 0),
      crash_ids_(static_cast<size_t>(host_count_), 0),
      leader_watches_(static_cast<size_t>(host_count_)) {
  assert(options_.nodes >= 1 && options_.clients >= 0);
  fault_end_us_ = static_cast<int64_t>(options_.fault_seconds) * kMicrosPerSecond;
  base_loss_probability_ = network_.profile().loss_probability;
  base_duplicate_probability_ = network_.profile().duplicate_probability;
  choose_fault_profile();
}

HostConfig Simulation::host_config(int index) {
  HostConfig config;
  consensus::Config& c = config.consensus;
  c.id = static_cast<NodeId>(index + 1);
  for (int i = 0; i < options_.nodes; ++i) c.voters.push_back(static_cast<NodeId>(i + 1));
  for (int i = options_.nodes; i < host_count_; ++i)
    c.observers.push_back(static_cast<NodeId>(i + 1));
  c.election_timeout_ticks = 15;
  c.heartbeat_interval_ticks = 2;
  c.planted_bug = consensus_bug(options_.bug);
  c.max_entries_per_append = max_entries_per_append_;
  c.max_snapshot_chunk_bytes = max_snapshot_chunk_bytes_;
  if (options_.workload == WorkloadKind::kTree) config.service = ServiceKind::kTree;
  config.planted_prep_ignores_pending = options_.bug == SimBug::kPrepIgnoresPending;
  const double drift = (prng_.unit() * 2 - 1) * kMaxClockDrift;
  config.tick_us = static_cast<int64_t>(kNominalTickUs * (1 + drift));
  config.disk.slow_fsync_probability = prng_.uniform_int(0, 30) / 1000.0;
  if (options_.bug == SimBug::kSendBeforeFsync) {
    // Long fsync windows give crashes a chance to land inside them.
    config.disk.slow_fsync_probability = 0.3;
    config.send_before_fsync = true;
  }
  return config;
}

void Simulation::build_hosts() {
  // Small batches split a catch-up into many appends, which opens windows
  // between them that big batches close.
  static const std::vector<size_t> kBatchSizes = {1, 2, 8, 64, 256};
  max_entries_per_append_ = prng_.pick(kBatchSizes);
  if (options_.bug == SimBug::kCommitOldEpochByCount) max_entries_per_append_ = 1;
  // Small chunks stream a snapshot in many messages, so faults land mid-transfer.
  // (Chosen by the seed's number rather than drawn, so the draws that shape
  // the rest of the run stay as they were.)
  static const std::vector<size_t> kChunkSizes = {1 << 20, 64, 512};
  max_snapshot_chunk_bytes_ = kChunkSizes[options_.seed % kChunkSizes.size()];
  std::vector<const NodeHost*> watched;
  for (int i = 0; i < host_count_; ++i) {
    hosts_.push_back(
        std::make_unique<NodeHost>(static_cast<uint32_t>(i), host_config(i), *this, prng_.fork()));
    watched.push_back(hosts_.back().get());
  }
  checker_.watch(watched);
  WorkloadProfile profile;
  profile.clients = options_.clients;
  profile.keys = static_cast<int>(prng_.uniform_int(3, 5));
  if (options_.workload == WorkloadKind::kTree) {
    tree_workload_ = std::make_unique<TreeWorkload>(profile, host_count_, *this, prng_.fork());
    workload_ = tree_workload_.get();
  } else {
    register_workload_ = std::make_unique<Workload>(profile, host_count_, *this, prng_.fork());
    workload_ = register_workload_.get();
  }
}

SimResult Simulation::run() {
  build_hosts();
  for (auto& host : hosts_) host->boot();
  workload_->start();
  const int64_t end_us = static_cast<int64_t>(options_.sim_seconds) * kMicrosPerSecond;
  if (fault_end_us_ > 0) {
    loop_.schedule_at(fault_prng_.uniform_int(fault_profile_.min_gap_us, fault_profile_.max_gap_us),
                      EventKind::kFaultInject, 0, 0);
  }
  loop_.schedule_at(fault_end_us_, EventKind::kHealAll, 0, 0);
  const int64_t deadline_us =
      fault_end_us_ + static_cast<int64_t>(options_.liveness_bound_seconds) * kMicrosPerSecond;
  if (deadline_us <= end_us) loop_.schedule_at(deadline_us, EventKind::kLivenessDeadline, 0, 0);

  Event event;
  while (!checker_.violation() && loop_.pop_next(end_us, event)) dispatch(event);

  SimResult result = collect_result();
  if (result.violations.empty()) check_history(result);
  result.ok = result.violations.empty();
  return result;
}

void Simulation::dispatch(const Event& event) {
  TraceRecord record;
  record.time_us = event.time_us;
  record.kind = event.kind;
  record.target = event.target;
  record.arg = event.arg;
  if (is_node_event(event.kind)) {
    assert(event.target < hosts_.size());
    dispatch_node_event(event, record);
    const NodeHost& host = *hosts_[event.target];
    note_node_state(event.target, record);
    checker_.after_node_event(host, loop_.now_us());
    check_liveness_progress(host);
    watch_first_commit(host);
  } else {
    dispatch_world_event(event, record);
  }
  trace_.record(record);
  if (checker_.violation() && checker_.violation()->last_events.empty()) {
    checker_.attach_last_events(trace_.last_lines());
  }
}

void Simulation::dispatch_node_event(const Event& event, TraceRecord& record) {
  NodeHost& host = *hosts_[event.target];
  switch (event.kind) {
    case EventKind::kTick:
      host.on_tick(event.arg);
      break;
    case EventKind::kDeliver:
      dispatch_delivery(event, record);
      break;
    case EventKind::kFsyncDone:
      host.on_fsync_done(event.arg);
      break;
    case EventKind::kClientRequest:
      host.on_client_request(requests_.at(event.arg));
      requests_.release(event.arg);
      break;
    case EventKind::kNodeRestart:
      if (event.arg == crash_ids_[event.target]) restart_node(event.target, record);
      break;
    case EventKind::kNodeRebuild:
      if (event.arg == crash_ids_[event.target]) rebuild_node(event.target, record);
      break;
    case EventKind::kLeaderStrike:
      // Only the incarnation that made the commit is struck, and only while faults last.
      if (host.up() && host.incarnation() == event.arg && !healed_) {
        strike_new_leader(event.target, record);
      }
      break;
    case EventKind::kNodeResume:
      if (event.arg == pause_ids_[event.target]) {
        pause_ids_[event.target] = 0;
        host.resume();
      }
      break;
    default:
      assert(false && "not a node event");
  }
}

// Events of the clients, the fault plan and the run's own checks.
void Simulation::dispatch_world_event(const Event& event, TraceRecord& record) {
  switch (event.kind) {
    case EventKind::kClientReply:
      workload_->on_reply(replies_.at(event.arg));
      replies_.release(event.arg);
      note_recovery();
      break;
    case EventKind::kClientWake:
      workload_->on_wake(event.target, event.arg);
      break;
    case EventKind::kClientTimeout:
      workload_->on_timeout(event.target, event.arg);
      break;
    case EventKind::kFaultInject:
      inject_fault(record);
      break;
    case EventKind::kFaultHeal:
      heal_fault(event.arg, record);
      break;
    case EventKind::kHealAll:
      heal_all(record);
      break;
    case EventKind::kLivenessDeadline:
      check_liveness_deadline();
      break;
    default:
      assert(false && "a node event reached dispatch_world_event");
  }
}

// Time from healing to a working cluster: an established leader and a write
// that took effect after the heal.
void Simulation::note_recovery() {
  if (!healed_ || counters_.recovery_seconds >= 0 || first_established_after_heal_us_ < 0 ||
      workload_->last_effective_write_us() < fault_end_us_) {
    return;
  }
  counters_.recovery_seconds =
      static_cast<double>(loop_.now_us() - fault_end_us_) / kMicrosPerSecond;
}

void Simulation::dispatch_delivery(const Event& event, TraceRecord& record) {
  Message& message = messages_.at(event.arg);
  record.has_message = true;
  record.message_type = message.type;
  record.from = message.from;
  record.to = message.to;
  record.message_epoch = message.epoch;
  const bool append = message.type == consensus::MessageType::kAppend ||
                      message.type == consensus::MessageType::kAppendResponse;
  record.log_index = append ? message.prev_index : message.last_index;
  record.hint_index = message.hint_index;
  record.commit_index = message.commit_index;
  record.match_index = message.match_index;
  record.entry_count = static_cast<uint32_t>(message.entries.size());
  record.reject = message.reject;
  count_delivery();
  // A partition that started while the message was in flight cuts it too.
  if (!network_.blocked(static_cast<int>(message.from - 1), static_cast<int>(message.to - 1))) {
    hosts_[event.target]->on_message(std::move(message));
  }
  messages_.release(event.arg);
}

void Simulation::count_delivery() {
  const int64_t second = loop_.now_us() / kMicrosPerSecond;
  if (second != storm_window_second_) {
    storm_window_second_ = second;
    deliveries_in_window_ = 0;
  }
  if (++deliveries_in_window_ == kStormDeliveriesPerSecond) {
    checker_.report("message-storm",
                    std::to_string(kStormDeliveriesPerSecond) +
                        " messages delivered within one simulated second (a healthy cluster "
                        "needs a few thousand): nodes are answering each other without progress",
                    loop_.now_us());
  }
}

void Simulation::note_node_state(uint32_t node_index, TraceRecord& record) {
  const NodeHost& host = *hosts_[node_index];
  record.has_node_state = true;
  record.node_up = host.up();
  if (!host.up()) return;
  const consensus::Node& node = *host.node();
  record.role = node.role();
  record.node_epoch = node.epoch();
  record.node_commit = node.commit_index();
  record.node_last_index = node.last_index();
}

void Simulation::send_to_node(Message&& message) {
  assert(message.from != message.to);
  const int from = static_cast<int>(message.from - 1);
  const int to = static_cast<int>(message.to - 1);
  const DeliveryPlan plan = network_.plan_node_message(from, to, loop_.now_us());
  if (plan.copies == 2) {
    const uint64_t slot = messages_.put(Message(message));
    loop_.schedule_after(plan.delay_us[1], EventKind::kDeliver, static_cast<uint32_t>(to), slot);
  }
  if (plan.copies >= 1) {
    const uint64_t slot = messages_.put(std::move(message));
    loop_.schedule_after(plan.delay_us[0], EventKind::kDeliver, static_cast<uint32_t>(to), slot);
  }
}

void Simulation::reply_to_client(const ClientReply& reply) {
  const DeliveryPlan plan = network_.plan_client_message(loop_.now_us());
  if (plan.copies == 0) return;
  loop_.schedule_after(plan.delay_us[0], EventKind::kClientReply, reply.client,
                       replies_.put(ClientReply(reply)));
}

void Simulation::send_to_server(uint32_t node_index, const ClientRequest& request) {
  const DeliveryPlan plan = network_.plan_client_message(loop_.now_us());
  if (plan.copies == 0) return;
  loop_.schedule_after(plan.delay_us[0], EventKind::kClientRequest, node_index,
                       requests_.put(ClientRequest(request)));
}

void Simulation::schedule_tick(uint32_t node_index, int64_t delay_us, uint64_t incarnation) {
  loop_.schedule_after(delay_us, EventKind::kTick, node_index, incarnation);
}

void Simulation::schedule_fsync_done(uint32_t node_index, int64_t delay_us, uint64_t incarnation) {
  loop_.schedule_after(delay_us, EventKind::kFsyncDone, node_index, incarnation);
}

void Simulation::schedule_client_wake(uint32_t client, int64_t delay_us, uint64_t op_sequence) {
  loop_.schedule_after(delay_us, EventKind::kClientWake, client, op_sequence);
}

void Simulation::schedule_client_timeout(uint32_t client, int64_t delay_us, uint64_t op_sequence) {
  loop_.schedule_after(delay_us, EventKind::kClientTimeout, client, op_sequence);
}

void Simulation::on_ready_taken(const NodeHost& host, const consensus::Ready& ready) {
  checker_.on_ready_taken(host, ready, loop_.now_us());
}

void Simulation::on_state_applied(const NodeHost& host, consensus::Zxid zxid, uint64_t hash) {
  checker_.on_state_applied(host, zxid, hash, loop_.now_us());
}

void Simulation::on_entry_applied(const NodeHost& host, const consensus::Entry& entry) {
  if (!tree_workload_ || entry.type != consensus::EntryType::kData) return;
  if (host.service().inconsistencies() > 0) {
    checker_.report("txn-fits-state",
                    "node " + std::to_string(host.id()) + " applied a txn that did not fit its " +
                        "state at zxid " + std::to_string(entry.zxid),
                    loop_.now_us());
  }
  const auto zxid = static_cast<int64_t>(entry.zxid);
  if (committed_txns_.count(zxid) != 0) return;
  std::optional<store::Txn> txn = store::decode_txn(entry.data);
  assert(txn.has_value());
  committed_txns_.emplace(zxid, std::move(*txn));
}

void Simulation::on_incarnation_started(const NodeHost& host) {
  checker_.on_incarnation_started(host);
}

void Simulation::check_liveness_progress(const NodeHost& host) {
  if (!healed_ || first_established_after_heal_us_ >= 0 || !host.up()) return;
  if (host.node()->epoch_established()) first_established_after_heal_us_ = loop_.now_us();
}

void Simulation::check_liveness_deadline() {
  const std::string bound = std::to_string(options_.liveness_bound_seconds);
  if (first_established_after_heal_us_ < 0) {
    checker_.report(
        "liveness",
        "no leader with an established epoch within " + bound + "s after every fault healed",
        loop_.now_us());
  } else if (workload_->last_effective_write_us() < fault_end_us_) {
    checker_.report("liveness", "no write committed within " + bound + "s after every fault healed",
                    loop_.now_us());
  }
}

void Simulation::check_tree_history(SimResult& result) {
  const std::vector<TreeOpRecord> history = tree_workload_->finish();
  result.ops = workload_->stats();
  result.history_ops = history.size();
  const TreeCheckResult check = sim::check_tree_history(committed_txns_, history);
  result.tree_writes_checked = check.writes_checked;
  result.tree_reads_checked = check.reads_checked;
  if (check.ok) return;
  Violation violation;
  violation.invariant = "tree-history";
  violation.message = check.failure;
  violation.time_us = loop_.now_us();
  result.violations.push_back(std::move(violation));
}

void Simulation::check_history(SimResult& result) {
  if (tree_workload_) {
    check_tree_history(result);
    return;
  }
  const std::vector<RegisterOp> history = register_workload_->finish();
  result.ops = workload_->stats();
  result.history_ops = history.size();
  const LinResult lin = check_register_history(history);
  result.lin_verdict = lin.verdict;
  result.lin_steps = lin.steps;
  if (lin.verdict == LinVerdict::kLinearizable) return;
  Violation violation;
  violation.invariant =
      lin.verdict == LinVerdict::kNotLinearizable ? "linearizability" : "lincheck-gave-up";
  violation.message = "history of " + std::to_string(history.size()) + " ops";
  if (lin.failed_key) violation.message += ", key " + std::to_string(*lin.failed_key);
  violation.time_us = loop_.now_us();
  violation.last_events.push_back(lin.explanation);
  result.violations.push_back(std::move(violation));
}

SimResult Simulation::collect_result() {
  SimResult result = counters_;
  result.workload = options_.workload;
  result.seed = options_.seed;
  result.nodes = options_.nodes;
  result.observers = observers_;
  if (checker_.violation()) result.violations.push_back(*checker_.violation());
  result.trace_hash = trace_.hash();
  // A run that found nothing simulated its whole span, even if its last
  // event came earlier.
  result.sim_seconds = checker_.violation() ? static_cast<double>(loop_.now_us()) / kMicrosPerSecond
                                            : static_cast<double>(options_.sim_seconds);
  result.events = loop_.processed_events();
  result.ops = workload_->stats();
  result.checks_run = checker_.checks_run();
  result.leaders_by_epoch = checker_.leaders_by_epoch();
  result.elections = result.leaders_by_epoch.size();
  result.commit_index = checker_.global_commit_index();
  result.faults = fault_log_;
  return result;
}

SimResult run_simulation(const SimOptions& options) {
  if (options.workload == WorkloadKind::kMysql) return run_mysql_simulation(options);
  Simulation simulation(options);
  return simulation.run();
}

}  // namespace warden::sim
