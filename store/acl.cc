#include "store/acl.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace warden::store {
namespace {

// Parses an IPv4 or IPv6 address into bytes; false if it is neither.
bool parse_address(std::string_view text, std::array<uint8_t, 16>& bytes, size_t& length) {
  const std::string copy(text);
  if (inet_pton(AF_INET, copy.c_str(), bytes.data()) == 1) {
    length = 4;
    return true;
  }
  if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) == 1) {
    length = 16;
    return true;
  }
  return false;
}

struct IpPattern {
  std::array<uint8_t, 16> bytes{};
  size_t length = 0;
  int prefix_bits = 0;
};

bool parse_ip_pattern(std::string_view pattern, IpPattern& out) {
  const size_t slash = pattern.find('/');
  if (!parse_address(pattern.substr(0, slash), out.bytes, out.length)) return false;
  out.prefix_bits = static_cast<int>(out.length * 8);
  if (slash == std::string_view::npos) return true;
  const std::string_view bits = pattern.substr(slash + 1);
  const auto [end, error] =
      std::from_chars(bits.data(), bits.data() + bits.size(), out.prefix_bits);
  return error == std::errc() && end == bits.data() + bits.size() && out.prefix_bits >= 0 &&
         out.prefix_bits <= static_cast<int>(out.length * 8);
}

bool digest_id_valid(std::string_view id) {
  const size_t colon = id.find(':');
  return colon != std::string_view::npos && colon > 0 && colon + 1 < id.size() &&
         id.find(':', colon + 1) == std::string_view::npos;
}

bool id_valid(const Id& id) {
  if (id.scheme == "world") return id.id == "anyone";
  if (id.scheme == "digest") return digest_id_valid(id.id);
  IpPattern ignored;
  if (id.scheme == "ip") return parse_ip_pattern(id.id, ignored);
  return false;
}

bool id_matches(const Id& session_id, const Id& acl_id) {
  if (session_id.scheme != acl_id.scheme) return false;
  if (acl_id.scheme == "ip") return ip_matches(acl_id.id, session_id.id);
  return session_id.id == acl_id.id;
}

}  // namespace

AclList open_acl() {
  return {Acl{perm::kAll, Id{"world", "anyone"}}};
}
AclList read_only_acl() {
  return {Acl{perm::kRead, Id{"world", "anyone"}}};
}

std::string digest_id(std::string_view user_colon_password) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> sha{};
  SHA1(reinterpret_cast<const unsigned char*>(user_colon_password.data()),
       user_colon_password.size(), sha.data());
  std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> base64{};
  const int length = EVP_EncodeBlock(base64.data(), sha.data(), SHA_DIGEST_LENGTH);
  const std::string_view user = user_colon_password.substr(0, user_colon_password.find(':'));
  return std::string(user) + ":" +
         std::string(reinterpret_cast<const char*>(base64.data()), length);
}

bool acl_allows(const AclList& acl, int32_t wanted, const AuthContext& auth) {
  if (auth.is_super || acl.empty()) return true;
  for (const Acl& entry : acl) {
    if ((entry.perms & wanted) == 0) continue;
    if (entry.id.scheme == "world" && entry.id.id == "anyone") return true;
    for (const Id& id : auth.ids) {
      if (id_matches(id, entry.id)) return true;
    }
  }
  return false;
}

bool resolve_acl(const AclList& requested, const AuthContext& auth, AclList& resolved) {
  resolved.clear();
  if (requested.empty()) return false;
  for (auto it = requested.begin(); it != requested.end(); ++it) {
    const Acl& entry = *it;
    // ZooKeeper's removeDuplicates: an entry equal to an earlier one is dropped.
    if (std::find(requested.begin(), it, entry) != it) continue;
    if (entry.id.scheme != "auth") {
      if (!id_valid(entry.id)) return false;
      resolved.push_back(entry);
      continue;
    }
    bool added = false;
    for (const Id& id : auth.ids) {
      if (id.scheme != "digest") continue;  // ip is not an authenticated identity
      resolved.push_back(Acl{entry.perms, id});
      added = true;
    }
    if (!added) return false;
  }
  return true;
}

void write_acl(ByteWriter& writer, const AclList& acl) {
  writer.u32(static_cast<uint32_t>(acl.size()));
  for (const Acl& entry : acl) {
    writer.i32(entry.perms);
    writer.bytes(entry.id.scheme);
    writer.bytes(entry.id.id);
  }
}

AclList read_acl(ByteReader& reader) {
  AclList acl;
  const uint32_t count = reader.u32();
  for (uint32_t i = 0; i < count && reader.ok(); ++i) {
    Acl entry;
    entry.perms = reader.i32();
    entry.id.scheme = reader.bytes();
    entry.id.id = reader.bytes();
    acl.push_back(std::move(entry));
  }
  return acl;
}

bool ip_matches(std::string_view pattern, std::string_view address) {
  IpPattern parsed;
  std::array<uint8_t, 16> bytes{};
  size_t length = 0;
  if (!parse_ip_pattern(pattern, parsed) || !parse_address(address, bytes, length)) return false;
  if (length != parsed.length) return false;
  int bits_left = parsed.prefix_bits;
  for (size_t i = 0; i < length && bits_left > 0; ++i, bits_left -= 8) {
    const uint8_t mask = bits_left >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits_left));
    if ((bytes[i] & mask) != (parsed.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace warden::store
