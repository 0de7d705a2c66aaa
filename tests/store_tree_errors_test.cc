// Every error code a write or read can get, with ZooKeeper 3.8's rules for
// which check wins, and multi's all-or-nothing answers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/stat.h"
#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

using tree_test::acl_entry;
using tree_test::check_op;
using tree_test::create_container_op;
using tree_test::create_op;
using tree_test::create_ttl_op;
using tree_test::delete_op;
using tree_test::digest_auth;
using tree_test::set_acl_op;
using tree_test::set_data_op;
using tree_test::TreeHarness;

struct OpCase {
  const char* name;
  WriteOp op;
  ErrorCode expected;
};

// Runs each case on a fresh tree made by `setup`, and checks that a failed
// op changed no node.
template <typename Setup>
void expect_errors(const std::vector<OpCase>& cases, Setup setup, PrepConfig config = {}) {
  for (const OpCase& c : cases) {
    SCOPED_TRACE(c.name);
    TreeHarness h(config);
    const SessionId s = h.open_session();
    setup(h, s);
    const uint64_t tree_before = h.state().tree().state_hash();
    const ApplyResult result = h.run(s, c.op);
    EXPECT_EQ(result.error, c.expected);
    ASSERT_EQ(result.results.size(), 1u);
    EXPECT_EQ(result.results[0].error, c.expected);
    if (c.expected != ErrorCode::kOk) {
      EXPECT_EQ(h.state().tree().state_hash(), tree_before);
      EXPECT_TRUE(result.triggers.empty());
    }
  }
}

