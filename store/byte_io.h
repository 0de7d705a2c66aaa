// Little-endian binary writing and bounds-checked reading for Warden's own
// encodings (txns in the log, znode records, snapshots). Not the ZooKeeper
// wire format (that is jute, big-endian, in net/).
//
// Header-only helpers for store/ and its users.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace warden::store {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { fixed(v); }
  void u64(uint64_t v) { fixed(v); }
  void i32(int32_t v) { fixed(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { fixed(static_cast<uint64_t>(v)); }
  void bytes(std::string_view v) {
    u32(static_cast<uint32_t>(v.size()));
    out_.append(v);
  }

 private:
  template <typename T>
  void fixed(T v) {
    for (size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string& out_;
};

// Every read past the end turns ok() false and yields zeros, so a decoder can
// read a whole record and check once.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint8_t u8() { return fixed<uint8_t>(); }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  int32_t i32() { return static_cast<int32_t>(fixed<uint32_t>()); }
  int64_t i64() { return static_cast<int64_t>(fixed<uint64_t>()); }
  std::string_view bytes() {
    const uint32_t length = u32();
    if (!ok_ || in_.size() - offset_ < length) {
      ok_ = false;
      return {};
    }
    const std::string_view out = in_.substr(offset_, length);
    offset_ += length;
    return out;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return offset_ == in_.size(); }
  size_t remaining() const { return in_.size() - offset_; }

 private:
  template <typename T>
  T fixed() {
    if (!ok_ || in_.size() - offset_ < sizeof(T)) {
      ok_ = false;
      return 0;
    }
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<T>(static_cast<uint8_t>(in_[offset_ + i])) << (8 * i));
    }
    offset_ += sizeof(T);
    return v;
  }
  std::string_view in_;
  size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace warden::store
