#include "tools/cli_session.h"

namespace warden::tools {

namespace {

std::mutex print_mutex;

const char* state_name(net::KeeperState state) {
  switch (state) {
    case net::KeeperState::kDisconnected:
      return "Disconnected";
    case net::KeeperState::kSyncConnected:
      return "SyncConnected";
    case net::KeeperState::kAuthFailed:
      return "AuthFailed";
    case net::KeeperState::kConnectedReadOnly:
      return "ConnectedReadOnly";
    case net::KeeperState::kSaslAuthenticated:
      return "SaslAuthenticated";
    case net::KeeperState::kClosed:
      return "Closed";
    case net::KeeperState::kExpired:
      return "Expired";
  }
  return "Unknown";
}

const char* type_name(store::EventType type) {
  switch (static_cast<int32_t>(type)) {
    case -1:
      return "None";
    case 1:
      return "NodeCreated";
    case 2:
      return "NodeDeleted";
    case 3:
      return "NodeDataChanged";
    case 4:
      return "NodeChildrenChanged";
    case 5:
      return "DataWatchRemoved";
    case 6:
      return "ChildWatchRemoved";
    case 7:
      return "PersistentWatchRemoved";
  }
  return "Unknown";
}

}  // namespace

void print(std::FILE* stream, const std::string& text) {
  std::lock_guard lock(print_mutex);
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fflush(stream);
}

std::string event_text(const net::WatcherEvent& event) {
  return std::string("WatchedEvent state:") + state_name(event.state) +
         " type:" + type_name(event.type) + " path:" + event.path;
}

CliSession::CliSession(std::vector<net::ZkEndpoint> hosts, int32_t session_timeout_ms)
    : hosts_(std::move(hosts)), work_(boost::asio::make_work_guard(io_)) {
  net::ZkClientOptions options;
  options.hosts = hosts_;
  options.session_timeout_ms = session_timeout_ms;
  options.on_event = [this](const net::WatcherEvent& event) { on_event(event); };
  options.on_session_lost = [this](store::ErrorCode error) { on_session_lost(error); };
  client_ = net::ZkClient::create(io_, std::move(options));
  thread_ = std::thread([this] { io_.run(); });
}

CliSession::~CliSession() {
  if (opened_ == store::ErrorCode::kOk) {
    on_io_thread<bool>(
        [this](Promise<bool> done) { client_->close([done] { done->set_value(true); }); });
  }
  work_.reset();
  io_.stop();  // a client that never connected may still hold a timer
  thread_.join();
}

template <class T, class Work>
T CliSession::on_io_thread(Work work) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> result = promise->get_future();
  boost::asio::post(io_, [work = std::move(work), promise]() mutable { work(promise); });
  return result.get();
}

store::ErrorCode CliSession::open() {
  if (opened_) return *opened_;
  opened_ = on_io_thread<store::ErrorCode>([this](Promise<store::ErrorCode> done) {
    client_->connect([this, done](store::ErrorCode result) {
      connect_error_ = client_->last_error();
      done->set_value(result);
    });
  });
  return *opened_;
}

net::Reply CliSession::call(store::OpCode op, net::RequestBody body) {
  const store::ErrorCode error = open();
  if (error != store::ErrorCode::kOk) {
    net::Reply failed;
    failed.header.err = error;
    return failed;
  }
  return on_io_thread<net::Reply>([this, op, &body](Promise<net::Reply> done) {
    client_->submit(op, std::move(body),
                    [done](const net::Reply& reply) { done->set_value(reply); });
  });
}

void CliSession::expect_event(const std::string& path) {
  std::lock_guard lock(events_mutex_);
  expected_path_ = path;
  expected_.emplace();
  expected_event_ = expected_->get_future();
}

std::optional<net::WatcherEvent> CliSession::wait_for_event() {
  return expected_event_.get();
}

std::string CliSession::state_text() {
  return on_io_thread<std::string>([this](Promise<std::string> done) {
    const std::string first = net::endpoint_text(hosts_.front());
    if (client_->connected()) {
      done->set_value(client_->server() + "(CONNECTED)");
    } else {
      done->set_value(first + (client_->ended() ? "(CLOSED)" : "(CONNECTING)"));
    }
  });
}

void CliSession::on_event(const net::WatcherEvent& event) {
  {
    std::lock_guard lock(events_mutex_);
    if (expected_ && event.path == expected_path_) {
      expected_->set_value(event);
      expected_.reset();
      return;
    }
  }
  print(stdout, "\nWATCHER::\n\n" + event_text(event) + "\n");
}

void CliSession::on_session_lost(store::ErrorCode error) {
  {
    std::lock_guard lock(events_mutex_);
    if (expected_) {
      expected_->set_value(std::nullopt);
      expected_.reset();
    }
  }
  print(stderr, std::string("The session ended: ") + store::error_name(error) + "\n");
}

}  // namespace warden::tools
