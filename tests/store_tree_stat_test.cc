// Stat bookkeeping, sequential names and watch triggers, as ZooKeeper 3.8
// keeps them, checked through the whole prepare -> apply pipeline.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/path.h"
#include "store/stat.h"
#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

using tree_test::check_op;
using tree_test::create_container_op;
using tree_test::create_op;
using tree_test::create_ttl_op;
using tree_test::delete_op;
using tree_test::kStartTimeMs;
using tree_test::set_acl_op;
using tree_test::set_data_op;
using tree_test::TreeHarness;

TEST(TreeStat, StartsWithRootAndZookeeperNodes) {
  TreeHarness h;
  ASSERT_TRUE(h.exists("/"));
  ASSERT_TRUE(h.exists("/zookeeper"));
  EXPECT_EQ(h.state().exists("/").error, ErrorCode::kOk);
  EXPECT_EQ(h.state().exists("/zookeeper").error, ErrorCode::kOk);
  EXPECT_EQ(h.state().get_children("/", {}).children, std::vector<std::string>{"zookeeper"});
  EXPECT_EQ(h.state().get_children("/zookeeper", {}).children,
            (std::vector<std::string>{"config", "quota"}));
  Stat root;
  root.num_children = 1;
  EXPECT_EQ(h.stat("/"), root);
  EXPECT_EQ(h.state().tree().find("/")->acl(), open_acl());
  EXPECT_EQ(h.state().tree().find("/zookeeper/config")->acl(), read_only_acl());
}

TEST(TreeStat, CreateSetsEveryField) {
  TreeHarness h;
  const SessionId s = h.open_session();
  h.set_now_ms(kStartTimeMs + 1234);
  const int64_t zxid = static_cast<int64_t>(h.next_index());
  const ApplyResult result = h.run(s, create_op("/a", "hello"));
  ASSERT_EQ(result.error, ErrorCode::kOk);

  Stat expected;
  expected.czxid = expected.mzxid = expected.pzxid = zxid;
  expected.ctime_ms = expected.mtime_ms = kStartTimeMs + 1234;
  expected.data_length = 5;
  EXPECT_EQ(h.stat("/a"), expected);
  EXPECT_EQ(h.data("/a"), "hello");

  ASSERT_EQ(result.results.size(), 1u);
  EXPECT_EQ(result.results[0].op, OpCode::kCreate);
  EXPECT_EQ(result.results[0].path, "/a");
  EXPECT_EQ(result.results[0].stat, expected);
  EXPECT_EQ(result.zxid, zxid);
  EXPECT_EQ(result.session, s);
}

TEST(TreeStat, ChildCreateBumpsParentCversionAndPzxid) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/p", "x")), ErrorCode::kOk);
  const Stat before = h.stat("/p");

  const int64_t first = static_cast<int64_t>(h.next_index());
  ASSERT_EQ(h.error(s, create_op("/p/c1")), ErrorCode::kOk);
  Stat after_one = before;
  after_one.cversion = 1;
  after_one.pzxid = first;
  after_one.num_children = 1;
  EXPECT_EQ(h.stat("/p"), after_one);

  const int64_t second = static_cast<int64_t>(h.next_index());
  ASSERT_EQ(h.error(s, create_op("/p/c2")), ErrorCode::kOk);
  Stat after_two = after_one;
  after_two.cversion = 2;
  after_two.pzxid = second;
  after_two.num_children = 2;
  EXPECT_EQ(h.stat("/p"), after_two);
  // mzxid and mtime follow setData only.
  EXPECT_EQ(h.stat("/p").mzxid, before.mzxid);
}

TEST(TreeStat, ChildDeleteSetsPzxidAndKeepsCversion) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/p")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/p/c1")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/p/c2")), ErrorCode::kOk);
  const Stat before = h.stat("/p");
  ASSERT_EQ(before.cversion, 2);

  const int64_t zxid = static_cast<int64_t>(h.next_index());
  const ApplyResult result = h.run(s, delete_op("/p/c1"));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  EXPECT_FALSE(h.exists("/p/c1"));
  Stat expected = before;
  expected.pzxid = zxid;
  expected.num_children = 1;  // cversion stays 2: ZooKeeper 3.8 counts creates only
  EXPECT_EQ(h.stat("/p"), expected);
  EXPECT_EQ(h.state().get_children("/p", {}).children, std::vector<std::string>{"c2"});
  ASSERT_EQ(result.results.size(), 1u);
  EXPECT_EQ(result.results[0].op, OpCode::kDelete);
}

