// The vocabulary every simulated workload shares: how its clients behave
// (WorkloadProfile), what they need from the simulation (ClientEnvironment)
// and what they count (WorkloadStats).
//
// Used by sim/workload.h, sim/tree_workload.h, sim/client_pacer.h and the
// Simulation that implements ClientEnvironment.
#pragma once

#include <cstdint>

#include "sim/client_protocol.h"

namespace warden::sim {

struct WorkloadProfile {
  int clients = 10;
  int keys = 4;
  double read_fraction = 0.4;
  double write_fraction = 0.3;  // the rest are cas
  int64_t think_min_us = 10'000;
  int64_t think_max_us = 60'000;
  int64_t op_timeout_us = 1'500'000;
};

// What the clients need from the world around them. Implemented by Simulation.
class ClientEnvironment {
 public:
  virtual ~ClientEnvironment() = default;
  virtual int64_t now_us() const = 0;
  virtual void send_to_server(uint32_t node_index, const ClientRequest& request) = 0;
  virtual void schedule_client_wake(uint32_t client, int64_t delay_us, uint64_t op_sequence) = 0;
  virtual void schedule_client_timeout(uint32_t client, int64_t delay_us, uint64_t op_sequence) = 0;
};

struct WorkloadStats {
  uint64_t ok = 0;       // completed (including cas that compared false)
  uint64_t failed = 0;   // definitely not done: rejected, or cas mismatch
  uint64_t unknown = 0;  // writes and cas that timed out
  uint64_t dropped_reads = 0;
  uint64_t switches = 0;  // a client moved to another node
};

}  // namespace warden::sim
