// libFuzzer target: what a ZooKeeper client sends a Warden server, decoded as
// the server decodes it. The input's header (fuzz_support.h) cuts the byte
// stream into pieces for net::FrameDecoder and picks its length limit; the
// first frame is the handshake (ConnectRequest), every later one a request.
// Whatever decodes must re-encode to bytes that decode to the same value and
// re-encode to the same bytes, and the decoder's accounting must add up.
//
// Run by tests/fuzz/run.sh (CI: .ci/run); built with -DWARDEN_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/four_letter_words.h"
#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/jute_records.h"
#include "tests/fuzz/fuzz_support.h"

namespace warden::net {
namespace {

// The payload of the one frame in `framed`, as a receiving decoder sees it.
std::string unframe(const std::string& framed) {
  FrameDecoder decoder;
  decoder.feed(framed);
  std::optional<std::string> payload = decoder.next();
  WARDEN_FUZZ_CHECK(payload.has_value());
  WARDEN_FUZZ_CHECK(decoder.buffered() == 0);
  return std::move(*payload);
}

void check_connect(std::string_view payload) {
  const Decoded<ConnectRequest> request = decode<ConnectRequest>(payload);
  if (!request) {
    WARDEN_FUZZ_CHECK(!request.error().empty());
    return;
  }
  const std::string encoded = encode(*request);
  WARDEN_FUZZ_CHECK(encoded.size() <= payload.size());
  const Decoded<ConnectRequest> again = decode<ConnectRequest>(unframe(encode_frame(*request)));
  WARDEN_FUZZ_CHECK(again.ok());
  WARDEN_FUZZ_CHECK(*again == *request);
  WARDEN_FUZZ_CHECK(encode(*again) == encoded);
}

void check_request(std::string_view payload) {
  const Decoded<Request> request = decode_request(payload);
  // The server takes the header first, then the body (client_sessions):
  // both ways must agree.
  const Decoded<RequestHeader> header = decode<RequestHeader>(payload);
  WARDEN_FUZZ_CHECK(header.ok() == (payload.size() >= kRequestHeaderSize));
  if (header.ok() && request_body_alternative(header->type)) {
    const Decoded<RequestBody> body =
        decode_request_body(header->type, payload.substr(kRequestHeaderSize));
    WARDEN_FUZZ_CHECK(body.ok() == request.ok());
    if (body.ok()) WARDEN_FUZZ_CHECK(*body == request->body);
  } else {
    WARDEN_FUZZ_CHECK(!request.ok());
  }
  if (!request) {
    WARDEN_FUZZ_CHECK(!request.error().empty());
    return;
  }
  WARDEN_FUZZ_CHECK(request->header == *header);
  WARDEN_FUZZ_CHECK(request_body_alternative(request->header.type) == request->body.index());

  const std::string framed = encode_request_frame(*request);
  const std::string encoded = unframe(framed);
  // Null buffers and vectors come back empty (same size), non-canonical
  // booleans as 1, trailing bytes not at all: never longer.
  WARDEN_FUZZ_CHECK(encoded.size() <= payload.size());
  const Decoded<Request> again = decode_request(encoded);
  WARDEN_FUZZ_CHECK(again.ok());
  WARDEN_FUZZ_CHECK(*again == *request);
  WARDEN_FUZZ_CHECK(encode_request_frame(*again) == framed);
}

}  // namespace
}  // namespace warden::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::net;
  const warden::fuzz::InputHeader input(data, size);
  if (!input.ok()) return 0;

  // Mostly ZooKeeper's limit; small ones reach the "Len error" path often.
  static constexpr int32_t kLimits[] = {kDefaultMaxBuffer, 4096, 64, 0};
  const int32_t limit = kLimits[input.choice() & 0x3];
  FrameDecoder decoder(limit);

  // A connection's first four bytes may be a four-letter word instead.
  (void)four_letter_word(input.rest().substr(0, 4));

  size_t fed = 0;
  size_t taken = 0;
  size_t frames = 0;
  input.split(input.rest(), [&](std::string_view piece) {
    const bool failed_before = decoder.failed();
    decoder.feed(piece);
    if (failed_before) {
      WARDEN_FUZZ_CHECK(decoder.failed());
      WARDEN_FUZZ_CHECK(!decoder.next());
      return;
    }
    fed += piece.size();
    while (true) {
      WARDEN_FUZZ_CHECK(decoder.buffered() == fed - taken);
      const std::optional<int32_t> length = decoder.peek_length();
      WARDEN_FUZZ_CHECK(length.has_value() == (decoder.buffered() >= kFrameLengthSize));
      std::optional<std::string> payload = decoder.next();
      if (!payload) {
        if (decoder.failed()) {
          WARDEN_FUZZ_CHECK(length && (*length < 0 || *length > limit));
          WARDEN_FUZZ_CHECK(!decoder.error().empty());
        } else if (length) {
          WARDEN_FUZZ_CHECK(*length >= 0 && *length <= limit);
          WARDEN_FUZZ_CHECK(decoder.buffered() < kFrameLengthSize + static_cast<size_t>(*length));
        }
        return;
      }
      WARDEN_FUZZ_CHECK(length && static_cast<size_t>(*length) == payload->size());
      taken += kFrameLengthSize + payload->size();
      if (frames++ == 0) {
        check_connect(*payload);
      } else {
        check_request(*payload);
      }
    }
  });
  return 0;
}
