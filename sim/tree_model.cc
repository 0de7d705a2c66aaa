#include "sim/tree_model.h"

#include <cstdio>

namespace warden::sim {

using store::CreateMode;
using store::ErrorCode;
using store::OpCode;

namespace {

std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool version_matches(int32_t current, int32_t expected) {
  return expected == -1 || expected == current;
}

}  // namespace

TreeModel::TreeModel() {
  tree_["/"].children = {"zookeeper"};
  tree_["/zookeeper"].children = {"config", "quota"};
  tree_["/zookeeper/config"];
  tree_["/zookeeper/quota"];
}

void TreeModel::remove(Tree& tree, const std::string& path) {
  tree.erase(path);
  tree[parent_of(path)].children.erase(name_of(path));
}

ErrorCode TreeModel::apply_op(Tree& tree, const store::WriteOp& op, int64_t session,
                              int64_t time_ms, std::string& created_path, int32_t& version) {
  const auto found = tree.find(op.path);
  switch (op.op) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl: {
      const auto parent = tree.find(parent_of(op.path));
      if (parent == tree.end()) return ErrorCode::kNoNode;
      std::string path = op.path;
      if (store::is_sequential(op.mode)) {
        char suffix[16];
        std::snprintf(suffix, sizeof suffix, "%010d", parent->second.cversion);
        path += suffix;
      }
      if (tree.count(path) != 0) return ErrorCode::kNodeExists;
      if (parent->second.session_owner != 0) return ErrorCode::kNoChildrenForEphemerals;
      parent->second.cversion += 1;
      parent->second.children.insert(name_of(path));
      Node& node = tree[path];
      node.data = op.data;
      node.session_owner = store::is_ephemeral(op.mode) ? session : 0;
      node.container = op.mode == CreateMode::kContainer;
      node.ttl_ms = store::is_ttl(op.mode) ? op.ttl_ms : 0;
      node.mtime_ms = time_ms;
      created_path = path;
      return ErrorCode::kOk;
    }
    case OpCode::kDelete:
      if (found == tree.end() || op.path == "/") return ErrorCode::kNoNode;
      if (!version_matches(found->second.version, op.version)) return ErrorCode::kBadVersion;
      if (!found->second.children.empty()) return ErrorCode::kNotEmpty;
      remove(tree, op.path);
      return ErrorCode::kOk;
    case OpCode::kSetData:
      if (found == tree.end()) return ErrorCode::kNoNode;
      if (!version_matches(found->second.version, op.version)) return ErrorCode::kBadVersion;
      found->second.data = op.data;
      found->second.mtime_ms = time_ms;
      version = ++found->second.version;
      return ErrorCode::kOk;
    case OpCode::kCheck:
      if (found == tree.end()) return ErrorCode::kNoNode;
      return version_matches(found->second.version, op.version) ? ErrorCode::kOk
                                                                : ErrorCode::kBadVersion;
    default:
      return ErrorCode::kUnimplemented;
  }
}

ErrorCode TreeModel::delete_container(const std::string& path, int64_t time_ms) {
  const auto found = tree_.find(path);
  if (found == tree_.end()) return ErrorCode::kNoNode;
  const Node& node = found->second;
  if (!node.children.empty()) return ErrorCode::kNotEmpty;
  const bool due = (node.container && node.cversion > 0) ||
                   (node.ttl_ms > 0 && time_ms - node.mtime_ms > node.ttl_ms);
  if (!due) return ErrorCode::kBadVersion;
  remove(tree_, path);
  return ErrorCode::kOk;
}

ModelWriteOutcome TreeModel::apply(const store::WriteRequest& request, int64_t zxid,
                                   int64_t time_ms) {
  ModelWriteOutcome out;
  if (request.op == OpCode::kDeleteContainer) {
    out.error = request.ops.size() == 1 ? delete_container(request.ops[0].path, time_ms)
                                        : ErrorCode::kBadArguments;
    out.op_errors = {out.error};
    return out;
  }
  if (request.op == OpCode::kCreateSession) {
    sessions_[zxid] = 0;
    out.created_session = zxid;
    out.op_errors = {ErrorCode::kOk};
    out.created_paths = {""};
    out.versions = {-1};
    return out;
  }
  const auto session = sessions_.find(request.session);
  if (session == sessions_.end()) {
    out.error = ErrorCode::kSessionExpired;
    out.op_errors = {ErrorCode::kSessionExpired};
    return out;
  }
  if (request.request_id <= session->second) {
    out.duplicate = true;
    return out;
  }
  session->second = request.request_id;
  if (request.op == OpCode::kCloseSession) {
    std::vector<std::string> owned;
    for (const auto& [path, node] : tree_) {
      if (node.session_owner == request.session) owned.push_back(path);
    }
    for (const std::string& path : owned) remove(tree_, path);
    sessions_.erase(request.session);
    out.op_errors = {ErrorCode::kOk};
    return out;
  }
  Tree scratch = tree_;
  for (size_t i = 0; i < request.ops.size(); ++i) {
    std::string created;
    int32_t version = -1;
    const ErrorCode error =
        apply_op(scratch, request.ops[i], request.session, time_ms, created, version);
    if (error != ErrorCode::kOk) {
      out.error = error;
      out.op_errors.assign(request.ops.size(), ErrorCode::kOk);
      out.op_errors[i] = error;
      for (size_t j = i + 1; j < request.ops.size(); ++j) {
        out.op_errors[j] = ErrorCode::kRuntimeInconsistency;
      }
      out.created_paths.assign(request.ops.size(), "");
      out.versions.assign(request.ops.size(), -1);
      return out;
    }
    out.op_errors.push_back(ErrorCode::kOk);
    out.created_paths.push_back(created);
    out.versions.push_back(version);
  }
  tree_ = std::move(scratch);
  return out;
}

ModelReadOutcome TreeModel::read(OpCode op, const std::string& path) const {
  ModelReadOutcome out;
  const auto found = tree_.find(path);
  if (found == tree_.end()) {
    out.error = ErrorCode::kNoNode;
    return out;
  }
  out.version = found->second.version;
  if (op == OpCode::kGetData) out.data = found->second.data;
  if (op == OpCode::kGetChildren) {
    out.children.assign(found->second.children.begin(), found->second.children.end());
  }
  return out;
}

}  // namespace warden::sim
