#include "net/asio/peer_transport.h"

#include <algorithm>

#include "net/asio/listen_endpoint.h"
#include "net/asio/write_queue.h"
#include "net/peer_codec.h"
#include "store/byte_io.h"

namespace warden::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr uint32_t kHelloMagic = 0x4e445257;  // "WRDN", little-endian
constexpr size_t kHelloBytes = 16;

std::string hello(uint64_t cluster_id, consensus::NodeId self) {
  std::string out;
  store::ByteWriter w(out);
  w.u32(kHelloMagic);
  w.u64(cluster_id);
  w.u32(self);
  return out;
}

}  // namespace

// The connection this node dials to one peer, for what it sends there.
class PeerTransport::Outgoing : public std::enable_shared_from_this<Outgoing> {
 public:
  Outgoing(PeerTransport& transport, PeerAddress peer)
      : transport_(transport),
        peer_(std::move(peer)),
        socket_(transport.io_),
        resolver_(transport.io_),
        timer_(transport.io_) {}

  void start() { connect(); }
  // The peer dialled this node, so it is up: a redial waiting out its
  // backoff happens now. Without this a restarted node waited for the
  // leader's next attempt, up to 2 s after it was ready.
  void redial_now() {
    if (!waiting_) return;
    waiting_ = false;
    timer_.cancel();
    backoff_ms_ = transport_.options_.first_redial_ms;
    connect();
  }
  void stop() {
    stopped_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    resolver_.cancel();
  }

  void enqueue(const consensus::Message& message) {
    if (!connected_ || writes_.pending().size() > transport_.options_.max_queued_bytes) {
      ++transport_.stats_.dropped_messages;
      return;
    }
    append_peer_frame(message, &writes_.pending());
    ++transport_.stats_.frames_sent;
    flush();
  }

 private:
  void connect() {
    if (stopped_) return;
    auto self = shared_from_this();
    resolver_.async_resolve(peer_.host, std::to_string(peer_.port),
                            [self](const error_code& error, tcp::resolver::results_type results) {
                              if (error) return self->retry("resolving", error);
                              asio::async_connect(
                                  self->socket_, results,
                                  [self](const error_code& connect_error, const tcp::endpoint&) {
                                    if (connect_error)
                                      return self->retry("connecting", connect_error);
                                    self->on_connected();
                                  });
                            });
  }

  void on_connected() {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    connected_ = true;
    backoff_ms_ = transport_.options_.first_redial_ms;
    writes_.pending() = hello(transport_.options_.cluster_id, transport_.options_.self);
    flush();
    watch_for_close();
  }

  // The peer never sends on this connection; a read ends only when it
  // closes (or says nothing sensible), and then we dial again.
  void watch_for_close() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(discard_), [self](const error_code& error, size_t) {
      self->retry("reading from", error ? error : asio::error::make_error_code(asio::error::eof));
    });
  }

  void flush() {
    if (!connected_) return;
    auto self = shared_from_this();
    // Written at once: the node may sync right after sending, and a leader's
    // appends must reach the followers during that sync, not after it.
    writes_.start_now(socket_, [self](const error_code& error) {
      if (error) return self->retry("writing to", error);
      self->flush();
    });
  }

  // Whatever was queued is stale by the time a new connection exists.
  void retry(const char* what, const error_code& error) {
    if (stopped_ || error == asio::error::operation_aborted) return;
    if (connected_) {
      transport_.log_("peer " + std::to_string(peer_.id) + ": lost the connection while " + what +
                      " it: " + error.message());
    }
    connected_ = false;
    writes_.pending().clear();
    error_code ignored;
    socket_.close(ignored);
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    backoff_ms_ = std::min(backoff_ms_ * 2, transport_.options_.max_redial_ms);
    waiting_ = true;
    auto self = shared_from_this();
    timer_.async_wait([self](const error_code& wait_error) {
      // Not when redial_now() dialled already (its cancel may come too late
      // for a timer that had expired).
      if (wait_error || !self->waiting_) return;
      self->waiting_ = false;
      self->connect();
    });
  }

  PeerTransport& transport_;
  PeerAddress peer_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  WriteQueue writes_;
  std::array<char, 64> discard_{};
  bool connected_ = false;
  bool stopped_ = false;
  bool waiting_ = false;  // a redial is due when timer_ fires
  int backoff_ms_ = transport_.options_.first_redial_ms;
};

// A connection a peer dialled to this node, for what it sends here.
class PeerTransport::Incoming : public std::enable_shared_from_this<Incoming> {
 public:
  Incoming(PeerTransport& transport, tcp::socket socket)
      : transport_(transport),
        socket_(std::move(socket)),
        decoder_(transport.options_.max_frame_bytes) {}

