// The records of ZooKeeper's client protocol (zookeeper.jute, 3.8), field for
// field and in wire order: the connect handshake, the request and reply
// headers, every request a 3.8 client sends and every response a server
// answers with, watch notifications, and multi/multiRead. Each record codes
// both ways (decode requests / encode responses for the server, the reverse
// for Warden's client and tests); see jute.h for how, and encode()/decode()
// there for whole records.
//
// Where store/ has the type (Stat, Acl, Id, OpCode, ErrorCode, CreateMode,
// EventType) the records use it. Enum fields hold whatever int came off the
// wire: checking that a value is valid is the server's job, not the codec's.
//
// Used by jute_messages.h, the server in net/, Warden's client and tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "net/jute.h"
#include "store/acl.h"
#include "store/data_tree.h"
#include "store/error_code.h"
#include "store/request.h"
#include "store/stat.h"
#include "store/watch_manager.h"

namespace warden::net {

// Reply xids that are not a request's: ZooKeeper's ClientCnxn constants.
inline constexpr int32_t kNotificationXid = -1;
inline constexpr int32_t kPingXid = -2;
inline constexpr int32_t kAuthXid = -4;
inline constexpr int32_t kSetWatchesXid = -8;

// Watcher.Event.KeeperState values, as WatcherEvent carries them.
enum class KeeperState : int32_t {
  kDisconnected = 0,
  kSyncConnected = 3,
  kAuthFailed = 4,
  kConnectedReadOnly = 5,
  kSaslAuthenticated = 6,
  kClosed = 7,
  kExpired = -112,
};

// Watcher.WatcherType (checkWatches, removeWatches) and AddWatchMode
// (addWatch): the watch manager's own.
using store::AddWatchMode;
using store::WatcherType;

// store's types as jute records (Id, ACL and Stat in zookeeper.jute).
template <>
struct JuteFields<store::Id> {
  static constexpr auto list() { return std::tuple{&store::Id::scheme, &store::Id::id}; }
};
template <>
struct JuteFields<store::Acl> {
  static constexpr auto list() { return std::tuple{&store::Acl::perms, &store::Acl::id}; }
};
template <>
struct JuteFields<store::Stat> {
  static constexpr auto list() {
    using S = store::Stat;
    return std::tuple{&S::czxid,       &S::mzxid,        &S::ctime_ms, &S::mtime_ms,
                      &S::version,     &S::cversion,     &S::aversion, &S::ephemeral_owner,
                      &S::data_length, &S::num_children, &S::pzxid};
  }
};

// ---- Session handshake (the first frame each way, no header) ----------------

struct ConnectRequest {
  int32_t protocol_version = 0;
  int64_t last_zxid_seen = 0;
  int32_t timeout_ms = 0;
  store::SessionId session_id = 0;
  std::string passwd;
  std::optional<bool> read_only;  // clients older than 3.3 send nothing here
  bool operator==(const ConnectRequest&) const = default;
  static constexpr auto jute_fields() {
    using R = ConnectRequest;
    return std::tuple{&R::protocol_version, &R::last_zxid_seen, &R::timeout_ms,
                      &R::session_id,       &R::passwd,         &R::read_only};
  }
};

struct ConnectResponse {
  int32_t protocol_version = 0;
  int32_t timeout_ms = 0;  // 0: the session expired (or was refused)
  store::SessionId session_id = 0;
  std::string passwd;
  std::optional<bool> read_only;  // ZooKeeper leaves it out for an old client
  bool operator==(const ConnectResponse&) const = default;
  static constexpr auto jute_fields() {
    using R = ConnectResponse;
    return std::tuple{&R::protocol_version, &R::timeout_ms, &R::session_id, &R::passwd,
                      &R::read_only};
  }
};

// ---- Headers ---------------------------------------------------------------

struct RequestHeader {
  int32_t xid = 0;
  store::OpCode type = store::OpCode::kPing;
  bool operator==(const RequestHeader&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&RequestHeader::xid, &RequestHeader::type};
  }
};
inline constexpr size_t kRequestHeaderSize = 8;

