// ClientSessions: the server side of ZooKeeper client connections on one
// node, as ZooKeeper 3.8's server behaves where a client can tell: the
// connect handshake (new sessions, reconnects, expired sessions), requests
// answered in order per connection, writes pipelined into the replicated log,
// reads served from this node's state, sync through a read-index round,
// watches and their notifications, digest authentication.
//
// Sans-IO: no sockets, no threads, no clock. The runtime (net/asio) feeds it
// bytes per connection and carries out what it asks through a
// ClientSessionsHost: frames to send, connections to close, writes for the
// WritePipeline, read-index rounds. The node's driver calls on_applied after
// each apply, in log order, so that writes are answered, sessions bound,
// watches fired and connections of closed sessions closed. Four-letter words
// are the runtime's business: it peeks at a new connection's first 4 bytes
// before handing bytes here.
//
// The host's calls must not call back into ClientSessions (queue whatever a
// call starts and report it later). Single-threaded.
//
// The work is split by concern: client_sessions.cc (connections, framing,
// ids, closing), client_sessions_handshake.cc (ConnectRequest, binding,
// passwords), client_sessions_dispatch.cc (requests into writes, reads and
// syncs; per-connection order; answers from the log),
// client_sessions_reads.cc (reads evaluated against the state),
// client_sessions_watches.cc (notifications, setWatches, addWatch,
// removeWatches/checkWatches) and client_sessions_auth.cc (addauth, whoAmI).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consensus/types.h"
#include "net/client_stats.h"
#include "net/jute_frame.h"
#include "net/jute_messages.h"
#include "store/acl.h"
#include "store/request.h"
#include "store/session_tracker.h"
#include "store/watch_manager.h"
#include "store/write_pipeline.h"
#include "store/zoo_state.h"

namespace warden::net {

using ConnectionId = uint64_t;

// What ClientSessions needs from the runtime.
class ClientSessionsHost {
 public:
  virtual ~ClientSessionsHost() = default;
  // Frames to write on the connection, in the order given.
  virtual void send(ConnectionId connection, std::string bytes) = 0;
  // Close the connection once what was sent is written. ClientSessions has
  // forgotten it by then; on_disconnect for it is harmless.
  virtual void close(ConnectionId connection) = 0;
  // To store::WritePipeline::submit_local.
  virtual void submit_write(const store::WriteRequest& request) = 0;
  // Starts a read-index round (consensus::Node::read_index); its end comes
  // back through on_sync_done(context, ...).
  virtual void sync(uint64_t context) = 0;
  virtual int64_t now_ms() const = 0;
  virtual void log(const std::string& line) = 0;
};

struct ClientSessionsConfig {
  consensus::NodeId node_id = 0;
  // Shared by the ensemble: every node derives the same session passwords.
  uint64_t password_secret = 0;
  int32_t min_session_timeout_ms = 4000;
  int32_t max_session_timeout_ms = 40000;
  size_t max_frame_bytes = static_cast<size_t>(kDefaultMaxBuffer);
  // "super:<base64 sha1>", as DigestAuthenticationProvider.superDigest.
  std::optional<std::string> super_digest;
  // maxClientCnxns: open connections allowed from one address; 0: no limit.
  uint32_t max_connections_per_ip = 0;
};

// The 16-byte password of `session`: SHA-1 of the secret and the id, so that
// any node can check it without the password being replicated.
std::string session_password(uint64_t password_secret, store::SessionId session);

class ClientSessions {
 public:
  ClientSessions(ClientSessionsHost& host, const store::ZooState& state,
                 ClientSessionsConfig config);

  // False: the address already has max_connections_per_ip connections; the
  // refusal is logged and counted, and the runtime closes the socket.
  [[nodiscard]] bool on_connect(ConnectionId connection, std::string remote_ip,
                                uint16_t remote_port = 0);
  void on_bytes(ConnectionId connection, std::string_view bytes);
  void on_disconnect(ConnectionId connection);

  // After each apply, in log order.
  void on_applied(const store::ApplyResult& result);
  // A read-index round ended; ok: the state has applied its index.
  void on_sync_done(uint64_t context, bool ok);
  // The pipeline could not take this local request (no leader, busy).
  void on_rejected(const store::RequestKey& key);
  // This node cannot take the write now (its disk is full): the client gets
  // `error` in the reply header, in its turn, and the connection stays.
  void on_write_failed(const store::RequestKey& key, store::ErrorCode error);
  // The leader this node followed (or this node, as leader) is gone. Writes
  // it had not committed may never be: like a ZooKeeper server that loses
  // its leader, every connection still waiting for a write or a sync is
  // closed, so its client learns at once (CONNECTIONLOSS) and reconnects,
  // with its session, wherever a leader is.
  void on_leader_lost();

  // Sessions that showed life since the last call, to report to the leader.
  std::vector<store::SessionId> take_touches() { return activity_.take(); }
  store::WatchManager& watches() { return watches_; }  // for the four-letter words
  const store::WatchManager& watches() const { return watches_; }
  size_t connection_count() const { return connections_.size(); }
  const ClientStats& stats() const { return stats_; }
  std::vector<ConnectionStats> connection_stats() const;
  // The session a watcher (a connection) belongs to; 0 if none.
  store::SessionId session_of(ConnectionId connection) const;

