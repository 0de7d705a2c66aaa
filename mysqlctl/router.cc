#include "mysqlctl/router.h"

#include <array>
#include <cassert>
#include <set>

#include "mysqlctl/health_checks.h"
#include "net/asio/http_server.h"
#include "net/asio/listen_endpoint.h"

namespace warden::mysqlctl {
namespace {
// Health checkers send a request and read the answer at once; a connection
// silent this long is abandoned.
constexpr std::chrono::seconds kHealthCheckIdleTimeout{5};
}  // namespace
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using store::ErrorCode;
using store::OpCode;

// Reconnecting to Warden after a lost session or a failed connect.
constexpr uint64_t kReconnectDelayMs = 500;
// After a failed accept (descriptors exhausted), before the next.
constexpr uint64_t kAcceptRetryDelayMs = 100;
// Per direction of a spliced connection: MySQL packets are mostly small,
// and result sets stream through in pieces this size.
constexpr size_t kSpliceBufferBytes = 16 * 1024;

bool ok(const net::Reply& reply) {
  return reply.header.err == ErrorCode::kOk;
}

std::string describe(const Backend& backend) {
  return backend.member_id + " at " + backend.host + ":" + std::to_string(backend.port);
}

std::string port_name(bool read_write) {
  return read_write ? "read-write" : "read-only";
}

}  // namespace

// One client connection spliced to one backend: resolve and connect the
// backend (bounded by a timer), then copy bytes both ways until either side
// ends, and then close both, so a client whose server died or was deposed
// sees its connection end at once.
class Router::Splice : public std::enable_shared_from_this<Splice> {
 public:
  // `on_end` runs once, with why the backend could not be reached ("" when
  // the connection simply ended).
  Splice(asio::io_context& io, tcp::socket client, Backend backend, uint64_t connect_timeout_ms,
         std::function<void(const std::string& failure)> on_end)
      : client_(std::move(client)),
        backend_socket_(io),
        resolver_(io),
        connect_timer_(io),
        backend_(std::move(backend)),
        connect_timeout_ms_(connect_timeout_ms),
        on_end_(std::move(on_end)) {}

  void start() {
    connect_timer_.expires_after(std::chrono::milliseconds(connect_timeout_ms_));
    connect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error && !self->connected_)
        self->end("cannot reach " + describe(self->backend_) + ": no answer in time");
    });
    // An address needs no resolver (whose lookups run on a thread of their
    // own): the common case, and the one on a failover's critical path.
    boost::system::error_code not_an_address;
    const asio::ip::address address = asio::ip::make_address(backend_.host, not_an_address);
    if (!not_an_address) {
      backend_socket_.async_connect(
          tcp::endpoint(address, backend_.port),
          [self = shared_from_this()](const boost::system::error_code& error) {
            self->on_connect(error);
          });
      return;
    }
    resolver_.async_resolve(
        backend_.host, std::to_string(backend_.port),
        [self = shared_from_this()](const boost::system::error_code& error,
                                    const tcp::resolver::results_type& results) {
          if (self->ended_) return;
          if (error)
            return self->end("cannot resolve " + describe(self->backend_) + ": " + error.message());
          asio::async_connect(self->backend_socket_, results,
                              [self](const boost::system::error_code& failed,
                                     const tcp::endpoint&) { self->on_connect(failed); });
        });
  }

  // Closes both sides; safe to call more than once.
  void close() { end(""); }

 private:
  void on_connect(const boost::system::error_code& error) {
    if (ended_) return;
    if (error) return end("cannot reach " + describe(backend_) + ": " + error.message());
    on_connected();
  }

  void on_connected() {
    connected_ = true;
    connect_timer_.cancel();
    boost::system::error_code ignored;
    // Queries and answers are small packets: send each at once.
    client_.set_option(tcp::no_delay(true), ignored);
    backend_socket_.set_option(tcp::no_delay(true), ignored);
    pump(client_, backend_socket_, upstream_);
    pump(backend_socket_, client_, downstream_);
  }

  void pump(tcp::socket& from, tcp::socket& to, std::array<char, kSpliceBufferBytes>& buffer) {
    from.async_read_some(
        asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                  const boost::system::error_code& error, size_t count) {
          if (error || self->ended_) return self->end("");
          asio::async_write(
              to, asio::buffer(buffer.data(), count),
              [self, &from, &to, &buffer](const boost::system::error_code& failed, size_t) {
                if (failed || self->ended_) return self->end("");
                self->pump(from, to, buffer);
              });
        });
  }

  void end(const std::string& failure) {
    if (ended_) return;
    ended_ = true;
    boost::system::error_code ignored;
    connect_timer_.cancel();
    resolver_.cancel();
    for (tcp::socket* socket : {&client_, &backend_socket_}) {
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      socket->close(ignored);
    }
    if (on_end_) std::exchange(on_end_, nullptr)(failure);
  }

  tcp::socket client_;
  tcp::socket backend_socket_;
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  Backend backend_;
  uint64_t connect_timeout_ms_;
  std::function<void(const std::string&)> on_end_;
  bool connected_ = false;
  bool ended_ = false;
  std::array<char, kSpliceBufferBytes> upstream_{};
  std::array<char, kSpliceBufferBytes> downstream_{};
};

