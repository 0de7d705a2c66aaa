#include "net/jute.h"

#include <limits>

namespace warden::net {

namespace {

std::string at(size_t offset) {
  return " at offset " + std::to_string(offset);
}

}  // namespace

void JuteReader::fail(std::string message) {
  if (ok()) error_ = std::move(message);
}

uint64_t JuteReader::fixed(size_t size, const char* what) {
  if (!ok()) return 0;
  const size_t left = in_.size() - offset_;
  if (left < size) {
    fail(std::string("truncated ") + what + at(offset_) + ": " + std::to_string(size) +
         " bytes needed, " + std::to_string(left) + " left");
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) v = (v << 8) | static_cast<uint8_t>(in_[offset_ + i]);
  offset_ += size;
  return v;
}

int32_t JuteReader::int32() {
  return static_cast<int32_t>(static_cast<uint32_t>(fixed(4, "int")));
}

int64_t JuteReader::int64() {
  return static_cast<int64_t>(fixed(8, "long"));
}

bool JuteReader::boolean() {
  return fixed(1, "bool") != 0;
}

std::string JuteReader::buffer() {
  const size_t start = offset_;
  const int32_t length = int32();
  if (!ok() || length == -1) return {};
  if (length < 0) {
    fail("negative length " + std::to_string(length) + at(start));
    return {};
  }
  const auto size = static_cast<size_t>(length);
  if (size > in_.size() - offset_) {
    fail("length " + std::to_string(length) + at(start) + " exceeds the " +
         std::to_string(in_.size() - offset_) + " bytes left");
    return {};
  }
  std::string out(in_.substr(offset_, size));
  offset_ += size;
  return out;
}

size_t JuteReader::vector_count(size_t min_element_size) {
  const size_t start = offset_;
  const int32_t count = int32();
  if (!ok() || count == -1) return 0;
  if (count < 0) {
    fail("negative vector count " + std::to_string(count) + at(start));
    return 0;
  }
  const size_t per_element = min_element_size == 0 ? 1 : min_element_size;
  const size_t left = in_.size() - offset_;
  if (static_cast<size_t>(count) > left / per_element) {
    fail("vector count " + std::to_string(count) + at(start) + " needs at least " +
         std::to_string(per_element) + " bytes per element, " + std::to_string(left) +
         " bytes left");
    return 0;
  }
  return static_cast<size_t>(count);
}

void JuteWriter::put(uint64_t v, size_t size) {
  for (size_t i = size; i-- > 0;) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void JuteWriter::buffer(std::string_view v) {
  assert(v.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  int32(static_cast<int32_t>(v.size()));
  out_.append(v);
}

void JuteWriter::vector_count(size_t count) {
  assert(count <= static_cast<size_t>(std::numeric_limits<int32_t>::max()));
  int32(static_cast<int32_t>(count));
}

}  // namespace warden::net
