// What the libFuzzer targets in tests/fuzz share: a check that stops the run
// whatever the build type (a property that fails must become a crash
// libFuzzer records, not a silently ignored assert), and the header bytes an
// input opens with to say how its stream is cut into pieces.
//
// Included by the fuzz_*.cc targets only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace warden::fuzz {

[[noreturn]] inline void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, condition);
  std::abort();
}

// Stops the run, naming the property, if `condition` is false.
#define WARDEN_FUZZ_CHECK(condition)                                                \
  do {                                                                              \
    if (!(condition)) ::warden::fuzz::check_failed(#condition, __FILE__, __LINE__); \
  } while (false)

// Reads an input's leading bytes: a flags byte, then as many piece sizes as
// its low 3 bits say. A socket hands a decoder whatever it has, so the same
// bytes must decode the same whether they come all at once, byte by byte or
// cut anywhere else; letting the input choose the cuts lets libFuzzer try
// them all.
class InputHeader {
 public:
  InputHeader(const uint8_t* data, size_t size) {
    if (size == 0) return;
    flags_ = data[0];
    const size_t count = flags_ & 0x7;
    if (size < 1 + count) return;
    for (size_t i = 0; i < count; ++i) pieces_.push_back(data[1 + i]);
    rest_ = std::string_view(reinterpret_cast<const char*>(data) + 1 + count, size - 1 - count);
    ok_ = true;
  }

  // False if the input is too short to hold its own header.
  bool ok() const { return ok_; }
  // The flags byte's upper 5 bits, for the target's own choices.
  uint8_t choice() const { return flags_ >> 3; }
  // What follows the header.
  std::string_view rest() const { return rest_; }

  // Calls feed(piece) for consecutive pieces of `stream`, cycling through the
  // piece sizes; a size of 0, or no sizes at all, takes all that is left.
  template <class Feed>
  void split(std::string_view stream, Feed&& feed) const {
    size_t next_size = 0;
    while (!stream.empty()) {
      size_t size = stream.size();
      if (!pieces_.empty()) {
        const uint8_t wanted = pieces_[next_size++ % pieces_.size()];
        if (wanted != 0 && wanted < size) size = wanted;
      }
      feed(stream.substr(0, size));
      stream.remove_prefix(size);
    }
  }

 private:
  bool ok_ = false;
  uint8_t flags_ = 0;
  std::vector<uint8_t> pieces_;
  std::string_view rest_;
};

}  // namespace warden::fuzz
