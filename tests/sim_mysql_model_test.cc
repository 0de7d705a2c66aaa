// sim/mysql_model: the MariaDB replication model the MySQL workload runs
// the failover decisions against. Each test drives three servers on a
// TaskAgenda of its own and checks one behaviour the failover rules rely
// on: GTID replication in order, semi-synchronous acknowledgement (and its
// fallback), crashes that keep the relay log and drop unacknowledged
// commits, and the failover actions (fence, promote, repoint, the relay-log
// wait).
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <vector>

#include "sim/mysql_model.h"

namespace warden::sim {
namespace {

constexpr int64_t kSecond = 1'000'000;

// Three servers, db1 (index 0) writable and the others replicating from it,
// every commit's outcome recorded.
class MysqlModelTest : public ::testing::Test {
 protected:
  explicit MysqlModelTest(int64_t apply_us = 1'000) {
    MysqlModelConfig config;
    config.min_apply_us = apply_us;
    config.max_apply_us = apply_us;
    config.net_timeout_us = 5 * kSecond;
    model_.emplace(config, agenda_, Prng(7),
                   [this](int, uint64_t write_id, CommitOutcome o) { outcomes_[write_id] = o; });
  }

  MysqlModel& model() { return *model_; }
  void run_for(int64_t duration_us) {
    const int64_t until = agenda_.now_us() + duration_us;
    TaskAgenda::Ran ran;
    while (agenda_.run_next(until, ran)) {
    }
    // Let the clock reach `until` even when nothing happens meanwhile.
    agenda_.at(until, "test-tick", 0, [] {});
    while (agenda_.run_next(until, ran)) {
    }
  }
  std::optional<CommitOutcome> outcome(uint64_t write_id) const {
    auto found = outcomes_.find(write_id);
    if (found == outcomes_.end()) return std::nullopt;
    return found->second;
  }
  void cut(int a, int b) {
    model().set_link(a, b, false);
    model().set_link(b, a, false);
  }
  void heal(int a, int b) {
    model().set_link(a, b, true);
    model().set_link(b, a, true);
  }

  TaskAgenda agenda_;
  std::optional<MysqlModel> model_;
  std::map<uint64_t, CommitOutcome> outcomes_;
};

// Replicas whose SQL thread is slow, so that relay logs hold a backlog.
class SlowReplicaTest : public MysqlModelTest {
 protected:
  SlowReplicaTest() : MysqlModelTest(200'000) {}
};

TEST_F(MysqlModelTest, ReplicasApplyThePrimarysTransactionsInOrder) {
  model().bootstrap(0);
  run_for(kSecond / 10);
  for (uint64_t w = 1; w <= 5; ++w) model().commit(0, w);
  run_for(kSecond);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(model().position(s).format(), "0-1-5") << s;
    for (uint64_t w = 1; w <= 5; ++w) EXPECT_TRUE(model().has_write(s, w)) << s << " " << w;
  }
  EXPECT_EQ(model().server(1).binlog, model().server(0).binlog);
  const mysqlctl::ProbeResult probe = model().probe(1);
  ASSERT_TRUE(probe.replication);
  EXPECT_EQ(probe.replication->io_thread_state, "Yes");
  EXPECT_EQ(probe.replication->source_host, "10.0.0.1");
  EXPECT_TRUE(model().streams_from(1, 0));
  // A replica refuses clients' commits: it is read-only.
  model().commit(1, 6);
  EXPECT_EQ(outcome(6), CommitOutcome::kReadOnly);
}

TEST_F(MysqlModelTest, ACommitIsAcknowledgedOnlyOnceAReplicaHasIt) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());  // never falls back from now on
  run_for(kSecond / 10);
  cut(0, 1);
  cut(0, 2);
  model().commit(0, 1);
  run_for(30 * kSecond);
  // In the binlog at once (AFTER_SYNC), acknowledged to nobody.
  EXPECT_TRUE(model().has_write(0, 1));
  EXPECT_FALSE(outcome(1));
  EXPECT_FALSE(model().can_acknowledge(0));
  heal(0, 2);
  run_for(2 * kSecond);
  EXPECT_EQ(outcome(1), CommitOutcome::kAcknowledged);
  EXPECT_TRUE(model().can_acknowledge(0));
  EXPECT_EQ(model().probe(0).semi_sync_source_clients, 1u);
}

TEST_F(MysqlModelTest, WithMyCnfsTimeoutACommitNobodyAcknowledgesFallsBack) {
  model().bootstrap(0);
  run_for(kSecond / 10);
  EXPECT_TRUE(model().can_acknowledge(0));  // may fall back: it can alone
  cut(0, 1);
  cut(0, 2);
  model().commit(0, 1);
  run_for(9 * kSecond);
  EXPECT_FALSE(outcome(1));
  run_for(2 * kSecond);
  EXPECT_EQ(outcome(1), CommitOutcome::kAcknowledged);
  EXPECT_EQ(model().probe(0).semi_sync_source_active, false);
}

TEST_F(SlowReplicaTest, ACrashedReplicaKeepsItsRelayLogAndAppliesItAfterRestart) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());
  run_for(kSecond / 10);
  for (uint64_t w = 1; w <= 10; ++w) model().commit(0, w);
  run_for(kSecond / 10);  // received by now, far from applied
  ASSERT_EQ(model().server(1).relay_log.size() + model().server(1).binlog.size(), 10u);
  ASSERT_GT(model().server(1).relay_log.size(), 5u);
  EXPECT_EQ(outcome(10), CommitOutcome::kAcknowledged);
  const size_t relay = model().server(1).relay_log.size();
  model().crash(1);
  model().crash(0);  // the source is gone too: only the relay log has them
  EXPECT_EQ(model().server(1).relay_log.size(), relay);
  model().restart(1);
  EXPECT_TRUE(model().server(1).read_only);
  run_for(10 * kSecond);
  for (uint64_t w = 1; w <= 10; ++w) EXPECT_TRUE(model().has_write(1, w)) << w;
  EXPECT_EQ(model().probe(1).replication->io_thread_state, "Connecting");
}

