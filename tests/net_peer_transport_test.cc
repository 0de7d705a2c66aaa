// Real TCP on loopback: three transports in one io_context deliver messages
// to each other, refuse another cluster's node, and reconnect after a peer
// restarts on the same port.
#include <gtest/gtest.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "net/asio/listen_endpoint.h"
#include "net/asio/peer_transport.h"

namespace warden::net {
namespace {

using consensus::Message;
using consensus::MessageType;
using consensus::NodeId;

constexpr uint64_t kCluster = 77;

uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class Mesh {
 public:
  explicit Mesh(int nodes, std::function<void(PeerTransportOptions&)> tweak = {})
      : tweak_(std::move(tweak)) {
    for (NodeId id = 1; id <= static_cast<NodeId>(nodes); ++id) ports_[id] = free_port();
    for (NodeId id = 1; id <= static_cast<NodeId>(nodes); ++id) start(id, kCluster);
  }
  void start(NodeId id, uint64_t cluster) {
    PeerTransportOptions options;
    options.self = id;
    options.cluster_id = cluster;
    options.listen_address = "127.0.0.1";
    options.listen_port = ports_[id];
    for (const auto& [peer, port] : ports_) options.peers.push_back({peer, "127.0.0.1", port});
    if (tweak_) tweak_(options);
    transports_[id] = std::make_unique<PeerTransport>(
        io_, options, [this, id](Message&& m) { received_[id].push_back(std::move(m)); },
        [this](const std::string& line) { log_.push_back(line); });
    transports_[id]->start();
  }
  void stop(NodeId id) { transports_.erase(id); }
  PeerTransport& transport(NodeId id) { return *transports_.at(id); }
  std::vector<Message>& received(NodeId id) { return received_[id]; }
  const std::vector<std::string>& log() const { return log_; }

  // Runs the loop until `done` or a deadline; the sender retries `resend`
  // meanwhile, as the consensus core would.
  bool run_until(const std::function<bool()>& done, const std::function<void()>& resend = {}) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      if (resend) resend();
      io_.run_for(std::chrono::milliseconds(20));
    }
    return done();
  }

 private:
  std::function<void(PeerTransportOptions&)> tweak_;
  boost::asio::io_context io_;
  std::map<NodeId, uint16_t> ports_;
  std::map<NodeId, std::unique_ptr<PeerTransport>> transports_;
  std::map<NodeId, std::vector<Message>> received_;
  std::vector<std::string> log_;
};

Message heartbeat(NodeId to, uint64_t context) {
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  m.epoch = 3;
  m.context = context;
  return m;
}

TEST(PeerTransport, EveryNodeReachesEveryOther) {
  Mesh mesh(3);
  auto all_received = [&] {
    for (NodeId id = 1; id <= 3; ++id) {
      if (mesh.received(id).size() < 2) return false;
    }
    return true;
  };
  bool sent = false;
  ASSERT_TRUE(mesh.run_until(all_received, [&] {
    if (sent) return;
    // Connections come up asynchronously; until then sends are dropped.
    for (NodeId from = 1; from <= 3; ++from) {
      for (NodeId to = 1; to <= 3; ++to) {
        if (from != to) mesh.transport(from).send(heartbeat(to, from * 10 + to));
      }
    }
    sent = mesh.received(1).size() + mesh.received(2).size() + mesh.received(3).size() > 0;
  }));
  for (NodeId id = 1; id <= 3; ++id) {
    for (const Message& m : mesh.received(id)) {
      EXPECT_EQ(m.to, id);
      EXPECT_EQ(m.context, m.from * 10 + id);
    }
  }
}

TEST(PeerTransport, ANodeOfAnotherClusterIsTurnedAway) {
  Mesh mesh(2);
  mesh.stop(2);
  mesh.start(2, kCluster + 1);
  const bool refused =
      mesh.run_until([&] { return mesh.transport(1).stats().rejected_connections > 0; },
                     [&] { mesh.transport(2).send(heartbeat(1, 5)); });
  EXPECT_TRUE(refused);
  EXPECT_TRUE(mesh.received(1).empty());
  const std::vector<std::string>& log = mesh.log();
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const std::string& line) {
    return line.find("a peer of cluster 78, not 77") != std::string::npos;
  })) << ::testing::PrintToString(log);
}

TEST(PeerTransport, ASenderReconnectsAfterThePeerRestarts) {
  Mesh mesh(2);
  ASSERT_TRUE(mesh.run_until([&] { return !mesh.received(2).empty(); },
                             [&] { mesh.transport(1).send(heartbeat(2, 1)); }));
  mesh.stop(2);
  mesh.start(2, kCluster);
  mesh.received(2).clear();
  EXPECT_TRUE(mesh.run_until([&] { return !mesh.received(2).empty(); },
                             [&] { mesh.transport(1).send(heartbeat(2, 2)); }));
}

// A node that restarts dials its peers; each of them dials it back at once
// rather than when its backoff runs out (here a minute: the run gives up
// after 10 s). A restarted follower waited up to 2 s for its leader so.
TEST(PeerTransport, APeerThatDialsInIsDialledBackAtOnce) {
  Mesh mesh(2, [](PeerTransportOptions& options) {
    options.first_redial_ms = 60'000;
    options.max_redial_ms = 60'000;
  });
  ASSERT_TRUE(mesh.run_until([&] { return !mesh.received(2).empty(); },
                             [&] { mesh.transport(1).send(heartbeat(2, 1)); }));
  mesh.stop(2);
  // Node 1 notices the connection ended and waits out its backoff.
  ASSERT_TRUE(mesh.run_until([&] {
    const std::vector<std::string>& log = mesh.log();
    return std::any_of(log.begin(), log.end(), [](const std::string& line) {
      return line.find("peer 2: lost the connection") != std::string::npos;
    });
  }));
  mesh.start(2, kCluster);
  mesh.received(2).clear();
  EXPECT_TRUE(mesh.run_until([&] { return !mesh.received(2).empty(); },
                             [&] { mesh.transport(1).send(heartbeat(2, 2)); }));
}

// zoo.cfg files of existing ensembles name hosts ("server.1=zoo1:2888:3888");
// a node must be able to listen on what its own line names.
TEST(ListenEndpoint, TakesIpLiteralsAndResolvesHostNames) {
  boost::asio::io_context io;
  EXPECT_EQ(listen_endpoint(io, "127.0.0.1", 2181),
            boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 2181));
  const boost::asio::ip::tcp::endpoint local = listen_endpoint(io, "localhost", 2888);
  EXPECT_TRUE(local.address().is_loopback()) << local.address().to_string();
  EXPECT_EQ(local.port(), 2888);
  boost::asio::ip::tcp::acceptor acceptor(io);
  start_listening(acceptor, "localhost", 0);
  EXPECT_NE(acceptor.local_endpoint().port(), 0);
  EXPECT_THROW(listen_endpoint(io, "no-such-host.invalid", 1), boost::system::system_error);
}

}  // namespace
}  // namespace warden::net