void make_a_with_child(TreeHarness& h, SessionId s) {
  ASSERT_EQ(h.error(s, create_op("/a", "data")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/a/b")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, set_data_op("/a/b", "v1")), ErrorCode::kOk);       // version 1
  ASSERT_EQ(h.error(s, set_acl_op("/a/b", open_acl())), ErrorCode::kOk);  // aversion 1
  ASSERT_EQ(h.error(s, create_op("/eph", "", CreateMode::kEphemeral)), ErrorCode::kOk);
}

TEST(TreeErrors, NoNode) {
  expect_errors(
      {
          {"create, parent missing", create_op("/missing/x"), ErrorCode::kNoNode},
          {"create, grandparent missing", create_op("/a/missing/x"), ErrorCode::kNoNode},
          {"sequential create, parent missing",
           create_op("/missing/x", "", CreateMode::kPersistentSequential), ErrorCode::kNoNode},
          {"setData", set_data_op("/missing", "x"), ErrorCode::kNoNode},
          {"setData, versioned", set_data_op("/a/missing", "x", 0), ErrorCode::kNoNode},
          {"delete", delete_op("/missing"), ErrorCode::kNoNode},
          {"delete, versioned", delete_op("/a/missing", 3), ErrorCode::kNoNode},
          {"delete, parent missing", delete_op("/missing/x"), ErrorCode::kNoNode},
          {"setACL", set_acl_op("/missing", open_acl()), ErrorCode::kNoNode},
          {"check", check_op("/missing", -1), ErrorCode::kNoNode},
      },
      make_a_with_child);
}

TEST(TreeErrors, NoNodeOnReads) {
  TreeHarness h;
  const AuthContext anyone;
  EXPECT_EQ(h.state().get_data("/missing", anyone).error, ErrorCode::kNoNode);
  EXPECT_EQ(h.state().exists("/missing").error, ErrorCode::kNoNode);
  EXPECT_EQ(h.state().get_children("/missing", anyone).error, ErrorCode::kNoNode);
  EXPECT_EQ(h.state().get_acl("/missing", anyone).error, ErrorCode::kNoNode);
}

TEST(TreeErrors, NodeExists) {
  expect_errors(
      {
          {"persistent over persistent", create_op("/a"), ErrorCode::kNodeExists},
          {"ephemeral over persistent", create_op("/a/b", "", CreateMode::kEphemeral),
           ErrorCode::kNodeExists},
          {"container over ephemeral", create_container_op("/eph"), ErrorCode::kNodeExists},
          {"ttl over persistent", create_ttl_op("/a", 100), ErrorCode::kNodeExists},
          {"system node", create_op("/zookeeper"), ErrorCode::kNodeExists},
          {"the root", create_op("/"), ErrorCode::kNodeExists},
          {"system child", create_op("/zookeeper/quota"), ErrorCode::kNodeExists},
      },
      make_a_with_child);
}

TEST(TreeErrors, BadVersion) {
  // /a/b has version 1 and aversion 1.
  expect_errors(
      {
          {"setData, old version", set_data_op("/a/b", "x", 0), ErrorCode::kBadVersion},
          {"setData, future version", set_data_op("/a/b", "x", 2), ErrorCode::kBadVersion},
          {"setData, -2", set_data_op("/a/b", "x", -2), ErrorCode::kBadVersion},
          {"delete, old version", delete_op("/a/b", 0), ErrorCode::kBadVersion},
          {"setACL, compares aversion", set_acl_op("/a/b", open_acl(), 0), ErrorCode::kBadVersion},
          {"setACL, compares aversion not version", set_acl_op("/a", open_acl(), 1),
           ErrorCode::kBadVersion},
          {"check, wrong version", check_op("/a/b", 0), ErrorCode::kBadVersion},
          {"setData, exact version", set_data_op("/a/b", "x", 1), ErrorCode::kOk},
          {"setData, any version", set_data_op("/a/b", "x", -1), ErrorCode::kOk},
          {"delete, exact version", delete_op("/a/b", 1), ErrorCode::kOk},
          {"delete, any version", delete_op("/a/b", -1), ErrorCode::kOk},
          {"setACL, exact aversion", set_acl_op("/a/b", open_acl(), 1), ErrorCode::kOk},
          {"setACL, any aversion", set_acl_op("/a/b", open_acl(), -1), ErrorCode::kOk},
          {"check, exact version", check_op("/a/b", 1), ErrorCode::kOk},
          {"check, any version", check_op("/a/b", -1), ErrorCode::kOk},
      },
      make_a_with_child);
}

TEST(TreeErrors, VersionCheckComesBeforeNotEmpty) {
  expect_errors(
      {
          {"delete non-empty, wrong version", delete_op("/a", 7), ErrorCode::kBadVersion},
          {"delete non-empty, right version", delete_op("/a", 0), ErrorCode::kNotEmpty},
          {"delete non-empty, any version", delete_op("/a"), ErrorCode::kNotEmpty},
      },
      make_a_with_child);
}

TEST(TreeErrors, NoChildrenForEphemerals) {
  expect_errors(
      {
          {"persistent child", create_op("/eph/x"), ErrorCode::kNoChildrenForEphemerals},
          {"ephemeral child", create_op("/eph/x", "", CreateMode::kEphemeral),
           ErrorCode::kNoChildrenForEphemerals},
          {"sequential child", create_op("/eph/x", "", CreateMode::kPersistentSequential),
           ErrorCode::kNoChildrenForEphemerals},
          {"container child", create_container_op("/eph/x"), ErrorCode::kNoChildrenForEphemerals},
      },
      make_a_with_child);
}

TEST(TreeErrors, BadArgumentsForInvalidPaths) {
  const std::vector<std::string> invalid = {
      "",
      "a",
      "/a/",
      "//a",
      "/a//b",
      "/a/./b",
      "/a/../b",
      "/.",
      "/..",
      "/a/.",
      "/a/..",
      std::string("/a\0b", 4),
      "/a\x01",
      "/a\x1f",
      "/a\x7f",
      "/a\xc2\x80",
      "/a\xc2\x9f",
      "/\xed\xa0\x80",
      "/\xee\x80\x80",
      "/\xef\xa3\xbf",
      "/\xef\xbf\xb0",
      "/\xef\xbf\xbf",
      "/\xf0\x9f\x98\x80",
      "/\xff",
      "/\xc3",
      "/\xc0\xaf",
      "/\x80",
      "/\xe2\x82",
  };
  for (const std::string& path : invalid) {
    SCOPED_TRACE(testing::PrintToString(path));
    TreeHarness h;
    const SessionId s = h.open_session();
    EXPECT_EQ(h.error(s, create_op(path)), ErrorCode::kBadArguments);
    EXPECT_EQ(h.error(s, set_data_op(path, "x")), ErrorCode::kBadArguments);
    EXPECT_EQ(h.error(s, delete_op(path)), ErrorCode::kBadArguments);
    EXPECT_EQ(h.error(s, set_acl_op(path, open_acl())), ErrorCode::kBadArguments);
    EXPECT_EQ(h.error(s, check_op(path, -1)), ErrorCode::kBadArguments);
    EXPECT_EQ(h.state().get_data(path, {}).error, ErrorCode::kBadArguments);
    EXPECT_EQ(h.state().tree().node_count(), 4u);
  }
}

TEST(TreeErrors, BadArgumentsForDeletingSystemNodes) {
  expect_errors(
      {
          {"root", delete_op("/"), ErrorCode::kBadArguments},
          {"/zookeeper", delete_op("/zookeeper"), ErrorCode::kBadArguments},
          {"/zookeeper/quota", delete_op("/zookeeper/quota"), ErrorCode::kBadArguments},
          {"/zookeeper/config", delete_op("/zookeeper/config"), ErrorCode::kBadArguments},
          {"root, versioned", delete_op("/", 0), ErrorCode::kBadArguments},
      },
      [](TreeHarness&, SessionId) {});
}

TEST(TreeErrors, BadArgumentsForDataOverTheLimit) {
  PrepConfig config;
  config.max_data_bytes = 16;
  const std::string at_limit(16, 'x');
  const std::string over(17, 'x');
  expect_errors(
      {
          {"create at the limit", create_op("/n", at_limit), ErrorCode::kOk},
          {"create over", create_op("/n", over), ErrorCode::kBadArguments},
          {"sequential create over", create_op("/n", over, CreateMode::kPersistentSequential),
           ErrorCode::kBadArguments},
          {"setData at the limit", set_data_op("/a", at_limit), ErrorCode::kOk},
          {"setData over", set_data_op("/a", over), ErrorCode::kBadArguments},
      },
      [](TreeHarness& h, SessionId s) { ASSERT_EQ(h.error(s, create_op("/a")), ErrorCode::kOk); },
      config);
}

TEST(TreeErrors, BadArgumentsForCreateModesAndTtls) {
  WriteOp ttl_mode_plain_create = create_op("/n", "", CreateMode::kPersistentWithTtl);
  ttl_mode_plain_create.ttl_ms = 1000;
  WriteOp ttl_op_plain_mode = create_ttl_op("/n", 1000, CreateMode::kPersistent);
  WriteOp container_mode_plain_create = create_op("/n", "", CreateMode::kContainer);
  WriteOp container_op_plain_mode = create_container_op("/n");
  container_op_plain_mode.mode = CreateMode::kPersistent;
  WriteOp unknown_mode = create_op("/n");
  unknown_mode.mode = static_cast<CreateMode>(7);
  expect_errors(
      {
          {"ttl 0", create_ttl_op("/n", 0), ErrorCode::kBadArguments},
          {"ttl -1", create_ttl_op("/n", -1), ErrorCode::kBadArguments},
          {"ttl over 2^40-1", create_ttl_op("/n", kMaxTtlMs + 1), ErrorCode::kBadArguments},
          {"ttl 2^40-1", create_ttl_op("/n", kMaxTtlMs), ErrorCode::kOk},
          {"ttl 1", create_ttl_op("/n", 1), ErrorCode::kOk},
          {"sequential ttl 0", create_ttl_op("/n", 0, CreateMode::kPersistentSequentialWithTtl),
           ErrorCode::kBadArguments},
          {"ttl mode without createTTL", ttl_mode_plain_create, ErrorCode::kBadArguments},
          {"createTTL without ttl mode", ttl_op_plain_mode, ErrorCode::kBadArguments},
          {"container mode without createContainer", container_mode_plain_create,
           ErrorCode::kBadArguments},
          {"createContainer without container mode", container_op_plain_mode,
           ErrorCode::kBadArguments},
          {"unknown create mode", unknown_mode, ErrorCode::kBadArguments},
      },
      [](TreeHarness&, SessionId) {});
}

TEST(TreeErrors, InvalidAcl) {
  TreeHarness h;
  const SessionId anonymous = h.open_session();
  const SessionId from_ip = h.open_session(AuthContext{{Id{"ip", "10.0.0.1"}}, false});
  const SessionId alice = h.open_session(digest_auth("alice:pw"));
  ASSERT_EQ(h.error(anonymous, create_op("/a")), ErrorCode::kOk);

  const std::vector<std::pair<const char*, AclList>> invalid = {
      {"empty", {}},
      {"unknown scheme", {acl_entry(perm::kAll, "foo", "bar")}},
      {"world but not anyone", {acl_entry(perm::kAll, "world", "someone")}},
      {"digest without colon", {acl_entry(perm::kAll, "digest", "nocolon")}},
      {"digest with two colons", {acl_entry(perm::kAll, "digest", "a:b:c")}},
      {"digest without hash", {acl_entry(perm::kAll, "digest", "user:")}},
      {"ip not an address", {acl_entry(perm::kAll, "ip", "10.0.0")}},
      {"ip, bits past 32", {acl_entry(perm::kAll, "ip", "10.0.0.0/33")}},
      {"ip, bits past 128", {acl_entry(perm::kAll, "ip", "::1/129")}},
      {"ip, bits not a number", {acl_entry(perm::kAll, "ip", "10.0.0.0/x")}},
      {"one bad entry among good",
       {acl_entry(perm::kAll, "world", "anyone"), acl_entry(perm::kAll, "digest", "nocolon")}},
  };
  for (const auto& [name, acl] : invalid) {
    SCOPED_TRACE(name);
    EXPECT_EQ(h.error(alice, create_op("/a/n", "", CreateMode::kPersistent, acl)),
              ErrorCode::kInvalidAcl);
    EXPECT_EQ(h.error(alice, set_acl_op("/a", acl)), ErrorCode::kInvalidAcl);
  }
  // auth: stands for the creator's digest ids; with none it is invalid.
  const AclList auth_acl = {acl_entry(perm::kAll, "auth", "")};
  EXPECT_EQ(h.error(anonymous, create_op("/a/n", "", CreateMode::kPersistent, auth_acl)),
            ErrorCode::kInvalidAcl);
  EXPECT_EQ(h.error(from_ip, create_op("/a/n", "", CreateMode::kPersistent, auth_acl)),
            ErrorCode::kInvalidAcl);
  EXPECT_EQ(h.error(anonymous, set_acl_op("/a", auth_acl)), ErrorCode::kInvalidAcl);
  EXPECT_FALSE(h.exists("/a/n"));
  EXPECT_EQ(h.stat("/a").aversion, 0);
  // An invalid ACL wins over a missing parent (fixupACL comes first).
  EXPECT_EQ(h.error(alice, create_op("/missing/n", "", CreateMode::kPersistent, {})),
            ErrorCode::kInvalidAcl);
}

struct PermCase {
  const char* name;
  int32_t missing;  // the permission /n's ACL leaves out
  WriteOp op;
};

TEST(TreeErrors, NoAuthForEachMissingPermission) {
  const std::vector<PermCase> cases = {
      {"create needs CREATE on the parent", perm::kCreate, create_op("/n/new")},
      {"setData needs WRITE", perm::kWrite, set_data_op("/n", "x")},
      {"delete needs DELETE on the parent", perm::kDelete, delete_op("/n/kid")},
      {"setACL needs ADMIN", perm::kAdmin, set_acl_op("/n", open_acl())},
      {"check needs READ", perm::kRead, check_op("/n", 0)},
  };
  for (const PermCase& c : cases) {
    SCOPED_TRACE(c.name);
    TreeHarness h;
    const SessionId s = h.open_session();
    const SessionId super = h.open_session(AuthContext{{}, true});
    ASSERT_EQ(h.error(s, create_op("/n")), ErrorCode::kOk);
    ASSERT_EQ(h.error(s, create_op("/n/kid")), ErrorCode::kOk);
    ASSERT_EQ(h.error(s, set_acl_op("/n", {acl_entry(perm::kAll & ~c.missing, "world", "anyone")})),
              ErrorCode::kOk);
    const uint64_t tree_before = h.state().tree().state_hash();
    EXPECT_EQ(h.error(s, c.op), ErrorCode::kNoAuth);
    EXPECT_EQ(h.state().tree().state_hash(), tree_before);
    // The same op inside a multi (which has no setACL).
    if (c.op.op != OpCode::kSetAcl) {
      EXPECT_EQ(h.run(h.multi(s, {c.op})).error, ErrorCode::kNoAuth);
    }
    // The super user passes every check.
    EXPECT_EQ(h.error(super, c.op), ErrorCode::kOk);
  }
}

TEST(TreeErrors, NoAuthOnReads) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/n", "secret", CreateMode::kPersistent,
                                 {acl_entry(perm::kAll & ~perm::kRead, "world", "anyone")})),
            ErrorCode::kOk);
  const AuthContext anyone;
  EXPECT_EQ(h.state().get_data("/n", anyone).error, ErrorCode::kNoAuth);
  EXPECT_EQ(h.state().get_data("/n", anyone).data, "");
  EXPECT_EQ(h.state().get_children("/n", anyone).error, ErrorCode::kNoAuth);
  // getACL needs READ or ADMIN; /n grants ADMIN.
  EXPECT_EQ(h.state().get_acl("/n", anyone).error, ErrorCode::kOk);
  // exists checks no ACL.
  EXPECT_EQ(h.state().exists("/n").error, ErrorCode::kOk);
  const AuthContext super{{}, true};
  EXPECT_EQ(h.state().get_data("/n", super).data, "secret");

  ASSERT_EQ(h.error(s, create_op("/m", "", CreateMode::kPersistent,
                                 {acl_entry(perm::kWrite | perm::kCreate, "world", "anyone")})),
            ErrorCode::kOk);
  EXPECT_EQ(h.state().get_acl("/m", anyone).error, ErrorCode::kNoAuth);
  EXPECT_EQ(h.state().get_acl("/m", super).error, ErrorCode::kOk);
}

