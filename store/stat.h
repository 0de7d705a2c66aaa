// ZooKeeper's Stat: the metadata every znode carries and every read returns,
// field for field as ZooKeeper defines them (see data_tree.h for when each
// one changes), plus the encodings ZooKeeper packs into ephemeralOwner.
//
// Used by the data tree, the wire codec and clients.
#pragma once

#include <cstdint>

namespace warden::store {

// A session id; 0 means "no session" (a persistent node's ephemeralOwner).
using SessionId = int64_t;

struct Stat {
  int64_t czxid = 0;            // zxid of the create
  int64_t mzxid = 0;            // zxid of the last setData (or the create)
  int64_t ctime_ms = 0;         // leader's clock at create, ms since the epoch
  int64_t mtime_ms = 0;         // leader's clock at the last setData (or create)
  int32_t version = 0;          // number of setData
  int32_t cversion = 0;         // number of child creates
  int32_t aversion = 0;         // number of setACL
  int64_t ephemeral_owner = 0;  // session of an ephemeral; container/TTL markers below
  int32_t data_length = 0;
  int32_t num_children = 0;
  int64_t pzxid = 0;  // zxid of the last child create or delete
  bool operator==(const Stat&) const = default;
};

// ZooKeeper's "extended" ephemeralOwner values (EphemeralType): a container
// is Long.MIN_VALUE; a TTL node has 0xFF in the top byte and its TTL in ms in
// the low 40 bits. Server ids of ordinary sessions never reach those bytes.
inline constexpr int64_t kContainerOwner = INT64_MIN;
inline constexpr uint64_t kTtlOwnerMarker = 0xff00000000000000ull;
inline constexpr int64_t kMaxTtlMs = 0x000000ffffffffffll;

inline bool is_container_owner(int64_t owner) {
  return owner == kContainerOwner;
}
inline bool is_ttl_owner(int64_t owner) {
  return (static_cast<uint64_t>(owner) & 0xffff000000000000ull) == kTtlOwnerMarker;
}
inline int64_t ttl_owner(int64_t ttl_ms) {
  return static_cast<int64_t>(kTtlOwnerMarker | static_cast<uint64_t>(ttl_ms));
}
inline int64_t ttl_of_owner(int64_t owner) {
  return owner & kMaxTtlMs;
}
// A real session's ephemeral (not persistent, container or TTL).
inline bool is_session_owner(int64_t owner) {
  return owner != 0 && !is_container_owner(owner) && !is_ttl_owner(owner);
}

}  // namespace warden::store
