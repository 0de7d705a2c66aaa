// mysqlctl/agent_loop: the agent's sequence of probes, reads and actions,
// against a scripted world (a small in-memory namespace with sessions, a
// clock, and MySQL actions that answer as told). The rules themselves are
// AgentCore's (tests/mysqlctl_agent_core_test.cc); these tests pin what the
// loop adds: a failover runs under the lock on the session that took it,
// stops once that session is gone, re-reads the primary record under the
// lock, resumes a paused candidate when it stops, and a primary resumes
// only under the lock.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mysqlctl/agent_loop.h"
#include "tests/mysqlctl_topology_fixtures.h"

namespace warden::mysqlctl {
namespace {

constexpr int64_t kWallNow = 1700000000000;
constexpr int64_t kAnHourAgo = kWallNow - 3600000;
constexpr uint64_t kRoundMs = 500;

struct Znode {
  std::string data;
  int32_t version = 0;
  int64_t mtime_ms = 0;
  uint64_t owner = 0;  // session of an ephemeral
};

// The world one agent sees. Callbacks are queued and delivered by advance(),
// never inside the call that asked.
class World : public AgentPorts {
 public:
  uint64_t now = 0;
  uint64_t session = 7;
  std::map<std::string, Znode> znodes;
  ProbeResult local;
  std::map<std::string, ProbeResult> remote;  // by host
  std::vector<std::string> probed;            // hosts, in order
  std::vector<std::string> actions;           // "promote 10.0.0.2", in order
  // Actions named here fail ("promote 10.0.0.2" -> why), and those in
  // failing_once the first time only.
  std::map<std::string, std::string> failing;
  std::map<std::string, std::string> failing_once;
  std::vector<NsRequest> writes;  // creates, setDatas and deletes, in order
  // Runs before each request takes effect: another agent acting just then.
  std::function<void(const NsRequest&)> before_apply;
  std::function<bool(const NsRequest&)> lose_reply;
  AgentLoop* loop = nullptr;

  uint64_t now_ms() const override { return now; }
  int64_t wall_ms() const override { return kWallNow + static_cast<int64_t>(now); }
  void after_ms(uint64_t delay_ms, const char*, std::function<void()> task) override {
    timers_.emplace(now + delay_ms, std::move(task));
  }
  void connect(std::function<void(std::optional<uint64_t>)> done) override {
    ready_.push_back([this, done] { done(session); });
  }
  void submit(NsRequest request, std::function<void(const NsReply&)> done) override {
    NsReply reply = apply(request);
    // Applied, but the answer is lost with the connection.
    if (lose_reply && lose_reply(request)) reply = ns_failure(NsError::kConnectionLoss);
    ready_.push_back([done, reply] { done(reply); });
  }
  // Other servers answer from `remote` (by host), the local one from `local`.
  void probe(const ProbeTarget& server, std::function<void(const ProbeResult&)> done) override {
    probed.push_back(server.host);
    auto it = remote.find(server.host);
    ready_.push_back(
        [this, done, result = it == remote.end() ? local : it->second] { done(result); });
  }
  void act(MysqlAction action, const ProbeTarget& target, const std::optional<ProbeTarget>& source,
           std::function<void(const Result<std::string>&)> done) override {
    std::string line = std::string(mysql_action_name(action)) + " " + target.host;
    if (source) line += " to " + source->host;
    actions.push_back(line);
    auto failure = failing.find(line);
    Result<std::string> result = failure == failing.end()
                                     ? Result<std::string>::success("done")
                                     : Result<std::string>::failure(failure->second);
    if (auto once = failing_once.find(line); once != failing_once.end()) {
      result = Result<std::string>::failure(once->second);
      failing_once.erase(once);
    }
    if (action == MysqlAction::kMakeWritable && result.ok()) local.read_only = false;
    ProbeResult& server = remote.count(target.host) > 0 ? remote[target.host] : local;
    if (server.replication && result.ok()) {
      if (action == MysqlAction::kStopReceiving) server.replication->io_thread_state = "No";
      if (action == MysqlAction::kResumeReplication) {
        server.replication->io_thread_state = "Connecting";
      }
    }
    ready_.push_back([done, result] { done(result); });
  }
  void log(const std::string&) override {}