TEST(TreeErrors, DeleteChecksTheParentAclBeforeTheTarget) {
  // PrepRequestProcessor: parent record, checkACL(parent, DELETE), then the
  // node's record. A session without DELETE learns nothing about the child.
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/n", "", CreateMode::kPersistent,
                                 {acl_entry(perm::kAll & ~perm::kDelete, "world", "anyone")})),
            ErrorCode::kOk);
  EXPECT_EQ(h.error(s, delete_op("/n/missing")), ErrorCode::kNoAuth);
  EXPECT_EQ(h.error(s, delete_op("/missing/child")), ErrorCode::kNoNode);
}

TEST(TreeErrors, CreateChecksAclBeforeExistence) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/n")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, create_op("/n/kid")), ErrorCode::kOk);
  ASSERT_EQ(h.error(s, set_acl_op("/n", read_only_acl())), ErrorCode::kOk);
  EXPECT_EQ(h.error(s, create_op("/n/kid")), ErrorCode::kNoAuth);
  // setData: NONODE before NOAUTH (there is no node to hold an ACL).
  EXPECT_EQ(h.error(s, set_data_op("/n/none", "x")), ErrorCode::kNoNode);
  // NOAUTH before BADVERSION.
  EXPECT_EQ(h.error(s, set_data_op("/n", "x", 5)), ErrorCode::kNoAuth);
}