struct ReplyHeader {
  int32_t xid = 0;
  int64_t zxid = 0;
  store::ErrorCode err = store::ErrorCode::kOk;
  bool operator==(const ReplyHeader&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&ReplyHeader::xid, &ReplyHeader::zxid, &ReplyHeader::err};
  }
};
inline constexpr size_t kReplyHeaderSize = 16;

// Precedes each op of a multi request or result; type -1 with done set ends
// the list.
struct MultiHeader {
  store::OpCode type = store::OpCode::kError;
  bool done = true;
  int32_t err = -1;
  bool operator==(const MultiHeader&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&MultiHeader::type, &MultiHeader::done, &MultiHeader::err};
  }
};

// ---- Requests ----------------------------------------------------------------

// create, create2 and createContainer (the op code says which).
struct CreateRequest {
  std::string path;
  std::string data;
  store::AclList acl;
  store::CreateMode mode = store::CreateMode::kPersistent;  // jute "flags"
  bool operator==(const CreateRequest&) const = default;
  static constexpr auto jute_fields() {
    using R = CreateRequest;
    return std::tuple{&R::path, &R::data, &R::acl, &R::mode};
  }
};

struct CreateTtlRequest {
  std::string path;
  std::string data;
  store::AclList acl;
  store::CreateMode mode = store::CreateMode::kPersistentWithTtl;
  int64_t ttl_ms = 0;
  bool operator==(const CreateTtlRequest&) const = default;
  static constexpr auto jute_fields() {
    using R = CreateTtlRequest;
    return std::tuple{&R::path, &R::data, &R::acl, &R::mode, &R::ttl_ms};
  }
};

struct DeleteRequest {
  std::string path;
  int32_t version = -1;
  bool operator==(const DeleteRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&DeleteRequest::path, &DeleteRequest::version};
  }
};

struct ExistsRequest {
  std::string path;
  bool watch = false;
  bool operator==(const ExistsRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&ExistsRequest::path, &ExistsRequest::watch};
  }
};

struct GetDataRequest {
  std::string path;
  bool watch = false;
  bool operator==(const GetDataRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetDataRequest::path, &GetDataRequest::watch};
  }
};

struct GetChildrenRequest {
  std::string path;
  bool watch = false;
  bool operator==(const GetChildrenRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetChildrenRequest::path, &GetChildrenRequest::watch};
  }
};

struct GetChildren2Request {
  std::string path;
  bool watch = false;
  bool operator==(const GetChildren2Request&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetChildren2Request::path, &GetChildren2Request::watch};
  }
};

struct SetDataRequest {
  std::string path;
  std::string data;
  int32_t version = -1;
  bool operator==(const SetDataRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&SetDataRequest::path, &SetDataRequest::data, &SetDataRequest::version};
  }
};

struct GetAclRequest {
  std::string path;
  bool operator==(const GetAclRequest&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&GetAclRequest::path}; }
};

struct SetAclRequest {
  std::string path;
  store::AclList acl;
  int32_t version = -1;
  bool operator==(const SetAclRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&SetAclRequest::path, &SetAclRequest::acl, &SetAclRequest::version};
  }
};

struct SyncRequest {
  std::string path;
  bool operator==(const SyncRequest&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&SyncRequest::path}; }
};

struct CheckVersionRequest {
  std::string path;
  int32_t version = -1;
  bool operator==(const CheckVersionRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&CheckVersionRequest::path, &CheckVersionRequest::version};
  }
};

struct GetAllChildrenNumberRequest {
  std::string path;
  bool operator==(const GetAllChildrenNumberRequest&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&GetAllChildrenNumberRequest::path}; }
};

struct GetEphemeralsRequest {
  std::string prefix_path;
  bool operator==(const GetEphemeralsRequest&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&GetEphemeralsRequest::prefix_path}; }
};

