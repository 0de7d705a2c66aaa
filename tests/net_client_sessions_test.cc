// ClientSessions against a real ZooState: a fake host records what the
// sessions send and close, and applies the writes they submit through a
// real TxnPreparer, so every answer is the one the store gives. Replies are
// checked byte-decoded, as a ZooKeeper client reads them.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "net/client_sessions.h"
#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "store/txn_preparer.h"

namespace warden::net {
namespace {

using store::ErrorCode;
using store::EventType;
using store::OpCode;

constexpr uint64_t kSecret = 0x5eC12e7;
constexpr consensus::NodeId kNodeId = 3;

class FakeHost : public ClientSessionsHost {
 public:
  void send(ConnectionId connection, std::string bytes) override {
    FrameDecoder& decoder = decoders[connection];
    decoder.feed(bytes);
    while (std::optional<std::string> frame = decoder.next()) frames[connection].push_back(*frame);
  }
  void close(ConnectionId connection) override { closed.insert(connection); }
  void submit_write(const store::WriteRequest& request) override { submitted.push_back(request); }
  void sync(uint64_t context) override { syncs.push_back(context); }
  int64_t now_ms() const override { return now; }
  void log(const std::string& line) override { logs.push_back(line); }

  std::map<ConnectionId, FrameDecoder> decoders;
  std::map<ConnectionId, std::deque<std::string>> frames;
  std::set<ConnectionId> closed;
  std::deque<store::WriteRequest> submitted;
  std::vector<uint64_t> syncs;
  std::vector<std::string> logs;
  int64_t now = 1'700'000'000'000;
};

ClientSessionsConfig test_config() {
  ClientSessionsConfig config;
  config.node_id = kNodeId;
  config.password_secret = kSecret;
  config.super_digest = store::digest_id("super:letmein");
  return config;
}

class ClientSessionsTest : public ::testing::Test {
 protected:
  // Prepares and applies `request` as the leader would, and tells the
  // sessions, as the node's driver does after each apply.
  store::ApplyResult apply(const store::WriteRequest& request) {
    const std::optional<store::Txn> txn = preparer_.prepare(request, host_.now);
    if (!txn) return {};
    return apply_txn(*txn);
  }
  store::ApplyResult apply_txn(const store::Txn& txn) {
    preparer_.keep(++log_index_);
    const store::ApplyResult result = state_.apply(txn, ++zxid_);
    preparer_.applied(log_index_);
    sessions_.on_applied(result);
    return result;
  }
  void apply_all() {
    while (!host_.submitted.empty()) {
      const store::WriteRequest request = host_.submitted.front();
      host_.submitted.pop_front();
      apply(request);
    }
  }

  static std::string connect_frame(store::SessionId session = 0, std::string password = {},
                                   int64_t last_zxid_seen = 0, int32_t timeout_ms = 10000) {
    if (password.empty()) password.assign(16, '\0');
    return encode_frame(ConnectRequest{0, last_zxid_seen, timeout_ms, session, password, false});
  }

  ConnectResponse take_connect_response(ConnectionId connection) {
    const std::string frame = take_frame(connection);
    const Decoded<ConnectResponse> response = decode<ConnectResponse>(frame);
    EXPECT_TRUE(response) << response.error();
    return response ? *response : ConnectResponse{};
  }

  // A connection with a new session; returns the session id.
  store::SessionId open(ConnectionId connection, std::string ip = "10.0.0.1") {
    EXPECT_TRUE(sessions_.on_connect(connection, std::move(ip)));
    sessions_.on_bytes(connection, connect_frame());
    apply_all();
    return take_connect_response(connection).session_id;
  }

  void request(ConnectionId connection, int32_t xid, OpCode type, RequestBody body) {
    sessions_.on_bytes(connection, encode_request_frame(Request{{xid, type}, std::move(body)}));
  }

  std::string take_frame(ConnectionId connection) {
    std::deque<std::string>& frames = host_.frames[connection];
    if (frames.empty()) {
      ADD_FAILURE() << "no frame sent on connection " << connection;
      return {};
    }
    std::string frame = std::move(frames.front());
    frames.pop_front();
    return frame;
  }
  Reply take_reply(ConnectionId connection, OpCode type) {
    const std::string frame = take_frame(connection);
    Decoded<Reply> reply = decode_reply(frame, type);
    if (!reply) {
      ADD_FAILURE() << reply.error();
      return {};
    }
    return std::move(*reply);
  }
  WatcherEvent take_event(ConnectionId connection) {
    const Reply reply = take_reply(connection, OpCode::kNotification);
    EXPECT_EQ(reply.header.xid, kNotificationXid);
    const auto* event = std::get_if<WatcherEvent>(&reply.body);
    EXPECT_NE(event, nullptr);
    return event ? *event : WatcherEvent{};
  }
  size_t pending_frames(ConnectionId connection) { return host_.frames[connection].size(); }