TEST_F(MysqlModelTest, ACrashedPrimaryDropsWhatNoReplicaAcknowledged) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());
  run_for(kSecond / 10);
  model().commit(0, 1);
  run_for(kSecond);
  ASSERT_EQ(outcome(1), CommitOutcome::kAcknowledged);
  cut(0, 1);
  cut(0, 2);
  model().commit(0, 2);
  model().crash(0);
  EXPECT_EQ(outcome(2), CommitOutcome::kKilled);
  model().restart(0);
  // init_rpl_role=SLAVE: 0-1-2 never reached the engine and is gone.
  EXPECT_EQ(model().position(0).format(), "0-1-1");
  EXPECT_FALSE(model().has_write(0, 2));
  EXPECT_TRUE(model().server(0).read_only);
}

TEST_F(SlowReplicaTest, PromoteWithoutTheRelayWaitLosesTheRelayLog) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());
  run_for(kSecond / 10);
  for (uint64_t w = 1; w <= 10; ++w) model().commit(0, w);
  run_for(kSecond / 10);
  model().crash(0);
  ASSERT_TRUE(model().promote(1).ok());
  EXPECT_FALSE(model().server(1).read_only);
  EXPECT_TRUE(model().server(1).relay_log.empty());
  EXPECT_FALSE(model().has_write(1, 10));
}

TEST_F(SlowReplicaTest, TheRelayWaitAppliesEverythingReceived) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());
  run_for(kSecond / 10);
  for (uint64_t w = 1; w <= 10; ++w) model().commit(0, w);
  run_for(kSecond / 10);
  model().crash(0);
  const mysqlctl::Result<std::string> received = model().stop_io_for_relay_wait(1);
  ASSERT_TRUE(received.ok()) << received.error();
  EXPECT_EQ(received.value(), "0-1-10");
  EXPECT_FALSE(model().relay_log_applied(1));
  run_for(5 * kSecond);
  EXPECT_TRUE(model().relay_log_applied(1));
  EXPECT_EQ(model().relay_wait_failure(1), "");
  ASSERT_TRUE(model().promote(1).ok());
  for (uint64_t w = 1; w <= 10; ++w) EXPECT_TRUE(model().has_write(1, w)) << w;
  // A server replicating from nobody has no relay log to wait for.
  EXPECT_FALSE(model().stop_io_for_relay_wait(1).ok());
}

TEST_F(MysqlModelTest, AFenceKillsWaitingCommitsAndKeepsThemInTheBinlog) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());
  run_for(kSecond / 10);
  cut(0, 1);
  cut(0, 2);
  model().commit(0, 1);
  const mysqlctl::Result<std::string> fenced = model().fence(0);
  ASSERT_TRUE(fenced.ok());
  EXPECT_EQ(fenced.value(), "read_only on, 1 client connections killed");
  EXPECT_EQ(outcome(1), CommitOutcome::kKilled);
  EXPECT_TRUE(model().has_write(0, 1));
  EXPECT_FALSE(model().can_acknowledge(0));
  model().commit(0, 2);
  EXPECT_EQ(outcome(2), CommitOutcome::kReadOnly);
}

TEST_F(MysqlModelTest, ADivergedReplicaIsRefusedWithError1236) {
  model().bootstrap(0);
  ASSERT_TRUE(model().promote(0).ok());
  run_for(kSecond / 10);
  model().commit(0, 1);
  run_for(kSecond);
  // db1 commits 0-1-2 that no replica gets; db2 is promoted and writes 0-2-2.
  cut(0, 1);
  cut(0, 2);
  model().commit(0, 2);
  ASSERT_TRUE(model().fence(0).ok());
  ASSERT_TRUE(model().stop_io_for_relay_wait(1).ok());
  ASSERT_TRUE(model().promote(1).ok());
  ASSERT_TRUE(model().repoint(2, 1).ok());
  model().commit(1, 3);
  heal(0, 1);
  heal(0, 2);
  run_for(kSecond);
  EXPECT_EQ(outcome(3), CommitOutcome::kAcknowledged);
  EXPECT_TRUE(model().streams_from(2, 1));
  // The old primary asks the new one for what follows 0-1-2: not there.
  ASSERT_TRUE(model().repoint(0, 1).ok());
  run_for(kSecond);
  EXPECT_EQ(model().server(0).io, IoState::kFailed);
  const mysqlctl::ProbeResult probe = model().probe(0);
  EXPECT_EQ(probe.replication->io_thread_state, "No");
  EXPECT_NE(probe.replication->last_io_error.find("1236"), std::string::npos);
}

TEST_F(MysqlModelTest, ACutLinkIsNoticedOnlyAfterTheNetTimeout) {
  model().bootstrap(0);
  run_for(kSecond / 10);
  cut(0, 1);
  run_for(4 * kSecond);
  EXPECT_EQ(model().probe(1).replication->io_thread_state, "Yes");
  EXPECT_FALSE(model().streams_from(1, 0));
  run_for(2 * kSecond);
  EXPECT_EQ(model().probe(1).replication->io_thread_state, "Connecting");
  heal(0, 1);
  run_for(2 * kSecond);
  EXPECT_TRUE(model().streams_from(1, 0));
  // A crashed source is noticed at once.
  model().crash(0);
  EXPECT_EQ(model().probe(2).replication->io_thread_state, "Connecting");
}

}  // namespace
}  // namespace warden::sim