  void start() { read_more(); }
  void stop() {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  void read_more() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](const error_code& error, size_t bytes) {
      if (error) return self->lost(error);  // the peer went away; it dials again
      self->take(std::string_view(self->buffer_.data(), bytes));
    });
  }

  void lost(const error_code& error) {
    // Not when this node closed it (stop, or a rejected connection).
    if (error == asio::error::operation_aborted || !socket_.is_open() ||
        sender_ == consensus::kNoNode || !transport_.on_lost_) {
      return;
    }
    transport_.on_lost_(sender_);
  }

  void take(std::string_view bytes) {
    if (sender_ == consensus::kNoNode) {
      const size_t wanted = std::min(kHelloBytes - hello_.size(), bytes.size());
      hello_.append(bytes.substr(0, wanted));
      bytes.remove_prefix(wanted);
      if (hello_.size() < kHelloBytes) return read_more();
      if (!accept_hello()) return;
    }
    decoder_.feed(bytes);
    while (std::optional<consensus::Message> message = decoder_.next()) {
      if (message->from != sender_ || message->to != transport_.options_.self) {
        return reject("a message from " + std::to_string(message->from) + " to " +
                      std::to_string(message->to) + " on the connection of node " +
                      std::to_string(sender_));
      }
      ++transport_.stats_.frames_received;
      transport_.on_message_(std::move(*message));
    }
    if (!decoder_.error().empty()) return reject(decoder_.error());
    read_more();
  }

  bool accept_hello() {
    store::ByteReader r(hello_);
    const uint32_t magic = r.u32();
    const uint64_t cluster = r.u64();
    const consensus::NodeId sender = r.u32();
    if (magic != kHelloMagic) {
      reject("a connection that is not a Warden peer");
      return false;
    }
    if (cluster != transport_.options_.cluster_id) {
      reject("a peer of cluster " + std::to_string(cluster) + ", not " +
             std::to_string(transport_.options_.cluster_id));
      return false;
    }
    const auto& peers = transport_.options_.peers;
    if (std::none_of(peers.begin(), peers.end(),
                     [sender](const PeerAddress& peer) { return peer.id == sender; })) {
      reject("node " + std::to_string(sender) + ", which is not a member");
      return false;
    }
    sender_ = sender;
    transport_.peer_dialled_in(sender);
    return true;
  }

  void reject(const std::string& why) {
    ++transport_.stats_.rejected_connections;
    error_code ignored;
    const tcp::endpoint remote = socket_.remote_endpoint(ignored);
    transport_.log_("closing the peer connection from " + remote.address().to_string() + ": " +
                    why);
    socket_.close(ignored);
  }

  PeerTransport& transport_;
  tcp::socket socket_;
  std::array<char, 64 * 1024> buffer_{};
  std::string hello_;
  consensus::NodeId sender_ = consensus::kNoNode;
  PeerFrameDecoder decoder_;
};

PeerTransport::PeerTransport(asio::io_context& io, PeerTransportOptions options,
                             Receiver on_message, Logger log)
    : io_(io),
      options_(std::move(options)),
      on_message_(std::move(on_message)),
      log_(std::move(log)),
      acceptor_(io) {}

PeerTransport::~PeerTransport() {
  stop();
}

void PeerTransport::start() {
  start_listening(acceptor_, options_.listen_address, options_.listen_port);
  accept_next();
  for (const PeerAddress& peer : options_.peers) {
    if (peer.id == options_.self) continue;
    auto outgoing = std::make_shared<Outgoing>(*this, peer);
    outgoing_[peer.id] = outgoing;
    outgoing->start();
  }
}

void PeerTransport::stop() {
  if (stopped_) return;
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, outgoing] : outgoing_) outgoing->stop();
  for (const std::weak_ptr<Incoming>& weak : incoming_) {
    if (auto incoming = weak.lock()) incoming->stop();
  }
}

uint16_t PeerTransport::listen_port() const {
  error_code ignored;
  return acceptor_.local_endpoint(ignored).port();
}

void PeerTransport::accept_next() {
  acceptor_.async_accept([this](const error_code& error, tcp::socket socket) {
    if (error) return;  // stopped
    auto incoming = std::make_shared<Incoming>(*this, std::move(socket));
    std::erase_if(incoming_, [](const std::weak_ptr<Incoming>& weak) { return weak.expired(); });
    incoming_.push_back(incoming);
    incoming->start();
    accept_next();
  });
}

void PeerTransport::peer_dialled_in(consensus::NodeId peer) {
  auto it = outgoing_.find(peer);
  if (it != outgoing_.end()) it->second->redial_now();
}

void PeerTransport::send(consensus::Message message) {
  message.from = options_.self;
  auto it = outgoing_.find(message.to);
  if (it == outgoing_.end()) {
    ++stats_.dropped_messages;
    return;
  }
  it->second->enqueue(message);
}

}  // namespace warden::net