  // Writes answered at once: a create of `path` with the open ACL.
  void create(ConnectionId connection, const std::string& path, const std::string& data = "") {
    request(connection, 900, OpCode::kCreate,
            CreateRequest{path, data, store::open_acl(), store::CreateMode::kPersistent});
    apply_all();
    EXPECT_EQ(take_reply(connection, OpCode::kCreate).header.err, ErrorCode::kOk);
  }

  store::ZooState state_;
  store::TxnPreparer preparer_{state_, store::PrepConfig{}};
  FakeHost host_;
  ClientSessions sessions_{host_, state_, test_config()};
  int64_t zxid_ = int64_t{1} << 32;
  uint64_t log_index_ = 0;
};

// ---- Handshake ----------------------------------------------------------------

TEST_F(ClientSessionsTest, NewSessionIsCreatedThroughTheLog) {
  ASSERT_TRUE(sessions_.on_connect(1, "10.0.0.1"));
  sessions_.on_bytes(1, connect_frame(0, {}, 0, 100000));
  ASSERT_EQ(host_.submitted.size(), 1u);
  const store::WriteRequest create = host_.submitted.front();
  EXPECT_EQ(create.op, OpCode::kCreateSession);
  EXPECT_EQ(create.session, 0);
  EXPECT_EQ(create.session_timeout_ms, 40000);  // clamped to the maximum
  EXPECT_EQ(create.request_id & 0xff, kNodeId);
  EXPECT_EQ(pending_frames(1), 0u);  // nothing until the session exists

  apply_all();
  const ConnectResponse response = take_connect_response(1);
  EXPECT_EQ(response.protocol_version, 0);
  EXPECT_EQ(response.timeout_ms, 40000);
  EXPECT_NE(response.session_id, 0);
  EXPECT_NE(state_.session(response.session_id), nullptr);
  EXPECT_EQ(response.passwd, session_password(kSecret, response.session_id));
  EXPECT_EQ(response.passwd.size(), 16u);
  EXPECT_EQ(response.read_only, std::optional<bool>(false));
  EXPECT_EQ(sessions_.take_touches(), std::vector<store::SessionId>{response.session_id});
}

TEST_F(ClientSessionsTest, RequestsBehindTheConnectRequestWaitForTheSession) {
  ASSERT_TRUE(sessions_.on_connect(1, "10.0.0.1"));
  std::string bytes = connect_frame();
  bytes += encode_request_frame(Request{{kPingXid, OpCode::kPing}, std::monostate{}});
  sessions_.on_bytes(1, bytes);
  EXPECT_EQ(pending_frames(1), 0u);
  apply_all();
  take_connect_response(1);
  const Reply ping = take_reply(1, OpCode::kPing);
  EXPECT_EQ(ping.header.xid, kPingXid);
  EXPECT_EQ(ping.header.zxid, state_.last_applied_zxid());
}

TEST_F(ClientSessionsTest, ReconnectWithTheRightPasswordMovesTheSession) {
  const store::SessionId session = open(1);
  ASSERT_TRUE(sessions_.on_connect(2, "10.0.0.2"));
  sessions_.on_bytes(2, connect_frame(session, session_password(kSecret, session), 0, 1000));
  const ConnectResponse response = take_connect_response(2);
  EXPECT_EQ(response.session_id, session);
  EXPECT_EQ(response.timeout_ms, 4000);  // renegotiated, clamped to the minimum
  EXPECT_EQ(response.passwd, session_password(kSecret, session));
  EXPECT_TRUE(host_.closed.count(1));  // the old connection of the session
  EXPECT_FALSE(host_.closed.count(2));
  EXPECT_EQ(sessions_.connection_count(), 1u);
}

TEST_F(ClientSessionsTest, ReconnectWithAWrongPasswordIsAnsweredAsExpired) {
  const store::SessionId session = open(1);
  ASSERT_TRUE(sessions_.on_connect(2, "10.0.0.2"));
  sessions_.on_bytes(2, connect_frame(session, std::string(16, 'x')));
  const ConnectResponse response = take_connect_response(2);
  EXPECT_EQ(response.timeout_ms, 0);
  EXPECT_EQ(response.session_id, 0);
  EXPECT_EQ(response.passwd, std::string(16, '\0'));
  EXPECT_TRUE(host_.closed.count(2));
  EXPECT_FALSE(host_.closed.count(1));
}

TEST_F(ClientSessionsTest, ReconnectToAnExpiredSessionIsRefused) {
  const store::SessionId session = open(1);
  sessions_.on_disconnect(1);
  store::WriteRequest expire;  // the leader's closeSession on expiry
  expire.session = session;
  expire.request_id = UINT64_MAX >> 1;
  expire.op = OpCode::kCloseSession;
  apply(expire);
  ASSERT_EQ(state_.session(session), nullptr);

  ASSERT_TRUE(sessions_.on_connect(2, "10.0.0.2"));
  sessions_.on_bytes(2, connect_frame(session, session_password(kSecret, session)));
  const ConnectResponse response = take_connect_response(2);
  EXPECT_EQ(response.timeout_ms, 0);
  EXPECT_EQ(response.session_id, 0);
  EXPECT_TRUE(host_.closed.count(2));
}

TEST_F(ClientSessionsTest, AClientAheadOfThisNodeIsRefusedWithoutAnAnswer) {
  ASSERT_TRUE(sessions_.on_connect(1, "10.0.0.1"));
  sessions_.on_bytes(1, connect_frame(0, {}, zxid_ + 100));
  EXPECT_TRUE(host_.closed.count(1));
  EXPECT_EQ(pending_frames(1), 0u);
  EXPECT_TRUE(host_.submitted.empty());
  ASSERT_FALSE(host_.logs.empty());
  EXPECT_NE(host_.logs.back().find("zxid_ahead: the client has seen zxid"), std::string::npos);
}

// ---- Requests -------------------------------------------------------------------

TEST_F(ClientSessionsTest, CreateGetDataSetDataDeleteAreAnsweredFromTheStore) {
  open(1);
  request(1, 1, OpCode::kCreate2,
          CreateRequest{"/a", "one", store::open_acl(), store::CreateMode::kPersistent});
  apply_all();
  const Reply created = take_reply(1, OpCode::kCreate2);
  EXPECT_EQ(created.header.xid, 1);
  EXPECT_EQ(created.header.zxid, state_.last_applied_zxid());
  const auto& create2 = std::get<Create2Response>(created.body);
  EXPECT_EQ(create2.path, "/a");
  EXPECT_EQ(create2.stat.czxid, created.header.zxid);

  request(1, 2, OpCode::kGetData, GetDataRequest{"/a", false});
  const Reply got = take_reply(1, OpCode::kGetData);
  EXPECT_EQ(std::get<GetDataResponse>(got.body).data, "one");

  request(1, 3, OpCode::kSetData, SetDataRequest{"/a", "two", 0});
  apply_all();
  const Reply set = take_reply(1, OpCode::kSetData);
  EXPECT_EQ(std::get<SetDataResponse>(set.body).stat.version, 1);

  request(1, 4, OpCode::kSetData, SetDataRequest{"/a", "three", 0});
  apply_all();
  const Reply stale = take_reply(1, OpCode::kSetData);
  EXPECT_EQ(stale.header.err, ErrorCode::kBadVersion);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(stale.body));

