// A txn: a write request after the leader has prepared it (TxnPreparer). It
// carries everything apply needs and nothing apply would have to decide: the
// final path of a sequential node, the resolved ACL, the ephemeral owner, the
// parent's new cversion, the new version, the leader's clock, and, for a
// request that failed its checks, the error (ZooKeeper logs failed requests
// too, so their answers keep their place in the session's order). A multi is
// one txn of several ops, all applied or, if the leader found one failing,
// none: then every op is an error op (OK before the failing one, its error,
// RUNTIMEINCONSISTENCY after), as ZooKeeper answers.
//
// Produced by TxnPreparer at the leader; encoded into log entries; applied by
// ZooState on every node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/acl.h"
#include "store/error_code.h"
#include "store/request.h"
#include "store/stat.h"

namespace warden::store {

enum class TxnOpType : uint8_t {
  kCreate = 1,
  kDelete = 2,
  kSetData = 3,
  kSetAcl = 4,
  kCheck = 5,
  kError = 6,
  kCreateSession = 7,
  kCloseSession = 8,
};

struct TxnOp {
  TxnOpType type = TxnOpType::kError;
  OpCode request_op = OpCode::kError;  // what the client asked (create vs create2 ...)
  std::string path;
  std::string data;
  AclList acl;
  int64_t ephemeral_owner = 0;       // create
  int32_t parent_cversion = 0;       // create: the parent's cversion after it
  int32_t version = 0;               // setData: new version; setACL: new aversion
  ErrorCode error = ErrorCode::kOk;  // kError
  int32_t session_timeout_ms = 0;    // createSession
  bool operator==(const TxnOp&) const = default;
};

struct Txn {
  SessionId session = 0;
  uint64_t request_id = 0;
  OpCode request_op = OpCode::kError;  // kMulti for a multi
  int64_t time_ms = 0;                 // the leader's clock when it prepared the txn
  std::vector<TxnOp> ops;
  bool operator==(const Txn&) const = default;
};

std::string encode_txn(const Txn& txn);
std::optional<Txn> decode_txn(std::string_view bytes);

}  // namespace warden::store
