// What simulated clients and node hosts say to each other: one request per
// operation and one reply. These stand in for the ZooKeeper wire protocol;
// they cross the simulated network (latency and loss only).
//
// Shared by sim::Workload (clients) and sim::NodeHost (servers).
#pragma once

#include <cstdint>
#include <optional>

namespace warden::sim {

enum class ClientOpKind : uint8_t { kRead, kWrite, kCas };

struct ClientRequest {
  uint32_t client = 0;      // index of the client; its register-machine id is client + 1
  uint64_t request_id = 0;  // grows per client, across its processes
  ClientOpKind kind = ClientOpKind::kRead;
  int64_t key = 0;
  int64_t value = 0;     // write: the value; cas: the new value
  int64_t expected = 0;  // cas: the value compared against
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
};

}  // namespace warden::sim
