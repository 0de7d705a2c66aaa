#include "net/asio/node_server.h"

#include <array>
#include <chrono>
#include <limits>

#include "net/asio/listen_endpoint.h"
#include "net/asio/process_facts.h"
#include "net/asio/process_memory.h"
#include "net/asio/write_queue.h"
#include "net/four_letter_words.h"
#include "store/txn.h"

namespace warden::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr int kStalledRetryMs = 100;
// ZooKeeper's server allows this much beyond jute.maxbuffer for the request
// around the data (jute.maxbuffer.extrasize).
constexpr size_t kFrameExtraBytes = 1024;

}  // namespace

// One client's TCP connection: bytes in go to the server, frames out are
// written in order, and a close waits for what was queued.
class NodeServer::ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(NodeServer& server, ConnectionId id, tcp::socket socket)
      : server_(server), id_(id), socket_(std::move(socket)) {}

  void start() { read_more(); }
  void write(std::string_view bytes) {
    if (closed_) return;
    writes_.pending() += bytes;
    flush();
  }
  void close_after_flush() {
    closing_ = true;
    flush();
  }
  void close_now() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    server_.on_client_closed(id_);
  }
  tcp::endpoint remote() const {
    error_code ignored;
    return socket_.remote_endpoint(ignored);
  }

 private:
  void read_more() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](const error_code& error, size_t bytes) {
      if (error) return self->close_now();
      self->take(std::string_view(self->buffer_.data(), bytes));
      if (!self->closed_ && !self->closing_) self->read_more();
    });
  }

  // A connection's first four bytes may be a four-letter word rather than
  // the length of a ConnectRequest.
  void take(std::string_view bytes) {
    if (!sniffing_) return server_.on_client_bytes(id_, bytes);
    head_.append(bytes);
    if (head_.size() < 4) return;
    sniffing_ = false;
    if (std::optional<std::string> word = four_letter_word(head_)) {
      write(four_letter_reply(*word, server_.facts()));
      close_after_flush();
      return;
    }
    server_.on_client_bytes(id_, head_);
    head_.clear();
  }

  void flush() {
    if (closed_) return;
    if (writes_.idle()) {
      if (closing_) close_now();
      return;
    }
    auto self = shared_from_this();
    writes_.start(socket_, [self](const error_code& error) {
      if (error) return self->close_now();
      self->flush();
    });
  }

  NodeServer& server_;
  ConnectionId id_;
  tcp::socket socket_;
  std::array<char, 64 * 1024> buffer_{};
  WriteQueue writes_;
  bool closing_ = false;
  bool closed_ = false;
  bool sniffing_ = true;
  std::string head_;
};

NodeServer::NodeServer(NodeServerOptions options)
    : options_(std::move(options)), tick_timer_(io_), client_acceptor_(io_) {
  if (!options_.log) options_.log = [](const std::string&) {};
}

NodeServer::~NodeServer() = default;

store::ReplicaOptions NodeServer::replica_options() const {
  const ZooConfig& config = options_.config;
  store::ReplicaOptions options;
  options.storage.dir = config.data_dir + "/warden";
  options.storage.cluster_id = config.cluster_id;
  options.consensus.id = config.my_id;
  for (const ServerSpec& server : config.servers) {
    (server.observer ? options.consensus.observers : options.consensus.voters).push_back(server.id);
  }
  options.consensus.election_timeout_ticks = static_cast<int>(config.election_timeout_ticks);
  options.consensus.max_snapshot_chunk_bytes = config.snapshot_chunk_bytes;
  options.consensus.forward_to_driver = true;
  options.consensus.random_seed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  options.compact_every_entries = config.compact_every_entries;
  options.retain_entries = config.retain_entries;
  return options;
}

