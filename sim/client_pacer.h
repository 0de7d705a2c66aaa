// What every simulated client does the same way, whatever its workload:
// start on a random node, think for a random while between operations
// (numbering each wake so a stale one is ignored), and move to another node
// after a failure or a timeout.
//
// Used by sim::Workload and sim::TreeWorkload; each owns one, sharing its
// Prng so a seed's draws come in the same order as before.
#pragma once

#include <cstdint>

#include "sim/prng.h"
#include "sim/workload_profile.h"

namespace warden::sim {

// The per-client fields the pacer looks after.
struct ClientSlot {
  uint32_t node_index = 0;
  uint64_t op_sequence = 0;  // numbers wake/timeout events; stale ones are ignored
  bool in_flight = false;
};

class ClientPacer {
 public:
  ClientPacer(const WorkloadProfile& profile, int node_count, ClientEnvironment& env, Prng& prng,
              WorkloadStats& stats)
      : profile_(profile), node_count_(node_count), env_(env), prng_(prng), stats_(stats) {}

  uint32_t first_node() {
    return static_cast<uint32_t>(prng_.below(static_cast<uint64_t>(node_count_)));
  }

  void think(uint32_t client_index, ClientSlot& slot) {
    ++slot.op_sequence;
    env_.schedule_client_wake(client_index,
                              prng_.uniform_int(profile_.think_min_us, profile_.think_max_us),
                              slot.op_sequence);
  }

  void switch_node(ClientSlot& slot) {
    if (node_count_ < 2) return;
    const uint64_t step = 1 + prng_.below(static_cast<uint64_t>(node_count_ - 1));
    slot.node_index = static_cast<uint32_t>((slot.node_index + step) % node_count_);
    ++stats_.switches;
  }

  // Sends `request` and arms its timeout.
  void send(uint32_t client_index, ClientSlot& slot, const ClientRequest& request) {
    slot.in_flight = true;
    ++slot.op_sequence;
    env_.send_to_server(slot.node_index, request);
    env_.schedule_client_timeout(client_index, profile_.op_timeout_us, slot.op_sequence);
  }

  // A wake that should issue an operation: current, idle, and still issuing.
  static bool due(const ClientSlot& slot, uint64_t op_sequence, bool issuing) {
    return op_sequence == slot.op_sequence && !slot.in_flight && issuing;
  }

 private:
  const WorkloadProfile& profile_;
  int node_count_;
  ClientEnvironment& env_;
  Prng& prng_;
  WorkloadStats& stats_;
};

}  // namespace warden::sim