// addauth; sent with xid kAuthXid. `type` is always 0 in practice.
struct AuthPacket {
  int32_t type = 0;
  std::string scheme;
  std::string auth;
  bool operator==(const AuthPacket&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&AuthPacket::type, &AuthPacket::scheme, &AuthPacket::auth};
  }
};

// Re-arms a reconnecting client's watches; sent with xid kSetWatchesXid.
struct SetWatches {
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  bool operator==(const SetWatches&) const = default;
  static constexpr auto jute_fields() {
    using R = SetWatches;
    return std::tuple{&R::relative_zxid, &R::data_watches, &R::exist_watches, &R::child_watches};
  }
};

struct SetWatches2 {
  int64_t relative_zxid = 0;
  std::vector<std::string> data_watches;
  std::vector<std::string> exist_watches;
  std::vector<std::string> child_watches;
  std::vector<std::string> persistent_watches;
  std::vector<std::string> persistent_recursive_watches;
  bool operator==(const SetWatches2&) const = default;
  static constexpr auto jute_fields() {
    using R = SetWatches2;
    return std::tuple{&R::relative_zxid, &R::data_watches,       &R::exist_watches,
                      &R::child_watches, &R::persistent_watches, &R::persistent_recursive_watches};
  }
};

struct AddWatchRequest {
  std::string path;
  AddWatchMode mode = AddWatchMode::kPersistent;
  bool operator==(const AddWatchRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&AddWatchRequest::path, &AddWatchRequest::mode};
  }
};

struct RemoveWatchesRequest {
  std::string path;
  WatcherType type = WatcherType::kAny;
  bool operator==(const RemoveWatchesRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&RemoveWatchesRequest::path, &RemoveWatchesRequest::type};
  }
};

struct CheckWatchesRequest {
  std::string path;
  WatcherType type = WatcherType::kAny;
  bool operator==(const CheckWatchesRequest&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&CheckWatchesRequest::path, &CheckWatchesRequest::type};
  }
};

// Decoded only so that the server can answer it with an error.
struct ReconfigRequest {
  std::string joining_servers;
  std::string leaving_servers;
  std::string new_members;
  int64_t cur_config_id = -1;
  bool operator==(const ReconfigRequest&) const = default;
  static constexpr auto jute_fields() {
    using R = ReconfigRequest;
    return std::tuple{&R::joining_servers, &R::leaving_servers, &R::new_members, &R::cur_config_id};
  }
};

// ---- Multi -------------------------------------------------------------------

// One op of a multi or multiRead: the header's type and the record ZooKeeper
// reads for it (create, create2 and createContainer share CreateRequest).
using MultiOpRecord = std::variant<CreateRequest, CreateTtlRequest, DeleteRequest, SetDataRequest,
                                   CheckVersionRequest, GetChildrenRequest, GetDataRequest>;
struct MultiOp {
  store::OpCode type = store::OpCode::kCreate;
  MultiOpRecord record;
  bool operator==(const MultiOp&) const = default;
};

// The ops of a multi (writes: create*, delete, setData, check) or a
// multiRead (getChildren, getData). Decoding fails, as in ZooKeeper, on an
// op type a multi cannot hold and on a list that mixes reads and writes.
struct MultiRequest {
  std::vector<MultiOp> ops;
  bool operator==(const MultiRequest&) const = default;
};

// The alternative of MultiOpRecord an op of `type` carries; nullopt if a
// multi cannot hold that type.
std::optional<size_t> multi_op_alternative(store::OpCode type);
bool is_multi_read_op(store::OpCode type);

void read_field(JuteReader& reader, MultiRequest& multi);
void write_field(JuteWriter& writer, const MultiRequest& multi);

// ---- Responses -----------------------------------------------------------------

struct CreateResponse {
  std::string path;
  bool operator==(const CreateResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&CreateResponse::path}; }
};

// create2, createContainer and createTTL.
struct Create2Response {
  std::string path;
  store::Stat stat;
  bool operator==(const Create2Response&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&Create2Response::path, &Create2Response::stat};
  }
};

