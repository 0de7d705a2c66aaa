// The jute codec against hand-written bytes: primitives, records laid out as
// ZooKeeper 3.8 lays them out, and malformed input that must fail cleanly.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

#include "net/jute.h"
#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "net/jute_records.h"

namespace warden::net {
namespace {

using store::ErrorCode;
using store::OpCode;

// "00 01 ff" -> those 3 bytes; spaces, '|' and newlines separate fields.
std::string hex(std::string_view text) {
  std::string out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '|' || c == '\n') continue;
    const int digit =
        std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<char>(high * 16 + digit));
      high = -1;
    }
  }
  return out;
}

// A ustring/buffer as jute writes it: length, then the bytes.
std::string str(std::string_view text) {
  std::string out = hex("00 00 00") + static_cast<char>(text.size());
  return out + std::string(text);
}

std::string dump(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

#define EXPECT_BYTES(actual, expected) EXPECT_EQ(dump(actual), dump(expected))

const std::string kOpenAcl = hex("00 00 00 01 | 00 00 00 1f") + str("world") + str("anyone");

// ---- Primitives ----------------------------------------------------------------

TEST(JutePrimitives, WritesBigEndian) {
  std::string out;
  JuteWriter writer(out);
  writer.int32(0x01020304);
  writer.int32(-2);
  writer.int64(0x0102030405060708);
  writer.boolean(true);
  writer.boolean(false);
  writer.buffer("ab");
  writer.vector_count(3);
  EXPECT_BYTES(out, hex("01020304 | fffffffe | 0102030405060708 | 01 | 00 | 00000002 6162 | "
                        "00000003"));
}

TEST(JutePrimitives, ReadsWhatWasWritten) {
  const std::string reader_bytes =
      hex("01020304 | fffffffe | 8000000000000001 | 01 | 07 | 00000002 6162 |"
          "ffffffff | 00000000");
  JuteReader reader(reader_bytes);
  EXPECT_EQ(reader.int32(), 0x01020304);
  EXPECT_EQ(reader.int32(), -2);
  EXPECT_EQ(reader.int64(), static_cast<int64_t>(0x8000000000000001ull));
  EXPECT_TRUE(reader.boolean());
  EXPECT_TRUE(reader.boolean());  // any non-zero byte, as Java's readBoolean
  EXPECT_EQ(reader.buffer(), "ab");
  EXPECT_EQ(reader.buffer(), "");  // null
  EXPECT_EQ(reader.buffer(), "");  // empty
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(JutePrimitives, TruncatedIntFailsAndStaysFailed) {
  const std::string reader_bytes = hex("00 01");
  JuteReader reader(reader_bytes);
  EXPECT_EQ(reader.int32(), 0);
  EXPECT_FALSE(reader.ok());
  EXPECT_NE(reader.error().find("truncated int at offset 0"), std::string::npos) << reader.error();
  EXPECT_EQ(reader.remaining(), 0u);
  EXPECT_FALSE(reader.boolean());
}

TEST(JutePrimitives, NegativeBufferLengthFails) {
  const std::string reader_bytes = hex("fffffffe 00");
  JuteReader reader(reader_bytes);
  EXPECT_EQ(reader.buffer(), "");
  EXPECT_NE(reader.error().find("negative length -2"), std::string::npos) << reader.error();
}

TEST(JutePrimitives, BufferLongerThanInputFailsBeforeAllocating) {
  const std::string reader_bytes = hex("7fffffff 616263");
  JuteReader reader(reader_bytes);
  EXPECT_EQ(reader.buffer(), "");
  EXPECT_NE(reader.error().find("length 2147483647 at offset 0 exceeds the 3 bytes left"),
            std::string::npos)
      << reader.error();
}

TEST(JutePrimitives, VectorCountBeyondDataFails) {
  const std::string reader_bytes = hex("00000003 00000001 61");
  JuteReader reader(reader_bytes);
  EXPECT_EQ(reader.vector_count(4), 0u);
  EXPECT_NE(reader.error().find("vector count 3"), std::string::npos) << reader.error();

  const std::string negative_bytes = hex("fffffff0");
  JuteReader negative(negative_bytes);
  EXPECT_EQ(negative.vector_count(4), 0u);
  EXPECT_NE(negative.error().find("negative vector count -16"), std::string::npos);

  const std::string null_bytes = hex("ffffffff");
  JuteReader null(null_bytes);
  EXPECT_EQ(null.vector_count(4), 0u);
  EXPECT_TRUE(null.ok());
}

TEST(JutePrimitives, HugeVectorOfStringsFailsFast) {
  // 2^31-1 children declared, 8 bytes given: refused before any reserve().
  const auto decoded = decode<GetChildrenResponse>(hex("7fffffff 00000000 00000000"));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().find("vector count 2147483647"), std::string::npos);
}

TEST(JutePrimitives, MinimumSizesFollowTheFields) {
  static_assert(jute_min_size<store::Stat>() == 68);
  static_assert(jute_min_size<store::Acl>() == 12);
  static_assert(jute_min_size<ReplyHeader>() == kReplyHeaderSize);
  static_assert(jute_min_size<RequestHeader>() == kRequestHeaderSize);
  static_assert(jute_min_size<ConnectRequest>() == 28);
}

// ---- Records, byte for byte ---------------------------------------------------------

const std::string kPasswd = hex("000102030405060708090a0b0c0d0e0f");

ConnectRequest sample_connect() {
  ConnectRequest request;
  request.protocol_version = 0;
  request.last_zxid_seen = 0x100000005;
  request.timeout_ms = 30000;
  request.session_id = 0x0123456789abcdef;
  request.passwd = kPasswd;
  return request;
}

const std::string kConnectWithoutReadOnly =
    hex("00000000 | 0000000100000005 | 00007530 | 0123456789abcdef | 00000010") + kPasswd;

TEST(JuteRecords, ConnectRequestWithReadOnly) {
  ConnectRequest request = sample_connect();
  request.read_only = false;
  const std::string bytes = kConnectWithoutReadOnly + hex("00");
  EXPECT_EQ(bytes.size(), 45u);  // what every 3.x client sends
  EXPECT_BYTES(encode(request), bytes);
  const auto decoded = decode<ConnectRequest>(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, request);

  const auto read_only = decode<ConnectRequest>(kConnectWithoutReadOnly + hex("01"));
  ASSERT_TRUE(read_only);
  EXPECT_EQ(read_only->read_only, true);
}

TEST(JuteRecords, ConnectRequestWithoutReadOnlyFromAnOldClient) {
  const ConnectRequest request = sample_connect();
  EXPECT_BYTES(encode(request), kConnectWithoutReadOnly);
  const auto decoded = decode<ConnectRequest>(kConnectWithoutReadOnly);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->read_only, std::nullopt);
  EXPECT_EQ(*decoded, request);
}

