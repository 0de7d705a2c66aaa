// The simulated disk's on-"disk" format: length-prefixed records, each with a
// CRC32C of its payload, so recovery can tell a record that was torn by a
// crash (short, or with a flipped byte) from a good one and stop there.
// Record kinds: a log entry, "truncate the log from index", a hard state and
// a snapshot (the last two fill whole files that are replaced atomically).
//
// Used by sim::Disk and by the simulator's tests. Pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/checksum.h"
#include "consensus/types.h"

namespace warden::sim {

using consensus::crc32c;

enum class RecordType : uint8_t {
  kEntry = 1,
  kTruncate = 2,  // drop every entry at or after `truncate_from`
  kHardState = 3,
  kSnapshot = 4,
};

// Frame: [payload length: u32 LE][crc32c(payload): u32 LE][payload], where
// payload = [type: u8][fields, little endian].
inline constexpr size_t kRecordHeaderBytes = 8;

void append_entry_record(std::string& out, const consensus::Entry& entry);
void append_truncate_record(std::string& out, consensus::LogIndex truncate_from);
void append_hard_state_record(std::string& out, const consensus::HardState& hard_state);
void append_snapshot_record(std::string& out, const consensus::Snapshot& snapshot);

enum class DecodeStatus : uint8_t {
  kOk,
  kEnd,          // no bytes left: a clean end
  kShort,        // fewer bytes than the frame announces: a torn tail
  kBadChecksum,  // the payload does not match its CRC
  kMalformed,    // CRC fine but the payload makes no sense (a codec bug)
};
const char* decode_status_name(DecodeStatus status);

struct DecodedRecord {
  RecordType type = RecordType::kEntry;
  consensus::Entry entry;
  consensus::LogIndex truncate_from = 0;
  consensus::HardState hard_state;
  consensus::Snapshot snapshot;
};

// Decodes the record at `offset`; on kOk advances `offset` past it.
DecodeStatus decode_record(std::string_view bytes, size_t& offset, DecodedRecord& out);

}  // namespace warden::sim
