// Prep against pending state: requests prepared before earlier ones have been
// applied must be checked as if those had been (ZooKeeper's outstanding
// ChangeRecords), and the pending state goes away on applied()/reset().
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

using tree_test::acl_entry;
using tree_test::check_op;
using tree_test::create_op;
using tree_test::delete_op;
using tree_test::set_acl_op;
using tree_test::set_data_op;
using tree_test::TreeHarness;

std::vector<ErrorCode> errors_of(const std::vector<std::optional<ApplyResult>>& results) {
  std::vector<ErrorCode> out;
  for (const auto& result : results) {
    out.push_back(result ? result->error : ErrorCode::kSystemError);
  }
  return out;
}

struct PipelineCase {
  const char* name;
  std::vector<WriteOp> ops;  // one request each, all prepared before any apply
  std::vector<ErrorCode> expected;
};

TEST(TreePipeline, PrepSeesPendingTxns) {
  using E = ErrorCode;
  const std::vector<PipelineCase> cases = {
      {"two setData expecting version 0",
       {set_data_op("/n", "first", 0), set_data_op("/n", "second", 0)},
       {E::kOk, E::kBadVersion}},
      {"setData then setData expecting the pending version",
       {set_data_op("/n", "first", 0), set_data_op("/n", "second", 1)},
       {E::kOk, E::kOk}},
      {"create twice", {create_op("/x"), create_op("/x")}, {E::kOk, E::kNodeExists}},
      {"create a child, then delete the parent",
       {create_op("/n/kid"), delete_op("/n")},
       {E::kOk, E::kNotEmpty}},
      {"create parent and child", {create_op("/x"), create_op("/x/y")}, {E::kOk, E::kOk}},
      {"delete, then create again", {delete_op("/n"), create_op("/n")}, {E::kOk, E::kOk}},
      {"delete, then setData", {delete_op("/n"), set_data_op("/n", "x")}, {E::kOk, E::kNoNode}},
      {"delete twice", {delete_op("/n"), delete_op("/n")}, {E::kOk, E::kNoNode}},
      {"delete the only child, then the parent",
       {create_op("/x"), create_op("/x/y"), delete_op("/x/y"), delete_op("/x", 0)},
       {E::kOk, E::kOk, E::kOk, E::kOk}},
      {"create under a pending ephemeral",
       {create_op("/e", "", CreateMode::kEphemeral), create_op("/e/kid")},
       {E::kOk, E::kNoChildrenForEphemerals}},
      {"setACL then setACL expecting aversion 0",
       {set_acl_op("/n", open_acl(), 0), set_acl_op("/n", open_acl(), 0)},
       {E::kOk, E::kBadVersion}},
      {"setACL revoking WRITE, then setData",
       {set_acl_op("/n", read_only_acl()), set_data_op("/n", "x")},
       {E::kOk, E::kNoAuth}},
      {"setACL revoking CREATE, then a child create",
       {set_acl_op("/n", read_only_acl()), create_op("/n/other")},
       {E::kOk, E::kNoAuth}},
      {"the ACL of a pending create governs",
       {create_op("/ro", "", CreateMode::kPersistent, read_only_acl()), set_data_op("/ro", "x")},
       {E::kOk, E::kNoAuth}},
      {"check sees a pending setData",
       {set_data_op("/n", "x"), check_op("/n", 0), check_op("/n", 1)},
       {E::kOk, E::kBadVersion, E::kOk}},
  };
  for (const PipelineCase& c : cases) {
    SCOPED_TRACE(c.name);
    TreeHarness h;
    const SessionId s = h.open_session();
    ASSERT_EQ(h.error(s, create_op("/n", "start")), ErrorCode::kOk);
    std::vector<WriteRequest> requests;
    for (const WriteOp& op : c.ops) {
      // Checks go in a multi, the way clients send them.
      requests.push_back(op.op == OpCode::kCheck ? h.multi(s, {op}) : h.request(s, op));
    }
    EXPECT_EQ(errors_of(h.run_pipelined(requests)), c.expected);
    EXPECT_EQ(h.preparer().pending_records(), 0u);
  }
}

TEST(TreePipeline, OnlyTheFirstOfTwoRacingSetDataLands) {
  TreeHarness h;
  const SessionId a = h.open_session();
  const SessionId b = h.open_session();
  ASSERT_EQ(h.error(a, create_op("/n", "start")), ErrorCode::kOk);
  const auto results = h.run_pipelined(
      {h.request(a, set_data_op("/n", "a", 0)), h.request(b, set_data_op("/n", "b", 0))});
  EXPECT_EQ(results[0]->error, ErrorCode::kOk);
  EXPECT_EQ(results[1]->error, ErrorCode::kBadVersion);
  EXPECT_EQ(h.data("/n"), "a");
  EXPECT_EQ(h.stat("/n").version, 1);
}

