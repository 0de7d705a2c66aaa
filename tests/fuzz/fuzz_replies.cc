// libFuzzer target: what a server sends a ZooKeeper client, decoded as
// Warden's client (and the tests) decode it. The input is one frame's
// payload: it is read as the handshake's ConnectResponse, and as a reply to a
// request of every op code (the client knows which request an xid answers;
// the server's bytes may claim anything). Whatever decodes must re-encode to
// bytes that decode to the same value and re-encode to the same bytes.
//
// Run by tests/fuzz/run.sh (CI: .ci/run); built with -DWARDEN_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/jute_records.h"
#include "tests/fuzz/fuzz_support.h"

namespace warden::net {
namespace {

using store::OpCode;

// Every op code store/request.h names, and a few it does not.
constexpr OpCode kOpCodes[] = {
    OpCode::kNotification,
    OpCode::kCreate,
    OpCode::kDelete,
    OpCode::kExists,
    OpCode::kGetData,
    OpCode::kSetData,
    OpCode::kGetAcl,
    OpCode::kSetAcl,
    OpCode::kGetChildren,
    OpCode::kSync,
    OpCode::kPing,
    OpCode::kGetChildren2,
    OpCode::kCheck,
    OpCode::kMulti,
    OpCode::kCreate2,
    OpCode::kReconfig,
    OpCode::kCheckWatches,
    OpCode::kRemoveWatches,
    OpCode::kCreateContainer,
    OpCode::kDeleteContainer,
    OpCode::kCreateTtl,
    OpCode::kMultiRead,
    OpCode::kAuth,
    OpCode::kSetWatches,
    OpCode::kSasl,
    OpCode::kGetEphemerals,
    OpCode::kGetAllChildrenNumber,
    OpCode::kSetWatches2,
    OpCode::kAddWatch,
    OpCode::kWhoAmI,
    OpCode::kCreateSession,
    OpCode::kCloseSession,
    OpCode::kError,
    static_cast<OpCode>(10),
    static_cast<OpCode>(-12),
    static_cast<OpCode>(0x7fffffff),
};

std::string unframe(const std::string& framed) {
  FrameDecoder decoder;
  decoder.feed(framed);
  std::optional<std::string> payload = decoder.next();
  WARDEN_FUZZ_CHECK(payload.has_value());
  WARDEN_FUZZ_CHECK(decoder.buffered() == 0);
  return std::move(*payload);
}

void check_connect_response(std::string_view payload) {
  const Decoded<ConnectResponse> response = decode<ConnectResponse>(payload);
  if (!response) return;
  const std::string encoded = encode(*response);
  WARDEN_FUZZ_CHECK(encoded.size() <= payload.size());
  const Decoded<ConnectResponse> again = decode<ConnectResponse>(unframe(encode_frame(*response)));
  WARDEN_FUZZ_CHECK(again.ok());
  WARDEN_FUZZ_CHECK(*again == *response);
  WARDEN_FUZZ_CHECK(encode(*again) == encoded);
}

void check_reply(std::string_view payload, OpCode request_type) {
  const Decoded<Reply> reply = decode_reply(payload, request_type);
  if (!reply) {
    WARDEN_FUZZ_CHECK(!reply.error().empty());
    return;
  }
  // The body is the one the header and the request's type call for.
  if (reply->header.xid == kNotificationXid) {
    WARDEN_FUZZ_CHECK(std::holds_alternative<WatcherEvent>(reply->body));
  } else if (reply->header.err != store::ErrorCode::kOk) {
    WARDEN_FUZZ_CHECK(std::holds_alternative<std::monostate>(reply->body));
  } else {
    WARDEN_FUZZ_CHECK(response_body_alternative(request_type) == reply->body.index());
  }

  const std::string framed = encode_reply_frame(*reply);
  const std::string encoded = unframe(framed);
  WARDEN_FUZZ_CHECK(encoded.size() <= payload.size());
  const Decoded<Reply> again = decode_reply(encoded, request_type);
  WARDEN_FUZZ_CHECK(again.ok());
  WARDEN_FUZZ_CHECK(*again == *reply);
  WARDEN_FUZZ_CHECK(encode_reply_frame(*again) == framed);
}

}  // namespace
}  // namespace warden::net

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::net;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  check_connect_response(payload);
  for (const warden::store::OpCode type : kOpCodes) check_reply(payload, type);
  return 0;
}
