// Prepared txns built by hand, for tests and benchmarks that drive
// ZooState::apply directly (without TxnPreparer): a persistent create with
// the open ACL, and a setData. The caller supplies what prep would have
// decided (the parent's new cversion, the new version).
//
// Shared by tests/store_durable_tree_test.cc and tests/bench/.
#pragma once

#include <cstdint>
#include <string>

#include "store/acl.h"
#include "store/txn.h"

namespace warden::store::fixtures {

inline Txn create_txn(const std::string& path, const std::string& data, int32_t parent_cversion,
                      int64_t time_ms = 1000) {
  Txn txn;
  txn.request_op = OpCode::kCreate;
  txn.time_ms = time_ms;
  TxnOp op;
  op.type = TxnOpType::kCreate;
  op.request_op = OpCode::kCreate;
  op.path = path;
  op.data = data;
  op.acl = open_acl();
  op.parent_cversion = parent_cversion;
  txn.ops.push_back(std::move(op));
  return txn;
}

inline Txn set_data_txn(const std::string& path, const std::string& data, int32_t new_version,
                        int64_t time_ms = 2000) {
  Txn txn;
  txn.request_op = OpCode::kSetData;
  txn.time_ms = time_ms;
  TxnOp op;
  op.type = TxnOpType::kSetData;
  op.request_op = OpCode::kSetData;
  op.path = path;
  op.data = data;
  op.version = new_version;
  txn.ops.push_back(std::move(op));
  return txn;
}

}  // namespace warden::store::fixtures