  request(1, 5, OpCode::kDelete, DeleteRequest{"/a", -1});
  apply_all();
  EXPECT_EQ(take_reply(1, OpCode::kDelete).header.err, ErrorCode::kOk);
  request(1, 6, OpCode::kExists, ExistsRequest{"/a", false});
  EXPECT_EQ(take_reply(1, OpCode::kExists).header.err, ErrorCode::kNoNode);
}

TEST_F(ClientSessionsTest, AReadQueuedBehindAWriteSeesTheWrite) {
  open(1);
  request(1, 1, OpCode::kCreate,
          CreateRequest{"/f", "fifo", store::open_acl(), store::CreateMode::kPersistent});
  request(1, 2, OpCode::kGetData, GetDataRequest{"/f", false});
  request(1, 3, OpCode::kPing, std::monostate{});
  EXPECT_EQ(pending_frames(1), 0u);  // the read waits for the create
  apply_all();
  EXPECT_EQ(std::get<CreateResponse>(take_reply(1, OpCode::kCreate).body).path, "/f");
  const Reply read = take_reply(1, OpCode::kGetData);
  EXPECT_EQ(read.header.xid, 2);
  EXPECT_EQ(std::get<GetDataResponse>(read.body).data, "fifo");
  EXPECT_EQ(take_reply(1, OpCode::kPing).header.xid, 3);
}

TEST_F(ClientSessionsTest, MultiWithAFailingOpAnswersEveryOp) {
  open(1);
  MultiRequest multi;
  multi.ops.push_back({OpCode::kCreate,
                       CreateRequest{"/m", "", store::open_acl(), store::CreateMode::kPersistent}});
  multi.ops.push_back({OpCode::kDelete, DeleteRequest{"/missing", -1}});
  request(1, 7, OpCode::kMulti, multi);
  apply_all();
  const Reply reply = take_reply(1, OpCode::kMulti);
  EXPECT_EQ(reply.header.err, ErrorCode::kOk);  // the outcome is in the results
  const auto& results = std::get<MultiResponse>(reply.body).results;
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].type, OpCode::kError);
  EXPECT_EQ(std::get<ErrorResponse>(results[0].record).err, ErrorCode::kOk);
  EXPECT_EQ(std::get<ErrorResponse>(results[1].record).err, ErrorCode::kNoNode);
  EXPECT_EQ(state_.tree().find("/m"), nullptr);
}

