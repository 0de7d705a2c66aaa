// One deterministic simulation run: a Warden ensemble (3 or 5 voters, maybe an
// observer) with its disks, network and clients, a fault phase whose faults
// the seed chooses (crashes with torn writes, pauses, partitions of every
// shape, clogged links, lossy periods), then a healed phase in which the
// cluster must recover within a bound. Invariants are checked after every
// event and the recorded history is checked for linearizability at the end.
// The same seed and options give the same run, event for event; the result's
// trace hash proves it.
//
// Called by `warden sim` (tools/sim_command.cc) and the simulator tests. Reads
// no clock: wall time is the caller's business.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.h"
#include "sim/invariants.h"
#include "sim/linearizability.h"
#include "sim/workload.h"

namespace warden::sim {

// Defects the simulator can plant, to prove that its checkers catch them:
// the consensus ones (consensus::PlantedBug) and one of the host's own.
enum class SimBug : uint8_t {
  kNone,
  kVoteTwice,
  kCommitWithoutQuorum,
  kVoteIgnoresLog,
  kCommitOldEpochByCount,
  kSendBeforeFsync,  // the host sends a Ready's messages before its fsync completes
  // Tree workload: the leader checks requests against the applied tree only,
  // ignoring txns proposed and not yet applied.
  kPrepIgnoresPending,
  // MySQL workload (sim/mysql_agent.h), each in the simulated agent runtime
  // or in what it hands to mysqlctl::AgentCore, never in mysqlctl/ itself:
  kSkipLeaseWait,      // promote without waiting out the old primary's lease
  kNoRelayWait,        // promote without applying the candidate's relay log
  kNoSelfFence,        // an isolated primary's agent never fences its server
  kPromoteAnyReplica,  // choose the candidate without looking at GTID positions
};

enum class WorkloadKind : uint8_t {
  kRegister,  // integer registers: read, write, cas (checked for linearizability)
  kTree,      // the ZooKeeper tree in sessions (see sim/tree_checker.h)
  kMysql,     // MySQL failover: agents, replication and clients (sim/mysql_workload.h)
};
const char* workload_name(WorkloadKind kind);
std::optional<WorkloadKind> parse_workload(std::string_view name);
// The workload a bug needs (prep-ignores-pending only exists in the tree,
// the failover bugs in the MySQL workload).
WorkloadKind workload_for_bug(SimBug bug, WorkloadKind requested);

const char* sim_bug_name(SimBug bug);
std::optional<SimBug> parse_sim_bug(std::string_view name);
std::vector<SimBug> all_sim_bugs();

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;       // voters: 3 or 5
  int observers = -1;  // -1: the seed decides (one observer on some 3-node seeds)
  int sim_seconds = 60;
  int fault_seconds = 45;           // faults happen before this, then all heal
  int liveness_bound_seconds = 10;  // after healing, the cluster must work again by then
  int clients = 10;
  SimBug bug = SimBug::kNone;
  WorkloadKind workload = WorkloadKind::kRegister;
  // MySQL workload: faults may overlap (a new one before the last healed)
  // rather than come one at a time, each followed by time to recover.
  bool overlapping_faults = false;
};

// What a MySQL workload run did (zero for the other workloads).
struct MysqlStats {
  int servers = 0;
  int clients = 0;
  uint64_t writes = 0;        // commits clients sent
  uint64_t acknowledged = 0;  // ... and saw acknowledged
  uint64_t failovers_started = 0;
  uint64_t failovers_published = 0;
  uint64_t failovers_stopped = 0;
  uint64_t fences = 0;  // local actions the agents ran
  uint64_t repoints = 0;
  uint64_t make_writables = 0;
  uint64_t primary_changes = 0;
  uint64_t final_epoch = 0;
  std::string final_primary;  // "db2", or "" when none is writable
  int max_writable = 0;       // servers with read_only OFF at once, at most
  double two_writable_seconds = 0;
  bool liveness_applicable = true;         // a healthy replica existed at the deadline
  std::vector<std::string> server_states;  // each server's final state, one line each
};

struct SimResult {
  uint64_t seed = 0;
  int nodes = 0;
  int observers = 0;
  bool ok = true;
  std::vector<Violation> violations;
  uint64_t trace_hash = 0;
  double sim_seconds = 0;
  uint64_t events = 0;

  WorkloadStats ops;
  size_t history_ops = 0;
  LinVerdict lin_verdict = LinVerdict::kLinearizable;
  uint64_t lin_steps = 0;
  uint64_t tree_writes_checked = 0;  // tree workload: answered writes held against the log
  uint64_t tree_reads_checked = 0;
  uint64_t checks_run = 0;

  uint64_t elections = 0;  // epochs that had a leader
  std::map<consensus::Epoch, consensus::NodeId> leaders_by_epoch;
  consensus::LogIndex commit_index = 0;
  uint64_t crashes = 0;
  uint64_t torn_writes = 0;
  uint64_t partitions = 0;
  uint64_t pauses = 0;
  uint64_t clogs = 0;
  uint64_t lossy_periods = 0;
  uint64_t refused_restarts = 0;    // nodes that found their disk damaged and refused to start
  uint64_t rebuilds = 0;            // refused nodes rebuilt from their peers
  std::vector<std::string> faults;  // one line per injected fault, with its time
  double recovery_seconds = -1;     // from healing to a working cluster; -1 if never
  WorkloadKind workload = WorkloadKind::kRegister;
  MysqlStats mysql;
};

SimResult run_simulation(const SimOptions& options);

}  // namespace warden::sim
