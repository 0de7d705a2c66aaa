#include "net/jute_messages.h"

#include "net/jute_frame.h"

namespace warden::net {

using store::OpCode;

std::optional<size_t> request_body_alternative(OpCode type) {
  using V = RequestBody;
  switch (type) {
    case OpCode::kPing:
    case OpCode::kCloseSession:
    case OpCode::kWhoAmI:
      return kJuteAlternative<std::monostate, V>;
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
      return kJuteAlternative<CreateRequest, V>;
    case OpCode::kCreateTtl:
      return kJuteAlternative<CreateTtlRequest, V>;
    case OpCode::kDelete:
      return kJuteAlternative<DeleteRequest, V>;
    case OpCode::kExists:
      return kJuteAlternative<ExistsRequest, V>;
    case OpCode::kGetData:
      return kJuteAlternative<GetDataRequest, V>;
    case OpCode::kSetData:
      return kJuteAlternative<SetDataRequest, V>;
    case OpCode::kGetAcl:
      return kJuteAlternative<GetAclRequest, V>;
    case OpCode::kSetAcl:
      return kJuteAlternative<SetAclRequest, V>;
    case OpCode::kGetChildren:
      return kJuteAlternative<GetChildrenRequest, V>;
    case OpCode::kGetChildren2:
      return kJuteAlternative<GetChildren2Request, V>;
    case OpCode::kSync:
      return kJuteAlternative<SyncRequest, V>;
    case OpCode::kCheck:
      return kJuteAlternative<CheckVersionRequest, V>;
    case OpCode::kMulti:
    case OpCode::kMultiRead:
      return kJuteAlternative<MultiRequest, V>;
    case OpCode::kReconfig:
      return kJuteAlternative<ReconfigRequest, V>;
    case OpCode::kCheckWatches:
      return kJuteAlternative<CheckWatchesRequest, V>;
    case OpCode::kRemoveWatches:
      return kJuteAlternative<RemoveWatchesRequest, V>;
    case OpCode::kAuth:
      return kJuteAlternative<AuthPacket, V>;
    case OpCode::kSetWatches:
      return kJuteAlternative<SetWatches, V>;
    case OpCode::kSetWatches2:
      return kJuteAlternative<SetWatches2, V>;
    case OpCode::kGetEphemerals:
      return kJuteAlternative<GetEphemeralsRequest, V>;
    case OpCode::kGetAllChildrenNumber:
      return kJuteAlternative<GetAllChildrenNumberRequest, V>;
    case OpCode::kAddWatch:
      return kJuteAlternative<AddWatchRequest, V>;
    default:
      return std::nullopt;
  }
}

std::optional<size_t> response_body_alternative(OpCode type) {
  using V = ResponseBody;
  switch (type) {
    case OpCode::kPing:
    case OpCode::kCloseSession:
    case OpCode::kDelete:
    case OpCode::kAuth:
    case OpCode::kSetWatches:
    case OpCode::kSetWatches2:
    case OpCode::kCheckWatches:
    case OpCode::kRemoveWatches:
      return kJuteAlternative<std::monostate, V>;
    case OpCode::kCreate:
      return kJuteAlternative<CreateResponse, V>;
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      return kJuteAlternative<Create2Response, V>;
    case OpCode::kExists:
      return kJuteAlternative<ExistsResponse, V>;
    case OpCode::kGetData:
    case OpCode::kReconfig:
      return kJuteAlternative<GetDataResponse, V>;
    case OpCode::kSetData:
    case OpCode::kCheck:
      return kJuteAlternative<SetDataResponse, V>;
    case OpCode::kGetAcl:
      return kJuteAlternative<GetAclResponse, V>;
    case OpCode::kSetAcl:
      return kJuteAlternative<SetAclResponse, V>;
    case OpCode::kGetChildren:
      return kJuteAlternative<GetChildrenResponse, V>;
    case OpCode::kGetChildren2:
      return kJuteAlternative<GetChildren2Response, V>;
    case OpCode::kSync:
      return kJuteAlternative<SyncResponse, V>;
    case OpCode::kMulti:
    case OpCode::kMultiRead:
      return kJuteAlternative<MultiResponse, V>;
    case OpCode::kGetAllChildrenNumber:
      return kJuteAlternative<GetAllChildrenNumberResponse, V>;
    case OpCode::kGetEphemerals:
      return kJuteAlternative<GetEphemeralsResponse, V>;
    case OpCode::kAddWatch:
      return kJuteAlternative<ErrorResponse, V>;
    case OpCode::kWhoAmI:
      return kJuteAlternative<WhoAmIResponse, V>;
    default:
      return std::nullopt;
  }
}

namespace {

// Reads the alternative number `index` of V from the rest of `reader`.
template <class V>
Decoded<V> read_body(JuteReader& reader, size_t index) {
  V body;
  read_alternative(reader, body, index);
  if (!reader.ok()) return Decoded<V>::failure(reader.error());
  return body;
}

std::string type_text(OpCode type) {
  return std::to_string(static_cast<int32_t>(type));
}

}  // namespace

Decoded<RequestBody> decode_request_body(OpCode type, std::string_view body) {
  const std::optional<size_t> index = request_body_alternative(type);
  if (!index) return Decoded<RequestBody>::failure("unsupported request type " + type_text(type));
  JuteReader reader(body);
  return read_body<RequestBody>(reader, *index);
}

Decoded<Request> decode_request(std::string_view payload) {
  JuteReader reader(payload);
  Request request;
  read_field(reader, request.header);
  if (!reader.ok()) return Decoded<Request>::failure("request header: " + reader.error());
  Decoded<RequestBody> body =
      decode_request_body(request.header.type, payload.substr(kRequestHeaderSize));
  if (!body) return Decoded<Request>::failure(body.error());
  request.body = std::move(*body);
  return request;
}

std::string encode_request_frame(const Request& request) {
  return encode_frame(request.header, request.body);
}

Decoded<ResponseBody> decode_response_body(OpCode type, std::string_view body) {
  const std::optional<size_t> index = response_body_alternative(type);
  if (!index) return Decoded<ResponseBody>::failure("no reply for request type " + type_text(type));
  JuteReader reader(body);
  return read_body<ResponseBody>(reader, *index);
}

Decoded<Reply> decode_reply(std::string_view payload, OpCode request_type) {
  JuteReader reader(payload);
  Reply reply;
  read_field(reader, reply.header);
  if (!reader.ok()) return Decoded<Reply>::failure("reply header: " + reader.error());
  if (reply.header.xid == kNotificationXid) {
    Decoded<ResponseBody> event =
        read_body<ResponseBody>(reader, kJuteAlternative<WatcherEvent, ResponseBody>);
    if (!event) return Decoded<Reply>::failure(event.error());
    reply.body = std::move(*event);
    return reply;
  }
  if (reply.header.err != store::ErrorCode::kOk) return reply;
  Decoded<ResponseBody> body = decode_response_body(request_type, payload.substr(kReplyHeaderSize));
  if (!body) return Decoded<Reply>::failure(body.error());
  reply.body = std::move(*body);
  return reply;
}

std::string encode_reply_frame(const Reply& reply) {
  return encode_frame(reply.header, reply.body);
}

namespace {

// One applied op of a multi that succeeded, as a result.
void set_applied_result(MultiResult& result, const store::OpResult& op) {
  switch (op.op) {
    case OpCode::kCreate:
      result.type = OpCode::kCreate;
      result.record = CreateResponse{op.path};
      return;
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
      result.type = OpCode::kCreate2;
      result.record = Create2Response{op.path, op.stat};
      return;
    case OpCode::kDelete:
    case OpCode::kDeleteContainer:
      result.type = OpCode::kDelete;
      return;
    case OpCode::kSetData:
      result.type = OpCode::kSetData;
      result.record = SetDataResponse{op.stat};
      return;
    case OpCode::kCheck:
      result.type = OpCode::kCheck;
      return;
    default:
      // ZooKeeper fails such a multi with MARSHALLINGERROR; say the same
      // for this op rather than send a type clients cannot read.
      result.type = OpCode::kError;
      result.record = ErrorResponse{store::ErrorCode::kMarshallingError};
      return;
  }
}

}  // namespace

MultiResponse multi_response(const store::ApplyResult& applied) {
  MultiResponse multi;
  multi.results.reserve(applied.results.size());
  for (const store::OpResult& op : applied.results) {
    MultiResult& result = multi.results.emplace_back();
    if (applied.error != store::ErrorCode::kOk || op.error != store::ErrorCode::kOk) {
      result.type = OpCode::kError;
      result.record = ErrorResponse{op.error};
    } else {
      set_applied_result(result, op);
    }
  }
  return multi;
}

void add_read_result(MultiResponse& multi, OpCode type, const store::ReadResult& read) {
  MultiResult& result = multi.results.emplace_back();
  if (read.error != store::ErrorCode::kOk) {
    result.type = OpCode::kError;
    result.record = ErrorResponse{read.error};
  } else if (type == OpCode::kGetData) {
    result.type = OpCode::kGetData;
    result.record = GetDataResponse{read.data, read.stat};
  } else if (type == OpCode::kGetChildren) {
    result.type = OpCode::kGetChildren;
    result.record = GetChildrenResponse{read.children};
  } else {
    // Not a read op: ZooKeeper fails the multiRead with MARSHALLINGERROR.
    result.type = OpCode::kError;
    result.record = ErrorResponse{store::ErrorCode::kMarshallingError};
  }
}

}  // namespace warden::net