std::string NodeServer::open() {
  const ZooConfig& config = options_.config;
  const store::StorageStatus status = store::DurableReplica::open(replica_options(), &replica_);
  if (!status.is_ok()) return "cannot open " + config.data_dir + "/warden: " + status.to_string();
  committer_ = std::make_unique<store::GroupCommitter>(&replica_->storage());
  store::PipelineConfig pipeline_config;
  pipeline_config.prep.max_data_bytes = config.jute_max_buffer_bytes;
  pipeline_ = std::make_unique<store::WritePipeline>(static_cast<store::PipelineHost&>(*this),
                                                     replica_->state(), pipeline_config);
  ClientSessionsConfig sessions_config;
  sessions_config.node_id = config.my_id;
  sessions_config.password_secret = config.cluster_id * 0x9e3779b97f4a7c15ULL;
  sessions_config.min_session_timeout_ms = static_cast<int32_t>(config.min_session_timeout_ms);
  sessions_config.max_session_timeout_ms = static_cast<int32_t>(config.max_session_timeout_ms);
  sessions_config.max_frame_bytes = config.jute_max_buffer_bytes + kFrameExtraBytes;
  sessions_config.super_digest = config.super_digest;
  sessions_config.max_connections_per_ip = config.max_client_cnxns;
  sessions_ = std::make_unique<ClientSessions>(static_cast<ClientSessionsHost&>(*this),
                                               replica_->state(), sessions_config);
  try {
    if (!config.standalone) {
      PeerTransportOptions peer_options;
      peer_options.self = config.my_id;
      peer_options.cluster_id = config.cluster_id;
      const ServerSpec& me = config.me();
      peer_options.listen_address = config.quorum_listen_on_all_ips ? "0.0.0.0" : me.host;
      peer_options.listen_port = me.peer_port;
      for (const ServerSpec& server : config.servers) {
        peer_options.peers.push_back({server.id, server.host, server.peer_port});
      }
      peers_ = std::make_unique<PeerTransport>(
          io_, peer_options, [this](consensus::Message&& m) { on_peer_message(std::move(m)); },
          [this](const std::string& line) { log(line); });
      peers_->on_connection_lost([this](consensus::NodeId peer) { on_peer_lost(peer); });
      peers_->start();
    }
    start_listening(client_acceptor_, config.client_address, config.client_port);
  } catch (const boost::system::system_error& error) {
    return std::string("cannot listen: ") + error.what();
  }
  started_ms_ = now_ms();
  environment_ = process_environment(config);
  start_admin_server();
  accept_clients();
  schedule_tick();
  return "";
}

void NodeServer::run() {
  io_.run();
}

void NodeServer::stop() {
  asio::post(io_, [this] {
    if (replica_ && !replica_->stalled()) {
      const store::StorageStatus status = replica_->flush_applied();
      if (!status.is_ok()) log("could not flush the last applies: " + status.to_string());
    }
    io_.stop();
  });
}

uint16_t NodeServer::client_port() const {
  error_code ignored;
  return client_acceptor_.local_endpoint(ignored).port();
}

int64_t NodeServer::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void NodeServer::accept_clients() {
  client_acceptor_.async_accept([this](const error_code& error, tcp::socket socket) {
    if (error) return;
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const ConnectionId id = next_connection_++;
    auto connection = std::make_shared<ClientConnection>(*this, id, std::move(socket));
    const tcp::endpoint remote = connection->remote();
    if (sessions_->on_connect(id, remote.address().to_string(), remote.port())) {
      connections_[id] = connection;
      connection->start();
    }  // else: refused (maxClientCnxns); the socket closes with `connection`
    accept_clients();
  });
}

void NodeServer::schedule_tick() {
  tick_timer_.expires_after(std::chrono::milliseconds(options_.tick_ms));
  tick_timer_.async_wait([this](const error_code& error) {
    if (error) return;
    on_tick();
    schedule_tick();
  });
}