  // Runs every timer due within `ms`, delivering callbacks as they come.
  void advance(uint64_t ms) {
    const uint64_t until = now + ms;
    drain();
    while (!timers_.empty() && timers_.begin()->first <= until) {
      auto timer = timers_.begin();
      now = timer->first;
      std::function<void()> task = std::move(timer->second);
      timers_.erase(timer);
      task();
      drain();
    }
    now = until;
  }

  // The ensemble expires the current session: its ephemerals go, and the
  // client learns it.
  void expire_session() {
    for (auto it = znodes.begin(); it != znodes.end();) {
      it = it->second.owner == session ? znodes.erase(it) : std::next(it);
    }
    ++session;
    ready_.push_back([this] { loop->on_session_lost(); });
  }

  void put(const std::string& path, const std::string& data, int32_t version = 0) {
    znodes[path] = Znode{data, version, kAnHourAgo, 0};
  }

  // Cluster "main"'s folders and its primary record (if any), written an
  // hour ago.
  void put_layout(const std::optional<PrimaryRecord>& primary) {
    for (const std::string& path :
         {std::string("/warden"), std::string(kMysqlRootPath), cluster_path("main"),
          members_path("main"), maintenance_path("main")}) {
      put(path, "");
    }
    if (primary) put(primary_path("main"), encode_primary(*primary));
  }

  size_t count_writes(NsOp op, const std::string& path) const {
    size_t n = 0;
    for (const NsRequest& r : writes) n += r.op == op && r.path == path;
    return n;
  }

 private:
  NsReply apply(const NsRequest& request) {
    if (before_apply) before_apply(request);
    if (request.session != 0 && request.session != session) {
      return ns_failure(NsError::kSessionExpired);
    }
    NsReply reply;
    auto node = znodes.find(request.path);
    switch (request.op) {
      case NsOp::kCreate:
        writes.push_back(request);
        if (node != znodes.end()) return ns_failure(NsError::kNodeExists);
        znodes[request.path] = Znode{request.data, 0, wall_ms(), request.ephemeral ? session : 0};
        break;
      case NsOp::kSetData:
        writes.push_back(request);
        if (node == znodes.end()) return ns_failure(NsError::kNoNode);
        if (request.version != -1 && request.version != node->second.version) {
          return ns_failure(NsError::kBadVersion);
        }
        node->second.data = request.data;
        ++node->second.version;
        node->second.mtime_ms = wall_ms();
        break;
      case NsOp::kDelete:
        writes.push_back(request);
        if (node == znodes.end()) return ns_failure(NsError::kNoNode);
        znodes.erase(node);
        break;
      case NsOp::kSync:
        break;
      case NsOp::kGetChildren: {
        if (node == znodes.end()) return ns_failure(NsError::kNoNode);
        const std::string prefix = request.path + "/";
        for (const auto& [path, znode] : znodes) {
          if (path.starts_with(prefix) && path.find('/', prefix.size()) == std::string::npos) {
            reply.children.push_back(path.substr(prefix.size()));
          }
        }
        break;
      }
      case NsOp::kGetData:
      case NsOp::kExists:
        if (node == znodes.end()) return ns_failure(NsError::kNoNode);
        reply.data = node->second.data;
        reply.version = node->second.version;
        reply.mtime_ms = node->second.mtime_ms;
        break;
    }
    return reply;
  }

  void drain() {
    while (!ready_.empty()) {
      std::function<void()> next = std::move(ready_.front());
      ready_.pop_front();
      next();
    }
  }