TEST(TreePipeline, PendingRecordsLastUntilApplied) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.preparer().pending_records(), 0u);
  ASSERT_TRUE(h.prepare(h.request(s, create_op("/x"))).has_value());
  EXPECT_GT(h.preparer().pending_records(), 0u);
  h.apply_pending();
  EXPECT_EQ(h.preparer().pending_records(), 0u);
  // The tree now answers alone, the same way.
  EXPECT_EQ(h.error(s, create_op("/x")), ErrorCode::kNodeExists);
}

TEST(TreePipeline, ResetForgetsPendingState) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/n", "start")), ErrorCode::kOk);
  ASSERT_TRUE(h.prepare(h.request(s, set_data_op("/n", "lost", 0))).has_value());
  ASSERT_TRUE(h.prepare(h.request(s, create_op("/x"))).has_value());
  // The leader loses its term: these never commit.
  h.drop_pending();
  h.preparer().reset();
  EXPECT_EQ(h.preparer().pending_records(), 0u);
  const auto results =
      h.run_pipelined({h.request(s, set_data_op("/n", "kept", 0)), h.request(s, create_op("/x"))});
  EXPECT_EQ(results[0]->error, ErrorCode::kOk);
  EXPECT_EQ(results[1]->error, ErrorCode::kOk);
  EXPECT_EQ(h.data("/n"), "kept");
}

TEST(TreePipeline, DiscardForgetsTheLastPrepare) {
  TreeHarness h;
  const SessionId s = h.open_session();
  const WriteRequest request = h.request(s, create_op("/x"));
  ASSERT_TRUE(h.preparer().prepare(request, h.now_ms()).has_value());
  h.preparer().discard();  // not proposed
  EXPECT_EQ(h.preparer().pending_records(), 0u);
  // The same request (same request id) can be prepared again and succeeds.
  EXPECT_EQ(h.run(request).error, ErrorCode::kOk);
}

TEST(TreePipeline, PlantedBugIgnoresPendingState) {
  // The simulator's --inject-bug switch must really break the rule above.
  PrepConfig config;
  config.planted_ignore_pending = true;
  TreeHarness h(config);
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/n")), ErrorCode::kOk);
  const auto results = h.run_pipelined(
      {h.request(s, set_data_op("/n", "a", 0)), h.request(s, set_data_op("/n", "b", 0))});
  EXPECT_EQ(results[0]->error, ErrorCode::kOk);
  EXPECT_EQ(results[1]->error, ErrorCode::kOk);
}

TEST(TreePipeline, LongPipelineMatchesOneAtATime) {
  // The same requests, pipelined 5 at a time or run one by one, end in the
  // same tree with the same answers.
  auto requests_for = [](TreeHarness& h, SessionId s) {
    std::vector<WriteRequest> out;
    for (int i = 0; i < 5; ++i) {
      const std::string dir = "/d" + std::to_string(i % 2);
      out.push_back(h.request(s, create_op(dir)));
      out.push_back(h.request(s, create_op(dir + "/s-", "v", CreateMode::kPersistentSequential)));
      out.push_back(h.request(s, set_data_op(dir, std::to_string(i), i / 2)));
      out.push_back(h.request(s, delete_op(dir + "/s-000000000" + std::to_string(i / 2))));
      out.push_back(
          h.multi(s, {check_op(dir, i / 2 + 1), create_op(dir + "/m" + std::to_string(i))}));
    }
    return out;
  };
  TreeHarness serial;
  TreeHarness piped;
  const SessionId s1 = serial.open_session();
  const SessionId s2 = piped.open_session();
  ASSERT_EQ(s1, s2);
  const std::vector<WriteRequest> one = requests_for(serial, s1);
  const std::vector<WriteRequest> two = requests_for(piped, s2);
  std::vector<ErrorCode> serial_errors;
  for (const WriteRequest& r : one) serial_errors.push_back(serial.run(r).error);
  std::vector<ErrorCode> piped_errors;
  for (size_t at = 0; at < two.size(); at += 5) {
    const std::vector<WriteRequest> batch(two.begin() + at, two.begin() + at + 5);
    for (ErrorCode e : errors_of(piped.run_pipelined(batch))) piped_errors.push_back(e);
  }
  EXPECT_EQ(piped_errors, serial_errors);
  EXPECT_EQ(piped.state().state_hash(), serial.state().state_hash());
  // Some of each kind of answer, so the comparison means something.
  EXPECT_NE(std::count(serial_errors.begin(), serial_errors.end(), ErrorCode::kOk), 0);
  EXPECT_NE(std::count(serial_errors.begin(), serial_errors.end(), ErrorCode::kNodeExists), 0);
}

}  // namespace
}  // namespace warden::store
