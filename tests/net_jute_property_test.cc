// Properties of the jute codec: decode(encode(r)) == r for generated records
// of every type, whole messages and multi; and no input, random or a
// damaged encoding, makes a decoder crash (the sanitizer build checks reads
// and allocations too).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "net/jute.h"
#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/jute_records.h"

namespace warden::net {
namespace {

using store::OpCode;

template <class T>
T any();

// Alternative `index` of V, generated.
template <class V>
V any_alternative(size_t index) {
  V v;
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((I == index ? (v.template emplace<I>(any<std::variant_alternative_t<I, V>>()), true)
                 : false) ||
     ...);
  }
  (std::make_index_sequence<std::variant_size_v<V>>{});
  return v;
}

std::string any_string() {
  // Mostly short, sometimes empty, any bytes (jute does not look inside).
  const int size = *rc::gen::weightedElement<int>({{3, 0}, {10, 3}, {5, 20}, {1, 300}});
  return *rc::gen::container<std::string>(size, rc::gen::arbitrary<char>());
}

MultiRequest any_multi_request() {
  static const std::vector<OpCode> kWrites = {
      OpCode::kCreate,    OpCode::kCreate2, OpCode::kCreateContainer,
      OpCode::kCreateTtl, OpCode::kDelete,  OpCode::kSetData,
      OpCode::kCheck};
  static const std::vector<OpCode> kReads = {OpCode::kGetData, OpCode::kGetChildren};
  const auto& types = *rc::gen::arbitrary<bool>() ? kReads : kWrites;
  MultiRequest multi;
  const int count = *rc::gen::inRange(0, 6);
  for (int i = 0; i < count; ++i) {
    const OpCode type = *rc::gen::elementOf(types);
    multi.ops.push_back({type, any_alternative<MultiOpRecord>(*multi_op_alternative(type))});
  }
  return multi;
}

MultiResponse any_multi_response() {
  MultiResponse multi;
  const int count = *rc::gen::inRange(0, 6);
  for (int i = 0; i < count; ++i) {
    const OpCode type =
        *rc::gen::element(OpCode::kCreate, OpCode::kCreate2, OpCode::kDelete, OpCode::kSetData,
                          OpCode::kCheck, OpCode::kGetChildren, OpCode::kGetData, OpCode::kError);
    multi.results.push_back(
        {type, any_alternative<MultiResultRecord>(*multi_result_alternative(type))});
  }
  return multi;
}

// Any value of a jute field type, built from the same field lists the codec
// uses, so every record gets a generator without writing one.
template <class T>
T any() {
  if constexpr (std::is_same_v<T, std::monostate>) {
    return {};
  } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
    return *rc::gen::arbitrary<T>();
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<T>(*rc::gen::arbitrary<int32_t>());
  } else if constexpr (std::is_same_v<T, std::string>) {
    return any_string();
  } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
    if (*rc::gen::arbitrary<bool>()) return std::nullopt;
    return *rc::gen::arbitrary<bool>();
  } else if constexpr (IsJuteVector<T>::value) {
    T v(*rc::gen::inRange(0, 5));
    for (auto& element : v) element = any<typename T::value_type>();
    return v;
  } else if constexpr (std::is_same_v<T, MultiRequest>) {
    return any_multi_request();
  } else if constexpr (std::is_same_v<T, MultiResponse>) {
    return any_multi_response();
  } else {
    static_assert(JuteRecord<T>);
    T record;
    std::apply(
        [&](auto... member) {
          ((record.*member = any<typename JuteMemberType<decltype(member)>::type>()), ...);
        },
        JuteFields<T>::list());
    return record;
  }
}

template <class... Ts>
struct TypeList {};