TEST(TreeStat, SetDataChangesVersionMzxidMtimeAndLengthOnly) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/a", "one")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/a/kid")), ErrorCode::kOk);
  const Stat before = h.stat("/a");

  h.advance_ms(500);
  const int64_t zxid = static_cast<int64_t>(h.next_index());
  const ApplyResult result = h.run(s, set_data_op("/a", "three", 0));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  Stat expected = before;
  expected.version = 1;
  expected.mzxid = zxid;
  expected.mtime_ms = h.now_ms();
  expected.data_length = 5;
  EXPECT_EQ(h.stat("/a"), expected);
  EXPECT_EQ(h.data("/a"), "three");
  ASSERT_EQ(result.results.size(), 1u);
  EXPECT_EQ(result.results[0].stat, expected);

  ASSERT_EQ(h.error(s, set_data_op("/a", "", 1)), ErrorCode::kOk);
  EXPECT_EQ(h.stat("/a").version, 2);
  EXPECT_EQ(h.stat("/a").data_length, 0);
  EXPECT_EQ(h.stat("/a").ctime_ms, before.ctime_ms);
  EXPECT_EQ(h.stat("/a").czxid, before.czxid);
}

TEST(TreeStat, SetAclChangesAversionOnly) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/a", "d")), ErrorCode::kOk);
  const Stat before = h.stat("/a");
  h.advance_ms(10);
  const ApplyResult result = h.run(s, set_acl_op("/a", read_only_acl(), 0));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  Stat expected = before;
  expected.aversion = 1;
  EXPECT_EQ(h.stat("/a"), expected);
  EXPECT_EQ(h.state().tree().find("/a")->acl(), read_only_acl());
  ASSERT_EQ(result.results.size(), 1u);
  EXPECT_EQ(result.results[0].op, OpCode::kSetAcl);
  EXPECT_EQ(result.results[0].stat, expected);
}

struct OwnerCase {
  const char* name;
  WriteOp op;
  bool session_owned;   // ephemeralOwner is the creating session
  int64_t fixed_owner;  // otherwise this
};

TEST(TreeStat, EphemeralOwnerEncodesTheNodeKind) {
  const std::vector<OwnerCase> cases = {
      {"persistent", create_op("/n"), false, 0},
      {"persistent sequential", create_op("/n", "", CreateMode::kPersistentSequential), false, 0},
      {"ephemeral", create_op("/n", "", CreateMode::kEphemeral), true, 0},
      {"ephemeral sequential", create_op("/n", "", CreateMode::kEphemeralSequential), true, 0},
      {"container", create_container_op("/n"), false, INT64_MIN},
      {"ttl", create_ttl_op("/n", 5000), false, static_cast<int64_t>((0xffull << 56) | 5000ull)},
      {"ttl sequential", create_ttl_op("/n", 1, CreateMode::kPersistentSequentialWithTtl), false,
       static_cast<int64_t>((0xffull << 56) | 1ull)},
      {"ttl max", create_ttl_op("/n", 0xffffffffffll), false,
       static_cast<int64_t>(0xff0000ffffffffffull)},
  };
  for (const OwnerCase& c : cases) {
    SCOPED_TRACE(c.name);
    TreeHarness h;
    const SessionId s = h.open_session();
    const ApplyResult result = h.run(s, c.op);
    ASSERT_EQ(result.error, ErrorCode::kOk);
    ASSERT_EQ(result.results.size(), 1u);
    const Stat stat = h.stat(result.results[0].path);
    EXPECT_EQ(stat.ephemeral_owner, c.session_owned ? s : c.fixed_owner);
    EXPECT_EQ(stat.version, 0);
    EXPECT_EQ(stat.num_children, 0);
  }
}