 private:
  enum class Phase { kHandshake, kCreatingSession, kBound, kClosed };

  // One request waiting for its turn to be answered.
  struct Pending {
    enum class Kind { kWrite, kRead, kSync };
    Kind kind = Kind::kRead;
    int32_t xid = 0;
    store::OpCode op = store::OpCode::kPing;
    RequestBody body;           // reads and syncs: what was asked
    store::AuthContext auth;    // reads: who asked, as of the request
    store::WriteRequest write;  // writes: as submitted (resubmitted on a duplicate)
    std::optional<store::ApplyResult> applied;
    uint64_t sync_context = 0;
    bool synced = false;
    int64_t received_ms = 0;
  };

  struct Connection {
    ConnectionId id = 0;
    std::string remote_ip;
    FrameDecoder decoder;
    Phase phase = Phase::kHandshake;
    store::SessionId session = 0;
    store::AuthContext auth;
    std::deque<Pending> queue;
    // The handshake while its createSession is in the log.
    uint64_t create_request_id = 0;
    int32_t timeout_ms = 0;
    bool client_sent_read_only = false;
    ConnectionStats stats;  // id, address, session and queue are filled on demand
  };

  // client_sessions.cc
  Connection* find(ConnectionId id);
  void process_frames(Connection& c);
  // Logs why, closes, and forgets the connection's session binding,
  // watches and queue; the entry itself goes at the end of the public call.
  void close_connection(Connection& c, CloseReason reason, const std::string& detail);
  void reap_closed();
  uint64_t next_request_id(store::SessionId session);
  void touch(const Connection& c);
  void send_frame(Connection& c, std::string frame);
  // Counts an answered request for srvr/cons latency.
  void answered(Connection& c, store::OpCode op, int32_t xid, int64_t zxid, int64_t received_ms);
  std::string name(const Connection& c) const;

  // client_sessions_handshake.cc
  void handle_connect(Connection& c, std::string_view payload);
  int32_t negotiate_timeout(int32_t requested) const;
  void reopen_session(Connection& c, store::SessionId session, std::string_view password);
  void bind(Connection& c, store::SessionId session);
  void answer_connect(Connection& c, bool valid);
  void session_created(const store::ApplyResult& result);

  // client_sessions_dispatch.cc
  void handle_request(Connection& c, std::string_view payload);
  void submit(Connection& c, const RequestHeader& header, RequestBody body);
  void queue_read(Connection& c, const RequestHeader& header, RequestBody body);
  void queue_sync(Connection& c, const RequestHeader& header, RequestBody body);
  void drain(Connection& c);
  void answer_write(Connection& c, const Pending& write);
  void answer_applied(const store::ApplyResult& result);
  void resubmit_duplicate(const store::ApplyResult& result);
  void close_closed_session(const store::ApplyResult& result);
  Connection* waiting_for(store::SessionId session, uint64_t request_id, Pending** pending);

  // client_sessions_reads.cc
  std::string read_reply(Connection& c, int32_t xid, store::OpCode op, const RequestBody& body,
                         const store::AuthContext& auth);
  ResponseBody read_body(Connection& c, store::OpCode op, const RequestBody& body,
                         const store::AuthContext& auth, store::ErrorCode& error);
  ResponseBody watched_read(Connection& c, store::OpCode op, const RequestBody& body,
                            const store::AuthContext& auth, store::ErrorCode& error);
  MultiResponse multi_read(Connection& c, const MultiRequest& multi,
                           const store::AuthContext& auth);
  ResponseBody all_children_number(const std::string& path, const store::AuthContext& auth,
                                   store::ErrorCode& error) const;
  ResponseBody ephemerals(const Connection& c, const std::string& prefix) const;

  // client_sessions_watches.cc
  void fire_watches(const store::ApplyResult& result);
  void send_event(ConnectionId watcher, store::EventType type, const std::string& path,
                  int64_t zxid);
  void set_watches(Connection& c, const SetWatches2& watches);
  store::ErrorCode add_watch(Connection& c, const AddWatchRequest& request);
  store::ErrorCode remove_watches(Connection& c, store::OpCode op, const std::string& path,
                                  store::WatcherType type);

  // client_sessions_auth.cc
  void handle_auth(Connection& c, int32_t xid, const AuthPacket& packet);
  WhoAmIResponse who_am_i(const store::AuthContext& auth) const;

  ClientSessionsHost& host_;
  const store::ZooState& state_;
  ClientSessionsConfig config_;
  uint64_t request_counter_;
  uint64_t next_sync_context_ = 1;
  std::map<ConnectionId, Connection> connections_;
  std::vector<ConnectionId> closed_;  // closed during this call; erased at its end
  std::map<store::SessionId, ConnectionId> by_session_;
  // Writes this node waits for, by (session, request id); createSession
  // under session 0.
  std::map<std::pair<store::SessionId, uint64_t>, ConnectionId> waiting_writes_;
  std::map<uint64_t, ConnectionId> waiting_syncs_;
  store::WatchManager watches_;
  store::SessionActivity activity_;
  ClientStats stats_;
};

}  // namespace warden::net
