// Round trips of every record, and whole request/reply frames dispatched by
// op code as a ZooKeeper 3.8 server and client pair them.
#include <gtest/gtest.h>

#include <string>

#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/jute_records.h"

namespace warden::net {
namespace {

using store::CreateMode;
using store::ErrorCode;
using store::OpCode;

store::Stat stat_with(int64_t seed) {
  store::Stat stat;
  stat.czxid = seed;
  stat.mzxid = seed + 1;
  stat.ctime_ms = seed * 1000;
  stat.mtime_ms = seed * 1000 + 1;
  stat.version = 2;
  stat.cversion = -3;
  stat.aversion = 4;
  stat.ephemeral_owner = store::ttl_owner(5000);
  stat.data_length = 5;
  stat.num_children = 6;
  stat.pzxid = seed + 2;
  return stat;
}

store::AclList some_acl() {
  return {{store::perm::kAll, {"world", "anyone"}},
          {store::perm::kRead | store::perm::kAdmin, {"digest", "bob:c2VjcmV0"}}};
}

template <class T>
void expect_round_trip(const T& record) {
  const std::string bytes = encode(record);
  const auto decoded = decode<T>(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, record);
  EXPECT_EQ(encode(*decoded), bytes);
}

TEST(JuteRoundTrip, HandshakeAndHeaders) {
  expect_round_trip(ConnectRequest{0, 77, 10000, 0x55, std::string(16, '\7'), true});
  expect_round_trip(ConnectRequest{0, 0, 30000, 0, std::string(16, '\0'), std::nullopt});
  expect_round_trip(ConnectResponse{0, 6000, 0x1234, "pw", true});
  expect_round_trip(ConnectResponse{0, 0, 0, "", std::nullopt});
  expect_round_trip(RequestHeader{42, OpCode::kCreate2});
  expect_round_trip(ReplyHeader{42, 1LL << 40, ErrorCode::kSessionExpired});
  expect_round_trip(MultiHeader{OpCode::kSetData, false, -1});
}

TEST(JuteRoundTrip, Requests) {
  expect_round_trip(CreateRequest{"/a", "x", some_acl(), CreateMode::kEphemeral});
  expect_round_trip(CreateTtlRequest{"/t", "y", some_acl(), CreateMode::kPersistentWithTtl, 60000});
  expect_round_trip(DeleteRequest{"/a", 7});
  expect_round_trip(ExistsRequest{"/a", true});
  expect_round_trip(GetDataRequest{"/a", true});
  expect_round_trip(GetChildrenRequest{"/a", false});
  expect_round_trip(GetChildren2Request{"/a", true});
  expect_round_trip(SetDataRequest{"/a", std::string("\0\1\2", 3), 3});
  expect_round_trip(GetAclRequest{"/a"});
  expect_round_trip(SetAclRequest{"/a", some_acl(), 1});
  expect_round_trip(SyncRequest{"/"});
  expect_round_trip(CheckVersionRequest{"/a", 9});
  expect_round_trip(GetAllChildrenNumberRequest{"/a"});
  expect_round_trip(GetEphemeralsRequest{"/app"});
  expect_round_trip(AuthPacket{0, "digest", "bob:secret"});
  expect_round_trip(SetWatches{5, {"/d"}, {"/e1", "/e2"}, {"/c"}});
  expect_round_trip(SetWatches2{5, {"/d"}, {}, {"/c"}, {"/p"}, {"/r", "/s"}});
  expect_round_trip(AddWatchRequest{"/a", AddWatchMode::kPersistentRecursive});
  expect_round_trip(RemoveWatchesRequest{"/a", WatcherType::kData});
  expect_round_trip(CheckWatchesRequest{"/a", WatcherType::kChildren});
  expect_round_trip(ReconfigRequest{"server.4=h:1:2", "3", "", 0x100000000});
}

TEST(JuteRoundTrip, Multi) {
  MultiRequest writes;
  writes.ops.push_back(
      {OpCode::kCreate, CreateRequest{"/a", "1", some_acl(), CreateMode::kPersistent}});
  writes.ops.push_back(
      {OpCode::kCreate2, CreateRequest{"/b", "", some_acl(), CreateMode::kEphemeral}});
  writes.ops.push_back(
      {OpCode::kCreateContainer, CreateRequest{"/c", "", some_acl(), CreateMode::kContainer}});
  writes.ops.push_back(
      {OpCode::kCreateTtl,
       CreateTtlRequest{"/t", "", some_acl(), CreateMode::kPersistentSequentialWithTtl, 10}});
  writes.ops.push_back({OpCode::kSetData, SetDataRequest{"/a", "2", 0}});
  writes.ops.push_back({OpCode::kCheck, CheckVersionRequest{"/a", 1}});
  writes.ops.push_back({OpCode::kDelete, DeleteRequest{"/a", -1}});
  expect_round_trip(writes);

  MultiRequest reads;
  reads.ops.push_back({OpCode::kGetData, GetDataRequest{"/a", false}});
  reads.ops.push_back({OpCode::kGetChildren, GetChildrenRequest{"/", false}});
  expect_round_trip(reads);
}

TEST(JuteRoundTrip, Responses) {
  expect_round_trip(CreateResponse{"/a0000000001"});
  expect_round_trip(Create2Response{"/a", stat_with(1)});
  expect_round_trip(ExistsResponse{stat_with(2)});
  expect_round_trip(SetDataResponse{stat_with(3)});
  expect_round_trip(GetDataResponse{"data", stat_with(4)});
  expect_round_trip(GetChildrenResponse{{"a", "b", "c"}});
  expect_round_trip(GetChildren2Response{{}, stat_with(5)});
  expect_round_trip(GetAclResponse{some_acl(), stat_with(6)});
  expect_round_trip(SetAclResponse{stat_with(7)});
  expect_round_trip(SyncResponse{"/a"});
  expect_round_trip(GetAllChildrenNumberResponse{12345});
  expect_round_trip(GetEphemeralsResponse{{"/e1", "/e2"}});
  expect_round_trip(ErrorResponse{ErrorCode::kNoWatcher});
  expect_round_trip(WhoAmIResponse{{{"ip", "10.0.0.1"}, {"super", ""}}});
  expect_round_trip(
      WatcherEvent{store::EventType::kNodeChildrenChanged, KeeperState::kSyncConnected, "/p"});
  expect_round_trip(WatcherEvent{store::EventType::kNone, KeeperState::kExpired, ""});
  expect_round_trip(store::Stat{});
  expect_round_trip(store::Acl{store::perm::kCreate, {"ip", "10.0.0.0/8"}});

  MultiResponse multi;
  multi.results.push_back({OpCode::kCreate, CreateResponse{"/a"}});
  multi.results.push_back({OpCode::kCreate2, Create2Response{"/b", stat_with(8)}});
  multi.results.push_back({OpCode::kSetData, SetDataResponse{stat_with(9)}});
  multi.results.push_back({OpCode::kCheck, std::monostate{}});
  multi.results.push_back({OpCode::kDelete, std::monostate{}});
  multi.results.push_back({OpCode::kGetData, GetDataResponse{"d", stat_with(10)}});
  multi.results.push_back({OpCode::kGetChildren, GetChildrenResponse{{"x"}}});
  multi.results.push_back({OpCode::kError, ErrorResponse{ErrorCode::kRuntimeInconsistency}});
  expect_round_trip(multi);
}

// ---- Whole messages -------------------------------------------------------------

Request round_trip_request(const Request& request) {
  const std::string bytes = encode_request_frame(request);
  FrameDecoder frames;
  frames.feed(bytes);
  const auto payload = frames.next();
  EXPECT_TRUE(payload);
  const auto decoded = decode_request(payload.value_or(""));
  EXPECT_TRUE(decoded) << decoded.error();
  return decoded ? *decoded : Request{};
}

TEST(JuteMessages, RequestsDispatchOnTheirType) {
  const Request requests[] = {
      {{1, OpCode::kCreate}, CreateRequest{"/a", "", some_acl(), CreateMode::kPersistent}},
      {{2, OpCode::kCreateContainer}, CreateRequest{"/c", "", some_acl(), CreateMode::kContainer}},
      {{3, OpCode::kCreateTtl},
       CreateTtlRequest{"/t", "", some_acl(), CreateMode::kPersistentWithTtl, 5}},
      {{4, OpCode::kGetData}, GetDataRequest{"/a", true}},
      {{5, OpCode::kMulti}, MultiRequest{{{OpCode::kDelete, DeleteRequest{"/a", 1}}}}},
      {{6, OpCode::kMultiRead}, MultiRequest{{{OpCode::kGetData, GetDataRequest{"/a", false}}}}},
      {{kPingXid, OpCode::kPing}, std::monostate{}},
      {{7, OpCode::kCloseSession}, std::monostate{}},
      {{8, OpCode::kWhoAmI}, std::monostate{}},
      {{kAuthXid, OpCode::kAuth}, AuthPacket{0, "digest", "u:p"}},
      {{kSetWatchesXid, OpCode::kSetWatches2}, SetWatches2{1, {"/a"}, {}, {}, {}, {}}},
      {{9, OpCode::kAddWatch}, AddWatchRequest{"/a", AddWatchMode::kPersistent}},
      {{10, OpCode::kReconfig}, ReconfigRequest{"", "2", "", -1}},
  };
  for (const Request& request : requests) {
    EXPECT_EQ(round_trip_request(request), request)
        << "type " << static_cast<int32_t>(request.header.type);
  }
}

TEST(JuteMessages, UnsupportedRequestTypeIsAnErrorButTheHeaderReads) {
  const std::string payload = encode(RequestHeader{3, OpCode::kSasl}) + std::string(8, '\0');
  const auto decoded = decode_request(payload);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().find("unsupported request type 102"), std::string::npos);
  const auto header = decode<RequestHeader>(payload);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->xid, 3);
}

