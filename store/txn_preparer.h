// TxnPreparer: ZooKeeper's "prep" step. The leader turns each write request
// into a txn, checking it against the state that includes every txn it has
// already proposed but not yet applied — so that two pipelined setData with
// the same expected version cannot both pass, a create right after a create
// of the same path fails, and sequential suffixes never repeat. A request that
// fails its checks becomes an error txn; a multi either passes whole or
// becomes all error ops.
//
// The pending changes are kept per path (and per session) and tagged with the
// log index of the txn that made them: once the node has applied that index
// the tree itself shows the change and the record is dropped. The driver's
// duty (asserted where it can be):
//   - prepare only while it is the leader of an established epoch and has
//     applied every entry before its epoch began (so the tree plus this
//     preparer's records is the whole truth);
//   - after prepare(), either keep(index) with the index the proposal got, or
//     discard() if it was not proposed;
//   - call applied(index) after applying entries, and reset() whenever it
//     stops being leader of that epoch.
//
// Also decides which containers and TTL nodes are due for removal.
// Owned by the node's driver next to its ZooState; single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/zoo_state.h"

namespace warden::store {

struct PrepConfig {
  size_t max_data_bytes = 1 << 20;  // jute.maxbuffer's default
  // Deliberate defect for the simulator's --inject-bug: check requests against
  // the applied tree only, ignoring txns proposed and not yet applied.
  bool planted_ignore_pending = false;
};

class TxnPreparer {
 public:
  TxnPreparer(const ZooState& state, PrepConfig config) : state_(state), config_(config) {}

  // nullopt if the request repeats one already prepared or applied for its
  // session (drop it: its first copy gets the answer).
  std::optional<Txn> prepare(const WriteRequest& request, int64_t time_ms);
  void keep(uint64_t log_index);
  void discard();
  void applied(uint64_t log_index);
  void reset();

  // Containers that had children and have none now, and TTL nodes without
  // children whose TTL has passed since their last change: the leader
  // proposes a deleteContainer for each.
  std::vector<std::string> nodes_due_for_removal(int64_t now_ms) const;

  size_t pending_records() const { return nodes_.size() + sessions_.size(); }

 private:
  // What prep needs to know of a node.
  struct NodeRecord {
    bool exists = false;
    Stat stat;
    AclList acl;
  };
  struct SessionRecord {
    bool exists = false;
    uint64_t last_request_id = 0;
  };
  template <typename Record>
  struct Pending {
    uint64_t log_index = 0;
    Record record;
  };

  static bool due_for_removal(const NodeRecord& record, int64_t now_ms);
  NodeRecord node(const std::string& path) const;
  SessionRecord session(SessionId id) const;
  void stage_node(const std::string& path, NodeRecord record);
  void stage_session(SessionId id, SessionRecord record);

  ErrorCode prepare_op(const WriteOp& op, const WriteRequest& request, TxnOp& out);
  ErrorCode prepare_create(const WriteOp& op, const WriteRequest& request, TxnOp& out);
  ErrorCode prepare_delete(const WriteOp& op, const WriteRequest& request, TxnOp& out);
  ErrorCode prepare_delete_container(const WriteOp& op, TxnOp& out);
  ErrorCode prepare_set_data(const WriteOp& op, const WriteRequest& request, TxnOp& out);
  ErrorCode prepare_set_acl(const WriteOp& op, const WriteRequest& request, TxnOp& out);
  ErrorCode prepare_check(const WriteOp& op, const WriteRequest& request, TxnOp& out);
  void prepare_multi(const WriteRequest& request, Txn& txn);
  void prepare_close_session(SessionId id, TxnOp& out);
  void remove_node(const std::string& path);

  const ZooState& state_;
  PrepConfig config_;
  int64_t time_ms_ = 0;  // the clock of the prepare() under way

  std::unordered_map<std::string, Pending<NodeRecord>> nodes_;
  std::map<SessionId, Pending<SessionRecord>> sessions_;
  // Ephemerals created by pending txns, by owner: closeSession must see them.
  std::map<SessionId, std::map<std::string, uint64_t>> pending_ephemerals_;
  std::deque<std::pair<uint64_t, std::string>> node_order_;  // (index, path) for pruning

  // The current prepare()'s changes, not yet kept.
  std::vector<std::pair<std::string, NodeRecord>> staged_nodes_;
  std::vector<std::pair<SessionId, SessionRecord>> staged_sessions_;
  std::vector<std::pair<SessionId, std::string>> staged_ephemerals_;
};

}  // namespace warden::store
