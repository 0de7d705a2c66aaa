// Framing of ZooKeeper's client protocol: every message, each way, is a
// 4-byte big-endian length and then that many bytes (a jute record, or a
// header and a record).
//
// FrameDecoder is fed whatever pieces a socket delivers (one byte at a time
// is fine) and hands back whole frames. It applies ZooKeeper's server rule
// (NIOServerCnxn.readLength): a length below 0 or above jute.maxbuffer ends
// the connection, with "Len error <length>". It never reserves memory for a
// declared length; it holds only the bytes it was fed.
//
// On a new connection ZooKeeper first checks whether the 4 length bytes are
// a four-letter word ("ruok", "stat", ...); peek_length() lets the server do
// the same before next() rejects them as a length.
//
// Sans-IO. Used by the server's connections and Warden's client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/jute.h"

namespace warden::net {

inline constexpr size_t kFrameLengthSize = 4;

class FrameDecoder {
 public:
  explicit FrameDecoder(int32_t max_length = kDefaultMaxBuffer);

  // Appends bytes as they arrived. Ignored once failed.
  void feed(std::string_view bytes);
  // The payload of the next complete frame (without its length), or nullopt
  // if it has not all arrived or the decoder failed.
  std::optional<std::string> next();
  // The next frame's length prefix as it stands, once its 4 bytes are in
  // (before next() checks it).
  std::optional<int32_t> peek_length() const;

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  // Bytes fed and not yet handed out.
  size_t buffered() const { return buffer_.size() - start_; }
  int32_t max_length() const { return max_length_; }

 private:
  int32_t max_length_;
  std::string buffer_;
  size_t start_ = 0;  // where the next frame begins in buffer_
  std::string error_;
};

// Appends `payload` to `out` as one frame.
void append_frame(std::string& out, std::string_view payload);
std::string frame(std::string_view payload);

// Appends one frame holding `records` one after the other, e.g.
// append_encoded_frame(out, ReplyHeader{...}, GetDataResponse{...}).
template <class... Records>
void append_encoded_frame(std::string& out, const Records&... records) {
  const size_t start = out.size();
  out.append(kFrameLengthSize, '\0');
  JuteWriter writer(out);
  (write_field(writer, records), ...);
  std::string length;
  JuteWriter(length).int32(static_cast<int32_t>(out.size() - start - kFrameLengthSize));
  out.replace(start, kFrameLengthSize, length);
}

template <class... Records>
std::string encode_frame(const Records&... records) {
  std::string out;
  append_encoded_frame(out, records...);
  return out;
}

}  // namespace warden::net
