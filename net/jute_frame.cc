#include "net/jute_frame.h"

#include <cassert>

namespace warden::net {

FrameDecoder::FrameDecoder(int32_t max_length) : max_length_(max_length) {
  assert(max_length >= 0);
}

void FrameDecoder::feed(std::string_view bytes) {
  if (failed()) return;
  // Drop the frames already handed out, so the buffer holds at most the
  // frame in progress plus what this call adds.
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<int32_t> FrameDecoder::peek_length() const {
  if (buffered() < kFrameLengthSize) return std::nullopt;
  JuteReader reader(std::string_view(buffer_).substr(start_, kFrameLengthSize));
  return reader.int32();
}

std::optional<std::string> FrameDecoder::next() {
  if (failed()) return std::nullopt;
  const std::optional<int32_t> length = peek_length();
  if (!length) return std::nullopt;
  if (*length < 0 || *length > max_length_) {
    error_ = "Len error " + std::to_string(*length) + " (frame length must be 0 to " +
             std::to_string(max_length_) + ")";
    return std::nullopt;
  }
  const size_t size = kFrameLengthSize + static_cast<size_t>(*length);
  if (buffered() < size) return std::nullopt;
  std::string payload = buffer_.substr(start_ + kFrameLengthSize, size - kFrameLengthSize);
  start_ += size;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return payload;
}

void append_frame(std::string& out, std::string_view payload) {
  JuteWriter(out).buffer(payload);  // a frame is laid out exactly as a buffer
}

std::string frame(std::string_view payload) {
  std::string out;
  append_frame(out, payload);
  return out;
}

}  // namespace warden::net