TEST(JuteRecords, ConnectResponse) {
  ConnectResponse response;
  response.timeout_ms = 4000;
  response.session_id = 0x7f00000000000001;
  response.passwd = kPasswd;
  response.read_only = false;
  const std::string bytes =
      hex("00000000 | 00000fa0 | 7f00000000000001 | 00000010") + kPasswd + hex("00");
  EXPECT_BYTES(encode(response), bytes);
  const auto decoded = decode<ConnectResponse>(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, response);
}

TEST(JuteRecords, ReplyHeader) {
  const ReplyHeader header{7, 0x100000002, ErrorCode::kNoNode};
  const std::string bytes = hex("00000007 | 0000000100000002 | ffffff9b");
  EXPECT_BYTES(encode(header), bytes);
  const auto decoded = decode<ReplyHeader>(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, header);
}

TEST(JuteRecords, RequestHeader) {
  EXPECT_BYTES(encode(RequestHeader{kPingXid, OpCode::kPing}), hex("fffffffe 0000000b"));
  EXPECT_BYTES(encode(RequestHeader{1, OpCode::kCloseSession}), hex("00000001 fffffff5"));
}

store::Stat sample_stat() {
  store::Stat stat;
  stat.czxid = 0x101;
  stat.mzxid = 0x102;
  stat.ctime_ms = 0x18f00000001;
  stat.mtime_ms = 0x18f00000002;
  stat.version = 3;
  stat.cversion = 4;
  stat.aversion = 5;
  stat.ephemeral_owner = store::kContainerOwner;
  stat.data_length = 6;
  stat.num_children = 7;
  stat.pzxid = 0x103;
  return stat;
}