TEST_F(ClientSessionsTest, SyncIsAnsweredInOrderWhenTheRoundEnds) {
  open(1);
  request(1, 1, OpCode::kSync, SyncRequest{"/"});
  request(1, 2, OpCode::kExists, ExistsRequest{"/", false});
  ASSERT_EQ(host_.syncs.size(), 1u);
  EXPECT_EQ(pending_frames(1), 0u);
  sessions_.on_sync_done(host_.syncs[0], true);
  EXPECT_EQ(std::get<SyncResponse>(take_reply(1, OpCode::kSync).body).path, "/");
  EXPECT_EQ(take_reply(1, OpCode::kExists).header.xid, 2);
}

TEST_F(ClientSessionsTest, ReconfigIsRefusedAsDisabled) {
  open(1);
  request(1, 1, OpCode::kReconfig, ReconfigRequest{"", "", "", -1});
  EXPECT_EQ(take_reply(1, OpCode::kReconfig).header.err, ErrorCode::kReconfigDisabled);
  EXPECT_FALSE(host_.closed.count(1));
}

TEST_F(ClientSessionsTest, EveryRequestTouchesTheSession) {
  const store::SessionId session = open(1);
  sessions_.take_touches();
  request(1, kPingXid, OpCode::kPing, std::monostate{});
  EXPECT_EQ(sessions_.take_touches(), std::vector<store::SessionId>{session});
  EXPECT_TRUE(sessions_.take_touches().empty());
}

// ---- Watches --------------------------------------------------------------------

TEST_F(ClientSessionsTest, TheWatchEventComesBeforeTheReplyThatShowsTheChange) {
  open(1);
  open(2);
  create(1, "/w", "old");
  request(1, 1, OpCode::kGetData, GetDataRequest{"/w", true});
  take_reply(1, OpCode::kGetData);
  request(2, 1, OpCode::kGetData, GetDataRequest{"/w", true});
  take_reply(2, OpCode::kGetData);

  request(1, 2, OpCode::kSetData, SetDataRequest{"/w", "new", -1});
  apply_all();
  const WatcherEvent event = take_event(1);
  EXPECT_EQ(event.type, EventType::kNodeDataChanged);
  EXPECT_EQ(event.state, KeeperState::kSyncConnected);
  EXPECT_EQ(event.path, "/w");
  EXPECT_EQ(take_reply(1, OpCode::kSetData).header.xid, 2);
  EXPECT_EQ(take_event(2).type, EventType::kNodeDataChanged);

  request(1, 3, OpCode::kSetData, SetDataRequest{"/w", "again", -1});
  apply_all();
  EXPECT_EQ(take_reply(1, OpCode::kSetData).header.xid, 3);  // the watch fired once
}

TEST_F(ClientSessionsTest, AnExistsWatchOnAMissingNodeHearsItsCreation) {
  open(1);
  open(2);
  request(1, 1, OpCode::kExists, ExistsRequest{"/later", true});
  EXPECT_EQ(take_reply(1, OpCode::kExists).header.err, ErrorCode::kNoNode);
  request(1, 2, OpCode::kGetData, GetDataRequest{"/nothing", true});  // leaves no watch
  take_reply(1, OpCode::kGetData);
  create(2, "/later");
  EXPECT_EQ(take_event(1).type, EventType::kNodeCreated);
  create(2, "/nothing");
  EXPECT_EQ(pending_frames(1), 0u);
}

TEST_F(ClientSessionsTest, SetWatchesCatchesUpOnWhatChangedSinceTheClientsZxid) {
  open(1);
  create(1, "/same", "x");
  create(1, "/kids");
  create(1, "/quiet");
  const int64_t seen = state_.last_applied_zxid();
  create(1, "/kids/new");
  create(1, "/born");
  request(1, 1, OpCode::kSetData, SetDataRequest{"/same", "y", -1});
  apply_all();
  take_reply(1, OpCode::kSetData);

  open(2);
  SetWatches watches;
  watches.relative_zxid = seen;
  watches.data_watches = {"/gone", "/same", "/quiet"};
  watches.exist_watches = {"/born", "/unborn"};
  watches.child_watches = {"/kids"};
  request(2, kSetWatchesXid, OpCode::kSetWatches, watches);
  EXPECT_EQ(take_event(2).type, EventType::kNodeDeleted);      // /gone
  EXPECT_EQ(take_event(2).type, EventType::kNodeDataChanged);  // /same
  EXPECT_EQ(take_event(2).type, EventType::kNodeCreated);      // /born
  const WatcherEvent children = take_event(2);
  EXPECT_EQ(children.type, EventType::kNodeChildrenChanged);
  EXPECT_EQ(children.path, "/kids");
  EXPECT_EQ(take_reply(2, OpCode::kSetWatches).header.xid, kSetWatchesXid);
  // What had not changed is armed.
  EXPECT_TRUE(sessions_.watches().has("/quiet", store::WatcherType::kData, 2));
  EXPECT_TRUE(sessions_.watches().has("/unborn", store::WatcherType::kData, 2));
}