TEST(TreeErrors, SessionExpired) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/a")), ErrorCode::kOk);
  const SessionId unknown = 424242;
  for (const WriteOp& op : {create_op("/x"), delete_op("/a"), set_data_op("/a", "x"),
                            set_acl_op("/a", open_acl()), check_op("/a", -1)}) {
    SCOPED_TRACE(static_cast<int>(op.op));
    const ApplyResult result = h.run(unknown, op);
    EXPECT_EQ(result.error, ErrorCode::kSessionExpired);
    ASSERT_EQ(result.results.size(), 1u);
    EXPECT_EQ(result.results[0].op, op.op);
  }
  EXPECT_EQ(h.run(h.multi(unknown, {create_op("/x")})).error, ErrorCode::kSessionExpired);
  EXPECT_EQ(h.run(h.close(unknown)).error, ErrorCode::kSessionExpired);

  ASSERT_EQ(h.run(h.close(s)).error, ErrorCode::kOk);
  EXPECT_EQ(h.error(s, create_op("/y")), ErrorCode::kSessionExpired);
  EXPECT_EQ(h.run(h.close(s)).error, ErrorCode::kSessionExpired);
  EXPECT_FALSE(h.exists("/x"));
  EXPECT_FALSE(h.exists("/y"));
  EXPECT_EQ(h.stat("/a").version, 0);
}