void NodeServer::on_tick() {
  if (!blocked()) {
    replica_->node().tick();
    pipeline_->on_tick();
    follow_leadership();
    if (tracker_.leading()) {
      for (store::SessionId session : tracker_.take_expired(now_ms())) {
        store::WriteRequest close;
        close.session = session;
        close.request_id = std::numeric_limits<uint64_t>::max();
        close.op = store::OpCode::kCloseSession;
        char id[32];
        std::snprintf(id, sizeof(id), "0x%llx", static_cast<unsigned long long>(session));
        log(std::string("session ") + id + " expired");
        deferred_.push_back(Deferred{Deferred::Kind::kWrite, close, 0});
      }
    }
    report_activity();
  }
  schedule_pump();
}

void NodeServer::follow_leadership() {
  const consensus::Node& node = replica_->node();
  const bool leads = node.epoch_established() && applied_index() >= node.epoch_start_index();
  if (leads && !tracker_.leading()) tracker_.start_leading(replica_->state(), now_ms());
  if (!leads && tracker_.leading()) tracker_.stop_leading();
}

void NodeServer::report_activity() {
  const std::vector<store::SessionId> touched = sessions_->take_touches();
  if (touched.empty()) return;
  if (tracker_.leading()) {
    for (store::SessionId session : touched) tracker_.touch(session, now_ms());
    return;
  }
  // A follower's report reaches the leader's driver like a forwarded request.
  (void)replica_->node().propose(store::encode_session_touches(touched));
}

void NodeServer::on_peer_message(consensus::Message&& message) {
  if (blocked()) return;  // a frozen process would not read it either
  replica_->node().step(message);
  schedule_pump();
}

void NodeServer::on_peer_lost(consensus::NodeId peer) {
  if (blocked()) return;
  replica_->node().peer_connection_lost(peer);
  schedule_pump();
}

void NodeServer::on_client_bytes(ConnectionId connection, std::string_view bytes) {
  sessions_->on_bytes(connection, bytes);
  schedule_pump();
}

void NodeServer::on_client_closed(ConnectionId connection) {
  connections_.erase(connection);
  sessions_->on_disconnect(connection);
  schedule_pump();
}

std::string NodeServer::mode() const {
  const consensus::Role role = replica_->node().role();
  if (options_.config.standalone) return "standalone";
  if (role == consensus::Role::kLeader) return "leader";
  if (role == consensus::Role::kObserver) return "observer";
  return "follower";
}

ServerFacts NodeServer::facts() const {
  const consensus::Node& node = replica_->node();
  ServerFacts f;
  f.config = &options_.config;
  f.state = &replica_->state();
  f.watches = &sessions_->watches();
  f.mode = mode();
  f.leader_id = node.leader();
  f.stalled = blocked();
  f.catching_up = node.catching_up();
  f.epoch = node.epoch();
  f.commit_index = node.commit_index();
  f.applied_index = replica_->applied().index;
  f.clients = sessions_->stats();
  f.connections = sessions_->connection_stats();
  for (const ConnectionStats& c : f.connections) f.outstanding_requests += c.queued;
  f.now_ms = now_ms();
  f.started_ms = started_ms_;
  f.environment = environment_;
  f.open_file_descriptors = open_file_descriptors();
  f.max_file_descriptors = max_file_descriptors();
  f.data_dir_bytes = directory_bytes(options_.config.data_dir);
  f.data_log_dir_bytes = options_.config.data_log_dir.empty()
                             ? f.data_dir_bytes
                             : directory_bytes(options_.config.data_log_dir);
  const store::StorageMemory memory = replica_->storage().memory();
  f.memtable_bytes = memory.memtable_bytes;
  f.table_reader_bytes = memory.table_reader_bytes;
  f.block_cache_bytes = memory.block_cache_bytes;
  f.log_entries_in_memory = node.last_index() - node.first_index() + 1;
  return f;
}

