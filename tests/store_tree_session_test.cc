// Sessions (create, close with their ephemerals, duplicate requests) and the
// nodes the leader removes on its own (containers and TTL nodes).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "store/stat.h"
#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

using tree_test::create_container_op;
using tree_test::create_op;
using tree_test::create_ttl_op;
using tree_test::delete_op;
using tree_test::kStartTimeMs;
using tree_test::set_data_op;
using tree_test::TreeHarness;

using Triggers = std::vector<WatchTrigger>;

TEST(TreeSession, CreateSessionIdIsItsZxid) {
  TreeHarness h;
  const int64_t zxid = static_cast<int64_t>(h.next_index());
  const SessionId s = h.open_session({}, 4000);
  EXPECT_EQ(s, zxid);
  const SessionInfo* info = h.state().session(s);
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->timeout_ms, 4000);
  EXPECT_EQ(info->last_request_id, 0u);
  const SessionId t = h.open_session();
  EXPECT_EQ(t, zxid + 1);
  EXPECT_EQ(h.state().sessions().size(), 2u);
}

TEST(TreeSession, CloseDeletesExactlyTheSessionsEphemerals) {
  TreeHarness h;
  const SessionId a = h.open_session();
  const SessionId b = h.open_session();
  ASSERT_EQ(h.error(a, create_op("/p")), ErrorCode::kOk);
  ASSERT_EQ(h.error(a, create_op("/p/a2", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  ASSERT_EQ(h.error(a, create_op("/a1", "", CreateMode::kEphemeralSequential)), ErrorCode::kOk);
  ASSERT_EQ(h.error(a, create_op("/persistent")), ErrorCode::kOk);
  ASSERT_EQ(h.error(b, create_op("/p/b1", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  ASSERT_EQ(h.state().tree().ephemerals_of(a), (std::set<std::string>{"/a10000000001", "/p/a2"}));
  const Stat p_before = h.stat("/p");

  const int64_t zxid = static_cast<int64_t>(h.next_index());
  const ApplyResult result = h.run(h.close(a));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  ASSERT_EQ(result.results.size(), 1u);
  EXPECT_EQ(result.results[0].op, OpCode::kCloseSession);
  // In path order, each with its parent's event.
  EXPECT_EQ(result.triggers, (Triggers{{EventType::kNodeDeleted, "/a10000000001"},
                                       {EventType::kNodeChildrenChanged, "/"},
                                       {EventType::kNodeDeleted, "/p/a2"},
                                       {EventType::kNodeChildrenChanged, "/p"}}));
  EXPECT_FALSE(h.exists("/a10000000001"));
  EXPECT_FALSE(h.exists("/p/a2"));
  EXPECT_TRUE(h.exists("/p"));
  EXPECT_TRUE(h.exists("/persistent"));
  EXPECT_TRUE(h.exists("/p/b1"));
  EXPECT_EQ(h.state().session(a), nullptr);
  EXPECT_NE(h.state().session(b), nullptr);
  EXPECT_TRUE(h.state().tree().ephemerals_of(a).empty());
  EXPECT_EQ(h.state().tree().ephemerals_of(b), std::set<std::string>{"/p/b1"});
  Stat p_after = p_before;
  p_after.num_children = 1;
  p_after.pzxid = zxid;
  EXPECT_EQ(h.stat("/p"), p_after);
}

TEST(TreeSession, CloseWithoutEphemeralsChangesNoNode) {
  TreeHarness h;
  const SessionId a = h.open_session();
  ASSERT_EQ(h.error(a, create_op("/x")), ErrorCode::kOk);
  const uint64_t tree_before = h.state().tree().state_hash();
  const ApplyResult result = h.run(h.close(a));
  EXPECT_EQ(result.error, ErrorCode::kOk);
  EXPECT_TRUE(result.triggers.empty());
  EXPECT_EQ(h.state().tree().state_hash(), tree_before);
  EXPECT_TRUE(h.state().sessions().empty());
}

TEST(TreeSession, CloseSeesEphemeralsOfPendingTxns) {
  TreeHarness h;
  const SessionId a = h.open_session();
  const SessionId b = h.open_session();
  ASSERT_EQ(h.error(a, create_op("/old", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  ASSERT_EQ(h.error(a, create_op("/gone", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  // Pending when the close is prepared: two new ephemerals of a, one of them
  // under a new parent; b deletes one of a's applied ephemerals.
  const std::vector<std::optional<ApplyResult>> results = h.run_pipelined({
      h.request(a, create_op("/new", "", CreateMode::kEphemeral)),
      h.request(a, create_op("/dir")),
      h.request(a, create_op("/dir/e-", "", CreateMode::kEphemeralSequential)),
      h.request(b, delete_op("/gone")),
      h.close(a),
      h.request(a, create_op("/late", "", CreateMode::kEphemeral)),
  });
  ASSERT_EQ(results.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(results[i]->error, ErrorCode::kOk) << i;
  EXPECT_EQ(results[5]->error, ErrorCode::kSessionExpired);
  EXPECT_EQ(results[4]->triggers, (Triggers{{EventType::kNodeDeleted, "/dir/e-0000000000"},
                                            {EventType::kNodeChildrenChanged, "/dir"},
                                            {EventType::kNodeDeleted, "/new"},
                                            {EventType::kNodeChildrenChanged, "/"},
                                            {EventType::kNodeDeleted, "/old"},
                                            {EventType::kNodeChildrenChanged, "/"}}));
  EXPECT_TRUE(h.exists("/dir"));
  EXPECT_EQ(h.stat("/dir").num_children, 0);
  for (const char* path : {"/old", "/gone", "/new", "/dir/e-0000000000", "/late"}) {
    EXPECT_FALSE(h.exists(path)) << path;
  }
  EXPECT_TRUE(h.state().tree().ephemerals().empty());
  // Prep's view agrees: /dir is empty, so it can go at once.
  EXPECT_EQ(h.error(b, delete_op("/dir", 0)), ErrorCode::kOk);
}

TEST(TreeSession, CloseLeavesAnEphemeralThatAnotherSessionRecreated) {
  TreeHarness h;
  const SessionId a = h.open_session();
  const SessionId b = h.open_session();
  ASSERT_EQ(h.error(a, create_op("/lock", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  const std::vector<std::optional<ApplyResult>> results = h.run_pipelined({
      h.request(b, delete_op("/lock")),
      h.request(b, create_op("/lock", "b", CreateMode::kEphemeral)),
      h.close(a),
  });
  for (const auto& result : results) EXPECT_EQ(result->error, ErrorCode::kOk);
  EXPECT_TRUE(results[2]->triggers.empty());
  ASSERT_TRUE(h.exists("/lock"));
  EXPECT_EQ(h.stat("/lock").ephemeral_owner, b);
}

TEST(TreeSession, PrepDropsARepeatedRequest) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const WriteRequest first = h.request(s, create_op("/a"));
  ASSERT_TRUE(h.prepare(first).has_value());
  // A copy while the first is pending, and after it applied.
  EXPECT_FALSE(h.prepare(first).has_value());
  ASSERT_EQ(h.apply_pending().size(), 1u);
  EXPECT_FALSE(h.prepare(first).has_value());
  // An older request id too.
  WriteRequest older = h.request(s, create_op("/b"));
  older.request_id = first.request_id - 1;
  EXPECT_FALSE(h.prepare(older).has_value());
  EXPECT_FALSE(h.exists("/b"));
  // Request ids are per session.
  const SessionId t = h.open_session();
  WriteRequest other = h.request(t, create_op("/c"));
  other.request_id = first.request_id;
  EXPECT_EQ(h.run(other).error, ErrorCode::kOk);
  EXPECT_EQ(h.state().session(s)->last_request_id, first.request_id);
}

TEST(TreeSession, PrepDropsARepeatedRequestThatFailed) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const WriteRequest failing = h.request(s, delete_op("/missing"));
  EXPECT_EQ(h.run(failing).error, ErrorCode::kNoNode);
  EXPECT_FALSE(h.prepare(failing).has_value());
}

TEST(TreeSession, ApplyDropsARepeatedTxn) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/q")), ErrorCode::kOk);
  const std::optional<Txn> txn = h.prepare(h.request(s, set_data_op("/q", "x")));
  ASSERT_TRUE(txn.has_value());
  ASSERT_EQ(h.apply_pending().front().error, ErrorCode::kOk);
  const uint64_t hash = h.state().state_hash();
  const SessionInfo info = *h.state().session(s);

  // A second copy of the txn (same session and request id).
  const ApplyResult again = h.apply_raw(*txn);
  EXPECT_TRUE(again.duplicate);
  EXPECT_TRUE(again.results.empty());
  EXPECT_TRUE(again.triggers.empty());
  EXPECT_EQ(h.state().state_hash(), hash);
  EXPECT_EQ(*h.state().session(s), info);
  EXPECT_EQ(h.stat("/q").version, 1);
  // An older request id of the session.
  Txn older = *txn;
  older.request_id -= 1;
  older.ops[0].data = "older";
  EXPECT_TRUE(h.apply_raw(older).duplicate);
  EXPECT_EQ(h.data("/q"), "x");
  EXPECT_EQ(h.state().state_hash(), hash);
  EXPECT_EQ(h.state().inconsistencies(), 0u);
}

// --- Containers and TTL nodes ---------------------------------------------------

TEST(TreeContainer, DueOnlyAfterItHadAChildAndHasNoneNow) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_container_op("/c")), ErrorCode::kOk);
  EXPECT_EQ(h.state().tree().containers(), std::set<std::string>{"/c"});
  EXPECT_TRUE(h.preparer().nodes_due_for_removal(h.now_ms()).empty());  // never used
  ASSERT_EQ(h.error(s, create_op("/c/x")), ErrorCode::kOk);
  EXPECT_TRUE(h.preparer().nodes_due_for_removal(h.now_ms()).empty());  // in use
  ASSERT_EQ(h.error(s, delete_op("/c/x")), ErrorCode::kOk);
  EXPECT_EQ(h.preparer().nodes_due_for_removal(h.now_ms()), std::vector<std::string>{"/c"});

  const ApplyResult removed = h.run(TreeHarness::delete_container("/c"));
  ASSERT_EQ(removed.error, ErrorCode::kOk);
  EXPECT_EQ(removed.request_op, OpCode::kDeleteContainer);
  EXPECT_EQ(removed.triggers,
            (Triggers{{EventType::kNodeDeleted, "/c"}, {EventType::kNodeChildrenChanged, "/"}}));
  EXPECT_FALSE(h.exists("/c"));
  EXPECT_TRUE(h.state().tree().containers().empty());
  EXPECT_TRUE(h.preparer().nodes_due_for_removal(h.now_ms()).empty());
}

TEST(TreeContainer, DeleteContainerRefusesOtherNodes) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/persistent")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/eph", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_container_op("/full")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/full/kid")), ErrorCode::kOk);
  struct Case {
    const char* path;
    ErrorCode expected;
  };
  for (const Case& c :
       {Case{"/persistent", ErrorCode::kBadVersion}, Case{"/eph", ErrorCode::kBadVersion},
        Case{"/full", ErrorCode::kNotEmpty}, Case{"/none", ErrorCode::kNoNode},
        Case{"/zookeeper", ErrorCode::kBadArguments}}) {
    SCOPED_TRACE(c.path);
    const uint64_t tree_before = h.state().tree().state_hash();
    EXPECT_EQ(h.run(TreeHarness::delete_container(c.path)).error, c.expected);
    EXPECT_EQ(h.state().tree().state_hash(), tree_before);
  }
  // A client may still delete a container the ordinary way.
  ASSERT_EQ(h.error(s, delete_op("/full/kid")), ErrorCode::kOk);
  EXPECT_EQ(h.error(s, delete_op("/full")), ErrorCode::kOk);
}

TEST(TreeContainer, DeleteContainerSeesAPendingChild) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_container_op("/c")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/c/x")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, delete_op("/c/x")), ErrorCode::kOk);
  ASSERT_EQ(h.preparer().nodes_due_for_removal(h.now_ms()), std::vector<std::string>{"/c"});
  // A client creates a child just before the leader's sweep is prepared.
  const std::vector<std::optional<ApplyResult>> results = h.run_pipelined({
      h.request(s, create_op("/c/y")),
      TreeHarness::delete_container("/c"),
  });
  EXPECT_EQ(results[0]->error, ErrorCode::kOk);
  EXPECT_EQ(results[1]->error, ErrorCode::kNotEmpty);
  EXPECT_TRUE(h.exists("/c/y"));
}

TEST(TreeTtl, DueOnceTheTtlHasPassedSinceTheLastChange) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_ttl_op("/t", 1000)), ErrorCode::kOk);
  EXPECT_EQ(h.state().tree().ttl_nodes(), std::set<std::string>{"/t"});
  const int64_t created = h.now_ms();
  TxnPreparer& prep = h.preparer();
  EXPECT_TRUE(prep.nodes_due_for_removal(created + 1000).empty());  // not yet: > ttl
  EXPECT_EQ(prep.nodes_due_for_removal(created + 1001), std::vector<std::string>{"/t"});

  h.advance_ms(600);  // setData renews it
  ASSERT_EQ(h.error(s, set_data_op("/t", "x")), ErrorCode::kOk);
  EXPECT_TRUE(prep.nodes_due_for_removal(created + 1001).empty());
  EXPECT_EQ(prep.nodes_due_for_removal(created + 1601), std::vector<std::string>{"/t"});

  ASSERT_EQ(h.error(s, create_op("/t/kid")), ErrorCode::kOk);  // a child keeps it
  EXPECT_TRUE(prep.nodes_due_for_removal(created + 100000).empty());
  ASSERT_EQ(h.error(s, delete_op("/t/kid")), ErrorCode::kOk);
  EXPECT_EQ(prep.nodes_due_for_removal(created + 100000), std::vector<std::string>{"/t"});

  h.set_now_ms(created + 100000);
  const ApplyResult removed = h.run(TreeHarness::delete_container("/t"));
  EXPECT_EQ(removed.error, ErrorCode::kOk);
  EXPECT_FALSE(h.exists("/t"));
  EXPECT_TRUE(h.state().tree().ttl_nodes().empty());
}

TEST(TreeTtl, DeleteContainerOfALiveTtlNodeFails) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_ttl_op("/t", 60000)), ErrorCode::kOk);
  h.advance_ms(10);
  EXPECT_NE(h.run(TreeHarness::delete_container("/t")).error, ErrorCode::kOk);
  EXPECT_TRUE(h.exists("/t"));
}

TEST(TreeTtl, SequentialTtlNodesAreSweptToo) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const ApplyResult created =
      h.run(s, create_ttl_op("/t-", 50, CreateMode::kPersistentSequentialWithTtl));
  ASSERT_EQ(created.error, ErrorCode::kOk);
  EXPECT_EQ(created.results[0].path, "/t-0000000000");
  EXPECT_EQ(h.preparer().nodes_due_for_removal(kStartTimeMs + 51),
            std::vector<std::string>{"/t-0000000000"});
}

}  // namespace
}  // namespace warden::store
