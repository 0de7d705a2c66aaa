#include "sim/record_codec.h"

#include <array>
#include <cstring>

namespace warden::sim {
namespace {

void put_u8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_bytes(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

// Reads fields from a payload; `ok` turns false on any overrun.
struct Reader {
  std::string_view bytes;
  size_t offset = 0;
  bool ok = true;

  uint64_t get(int width) {
    if (bytes.size() - offset < static_cast<size_t>(width)) {
      ok = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) {
      v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
    }
    offset += width;
    return v;
  }
  std::string get_bytes() {
    const uint64_t size = get(4);
    if (!ok || bytes.size() - offset < size) {
      ok = false;
      return {};
    }
    std::string out(bytes.substr(offset, size));
    offset += size;
    return out;
  }
};

// Reserves the frame header, lets `write_payload` append, then fills it in.
template <typename WritePayload>
void append_frame(std::string& out, WritePayload write_payload) {
  const size_t header_at = out.size();
  out.append(kRecordHeaderBytes, '\0');
  write_payload(out);
  const std::string_view payload(out.data() + header_at + kRecordHeaderBytes,
                                 out.size() - header_at - kRecordHeaderBytes);
  const uint32_t length = static_cast<uint32_t>(payload.size());
  const uint32_t crc = crc32c(payload);
  for (int i = 0; i < 4; ++i) {
    out[header_at + i] = static_cast<char>((length >> (8 * i)) & 0xff);
    out[header_at + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
}

bool decode_payload(Reader& reader, DecodedRecord& out) {
  out.type = static_cast<RecordType>(reader.get(1));
  switch (out.type) {
    case RecordType::kEntry:
      out.entry.index = reader.get(8);
      out.entry.zxid = reader.get(8);
      out.entry.type = static_cast<consensus::EntryType>(reader.get(1));
      out.entry.data = reader.get_bytes();
      return reader.ok && (out.entry.type == consensus::EntryType::kNewEpoch ||
                           out.entry.type == consensus::EntryType::kData);
    case RecordType::kTruncate:
      out.truncate_from = reader.get(8);
      return reader.ok;
    case RecordType::kHardState:
      out.hard_state.epoch = static_cast<consensus::Epoch>(reader.get(4));
      out.hard_state.voted_for = static_cast<consensus::NodeId>(reader.get(4));
      out.hard_state.rebuilt_after_epoch = static_cast<consensus::Epoch>(reader.get(4));
      return reader.ok;
    case RecordType::kSnapshot:
      out.snapshot.last_index = reader.get(8);
      out.snapshot.last_zxid = reader.get(8);
      out.snapshot.data = reader.get_bytes();
      return reader.ok;
  }
  return false;
}

}  // namespace

void append_entry_record(std::string& out, const consensus::Entry& entry) {
  append_frame(out, [&](std::string& o) {
    put_u8(o, static_cast<uint8_t>(RecordType::kEntry));
    put_u64(o, entry.index);
    put_u64(o, entry.zxid);
    put_u8(o, static_cast<uint8_t>(entry.type));
    put_bytes(o, entry.data);
  });
}

void append_truncate_record(std::string& out, consensus::LogIndex truncate_from) {
  append_frame(out, [&](std::string& o) {
    put_u8(o, static_cast<uint8_t>(RecordType::kTruncate));
    put_u64(o, truncate_from);
  });
}

void append_hard_state_record(std::string& out, const consensus::HardState& hard_state) {
  append_frame(out, [&](std::string& o) {
    put_u8(o, static_cast<uint8_t>(RecordType::kHardState));
    put_u32(o, hard_state.epoch);
    put_u32(o, hard_state.voted_for);
    put_u32(o, hard_state.rebuilt_after_epoch);
  });
}

void append_snapshot_record(std::string& out, const consensus::Snapshot& snapshot) {
  append_frame(out, [&](std::string& o) {
    put_u8(o, static_cast<uint8_t>(RecordType::kSnapshot));
    put_u64(o, snapshot.last_index);
    put_u64(o, snapshot.last_zxid);
    put_bytes(o, snapshot.data);
  });
}

const char* decode_status_name(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kEnd:
      return "end";
    case DecodeStatus::kShort:
      return "short";
    case DecodeStatus::kBadChecksum:
      return "bad-checksum";
    case DecodeStatus::kMalformed:
      return "malformed";
  }
  return "unknown";
}

DecodeStatus decode_record(std::string_view bytes, size_t& offset, DecodedRecord& out) {
  if (offset == bytes.size()) return DecodeStatus::kEnd;
  Reader header{bytes.substr(offset)};
  const uint64_t length = header.get(4);
  const uint32_t crc = static_cast<uint32_t>(header.get(4));
  if (!header.ok || bytes.size() - offset - kRecordHeaderBytes < length)
    return DecodeStatus::kShort;
  const std::string_view payload = bytes.substr(offset + kRecordHeaderBytes, length);
  if (crc32c(payload) != crc) return DecodeStatus::kBadChecksum;
  Reader reader{payload};
  if (!decode_payload(reader, out) || reader.offset != payload.size()) {
    return DecodeStatus::kMalformed;
  }
  offset += kRecordHeaderBytes + length;
  return DecodeStatus::kOk;
}

}  // namespace warden::sim