using AllRecords =
    TypeList<store::Id, store::Acl, store::Stat, ConnectRequest, ConnectResponse, RequestHeader,
             ReplyHeader, MultiHeader, CreateRequest, CreateTtlRequest, DeleteRequest,
             ExistsRequest, GetDataRequest, GetChildrenRequest, GetChildren2Request, SetDataRequest,
             GetAclRequest, SetAclRequest, SyncRequest, CheckVersionRequest,
             GetAllChildrenNumberRequest, GetEphemeralsRequest, AuthPacket, SetWatches, SetWatches2,
             AddWatchRequest, RemoveWatchesRequest, CheckWatchesRequest, ReconfigRequest,
             MultiRequest, CreateResponse, Create2Response, ExistsResponse, SetDataResponse,
             GetDataResponse, GetChildrenResponse, GetChildren2Response, GetAclResponse,
             SetAclResponse, SyncResponse, GetAllChildrenNumberResponse, GetEphemeralsResponse,
             ErrorResponse, ClientInfo, WhoAmIResponse, WatcherEvent, MultiResponse>;

template <class T>
void check_round_trip() {
  const T record = any<T>();
  const std::string bytes = encode(record);
  const auto decoded = decode<T>(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == record);
  RC_ASSERT(encode(*decoded) == bytes);
}

template <class... Ts>
void check_round_trips(TypeList<Ts...>) {
  (check_round_trip<Ts>(), ...);
}

// Decoding must fail or succeed, never crash; a success re-encodes to bytes
// that decode to the same record.
template <class T>
void check_decode_is_safe(std::string_view bytes) {
  const auto decoded = decode<T>(bytes);
  if (!decoded) {
    RC_ASSERT(!decoded.error().empty());
    return;
  }
  const auto again = decode<T>(encode(*decoded));
  RC_ASSERT(again.ok());
  RC_ASSERT(*again == *decoded);
}

template <class... Ts>
void check_decodes_are_safe(TypeList<Ts...>, std::string_view bytes) {
  (check_decode_is_safe<Ts>(bytes), ...);
}

// A valid encoding, damaged: bytes overwritten, cut short, or a length/count
// replaced by an extreme value.
std::string damaged(std::string bytes) {
  const int edits = *rc::gen::inRange(1, 4);
  for (int i = 0; i < edits && !bytes.empty(); ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        bytes[at] = *rc::gen::arbitrary<char>();
        break;
      case 1:
        bytes.resize(at);
        break;
      default: {
        const std::string extreme = *rc::gen::element(std::string("\x7f\xff\xff\xff", 4),
                                                      std::string("\xff\xff\xff\xfe", 4),
                                                      std::string("\x80\x00\x00\x00", 4));
        bytes.replace(at, std::min<size_t>(4, bytes.size() - at), extreme);
      }
    }
  }
  return bytes;
}

RC_GTEST_PROP(JuteProperty, EveryRecordRoundTrips, ()) {
  check_round_trips(AllRecords{});
}

RC_GTEST_PROP(JuteProperty, RandomBytesNeverCrashADecoder, ()) {
  const std::string bytes = *rc::gen::arbitrary<std::string>();
  check_decodes_are_safe(AllRecords{}, bytes);
  (void)decode_request(bytes);
  (void)decode_reply(bytes, static_cast<OpCode>(*rc::gen::inRange(-12, 110)));
}

RC_GTEST_PROP(JuteProperty, DamagedEncodingsNeverCrashADecoder, ()) {
  const MultiRequest multi = any_multi_request();
  const Request request{{*rc::gen::arbitrary<int32_t>(), OpCode::kMulti}, multi};
  const std::string payload = encode_request_frame(request).substr(kFrameLengthSize);
  const std::string bytes = damaged(payload);
  (void)decode_request(bytes);
  check_decode_is_safe<MultiRequest>(bytes);
  check_decode_is_safe<MultiResponse>(damaged(encode(any_multi_response())));
  check_decode_is_safe<ConnectRequest>(damaged(encode(any<ConnectRequest>())));
  check_decode_is_safe<GetAclResponse>(damaged(encode(any<GetAclResponse>())));
  check_decode_is_safe<SetWatches2>(damaged(encode(any<SetWatches2>())));
}

