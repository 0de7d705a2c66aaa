// How zoo.cfg values are read: numbers, booleans and server lines the way
// ZooKeeper's Java code reads them (Integer.parseInt, Integer.decode, its
// strict true/false, QuorumPeer.QuorumServer). Each returns nothing or an
// error reason instead of throwing; the caller adds the file, line and key.
//
// Pure functions, internal to net/zoo_config*.cc and their tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/zoo_config.h"

namespace warden::net::zoo_config_detail {

// String.trim(): drops every character <= ' ' at both ends.
std::string_view java_trim(std::string_view s);

// Integer.parseInt/Long.parseLong: an optional sign and decimal digits only.
std::optional<int64_t> parse_decimal(std::string_view s);

// Integer.decode (how jute.maxbuffer is read): decimal, 0x/0X/# hex, or a
// leading 0 for octal, with an optional sign.
std::optional<int64_t> parse_java_decode(std::string_view s);

// Hex digits without a prefix, as the config version is written.
std::optional<uint64_t> parse_hex(std::string_view s);

// "true" or "false" in any case; ZooKeeper rejects anything else.
std::optional<bool> parse_java_bool(std::string_view s);

// The value of a server.N line (N already parsed). On success `spec` holds
// the server; `extra_addresses` says a multi-address line ("a|b") was cut to
// its first address. On failure the reason, in words.
struct ServerLine {
  ServerSpec spec;
  bool extra_addresses = false;
  std::string error;
};
ServerLine parse_server_line(uint32_t id, std::string_view value, bool multi_address_enabled);

// "host:port" for messages and the conf output: IPv6 literals in brackets.
std::string delimited_host(std::string_view host);

}  // namespace warden::net::zoo_config_detail