// ZooKeeper goes on without its admin server when the port is taken; so
// does Warden, and says so.
void NodeServer::start_admin_server() {
  const ZooConfig& config = options_.config;
  if (!config.admin_enabled) return;
  admin_ = std::make_unique<AdminServer>(
      io_, [this] { return facts(); }, [this](const std::string& line) { log(line); });
  try {
    admin_->start(config.admin_address, config.admin_port);
    log("admin server on " + config.admin_address + ":" + std::to_string(admin_->port()));
  } catch (const boost::system::system_error& error) {
    log("admin server not started on " + config.admin_address + ":" +
        std::to_string(config.admin_port) + ": " + error.what() + "; serving without it");
    admin_.reset();
  }
}

uint16_t NodeServer::admin_port() const {
  return admin_ ? admin_->port() : 0;
}

void NodeServer::send(ConnectionId connection, std::string bytes) {
  auto it = connections_.find(connection);
  if (it != connections_.end()) it->second->write(bytes);
}

void NodeServer::close(ConnectionId connection) {
  auto it = connections_.find(connection);
  if (it != connections_.end()) it->second->close_after_flush();
}

void NodeServer::submit_write(const store::WriteRequest& request) {
  deferred_.push_back(Deferred{Deferred::Kind::kWrite, request, 0});
}

void NodeServer::sync(uint64_t context) {
  deferred_.push_back(Deferred{Deferred::Kind::kSync, {}, context});
}

void NodeServer::feed_deferred() {
  while (!deferred_.empty()) {
    Deferred next = std::move(deferred_.front());
    deferred_.pop_front();
    if (next.kind == Deferred::Kind::kWrite) {
      pipeline_->submit_local(next.write);
    } else {
      replica_->node().read_index(next.context);
    }
  }
  for (const store::RequestKey& key : pipeline_->take_rejected()) sessions_->on_rejected(key);
}

// One Ready (and one fsync) for everything that arrived together: the
// handlers of the sockets one epoll_wait found readable all run before the
// posted pump does, so a burst of client requests and peer messages shares
// one synced write instead of costing one each.
void NodeServer::schedule_pump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  asio::post(io_, [this] {
    pump_scheduled_ = false;
    pump();
  });
}

void NodeServer::pump() {
  if (pumping_) return;  // host calls made while pumping are fed by the loop below
  pumping_ = true;
  do {
    if (!blocked()) {
      feed_deferred();
    } else if (!retry_due_) {
      break;  // a stalled node retries on its timer, not on every input
    }
    retry_due_ = false;
  } while (step_once());
  if (blocked()) fail_deferred_writes();
  notice_leader_change();
  pumping_ = false;
}

void NodeServer::notice_leader_change() {
  const consensus::NodeId leader = replica_->node().leader();
  if (leader == known_leader_) return;
  if (known_leader_ != 0) {
    log("leader " + std::to_string(known_leader_) + " lost" +
        (leader != 0 ? "; now following " + std::to_string(leader) : std::string()));
    sessions_->on_leader_lost();
  }
  known_leader_ = leader;
}

// While the disk cannot take a Ready, writes fail at once with an error code
// rather than wait; reads and syncs go on being served or held.
void NodeServer::fail_deferred_writes() {
  std::deque<Deferred> kept;
  for (Deferred& deferred : deferred_) {
    if (deferred.kind != Deferred::Kind::kWrite) {
      kept.push_back(std::move(deferred));
      continue;
    }
    const store::RequestKey key{deferred.write.session, deferred.write.request_id};
    sessions_->on_write_failed(key, store::ErrorCode::kSystemError);
  }
  deferred_ = std::move(kept);
}