TEST_F(ClientSessionsTest, APersistentRecursiveWatchHearsEveryChangeBelow) {
  open(1);
  open(2);
  request(1, 1, OpCode::kAddWatch,
          AddWatchRequest{"/p", store::AddWatchMode::kPersistentRecursive});
  const Reply added = take_reply(1, OpCode::kAddWatch);
  EXPECT_EQ(std::get<ErrorResponse>(added.body).err, ErrorCode::kOk);
  create(2, "/p");
  create(2, "/p/a");
  request(2, 1, OpCode::kSetData, SetDataRequest{"/p/a", "v", -1});
  apply_all();
  const WatcherEvent first = take_event(1);
  EXPECT_EQ(first.type, EventType::kNodeCreated);
  EXPECT_EQ(first.path, "/p");
  const WatcherEvent second = take_event(1);
  EXPECT_EQ(second.type, EventType::kNodeCreated);
  EXPECT_EQ(second.path, "/p/a");
  EXPECT_EQ(take_event(1).type, EventType::kNodeDataChanged);
  EXPECT_EQ(pending_frames(1), 0u);  // no NodeChildrenChanged for a recursive watch
}

TEST_F(ClientSessionsTest, RemovingAWatchThatIsNotThereAnswersNoWatcher) {
  open(1);
  create(1, "/r");
  request(1, 1, OpCode::kRemoveWatches, RemoveWatchesRequest{"/r", store::WatcherType::kAny});
  EXPECT_EQ(take_reply(1, OpCode::kRemoveWatches).header.err, ErrorCode::kNoWatcher);
  request(1, 2, OpCode::kGetData, GetDataRequest{"/r", true});
  take_reply(1, OpCode::kGetData);
  request(1, 3, OpCode::kCheckWatches, CheckWatchesRequest{"/r", store::WatcherType::kData});
  EXPECT_EQ(take_reply(1, OpCode::kCheckWatches).header.err, ErrorCode::kOk);
  request(1, 4, OpCode::kRemoveWatches, RemoveWatchesRequest{"/r", store::WatcherType::kData});
  EXPECT_EQ(take_reply(1, OpCode::kRemoveWatches).header.err, ErrorCode::kOk);
  request(1, 5, OpCode::kCheckWatches, CheckWatchesRequest{"/r", store::WatcherType::kData});
  EXPECT_EQ(take_reply(1, OpCode::kCheckWatches).header.err, ErrorCode::kNoWatcher);
}

TEST_F(ClientSessionsTest, AConnectionsWatchesGoWithIt) {
  open(1);
  create(1, "/d");
  request(1, 1, OpCode::kGetData, GetDataRequest{"/d", true});
  take_reply(1, OpCode::kGetData);
  sessions_.on_disconnect(1);
  EXPECT_EQ(sessions_.watches().counts().watches, 0u);
  EXPECT_EQ(sessions_.connection_count(), 0u);
}

// ---- Auth -----------------------------------------------------------------------

TEST_F(ClientSessionsTest, DigestAuthAllowsAndOthersAreDenied) {
  open(1, "10.0.0.1");
  open(2, "10.0.0.2");
  request(1, kAuthXid, OpCode::kAuth, AuthPacket{0, "digest", "alice:secret"});
  const Reply authed = take_reply(1, OpCode::kAuth);
  EXPECT_EQ(authed.header.xid, kAuthXid);
  EXPECT_EQ(authed.header.err, ErrorCode::kOk);

  const store::AclList alice_only{
      {store::perm::kAll, {"digest", store::digest_id("alice:secret")}}};
  request(1, 1, OpCode::kCreate,
          CreateRequest{"/secret", "s", alice_only, store::CreateMode::kPersistent});
  apply_all();
  EXPECT_EQ(take_reply(1, OpCode::kCreate).header.err, ErrorCode::kOk);
  request(1, 2, OpCode::kGetData, GetDataRequest{"/secret", false});
  EXPECT_EQ(take_reply(1, OpCode::kGetData).header.err, ErrorCode::kOk);

  request(2, kAuthXid, OpCode::kAuth, AuthPacket{0, "digest", "bob:guess"});
  take_reply(2, OpCode::kAuth);
  request(2, 1, OpCode::kGetData, GetDataRequest{"/secret", false});
  EXPECT_EQ(take_reply(2, OpCode::kGetData).header.err, ErrorCode::kNoAuth);
  request(2, 2, OpCode::kSetData, SetDataRequest{"/secret", "mine", -1});
  apply_all();
  EXPECT_EQ(take_reply(2, OpCode::kSetData).header.err, ErrorCode::kNoAuth);

  request(1, 3, OpCode::kWhoAmI, std::monostate{});
  const Reply reply = take_reply(1, OpCode::kWhoAmI);
  const auto& who = std::get<WhoAmIResponse>(reply.body);
  ASSERT_EQ(who.client_info.size(), 2u);
  EXPECT_EQ(who.client_info[0], (ClientInfo{"ip", "10.0.0.1"}));
  EXPECT_EQ(who.client_info[1], (ClientInfo{"digest", "alice"}));
}

