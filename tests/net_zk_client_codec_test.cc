// ZkClientCodec without sockets: the handshake, pipelined replies decoded as
// the answers to their own requests, notifications and pings among them,
// watches re-armed on a new connection, and the connect string.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/zk_client_codec.h"

namespace warden::net {
namespace {

using store::ErrorCode;
using store::EventType;
using store::OpCode;

// The frames in `bytes`, without their lengths.
std::vector<std::string> frames_of(const std::string& bytes) {
  FrameDecoder decoder;
  decoder.feed(bytes);
  std::vector<std::string> frames;
  while (std::optional<std::string> frame = decoder.next()) frames.push_back(*frame);
  EXPECT_FALSE(decoder.failed()) << decoder.error();
  EXPECT_EQ(decoder.buffered(), 0u);
  return frames;
}

std::string reply_frame(int32_t xid, int64_t zxid, ErrorCode err, ResponseBody body) {
  return encode_reply_frame(Reply{ReplyHeader{xid, zxid, err}, std::move(body)});
}

// A codec whose session 0x77 is open, and what it wrote so far.
struct Connected {
  ZkClientCodec codec{10000};
  std::string out;
  Connected() {
    codec.start_connection(out);
    codec.feed(encode_frame(ConnectResponse{0, 6000, 0x77, std::string(16, 'p'), false}));
    const std::optional<ZkClientInput> input = codec.next();
    EXPECT_TRUE(input && std::holds_alternative<ConnectResponse>(*input));
    out.clear();
  }
};

TEST(ZkClientCodec, HandshakeOpensASession) {
  ZkClientCodec codec(15000);
  std::string out;
  codec.start_connection(out);
  const std::vector<std::string> frames = frames_of(out);
  ASSERT_EQ(frames.size(), 1u);
  const Decoded<ConnectRequest> connect = decode<ConnectRequest>(frames[0]);
  ASSERT_TRUE(connect) << connect.error();
  EXPECT_EQ(connect->timeout_ms, 15000);
  EXPECT_EQ(connect->session_id, 0);
  EXPECT_EQ(connect->passwd, std::string(16, '\0'));
  EXPECT_FALSE(codec.connected());

  // The answer arrives a byte at a time.
  const std::string answer = encode_frame(ConnectResponse{0, 9000, 0x1234, "secret", false});
  std::optional<ZkClientInput> input;
  for (const char byte : answer) {
    EXPECT_FALSE(input);
    codec.feed(std::string(1, byte));
    input = codec.next();
  }
  ASSERT_TRUE(input);
  EXPECT_EQ(std::get<ConnectResponse>(*input).session_id, 0x1234);
  EXPECT_TRUE(codec.connected());
  EXPECT_EQ(codec.session_id(), 0x1234);
  EXPECT_EQ(codec.negotiated_timeout_ms(), 9000);
}

TEST(ZkClientCodec, PipelinedRepliesDecodeAsTheirOwnRequests) {
  Connected c;
  const int32_t get = c.codec.request(c.out, OpCode::kGetData, GetDataRequest{"/a", false});
  const int32_t ls = c.codec.request(c.out, OpCode::kGetChildren, GetChildrenRequest{"/", false});
  const int32_t create = c.codec.request(c.out, OpCode::kCreate, CreateRequest{"/b", "x", {}, {}});
  EXPECT_EQ(c.codec.in_flight(), 3u);
  const std::vector<std::string> frames = frames_of(c.out);
  ASSERT_EQ(frames.size(), 3u);
  const Decoded<Request> sent = decode_request(frames[1]);
  ASSERT_TRUE(sent) << sent.error();
  EXPECT_EQ(sent->header, (RequestHeader{ls, OpCode::kGetChildren}));

  store::Stat stat;
  stat.version = 4;
  c.codec.feed(reply_frame(get, 10, ErrorCode::kOk, GetDataResponse{"data", stat}) +
               reply_frame(ls, 11, ErrorCode::kOk, GetChildrenResponse{{"a", "b"}}) +
               reply_frame(create, 12, ErrorCode::kOk, CreateResponse{"/b"}));
  std::vector<ZkReply> replies;
  while (std::optional<ZkClientInput> input = c.codec.next()) {
    replies.push_back(std::get<ZkReply>(*input));
  }
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].op, OpCode::kGetData);
  EXPECT_EQ(std::get<GetDataResponse>(replies[0].reply.body), (GetDataResponse{"data", stat}));
  EXPECT_EQ(std::get<GetChildrenResponse>(replies[1].reply.body).children,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(std::get<CreateResponse>(replies[2].reply.body).path, "/b");
  EXPECT_EQ(c.codec.in_flight(), 0u);
  EXPECT_EQ(c.codec.last_zxid_seen(), 12);
}

TEST(ZkClientCodec, NotificationsAndPingsComeBetweenReplies) {
  Connected c;
  c.codec.ping(c.out);
  const int32_t set = c.codec.request(c.out, OpCode::kSetData, SetDataRequest{"/a", "y", 3});
  const std::vector<std::string> frames = frames_of(c.out);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(decode<RequestHeader>(frames[0])->xid, kPingXid);

  c.codec.feed(
      reply_frame(kPingXid, 5, ErrorCode::kOk, std::monostate{}) +
      reply_frame(kNotificationXid, -1, ErrorCode::kOk,
                  WatcherEvent{EventType::kNodeDataChanged, KeeperState::kSyncConnected, "/a"}) +
      reply_frame(set, 6, ErrorCode::kBadVersion, std::monostate{}));
  std::optional<ZkClientInput> input = c.codec.next();
  ASSERT_TRUE(input);
  EXPECT_EQ(std::get<WatcherEvent>(*input).path, "/a");
  input = c.codec.next();
  ASSERT_TRUE(input);
  const ZkReply& reply = std::get<ZkReply>(*input);
  EXPECT_EQ(reply.op, OpCode::kSetData);
  EXPECT_EQ(reply.reply.header.err, ErrorCode::kBadVersion);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(reply.reply.body));
  EXPECT_FALSE(c.codec.next());
  EXPECT_FALSE(c.codec.failed());
}

