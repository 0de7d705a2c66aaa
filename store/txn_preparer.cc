#include "store/txn_preparer.h"

#include <cassert>

#include "store/path.h"

namespace warden::store {
namespace {

bool is_create(OpCode op) {
  return op == OpCode::kCreate || op == OpCode::kCreate2 || op == OpCode::kCreateContainer ||
         op == OpCode::kCreateTtl;
}

bool allowed_in_multi(OpCode op) {
  return is_create(op) || op == OpCode::kDelete || op == OpCode::kSetData || op == OpCode::kCheck;
}

// ZooKeeper's checkAndIncVersion: -1 matches any version.
ErrorCode check_version(int32_t current, int32_t expected) {
  return expected == -1 || expected == current ? ErrorCode::kOk : ErrorCode::kBadVersion;
}

TxnOp error_op(OpCode op, ErrorCode error) {
  TxnOp out;
  out.type = TxnOpType::kError;
  out.request_op = op;
  out.error = error;
  return out;
}

}  // namespace

TxnPreparer::NodeRecord TxnPreparer::node(const std::string& path) const {
  for (auto it = staged_nodes_.rbegin(); it != staged_nodes_.rend(); ++it) {
    if (it->first == path) return it->second;
  }
  if (!config_.planted_ignore_pending) {
    const auto it = nodes_.find(path);
    if (it != nodes_.end()) return it->second.record;
  }
  NodeRecord record;
  if (const Znode* znode = state_.tree().find(path)) {
    record.exists = true;
    record.stat = znode->stat;
    record.acl = znode->acl();
  }
  return record;
}

TxnPreparer::SessionRecord TxnPreparer::session(SessionId id) const {
  for (auto it = staged_sessions_.rbegin(); it != staged_sessions_.rend(); ++it) {
    if (it->first == id) return it->second;
  }
  const auto it = sessions_.find(id);
  if (it != sessions_.end()) return it->second.record;
  SessionRecord record;
  if (const SessionInfo* info = state_.session(id)) {
    record.exists = true;
    record.last_request_id = info->last_request_id;
  }
  return record;
}

void TxnPreparer::stage_node(const std::string& path, NodeRecord record) {
  staged_nodes_.emplace_back(path, std::move(record));
}

void TxnPreparer::stage_session(SessionId id, SessionRecord record) {
  staged_sessions_.emplace_back(id, record);
}

std::optional<Txn> TxnPreparer::prepare(const WriteRequest& request, int64_t time_ms) {
  assert(staged_nodes_.empty() && staged_sessions_.empty() && staged_ephemerals_.empty());
  time_ms_ = time_ms;
  Txn txn;
  txn.session = request.session;
  txn.request_id = request.request_id;
  txn.request_op = request.op;
  txn.time_ms = time_ms;
  if (request.op == OpCode::kCreateSession) {
    TxnOp op;
    op.type = TxnOpType::kCreateSession;
    op.request_op = request.op;
    op.session_timeout_ms = request.session_timeout_ms;
    txn.ops.push_back(op);
    return txn;
  }
  if (request.op == OpCode::kDeleteContainer) {
    TxnOp op;
    if (request.ops.size() != 1) return std::nullopt;
    const ErrorCode error = prepare_delete_container(request.ops[0], op);
    txn.ops.push_back(error == ErrorCode::kOk ? op : error_op(request.op, error));
    if (error != ErrorCode::kOk) staged_nodes_.clear();
    return txn;
  }
  SessionRecord owner = session(request.session);
  if (owner.exists && request.request_id <= owner.last_request_id) return std::nullopt;
  if (!owner.exists) {
    txn.ops.push_back(error_op(request.op, ErrorCode::kSessionExpired));
    return txn;
  }
  owner.last_request_id = request.request_id;
  stage_session(request.session, owner);

  if (request.op == OpCode::kCloseSession) {
    TxnOp op;
    prepare_close_session(request.session, op);
    txn.ops.push_back(op);
  } else if (request.op == OpCode::kMulti) {
    prepare_multi(request, txn);
  } else if (request.ops.size() != 1) {
    txn.ops.push_back(error_op(request.op, ErrorCode::kMarshallingError));
  } else {
    TxnOp op;
    const ErrorCode error = prepare_op(request.ops[0], request, op);
    txn.ops.push_back(error == ErrorCode::kOk ? op : error_op(request.ops[0].op, error));
  }
  return txn;
}

void TxnPreparer::prepare_multi(const WriteRequest& request, Txn& txn) {
  const size_t staged_before = staged_nodes_.size();
  const size_t ephemerals_before = staged_ephemerals_.size();
  std::vector<TxnOp> ops;
  size_t failed_at = request.ops.size();
  ErrorCode failure = ErrorCode::kOk;
  for (size_t i = 0; i < request.ops.size(); ++i) {
    const WriteOp& op = request.ops[i];
    TxnOp out;
    failure = allowed_in_multi(op.op) ? prepare_op(op, request, out) : ErrorCode::kBadArguments;
    if (failure != ErrorCode::kOk) {
      failed_at = i;
      break;
    }
    ops.push_back(std::move(out));
  }
  if (failed_at == request.ops.size()) {
    txn.ops = std::move(ops);
    return;
  }
  // All or nothing: the ops that passed leave no trace.
  staged_nodes_.resize(staged_before);
  staged_ephemerals_.resize(ephemerals_before);
  for (size_t i = 0; i < request.ops.size(); ++i) {
    const ErrorCode error = i < failed_at    ? ErrorCode::kOk
                            : i == failed_at ? failure
                                             : ErrorCode::kRuntimeInconsistency;
    txn.ops.push_back(error_op(request.ops[i].op, error));
  }
}

ErrorCode TxnPreparer::prepare_op(const WriteOp& op, const WriteRequest& request, TxnOp& out) {
  out.request_op = op.op;
  if (is_create(op.op)) return prepare_create(op, request, out);
  switch (op.op) {
    case OpCode::kDelete:
      return prepare_delete(op, request, out);
    case OpCode::kSetData:
      return prepare_set_data(op, request, out);
    case OpCode::kSetAcl:
      return prepare_set_acl(op, request, out);
    case OpCode::kCheck:
      return prepare_check(op, request, out);
    default:
      return ErrorCode::kUnimplemented;
  }
}

ErrorCode TxnPreparer::prepare_create(const WriteOp& op, const WriteRequest& request, TxnOp& out) {
  const CreateMode mode = op.mode;
  if (!is_valid_create_mode(static_cast<int32_t>(mode))) return ErrorCode::kBadArguments;
  if ((op.op == OpCode::kCreateContainer) != (mode == CreateMode::kContainer)) {
    return ErrorCode::kBadArguments;
  }
  if ((op.op == OpCode::kCreateTtl) != is_ttl(mode)) return ErrorCode::kBadArguments;
  if (is_ttl(mode) && (op.ttl_ms <= 0 || op.ttl_ms > kMaxTtlMs)) return ErrorCode::kBadArguments;
  if (op.data.size() > config_.max_data_bytes) return ErrorCode::kBadArguments;
  const bool sequential = is_sequential(mode);
  // Like ZooKeeper, "/" is a valid name to create: it exists already, and
  // with a sequential mode it names a new child of the root.
  if (!is_valid_path(sequential ? op.path + "1" : op.path)) {
    return ErrorCode::kBadArguments;
  }
  AclList acl;
  if (!resolve_acl(op.acl, request.auth, acl)) return ErrorCode::kInvalidAcl;
  const std::string parent_name(op.path == "/" ? "/" : parent_path(op.path));
  NodeRecord parent = node(parent_name);
  if (!parent.exists) return ErrorCode::kNoNode;
  if (!acl_allows(parent.acl, perm::kCreate, request.auth)) return ErrorCode::kNoAuth;
  std::string path = op.path;
  if (sequential) path += sequence_suffix(parent.stat.cversion);
  if (!is_valid_path(path)) return ErrorCode::kBadArguments;
  if (node(path).exists) return ErrorCode::kNodeExists;
  if (is_session_owner(parent.stat.ephemeral_owner)) return ErrorCode::kNoChildrenForEphemerals;

  int64_t owner = 0;
  if (is_ephemeral(mode)) owner = request.session;
  if (mode == CreateMode::kContainer) owner = kContainerOwner;
  if (is_ttl(mode)) owner = ttl_owner(op.ttl_ms);

  out.type = TxnOpType::kCreate;
  out.path = path;
  out.data = op.data;
  out.acl = acl;
  out.ephemeral_owner = owner;
  out.parent_cversion = parent.stat.cversion + 1;

  parent.stat.cversion = out.parent_cversion;
  parent.stat.num_children += 1;
  stage_node(parent_name, std::move(parent));
  NodeRecord child;
  child.exists = true;
  child.stat.ephemeral_owner = owner;
  child.stat.mtime_ms = time_ms_;
  child.acl = std::move(acl);
  stage_node(path, std::move(child));
  if (is_session_owner(owner)) staged_ephemerals_.emplace_back(owner, path);
  return ErrorCode::kOk;
}

ErrorCode TxnPreparer::prepare_delete(const WriteOp& op, const WriteRequest& request, TxnOp& out) {
  if (!is_valid_path(op.path) || is_system_path(op.path)) return ErrorCode::kBadArguments;
  // ZooKeeper's order: the parent, its DELETE permission, then the node.
  const NodeRecord parent = node(std::string(parent_path(op.path)));
  if (!parent.exists) return ErrorCode::kNoNode;
  if (!acl_allows(parent.acl, perm::kDelete, request.auth)) return ErrorCode::kNoAuth;
  const NodeRecord target = node(op.path);
  if (!target.exists) return ErrorCode::kNoNode;
  if (check_version(target.stat.version, op.version) != ErrorCode::kOk) {
    return ErrorCode::kBadVersion;
  }
  if (target.stat.num_children > 0) return ErrorCode::kNotEmpty;
  remove_node(op.path);
  out.type = TxnOpType::kDelete;
  out.path = op.path;
  return ErrorCode::kOk;
}

void TxnPreparer::remove_node(const std::string& path) {
  const std::string parent_name(parent_path(path));
  NodeRecord parent = node(parent_name);
  parent.stat.num_children -= 1;
  stage_node(parent_name, std::move(parent));
  stage_node(path, NodeRecord{});
}

ErrorCode TxnPreparer::prepare_delete_container(const WriteOp& op, TxnOp& out) {
  if (!is_valid_path(op.path) || is_system_path(op.path)) return ErrorCode::kBadArguments;
  const NodeRecord target = node(op.path);
  if (!target.exists) return ErrorCode::kNoNode;
  if (target.stat.num_children > 0) return ErrorCode::kNotEmpty;
  // Due now, in the state that includes pending txns (a setData just
  // prepared renews a TTL node): else it is not the leader's to remove.
  if (!due_for_removal(target, time_ms_)) return ErrorCode::kBadVersion;
  remove_node(op.path);
  out.type = TxnOpType::kDelete;
  out.request_op = OpCode::kDeleteContainer;
  out.path = op.path;
  return ErrorCode::kOk;
}

ErrorCode TxnPreparer::prepare_set_data(const WriteOp& op, const WriteRequest& request,
                                        TxnOp& out) {
  if (!is_valid_path(op.path)) return ErrorCode::kBadArguments;
  if (op.data.size() > config_.max_data_bytes) return ErrorCode::kBadArguments;
  NodeRecord target = node(op.path);
  if (!target.exists) return ErrorCode::kNoNode;
  if (!acl_allows(target.acl, perm::kWrite, request.auth)) return ErrorCode::kNoAuth;
  if (check_version(target.stat.version, op.version) != ErrorCode::kOk) {
    return ErrorCode::kBadVersion;
  }
  out.type = TxnOpType::kSetData;
  out.path = op.path;
  out.data = op.data;
  out.version = target.stat.version + 1;
  target.stat.version = out.version;
  target.stat.mtime_ms = time_ms_;
  stage_node(op.path, std::move(target));
  return ErrorCode::kOk;
}

ErrorCode TxnPreparer::prepare_set_acl(const WriteOp& op, const WriteRequest& request, TxnOp& out) {
  if (!is_valid_path(op.path)) return ErrorCode::kBadArguments;
  AclList acl;
  if (!resolve_acl(op.acl, request.auth, acl)) return ErrorCode::kInvalidAcl;
  NodeRecord target = node(op.path);
  if (!target.exists) return ErrorCode::kNoNode;
  if (!acl_allows(target.acl, perm::kAdmin, request.auth)) return ErrorCode::kNoAuth;
  if (check_version(target.stat.aversion, op.version) != ErrorCode::kOk) {
    return ErrorCode::kBadVersion;
  }
  out.type = TxnOpType::kSetAcl;
  out.path = op.path;
  out.acl = acl;
  out.version = target.stat.aversion + 1;
  target.stat.aversion = out.version;
  target.acl = std::move(acl);
  stage_node(op.path, std::move(target));
  return ErrorCode::kOk;
}

ErrorCode TxnPreparer::prepare_check(const WriteOp& op, const WriteRequest& request, TxnOp& out) {
  if (!is_valid_path(op.path)) return ErrorCode::kBadArguments;
  const NodeRecord target = node(op.path);
  if (!target.exists) return ErrorCode::kNoNode;
  if (!acl_allows(target.acl, perm::kRead, request.auth)) return ErrorCode::kNoAuth;
  if (check_version(target.stat.version, op.version) != ErrorCode::kOk) {
    return ErrorCode::kBadVersion;
  }
  out.type = TxnOpType::kCheck;
  out.path = op.path;
  return ErrorCode::kOk;
}

void TxnPreparer::prepare_close_session(SessionId id, TxnOp& out) {
  out.type = TxnOpType::kCloseSession;
  out.request_op = OpCode::kCloseSession;
  std::set<std::string> candidates = state_.tree().ephemerals_of(id);
  const auto pending = pending_ephemerals_.find(id);
  if (pending != pending_ephemerals_.end()) {
    for (const auto& [path, index] : pending->second) candidates.insert(path);
  }
  for (const std::string& path : candidates) {
    const NodeRecord record = node(path);
    if (record.exists && record.stat.ephemeral_owner == id) remove_node(path);
  }
  stage_session(id, SessionRecord{});
}

void TxnPreparer::keep(uint64_t log_index) {
  for (auto& [path, record] : staged_nodes_) {
    nodes_[path] = Pending<NodeRecord>{log_index, std::move(record)};
    node_order_.emplace_back(log_index, path);
  }
  for (const auto& [id, record] : staged_sessions_) {
    sessions_[id] = Pending<SessionRecord>{log_index, record};
  }
  for (const auto& [owner, path] : staged_ephemerals_) {
    pending_ephemerals_[owner][path] = log_index;
  }
  discard();
}

void TxnPreparer::discard() {
  staged_nodes_.clear();
  staged_sessions_.clear();
  staged_ephemerals_.clear();
}

void TxnPreparer::applied(uint64_t log_index) {
  while (!node_order_.empty() && node_order_.front().first <= log_index) {
    const auto it = nodes_.find(node_order_.front().second);
    if (it != nodes_.end() && it->second.log_index <= log_index) nodes_.erase(it);
    node_order_.pop_front();
  }
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.log_index <= log_index; });
  for (auto it = pending_ephemerals_.begin(); it != pending_ephemerals_.end();) {
    std::erase_if(it->second, [&](const auto& entry) { return entry.second <= log_index; });
    it = it->second.empty() ? pending_ephemerals_.erase(it) : std::next(it);
  }
}

void TxnPreparer::reset() {
  discard();
  nodes_.clear();
  sessions_.clear();
  pending_ephemerals_.clear();
  node_order_.clear();
}

bool TxnPreparer::due_for_removal(const NodeRecord& record, int64_t now_ms) {
  const Stat& stat = record.stat;
  if (!record.exists || stat.num_children != 0) return false;
  if (is_container_owner(stat.ephemeral_owner)) return stat.cversion > 0;
  if (is_ttl_owner(stat.ephemeral_owner)) {
    return now_ms - stat.mtime_ms > ttl_of_owner(stat.ephemeral_owner);
  }
  return false;
}

std::vector<std::string> TxnPreparer::nodes_due_for_removal(int64_t now_ms) const {
  std::vector<std::string> due;
  for (const auto* paths : {&state_.tree().containers(), &state_.tree().ttl_nodes()}) {
    for (const std::string& path : *paths) {
      if (due_for_removal(node(path), now_ms)) due.push_back(path);
    }
  }
  return due;
}

}  // namespace warden::store