TEST_F(ClientSessionsTest, TheSuperDigestPassesEveryCheck) {
  open(1);
  open(2);
  request(1, kAuthXid, OpCode::kAuth, AuthPacket{0, "digest", "alice:secret"});
  take_reply(1, OpCode::kAuth);
  request(1, 1, OpCode::kCreate,
          CreateRequest{"/locked",
                        "",
                        {{store::perm::kAll, {"digest", store::digest_id("alice:secret")}}},
                        store::CreateMode::kPersistent});
  apply_all();
  take_reply(1, OpCode::kCreate);
  request(2, kAuthXid, OpCode::kAuth, AuthPacket{0, "digest", "super:letmein"});
  take_reply(2, OpCode::kAuth);
  request(2, 1, OpCode::kGetData, GetDataRequest{"/locked", false});
  EXPECT_EQ(take_reply(2, OpCode::kGetData).header.err, ErrorCode::kOk);
}

TEST_F(ClientSessionsTest, AnUnknownAuthSchemeFailsAndCloses) {
  open(1);
  request(1, kAuthXid, OpCode::kAuth, AuthPacket{0, "kerberos", "x"});
  const Reply reply = take_reply(1, OpCode::kAuth);
  EXPECT_EQ(reply.header.xid, kAuthXid);
  EXPECT_EQ(reply.header.err, ErrorCode::kAuthFailed);
  EXPECT_TRUE(host_.closed.count(1));
}

// ---- Bad input ------------------------------------------------------------------

TEST_F(ClientSessionsTest, AMalformedFrameClosesOnlyItsConnection) {
  open(1);
  open(2);
  sessions_.on_bytes(1, frame("abc"));  // shorter than a request header
  EXPECT_TRUE(host_.closed.count(1));
  ASSERT_FALSE(host_.logs.empty());
  EXPECT_NE(host_.logs.back().find("connection 1"), std::string::npos);
  request(2, kPingXid, OpCode::kPing, std::monostate{});
  EXPECT_EQ(take_reply(2, OpCode::kPing).header.err, ErrorCode::kOk);
  EXPECT_FALSE(host_.closed.count(2));
  EXPECT_EQ(sessions_.connection_count(), 1u);
}

TEST_F(ClientSessionsTest, AFrameOverTheLimitCloses) {
  open(1);
  std::string length;
  JuteWriter(length).int32(kDefaultMaxBuffer + 1);
  sessions_.on_bytes(1, length);
  EXPECT_TRUE(host_.closed.count(1));
}

TEST_F(ClientSessionsTest, AFirstFrameThatIsNotAConnectRequestCloses) {
  ASSERT_TRUE(sessions_.on_connect(1, "10.0.0.1"));
  sessions_.on_bytes(1, encode_request_frame(Request{{kPingXid, OpCode::kPing}, std::monostate{}}));
  EXPECT_TRUE(host_.closed.count(1));
  EXPECT_TRUE(host_.submitted.empty());
}

TEST_F(ClientSessionsTest, AnUnknownOpCodeIsAnsweredUnimplementedAndCloses) {
  open(1);
  std::string payload;
  JuteWriter writer(payload);
  writer.int32(5);
  writer.int32(77);  // no such op
  sessions_.on_bytes(1, frame(payload));
  const Reply reply = take_reply(1, OpCode::kPing);
  EXPECT_EQ(reply.header.xid, 5);
  EXPECT_EQ(reply.header.err, ErrorCode::kUnimplemented);
  EXPECT_TRUE(host_.closed.count(1));
}

// ---- The log's side ---------------------------------------------------------------