TEST(ZkClientCodec, AReplyOutOfOrderFailsTheConnection) {
  Connected c;
  const int32_t first = c.codec.request(c.out, OpCode::kExists, ExistsRequest{"/a", false});
  const int32_t second = c.codec.request(c.out, OpCode::kExists, ExistsRequest{"/b", false});
  c.codec.feed(reply_frame(second, 1, ErrorCode::kNoNode, std::monostate{}));
  EXPECT_FALSE(c.codec.next());
  ASSERT_TRUE(c.codec.failed());
  EXPECT_NE(c.codec.error().find("Xid out of order"), std::string::npos) << c.codec.error();
  EXPECT_NE(c.codec.error().find(std::to_string(first)), std::string::npos);
}

TEST(ZkClientCodec, AReconnectResumesTheSessionAndRearmsItsWatches) {
  Connected c;
  const int32_t get = c.codec.request(c.out, OpCode::kGetData, GetDataRequest{"/d", true});
  const int32_t exists = c.codec.request(c.out, OpCode::kExists, ExistsRequest{"/e", true});
  const int32_t ls = c.codec.request(c.out, OpCode::kGetChildren, GetChildrenRequest{"/c", true});
  const int32_t gone = c.codec.request(c.out, OpCode::kGetData, GetDataRequest{"/gone", true});
  c.codec.feed(reply_frame(get, 20, ErrorCode::kOk, GetDataResponse{}) +
               reply_frame(exists, 21, ErrorCode::kNoNode, std::monostate{}) +
               reply_frame(ls, 22, ErrorCode::kOk, GetChildrenResponse{}) +
               reply_frame(gone, 23, ErrorCode::kNoNode, std::monostate{}));
  while (c.codec.next()) {
  }
  EXPECT_EQ(c.codec.data_watches(), (std::set<std::string>{"/d"}));
  EXPECT_EQ(c.codec.exist_watches(), (std::set<std::string>{"/e"}));
  // The child watch fires and is gone.
  c.codec.feed(reply_frame(
      kNotificationXid, -1, ErrorCode::kOk,
      WatcherEvent{EventType::kNodeChildrenChanged, KeeperState::kSyncConnected, "/c"}));
  ASSERT_TRUE(c.codec.next());
  EXPECT_TRUE(c.codec.child_watches().empty());

  // One more request is lost with the connection.
  c.codec.request(c.out, OpCode::kSync, SyncRequest{"/"});
  std::string out;
  c.codec.start_connection(out);
  EXPECT_EQ(c.codec.in_flight(), 0u);
  const std::vector<std::string> frames = frames_of(out);
  ASSERT_EQ(frames.size(), 2u);
  const Decoded<ConnectRequest> connect = decode<ConnectRequest>(frames[0]);
  ASSERT_TRUE(connect);
  EXPECT_EQ(connect->session_id, 0x77);
  EXPECT_EQ(connect->passwd, std::string(16, 'p'));
  EXPECT_EQ(connect->last_zxid_seen, 23);
  const Decoded<Request> watches = decode_request(frames[1]);
  ASSERT_TRUE(watches) << watches.error();
  EXPECT_EQ(watches->header, (RequestHeader{kSetWatchesXid, OpCode::kSetWatches}));
  EXPECT_EQ(std::get<SetWatches>(watches->body), (SetWatches{23, {"/d"}, {"/e"}, {}}));
}

TEST(ZkClientCodec, AnExpiredSessionIsReported) {
  Connected c;
  std::string out;
  c.codec.start_connection(out);
  c.codec.feed(encode_frame(ConnectResponse{0, 0, 0, std::string(16, '\0'), false}));
  const std::optional<ZkClientInput> input = c.codec.next();
  ASSERT_TRUE(input);
  EXPECT_EQ(std::get<ConnectResponse>(*input).timeout_ms, 0);
  EXPECT_FALSE(c.codec.connected());
}

TEST(ZkClientCodec, ConnectStrings) {
  std::string error;
  const auto hosts = parse_connect_string("127.0.0.1:2181,localhost,[::1]:2183,", &error);
  ASSERT_TRUE(hosts) << error;
  EXPECT_EQ(*hosts,
            (std::vector<ZkEndpoint>{{"127.0.0.1", 2181}, {"localhost", 2181}, {"::1", 2183}}));
  EXPECT_EQ(endpoint_text((*hosts)[2]), "[::1]:2183");
  EXPECT_FALSE(parse_connect_string("", &error));
  EXPECT_FALSE(parse_connect_string("a:0", &error));
  EXPECT_FALSE(parse_connect_string("a:99999", &error));
  EXPECT_FALSE(parse_connect_string("a:12x", &error));
  EXPECT_FALSE(parse_connect_string("a:2181/chroot", &error));
  EXPECT_NE(error.find("chroot"), std::string::npos);
}

}  // namespace
}  // namespace warden::net
