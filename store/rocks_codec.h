// Byte layout of everything RocksStorage keeps in RocksDB, and the checksums
// on it. Log CF: key = 8-byte big-endian index (so keys sort by index);
// value = [crc32c u32][zxid u64][type u8][data], the crc covering the index
// and every byte after it, so a value that lands under the wrong key is
// caught too. Tree and meta CFs: value = [crc32c u32 over key + body][body].
// Fixed-width integers inside values are little-endian.
//
// For the rocks_* implementation files and their tests only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/types.h"
#include "store/rocks_write_batch.h"

namespace warden::store::rocks_codec {

// Names of the records in the meta column family.
inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kClusterIdKey = "cluster_id";
inline constexpr std::string_view kHardStateKey = "hard_state";
inline constexpr std::string_view kSnapshotKey = "snapshot";
inline constexpr std::string_view kAppliedKey = "applied";

void put_u32(std::string* out, uint32_t value);
void put_u64(std::string* out, uint64_t value);
uint32_t get_u32(std::string_view bytes, size_t offset);  // caller checks the length
uint64_t get_u64(std::string_view bytes, size_t offset);

std::string log_key(consensus::LogIndex index);
bool parse_log_key(std::string_view key, consensus::LogIndex* index);

std::string encode_log_value(const consensus::Entry& entry);
// Verifies the value against the index it was stored under. On failure
// returns false and says why in *why (with the stored zxid when it can be
// read, marked unverified).
bool decode_log_value(consensus::LogIndex index, std::string_view value, consensus::Entry* out,
                      std::string* why);

// Tree and meta records: the body with a checksum over the key and the body.
std::string seal(std::string_view key, std::string_view body);
bool unseal(std::string_view key, std::string_view value, std::string_view* body);

std::string encode_u32(uint32_t value);
bool decode_u32(std::string_view body, uint32_t* value);
std::string encode_u64(uint64_t value);
bool decode_u64(std::string_view body, uint64_t* value);
std::string encode_position(const LogPosition& position);
bool decode_position(std::string_view body, LogPosition* position);
std::string encode_hard_state(const consensus::HardState& hard_state);
bool decode_hard_state(std::string_view body, consensus::HardState* hard_state);

// For error messages: printable bytes as they are, others as \xNN, at most
// 200 characters.
std::string printable(std::string_view bytes);

}  // namespace warden::store::rocks_codec
