// CRC-32C (Castagnoli), the checksum on everything Warden writes or ships:
// simulated disk records, RocksDB log entries and tree records, snapshot
// chunks. The same polynomial as ext4, iSCSI and RocksDB; uses the SSE4.2
// instruction where the CPU has it.
//
// Pure function; anyone may call it from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace warden::consensus {

uint32_t crc32c(std::string_view bytes);

}  // namespace warden::consensus
