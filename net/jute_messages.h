// Whole messages of ZooKeeper's client protocol, after the handshake: a
// request frame is a RequestHeader and the body its type calls for; a reply
// frame is a ReplyHeader and the body of the request it answers (none when
// err is not OK; a WatcherEvent when xid is kNotificationXid).
//
// Which body goes with which op code follows ZooKeeper 3.8's server
// (FinalRequestProcessor) and client (ClientCnxn): e.g. createContainer and
// createTTL answer with Create2Response, a lone check with SetDataResponse,
// addWatch with ErrorResponse, and ping, auth, setWatches, delete,
// closeSession, checkWatches and removeWatches with the header alone.
//
// Sans-IO. The server decodes requests and encodes replies; Warden's client
// and tests do the reverse with the same tables.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "net/jute.h"
#include "net/jute_records.h"
#include "store/zoo_state.h"

namespace warden::net {

// std::monostate: a request with no body (ping, closeSession, whoAmI).
using RequestBody =
    std::variant<std::monostate, CreateRequest, CreateTtlRequest, DeleteRequest, ExistsRequest,
                 GetDataRequest, SetDataRequest, GetAclRequest, SetAclRequest, GetChildrenRequest,
                 GetChildren2Request, SyncRequest, CheckVersionRequest, MultiRequest,
                 ReconfigRequest, CheckWatchesRequest, RemoveWatchesRequest, AuthPacket, SetWatches,
                 SetWatches2, GetEphemeralsRequest, GetAllChildrenNumberRequest, AddWatchRequest>;

struct Request {
  RequestHeader header;
  RequestBody body;
  bool operator==(const Request&) const = default;
};

// The alternative of RequestBody a request of `type` carries; nullopt for a
// type a client may not send (sasl, createSession, deleteContainer, ...).
std::optional<size_t> request_body_alternative(store::OpCode type);

// The body of a request of `type` (the frame after its 8-byte header).
Decoded<RequestBody> decode_request_body(store::OpCode type, std::string_view body);
// A whole request frame's payload. A server that wants to answer an
// unsupported type rather than drop the connection decodes the header alone
// first (decode<RequestHeader>).
Decoded<Request> decode_request(std::string_view payload);
// A length-prefixed frame; the body must be the one header.type calls for.
std::string encode_request_frame(const Request& request);

// std::monostate: a reply with no body.
using ResponseBody =
    std::variant<std::monostate, CreateResponse, Create2Response, ExistsResponse, GetDataResponse,
                 SetDataResponse, GetAclResponse, SetAclResponse, GetChildrenResponse,
                 GetChildren2Response, SyncResponse, MultiResponse, GetAllChildrenNumberResponse,
                 GetEphemeralsResponse, ErrorResponse, WhoAmIResponse, WatcherEvent>;

struct Reply {
  ReplyHeader header;
  ResponseBody body;
  bool operator==(const Reply&) const = default;
};

// The alternative of ResponseBody that answers a successful request of
// `type`; nullopt for a type no reply exists for.
std::optional<size_t> response_body_alternative(store::OpCode type);

// The body of a successful reply to a request of `type`.
Decoded<ResponseBody> decode_response_body(store::OpCode type, std::string_view body);
// A whole reply frame's payload. `request_type` is the type of the request
// with the header's xid (the client remembers it); it is not consulted for
// a notification. A reply whose err is not OK decodes with no body, as
// ZooKeeper's client reads none.
Decoded<Reply> decode_reply(std::string_view payload, store::OpCode request_type);
std::string encode_reply_frame(const Reply& reply);

// A multi's answer from what the store applied, as ZooKeeper's
// FinalRequestProcessor builds it: create -> kCreate; create2,
// createContainer and createTTL -> kCreate2 with the Stat; delete and
// check -> no record; setData -> its Stat. If the multi failed, every op
// answers kError with its code (OK before the failed op, the failure, then
// RUNTIMEINCONSISTENCY), and the reply header's err stays OK: clients read
// the failure from the results.
MultiResponse multi_response(const store::ApplyResult& applied);

// Appends one multiRead op's answer: GetDataResponse or GetChildrenResponse
// (`type` is the op's), or kError with the read's error (MARSHALLINGERROR
// for a type that is not a read). Results are built
// in place: moving a MultiResult temporary trips a false
// -Wmaybe-uninitialized in GCC 12's std::variant.
void add_read_result(MultiResponse& multi, store::OpCode type, const store::ReadResult& read);

}  // namespace warden::net
