#include "store/session_tracker.h"

#include "store/byte_io.h"

namespace warden::store {
namespace {

// Encoded WriteRequests start with their format byte (1); a report starts
// with this one.
constexpr uint8_t kTouchesTag = 0xA7;

}  // namespace

std::string encode_session_touches(const std::vector<SessionId>& sessions) {
  std::string out;
  ByteWriter w(out);
  w.u8(kTouchesTag);
  w.u32(static_cast<uint32_t>(sessions.size()));
  for (SessionId session : sessions) w.i64(session);
  return out;
}

std::optional<std::vector<SessionId>> decode_session_touches(std::string_view bytes) {
  ByteReader r(bytes);
  if (r.u8() != kTouchesTag) return std::nullopt;
  const uint32_t count = r.u32();
  if (!r.ok() || count > bytes.size() / 8) return std::nullopt;
  std::vector<SessionId> sessions(count);
  for (SessionId& session : sessions) session = r.i64();
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return sessions;
}

void SessionTracker::start_leading(const ZooState& state, int64_t now_ms) {
  leading_ = true;
  deadlines_ms_.clear();
  closing_since_ms_.clear();
  for (const auto& [session, info] : state.sessions()) {
    deadlines_ms_[session] = Deadline{now_ms + info.timeout_ms, info.timeout_ms};
  }
}

void SessionTracker::session_created(SessionId session, int32_t timeout_ms, int64_t now_ms) {
  if (leading_) deadlines_ms_[session] = Deadline{now_ms + timeout_ms, timeout_ms};
}

void SessionTracker::stop_leading() {
  leading_ = false;
  deadlines_ms_.clear();
  closing_since_ms_.clear();
}

void SessionTracker::session_closed(SessionId session) {
  deadlines_ms_.erase(session);
  closing_since_ms_.erase(session);
}

void SessionTracker::touch(SessionId session, int64_t now_ms) {
  auto it = deadlines_ms_.find(session);
  if (it != deadlines_ms_.end()) it->second.at_ms = now_ms + it->second.timeout_ms;
}

std::vector<SessionId> SessionTracker::take_expired(int64_t now_ms) {
  std::vector<SessionId> expired;
  for (const auto& [session, deadline] : deadlines_ms_) {
    if (deadline.at_ms > now_ms) continue;
    auto [it, first] = closing_since_ms_.try_emplace(session, now_ms);
    if (!first && now_ms - it->second < deadline.timeout_ms) continue;
    it->second = now_ms;
    expired.push_back(session);
  }
  return expired;
}

}  // namespace warden::store
