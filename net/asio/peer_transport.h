// PeerTransport: carries consensus messages between the nodes of an
// ensemble over TCP. Each node dials every peer for what it sends and accepts
// the peers' own connections for what it receives, so there is no question
// of who connects to whom. A connection opens with a hello naming the
// cluster and the sender; one from another cluster, or from a node that is
// not a member, is closed with a log line. Frames carry checksums
// (net/peer_codec.h); a bad frame drops the connection, and the sender
// reconnects with backoff (by default 50 ms doubling to 2 s), or at once when the peer
// dials in (it restarted, so it is up). Messages to a peer that is
// unreachable are dropped, never queued without bound: the consensus core
// resends what matters.
//
// Owned by the node's runtime; everything runs on the one io_context thread
// that owns the node.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/message.h"

namespace warden::net {

struct PeerAddress {
  consensus::NodeId id = consensus::kNoNode;
  std::string host;
  uint16_t port = 0;
};

struct PeerTransportOptions {
  consensus::NodeId self = consensus::kNoNode;
  uint64_t cluster_id = 0;
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 0;  // 0: pick one (tests); see listen_port()
  std::vector<PeerAddress> peers;
  size_t max_frame_bytes = 64 << 20;
  size_t max_queued_bytes = 64 << 20;  // per peer, while a connection is being made
  int first_redial_ms = 50;            // after a connection fails or ends; doubles
  int max_redial_ms = 2000;
};

struct PeerTransportStats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t dropped_messages = 0;      // no connection, or the queue was full
  uint64_t rejected_connections = 0;  // bad hello, wrong cluster, bad frame
};

class PeerTransport {
 public:
  using Receiver = std::function<void(consensus::Message&& message)>;
  using Logger = std::function<void(const std::string& line)>;

  PeerTransport(boost::asio::io_context& io, PeerTransportOptions options, Receiver on_message,
                Logger log);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds the listening socket (throws boost::system::system_error if it
  // cannot) and starts dialling the peers.
  void start();
  void stop();
  uint16_t listen_port() const;

  // Queues `message` for message.to (stamping message.from).
  void send(consensus::Message message);
  // Called when a connection a peer dialled here ends after its hello (the
  // peer's process or host died, or the connection broke), with the peer.
  void on_connection_lost(std::function<void(consensus::NodeId peer)> callback) {
    on_lost_ = std::move(callback);
  }
  const PeerTransportStats& stats() const { return stats_; }

 private:
  class Outgoing;
  class Incoming;
  friend class Outgoing;
  friend class Incoming;

  void accept_next();
  // A peer's hello arrived: it is up, so dialling it need not wait.
  void peer_dialled_in(consensus::NodeId peer);

  boost::asio::io_context& io_;
  PeerTransportOptions options_;
  Receiver on_message_;
  Logger log_;
  std::function<void(consensus::NodeId)> on_lost_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<consensus::NodeId, std::shared_ptr<Outgoing>> outgoing_;
  std::vector<std::weak_ptr<Incoming>> incoming_;
  PeerTransportStats stats_;
  bool stopped_ = false;
};

}  // namespace warden::net