// A read of the cluster's subtree in progress: the primary record and the
// children lists first, then every member's record.
struct Router::PendingRead {
  std::shared_ptr<net::ZkClient> client;  // the session it was made on
  Topology topology;
  std::vector<std::string> member_ids;
  std::set<std::string> maintenance;
  size_t outstanding = 0;
  bool failed = false;
};

std::shared_ptr<Router> Router::create(asio::io_context& io, RouterOptions options) {
  return std::shared_ptr<Router>(new Router(io, std::move(options)));
}

Router::Router(asio::io_context& io, RouterOptions options)
    : io_(io),
      options_(std::move(options)),
      rw_acceptor_(io),
      ro_acceptor_(io),
      refresh_timer_(io) {
  assert(cluster_name_error(options_.cluster).empty());
  topology_.unknown_because = "the namespace has not been read yet";
}

Router::~Router() = default;

uint16_t Router::rw_port() const {
  boost::system::error_code ignored;
  return rw_acceptor_.local_endpoint(ignored).port();
}

uint16_t Router::ro_port() const {
  boost::system::error_code ignored;
  return ro_acceptor_.local_endpoint(ignored).port();
}

uint16_t Router::http_port() const {
  return http_ ? http_->port() : 0;
}

void Router::start() {
  net::start_listening(rw_acceptor_, options_.listen_address, options_.rw_port);
  net::start_listening(ro_acceptor_, options_.listen_address, options_.ro_port);
  if (options_.http_port) {
    std::weak_ptr<Router> weak = weak_from_this();
    http_ = std::make_unique<net::HttpServer>(
        io_,
        [weak](std::string_view method, std::string_view target) {
          auto self = weak.lock();
          if (!self) return HttpAnswer{.status = 503, .body = "{\"reason\":\"stopping\"}\n"};
          return router_http_answer(method, target, self->topology_, self->options_.policy);
        },
        kHealthCheckIdleTimeout);
    http_->start(options_.listen_address, *options_.http_port);
  }
  log("routing MySQL cluster " + options_.cluster + ": writes on " + options_.listen_address + ":" +
      std::to_string(rw_port()) + ", reads on " + options_.listen_address + ":" +
      std::to_string(ro_port()) +
      (http_ ? ", HTTP checks on " + options_.listen_address + ":" + std::to_string(http_port())
             : std::string()));
  accept(Port::kReadWrite);
  accept(Port::kReadOnly);
  connect();
  schedule_refresh();
}

void Router::stop(std::function<void()> done) {
  stopping_ = true;
  boost::system::error_code ignored;
  rw_acceptor_.close(ignored);
  ro_acceptor_.close(ignored);
  if (http_) http_->stop();
  refresh_timer_.cancel();
  std::vector<std::shared_ptr<Splice>> all;
  for (auto& [number, open] : open_) all.push_back(open.splice);
  for (const auto& splice : all) splice->close();
  if (client_ && !client_->ended()) {
    client_->close(std::move(done));
  } else {
    asio::post(io_, std::move(done));
  }
}

// ---- following the namespace ----

void Router::connect() {
  if (stopping_) return;
  net::ZkClientOptions zk;
  zk.hosts = options_.warden;
  zk.session_timeout_ms = options_.session_timeout_ms;
  std::weak_ptr<Router> weak = weak_from_this();
  zk.on_event = [weak](const net::WatcherEvent&) {
    if (auto self = weak.lock()) self->on_event();
  };
  zk.on_session_lost = [weak](ErrorCode error) {
    auto self = weak.lock();
    if (!self || self->stopping_) return;
    // Failovers may happen unseen from now on: route nothing new.
    self->set_unknown("the session with Warden was lost (error " +
                      std::to_string(static_cast<int32_t>(error)) + ")");
    self->reconnect_later();
  };
  client_ = net::ZkClient::create(io_, std::move(zk));
  client_->connect([weak, client = client_](ErrorCode error) {
    auto self = weak.lock();
    if (!self || self->stopping_ || client != self->client_) return;
    if (error != ErrorCode::kOk) {
      self->set_unknown("cannot reach Warden: " + client->last_error());
      self->reconnect_later();
      return;
    }
    self->log("following /warden/mysql/" + self->options_.cluster + " through " + client->server());
    self->reading_ = false;  // a read of the old session is abandoned
    self->read_topology();
  });
}

