// Snapshots (serialize/restore), records (record/for_each_record/
// restore_record), and the txn, request and znode codecs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/byte_io.h"
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

// A tree with one of everything: sessions with and without ephemerals,
// containers, TTL and sequential nodes, binary data, several ACLs, changed
// system nodes, deletes (so cversion != numChildren).
void populate(TreeHarness& h) {
  const SessionId a = h.open_session(digest_auth("alice:pw"), 5000);
  const SessionId b = h.open_session({}, 9000);
  const SessionId idle = h.open_session();
  (void)idle;
  const std::vector<WriteRequest> requests = {
      h.request(a, create_op("/app", std::string("bin\0ary\xff", 8))),
      h.request(a, create_op("/app/cfg", "c", CreateMode::kPersistent,
                             {acl_entry(perm::kAll, "auth", ""),
                              acl_entry(perm::kRead, "ip", "10.0.0.0/8")})),
      h.request(a, create_op("/app/lock-", "", CreateMode::kEphemeralSequential)),
      h.request(b, create_op("/app/lock-", "", CreateMode::kEphemeralSequential)),
      h.request(b, create_op("/app/tmp")),
      h.request(b, delete_op("/app/tmp")),
      h.request(a, create_container_op("/jobs")),
      h.request(a, create_ttl_op("/lease", 30000)),
      h.request(a, set_data_op("/app", "v2")),
      h.request(a, set_acl_op("/lease", read_only_acl())),
      h.request(a, set_data_op("/zookeeper/quota", "q")),
      h.multi(b, {create_op("/jobs/j1"), create_op("/jobs/j2"), check_op("/app", 1)}),
  };
  for (const WriteRequest& request : requests) {
    ASSERT_EQ(h.run(request).error, ErrorCode::kOk);
    h.advance_ms(7);
  }
}

// Everything a reader or the next txn could observe.
void expect_same_state(const ZooState& got, const ZooState& want) {
  EXPECT_EQ(got.state_hash(), want.state_hash());
  EXPECT_EQ(got.last_applied_zxid(), want.last_applied_zxid());
  EXPECT_EQ(got.sessions(), want.sessions());
  EXPECT_EQ(got.tree().node_count(), want.tree().node_count());
  EXPECT_EQ(got.tree().approximate_data_bytes(), want.tree().approximate_data_bytes());
  EXPECT_EQ(got.tree().ephemerals(), want.tree().ephemerals());
  EXPECT_EQ(got.tree().containers(), want.tree().containers());
  EXPECT_EQ(got.tree().ttl_nodes(), want.tree().ttl_nodes());
  const AuthContext super{{}, true};
  want.tree().for_each_node([&](const std::string& path, const Znode& node) {
    SCOPED_TRACE(path);
    const ReadResult data = got.get_data(path, super);
    ASSERT_EQ(data.error, ErrorCode::kOk);
    EXPECT_EQ(data.data, node.data());
    EXPECT_EQ(data.stat, node.stat);
    EXPECT_EQ(got.get_acl(path, super).acl, node.acl());
    const std::vector<std::string_view> names = node.child_names();
    EXPECT_EQ(got.get_children(path, super).children,
              std::vector<std::string>(names.begin(), names.end()));
  });
}

TEST(TreeSnapshot, RoundTripGivesTheSameState) {
  TreeHarness h;
  populate(h);
  const std::string bytes = h.state().serialize();
  ZooState restored;
  ASSERT_TRUE(restored.restore(bytes));
  expect_same_state(restored, h.state());
  EXPECT_EQ(restored.serialize(), bytes);
  EXPECT_GT(h.state().tree().node_count(), 10u);
}