struct ExistsResponse {
  store::Stat stat;
  bool operator==(const ExistsResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&ExistsResponse::stat}; }
};

// setData, and a check sent on its own.
struct SetDataResponse {
  store::Stat stat;
  bool operator==(const SetDataResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&SetDataResponse::stat}; }
};

// getData (and reconfig, which answers with the configuration).
struct GetDataResponse {
  std::string data;
  store::Stat stat;
  bool operator==(const GetDataResponse&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetDataResponse::data, &GetDataResponse::stat};
  }
};

struct GetChildrenResponse {
  std::vector<std::string> children;
  bool operator==(const GetChildrenResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&GetChildrenResponse::children}; }
};

struct GetChildren2Response {
  std::vector<std::string> children;
  store::Stat stat;
  bool operator==(const GetChildren2Response&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetChildren2Response::children, &GetChildren2Response::stat};
  }
};

struct GetAclResponse {
  store::AclList acl;
  store::Stat stat;
  bool operator==(const GetAclResponse&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetAclResponse::acl, &GetAclResponse::stat};
  }
};

struct SetAclResponse {
  store::Stat stat;
  bool operator==(const SetAclResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&SetAclResponse::stat}; }
};

struct SyncResponse {
  std::string path;
  bool operator==(const SyncResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&SyncResponse::path}; }
};

struct GetAllChildrenNumberResponse {
  int32_t total_number = 0;
  bool operator==(const GetAllChildrenNumberResponse&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&GetAllChildrenNumberResponse::total_number};
  }
};

struct GetEphemeralsResponse {
  std::vector<std::string> ephemerals;
  bool operator==(const GetEphemeralsResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&GetEphemeralsResponse::ephemerals}; }
};

// A failed op in a multi result; also addWatch's whole answer (err 0).
struct ErrorResponse {
  store::ErrorCode err = store::ErrorCode::kOk;
  bool operator==(const ErrorResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&ErrorResponse::err}; }
};

struct ClientInfo {
  std::string auth_scheme;
  std::string user;
  bool operator==(const ClientInfo&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&ClientInfo::auth_scheme, &ClientInfo::user};
  }
};

struct WhoAmIResponse {
  std::vector<ClientInfo> client_info;
  bool operator==(const WhoAmIResponse&) const = default;
  static constexpr auto jute_fields() { return std::tuple{&WhoAmIResponse::client_info}; }
};

// A watch notification: follows ReplyHeader{kNotificationXid, -1, kOk}.
struct WatcherEvent {
  store::EventType type = store::EventType::kNone;
  KeeperState state = KeeperState::kSyncConnected;
  std::string path;
  bool operator==(const WatcherEvent&) const = default;
  static constexpr auto jute_fields() {
    return std::tuple{&WatcherEvent::type, &WatcherEvent::state, &WatcherEvent::path};
  }
};

// One op's result in a multi or multiRead response: the header's type
// (kCreate, kCreate2, kDelete, kSetData, kCheck, kGetChildren, kGetData, or
// kError for a failed op) and its record (nothing for delete and check).
// ZooKeeper answers createContainer and createTTL ops with kCreate2.
using MultiResultRecord =
    std::variant<std::monostate, CreateResponse, Create2Response, SetDataResponse,
                 GetChildrenResponse, GetDataResponse, ErrorResponse>;
struct MultiResult {
  store::OpCode type = store::OpCode::kError;
  MultiResultRecord record;
  bool operator==(const MultiResult&) const = default;
};

struct MultiResponse {
  std::vector<MultiResult> results;
  bool operator==(const MultiResponse&) const = default;
};

// The alternative of MultiResultRecord a result of `type` carries; nullopt if
// a multi response cannot hold that type.
std::optional<size_t> multi_result_alternative(store::OpCode type);

void read_field(JuteReader& reader, MultiResponse& multi);
void write_field(JuteWriter& writer, const MultiResponse& multi);

}  // namespace warden::net
