// What a client asks the replicated state to do: ZooKeeper's opcodes and the
// write requests that become txns (create, delete, setData, setACL, check,
// multi, createSession, closeSession, and the leader's own deleteContainer).
// A request names its session, a request id that grows per session (the
// ZooKeeper xid; apply drops a repeat, so a forwarded request that the network
// duplicates takes effect once) and who the session is authenticated as.
//
// Built by the wire server (net/) and the simulator's clients; encoded to
// travel from a follower to the leader; consumed by TxnPreparer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/acl.h"
#include "store/stat.h"

namespace warden::store {

// ZooKeeper's opcodes (ZooDefs.OpCode), values as on the wire.
enum class OpCode : int32_t {
  kNotification = 0,
  kCreate = 1,
  kDelete = 2,
  kExists = 3,
  kGetData = 4,
  kSetData = 5,
  kGetAcl = 6,
  kSetAcl = 7,
  kGetChildren = 8,
  kSync = 9,
  kPing = 11,
  kGetChildren2 = 12,
  kCheck = 13,
  kMulti = 14,
  kCreate2 = 15,
  kReconfig = 16,
  kCheckWatches = 17,
  kRemoveWatches = 18,
  kCreateContainer = 19,
  kDeleteContainer = 20,
  kCreateTtl = 21,
  kMultiRead = 22,
  kAuth = 100,
  kSetWatches = 101,
  kSasl = 102,
  kGetEphemerals = 103,
  kGetAllChildrenNumber = 104,
  kSetWatches2 = 105,
  kAddWatch = 106,
  kWhoAmI = 107,
  kCreateSession = -10,
  kCloseSession = -11,
  kError = -1,
};

// ZooKeeper's CreateMode flag values.
enum class CreateMode : int32_t {
  kPersistent = 0,
  kEphemeral = 1,
  kPersistentSequential = 2,
  kEphemeralSequential = 3,
  kContainer = 4,
  kPersistentWithTtl = 5,
  kPersistentSequentialWithTtl = 6,
};
bool is_sequential(CreateMode mode);
bool is_ephemeral(CreateMode mode);
bool is_ttl(CreateMode mode);
bool is_valid_create_mode(int32_t mode);

// One write operation; for a multi, one of its ops. Which fields matter
// depends on `op` (kCreate/kCreate2/kCreateContainer/kCreateTtl, kDelete,
// kSetData, kSetAcl, kCheck, kDeleteContainer).
struct WriteOp {
  OpCode op = OpCode::kCreate;
  std::string path;
  std::string data;
  AclList acl;
  CreateMode mode = CreateMode::kPersistent;
  int64_t ttl_ms = -1;   // createTTL only
  int32_t version = -1;  // delete, setData, setACL, check: -1 matches any version
  bool operator==(const WriteOp&) const = default;
};

struct WriteRequest {
  SessionId session = 0;  // 0 for createSession
  uint64_t request_id = 0;
  OpCode op = OpCode::kCreate;  // kMulti: `ops` holds the sub-ops
  std::vector<WriteOp> ops;     // exactly one unless kMulti (then zero or more)
  AuthContext auth;
  int32_t session_timeout_ms = 0;  // createSession
  bool operator==(const WriteRequest& other) const;
};

std::string encode_write_request(const WriteRequest& request);
std::optional<WriteRequest> decode_write_request(std::string_view bytes);

}  // namespace warden::store
