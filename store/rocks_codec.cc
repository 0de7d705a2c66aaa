#include "store/rocks_codec.h"

#include <algorithm>
#include <cstdio>

#include "consensus/checksum.h"

namespace warden::store::rocks_codec {
namespace {

constexpr size_t kCrcBytes = 4;
constexpr size_t kLogHeaderBytes = kCrcBytes + 8 + 1;  // crc, zxid, type

uint32_t crc_of(std::string_view key, std::string_view body) {
  // The checksum covers key and body as one string. A recovery verifies
  // every record, so a small one is joined on the stack rather than the heap.
  constexpr size_t kStackBytes = 512;
  const size_t size = key.size() + body.size();
  if (size <= kStackBytes) {
    char covered[kStackBytes];
    std::copy(body.begin(), body.end(), std::copy(key.begin(), key.end(), covered));
    return consensus::crc32c(std::string_view(covered, size));
  }
  std::string covered;
  covered.reserve(size);
  covered.append(key);
  covered.append(body);
  return consensus::crc32c(covered);
}

}  // namespace

void put_u32(std::string* out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<char>(value >> shift));
}

void put_u64(std::string* out, uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) out->push_back(static_cast<char>(value >> shift));
}

uint32_t get_u32(std::string_view bytes, size_t offset) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return value;
}

uint64_t get_u64(std::string_view bytes, size_t offset) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return value;
}

std::string log_key(consensus::LogIndex index) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i, index >>= 8) key[i] = static_cast<char>(index & 0xff);
  return key;
}

bool parse_log_key(std::string_view key, consensus::LogIndex* index) {
  if (key.size() != 8) return false;
  consensus::LogIndex value = 0;
  for (char c : key) value = (value << 8) | static_cast<uint8_t>(c);
  *index = value;
  return true;
}

std::string encode_log_value(const consensus::Entry& entry) {
  std::string value(kCrcBytes, '\0');
  value.reserve(kLogHeaderBytes + entry.data.size());
  put_u64(&value, entry.zxid);
  value.push_back(static_cast<char>(entry.type));
  value.append(entry.data);
  const uint32_t crc = crc_of(log_key(entry.index), std::string_view(value).substr(kCrcBytes));
  std::string crc_bytes;
  put_u32(&crc_bytes, crc);
  value.replace(0, kCrcBytes, crc_bytes);
  return value;
}

bool decode_log_value(consensus::LogIndex index, std::string_view value, consensus::Entry* out,
                      std::string* why) {
  if (value.size() < kLogHeaderBytes) {
    *why = "value of " + std::to_string(value.size()) + " bytes is shorter than an entry header";
    return false;
  }
  const uint64_t zxid = get_u64(value, kCrcBytes);
  if (get_u32(value, 0) != crc_of(log_key(index), value.substr(kCrcBytes))) {
    *why = "checksum mismatch (stored zxid " + std::to_string(zxid) + ", unverified)";
    return false;
  }
  const uint8_t type = static_cast<uint8_t>(value[kCrcBytes + 8]);
  if (type > static_cast<uint8_t>(consensus::EntryType::kData)) {
    *why = "unknown entry type " + std::to_string(type) + " (zxid " + std::to_string(zxid) + ")";
    return false;
  }
  *out = consensus::Entry{index, zxid, static_cast<consensus::EntryType>(type),
                          std::string(value.substr(kLogHeaderBytes))};
  return true;
}

std::string seal(std::string_view key, std::string_view body) {
  std::string value;
  value.reserve(kCrcBytes + body.size());
  put_u32(&value, crc_of(key, body));
  value.append(body);
  return value;
}

bool unseal(std::string_view key, std::string_view value, std::string_view* body) {
  if (value.size() < kCrcBytes) return false;
  if (get_u32(value, 0) != crc_of(key, value.substr(kCrcBytes))) return false;
  *body = value.substr(kCrcBytes);
  return true;
}

std::string encode_u32(uint32_t value) {
  std::string body;
  put_u32(&body, value);
  return body;
}

bool decode_u32(std::string_view body, uint32_t* value) {
  if (body.size() != 4) return false;
  *value = get_u32(body, 0);
  return true;
}

std::string encode_u64(uint64_t value) {
  std::string body;
  put_u64(&body, value);
  return body;
}

bool decode_u64(std::string_view body, uint64_t* value) {
  if (body.size() != 8) return false;
  *value = get_u64(body, 0);
  return true;
}

std::string encode_position(const LogPosition& position) {
  std::string body;
  put_u64(&body, position.index);
  put_u64(&body, position.zxid);
  return body;
}

bool decode_position(std::string_view body, LogPosition* position) {
  if (body.size() != 16) return false;
  *position = LogPosition{get_u64(body, 0), get_u64(body, 8)};
  return true;
}

std::string encode_hard_state(const consensus::HardState& hard_state) {
  std::string body;
  put_u32(&body, hard_state.epoch);
  put_u32(&body, hard_state.voted_for);
  put_u32(&body, hard_state.rebuilt_after_epoch);
  return body;
}

bool decode_hard_state(std::string_view body, consensus::HardState* hard_state) {
  if (body.size() != 12) return false;
  *hard_state = consensus::HardState{get_u32(body, 0), get_u32(body, 4), get_u32(body, 8)};
  return true;
}

std::string printable(std::string_view bytes) {
  constexpr size_t kMaxChars = 200;
  std::string text;
  for (char c : bytes) {
    if (text.size() >= kMaxChars) return text + "...";
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      text.push_back(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      text.append(escaped);
    }
  }
  return text;
}

}  // namespace warden::store::rocks_codec