  std::multimap<uint64_t, std::function<void()>> timers_;
  std::deque<std::function<void()>> ready_;
};

ProbeResult replica_probe(const std::string& position, const std::string& source_host,
                          const std::string& io_state) {
  ProbeResult probe;
  probe.completed = true;
  probe.version = "10.11.6-MariaDB";
  probe.read_only = true;
  probe.gtid_current_pos = position;
  probe.gtid_slave_pos = position;
  ReplicationStatus status;
  status.source_host = source_host;
  status.source_port = 3306;
  status.io_thread_state = io_state;
  status.sql_thread_state = "Yes";
  probe.replication = status;
  return probe;
}

MemberRecord replica_record(const std::string& id, const std::string& position) {
  MemberRecord record;
  record.id = id;
  record.host = "10.0.0." + id.substr(2);
  record.role = MemberRole::kReplica;
  record.gtid_position = position;
  record.healthy = true;
  record.read_only = true;
  record.source_host = "10.0.0.1";
  record.source_port = 3306;
  return record;
}

// The primary db1 (epoch 2) is gone with its member record; db3 received
// less than db2, whose agent is under test: db2 is the candidate.
class AgentLoopFailover : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.put_layout(PrimaryRecord{"db1", 2, "10.0.0.1", 3306, ""});
    world_.put(member_path("main", "db3"), encode_member(replica_record("db3", "0-1-10")));
    world_.local = replica_probe("0-1-12", "10.0.0.1", "Connecting");
    // db3 once the failover stopped its IO thread: what its record said.
    world_.remote["10.0.0.3"] = replica_probe("0-1-10", "10.0.0.1", "No");
    world_.loop = &loop_;
    loop_.start();
  }

  // Until the agent has published its record, seen the primary gone and
  // taken the lock: a few rounds.
  void until_failover_started() {
    for (int i = 0; i < 20 && loop_.counters().failovers_started == 0; ++i)
      world_.advance(kRoundMs);
    ASSERT_EQ(loop_.counters().failovers_started, 1u);
  }

  // The failover stopped: from actions[at] on, every server it stopped
  // replicates again, once each, and nothing was published.
  void expect_stopped_and_resumed(size_t at) {
    ASSERT_GE(world_.actions.size(), at + 2);
    EXPECT_EQ(world_.actions[at], "resume-replication 10.0.0.2");
    EXPECT_EQ(world_.actions[at + 1], "resume-replication 10.0.0.3");
    if (world_.actions.size() > at + 2) {
      EXPECT_NE(world_.actions[at + 2], "resume-replication 10.0.0.2");
    }
    EXPECT_GE(loop_.counters().failovers_stopped, 1u);
    EXPECT_EQ(world_.count_writes(NsOp::kSetData, primary_path("main")), 0u);
  }

  World world_;
  AgentLoop loop_{AgentLoopOptions{.settings = settings_for("db2"),
                                   .server = ProbeTarget{.host = "10.0.0.2", .port = 3306},
                                   .priority = 1,
                                   .probe_interval_ms = kRoundMs,
                                   .distort_input = {}},
                  world_};
};

TEST_F(AgentLoopFailover, RunsThePlanUnderTheLockAndPublishesOnItsSession) {
  until_failover_started();
  const uint64_t lock_session = world_.session;
  world_.advance(20000);
  EXPECT_EQ(world_.actions,
            (std::vector<std::string>{"fence 10.0.0.1", "fence 10.0.0.1", "stop-receiving 10.0.0.2",
                                      "stop-receiving 10.0.0.3", "wait-relay-log-applied 10.0.0.2",
                                      "promote 10.0.0.2", "repoint 10.0.0.3 to 10.0.0.2"}));
  // Each stopped member was read after it stopped.
  EXPECT_EQ(std::count(world_.probed.begin(), world_.probed.end(), "10.0.0.3"), 1);
  EXPECT_EQ(loop_.counters().failovers_published, 1u);
  const std::string path = primary_path("main");
  ASSERT_EQ(world_.count_writes(NsOp::kSetData, path), 1u);
  for (const NsRequest& write : world_.writes) {
    if (write.path == path || write.path == failover_lock_path("main")) {
      EXPECT_EQ(write.session, lock_session) << ns_op_name(write.op) << " " << write.path;
    }
  }
  Result<PrimaryRecord> published = decode_primary(world_.znodes.at(path).data);
  ASSERT_TRUE(published.ok());
  EXPECT_EQ(published.value().member_id, "db2");
  EXPECT_EQ(published.value().epoch, 3u);
  EXPECT_EQ(world_.znodes.count(failover_lock_path("main")), 0u);
}