TEST(TreeStat, NumChildrenAndDataLengthFollowTheNode) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/p", std::string(1000, 'x'))), ErrorCode::kOk);
  EXPECT_EQ(h.stat("/p").data_length, 1000);
  for (const char* child : {"/p/a", "/p/b", "/p/c"}) {
    ASSERT_EQ(h.error(s, create_op(child)), ErrorCode::kOk);
  }
  EXPECT_EQ(h.stat("/p").num_children, 3);
  EXPECT_EQ(h.stat("/p").cversion, 3);
  ASSERT_EQ(h.error(s, delete_op("/p/b")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, delete_op("/p/a")), ErrorCode::kOk);
  EXPECT_EQ(h.stat("/p").num_children, 1);
  EXPECT_EQ(h.stat("/p").cversion, 3);
  EXPECT_EQ(h.state().exists("/p").stat, h.stat("/p"));
}

// --- Sequential nodes ------------------------------------------------------------

TEST(TreeSequential, SuffixFormatIsPercent010d) {
  EXPECT_EQ(sequence_suffix(0), "0000000000");
  EXPECT_EQ(sequence_suffix(42), "0000000042");
  EXPECT_EQ(sequence_suffix(2147483647), "2147483647");
  // Java's String.format("%010d", -1) keeps the sign inside the width.
  EXPECT_EQ(sequence_suffix(-1), "-000000001");
}

TEST(TreeSequential, SuffixIsTheParentCversion) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/q")), ErrorCode::kOk);
  const CreateMode seq = CreateMode::kPersistentSequential;

  EXPECT_EQ(h.run(s, create_op("/q/n-", "", seq)).results[0].path, "/q/n-0000000000");
  EXPECT_EQ(h.run(s, create_op("/q/n-", "", seq)).results[0].path, "/q/n-0000000001");
  ASSERT_TRUE(h.exists("/q/n-0000000000"));
  ASSERT_TRUE(h.exists("/q/n-0000000001"));

  // A plain child counts too; a delete does not lower the counter.
  ASSERT_EQ(h.error(s, create_op("/q/plain")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, delete_op("/q/plain")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, delete_op("/q/n-0000000001")), ErrorCode::kOk);
  EXPECT_EQ(h.run(s, create_op("/q/n-", "", seq)).results[0].path, "/q/n-0000000003");
  // Another prefix shares the parent's one counter.
  EXPECT_EQ(h.run(s, create_op("/q/other", "", CreateMode::kEphemeralSequential)).results[0].path,
            "/q/other0000000004");
  EXPECT_EQ(h.stat("/q").cversion, 5);
  EXPECT_EQ(h.stat("/q").num_children, 3);
}

TEST(TreeSequential, TrailingSlashNamesTheNodeBySuffixAlone) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/q")), ErrorCode::kOk);
  const ApplyResult result = h.run(s, create_op("/q/", "", CreateMode::kPersistentSequential));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  EXPECT_EQ(result.results[0].path, "/q/0000000000");
  // Not sequential, "/q/" is no path.
  EXPECT_EQ(h.error(s, create_op("/q/")), ErrorCode::kBadArguments);
}

// ZooKeeper takes "/" as the parent's path plus an empty name: the root
// exists, and sequential, the suffix alone names a child of the root.
TEST(TreeSequential, TheRootAsASequentialPrefixNamesAChildOfTheRoot) {
  TreeHarness h;
  const SessionId s = h.open_session();
  EXPECT_EQ(h.error(s, create_op("/")), ErrorCode::kNodeExists);
  const ApplyResult result = h.run(s, create_op("/", "", CreateMode::kPersistentSequential));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  EXPECT_EQ(result.results[0].path, "/0000000000");
  EXPECT_EQ(h.stat("/").cversion, 1);
}