TEST_F(ClientSessionsTest, ARequestApplyDroppedAsARepeatIsResubmitted) {
  const store::SessionId session = open(1);
  request(1, 1, OpCode::kCreate,
          CreateRequest{"/dup", "", store::open_acl(), store::CreateMode::kPersistent});
  ASSERT_EQ(host_.submitted.size(), 1u);
  const store::WriteRequest ours = host_.submitted.front();
  host_.submitted.pop_front();
  const std::optional<store::Txn> our_txn = preparer_.prepare(ours, host_.now);
  ASSERT_TRUE(our_txn);
  preparer_.keep(++log_index_);

  // Another node's request for the session, with a higher id, applies first
  // (prepared by a later leader that never saw ours).
  store::TxnPreparer later_leader(state_, store::PrepConfig{});
  store::WriteRequest theirs;
  theirs.session = session;
  theirs.request_id = ours.request_id + 1000;
  theirs.op = OpCode::kCreate;
  theirs.ops = {store::WriteOp{.op = OpCode::kCreate,
                               .path = "/other",
                               .data = "",
                               .acl = store::open_acl(),
                               .mode = store::CreateMode::kPersistent,
                               .ttl_ms = -1,
                               .version = -1}};
  const std::optional<store::Txn> their_txn = later_leader.prepare(theirs, host_.now);
  ASSERT_TRUE(their_txn);
  sessions_.on_applied(state_.apply(*their_txn, ++zxid_));
  const store::ApplyResult dropped = state_.apply(*our_txn, ++zxid_);
  ASSERT_TRUE(dropped.duplicate);
  preparer_.applied(log_index_);
  sessions_.on_applied(dropped);

  ASSERT_EQ(host_.submitted.size(), 1u);
  EXPECT_GT(host_.submitted.front().request_id, theirs.request_id);
  EXPECT_EQ(pending_frames(1), 0u);
  apply_all();
  const Reply reply = take_reply(1, OpCode::kCreate);
  EXPECT_EQ(reply.header.xid, 1);
  EXPECT_EQ(reply.header.err, ErrorCode::kOk);
  EXPECT_NE(state_.tree().find("/dup"), nullptr);
}

TEST_F(ClientSessionsTest, CloseSessionIsAnsweredThenTheConnectionCloses) {
  const store::SessionId session = open(1);
  request(1, 9, OpCode::kCloseSession, std::monostate{});
  apply_all();
  const Reply reply = take_reply(1, OpCode::kCloseSession);
  EXPECT_EQ(reply.header.xid, 9);
  EXPECT_EQ(reply.header.err, ErrorCode::kOk);
  EXPECT_TRUE(host_.closed.count(1));
  EXPECT_EQ(state_.session(session), nullptr);
  EXPECT_EQ(sessions_.connection_count(), 0u);
}

TEST_F(ClientSessionsTest, AnExpiredSessionsConnectionCloses) {
  const store::SessionId session = open(1);
  store::WriteRequest expire;
  expire.session = session;
  expire.request_id = UINT64_MAX >> 1;
  expire.op = OpCode::kCloseSession;
  apply(expire);
  EXPECT_TRUE(host_.closed.count(1));
}

TEST_F(ClientSessionsTest, ARejectedWriteClosesItsConnection) {
  open(1);
  request(1, 1, OpCode::kDelete, DeleteRequest{"/x", -1});
  const store::WriteRequest write = host_.submitted.front();
  sessions_.on_rejected(store::RequestKey{write.session, write.request_id});
  EXPECT_TRUE(host_.closed.count(1));
}

// A node that cannot write (a full disk) answers the write with an error in
// its turn and keeps the connection; a read behind it is answered after it.
TEST_F(ClientSessionsTest, AWriteTheNodeCannotTakeFailsWithAnErrorCode) {
  open(1);
  request(1, 1, OpCode::kCreate,
          CreateRequest{"/full", "x", store::open_acl(), store::CreateMode::kPersistent});
  request(1, 2, OpCode::kExists, ExistsRequest{"/full", false});
  const store::WriteRequest write = host_.submitted.back();
  sessions_.on_write_failed(store::RequestKey{write.session, write.request_id},
                            ErrorCode::kSystemError);
  const Reply failed = take_reply(1, OpCode::kCreate);
  EXPECT_EQ(failed.header.xid, 1);
  EXPECT_EQ(failed.header.err, ErrorCode::kSystemError);
  const Reply read = take_reply(1, OpCode::kExists);
  EXPECT_EQ(read.header.xid, 2);
  EXPECT_EQ(read.header.err, ErrorCode::kNoNode);
  EXPECT_FALSE(host_.closed.count(1));
}

// ---- Counters and limits ------------------------------------------------------

TEST(ClientSessionsLimits, ConnectionsBeyondMaxClientCnxnsFromOneAddressAreRefused) {
  store::ZooState state;
  FakeHost host;
  ClientSessionsConfig config = test_config();
  config.max_connections_per_ip = 2;
  ClientSessions sessions(host, state, config);
  EXPECT_TRUE(sessions.on_connect(1, "10.0.0.1"));
  EXPECT_TRUE(sessions.on_connect(2, "10.0.0.1"));
  EXPECT_FALSE(sessions.on_connect(3, "10.0.0.1"));
  EXPECT_TRUE(sessions.on_connect(4, "10.0.0.2"));  // another address has its own allowance
  EXPECT_EQ(sessions.connection_count(), 3u);
  EXPECT_EQ(sessions.stats().closed(CloseReason::kTooManyConnections), 1u);
  EXPECT_EQ(sessions.stats().connections_accepted, 3u);
  ASSERT_FALSE(host.logs.empty());
  EXPECT_NE(host.logs.back().find("too many connections from 10.0.0.1 - max is 2"),
            std::string::npos);
  sessions.on_disconnect(1);  // a slot frees up
  EXPECT_TRUE(sessions.on_connect(5, "10.0.0.1"));
  EXPECT_EQ(sessions.stats().closed(CloseReason::kClientGone), 1u);
}

