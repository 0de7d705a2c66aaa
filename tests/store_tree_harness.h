// A test driver for the replicated tree: it runs write requests through the
// same pipeline a leader runs (TxnPreparer::prepare -> keep(index) ->
// ZooState::apply(txn, zxid) -> applied(index)), either one request at a
// time or several prepared before any of them is applied, so that prep has
// to see the pending txns. The log index doubles as the zxid.
//
// Shared by the tests/store_tree_*_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "store/acl.h"
#include "store/request.h"
#include "store/txn.h"
#include "store/txn_preparer.h"
#include "store/zoo_state.h"

namespace warden::store::tree_test {

inline constexpr int64_t kStartTimeMs = 1'700'000'000'000;

// --- One write op of each kind -------------------------------------------------

inline WriteOp create_op(std::string path, std::string data = "",
                         CreateMode mode = CreateMode::kPersistent, AclList acl = open_acl()) {
  WriteOp op;
  op.op = OpCode::kCreate;
  op.path = std::move(path);
  op.data = std::move(data);
  op.mode = mode;
  op.acl = std::move(acl);
  return op;
}

inline WriteOp create_container_op(std::string path, std::string data = "") {
  WriteOp op = create_op(std::move(path), std::move(data), CreateMode::kContainer);
  op.op = OpCode::kCreateContainer;
  return op;
}

inline WriteOp create_ttl_op(std::string path, int64_t ttl_ms,
                             CreateMode mode = CreateMode::kPersistentWithTtl) {
  WriteOp op = create_op(std::move(path), "", mode);
  op.op = OpCode::kCreateTtl;
  op.ttl_ms = ttl_ms;
  return op;
}

inline WriteOp delete_op(std::string path, int32_t version = -1) {
  WriteOp op;
  op.op = OpCode::kDelete;
  op.path = std::move(path);
  op.version = version;
  return op;
}

inline WriteOp set_data_op(std::string path, std::string data, int32_t version = -1) {
  WriteOp op;
  op.op = OpCode::kSetData;
  op.path = std::move(path);
  op.data = std::move(data);
  op.version = version;
  return op;
}

inline WriteOp set_acl_op(std::string path, AclList acl, int32_t version = -1) {
  WriteOp op;
  op.op = OpCode::kSetAcl;
  op.path = std::move(path);
  op.acl = std::move(acl);
  op.version = version;
  return op;
}

inline WriteOp check_op(std::string path, int32_t version) {
  WriteOp op;
  op.op = OpCode::kCheck;
  op.path = std::move(path);
  op.version = version;
  return op;
}

inline Acl acl_entry(int32_t perms, std::string scheme, std::string id) {
  return Acl{perms, Id{std::move(scheme), std::move(id)}};
}

inline AuthContext digest_auth(std::string_view user_colon_password) {
  return AuthContext{{Id{"digest", digest_id(user_colon_password)}}, false};
}

// --- The pipeline ----------------------------------------------------------------

class TreeHarness {
 public:
  explicit TreeHarness(PrepConfig config = {}) : preparer_(state_, config) {}
  TreeHarness(const TreeHarness&) = delete;
  TreeHarness& operator=(const TreeHarness&) = delete;

  ZooState& state() { return state_; }
  TxnPreparer& preparer() { return preparer_; }
  int64_t now_ms() const { return now_ms_; }
  void set_now_ms(int64_t now_ms) { now_ms_ = now_ms; }
  void advance_ms(int64_t ms) { now_ms_ += ms; }
  // The index (and zxid) the next kept txn gets.
  uint64_t next_index() const { return next_index_; }

  // Opens a session (createSession is the only request with session 0) and
  // remembers who it is authenticated as; later requests from it carry that.
  SessionId open_session(AuthContext auth = {}, int32_t timeout_ms = 30000) {
    WriteRequest request;
    request.op = OpCode::kCreateSession;
    request.session_timeout_ms = timeout_ms;
    const ApplyResult result = run(request);
    EXPECT_EQ(result.created_session, result.zxid);
    auth_[result.created_session] = std::move(auth);
    return result.created_session;
  }
  void set_auth(SessionId session, AuthContext auth) { auth_[session] = std::move(auth); }

  // A request from `session` with its next request id.
  WriteRequest request(SessionId session, WriteOp op) {
    WriteRequest out = blank(session, op.op);
    out.ops.push_back(std::move(op));
    return out;
  }
  WriteRequest multi(SessionId session, std::vector<WriteOp> ops) {
    WriteRequest out = blank(session, OpCode::kMulti);
    out.ops = std::move(ops);
    return out;
  }
  WriteRequest close(SessionId session) { return blank(session, OpCode::kCloseSession); }
  // The leader's own request: session 0, no request id.
  static WriteRequest delete_container(std::string path) {
    WriteRequest out;
    out.op = OpCode::kDeleteContainer;
    WriteOp op;
    op.op = OpCode::kDeleteContainer;
    op.path = std::move(path);
    out.ops.push_back(std::move(op));
    return out;
  }