const std::string kStatBytes =
    hex("0000000000000101 | 0000000000000102 | 0000018f00000001 | 0000018f00000002 |"
        "00000003 | 00000004 | 00000005 | 8000000000000000 | 00000006 | 00000007 |"
        "0000000000000103");

TEST(JuteRecords, Stat) {
  EXPECT_EQ(kStatBytes.size(), 68u);
  EXPECT_BYTES(encode(sample_stat()), kStatBytes);
  const auto decoded = decode<store::Stat>(kStatBytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, sample_stat());
}

TEST(JuteRecords, CreateRequest) {
  const CreateRequest request{"/app/lock-", "hi", store::open_acl(),
                              store::CreateMode::kEphemeralSequential};
  const std::string bytes = str("/app/lock-") + str("hi") + kOpenAcl + hex("00000003");
  EXPECT_BYTES(encode(request), bytes);
  const auto decoded = decode<CreateRequest>(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, request);
}

TEST(JuteRecords, CreateRequestWithNullDataAndAcl) {
  // Null buffer and null vector read as empty.
  const auto decoded = decode<CreateRequest>(str("/a") + hex("ffffffff ffffffff 00000000"));
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->data, "");
  EXPECT_TRUE(decoded->acl.empty());
}

const std::string kTwoOpMulti = hex("00000001 00 ffffffff") + str("/a") + hex("00000000") +
                                kOpenAcl + hex("00000000") + hex("00000002 00 ffffffff") +
                                str("/b") + hex("00000003") + hex("ffffffff 01 ffffffff");

TEST(JuteRecords, MultiRequestWithTwoOps) {
  MultiRequest multi;
  multi.ops.push_back({OpCode::kCreate,
                       CreateRequest{"/a", "", store::open_acl(), store::CreateMode::kPersistent}});
  multi.ops.push_back({OpCode::kDelete, DeleteRequest{"/b", 3}});
  EXPECT_BYTES(encode(multi), kTwoOpMulti);
  const auto decoded = decode<MultiRequest>(kTwoOpMulti);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, multi);
}

TEST(JuteRecords, EmptyMultiIsJustTheTerminator) {
  EXPECT_BYTES(encode(MultiRequest{}), hex("ffffffff 01 ffffffff"));
  const auto decoded = decode<MultiRequest>(hex("ffffffff 01 ffffffff"));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->ops.empty());
}

// Builds the result in place (see add_read_result on GCC 12 and variants).
template <class R>
void add(MultiResponse& multi, OpCode type, R record) {
  MultiResult& result = multi.results.emplace_back();
  result.type = type;
  result.record = std::move(record);
}

TEST(JuteRecords, MultiResponseLayout) {
  MultiResponse multi;
  add(multi, OpCode::kCreate, CreateResponse{"/a"});
  add(multi, OpCode::kDelete, std::monostate{});
  add(multi, OpCode::kError, ErrorResponse{ErrorCode::kBadVersion});
  const std::string bytes = hex("00000001 00 00000000") + str("/a") + hex("00000002 00 00000000") +
                            hex("ffffffff 00 ffffff99 | ffffff99") + hex("ffffffff 01 ffffffff");
  EXPECT_BYTES(encode(multi), bytes);
  const auto decoded = decode<MultiResponse>(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, multi);
}

TEST(JuteRecords, WatcherEventFrame) {
  const std::string frame_bytes = encode_frame(
      ReplyHeader{kNotificationXid, -1, ErrorCode::kOk},
      WatcherEvent{store::EventType::kNodeDataChanged, KeeperState::kSyncConnected, "/a"});
  const std::string expected = hex(
      "0000001e | ffffffff | ffffffffffffffff | 00000000 | 00000003 | 00000003 | 00000002 2f61");
  EXPECT_BYTES(frame_bytes, expected);

  const auto reply = decode_reply(frame_bytes.substr(4), OpCode::kGetData);
  ASSERT_TRUE(reply) << reply.error();
  const auto* event = std::get_if<WatcherEvent>(&reply->body);
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->path, "/a");
  EXPECT_EQ(event->type, store::EventType::kNodeDataChanged);
}

