// The simulated network between nodes, and between clients and nodes. It
// decides each message's fate (dropped, delivered once, or duplicated) and
// its delay; the Simulation schedules the deliveries. Node-to-node links have
// a per-link base latency plus jitter (which also reorders), loss and
// duplication, and can be cut by partitions, modelled as a set of blocked
// directed links, or "clogged" (a node's links get a huge delay for a while).
// Client traffic sees latency and loss only: clients never sit behind a
// partition, as ZooKeeper clients reconnect elsewhere instead.
//
// Owned by sim::Simulation; fault injection reshapes it; tests drive it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/prng.h"

namespace warden::sim {

struct NetworkProfile {
  int64_t min_base_latency_us = 150;
  int64_t max_base_latency_us = 1500;
  int64_t jitter_us = 800;
  double loss_probability = 0.0;
  double duplicate_probability = 0.0;
  int64_t client_base_latency_us = 300;
  int64_t client_jitter_us = 500;
  double client_loss_probability = 0.0;
};

// Up to two deliveries (a duplicate makes two), each after its delay.
struct DeliveryPlan {
  int copies = 0;
  int64_t delay_us[2] = {0, 0};
};

class Network {
 public:
  // Nodes are numbered by index 0..node_count-1 here.
  Network(int node_count, const NetworkProfile& profile, Prng prng);

  int node_count() const { return node_count_; }
  const NetworkProfile& profile() const { return profile_; }
  void set_loss_probability(double p) { profile_.loss_probability = p; }
  void set_duplicate_probability(double p) { profile_.duplicate_probability = p; }

  DeliveryPlan plan_node_message(int from, int to, int64_t now_us);
  DeliveryPlan plan_client_message(int64_t now_us);

  bool blocked(int from, int to) const { return blocked_[index(from, to)]; }
  void block(int from, int to) { blocked_[index(from, to)] = true; }
  void block_both(int a, int b) {
    block(a, b);
    block(b, a);
  }
  void heal_partitions();
  bool partitioned() const;

  // Partition shapes. `side` holds one flag per node.
  void partition_halves(const std::vector<bool>& side);
  void isolate(int node);
  // Traffic from `side` true to false passes; the way back is cut.
  void partition_one_way(const std::vector<bool>& side);
  // The two halves cannot see each other, but `bridge` sees both.
  void partition_bridge(const std::vector<bool>& side, int bridge);

  // Every message to or from `node` before `until_us` is delayed by `extra_us`.
  void clog(int node, int64_t until_us, int64_t extra_us);
  void unclog_all();

  // A readable picture of the blocked links, e.g. "1->2 2->1".
  std::string describe_blocked() const;

 private:
  size_t index(int from, int to) const { return static_cast<size_t>(from * node_count_ + to); }
  int64_t clog_delay(int node, int64_t now_us) const;

  int node_count_;
  NetworkProfile profile_;
  Prng prng_;
  std::vector<int64_t> base_latency_us_;  // per directed link
  std::vector<bool> blocked_;             // per directed link
  std::vector<int64_t> clogged_until_us_;
  std::vector<int64_t> clog_extra_us_;
};

}  // namespace warden::sim
