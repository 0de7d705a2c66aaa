// The simulated network: partitions of every shape, clogging, loss and
// duplication, and the seeded PRNG and event loop under them.
#include <gtest/gtest.h>

#include <vector>

#include "sim/event_loop.h"
#include "sim/network.h"
#include "sim/prng.h"

namespace warden::sim {
namespace {

Network make_network(int nodes, NetworkProfile profile = {}) {
  return Network(nodes, profile, Prng(11));
}

bool delivered(Network& network, int from, int to) {
  return network.plan_node_message(from, to, 0).copies > 0;
}

TEST(SimNetwork, HalvesCutBothWaysAcrossOnly) {
  Network network = make_network(5);
  network.partition_halves({true, true, false, false, false});
  EXPECT_TRUE(delivered(network, 0, 1));
  EXPECT_TRUE(delivered(network, 2, 4));
  EXPECT_FALSE(delivered(network, 0, 2));
  EXPECT_FALSE(delivered(network, 3, 1));
  network.heal_partitions();
  EXPECT_FALSE(network.partitioned());
  EXPECT_TRUE(delivered(network, 0, 2));
}

TEST(SimNetwork, OneWayLetsOnlyOneDirectionThrough) {
  Network network = make_network(3);
  network.partition_one_way({true, false, false});
  EXPECT_TRUE(delivered(network, 0, 1));   // left may send right
  EXPECT_FALSE(delivered(network, 1, 0));  // but not back
  EXPECT_TRUE(delivered(network, 1, 2));
}

TEST(SimNetwork, BridgeSeesBothHalvesThatCannotSeeEachOther) {
  Network network = make_network(5);
  network.partition_bridge({true, true, false, false, false}, 2);
  EXPECT_FALSE(delivered(network, 0, 3));
  EXPECT_FALSE(delivered(network, 4, 1));
  EXPECT_TRUE(delivered(network, 0, 2));
  EXPECT_TRUE(delivered(network, 2, 0));
  EXPECT_TRUE(delivered(network, 3, 2));
  EXPECT_TRUE(delivered(network, 2, 4));
}

TEST(SimNetwork, IsolateCutsOneNodeOff) {
  Network network = make_network(3);
  network.isolate(1);
  EXPECT_FALSE(delivered(network, 1, 0));
  EXPECT_FALSE(delivered(network, 2, 1));
  EXPECT_TRUE(delivered(network, 0, 2));
  EXPECT_EQ(network.describe_blocked(), "1->2 2->1 2->3 3->2");
}

TEST(SimNetwork, ClogDelaysUntilItEnds) {
  NetworkProfile profile;
  profile.max_base_latency_us = 2000;
  profile.jitter_us = 1000;
  Network network = make_network(3, profile);
  network.clog(0, 1'000'000, 400'000);
  EXPECT_GE(network.plan_node_message(0, 1, 0).delay_us[0], 400'000);
  EXPECT_GE(network.plan_node_message(2, 0, 999'999).delay_us[0], 400'000);
  EXPECT_LT(network.plan_node_message(0, 1, 1'000'000).delay_us[0], 400'000);
  EXPECT_LT(network.plan_node_message(1, 2, 0).delay_us[0], 400'000);
}

TEST(SimNetwork, LossAndDuplicationHappenAtRoughlyTheirRates) {
  NetworkProfile profile;
  profile.loss_probability = 0.2;
  profile.duplicate_probability = 0.1;
  Network network = make_network(2, profile);
  int lost = 0, duplicated = 0;
  const int trials = 20000;
  for (int i = 0; i < trials; ++i) {
    const DeliveryPlan plan = network.plan_node_message(0, 1, 0);
    lost += plan.copies == 0;
    duplicated += plan.copies == 2;
  }
  EXPECT_NEAR(lost / static_cast<double>(trials), 0.2, 0.02);
  EXPECT_NEAR(duplicated / static_cast<double>(trials), 0.08, 0.02);  // 0.1 of those not lost
}

TEST(SimNetwork, ClientTrafficIgnoresPartitions) {
  Network network = make_network(3);
  network.isolate(0);
  EXPECT_EQ(network.plan_client_message(0).copies, 1);
}

TEST(SimPrng, SameSeedSameStreamAndBoundsHold) {
  Prng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= x != c.next_u64();
    const int64_t v = a.uniform_int(-3, 3);
    b.uniform_int(-3, 3);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
  EXPECT_TRUE(differs);
}

TEST(SimEventLoop, RunsInTimeThenInsertionOrder) {
  EventLoop loop;
  loop.schedule_at(20, EventKind::kTick, 1, 0);
  loop.schedule_at(10, EventKind::kTick, 2, 0);
  loop.schedule_at(20, EventKind::kTick, 3, 0);
  loop.schedule_at(10, EventKind::kTick, 4, 0);
  std::vector<uint32_t> order;
  Event event;
  while (loop.pop_next(100, event)) order.push_back(event.target);
  EXPECT_EQ(order, (std::vector<uint32_t>{2, 4, 1, 3}));
  EXPECT_EQ(loop.now_us(), 20);
}

TEST(SimEventLoop, StopsAtTheHorizon) {
  EventLoop loop;
  loop.schedule_at(50, EventKind::kTick, 0, 0);
  Event event;
  EXPECT_FALSE(loop.pop_next(49, event));
  EXPECT_TRUE(loop.pop_next(50, event));
}

}  // namespace
}  // namespace warden::sim