TEST(JuteRecords, GetChildren2ResponseAndAclResponse) {
  const GetChildren2Response children{{"a", "bc"}, sample_stat()};
  EXPECT_BYTES(encode(children), hex("00000002") + str("a") + str("bc") + kStatBytes);
  const GetAclResponse acl{store::open_acl(), sample_stat()};
  EXPECT_BYTES(encode(acl), kOpenAcl + kStatBytes);
}

TEST(JuteRecords, WhoAmIResponse) {
  const WhoAmIResponse who{{{"ip", "127.0.0.1"}, {"digest", "bob"}}};
  const std::string bytes =
      hex("00000002") + str("ip") + str("127.0.0.1") + str("digest") + str("bob");
  EXPECT_BYTES(encode(who), bytes);
  const auto decoded = decode<WhoAmIResponse>(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, who);
}

TEST(JuteRecords, SetWatches2) {
  SetWatches2 watches;
  watches.relative_zxid = 9;
  watches.data_watches = {"/d"};
  watches.persistent_recursive_watches = {"/r"};
  const std::string bytes = hex("0000000000000009 | 00000001") + str("/d") +
                            hex("00000000 | 00000000 | 00000000 | 00000001") + str("/r");
  EXPECT_BYTES(encode(watches), bytes);
}

// ---- Malformed input ---------------------------------------------------------------

// Every strict prefix of a record's bytes must fail to decode.
template <class T>
void expect_prefixes_fail(const std::string& bytes) {
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    const auto decoded = decode<T>(std::string_view(bytes).substr(0, cut));
    EXPECT_FALSE(decoded) << "prefix of " << cut << " bytes decoded";
    if (!decoded) {
      EXPECT_FALSE(decoded.error().empty());
    }
  }
}

TEST(JuteMalformed, TruncatedRecordsFail) {
  expect_prefixes_fail<CreateRequest>(
      encode(CreateRequest{"/a", "data", store::open_acl(), store::CreateMode::kPersistent}));
  expect_prefixes_fail<MultiRequest>(kTwoOpMulti);
  expect_prefixes_fail<store::Stat>(kStatBytes);
  expect_prefixes_fail<ReplyHeader>(encode(ReplyHeader{1, 2, ErrorCode::kOk}));
  expect_prefixes_fail<GetAclResponse>(encode(GetAclResponse{store::open_acl(), sample_stat()}));
  // ConnectRequest: only the optional last byte may be missing.
  expect_prefixes_fail<ConnectRequest>(kConnectWithoutReadOnly);
}

TEST(JuteMalformed, MultiWithAnInvalidOpType) {
  // setACL (7) cannot be part of a multi.
  const std::string bytes = hex("00000007 00 ffffffff") + str("/a") + hex("00000000 00000000");
  const auto decoded = decode<MultiRequest>(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().find("invalid op type 7 in multi request"), std::string::npos)
      << decoded.error();
}

TEST(JuteMalformed, MultiMixingReadsAndWrites) {
  MultiRequest multi;
  multi.ops.push_back({OpCode::kGetData, GetDataRequest{"/a", false}});
  multi.ops.push_back({OpCode::kDelete, DeleteRequest{"/b", -1}});
  const auto decoded = decode<MultiRequest>(encode(multi));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().find("mixes read and write"), std::string::npos);
}

TEST(JuteMalformed, MultiWithoutTerminatorFails) {
  const std::string bytes = hex("00000002 00 ffffffff") + str("/b") + hex("00000003");
  EXPECT_FALSE(decode<MultiRequest>(bytes));
}

TEST(JuteMalformed, AclVectorCountBeyondData) {
  const std::string bytes = str("/a") + str("") + hex("00100000") + hex("00000001");
  const auto decoded = decode<CreateRequest>(bytes);
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().find("vector count 1048576"), std::string::npos) << decoded.error();
}

TEST(JuteMalformed, PathLengthBeyondData) {
  const auto decoded = decode<GetDataRequest>(hex("00000100 2f61 00"));
  ASSERT_FALSE(decoded);
  EXPECT_NE(decoded.error().find("length 256 at offset 0"), std::string::npos);
}

}  // namespace
}  // namespace warden::net
