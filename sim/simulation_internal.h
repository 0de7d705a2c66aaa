// The Simulation class behind run_simulation(): it wires the event loop, the
// network, the node hosts, the clients and the checkers together and
// dispatches every event. Split over simulation.cc (wiring, dispatch, checks)
// and simulation_faults.cc (the fault plan).
//
// Private to sim/simulation*.cc; everyone else calls run_simulation().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/message.h"
#include "sim/event_loop.h"
#include "sim/invariants.h"
#include "sim/network.h"
#include "sim/node_host.h"
#include "sim/prng.h"
#include "sim/simulation.h"
#include "sim/trace.h"
#include "sim/tree_workload.h"
#include "sim/workload.h"
#include "store/txn.h"

namespace warden::sim {

// A pool of reusable payload slots, so in-flight payloads are not allocated
// per event and events stay small values.
template <typename T>
class SlotPool {
 public:
  uint64_t put(T&& value) {
    if (free_.empty()) {
      slots_.push_back(std::move(value));
      return slots_.size() - 1;
    }
    const uint64_t slot = free_.back();
    free_.pop_back();
    slots_[slot] = std::move(value);
    return slot;
  }
  T& at(uint64_t slot) { return slots_[slot]; }
  void release(uint64_t slot) { free_.push_back(slot); }

 private:
  std::vector<T> slots_;
  std::vector<uint64_t> free_;
};

// How the seed shapes the fault phase.
struct FaultProfile {
  int64_t min_gap_us = 300'000;  // between two fault injections
  int64_t max_gap_us = 2'500'000;
  // Relative weights of the fault kinds.
  int crash_weight = 3;
  int pause_weight = 2;
  int partition_weight = 4;
  int clog_weight = 1;
  int lossy_weight = 1;
  double target_leader_probability = 0.5;
  // A new leader's first commit is a delicate moment (its epoch just became
  // established, or with a bug, something older was counted): strike it
  // then, within `max_first_commit_strike_delay_us`, with this probability,
  // by isolating it or crashing it.
  double strike_at_first_commit_probability = 0.05;
  int64_t max_first_commit_strike_delay_us = 2'000;
  double isolate_rather_than_crash_probability = 0.5;
  int64_t min_downtime_us = 50'000;
  int64_t max_downtime_us = 3'000'000;
  // A restarting node finds a synced record of its log damaged.
  double corrupt_at_rest_probability = 0.01;
  int64_t min_partition_us = 300'000;
  int64_t max_partition_us = 5'000'000;
};

class Simulation final : public HostEnvironment, public ClientEnvironment {
 public:
  explicit Simulation(const SimOptions& options);
  SimResult run();

  // HostEnvironment and ClientEnvironment.
  int64_t now_us() const override { return loop_.now_us(); }
  void send_to_node(consensus::Message&& message) override;
  void reply_to_client(const ClientReply& reply) override;
  void schedule_tick(uint32_t node_index, int64_t delay_us, uint64_t incarnation) override;
  void schedule_fsync_done(uint32_t node_index, int64_t delay_us, uint64_t incarnation) override;
  void on_ready_taken(const NodeHost& host, const consensus::Ready& ready) override;
  void on_state_applied(const NodeHost& host, consensus::Zxid zxid, uint64_t hash) override;
  void on_entry_applied(const NodeHost& host, const consensus::Entry& entry) override;
  void on_incarnation_started(const NodeHost& host) override;
  void send_to_server(uint32_t node_index, const ClientRequest& request) override;
  void schedule_client_wake(uint32_t client, int64_t delay_us, uint64_t op_sequence) override;
  void schedule_client_timeout(uint32_t client, int64_t delay_us, uint64_t op_sequence) override;

 private:
  // Wiring (simulation.cc).
  void build_hosts();
  HostConfig host_config(int index);
  void dispatch(const Event& event);
  void dispatch_node_event(const Event& event, TraceRecord& record);
  void dispatch_world_event(const Event& event, TraceRecord& record);
  void note_recovery();
  void dispatch_delivery(const Event& event, TraceRecord& record);
  void note_node_state(uint32_t node_index, TraceRecord& record);
  void count_delivery();
  void check_liveness_progress(const NodeHost& host);
  void watch_first_commit(const NodeHost& host);
  void check_liveness_deadline();
  void check_history(SimResult& result);
  void check_tree_history(SimResult& result);
  SimResult collect_result();

  // Faults (simulation_faults.cc).
  void choose_fault_profile();
  void inject_fault(TraceRecord& record);
  void heal_fault(uint64_t fault_id, TraceRecord& record);
  void heal_all(TraceRecord& record);
  void crash_node(uint32_t node_index, TraceRecord& record);
  void restart_node(uint32_t node_index, TraceRecord& record);
  void rebuild_node(uint32_t node_index, TraceRecord& record);
  void pause_node(uint32_t node_index, TraceRecord& record);
  void start_partition(TraceRecord& record);
  void isolate_node(uint32_t node_index, TraceRecord& record);
  void schedule_partition_heal(const std::string& shape, TraceRecord& record);
  void strike_new_leader(uint32_t node_index, TraceRecord& record);
  void clog_node(uint32_t node_index, TraceRecord& record);
  void start_lossy_period(TraceRecord& record);
  uint32_t choose_fault_target();
  std::vector<bool> random_split();
  void log_fault(TraceRecord& record, std::string text);

  SimOptions options_;
  int observers_ = 0;
  int host_count_ = 0;
  Prng prng_;
  Prng fault_prng_;
  // Damage at rest draws from its own stream, so the other faults of a seed
  // stay what they were without it.
  Prng damage_prng_;
  EventLoop loop_;
  TraceLog trace_;
  Network network_;
  FaultProfile fault_profile_;
  InvariantChecker checker_;
  std::vector<std::unique_ptr<NodeHost>> hosts_;
  std::unique_ptr<Workload> register_workload_;
  std::unique_ptr<TreeWorkload> tree_workload_;
  ClientWorkload* workload_ = nullptr;            // whichever of the two runs
  std::map<int64_t, store::Txn> committed_txns_;  // tree: every applied txn by zxid

  SlotPool<consensus::Message> messages_;
  SlotPool<ClientRequest> requests_;
  SlotPool<ClientReply> replies_;

  double base_loss_probability_ = 0;  // the seed's loss outside lossy periods
  double base_duplicate_probability_ = 0;
  size_t max_entries_per_append_ = 256;
  size_t max_snapshot_chunk_bytes_ = 1 << 20;
  int corrupted_voters_ = 0;
  int64_t fault_end_us_ = 0;
  int64_t storm_window_second_ = -1;
  uint64_t deliveries_in_window_ = 0;
  bool healed_ = false;
  int64_t first_established_after_heal_us_ = -1;
  uint64_t next_fault_id_ = 1;
  uint64_t active_partition_id_ = 0;  // 0: none
  uint64_t active_lossy_id_ = 0;
  std::vector<uint64_t> pause_ids_;  // per node: the current pause, 0 if none
  std::vector<uint64_t> crash_ids_;  // per node: the current crash
  struct LeaderWatch {
    consensus::Epoch epoch = 0;
    consensus::LogIndex commit_at_start = 0;
    bool first_commit_seen = false;
  };
  std::vector<LeaderWatch> leader_watches_;  // per node
  std::vector<std::string> fault_log_;
  SimResult counters_;  // fault counters, filled as faults happen
};

}  // namespace warden::sim