// --- Multi ------------------------------------------------------------------------

TEST(TreeMulti, FailureTurnsEveryOpIntoAnErrorAndChangesNothing) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/a", "v")), ErrorCode::kOk);
  const uint64_t tree_before = h.state().tree().state_hash();
  const ApplyResult result =
      h.run(h.multi(s, {create_op("/b"), set_data_op("/a", "w"), set_data_op("/a", "x", 0),
                        create_op("/c"), delete_op("/a")}));
  EXPECT_EQ(result.error, ErrorCode::kBadVersion);  // the third op saw version 1
  ASSERT_EQ(result.results.size(), 5u);
  const std::vector<ErrorCode> expected = {ErrorCode::kOk, ErrorCode::kOk, ErrorCode::kBadVersion,
                                           ErrorCode::kRuntimeInconsistency,
                                           ErrorCode::kRuntimeInconsistency};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(result.results[i].error, expected[i]) << "op " << i;
    EXPECT_EQ(result.results[i].path, "") << "op " << i;
  }
  EXPECT_EQ(h.state().tree().state_hash(), tree_before);
  EXPECT_FALSE(h.exists("/b"));
  EXPECT_EQ(h.data("/a"), "v");
  EXPECT_TRUE(result.triggers.empty());
}

TEST(TreeMulti, FirstOpFailingMakesTheRestRuntimeInconsistency) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const ApplyResult result =
      h.run(h.multi(s, {delete_op("/missing"), create_op("/b"), create_op("/c")}));
  EXPECT_EQ(result.error, ErrorCode::kNoNode);
  ASSERT_EQ(result.results.size(), 3u);
  EXPECT_EQ(result.results[0].error, ErrorCode::kNoNode);
  EXPECT_EQ(result.results[1].error, ErrorCode::kRuntimeInconsistency);
  EXPECT_EQ(result.results[2].error, ErrorCode::kRuntimeInconsistency);
  EXPECT_FALSE(h.exists("/b"));
}

