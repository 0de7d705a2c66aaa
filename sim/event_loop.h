// The simulator's clock and agenda: a single-threaded discrete-event scheduler
// over simulated time in microseconds. Events run in (time, insertion
// sequence) order, so two runs of one seed process the same events in the
// same order. Events are small plain values; payloads too large to inline
// (messages, client requests) live in pools owned by the Simulation and are
// referenced by slot.
//
// Owned by sim::Simulation; tests may drive one directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

namespace warden::sim {

enum class EventKind : uint8_t {
  kTick,              // target: node index; arg: incarnation
  kDeliver,           // target: destination node index; arg: message slot
  kFsyncDone,         // target: node index; arg: incarnation
  kClientRequest,     // target: node index; arg: client request slot
  kClientReply,       // target: client index; arg: client reply slot
  kClientWake,        // target: client index; arg: op sequence number
  kClientTimeout,     // target: client index; arg: op sequence number
  kFaultInject,       // arg: unused (the fault plan draws the fault)
  kFaultHeal,         // arg: the fault's id
  kHealAll,           // end of the fault phase
  kLivenessDeadline,  // the bound after HealAll
  kNodeRestart,       // target: node index; arg: crash id
  kNodeResume,        // target: node index; arg: pause id
  kLeaderStrike,      // target: node index; arg: the incarnation to crash
  kNodeRebuild,       // target: node index; arg: the refusal's id
  kMysqlTask,         // MySQL workload (sim/mysql_tasks.h): target: host; arg: task slot
};

const char* event_kind_name(EventKind kind);

struct Event {
  int64_t time_us = 0;
  uint64_t sequence = 0;
  EventKind kind = EventKind::kTick;
  uint32_t target = 0;
  uint64_t arg = 0;
};

class EventLoop {
 public:
  int64_t now_us() const { return now_us_; }
  size_t pending_events() const { return agenda_.size(); }
  uint64_t processed_events() const { return processed_events_; }

  // Schedules at an absolute time, never in the past.
  void schedule_at(int64_t time_us, EventKind kind, uint32_t target, uint64_t arg);
  void schedule_after(int64_t delay_us, EventKind kind, uint32_t target, uint64_t arg) {
    schedule_at(now_us_ + delay_us, kind, target, arg);
  }

  // Removes the earliest event, advances the clock to it and returns true;
  // false when nothing is scheduled at or before `horizon_us`.
  bool pop_next(int64_t horizon_us, Event& out);

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      if (a.time_us != b.time_us) return a.time_us > b.time_us;
      return a.sequence > b.sequence;
    }
  };

  std::priority_queue<Event, std::vector<Event>, Later> agenda_;
  int64_t now_us_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t processed_events_ = 0;
};

}  // namespace warden::sim
