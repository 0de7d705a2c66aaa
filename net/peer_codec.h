// How consensus messages travel between Warden nodes: each message is one
// frame, [payload_bytes u32][crc32c u32][payload], little-endian, where the
// payload is a version byte and the message's fields. The checksum catches
// what TCP's does not (a bad NIC, memory, a middlebox); a frame that fails it,
// or declares more bytes than the limit, or does not decode, is an error and
// the connection carrying it is dropped (the peer reconnects and the
// consensus core resends what matters).
//
// Used by the peer transport (net/asio) on both ends, and by tests. Pure
// functions and a decoder object; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/message.h"

namespace warden::net {

inline constexpr uint8_t kPeerCodecVersion = 1;
inline constexpr size_t kPeerFrameHeaderBytes = 8;

// Appends `message` as one frame to `out`.
void append_peer_frame(const consensus::Message& message, std::string* out);
// The payload alone (no frame), and its inverse; nullopt if it does not
// decode exactly (unknown version or type, truncated, trailing bytes).
std::string encode_peer_message(const consensus::Message& message);
std::optional<consensus::Message> decode_peer_message(std::string_view payload);

// Cuts a byte stream into messages. Feed whatever arrived; take messages
// while next() returns one. After an error the stream is unusable.
class PeerFrameDecoder {
 public:
  explicit PeerFrameDecoder(size_t max_payload_bytes) : max_payload_bytes_(max_payload_bytes) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole message, or nullopt when more bytes are needed or the
  // stream is broken (then error() says why).
  std::optional<consensus::Message> next();
  const std::string& error() const { return error_; }
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  size_t max_payload_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already taken
  std::string error_;
};

}  // namespace warden::net