TEST(TreeMulti, LaterOpsSeeEarlierOnesAndSucceedTogether) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/old", "o")), ErrorCode::kOk);
  const int64_t zxid = static_cast<int64_t>(h.next_index());
  const ApplyResult result = h.run(
      h.multi(s, {create_op("/m", "1"), set_data_op("/m", "2", 0), check_op("/m", 1),
                  create_op("/m/s-", "", CreateMode::kEphemeralSequential), delete_op("/old", 0)}));
  ASSERT_EQ(result.error, ErrorCode::kOk);
  ASSERT_EQ(result.results.size(), 5u);
  EXPECT_EQ(result.results[0].op, OpCode::kCreate);
  EXPECT_EQ(result.results[0].path, "/m");
  EXPECT_EQ(result.results[1].op, OpCode::kSetData);
  EXPECT_EQ(result.results[1].stat.version, 1);
  EXPECT_EQ(result.results[1].stat.mzxid, zxid);
  EXPECT_EQ(result.results[2].op, OpCode::kCheck);
  EXPECT_EQ(result.results[3].path, "/m/s-0000000000");
  EXPECT_EQ(result.results[4].op, OpCode::kDelete);
  for (const OpResult& r : result.results) EXPECT_EQ(r.error, ErrorCode::kOk);
  EXPECT_EQ(h.data("/m"), "2");
  EXPECT_EQ(h.stat("/m").czxid, zxid);  // one zxid for the whole multi
  EXPECT_EQ(h.stat("/m/s-0000000000").ephemeral_owner, s);
  EXPECT_FALSE(h.exists("/old"));
}

TEST(TreeMulti, EmptyMultiSucceedsWithNoResults) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const uint64_t tree_before = h.state().tree().state_hash();
  const ApplyResult result = h.run(h.multi(s, {}));
  EXPECT_EQ(result.error, ErrorCode::kOk);
  EXPECT_TRUE(result.results.empty());
  EXPECT_EQ(h.state().tree().state_hash(), tree_before);
}

TEST(TreeMulti, AFailedMultiLeavesNoPendingTrace) {
  // The ops before the failing one must not stay in prep's pending state.
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/q")), ErrorCode::kOk);
  const std::vector<std::optional<ApplyResult>> results = h.run_pipelined({
      h.multi(s, {create_op("/q/s-", "", CreateMode::kPersistentSequential), create_op("/x"),
                  delete_op("/missing")}),
      h.request(s, create_op("/x")),
      h.request(s, create_op("/q/s-", "", CreateMode::kPersistentSequential)),
  });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]->error, ErrorCode::kNoNode);
  EXPECT_EQ(results[1]->error, ErrorCode::kOk);
  EXPECT_EQ(results[2]->results[0].path, "/q/s-0000000000");
}

}  // namespace
}  // namespace warden::store
