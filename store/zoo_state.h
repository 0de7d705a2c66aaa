// ZooState: the whole replicated state of a Warden ensemble — the data tree
// and the session table — and the one place txns change it. Every node
// applies the same txns in log order and gets the same state, results and
// watch triggers (apply reads no clock: a txn carries the leader's time).
//
// Apply drops a txn whose request id is not above the last one applied for
// its session: a forwarded request that the network duplicated must take
// effect once. Closing a session deletes its ephemerals, in path order.
//
// The state is also a set of records (key -> bytes) so that a durable store
// can keep it and a snapshot can carry it: one record per znode (key = its
// path) and one per session (key = "\x01s" + 8-byte big-endian id, which sorts
// before every path). A change listener names the records each apply touched.
//
// Owned by a node's driver (sim::NodeHost, the runtime in net/); reads may be
// served from it between applies. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/data_tree.h"
#include "store/txn.h"

namespace warden::store {

struct SessionInfo {
  int32_t timeout_ms = 0;
  uint64_t last_request_id = 0;  // the highest applied; repeats are dropped
  bool operator==(const SessionInfo&) const = default;
};

// One op's answer. For a create, `path` is the created node's path; `stat` is
// the node's Stat after a create (create2), setData or setACL.
struct OpResult {
  OpCode op = OpCode::kError;
  ErrorCode error = ErrorCode::kOk;
  std::string path;
  Stat stat;
  bool operator==(const OpResult&) const = default;
};

struct ApplyResult {
  bool duplicate = false;  // a repeat of an applied request: nothing changed, nobody to answer
  SessionId session = 0;
  uint64_t request_id = 0;
  OpCode request_op = OpCode::kError;
  int64_t zxid = 0;
  // The request's answer: for a single op its error; for a multi OK if it
  // applied, else the error of the op that failed.
  ErrorCode error = ErrorCode::kOk;
  std::vector<OpResult> results;
  SessionId created_session = 0;  // createSession: the new session's id
  std::vector<WatchTrigger> triggers;
};

struct ReadResult {
  ErrorCode error = ErrorCode::kOk;
  std::string data;
  Stat stat;
  std::vector<std::string> children;  // getChildren: names, sorted
  AclList acl;                        // getACL
};

class ZooState {
 public:
  ZooState() = default;

  // Applies the txn at `zxid` (the log entry's). Session ids are the zxid of
  // their createSession txn: unique across the ensemble without coordination.
  ApplyResult apply(const Txn& txn, int64_t zxid);

  // Reads, as a ZooKeeper server answers them from its local state.
  ReadResult get_data(std::string_view path, const AuthContext& auth) const;
  ReadResult exists(std::string_view path) const;
  ReadResult get_children(std::string_view path, const AuthContext& auth) const;
  // getACL needs READ or ADMIN; without ADMIN digest ids read "user:x".
  ReadResult get_acl(std::string_view path, const AuthContext& auth) const;

  const DataTree& tree() const { return tree_; }
  const std::map<SessionId, SessionInfo>& sessions() const { return sessions_; }
  const SessionInfo* session(SessionId id) const;
  int64_t last_applied_zxid() const { return last_applied_zxid_; }
  // Txns that did not fit the state (a prep bug); each left the state unchanged
  // from the failing op on. Must stay 0.
  uint64_t inconsistencies() const { return inconsistencies_; }
  uint64_t state_hash() const { return tree_.state_hash() + sessions_hash_; }

  // Records. `record` is nullopt if the key names nothing (deleted).
  static std::string session_key(SessionId id);
  std::optional<std::string> record(std::string_view key) const;
  // Every record in an order where parents come before children.
  void for_each_record(
      const std::function<void(const std::string& key, const std::string& value)>& visit) const;
  // Rebuilding: clear(), then restore_record() for each record in such an
  // order, then set_last_applied_zxid(). False for a record that makes no sense.
  void clear();
  bool restore_record(std::string_view key, std::string_view value);
  void set_last_applied_zxid(int64_t zxid) { last_applied_zxid_ = zxid; }

  // Rebuilding from records in ascending key order (bytewise), as a durable
  // store keeps them: clear() and restore_record() for each, made cheaper
  // for a large tree (see DataTree::Loader). While a Loader lives, change
  // the state only through it; the state is whole once it is gone.
  class Loader {
   public:
    // Clears `state` and makes room for about `expected_records`.
    Loader(ZooState& state, size_t expected_records);
    // restore_record()'s contract.
    bool add(std::string_view key, std::string_view value);

   private:
    ZooState& state_;
    DataTree::Loader tree_;
    ZnodeRecord node_;  // reused, so its data buffer is allocated once
  };

  void set_change_listener(DataTree::ChangeListener listener);

  // The whole state as one string (a snapshot) and back. restore() leaves the
  // state unchanged and returns false if `bytes` is malformed.
  std::string serialize() const;
  bool restore(std::string_view bytes);

 private:
  // clear() but for the tree.
  void clear_sessions_and_counters();
  void apply_op(const TxnOp& op, const Txn& txn, int64_t zxid, ApplyResult& result);
  void close_session(SessionId id, int64_t zxid, std::vector<WatchTrigger>& triggers);
  void put_session(SessionId id, const SessionInfo& info);
  void erase_session(SessionId id);
  static uint64_t session_hash(SessionId id, const SessionInfo& info);
  Stat stat_of(const std::string& path) const;
  // The node at `path` if it exists and `auth` holds one of `wanted` (0: no
  // check); else null with the error in `result`.
  const Znode* readable(std::string_view path, int32_t wanted, const AuthContext& auth,
                        ReadResult& result) const;

  DataTree tree_;
  std::map<SessionId, SessionInfo> sessions_;
  uint64_t sessions_hash_ = 0;
  int64_t last_applied_zxid_ = 0;
  uint64_t inconsistencies_ = 0;
  DataTree::ChangeListener change_listener_;
};

// Znode record encoding (Stat, data, ACL), shared with the durable store.
std::string encode_znode(const Znode& node);
std::string encode_znode(const ZnodeRecord& node);
bool decode_znode(std::string_view bytes, ZnodeRecord& node);

}  // namespace warden::store