void Router::reconnect_later() {
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(std::chrono::milliseconds(kReconnectDelayMs));
  timer->async_wait([weak = weak_from_this(), timer](const boost::system::error_code&) {
    if (auto self = weak.lock()) self->connect();
  });
}

void Router::on_event() {
  if (!stopping_) read_topology();
}

void Router::schedule_refresh() {
  if (stopping_) return;
  refresh_timer_.expires_after(std::chrono::milliseconds(options_.refresh_interval_ms));
  refresh_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (error) return;
    if (self->client_ && self->client_->connected()) self->read_topology();
    self->schedule_refresh();
  });
}

// Every read sets the watches again: a watch fires once, and setting one
// that is already set is harmless.
void Router::read_topology() {
  if (!client_ || client_->ended()) return;
  if (reading_) {
    read_again_ = true;
    return;
  }
  reading_ = true;
  read_again_ = false;
  auto pending = std::make_shared<PendingRead>();
  pending->client = client_;
  pending->outstanding = 3;
  auto self = shared_from_this();
  auto one_done = [self, pending] {
    if (--pending->outstanding == 0) self->read_members(pending);
  };
  const std::string& cluster = options_.cluster;
  client_->submit(OpCode::kGetData, net::GetDataRequest{primary_path(cluster), true},
                  [self, pending, one_done](const net::Reply& reply) {
                    if (ok(reply)) {
                      Result<PrimaryRecord> primary =
                          decode_primary(std::get<net::GetDataResponse>(reply.body).data);
                      if (primary.ok()) {
                        pending->topology.primary = primary.value();
                      } else {
                        pending->topology.unknown_because =
                            "unreadable primary record: " + primary.error();
                      }
                    } else if (reply.header.err == ErrorCode::kNoNode) {
                      self->watch_existence(primary_path(self->options_.cluster));
                    } else {
                      pending->failed = true;
                    }
                    one_done();
                  });
  for (const std::string& folder : {members_path(cluster), maintenance_path(cluster)}) {
    const bool members = folder == members_path(cluster);
    client_->submit(OpCode::kGetChildren, net::GetChildrenRequest{folder, true},
                    [self, pending, one_done, folder, members](const net::Reply& reply) {
                      if (ok(reply)) {
                        for (const std::string& child :
                             std::get<net::GetChildrenResponse>(reply.body).children) {
                          if (members) {
                            pending->member_ids.push_back(child);
                          } else {
                            pending->maintenance.insert(child);
                          }
                        }
                      } else if (reply.header.err == ErrorCode::kNoNode) {
                        self->watch_existence(folder);  // the agents have not made it yet
                      } else {
                        pending->failed = true;
                      }
                      one_done();
                    });
  }
}

// A watch on a node that does not exist yet; its creation is an event.
void Router::watch_existence(const std::string& path) {
  client_->submit(OpCode::kExists, net::ExistsRequest{path, true},
                  [self = shared_from_this()](const net::Reply& reply) {
                    // Created since the read: read again rather than wait.
                    if (ok(reply)) self->on_event();
                  });
}

void Router::read_members(const std::shared_ptr<PendingRead>& pending) {
  if (pending->client != client_) return;
  if (pending->failed) return finish_read(pending);
  std::vector<std::string> ids;
  for (const std::string& id : pending->member_ids) {
    // Not an agent's: member_path would refuse the name.
    if (member_id_error(id).empty()) ids.push_back(id);
  }
  pending->outstanding = ids.size() + 1;
  auto self = shared_from_this();
  auto one_done = [self, pending] {
    if (--pending->outstanding == 0) self->finish_read(pending);
  };
  for (const std::string& id : ids) {
    client_->submit(OpCode::kGetData, net::GetDataRequest{member_path(options_.cluster, id), true},
                    [self, pending, one_done, id](const net::Reply& reply) {
                      if (ok(reply)) {
                        Result<MemberRecord> record =
                            decode_member(std::get<net::GetDataResponse>(reply.body).data);
                        if (record.ok()) {
                          pending->topology.members.push_back(std::move(record).value());
                        } else {
                          self->log_change(self->last_unreadable_, "unreadable member record " +
                                                                       id + ": " + record.error());
                        }
                      } else if (reply.header.err != ErrorCode::kNoNode) {
                        pending->failed = true;  // gone since the listing is fine
                      }
                      one_done();
                    });
  }
  one_done();  // the +1 above: finishes at once without members
}

