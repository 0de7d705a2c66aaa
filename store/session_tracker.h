// SessionTracker: how the leader decides that a ZooKeeper session has
// expired. Every node notes which of its clients' sessions showed signs of
// life (a request or a ping) and reports them to the leader now and then
// (encode_session_touches, forwarded like a request); the leader keeps a
// deadline per session, moves it on with every report, and proposes
// closeSession for a session whose deadline passed. A new leader starts every
// session's clock afresh, as ZooKeeper does: expiry may come later than
// strictly due after a leader change, never earlier.
//
// Owned by the runtime's node driver next to its ZooState. Sans-IO: time is
// passed in. Single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/stat.h"
#include "store/zoo_state.h"

namespace warden::store {

// A report of live sessions, as it travels to the leader. Its first byte
// tells it apart from an encoded WriteRequest on the same channel.
std::string encode_session_touches(const std::vector<SessionId>& sessions);
// nullopt if `bytes` is not such a report.
std::optional<std::vector<SessionId>> decode_session_touches(std::string_view bytes);

class SessionTracker {
 public:
  // This node now leads: every session in `state` gets its full timeout
  // from `now_ms`.
  void start_leading(const ZooState& state, int64_t now_ms);
  void stop_leading();
  bool leading() const { return leading_; }

  // A session was created or closed by an applied txn (on every node; only
  // the leader keeps deadlines).
  void session_created(SessionId session, int32_t timeout_ms, int64_t now_ms);
  void session_closed(SessionId session);
  // Signs of life, from this node's clients or a follower's report.
  void touch(SessionId session, int64_t now_ms);

  // Sessions whose deadline has passed and for which no close was handed out
  // within their timeout; the caller proposes closeSession for each (a close
  // that never commits is handed out again).
  std::vector<SessionId> take_expired(int64_t now_ms);

 private:
  struct Deadline {
    int64_t at_ms = 0;
    int32_t timeout_ms = 0;
  };
  bool leading_ = false;
  std::map<SessionId, Deadline> deadlines_ms_;
  std::map<SessionId, int64_t> closing_since_ms_;  // close handed out, not yet applied
};

// A follower's side: which of its clients' sessions showed life since the
// last report.
class SessionActivity {
 public:
  void touch(SessionId session) { touched_.insert(session); }
  // The report to forward (empty: nothing to say), and a fresh start.
  std::vector<SessionId> take() {
    std::vector<SessionId> out(touched_.begin(), touched_.end());
    touched_.clear();
    return out;
  }

 private:
  std::set<SessionId> touched_;
};

}  // namespace warden::store