TEST(TreeSequential, PipelinedCreatesGetDistinctSuffixes) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/q")), ErrorCode::kOk);
  std::vector<WriteRequest> requests;
  for (int i = 0; i < 3; ++i) {
    requests.push_back(h.request(s, create_op("/q/n-", "", CreateMode::kEphemeralSequential)));
  }
  // The paths are decided at prep, before anything is applied.
  std::vector<std::string> prepared;
  for (const WriteRequest& request : requests) {
    const std::optional<Txn> txn = h.prepare(request);
    ASSERT_TRUE(txn.has_value());
    ASSERT_EQ(txn->ops.size(), 1u);
    prepared.push_back(txn->ops[0].path);
  }
  EXPECT_EQ(prepared,
            (std::vector<std::string>{"/q/n-0000000000", "/q/n-0000000001", "/q/n-0000000002"}));
  const std::vector<ApplyResult> results = h.apply_pending();
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].error, ErrorCode::kOk);
    EXPECT_EQ(results[i].results[0].path, prepared[i]);
    EXPECT_TRUE(h.exists(prepared[i]));
  }
  EXPECT_EQ(h.stat("/q").cversion, 3);
}

TEST(TreeSequential, MultiCreatesTakeConsecutiveSuffixes) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const CreateMode seq = CreateMode::kPersistentSequential;
  const ApplyResult result = h.run(
      h.multi(s, {create_op("/q"), create_op("/q/x-", "", seq), create_op("/q/x-", "", seq)}));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  ASSERT_EQ(result.results.size(), 3u);
  EXPECT_EQ(result.results[1].path, "/q/x-0000000000");
  EXPECT_EQ(result.results[2].path, "/q/x-0000000001");
  EXPECT_EQ(h.stat("/q").cversion, 2);
}

TEST(TreeSequential, RootChildrenCountFromRootCversion) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.stat("/").cversion, 0);  // the system nodes are not counted
  ASSERT_EQ(h.error(s, create_op("/a")), ErrorCode::kOk);
  EXPECT_EQ(h.run(s, create_op("/s-", "", CreateMode::kPersistentSequential)).results[0].path,
            "/s-0000000001");
}

// --- Watch triggers --------------------------------------------------------------

TEST(TreeWatch, EachWriteFiresTheEventsZooKeeperFires) {
  TreeHarness h;
  const SessionId s = h.open_session();
  using T = std::vector<WatchTrigger>;
  EXPECT_EQ(h.run(s, create_op("/a")).triggers,
            (T{{EventType::kNodeCreated, "/a"}, {EventType::kNodeChildrenChanged, "/"}}));
  EXPECT_EQ(h.run(s, create_op("/a/b", "", CreateMode::kEphemeral)).triggers,
            (T{{EventType::kNodeCreated, "/a/b"}, {EventType::kNodeChildrenChanged, "/a"}}));
  EXPECT_EQ(h.run(s, set_data_op("/a/b", "x")).triggers,
            (T{{EventType::kNodeDataChanged, "/a/b"}}));
  EXPECT_EQ(h.run(s, set_acl_op("/a/b", read_only_acl())).triggers, T{});
  EXPECT_EQ(h.run(h.multi(s, {check_op("/a", 0)})).triggers, T{});
  EXPECT_EQ(h.run(s, delete_op("/a/b")).triggers,
            (T{{EventType::kNodeDeleted, "/a/b"}, {EventType::kNodeChildrenChanged, "/a"}}));
  // A failed write fires nothing.
  EXPECT_EQ(h.run(s, delete_op("/a/b")).triggers, T{});
}

TEST(TreeWatch, MultiFiresItsOpsEventsInOrderAndAFailedMultiNone) {
  TreeHarness h;
  const SessionId s = h.open_session();
  using T = std::vector<WatchTrigger>;
  const ApplyResult ok =
      h.run(h.multi(s, {create_op("/m"), set_data_op("/m", "v"), create_op("/m/k")}));
  ASSERT_EQ(ok.error, ErrorCode::kOk);
  EXPECT_EQ(ok.triggers, (T{{EventType::kNodeCreated, "/m"},
                            {EventType::kNodeChildrenChanged, "/"},
                            {EventType::kNodeDataChanged, "/m"},
                            {EventType::kNodeCreated, "/m/k"},
                            {EventType::kNodeChildrenChanged, "/m"}}));
  const ApplyResult failed = h.run(h.multi(s, {delete_op("/m/k"), delete_op("/missing")}));
  EXPECT_EQ(failed.error, ErrorCode::kNoNode);
  EXPECT_EQ(failed.triggers, T{});
  EXPECT_TRUE(h.exists("/m/k"));
}

}  // namespace
}  // namespace warden::store