void Router::finish_read(const std::shared_ptr<PendingRead>& pending) {
  if (pending->client != client_) return;
  reading_ = false;
  // A failed read (connection lost mid-way) changes nothing: the old view
  // stands until a read completes, on the next event or refresh.
  if (!pending->failed) {
    for (MemberRecord& member : pending->topology.members) {
      member.maintenance = pending->maintenance.count(member.id) > 0;
    }
    apply(std::move(pending->topology));
  }
  if (read_again_ && !pending->failed) read_topology();
}

void Router::set_unknown(const std::string& why) {
  Topology unknown;
  unknown.unknown_because = why;
  apply(std::move(unknown));
}

void Router::apply(Topology topology) {
  topology_ = std::move(topology);
  const Route write = read_write_route(topology_);
  log_change(last_write_route_, write.backend
                                    ? "writes go to " + describe(*write.backend) + " (epoch " +
                                          std::to_string(write.backend->epoch) + ")"
                                    : "writes refused: " + write.refusal);
  const Route read = read_only_route(topology_, options_.policy, {});
  std::string readers;
  for (const Backend& backend : read_only_backends(topology_, options_.policy)) {
    readers += (readers.empty() ? "" : ", ") + describe(backend);
  }
  log_change(last_read_route_, !readers.empty() ? "reads go to " + readers
                               : read.backend
                                   ? "reads go to the primary " + describe(*read.backend) +
                                         ": no replica fit for reads"
                                   : "reads refused: " + read.refusal);
  close_stale_read_write();
}

void Router::close_stale_read_write() {
  std::vector<std::shared_ptr<Splice>> stale;
  std::set<std::string> old;
  for (const auto& [number, open] : open_) {
    if (open.port != Port::kReadWrite) continue;
    if (!read_write_connection_stale(open.backend, topology_)) continue;
    stale.push_back(open.splice);
    old.insert(open.backend.member_id + " (epoch " + std::to_string(open.backend.epoch) + ")");
  }
  if (stale.empty()) return;
  std::string names;
  for (const std::string& name : old) names += (names.empty() ? "" : ", ") + name;
  log("closing " + std::to_string(stale.size()) + " read-write connection(s) to " + names +
      ": the primary is now " + topology_.primary->member_id + " (epoch " +
      std::to_string(topology_.primary->epoch) + ")");
  for (const auto& splice : stale) splice->close();
}

// ---- the two ports ----

void Router::accept(Port port) {
  tcp::acceptor& acceptor = port == Port::kReadWrite ? rw_acceptor_ : ro_acceptor_;
  acceptor.async_accept([self = shared_from_this(), port](const boost::system::error_code& error,
                                                          tcp::socket socket) {
    if (self->stopping_ || error == asio::error::operation_aborted) return;
    if (!error) {
      self->on_accepted(port, std::move(socket));
      return self->accept(port);
    }
    // Out of descriptors, most likely: retrying at once would spin.
    self->log_change(self->last_accept_failure_, "cannot accept a " +
                                                     port_name(port == Port::kReadWrite) +
                                                     " connection: " + error.message());
    auto timer = std::make_shared<asio::steady_timer>(self->io_);
    timer->expires_after(std::chrono::milliseconds(kAcceptRetryDelayMs));
    timer->async_wait([self, port, timer](const boost::system::error_code&) {
      if (!self->stopping_) self->accept(port);
    });
  });
}

void Router::on_accepted(Port port, tcp::socket socket) {
  const bool read_write = port == Port::kReadWrite;
  const Route route = read_write ? read_write_route(topology_)
                                 : read_only_route(topology_, options_.policy, read_only_counts());
  if (!route.backend) {
    // Closing at once tells the client to retry; nothing is sent elsewhere.
    log_change(last_refusal_, port_name(read_write) + " connection refused: " + route.refusal);
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  last_refusal_.clear();
  const uint64_t number = next_connection_++;
  auto splice = std::make_shared<Splice>(
      io_, std::move(socket), *route.backend, options_.backend_connect_timeout_ms,
      [weak = weak_from_this(), number](const std::string& failure) {
        auto self = weak.lock();
        if (!self) return;
        self->open_.erase(number);
        if (!failure.empty()) self->log_change(self->last_backend_failure_, failure);
      });
  open_.emplace(number, Open{.port = port, .backend = *route.backend, .splice = splice});
  splice->start();
}

ConnectionCounts Router::read_only_counts() const {
  ConnectionCounts counts;
  for (const auto& [number, open] : open_) {
    if (open.port == Port::kReadOnly) ++counts[open.backend.member_id];
  }
  return counts;
}

void Router::log(const std::string& line) const {
  if (options_.log) options_.log("router: " + line);
}

void Router::log_change(std::string& last, const std::string& line) const {
  if (line == last) return;
  last = line;
  log(line);
}

}  // namespace warden::mysqlctl
