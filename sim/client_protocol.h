// What simulated clients and node hosts say to each other: one request per
// operation and one reply. These stand in for the ZooKeeper wire protocol;
// they cross the simulated network (latency and loss only).
//
// Two workloads share it: the register workload (read, write, cas on integer
// keys) and the tree workload (ZooKeeper requests on the data tree, in
// sessions).
//
// Shared by the workloads (clients) and sim::NodeHost's services (servers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/request.h"
#include "store/zoo_state.h"

namespace warden::sim {

enum class ClientOpKind : uint8_t { kRead, kWrite, kCas, kTreeWrite, kTreeRead };

// A ZooKeeper read, served by the node the client talks to from its own
// state. A node that has applied less than `min_zxid` (the last zxid this
// client saw) refuses, as ZooKeeper refuses a client that has seen more.
struct TreeRead {
  store::OpCode op = store::OpCode::kGetData;  // kGetData, kExists or kGetChildren
  std::string path;
  int64_t min_zxid = 0;
};

struct ClientRequest {
  uint32_t client = 0;      // index of the client; its register-machine id is client + 1
  uint64_t request_id = 0;  // grows per client, across its processes
  ClientOpKind kind = ClientOpKind::kRead;
  int64_t key = 0;
  int64_t value = 0;               // write: the value; cas: the new value
  int64_t expected = 0;            // cas: the value compared against
  store::WriteRequest tree_write;  // kTreeWrite
  TreeRead tree_read;              // kTreeRead
};

enum class ClientReplyStatus : uint8_t {
  kOk,           // done; for reads `read_value` holds what was read
  kCasMismatch,  // the cas was applied and compared false: it definitely had no effect
  kRejected,     // definitely not done (no leader, busy, node down, read not confirmed)
};

struct ClientReply {
  uint32_t client = 0;
  uint64_t request_id = 0;
  ClientReplyStatus status = ClientReplyStatus::kOk;
  std::optional<int64_t> read_value;
  // Tree workload: a write's answer (it applied at `zxid`) or a read's (served
  // from the state at `zxid`).
  int64_t zxid = 0;
  store::ErrorCode tree_error = store::ErrorCode::kOk;
  std::vector<store::OpResult> tree_results;
  store::SessionId created_session = 0;
  store::ReadResult tree_read;
};

}  // namespace warden::sim