RC_GTEST_PROP(JuteProperty, RequestsRoundTripAsFrames, ()) {
  const OpCode type = *rc::gen::element(
      OpCode::kCreate, OpCode::kCreate2, OpCode::kCreateContainer, OpCode::kCreateTtl,
      OpCode::kDelete, OpCode::kExists, OpCode::kGetData, OpCode::kSetData, OpCode::kGetAcl,
      OpCode::kSetAcl, OpCode::kGetChildren, OpCode::kGetChildren2, OpCode::kSync, OpCode::kCheck,
      OpCode::kMulti, OpCode::kMultiRead, OpCode::kReconfig, OpCode::kCheckWatches,
      OpCode::kRemoveWatches, OpCode::kAuth, OpCode::kSetWatches, OpCode::kSetWatches2,
      OpCode::kGetEphemerals, OpCode::kGetAllChildrenNumber, OpCode::kAddWatch, OpCode::kPing,
      OpCode::kCloseSession, OpCode::kWhoAmI);
  const Request request{{*rc::gen::arbitrary<int32_t>(), type},
                        any_alternative<RequestBody>(*request_body_alternative(type))};
  FrameDecoder frames;
  frames.feed(encode_request_frame(request));
  const auto payload = frames.next();
  RC_ASSERT(payload.has_value());
  const auto decoded = decode_request(*payload);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == request);
}

RC_GTEST_PROP(JuteProperty, RepliesRoundTripAsFrames, ()) {
  const OpCode type = *rc::gen::element(
      OpCode::kCreate, OpCode::kCreate2, OpCode::kCreateTtl, OpCode::kDelete, OpCode::kExists,
      OpCode::kGetData, OpCode::kSetData, OpCode::kGetAcl, OpCode::kSetAcl, OpCode::kGetChildren,
      OpCode::kGetChildren2, OpCode::kSync, OpCode::kCheck, OpCode::kMulti, OpCode::kMultiRead,
      OpCode::kGetEphemerals, OpCode::kGetAllChildrenNumber, OpCode::kAddWatch, OpCode::kWhoAmI,
      OpCode::kPing, OpCode::kAuth, OpCode::kSetWatches);
  Reply reply;
  reply.header = any<ReplyHeader>();
  if (reply.header.xid == kNotificationXid) {
    reply.body = any<WatcherEvent>();
  } else if (reply.header.err == store::ErrorCode::kOk) {
    reply.body = any_alternative<ResponseBody>(*response_body_alternative(type));
  }
  const std::string bytes = encode_reply_frame(reply);
  const auto decoded = decode_reply(std::string_view(bytes).substr(kFrameLengthSize), type);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == reply);
}

RC_GTEST_PROP(JuteProperty, FramesSurviveAnySplit, ()) {
  const auto payloads =
      *rc::gen::container<std::vector<std::string>>(rc::gen::arbitrary<std::string>());
  std::string stream;
  for (const std::string& payload : payloads) append_frame(stream, payload);
  FrameDecoder decoder;
  std::vector<std::string> out;
  size_t at = 0;
  while (at < stream.size()) {
    const size_t piece = *rc::gen::inRange<size_t>(1, stream.size() - at + 1);
    decoder.feed(std::string_view(stream).substr(at, piece));
    at += piece;
    while (auto frame_payload = decoder.next()) out.push_back(*frame_payload);
  }
  RC_ASSERT(out == payloads);
  RC_ASSERT(decoder.buffered() == 0u);
}

RC_GTEST_PROP(JuteProperty, RandomStreamsNeverCrashTheFrameDecoder, ()) {
  const std::string stream = *rc::gen::arbitrary<std::string>();
  FrameDecoder decoder(*rc::gen::inRange(0, 64));
  size_t at = 0;
  while (at < stream.size()) {
    const size_t piece = *rc::gen::inRange<size_t>(1, stream.size() - at + 1);
    decoder.feed(std::string_view(stream).substr(at, piece));
    at += piece;
    while (auto frame_payload = decoder.next()) {
      RC_ASSERT(frame_payload->size() <= 64u);
    }
  }
  RC_ASSERT(decoder.buffered() <= stream.size());
}

}  // namespace
}  // namespace warden::net