bool NodeServer::step_once() {
  if (write_in_flight_) return false;  // the next Ready follows its completion
  if (!replica_->stalled() && !replica_->node().has_ready()) return false;
  // What needs no sync is carried out first: a leader's appends leave, so
  // the followers' syncs overlap its own, and clients of committed entries
  // are answered, so they do not wait for the sync of newer ones.
  const store::WriteBatch* batch = nullptr;
  store::ReplicaOutput now;
  const store::StorageStatus status = replica_->start_step(&batch, &now);
  send_to_peers(now.messages);
  answer_applied(now);
  if (!status.is_ok()) {
    stall(status);
    return false;
  }
  if (batch == nullptr) return false;
  if (batch->empty()) {
    finish_write(store::StorageStatus::ok());
    return true;
  }
  write_in_flight_ = true;
  committer_->submit(*batch, [this](const store::StorageStatus& write_status) {
    asio::post(io_, [this, write_status] {
      write_in_flight_ = false;
      finish_write(write_status);
      pump();
    });
  });
  return false;
}

void NodeServer::finish_write(const store::StorageStatus& write_status) {
  store::ReplicaOutput out;
  const store::StorageStatus status = replica_->finish_step(write_status, &out);
  if (!status.is_ok()) return stall(status);
  handle_output(out);
  if (replica_->log_compactions() != compactions_seen_) {
    compactions_seen_ = replica_->log_compactions();
    return_free_memory();
  }
}

void NodeServer::stall(const store::StorageStatus& status) {
  log("cannot persist: " + status.to_string() + "; retrying in " + std::to_string(kStalledRetryMs) +
      " ms");
  if (retry_scheduled_) return;
  retry_scheduled_ = true;
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(std::chrono::milliseconds(kStalledRetryMs));
  timer->async_wait([this, timer](const error_code&) {
    retry_scheduled_ = false;
    retry_due_ = true;
    pump();
  });
}

void NodeServer::send_to_peers(std::vector<consensus::Message>& messages) {
  if (!peers_) return;
  for (consensus::Message& message : messages) peers_->send(std::move(message));
}

void NodeServer::answer_applied(const store::ReplicaOutput& now) {
  if (now.state_replaced) {
    state_replaced_ = true;
    // Operators (and tools/bench_compare.py) tell a snapshot transfer from
    // a log replay by this line.
    log("installed a snapshot from the leader: the state is now at index " +
        std::to_string(replica_->applied().index));
  }
  for (const store::ApplyResult& result : now.applied) {
    if (result.created_session != 0) {
      const store::SessionInfo* info = replica_->state().session(result.created_session);
      if (info != nullptr)
        tracker_.session_created(result.created_session, info->timeout_ms, now_ms());
    }
    if (result.request_op == store::OpCode::kCloseSession &&
        result.error == store::ErrorCode::kOk) {
      tracker_.session_closed(result.session);
    }
    sessions_->on_applied(result);
  }
}

// The rest of a Ready, once its write is done; the pipeline may feed the
// node again from here on.
void NodeServer::handle_output(store::ReplicaOutput& out) {
  send_to_peers(out.messages);
  if (std::exchange(state_replaced_, false)) pipeline_->state_replaced();
  pipeline_->applied(replica_->applied().index);
  for (const consensus::ReadState& read : out.read_states) pending_syncs_.push_back(read);
  answer_syncs();
  std::vector<std::string> requests;
  for (std::string& forwarded : out.forwarded) {
    if (auto touched = store::decode_session_touches(forwarded)) {
      for (store::SessionId session : *touched) tracker_.touch(session, now_ms());
    } else {
      requests.push_back(std::move(forwarded));
    }
  }
  pipeline_->after_advance(requests);
  for (const store::RequestKey& key : pipeline_->take_rejected()) sessions_->on_rejected(key);
}

// A sync is answered once this node's state has applied its read index.
void NodeServer::answer_syncs() {
  const consensus::LogIndex applied = replica_->applied().index;
  std::erase_if(pending_syncs_, [&](const consensus::ReadState& read) {
    if (read.ok && read.index > applied) return false;
    sessions_->on_sync_done(read.context, read.ok);
    return true;
  });
}

}  // namespace warden::net