TEST(TreeSnapshot, RestoredStateAppliesTheNextTxnsAlike) {
  TreeHarness h;
  populate(h);
  ZooState restored;
  ASSERT_TRUE(restored.restore(h.state().serialize()));
  // The next txns, prepared at h; applied to both.
  const SessionId a = h.state().sessions().begin()->first;
  for (const WriteRequest& request :
       {h.request(a, create_op("/jobs/j3")), h.request(a, delete_op("/app/cfg")), h.close(a)}) {
    const std::optional<Txn> txn = h.prepare(request);
    ASSERT_TRUE(txn.has_value());
    const int64_t zxid = static_cast<int64_t>(h.next_index()) - 1;
    const ApplyResult want = h.apply_pending().front();
    const ApplyResult got = restored.apply(*txn, zxid);
    EXPECT_EQ(got.error, want.error);
    EXPECT_EQ(got.results, want.results);
    EXPECT_EQ(got.triggers, want.triggers);
  }
  expect_same_state(restored, h.state());
  EXPECT_EQ(restored.inconsistencies(), 0u);
}

TEST(TreeSnapshot, RecordsRebuildTheSameState) {
  TreeHarness h;
  populate(h);
  std::vector<std::pair<std::string, std::string>> records;
  h.state().for_each_record([&](const std::string& key, const std::string& value) {
    records.emplace_back(key, value);
    const std::optional<std::string> stored = h.state().record(key);
    ASSERT_TRUE(stored.has_value()) << key;
    EXPECT_EQ(*stored, value);
  });
  EXPECT_EQ(records.size(), h.state().sessions().size() + h.state().tree().node_count());
  // Session keys sort before every path and name the session.
  const SessionId first = h.state().sessions().begin()->first;
  EXPECT_EQ(records.front().first, ZooState::session_key(first));
  EXPECT_LT(ZooState::session_key(INT64_MAX), std::string("/"));
  EXPECT_EQ(ZooState::session_key(0x0102030405060708),
            std::string("\x01s\x01\x02\x03\x04\x05\x06\x07\x08", 10));

  // Rebuild over some other state: clear() must leave none of it.
  TreeHarness other;
  const SessionId o = other.open_session();
  ASSERT_EQ(other.error(o, create_op("/other", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  ZooState rebuilt;
  ASSERT_TRUE(rebuilt.restore(other.state().serialize()));
  rebuilt.clear();
  for (const auto& [key, value] : records) ASSERT_TRUE(rebuilt.restore_record(key, value)) << key;
  rebuilt.set_last_applied_zxid(h.state().last_applied_zxid());
  expect_same_state(rebuilt, h.state());

  EXPECT_FALSE(h.state().record("/no/such/node").has_value());
  EXPECT_FALSE(h.state().record(ZooState::session_key(999999)).has_value());
}

TEST(TreeSnapshot, ChangeListenerNamesTheTouchedRecords) {
  TreeHarness h;
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/a")), ErrorCode::kOk);
  std::set<std::string> touched;
  h.state().set_change_listener([&](std::string_view key, size_t) { touched.emplace(key); });
  ASSERT_EQ(h.error(s, create_op("/a/b", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  EXPECT_EQ(touched, (std::set<std::string>{"/a", "/a/b", ZooState::session_key(s)}));
  touched.clear();
  ASSERT_EQ(h.run(h.close(s)).error, ErrorCode::kOk);
  EXPECT_EQ(touched, (std::set<std::string>{"/a", "/a/b", ZooState::session_key(s)}));
  EXPECT_FALSE(h.state().record(ZooState::session_key(s)).has_value());
  EXPECT_FALSE(h.state().record("/a/b").has_value());
}

TEST(TreeSnapshot, RecordsInAWrongOrderOrMalformedAreRefused) {
  TreeHarness h;
  populate(h);
  ZooState rebuilt;
  const std::string app = *h.state().record("/app");
  const std::string cfg = *h.state().record("/app/cfg");
  EXPECT_FALSE(rebuilt.restore_record("/app/cfg", cfg));  // parent first
  EXPECT_TRUE(rebuilt.restore_record("/app", app));
  EXPECT_FALSE(rebuilt.restore_record("/app", app));  // twice
  EXPECT_FALSE(rebuilt.restore_record("/bad/", app));
  EXPECT_FALSE(rebuilt.restore_record("/x", app.substr(0, app.size() - 1)));
  EXPECT_FALSE(rebuilt.restore_record("/x", app + "z"));
  EXPECT_FALSE(rebuilt.restore_record("/x", ""));
  EXPECT_FALSE(rebuilt.restore_record(ZooState::session_key(5), "\x01"));
  EXPECT_EQ(rebuilt.tree().find("/x"), nullptr);
}

// DurableTree's way: records in the order RocksDB keeps them (bytewise by
// key) through ZooState::Loader, over some other state; and in
// for_each_record's order, which is not bytewise ("/app/cfg" comes before
// "/app!"), so some paths take restore_record's way.
TEST(TreeSnapshot, LoaderRebuildsTheSameStateInEitherOrder) {
  TreeHarness h;
  populate(h);
  const SessionId s = h.open_session();
  ASSERT_EQ(h.error(s, create_op("/app!")), ErrorCode::kOk);  // sorts between /app and /app/cfg
  ASSERT_EQ(h.error(s, create_op("/app!/x")), ErrorCode::kOk);
  std::vector<std::pair<std::string, std::string>> records;
  h.state().for_each_record(
      [&](const std::string& key, const std::string& value) { records.emplace_back(key, value); });
  std::vector<std::pair<std::string, std::string>> sorted = records;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_NE(sorted, records);
  TreeHarness other;
  const SessionId o = other.open_session();
  ASSERT_EQ(other.error(o, create_op("/other", "", CreateMode::kEphemeral)), ErrorCode::kOk);
  for (const auto* order : {&sorted, &records}) {
    ZooState rebuilt;
    ASSERT_TRUE(rebuilt.restore(other.state().serialize()));
    {
      ZooState::Loader loader(rebuilt, order->size() * 1000);  // an estimate far too high
      for (const auto& [key, value] : *order) ASSERT_TRUE(loader.add(key, value)) << key;
    }
    rebuilt.set_last_applied_zxid(h.state().last_applied_zxid());
    expect_same_state(rebuilt, h.state());
  }
}

TEST(TreeSnapshot, LoaderRefusesWhatRestoreRecordRefuses) {
  TreeHarness h;
  populate(h);
  const std::string app = *h.state().record("/app");
  const std::string cfg = *h.state().record("/app/cfg");
  ZooState rebuilt;
  ZooState::Loader loader(rebuilt, 0);
  EXPECT_FALSE(loader.add("/app/cfg", cfg));  // parent first
  EXPECT_TRUE(loader.add("/app", app));
  EXPECT_FALSE(loader.add("/app", app));  // twice
  EXPECT_TRUE(loader.add("/app/cfg", cfg));
  EXPECT_FALSE(loader.add("/app", app));  // twice, after a child
  EXPECT_FALSE(loader.add("/bad/", app));
  EXPECT_FALSE(loader.add("/no/parent", app));
  EXPECT_FALSE(loader.add("/x", app.substr(0, app.size() - 1)));
  EXPECT_FALSE(loader.add("/x", app + "z"));
  EXPECT_FALSE(loader.add("/x", ""));
  EXPECT_FALSE(loader.add(ZooState::session_key(5), "\x01"));
  EXPECT_EQ(rebuilt.tree().find("/x"), nullptr);
  EXPECT_EQ(rebuilt.tree().find("/app")->stat.num_children, 1);
}

TEST(TreeSnapshot, MalformedBytesAreRefusedAndChangeNothing) {
  TreeHarness source;
  populate(source);
  const std::string good = source.state().serialize();

  // The state a bad restore must leave alone.
  TreeHarness target;
  const SessionId s = target.open_session();
  ASSERT_EQ(target.error(s, create_op("/mine", "keep")), ErrorCode::kOk);
  const std::string before = target.state().serialize();

  // Every cut, including those at a record boundary (a snapshot that lost
  // its tail must not pass for a smaller state), a wrong format byte,
  // trailing bytes, and a well-formed record whose parent is missing.
  std::string wrong_format = good;
  wrong_format[0] = static_cast<char>(wrong_format[0] + 1);
  std::vector<std::string> bad = {wrong_format, good + "x"};
  for (size_t cut = 0; cut < good.size(); ++cut) bad.push_back(good.substr(0, cut));
  std::string orphan = ZooState().serialize();
  orphan.resize(1 + 8);  // format and zxid
  ByteWriter w(orphan);
  w.u64(1);
  w.bytes("/no/parent");
  w.bytes(*source.state().record("/app"));
  bad.push_back(orphan);
  for (const std::string& bytes : bad) {
    ASSERT_FALSE(target.state().restore(bytes)) << "length " << bytes.size();
    ASSERT_EQ(target.state().serialize(), before);
  }
  EXPECT_EQ(target.data("/mine"), "keep");
  EXPECT_TRUE(target.state().restore(good));
}

// --- Codecs --------------------------------------------------------------------------

std::vector<Txn> sample_txns() {
  std::vector<Txn> txns;
  TreeHarness h;
  const SessionId s = h.open_session(digest_auth("alice:pw"));
  const std::vector<WriteRequest> requests = {
      h.request(s, create_op("/a", std::string("\0\x01\xff", 3), CreateMode::kEphemeral,
                             {acl_entry(perm::kAll, "auth", "")})),
      h.request(s, set_data_op("/a", "v", 0)),
      h.request(s, set_acl_op("/a", read_only_acl(), 0)),
      h.multi(s, {create_op("/b"), check_op("/b", 0), delete_op("/b")}),
      h.multi(s, {create_op("/c"), delete_op("/missing")}),
      h.request(s, create_ttl_op("/t", kMaxTtlMs)),
      h.request(s, delete_op("/missing")),
      h.close(s),
  };
  WriteRequest create_session;
  create_session.op = OpCode::kCreateSession;
  create_session.session_timeout_ms = 12345;
  txns.push_back(*h.preparer().prepare(create_session, -7));
  h.preparer().discard();
  for (const WriteRequest& request : requests) {
    std::optional<Txn> txn = h.prepare(request);
    if (txn) txns.push_back(*txn);
  }
  Txn hand;
  hand.session = INT64_MIN;
  hand.request_id = UINT64_MAX;
  hand.request_op = OpCode::kCreate2;
  hand.time_ms = INT64_MAX;
  TxnOp op;
  op.type = TxnOpType::kCreate;
  op.request_op = OpCode::kCreateContainer;
  op.path = "/x";
  op.data = std::string(70000, 'd');
  op.acl = {acl_entry(-1, "s", "i")};
  op.ephemeral_owner = kContainerOwner;
  op.parent_cversion = INT32_MIN;
  op.version = INT32_MAX;
  op.error = ErrorCode::kThrottledOp;
  op.session_timeout_ms = -1;
  hand.ops.push_back(op);
  txns.push_back(hand);
  txns.push_back(Txn{});
  return txns;
}

TEST(TreeCodec, TxnRoundTrip) {
  const std::vector<Txn> txns = sample_txns();
  ASSERT_GE(txns.size(), 10u);
  std::set<TxnOpType> types;
  for (const Txn& txn : txns) {
    for (const TxnOp& op : txn.ops) types.insert(op.type);
    const std::string bytes = encode_txn(txn);
    const std::optional<Txn> decoded = decode_txn(bytes);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, txn);
  }
  EXPECT_EQ(types.size(), 8u);  // every TxnOpType is exercised
}

TEST(TreeCodec, TxnTruncatedOrPaddedIsRefused) {
  for (const Txn& txn : sample_txns()) {
    const std::string bytes = encode_txn(txn);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      ASSERT_FALSE(decode_txn(bytes.substr(0, cut)).has_value()) << cut << " of " << bytes.size();
    }
    EXPECT_FALSE(decode_txn(bytes + '\0').has_value());
    std::string wrong_format = bytes;
    wrong_format[0] = '\x02';
    EXPECT_FALSE(decode_txn(wrong_format).has_value());
  }
}

TEST(TreeCodec, TxnWithAnUnknownOpTypeIsRefused) {
  Txn txn;
  txn.ops.resize(1);
  for (const uint8_t type : {0, 9, 255}) {
    txn.ops[0].type = static_cast<TxnOpType>(type);
    EXPECT_FALSE(decode_txn(encode_txn(txn)).has_value()) << int{type};
  }
}

std::vector<WriteRequest> sample_requests() {
  WriteRequest everything;
  everything.session = -2;
  everything.request_id = UINT64_MAX;
  everything.op = OpCode::kMulti;
  everything.auth = AuthContext{{Id{"ip", "::1"}, Id{"digest", digest_id("alice:pw")}}, true};
  everything.session_timeout_ms = INT32_MIN;
  WriteOp ttl = create_ttl_op("/t", 77, CreateMode::kPersistentSequentialWithTtl);
  ttl.data = std::string("\0\0", 2);
  ttl.acl = {acl_entry(perm::kAll, "auth", ""), acl_entry(perm::kRead, "world", "anyone")};
  everything.ops = {ttl, delete_op("/d", 3), set_data_op("/s", std::string(100000, 's'), -1),
                    set_acl_op("/a", open_acl(), 0), check_op("/c", INT32_MAX)};

  WriteRequest create_session;
  create_session.op = OpCode::kCreateSession;
  create_session.session_timeout_ms = 30000;

  return {everything, create_session, WriteRequest{}, TreeHarness::delete_container("/c")};
}

TEST(TreeCodec, WriteRequestRoundTrip) {
  for (const WriteRequest& request : sample_requests()) {
    const std::optional<WriteRequest> decoded = decode_write_request(encode_write_request(request));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, request);
  }
  // operator== looks at every field.
  WriteRequest a = sample_requests()[0];
  WriteRequest b = a;
  b.auth.is_super = false;
  EXPECT_FALSE(a == b);
  b = a;
  b.ops[0].ttl_ms = 78;
  EXPECT_FALSE(a == b);
}

TEST(TreeCodec, WriteRequestTruncatedOrPaddedIsRefused) {
  for (const WriteRequest& request : sample_requests()) {
    const std::string bytes = encode_write_request(request);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      ASSERT_FALSE(decode_write_request(bytes.substr(0, cut)).has_value()) << cut;
    }
    EXPECT_FALSE(decode_write_request(bytes + 'x').has_value());
  }
}

TEST(TreeCodec, ZnodeRecordRoundTrip) {
  ZnodeRecord node;
  node.stat.czxid = 1;
  node.stat.mzxid = 2;
  node.stat.ctime_ms = 3;
  node.stat.mtime_ms = 4;
  node.stat.version = 5;
  node.stat.cversion = 6;
  node.stat.aversion = 7;
  node.stat.ephemeral_owner = ttl_owner(8);
  node.stat.pzxid = 9;
  node.data = std::string("ten\0", 4);
  node.stat.data_length = 4;
  node.acl = {acl_entry(perm::kRead, "digest", digest_id("alice:pw"))};
  const std::string bytes = encode_znode(node);
  ZnodeRecord decoded;
  ASSERT_TRUE(decode_znode(bytes, decoded));
  EXPECT_EQ(decoded.stat, node.stat);
  EXPECT_EQ(decoded.data, node.data);
  EXPECT_EQ(decoded.acl, node.acl);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    ZnodeRecord partial;
    EXPECT_FALSE(decode_znode(bytes.substr(0, cut), partial)) << cut;
  }
  EXPECT_FALSE(decode_znode(bytes + "!", decoded));
}

}  // namespace
}  // namespace warden::store