TEST_F(AgentLoopFailover, RecordsTheEpochItFollowsInItsRosterEntry) {
  world_.advance(2 * kRoundMs);
  const std::string entry = roster_member_path("main", "db2");
  ASSERT_EQ(world_.znodes.count(entry), 1u);
  Result<RosterEntry> decoded = decode_roster_entry(world_.znodes.at(entry).data);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().following_epoch, 2u);
}

// A member that followed the failed primary and is gone may hold its
// acknowledged commits: no failover without it, until it is put into
// maintenance.
TEST_F(AgentLoopFailover, WaitsForARosterMemberThatFollowedTheFailedPrimary) {
  world_.put(roster_member_path("main", "db4"), encode_roster_entry({.following_epoch = 2}));
  world_.advance(10000);
  EXPECT_EQ(loop_.counters().failovers_started, 0u);
  EXPECT_TRUE(world_.actions.empty());
  world_.put(maintenance_member_path("main", "db4"), "");
  world_.advance(10000);
  EXPECT_EQ(loop_.counters().failovers_published, 1u);
}

// `warden sim --workload mysql`, seed 222: an executor that lost its session
// (and the lock with it) during the lease wait went on, promoted, and
// published over a primary that had resumed.
TEST_F(AgentLoopFailover, StopsOnceTheSessionHoldingTheLockIsGone) {
  until_failover_started();
  world_.advance(1000);  // in the lease wait
  world_.expire_session();
  world_.advance(8000);
  // Stopped before the second fence; then, on its new session, the agent
  // plans again from the start.
  EXPECT_EQ(loop_.counters().failovers_stopped, 1u);
  ASSERT_GE(world_.actions.size(), 2u);
  EXPECT_EQ(world_.actions[0], "fence 10.0.0.1");
  EXPECT_EQ(world_.actions[1], "fence 10.0.0.1");  // the new failover's first
  EXPECT_EQ(loop_.counters().failovers_started, 2u);
  world_.advance(20000);
  EXPECT_EQ(loop_.counters().failovers_published, 1u);
  for (const NsRequest& write : world_.writes) {
    if (write.op == NsOp::kSetData && write.path == primary_path("main")) {
      EXPECT_EQ(write.session, world_.session);
    }
  }
}

// `warden sim --workload mysql`, seed 48: a promotion that failed after the
// relay-log wait left the candidate's IO thread stopped.
TEST_F(AgentLoopFailover, AFailedPromotionResumesTheCandidatesReplication) {
  world_.failing["promote 10.0.0.2"] = "promote: lost connection";
  until_failover_started();
  world_.advance(9500);
  ASSERT_GE(world_.actions.size(), 6u);
  EXPECT_EQ(world_.actions[5], "promote 10.0.0.2");
  // It tries again (and fails again): never published.
  expect_stopped_and_resumed(6);
}

// `warden sim --workload mysql`, seed 276: an old primary whose agent is
// gone is fenced by nobody else; a fence that lost its connection is tried
// again, one refused (a killed mysqld) is not.
TEST_F(AgentLoopFailover, AFenceThatFailedFastIsTriedAgain) {
  world_.failing_once["fence 10.0.0.1"] = "fence: Lost connection to server during query (2013)";
  until_failover_started();
  world_.advance(20000);
  ASSERT_GE(world_.actions.size(), 4u);
  EXPECT_EQ(world_.actions[0], "fence 10.0.0.1");
  EXPECT_EQ(world_.actions[1], "fence 10.0.0.1");  // again, before the lease wait
  EXPECT_EQ(world_.actions[2], "fence 10.0.0.1");  // after it
  EXPECT_EQ(world_.actions[3], "stop-receiving 10.0.0.2");
  EXPECT_EQ(loop_.counters().failovers_published, 1u);
}

