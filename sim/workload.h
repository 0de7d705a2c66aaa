// Simulated clients and the history they record. About ten clients each run
// one operation at a time with a short think time between operations: reads,
// writes and compare-and-sets over a handful of keys. A client sticks to one
// node, as a ZooKeeper client stays on its server, and moves to another after
// a failure or a timeout. Every call and return goes into a history of
// RegisterOps for the linearizability checker, following Jepsen's
// conventions: an operation that timed out may or may not have happened
// (writes and cas are recorded as indeterminate and stay open forever; reads
// are dropped, having had no effect), definite rejections are dropped, and
// after a timeout the client carries on as a new process.
//
// Owned by sim::Simulation, which delivers its events.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/client_pacer.h"
#include "sim/client_protocol.h"
#include "sim/linearizability.h"
#include "sim/prng.h"

namespace warden::sim {

// What the simulation drives, whichever workload runs.
class ClientWorkload {
 public:
  virtual ~ClientWorkload() = default;
  virtual void start() = 0;
  // Stop issuing new operations; operations in flight still complete.
  virtual void stop_issuing() = 0;
  virtual void on_wake(uint32_t client, uint64_t op_sequence) = 0;
  virtual void on_reply(const ClientReply& reply) = 0;
  virtual void on_timeout(uint32_t client, uint64_t op_sequence) = 0;
  virtual const WorkloadStats& stats() const = 0;
  // Latest return time of a write that completed with an effect, or -1: the
  // liveness check's "a write committed".
  virtual int64_t last_effective_write_us() const = 0;
};

class Workload final : public ClientWorkload {
 public:
  Workload(const WorkloadProfile& profile, int node_count, ClientEnvironment& env, Prng prng);

  void start() override;
  void stop_issuing() override { issuing_ = false; }

  void on_wake(uint32_t client, uint64_t op_sequence) override;
  void on_reply(const ClientReply& reply) override;
  void on_timeout(uint32_t client, uint64_t op_sequence) override;

  // Closes the history: operations still in flight become indeterminate.
  std::vector<RegisterOp> finish();

  const WorkloadStats& stats() const override { return stats_; }
  int64_t last_effective_write_us() const override { return last_effective_write_us_; }

 private:
  struct Client : ClientSlot {
    uint64_t process = 0;
    uint64_t next_request_id = 1;
    ClientRequest request;
    RegisterOp op;
    std::vector<int64_t> last_seen;  // per key: the last value this client saw, or 0
  };

  void issue(uint32_t client_index);
  void complete(Client& client, RegisterOutcome outcome);
  void think(uint32_t client_index);

  WorkloadProfile profile_;
  ClientEnvironment& env_;
  Prng prng_;
  WorkloadStats stats_;
  ClientPacer pacer_;
  std::vector<Client> clients_;
  std::vector<RegisterOp> history_;
  uint64_t next_process_ = 0;
  int64_t next_value_ = 1;
  bool issuing_ = true;
  int64_t last_effective_write_us_ = -1;
};

}  // namespace warden::sim
