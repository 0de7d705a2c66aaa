// A reference model of ZooKeeper's semantics for the ops the tree workload
// uses (create in every mode, delete, setData, check, multi, createSession,
// closeSession, the leader's deleteContainer of an empty container or an
// expired TTL node, getData, exists, getChildren), written
// apart from store/ so the checker does not judge the store by itself. It
// evaluates client *requests* in the committed order, the way the ensemble
// must have, and answers what each should have returned. ACLs are not
// modelled (the workload uses world:anyone).
//
// Used by the tree checker (sim/tree_checker.cc).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "store/error_code.h"
#include "store/request.h"

namespace warden::sim {

struct ModelWriteOutcome {
  bool duplicate = false;  // a repeat of an applied request: no effect, no answer
  store::ErrorCode error = store::ErrorCode::kOk;
  std::vector<store::ErrorCode> op_errors;  // per op
  std::vector<std::string> created_paths;   // per op ("" unless a create)
  std::vector<int32_t> versions;            // per op: setData's new version, else -1
  int64_t created_session = 0;
};

struct ModelReadOutcome {
  store::ErrorCode error = store::ErrorCode::kOk;
  std::string data;
  int32_t version = 0;
  std::vector<std::string> children;
};

class TreeModel {
 public:
  TreeModel();
  // `time_ms` is the leader's clock in the request's txn (it decides TTLs).
  ModelWriteOutcome apply(const store::WriteRequest& request, int64_t zxid, int64_t time_ms);
  ModelReadOutcome read(store::OpCode op, const std::string& path) const;

 private:
  struct Node {
    std::string data;
    int32_t version = 0;
    int32_t cversion = 0;
    int64_t session_owner = 0;  // an ephemeral's session
    bool container = false;
    int64_t ttl_ms = 0;  // > 0 for a TTL node
    int64_t mtime_ms = 0;
    std::set<std::string> children;
  };
  using Tree = std::map<std::string, Node>;

  static store::ErrorCode apply_op(Tree& tree, const store::WriteOp& op, int64_t session,
                                   int64_t time_ms, std::string& created_path, int32_t& version);
  store::ErrorCode delete_container(const std::string& path, int64_t time_ms);
  static void remove(Tree& tree, const std::string& path);

  Tree tree_;
  std::map<int64_t, uint64_t> sessions_;  // id -> last request id
};

}  // namespace warden::sim
