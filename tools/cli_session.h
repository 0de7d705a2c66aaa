// CliSession: the blocking face of net::ZkClient that `warden cli` needs. The
// client runs on an io_context thread of its own, so that watch events and
// the loss of the session are printed as they happen, while the command loop
// waits for a reply or for the next line of input.
//
// The session is opened on the first call that needs one (so `help` works
// without a server) and closed by the destructor. Output from both threads
// goes through print(), one whole message at a time.
//
// Used only by tools/cli_command.cc, from one thread.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/asio/zk_client.h"

namespace warden::tools {

// Writes `text` to `stream` as one piece and flushes it.
void print(std::FILE* stream, const std::string& text);
// "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a", as zkCli
// prints a WatchedEvent.
std::string event_text(const net::WatcherEvent& event);

class CliSession {
 public:
  CliSession(std::vector<net::ZkEndpoint> hosts, int32_t session_timeout_ms);
  ~CliSession();
  CliSession(const CliSession&) = delete;
  CliSession& operator=(const CliSession&) = delete;

  // Opens the session on the first call; OK or why not (see
  // connect_error()). A session that could not be opened is not retried.
  store::ErrorCode open();
  const std::string& connect_error() const { return connect_error_; }
  // Sends one request and waits for its reply (opening the session first).
  net::Reply call(store::OpCode op, net::RequestBody body);
  // The next event on `path` from now on is kept for wait_for_event()
  // instead of being printed; call before arming the watches.
  void expect_event(const std::string& path);
  // That event, or nullopt if the session ended first.
  std::optional<net::WatcherEvent> wait_for_event();
  // "host:port(CONNECTED)", "(CONNECTING)" or "(CLOSED)", for the prompt.
  std::string state_text();

 private:
  // Shared with the io thread's handlers, which may outlive the call that
  // made it.
  template <class T>
  using Promise = std::shared_ptr<std::promise<T>>;
  // Runs `work` on the io thread and waits for what it hands to its promise.
  template <class T, class Work>
  T on_io_thread(Work work);
  void on_event(const net::WatcherEvent& event);
  void on_session_lost(store::ErrorCode error);

  std::vector<net::ZkEndpoint> hosts_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<net::ZkClient> client_;
  std::thread thread_;
  std::optional<store::ErrorCode> opened_;  // set once open() has run
  std::string connect_error_;

  std::mutex events_mutex_;  // the io thread delivers, the command loop waits
  std::string expected_path_;
  std::optional<std::promise<std::optional<net::WatcherEvent>>> expected_;
  std::future<std::optional<net::WatcherEvent>> expected_event_;
};

}  // namespace warden::tools