TEST(JuteMessages, TruncatedRequestBodyFails) {
  const std::string payload =
      encode(RequestHeader{3, OpCode::kSetData}) + encode(SetDataRequest{"/a", "x", 1});
  EXPECT_TRUE(decode_request(payload));
  EXPECT_FALSE(decode_request(payload.substr(0, payload.size() - 1)));
  EXPECT_FALSE(decode_request(payload.substr(0, 5)));
}

Reply round_trip_reply(const Reply& reply, OpCode request_type) {
  const std::string bytes = encode_reply_frame(reply);
  const auto decoded = decode_reply(std::string_view(bytes).substr(kFrameLengthSize), request_type);
  EXPECT_TRUE(decoded) << decoded.error();
  return decoded ? *decoded : Reply{};
}

TEST(JuteMessages, RepliesDispatchOnTheRequestType) {
  const ReplyHeader ok{5, 100, ErrorCode::kOk};
  const std::pair<OpCode, Reply> replies[] = {
      {OpCode::kCreate, {ok, CreateResponse{"/a"}}},
      {OpCode::kCreateContainer, {ok, Create2Response{"/c", stat_with(1)}}},
      {OpCode::kCreateTtl, {ok, Create2Response{"/t", stat_with(2)}}},
      {OpCode::kCheck, {ok, SetDataResponse{stat_with(3)}}},
      {OpCode::kAddWatch, {ok, ErrorResponse{ErrorCode::kOk}}},
      {OpCode::kWhoAmI, {ok, WhoAmIResponse{{{"ip", "1.2.3.4"}}}}},
      {OpCode::kDelete, {ok, std::monostate{}}},
      {OpCode::kPing, {{kPingXid, 100, ErrorCode::kOk}, std::monostate{}}},
      {OpCode::kMulti, {ok, MultiResponse{{{OpCode::kDelete, std::monostate{}}}}}},
      {OpCode::kGetAllChildrenNumber, {ok, GetAllChildrenNumberResponse{3}}},
  };
  for (const auto& [type, reply] : replies) {
    EXPECT_EQ(round_trip_reply(reply, type), reply) << "type " << static_cast<int32_t>(type);
  }
}

TEST(JuteMessages, AnErrorReplyHasNoBody) {
  const Reply reply{{5, 100, ErrorCode::kNoNode}, std::monostate{}};
  const std::string bytes = encode_reply_frame(reply);
  EXPECT_EQ(bytes.size(), kFrameLengthSize + kReplyHeaderSize);
  EXPECT_EQ(round_trip_reply(reply, OpCode::kGetData), reply);
}

TEST(JuteMessages, NotificationIgnoresTheRequestType) {
  const Reply reply{
      {kNotificationXid, -1, ErrorCode::kOk},
      WatcherEvent{store::EventType::kNodeDeleted, KeeperState::kSyncConnected, "/a"}};
  EXPECT_EQ(round_trip_reply(reply, OpCode::kError), reply);
}

TEST(JuteMessages, TruncatedReplyFails) {
  const Reply reply{{5, 100, ErrorCode::kOk}, GetDataResponse{"abc", stat_with(1)}};
  const std::string payload = encode_reply_frame(reply).substr(kFrameLengthSize);
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    EXPECT_FALSE(decode_reply(payload.substr(0, cut), OpCode::kGetData)) << cut;
  }
}

}  // namespace
}  // namespace warden::net
