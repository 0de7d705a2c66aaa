#include "store/path.h"

#include <cassert>
#include <cstdint>
#include <cstdio>

namespace warden::store {
namespace {

// Decodes one UTF-8 code point at `at`; returns its length, or 0 if malformed.
size_t decode_utf8(std::string_view s, size_t at, uint32_t& code_point) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = byte(at);
  size_t length = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, code_point = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, code_point = lead & 0x0f;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > s.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(at + i) & 0x3f);
  }
  static constexpr uint32_t kSmallestForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kSmallestForLength[length]) return 0;  // overlong encoding
  return length;
}

bool forbidden_code_point(uint32_t c) {
  return (c >= 0x01 && c <= 0x1f) || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) ||
         (c >= 0xfff0 && c <= 0xffff) || c > 0xffff;
}

}  // namespace

std::string path_error(std::string_view path) {
  if (path.empty()) return "Path length must be > 0";
  if (path[0] != '/') return "Path must start with / character";
  if (path.size() == 1) return "";
  if (path.back() == '/') return "Path must not end with / character";
  size_t element_start = 1;
  for (size_t i = 1; i <= path.size();) {
    if (i == path.size() || path[i] == '/') {
      const std::string_view element = path.substr(element_start, i - element_start);
      if (element.empty()) return "empty node name specified @" + std::to_string(i);
      if (element == "." || element == "..") {
        return "relative paths not allowed @" + std::to_string(element_start);
      }
      element_start = i + 1;
      ++i;
      continue;
    }
    if (path[i] == '\0') return "null character not allowed @" + std::to_string(i);
    uint32_t code_point = 0;
    const size_t length = decode_utf8(path, i, code_point);
    if (length == 0) return "malformed UTF-8 @" + std::to_string(i);
    if (forbidden_code_point(code_point)) return "invalid character @" + std::to_string(i);
    i += length;
  }
  return "";
}

std::string_view parent_path(std::string_view path) {
  assert(path.size() > 1);
  const size_t slash = path.rfind('/');
  return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view base_name(std::string_view path) {
  assert(path.size() > 1);
  return path.substr(path.rfind('/') + 1);
}

std::string child_path(std::string_view parent, std::string_view name) {
  std::string out;
  out.reserve(parent.size() + 1 + name.size());
  out.append(parent);
  if (parent.size() != 1) out.push_back('/');
  out.append(name);
  return out;
}

std::string sequence_suffix(int32_t counter) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%010d", counter);
  return buffer;
}

bool is_system_path(std::string_view path) {
  return path == "/" || path == "/zookeeper" || path == "/zookeeper/quota" ||
         path == "/zookeeper/config";
}

}  // namespace warden::store