TEST_F(ClientSessionsTest, EachClosedConnectionIsCountedUnderItsReason) {
  ASSERT_TRUE(sessions_.on_connect(1, "10.0.0.1"));
  sessions_.on_bytes(1, std::string("\xff\xff\xff\xff", 4));  // a negative length
  ASSERT_TRUE(sessions_.on_connect(2, "10.0.0.1"));
  sessions_.on_bytes(2, frame("not a connect request"));
  open(3);
  sessions_.on_bytes(3, encode_frame(RequestHeader{1, static_cast<OpCode>(77)}));
  EXPECT_TRUE(host_.closed.count(1));
  EXPECT_TRUE(host_.closed.count(2));
  EXPECT_TRUE(host_.closed.count(3));
  const ClientStats& stats = sessions_.stats();
  EXPECT_EQ(stats.closed(CloseReason::kBadFrame), 1u);
  EXPECT_EQ(stats.closed(CloseReason::kMalformedRequest), 1u);
  EXPECT_EQ(stats.closed(CloseReason::kUnknownRequestType), 1u);
  EXPECT_EQ(stats.closed(CloseReason::kClientGone), 0u);
  EXPECT_EQ(sessions_.connection_count(), 0u);
}

TEST_F(ClientSessionsTest, ConnectionStatsFollowRequestsAndLatency) {
  const store::SessionId session = open(1);
  request(1, 5, OpCode::kCreate,
          CreateRequest{"/a", "x", store::open_acl(), store::CreateMode::kPersistent});
  request(1, 6, OpCode::kGetData, GetDataRequest{"/a", false});  // waits behind the write
  std::vector<ConnectionStats> rows = sessions_.connection_stats();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].queued, 2u);
  host_.now += 7;  // the write takes 7 ms to commit
  apply_all();
  take_reply(1, OpCode::kCreate);
  take_reply(1, OpCode::kGetData);
  rows = sessions_.connection_stats();
  ASSERT_EQ(rows.size(), 1u);
  const ConnectionStats& row = rows[0];
  EXPECT_EQ(row.session, session);
  EXPECT_EQ(row.remote_ip, "10.0.0.1");
  EXPECT_EQ(row.queued, 0u);
  EXPECT_EQ(row.packets_received, 3u);  // ConnectRequest, create, getData
  EXPECT_EQ(row.packets_sent, 3u);
  EXPECT_EQ(row.last_operation, "GETD");
  EXPECT_EQ(row.last_xid, 6);
  EXPECT_EQ(row.last_zxid, state_.last_applied_zxid());
  EXPECT_EQ(row.latency.count, 2u);
  EXPECT_EQ(row.latency.max_ms, 7);
  EXPECT_EQ(sessions_.stats().latency.max_ms, 7);
  EXPECT_EQ(sessions_.stats().packets_received, 3u);
  EXPECT_EQ(sessions_.session_of(1), session);
}

// A ZooKeeper server that loses its leader drops its clients; Warden drops
// those still waiting for a write or a sync, which might never be answered.
TEST_F(ClientSessionsTest, LosingTheLeaderClosesConnectionsWaitingForWrites) {
  open(1);
  open(2);
  open(3);
  request(1, 1, OpCode::kCreate,
          CreateRequest{"/a", "", store::open_acl(), store::CreateMode::kPersistent});
  request(2, 1, OpCode::kSync, SyncRequest{"/"});
  request(3, 1, OpCode::kExists, ExistsRequest{"/a", false});  // answered at once
  take_reply(3, OpCode::kExists);
  ASSERT_TRUE(sessions_.on_connect(4, "10.0.0.4"));
  sessions_.on_bytes(4, connect_frame());  // its createSession is in flight
  sessions_.on_leader_lost();
  EXPECT_TRUE(host_.closed.count(1));
  EXPECT_TRUE(host_.closed.count(2));
  EXPECT_FALSE(host_.closed.count(3));
  EXPECT_TRUE(host_.closed.count(4));
  EXPECT_EQ(sessions_.stats().closed(CloseReason::kNoLeader), 3u);
  EXPECT_EQ(sessions_.connection_count(), 1u);
}

}  // namespace
}  // namespace warden::net
