#include "sim/event_loop.h"

#include <cassert>

namespace warden::sim {

const char* event_kind_name(EventKind kind) {
  switch (kind) {
    case EventKind::kTick:
      return "tick";
    case EventKind::kDeliver:
      return "deliver";
    case EventKind::kFsyncDone:
      return "fsync-done";
    case EventKind::kClientRequest:
      return "client-request";
    case EventKind::kClientReply:
      return "client-reply";
    case EventKind::kClientWake:
      return "client-wake";
    case EventKind::kClientTimeout:
      return "client-timeout";
    case EventKind::kFaultInject:
      return "fault-inject";
    case EventKind::kFaultHeal:
      return "fault-heal";
    case EventKind::kHealAll:
      return "heal-all";
    case EventKind::kLivenessDeadline:
      return "liveness-deadline";
    case EventKind::kNodeRestart:
      return "node-restart";
    case EventKind::kNodeResume:
      return "node-resume";
    case EventKind::kNodeRebuild:
      return "node-rebuild";
    case EventKind::kLeaderStrike:
      return "leader-strike";
    case EventKind::kMysqlTask:
      return "mysql-task";
  }
  return "unknown";
}

void EventLoop::schedule_at(int64_t time_us, EventKind kind, uint32_t target, uint64_t arg) {
  assert(time_us >= now_us_);
  agenda_.push(Event{time_us, next_sequence_++, kind, target, arg});
}

bool EventLoop::pop_next(int64_t horizon_us, Event& out) {
  if (agenda_.empty() || agenda_.top().time_us > horizon_us) return false;
  out = agenda_.top();
  agenda_.pop();
  now_us_ = out.time_us;
  ++processed_events_;
  return true;
}

}  // namespace warden::sim
