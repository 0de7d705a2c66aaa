// NodeServer: one Warden node as a process runs it — the replicated log and
// ZooKeeper state on RocksDB (store::DurableReplica), the peer transport, the
// ZooKeeper client port (net::ClientSessions behind it), the write pipeline,
// session expiry and the consensus clock, all on one io_context thread.
//
// Every input (a peer message, client bytes, a tick) is fed to its part, and
// once the inputs that arrived together are all in (a posted pump), the
// node's Readies are carried out until there are none: persist, send,
// apply, answer. While a Ready cannot be persisted (a full disk) the
// node is stalled: it feeds nothing to the consensus core, answers client
// writes with ZSYSTEMERROR at once (reads are still served), and retries the
// write every 100 ms until the disk has room.
//
// Owned by the `warden serve` command; tests start it in a thread of their
// own. run() blocks until stop().
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/asio/admin_server.h"
#include "net/asio/peer_transport.h"
#include "net/client_sessions.h"
#include "net/zoo_config.h"
#include "store/rocks_group_commit.h"
#include "store/rocks_replica.h"
#include "store/session_tracker.h"
#include "store/write_pipeline.h"

namespace warden::net {

struct NodeServerOptions {
  ZooConfig config;
  int tick_ms = 50;  // the consensus clock; elections take election_timeout_ticks of these
  std::function<void(const std::string& line)> log;
};

class NodeServer final : private ClientSessionsHost, private store::PipelineHost {
 public:
  explicit NodeServer(NodeServerOptions options);
  ~NodeServer() override;
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // Opens the data directory and binds the ports. Returns an error message
  // (and starts nothing) if it cannot.
  std::string open();
  // Serves until stop() (any thread) is called.
  void run();
  void stop();

  uint16_t client_port() const;
  uint16_t admin_port() const;  // 0 when the admin server is off

 private:
  class ClientConnection;
  struct Deferred {
    enum class Kind : uint8_t { kWrite, kSync } kind = Kind::kWrite;
    store::WriteRequest write;
    uint64_t context = 0;
  };

  // ClientSessionsHost.
  void send(ConnectionId connection, std::string bytes) override;
  void close(ConnectionId connection) override;
  void submit_write(const store::WriteRequest& request) override;
  void sync(uint64_t context) override;
  int64_t now_ms() const override;
  void log(const std::string& line) override { options_.log(line); }
  // store::PipelineHost.
  consensus::Node& consensus_node() override { return replica_->node(); }
  consensus::LogIndex applied_index() const override { return replica_->applied().index; }

  store::ReplicaOptions replica_options() const;
  // What the four-letter words and the admin server report, as of now.
  ServerFacts facts() const;
  std::string mode() const;
  void start_admin_server();
  void accept_clients();
  void schedule_tick();
  void on_tick();
  void on_peer_message(consensus::Message&& message);
  // A peer's connection here ended: the consensus core may campaign early.
  void on_peer_lost(consensus::NodeId peer);
  void on_client_bytes(ConnectionId connection, std::string_view bytes);
  void on_client_closed(ConnectionId connection);
  // Carries out Readies and what they caused until nothing is left.
  void pump();
  // pump() once the handlers already due have fed their inputs.
  void schedule_pump();
  bool step_once();
  void send_to_peers(std::vector<consensus::Message>& messages);
  // What a Ready allows before its write: answers to the committed entries.
  void answer_applied(const store::ReplicaOutput& now);
  void handle_output(store::ReplicaOutput& out);
  void feed_deferred();
  void fail_deferred_writes();
  // Stalled by a failed write (a full disk): inputs wait, as a frozen
  // process's would. Not while a write is merely under way.
  bool blocked() const { return replica_->stalled() && !write_in_flight_; }
  void finish_write(const store::StorageStatus& write_status);
  void stall(const store::StorageStatus& status);
  void answer_syncs();
  void follow_leadership();
  // Tells the client layer when the leader it relied on is gone.
  void notice_leader_change();
  void report_activity();

  NodeServerOptions options_;
  boost::asio::io_context io_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::ip::tcp::acceptor client_acceptor_;
  std::unique_ptr<store::DurableReplica> replica_;
  // Writes and syncs each Ready on its own thread while this one goes on
  // serving; destroyed before replica_ (it writes what is queued first).
  std::unique_ptr<store::GroupCommitter> committer_;
  bool write_in_flight_ = false;
  std::unique_ptr<PeerTransport> peers_;
  std::unique_ptr<store::WritePipeline> pipeline_;
  std::unique_ptr<ClientSessions> sessions_;
  std::unique_ptr<AdminServer> admin_;
  std::vector<std::pair<std::string, std::string>> environment_;  // envi; fixed at open
  int64_t started_ms_ = 0;
  consensus::NodeId known_leader_ = 0;
  bool state_replaced_ = false;  // an image was installed; the pipeline hears of it after the write
  uint64_t compactions_seen_ = 0;  // the replica's log_compactions() when memory was last returned
  store::SessionTracker tracker_;
  std::map<ConnectionId, std::shared_ptr<ClientConnection>> connections_;
  ConnectionId next_connection_ = 1;
  std::deque<Deferred> deferred_;                    // host calls, fed to the core between Readies
  std::vector<consensus::ReadState> pending_syncs_;  // waiting for the state to catch up
  bool pumping_ = false;
  bool pump_scheduled_ = false;
  bool retry_scheduled_ = false;
  bool retry_due_ = false;  // stalled: the timer says it is time to try the write again
};

}  // namespace warden::net