  // Prepares `request` and, unless prep dropped it, keeps it at the next
  // index; it waits for apply_pending(). Returns the txn (nullopt: dropped).
  std::optional<Txn> prepare(const WriteRequest& request) {
    std::optional<Txn> txn = preparer_.prepare(request, now_ms_);
    if (txn) {
      preparer_.keep(next_index_);
      pending_.emplace_back(next_index_++, *txn);
    }
    return txn;
  }

  // Applies every kept txn in index order, as a follower would.
  std::vector<ApplyResult> apply_pending() {
    std::vector<ApplyResult> results;
    for (auto& [index, txn] : pending_) {
      results.push_back(state_.apply(txn, static_cast<int64_t>(index)));
      preparer_.applied(index);
      EXPECT_EQ(state_.inconsistencies(), 0u) << "txn at " << index << " did not fit the tree";
    }
    pending_.clear();
    return results;
  }

  // Forgets the kept txns without applying them, as when a leader loses its
  // term before they commit (the test then calls preparer().reset()).
  void drop_pending() { pending_.clear(); }

  // Applies `txn` at the next index without prep, e.g. a second copy of a
  // txn already applied.
  ApplyResult apply_raw(const Txn& txn) {
    const uint64_t index = next_index_++;
    ApplyResult result = state_.apply(txn, static_cast<int64_t>(index));
    preparer_.applied(index);
    return result;
  }

  // Prepares every request (each kept at the next index) before applying any.
  // A request that prep dropped has no result.
  std::vector<std::optional<ApplyResult>> run_pipelined(const std::vector<WriteRequest>& requests) {
    std::vector<bool> kept;
    for (const WriteRequest& request : requests) kept.push_back(prepare(request).has_value());
    std::vector<ApplyResult> applied = apply_pending();
    std::vector<std::optional<ApplyResult>> out;
    size_t next = 0;
    for (bool was_kept : kept) {
      out.push_back(was_kept ? std::optional<ApplyResult>(std::move(applied[next++]))
                             : std::nullopt);
    }
    return out;
  }

  // One request through the whole pipeline; fails the test if prep drops it.
  ApplyResult run(const WriteRequest& request) {
    EXPECT_TRUE(pending_.empty()) << "run() while txns wait for apply_pending()";
    if (!prepare(request)) {
      ADD_FAILURE() << "prepare dropped the request";
      return ApplyResult{};
    }
    return apply_pending().front();
  }
  ApplyResult run(SessionId session, WriteOp op) { return run(request(session, std::move(op))); }
  ErrorCode error(SessionId session, WriteOp op) { return run(session, std::move(op)).error; }

  // The node at `path`, or a test failure and an empty Stat.
  Stat stat(const std::string& path) {
    const Znode* node = state_.tree().find(path);
    EXPECT_NE(node, nullptr) << path << " is missing";
    return node == nullptr ? Stat{} : node->stat;
  }
  bool exists(const std::string& path) const { return state_.tree().find(path) != nullptr; }
  std::string data(const std::string& path) {
    const ReadResult read = state_.get_data(path, AuthContext{{}, true});
    EXPECT_EQ(read.error, ErrorCode::kOk) << path;
    return read.data;
  }

 private:
  WriteRequest blank(SessionId session, OpCode op) {
    WriteRequest out;
    out.session = session;
    out.request_id = ++request_ids_[session];
    out.op = op;
    const auto auth = auth_.find(session);
    if (auth != auth_.end()) out.auth = auth->second;
    return out;
  }

  ZooState state_;
  TxnPreparer preparer_;
  int64_t now_ms_ = kStartTimeMs;
  uint64_t next_index_ = 1;
  std::vector<std::pair<uint64_t, Txn>> pending_;
  std::map<SessionId, uint64_t> request_ids_;
  std::map<SessionId, AuthContext> auth_;
};

}  // namespace warden::store::tree_test

// gtest prints error codes by name in assertion failures. Internal linkage, so
// that another test file's printer cannot clash with this one.
namespace warden::store {
[[maybe_unused]] static void PrintTo(ErrorCode code, std::ostream* out) {
  *out << error_name(code) << " (" << static_cast<int32_t>(code) << ")";
}
}  // namespace warden::store
