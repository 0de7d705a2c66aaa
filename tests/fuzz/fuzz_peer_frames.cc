// libFuzzer target: the consensus messages one Warden node sends another, as
// net::PeerFrameDecoder cuts them out of a peer connection and
// decode_peer_message reads them. The input's header (fuzz_support.h) cuts
// the stream into pieces and picks the size limit, and its lowest choice bit
// picks what the rest is:
//   0: raw stream bytes, checksums and all (mostly exercises the framing);
//   1: payloads, each a 2-byte little-endian length and that many bytes,
//      which the target frames with a correct checksum, so that mutations
//      reach the message decoder instead of dying at the checksum.
// The encoding has one form per message, so a payload that decodes must
// re-encode to exactly its own bytes.
//
// Run by tests/fuzz/run.sh (CI: .ci/run); built with -DWARDEN_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/checksum.h"
#include "consensus/message.h"
#include "net/peer_codec.h"
#include "tests/fuzz/fuzz_support.h"

namespace warden::net {
namespace {

using consensus::Message;

// A message that decoded: its own encoding reads back the same, and a frame
// of it passes through a fresh decoder whole.
void check_round_trip(const Message& message) {
  const std::string encoded = encode_peer_message(message);
  const std::optional<Message> again = decode_peer_message(encoded);
  WARDEN_FUZZ_CHECK(again.has_value());
  WARDEN_FUZZ_CHECK(encode_peer_message(*again) == encoded);

  std::string framed;
  append_peer_frame(message, &framed);
  WARDEN_FUZZ_CHECK(framed.size() == kPeerFrameHeaderBytes + encoded.size());
  WARDEN_FUZZ_CHECK(framed.substr(kPeerFrameHeaderBytes) == encoded);
  PeerFrameDecoder decoder(encoded.size());
  decoder.feed(framed);
  const std::optional<Message> received = decoder.next();
  WARDEN_FUZZ_CHECK(received.has_value());
  WARDEN_FUZZ_CHECK(decoder.error().empty());
  WARDEN_FUZZ_CHECK(decoder.buffered_bytes() == 0);
  WARDEN_FUZZ_CHECK(encode_peer_message(*received) == encoded);
}

// A payload on its own: if it decodes, it is the encoding of what it decodes to.
std::optional<Message> check_payload(std::string_view payload) {
  std::optional<Message> message = decode_peer_message(payload);
  if (message) {
    WARDEN_FUZZ_CHECK(encode_peer_message(*message) == payload);
    check_round_trip(*message);
  }
  return message;
}

std::string peer_frame(std::string_view payload) {
  const uint32_t length = static_cast<uint32_t>(payload.size());
  const uint32_t crc = consensus::crc32c(payload);
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  out.append(payload);
  return out;
}

// Feeds `stream` in the input's pieces; returns the encodings of the messages
// taken, in order.
std::vector<std::string> receive(const fuzz::InputHeader& input, std::string_view stream,
                                 PeerFrameDecoder& decoder) {
  std::vector<std::string> received;
  size_t fed = 0;
  size_t taken = 0;
  input.split(stream, [&](std::string_view piece) {
    decoder.feed(piece);
    fed += piece.size();
    while (std::optional<Message> message = decoder.next()) {
      WARDEN_FUZZ_CHECK(decoder.error().empty());
      std::string encoded = encode_peer_message(*message);
      taken += kPeerFrameHeaderBytes + encoded.size();
      WARDEN_FUZZ_CHECK(decoder.buffered_bytes() == fed - taken);
      check_round_trip(*message);
      received.push_back(std::move(encoded));
    }
    // A broken stream stays broken.
    if (!decoder.error().empty()) WARDEN_FUZZ_CHECK(!decoder.next());
  });
  return received;
}

}  // namespace
}  // namespace warden::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::net;
  const warden::fuzz::InputHeader input(data, size);
  if (!input.ok()) return 0;
  static constexpr size_t kLimits[] = {size_t{64} << 20, 4096, 64, 0};
  const size_t limit = kLimits[(input.choice() >> 1) & 0x3];
  PeerFrameDecoder decoder(limit);

  if ((input.choice() & 1) == 0) {
    (void)receive(input, input.rest(), decoder);
    return 0;
  }

  // Payloads framed correctly: the decoder must hand out exactly those that
  // decode on their own, in order, and stop at the first that does not (or
  // that exceeds the limit).
  std::string_view rest = input.rest();
  std::string stream;
  std::vector<std::string> expected;
  bool stopped = false;
  while (rest.size() >= 2) {
    size_t length = static_cast<uint8_t>(rest[0]) | (static_cast<uint8_t>(rest[1]) << 8);
    rest.remove_prefix(2);
    if (length > rest.size()) length = rest.size();
    const std::string_view payload = rest.substr(0, length);
    rest.remove_prefix(length);
    stream += peer_frame(payload);
    const bool decodes = check_payload(payload).has_value();
    if (!stopped) {
      if (decodes && payload.size() <= limit) {
        expected.emplace_back(payload);
      } else {
        stopped = true;
      }
    }
  }
  const std::vector<std::string> received = receive(input, stream, decoder);
  WARDEN_FUZZ_CHECK(received.size() == expected.size());
  for (size_t i = 0; i < received.size(); ++i) WARDEN_FUZZ_CHECK(received[i] == expected[i]);
  WARDEN_FUZZ_CHECK(decoder.error().empty() == !stopped);
  return 0;
}
