// ZooKeeper's access control: permission bits, ids (scheme:id), ACL entries,
// the schemes world, digest, ip and auth, and the check a request must pass.
//
// A session is authenticated as a list of ids (always its ip; one digest id
// per successful addauth). An ACL entry grants its perms to an id:
//   world:anyone  everyone;
//   digest:user:base64(sha1(user:password))  a session that did addauth
//     digest user:password;
//   ip:addr[/bits]  a session connected from that address or subnet;
//   auth:  (only when creating) stands for every id the creator holds.
// A session whose ids include the super digest passes every check.
//
// Pure functions; used by prep (store), the server (net) and clients.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/byte_io.h"

namespace warden::store {

namespace perm {
inline constexpr int32_t kRead = 1 << 0;
inline constexpr int32_t kWrite = 1 << 1;
inline constexpr int32_t kCreate = 1 << 2;
inline constexpr int32_t kDelete = 1 << 3;
inline constexpr int32_t kAdmin = 1 << 4;
inline constexpr int32_t kAll = kRead | kWrite | kCreate | kDelete | kAdmin;
}  // namespace perm

struct Id {
  std::string scheme;
  std::string id;
  bool operator==(const Id&) const = default;
  auto operator<=>(const Id&) const = default;
};

struct Acl {
  int32_t perms = 0;
  Id id;
  bool operator==(const Acl&) const = default;
  auto operator<=>(const Acl&) const = default;
};
using AclList = std::vector<Acl>;

// world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE).
AclList open_acl();
// world:anyone read-only (ZooDefs.Ids.READ_ACL_UNSAFE).
AclList read_only_acl();

// "user:password" -> "user:base64(sha1("user:password"))", as
// DigestAuthenticationProvider.generateDigest does.
std::string digest_id(std::string_view user_colon_password);

// Who a session is: the ids it authenticated as, and whether one of them is
// the super user's.
struct AuthContext {
  std::vector<Id> ids;
  bool is_super = false;
};

// True if `acl` grants `wanted` (one bit or several: any one granted bit is
// enough, as in ZooKeeper) to `auth`. An empty ACL list grants everything.
bool acl_allows(const AclList& acl, int32_t wanted, const AuthContext& auth);

// Checks the ACL of a create or setACL, drops repeated entries and resolves
// the auth scheme against the creator's ids (ZooKeeper's fixupACL). False
// (kInvalidAcl) for an empty list, an unknown scheme, a malformed id, or auth
// with no digest id to stand for (ip ids do not count, as in ZooKeeper).
bool resolve_acl(const AclList& requested, const AuthContext& auth, AclList& resolved);

// ip scheme: does `address` (dotted IPv4 or IPv6 text) match `pattern`
// ("10.0.0.1" or "10.0.0.0/8")?
bool ip_matches(std::string_view pattern, std::string_view address);

// Warden's own binary form of an ACL list (in txns and znode records).
void write_acl(ByteWriter& writer, const AclList& acl);
AclList read_acl(ByteReader& reader);

}  // namespace warden::store
