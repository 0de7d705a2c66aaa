#include "sim/network.h"

#include <cassert>

namespace warden::sim {

Network::Network(int node_count, const NetworkProfile& profile, Prng prng)
    : node_count_(node_count),
      profile_(profile),
      prng_(prng),
      base_latency_us_(static_cast<size_t>(node_count * node_count)),
      blocked_(static_cast<size_t>(node_count * node_count), false),
      clogged_until_us_(static_cast<size_t>(node_count), 0),
      clog_extra_us_(static_cast<size_t>(node_count), 0) {
  for (int64_t& latency : base_latency_us_) {
    latency = prng_.uniform_int(profile_.min_base_latency_us, profile_.max_base_latency_us);
  }
}

int64_t Network::clog_delay(int node, int64_t now_us) const {
  const size_t i = static_cast<size_t>(node);
  return now_us < clogged_until_us_[i] ? clog_extra_us_[i] : 0;
}

DeliveryPlan Network::plan_node_message(int from, int to, int64_t now_us) {
  DeliveryPlan plan;
  if (blocked(from, to) || prng_.chance(profile_.loss_probability)) return plan;
  plan.copies = prng_.chance(profile_.duplicate_probability) ? 2 : 1;
  const int64_t fixed_us =
      base_latency_us_[index(from, to)] + clog_delay(from, now_us) + clog_delay(to, now_us);
  for (int copy = 0; copy < plan.copies; ++copy) {
    plan.delay_us[copy] = fixed_us + prng_.uniform_int(0, profile_.jitter_us);
  }
  return plan;
}

DeliveryPlan Network::plan_client_message(int64_t /*now_us*/) {
  DeliveryPlan plan;
  if (prng_.chance(profile_.client_loss_probability)) return plan;
  plan.copies = 1;
  plan.delay_us[0] =
      profile_.client_base_latency_us + prng_.uniform_int(0, profile_.client_jitter_us);
  return plan;
}

void Network::heal_partitions() {
  blocked_.assign(blocked_.size(), false);
}

bool Network::partitioned() const {
  for (bool b : blocked_) {
    if (b) return true;
  }
  return false;
}

void Network::partition_halves(const std::vector<bool>& side) {
  assert(static_cast<int>(side.size()) == node_count_);
  for (int a = 0; a < node_count_; ++a) {
    for (int b = 0; b < node_count_; ++b) {
      if (side[static_cast<size_t>(a)] != side[static_cast<size_t>(b)]) block(a, b);
    }
  }
}

void Network::isolate(int node) {
  for (int other = 0; other < node_count_; ++other) {
    if (other != node) block_both(node, other);
  }
}

void Network::partition_one_way(const std::vector<bool>& side) {
  assert(static_cast<int>(side.size()) == node_count_);
  for (int a = 0; a < node_count_; ++a) {
    for (int b = 0; b < node_count_; ++b) {
      if (!side[static_cast<size_t>(a)] && side[static_cast<size_t>(b)]) block(a, b);
    }
  }
}

void Network::partition_bridge(const std::vector<bool>& side, int bridge) {
  assert(static_cast<int>(side.size()) == node_count_);
  for (int a = 0; a < node_count_; ++a) {
    for (int b = 0; b < node_count_; ++b) {
      if (a == bridge || b == bridge) continue;
      if (side[static_cast<size_t>(a)] != side[static_cast<size_t>(b)]) block(a, b);
    }
  }
}

void Network::clog(int node, int64_t until_us, int64_t extra_us) {
  clogged_until_us_[static_cast<size_t>(node)] = until_us;
  clog_extra_us_[static_cast<size_t>(node)] = extra_us;
}

void Network::unclog_all() {
  clogged_until_us_.assign(clogged_until_us_.size(), 0);
  clog_extra_us_.assign(clog_extra_us_.size(), 0);
}

std::string Network::describe_blocked() const {
  std::string out;
  for (int a = 0; a < node_count_; ++a) {
    for (int b = 0; b < node_count_; ++b) {
      if (!blocked(a, b)) continue;
      if (!out.empty()) out += ' ';
      out += std::to_string(a + 1) + "->" + std::to_string(b + 1);
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace warden::sim