TEST_F(AgentLoopFailover, AFenceRefusedByADownServerIsNotTriedAgain) {
  world_.failing["fence 10.0.0.1"] =
      "fence: 10.0.0.1:3306: cannot connect: Can't connect to server on '10.0.0.1' (111) (MySQL "
      "error 2002)";
  until_failover_started();
  world_.advance(20000);
  ASSERT_GE(world_.actions.size(), 3u);
  EXPECT_EQ(world_.actions[0], "fence 10.0.0.1");
  EXPECT_EQ(world_.actions[1], "fence 10.0.0.1");  // after the lease wait
  EXPECT_EQ(world_.actions[2], "stop-receiving 10.0.0.2");
}

// `warden sim --workload mysql --overlapping-faults`, seeds 82, 89, 138,
// 182: db3's record was a probe interval old; it went on receiving the old
// primary's tail and acknowledged commits db2 lacks. Stopped and read, it
// shows them: this failover stops and everyone replicates again.
TEST_F(AgentLoopFailover, AReplicaThatReceivedMoreOnceStoppedStopsTheFailover) {
  world_.put(roster_member_path("main", "db3"), encode_roster_entry({.following_epoch = 2}));
  world_.remote["10.0.0.3"].replication->received_gtid = "0-1-13";
  until_failover_started();
  world_.advance(9500);
  ASSERT_GE(world_.actions.size(), 4u);
  EXPECT_EQ(world_.actions[3], "stop-receiving 10.0.0.3");
  // It plans again on the same records (db3's agent would publish what it
  // received) and stops again: never published.
  expect_stopped_and_resumed(4);
}

// A member that may hold acknowledged commits and cannot be read once
// stopped is as unknown as one without a record.
TEST_F(AgentLoopFailover, ARosterMemberUnreadableOnceStoppedStopsTheFailover) {
  world_.put(roster_member_path("main", "db3"), encode_roster_entry({.following_epoch = 2}));
  ProbeResult unreachable;
  unreachable.error = "timed out after 1000 ms reading 10.0.0.3:3306";
  world_.remote["10.0.0.3"] = unreachable;
  until_failover_started();
  world_.advance(9500);
  EXPECT_GE(loop_.counters().failovers_stopped, 1u);
  EXPECT_EQ(world_.count_writes(NsOp::kSetData, primary_path("main")), 0u);
  EXPECT_EQ(std::count(world_.actions.begin(), world_.actions.end(), "promote 10.0.0.2"), 0);
}

// The answer to the lock's delete was lost, the delete was not: the session
// lives on, and a lock left behind would hold every failover off for good
// (overlapping seed 386). Deleted again while it is still this member's.
TEST_F(AgentLoopFailover, ALockWhoseDeleteWasNotAnsweredIsDeletedAgain) {
  world_.failing["promote 10.0.0.2"] = "promote: lost connection";
  int lost = 0;
  world_.lose_reply = [&lost, this](const NsRequest& request) {
    if (request.op != NsOp::kDelete || request.path != failover_lock_path("main")) return false;
    if (lost++ > 0) return false;
    // The delete never reached the ensemble: the lock stays.
    world_.put(failover_lock_path("main"), "db2");
    return true;
  };
  until_failover_started();
  world_.advance(9500);
  EXPECT_GE(loop_.counters().failovers_stopped, 1u);
  EXPECT_GE(world_.count_writes(NsOp::kDelete, failover_lock_path("main")), 2u);
  // Every later attempt could take the lock again.
  EXPECT_GE(loop_.counters().failovers_started, 2u);
}

// Refused by a server that replicates from nobody, a stop still leaves a
// member that receives nothing (overlapping seed 45); one whose IO thread
// still runs is not stopped and counts as unread.
TEST_F(AgentLoopFailover, WhatCountsIsWhetherTheMemberStillReceives) {
  world_.put(roster_member_path("main", "db3"), encode_roster_entry({.following_epoch = 2}));
  world_.remote["10.0.0.3"].replication.reset();
  world_.failing["stop-receiving 10.0.0.3"] = "stop receiving: replicates from nobody";
  until_failover_started();
  world_.advance(9500);
  EXPECT_EQ(loop_.counters().failovers_published, 1u);
}

