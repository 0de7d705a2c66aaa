#include "consensus/checksum.h"

#include <array>
#include <cstring>

namespace warden::consensus {
namespace {

constexpr uint32_t kCastagnoliReflected = 0x82f63b78u;

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kCastagnoliReflected : 0);
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

uint32_t crc32c_by_table(uint32_t crc, std::string_view bytes) {
  for (char c : bytes) crc = kCrcTable[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE4.2 has a CRC-32C instruction; every record is checksummed on write and
// on every recovery, so this is worth having.
__attribute__((target("sse4.2"))) uint32_t crc32c_by_instruction(uint32_t crc,
                                                                 std::string_view bytes) {
  size_t i = 0;
  uint64_t crc64 = crc;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, sizeof word);
    crc64 = __builtin_ia32_crc32di(crc64, word);
  }
  crc = static_cast<uint32_t>(crc64);
  for (; i < bytes.size(); ++i) crc = __builtin_ia32_crc32qi(crc, static_cast<uint8_t>(bytes[i]));
  return crc;
}

const bool kHaveCrcInstruction = __builtin_cpu_supports("sse4.2");
#endif

}  // namespace

uint32_t crc32c(std::string_view bytes) {
#if defined(__x86_64__)
  if (kHaveCrcInstruction) return crc32c_by_instruction(0xffffffffu, bytes) ^ 0xffffffffu;
#endif
  return crc32c_by_table(0xffffffffu, bytes) ^ 0xffffffffu;
}

}  // namespace warden::consensus
