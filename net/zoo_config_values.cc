#include "net/zoo_config_values.h"

#include <cctype>
#include <limits>
#include <vector>

namespace warden::net::zoo_config_detail {
namespace {

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(separator, start);
    parts.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

// Digits in `base` after any sign and prefix; saturates instead of
// overflowing, so that the caller's range check names the problem.
std::optional<int64_t> parse_digits(std::string_view digits, int base, bool negative) {
  if (digits.empty()) return std::nullopt;
  const uint64_t limit = negative ? uint64_t{1} << 63 : std::numeric_limits<int64_t>::max();
  uint64_t value = 0;
  for (const char c : digits) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'z') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'Z') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    value = value > (limit - digit) / base ? limit : value * base + digit;
  }
  if (negative) {
    return value == limit ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(value);
  }
  return static_cast<int64_t>(value);
}

// Splits off a leading '+' or '-'.
bool take_sign(std::string_view& s) {
  if (s.empty() || (s.front() != '+' && s.front() != '-')) return false;
  const bool negative = s.front() == '-';
  s.remove_prefix(1);
  return negative;
}

// ConfigUtils.getHostAndPort: "host:a:b" or "[v6]:a:b" -> {host, a, b}.
bool split_host_and_ports(std::string_view s, std::vector<std::string_view>& parts,
                          std::string& error) {
  if (s.empty() || s.front() != '[') {
    parts = split(s, ':');
    return true;
  }
  const size_t close = s.find(']');
  if (close == std::string_view::npos) {
    error = "'" + std::string(s) + "' starts with '[' but has no matching ']'";
    return false;
  }
  parts = {s.substr(1, close - 1)};
  const std::string_view rest = s.substr(close + 1);
  if (rest.empty()) return true;
  if (rest.front() != ':') {
    error = "'" + std::string(s) + "' needs ':' after ']'";
    return false;
  }
  for (std::string_view part : split(rest.substr(1), ':')) parts.push_back(part);
  return true;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  const std::optional<int64_t> port = parse_decimal(java_trim(s));
  if (!port || *port < 1 || *port > 65535) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

std::string port_error(std::string_view what, std::string_view text) {
  return std::string(what) + " '" + std::string(text) + "' is not a port (1..65535)";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view kServerForm =
    "host:peerPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]";

// One "host:peer:election[:type]" address of a server line.
bool parse_server_address(std::string_view text, ServerSpec& spec, std::string& error) {
  std::vector<std::string_view> parts;
  if (!split_host_and_ports(text, parts, error)) return false;
  if (parts.size() < 3 || parts.size() > 4) {
    error = "'" + std::string(text) + "' is not " + std::string(kServerForm);
    return false;
  }
  spec.host = std::string(java_trim(parts[0]));
  if (spec.host.empty()) {
    error = "'" + std::string(text) + "' has no host";
    return false;
  }
  const std::optional<uint16_t> peer = parse_port(parts[1]);
  const std::optional<uint16_t> election = parse_port(parts[2]);
  if (!peer) error = port_error("peer port", parts[1]);
  if (peer && !election) error = port_error("election port", parts[2]);
  if (!peer || !election) return false;
  if (*peer == *election) {
    error = "peer port and election port must differ (both are " + std::to_string(*peer) + ")";
    return false;
  }
  spec.peer_port = *peer;
  spec.election_port = *election;
  spec.observer = false;
  if (parts.size() == 4) {
    const std::string type = lower(java_trim(parts[3]));
    if (type != "participant" && type != "observer") {
      error = "'" + std::string(parts[3]) + "' is not participant or observer";
      return false;
    }
    spec.observer = type == "observer";
  }
  return true;
}

// The ";[address:]port" part.
bool parse_client_part(std::string_view text, ServerSpec& spec, std::string& error) {
  std::vector<std::string_view> parts;
  if (!split_host_and_ports(java_trim(text), parts, error)) return false;
  if (parts.size() > 2 || (parts.size() == 2 && java_trim(parts[0]).empty())) {
    error = "client part '" + std::string(text) + "' is not [clientAddress:]clientPort";
    return false;
  }
  const std::optional<uint16_t> port = parse_port(parts.back());
  if (!port) {
    error = port_error("client port", parts.back());
    return false;
  }
  spec.client_address = parts.size() == 2 ? std::string(java_trim(parts[0])) : "0.0.0.0";
  spec.client_port = *port;
  return true;
}

}  // namespace

std::string_view java_trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

std::optional<int64_t> parse_decimal(std::string_view s) {
  const bool negative = take_sign(s);
  return parse_digits(s, 10, negative);
}

std::optional<int64_t> parse_java_decode(std::string_view s) {
  const bool negative = take_sign(s);
  if (s.starts_with("0x") || s.starts_with("0X")) return parse_digits(s.substr(2), 16, negative);
  if (s.starts_with("#")) return parse_digits(s.substr(1), 16, negative);
  if (s.size() > 1 && s.front() == '0') return parse_digits(s.substr(1), 8, negative);
  return parse_digits(s, 10, negative);
}

std::optional<uint64_t> parse_hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (const char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    const int digit = std::isdigit(static_cast<unsigned char>(c))
                          ? c - '0'
                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    value = value * 16 + digit;
  }
  return value;
}

std::optional<bool> parse_java_bool(std::string_view s) {
  const std::string word = lower(s);
  if (word == "true") return true;
  if (word == "false") return false;
  return std::nullopt;
}

ServerLine parse_server_line(uint32_t id, std::string_view value, bool multi_address_enabled) {
  ServerLine line;
  line.spec.id = id;
  const std::vector<std::string_view> halves = split(value, ';');
  if (halves.size() > 2) {
    line.error = "has more than one ';' (expected " + std::string(kServerForm) + ")";
    return line;
  }
  const std::vector<std::string_view> addresses = split(halves[0], '|');
  if (addresses.size() > 1 && !multi_address_enabled) {
    line.error = "lists several addresses ('|') but multiAddress.enabled is not true";
    return line;
  }
  for (size_t i = addresses.size(); i-- > 0;) {
    // Parsed last to first so the spec ends up holding the first address.
    const bool was_observer = line.spec.observer;
    if (!parse_server_address(java_trim(addresses[i]), line.spec, line.error)) return line;
    if (i + 1 < addresses.size() && was_observer != line.spec.observer) {
      line.error = "its addresses must all have the same role";
      return line;
    }
  }
  line.extra_addresses = addresses.size() > 1;
  if (halves.size() == 2 && !parse_client_part(halves[1], line.spec, line.error)) return line;
  return line;
}

std::string delimited_host(std::string_view host) {
  if (host.find(':') == std::string_view::npos) return std::string(host);
  return "[" + std::string(host) + "]";
}

}  // namespace warden::net::zoo_config_detail