TEST_F(AgentLoopFailover, AMemberStillReceivingStopsTheFailover) {
  world_.put(roster_member_path("main", "db3"), encode_roster_entry({.following_epoch = 2}));
  world_.remote["10.0.0.3"].replication->io_thread_state = "Yes";
  world_.failing["stop-receiving 10.0.0.3"] = "stop receiving: Lost connection (2013)";
  until_failover_started();
  world_.advance(9500);
  EXPECT_GE(loop_.counters().failovers_stopped, 1u);
  EXPECT_EQ(loop_.counters().failovers_published, 0u);
}

// A failover that ran between this plan's read and this lock changed the
// primary record: this plan must not undo it.
TEST_F(AgentLoopFailover, AChangedPrimaryRecordStopsThePlanUnderTheLock) {
  // Another agent published (a version bump) just before this one's lock.
  world_.before_apply = [this](const NsRequest& request) {
    if (request.op == NsOp::kCreate && request.path == failover_lock_path("main")) {
      world_.znodes.at(primary_path("main")).version = 5;
      world_.before_apply = {};
    }
  };
  until_failover_started();
  world_.advance(100);
  EXPECT_TRUE(world_.actions.empty());
  EXPECT_EQ(loop_.counters().failovers_stopped, 1u);
  EXPECT_EQ(world_.znodes.count(failover_lock_path("main")), 0u);
}

// A restarted primary resumes only under the failover lock, with the primary
// record unchanged since its view (`warden sim --workload mysql`, seed 397).
class AgentLoopResume : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.put_layout(PrimaryRecord{"db1", 2, "10.0.0.1", 3306, ""});
    MemberRecord follower = replica_record("db2", "0-1-12");
    follower.io_running = false;
    world_.put(member_path("main", "db2"), encode_member(follower));
    // Read-only, replicating from nobody: a restarted primary.
    world_.local = replica_probe("0-1-12", "", "");
    world_.local.replication.reset();
    world_.loop = &loop_;
  }

  World world_;
  AgentLoop loop_{AgentLoopOptions{.settings = settings_for("db1"),
                                   .server = ProbeTarget{.host = "10.0.0.1", .port = 3306},
                                   .priority = 1,
                                   .probe_interval_ms = kRoundMs,
                                   .distort_input = {}},
                  world_};
};

TEST_F(AgentLoopResume, TakesTheLockAroundMakeWritable) {
  loop_.start();
  world_.advance(5000);
  EXPECT_EQ(world_.actions, (std::vector<std::string>{"make-writable 10.0.0.1"}));
  EXPECT_EQ(world_.count_writes(NsOp::kCreate, failover_lock_path("main")), 1u);
  EXPECT_EQ(world_.count_writes(NsOp::kDelete, failover_lock_path("main")), 1u);
  EXPECT_EQ(world_.znodes.count(failover_lock_path("main")), 0u);
}

// A first primary its agent fenced before publishing it: no primary record
// yet, and the resume's re-read must take "none" as unchanged
// (`warden sim --workload mysql`, seed 259).
TEST_F(AgentLoopResume, AFirstPrimaryResumesWithoutAPrimaryRecord) {
  world_.znodes.erase(primary_path("main"));
  MemberRecord streaming = replica_record("db2", "0-1-12");
  streaming.io_running = true;
  world_.put(member_path("main", "db2"), encode_member(streaming));
  loop_.start();
  world_.advance(5000);
  ASSERT_FALSE(world_.actions.empty());
  EXPECT_EQ(world_.actions.front(), "make-writable 10.0.0.1");
}

TEST_F(AgentLoopResume, NotWhileAFailoverHoldsTheLock) {
  // A failover takes the lock after this agent's view, before its own lock.
  world_.before_apply = [this](const NsRequest& request) {
    if (request.op == NsOp::kCreate && request.path == failover_lock_path("main")) {
      world_.znodes[request.path] = Znode{"db2", 0, kWallNow, 99};
    }
  };
  loop_.start();
  world_.advance(5000);
  EXPECT_TRUE(world_.actions.empty());
  EXPECT_GE(world_.count_writes(NsOp::kCreate, failover_lock_path("main")), 1u);
  EXPECT_EQ(world_.count_writes(NsOp::kDelete, failover_lock_path("main")), 0u);
}

}  // namespace
}  // namespace warden::mysqlctl
