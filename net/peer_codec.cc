#include "net/peer_codec.h"

#include "consensus/checksum.h"
#include "store/byte_io.h"

namespace warden::net {

using consensus::Entry;
using consensus::Message;
using consensus::MessageType;
using store::ByteReader;
using store::ByteWriter;

namespace {

constexpr uint8_t kLastMessageType = static_cast<uint8_t>(MessageType::kSnapshotResponse);

void put_entry(ByteWriter& w, const Entry& entry) {
  w.u64(entry.index);
  w.u64(entry.zxid);
  w.u8(static_cast<uint8_t>(entry.type));
  w.bytes(entry.data);
}

bool get_entry(ByteReader& r, Entry* entry) {
  entry->index = r.u64();
  entry->zxid = r.u64();
  const uint8_t type = r.u8();
  entry->data = std::string(r.bytes());
  if (type > static_cast<uint8_t>(consensus::EntryType::kData)) return false;
  entry->type = static_cast<consensus::EntryType>(type);
  return r.ok();
}

// Every field, always: messages are small next to their entries, and one
// layout is easier to keep right than one per type.
void put_message(ByteWriter& w, const Message& m) {
  w.u8(kPeerCodecVersion);
  w.u8(static_cast<uint8_t>(m.type));
  w.u32(m.from);
  w.u32(m.to);
  w.u32(m.epoch);
  w.u64(m.last_index);
  w.u64(m.last_zxid);
  w.u8(m.reject ? 1 : 0);
  w.u64(m.prev_index);
  w.u64(m.prev_zxid);
  w.u64(m.commit_index);
  w.u64(m.match_index);
  w.u64(m.hint_index);
  w.u64(m.hint_zxid);
  w.u64(m.context);
  w.u64(m.snapshot.last_index);
  w.u64(m.snapshot.last_zxid);
  w.bytes(m.snapshot.data);
  w.u64(m.snapshot_offset);
  w.u8(m.snapshot_last_chunk ? 1 : 0);
  w.u32(static_cast<uint32_t>(m.entries.size()));
  for (const Entry& entry : m.entries) put_entry(w, entry);
  w.u32(static_cast<uint32_t>(m.proposals.size()));
  for (const std::string& proposal : m.proposals) w.bytes(proposal);
}

bool get_flag(ByteReader& r, bool* flag) {
  const uint8_t byte = r.u8();
  *flag = byte == 1;
  return byte <= 1;
}

}  // namespace

std::string encode_peer_message(const Message& message) {
  std::string out;
  ByteWriter w(out);
  put_message(w, message);
  return out;
}

void append_peer_frame(const Message& message, std::string* out) {
  const size_t header_at = out->size();
  out->append(kPeerFrameHeaderBytes, '\0');
  ByteWriter w(*out);
  put_message(w, message);
  const std::string_view payload = std::string_view(*out).substr(header_at + kPeerFrameHeaderBytes);
  const uint32_t length = static_cast<uint32_t>(payload.size());
  const uint32_t crc = consensus::crc32c(payload);
  for (int i = 0; i < 4; ++i) {
    (*out)[header_at + i] = static_cast<char>((length >> (8 * i)) & 0xff);
    (*out)[header_at + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  }
}

std::optional<Message> decode_peer_message(std::string_view payload) {
  ByteReader r(payload);
  Message m;
  if (r.u8() != kPeerCodecVersion) return std::nullopt;
  const uint8_t type = r.u8();
  if (type > kLastMessageType) return std::nullopt;
  m.type = static_cast<MessageType>(type);
  m.from = r.u32();
  m.to = r.u32();
  m.epoch = r.u32();
  m.last_index = r.u64();
  m.last_zxid = r.u64();
  if (!get_flag(r, &m.reject)) return std::nullopt;
  m.prev_index = r.u64();
  m.prev_zxid = r.u64();
  m.commit_index = r.u64();
  m.match_index = r.u64();
  m.hint_index = r.u64();
  m.hint_zxid = r.u64();
  m.context = r.u64();
  m.snapshot.last_index = r.u64();
  m.snapshot.last_zxid = r.u64();
  m.snapshot.data = std::string(r.bytes());
  m.snapshot_offset = r.u64();
  if (!get_flag(r, &m.snapshot_last_chunk)) return std::nullopt;
  const uint32_t entry_count = r.u32();
  // Each entry takes at least 21 bytes: a count beyond what is left is a lie.
  if (!r.ok() || entry_count > r.remaining() / 21) return std::nullopt;
  m.entries.resize(entry_count);
  for (Entry& entry : m.entries) {
    if (!get_entry(r, &entry)) return std::nullopt;
  }
  const uint32_t proposal_count = r.u32();
  // Each proposal takes at least its 4-byte length.
  if (!r.ok() || proposal_count > r.remaining() / 4) return std::nullopt;
  m.proposals.reserve(proposal_count);
  for (uint32_t i = 0; i < proposal_count; ++i) m.proposals.emplace_back(r.bytes());
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return m;
}

std::optional<Message> PeerFrameDecoder::next() {
  if (!error_.empty()) return std::nullopt;
  const std::string_view pending = std::string_view(buffer_).substr(consumed_);
  if (pending.size() < kPeerFrameHeaderBytes) return std::nullopt;
  ByteReader header(pending.substr(0, kPeerFrameHeaderBytes));
  const uint32_t length = header.u32();
  const uint32_t crc = header.u32();
  if (length > max_payload_bytes_) {
    error_ = "peer frame of " + std::to_string(length) + " bytes exceeds the limit of " +
             std::to_string(max_payload_bytes_);
    return std::nullopt;
  }
  if (pending.size() < kPeerFrameHeaderBytes + length) return std::nullopt;
  const std::string_view payload = pending.substr(kPeerFrameHeaderBytes, length);
  if (consensus::crc32c(payload) != crc) {
    error_ = "peer frame of " + std::to_string(length) + " bytes fails its checksum";
    return std::nullopt;
  }
  std::optional<Message> message = decode_peer_message(payload);
  if (!message) {
    error_ = "peer frame of " + std::to_string(length) + " bytes does not decode";
    return std::nullopt;
  }
  consumed_ += kPeerFrameHeaderBytes + length;
  // Drop what was taken once it is most of the buffer, so it does not grow.
  if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return message;
}

}  // namespace warden::net
