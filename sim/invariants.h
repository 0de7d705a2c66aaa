// Safety invariants of the replicated log, checked after every simulated
// event by looking only at what the event touched:
//   one-leader-per-epoch   at most one node is ever leader in an epoch;
//   committed-prefix       every node's committed entries match one global
//                          committed log (zxid and data);
//   committed-lost         a new leader of epoch E holds every entry
//                          committed in epochs below E, and after every crash a quorum of
//                          voters' durable disks still hold it;
//   zxid-order             a Ready's entries strictly grow in zxid from the
//                          entry before them, and per node and incarnation
//                          applied zxids strictly grow;
//   state-divergence       replicas that applied the same zxid hold the same
//                          state (compared by the register machine's hash);
//   node-self-check        the node caught itself breaking its own invariant.
// The first violation is kept; the Simulation stops there.
//
// Owned by sim::Simulation, fed through the NodeHost hooks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "consensus/node.h"
#include "sim/node_host.h"

namespace warden::sim {

struct Violation {
  std::string invariant;
  std::string message;
  int64_t time_us = 0;
  std::vector<std::string> last_events;  // filled in by the Simulation
};

class InvariantChecker {
 public:
  explicit InvariantChecker(size_t voter_count);

  // Registers the hosts to watch; call once, before any event.
  void watch(const std::vector<const NodeHost*>& hosts);

  // Hooks from the node hosts.
  void on_incarnation_started(const NodeHost& host);
  void on_ready_taken(const NodeHost& host, const consensus::Ready& ready, int64_t now_us);
  void on_state_applied(const NodeHost& host, consensus::Zxid zxid, uint64_t state_hash,
                        int64_t now_us);
  // After any event that touched this host.
  void after_node_event(const NodeHost& host, int64_t now_us);
  // After a crash: a quorum of durable voter disks must hold the commit point.
  void after_crash(int64_t now_us);

  // Raised by the Simulation for checks it runs itself (liveness, lincheck).
  void report(std::string invariant, std::string message, int64_t now_us);

  // The Simulation attaches the events that led to the first violation.
  void attach_last_events(std::vector<std::string> lines) {
    if (violation_ && violation_->last_events.empty()) violation_->last_events = std::move(lines);
  }

  const std::optional<Violation>& violation() const { return violation_; }
  uint64_t checks_run() const { return checks_run_; }
  const std::map<consensus::Epoch, consensus::NodeId>& leaders_by_epoch() const {
    return leaders_by_epoch_;
  }
  consensus::LogIndex global_commit_index() const { return global_commit_index_; }

 private:
  struct CommittedEntry {
    bool known = false;  // learned only where some node still had the entry
    consensus::Zxid zxid = 0;
    uint64_t data_hash = 0;
  };
  struct NodeWatch {
    consensus::LogIndex checked_commit = 0;
    bool was_leader = false;
    consensus::Epoch leader_epoch = 0;
    consensus::Zxid last_applied_zxid = 0;
    bool applied_any = false;
  };

  void check_leader(const NodeHost& host, NodeWatch& watch, int64_t now_us);
  void check_commits(const NodeHost& host, NodeWatch& watch, int64_t now_us);
  void check_leader_completeness(const NodeHost& host, int64_t now_us);
  CommittedEntry& global_entry(consensus::LogIndex index);

  size_t quorum_;
  std::vector<const NodeHost*> hosts_;
  std::vector<NodeWatch> watches_;
  std::map<consensus::Epoch, consensus::NodeId> leaders_by_epoch_;
  std::vector<CommittedEntry> committed_;  // [index - 1]
  consensus::LogIndex global_commit_index_ = 0;
  // Highest index known committed while some node was in each epoch. A leader
  // of epoch E must hold what was committed in epochs below E; a stale leader
  // of a lower epoch (elected by delayed votes) need not hold what a later
  // epoch committed, and can never commit anything itself.
  std::map<consensus::Epoch, consensus::LogIndex> commit_by_epoch_;
  // Looked up, never iterated, so hash order cannot leak into the run.
  std::unordered_map<consensus::Zxid, uint64_t> state_hash_by_zxid_;
  std::optional<Violation> violation_;
  uint64_t checks_run_ = 0;
};

uint64_t hash_bytes(const std::string& bytes);

// False for violations of progress rather than safety ("liveness",
// "message-storm", "lincheck-gave-up"): a planted safety bug is caught only
// by a safety violation.
bool is_safety_violation(const Violation& violation);

}  // namespace warden::sim
