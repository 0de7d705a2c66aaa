// WriteQueue: the bytes a connection still has to write, written in order
// with at most one async_write under way; what is queued meanwhile goes out
// together in the next one. Shared by the peer transport and the client
// connections.
//
// A member of the connection object it writes for; that object keeps itself
// alive through the completion it passes to start(). One thread.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <string>

namespace warden::net {

class WriteQueue {
 public:
  // Append what is to be written here.
  std::string& pending() { return queued_; }
  // Nothing under way and nothing queued.
  bool idle() const { return !writing_ && queued_.empty(); }

  // Writes what is queued unless a write is under way already or nothing is
  // queued; `done(error)` runs when that write ends, and the owner calls
  // start() again from it to write what came meanwhile.
  template <typename Done>
  void start(boost::asio::ip::tcp::socket& socket, Done done) {
    if (writing_ || queued_.empty()) return;
    writing_ = true;
    in_flight_.swap(queued_);
    queued_.clear();
    boost::asio::async_write(
        socket, boost::asio::buffer(in_flight_),
        [this, done = std::move(done)](const boost::system::error_code& error, size_t) mutable {
          writing_ = false;
          in_flight_.clear();
          done(error);
        });
  }

  // start(), but what the socket takes without blocking is written before
  // this returns, not when the event loop next runs: for a sender about to
  // block its thread (a leader about to sync) whose bytes must not wait for
  // that. Costs a system call per call where start() lets writes coalesce.
  template <typename Done>
  void start_now(boost::asio::ip::tcp::socket& socket, Done done) {
    if (!writing_ && !queued_.empty()) {
      boost::system::error_code error;
      // Once set it stays (asio keeps the flag; async operations honour
      // it), so the system call is made once per socket, not per write.
      if (!socket.non_blocking()) socket.non_blocking(true, error);
      // On any error (would_block included) start() takes over, and reports
      // a real one through `done` as it would have.
      const size_t written = error ? 0 : socket.write_some(boost::asio::buffer(queued_), error);
      queued_.erase(0, written);
    }
    start(socket, std::move(done));
  }

 private:
  std::string queued_;
  std::string in_flight_;  // what the write under way is sending
  bool writing_ = false;
};

}  // namespace warden::net
