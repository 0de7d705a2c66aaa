// The MySQL workload's agenda: closures over simulated time, run one at a
// time in (time, scheduling order) on top of sim::EventLoop, so that a seed
// replays task for task. Each task carries a label and the host it concerns,
// for the trace and for the invariant checks that run after every task.
//
// Owned by the MySQL simulation (sim/mysql_workload.h); the model of MySQL
// servers (sim/mysql_model.h) schedules its replication on it, and tests may
// drive one directly. Single-threaded; never reads a real clock.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/event_loop.h"

namespace warden::sim {

class TaskAgenda {
 public:
  using Task = std::function<void()>;

  // What the last task run was, for the trace.
  struct Ran {
    int64_t time_us = 0;
    const char* label = "";
    uint32_t host = 0;
  };

  int64_t now_us() const { return loop_.now_us(); }
  uint64_t processed() const { return loop_.processed_events(); }
  size_t pending() const { return loop_.pending_events(); }

  // `label` must outlive the agenda (a string literal).
  void at(int64_t time_us, const char* label, uint32_t host, Task task) {
    assert(time_us >= loop_.now_us());
    uint64_t slot = 0;
    if (free_.empty()) {
      slot = slots_.size();
      slots_.push_back(Slot{});
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    slots_[slot] = Slot{label, std::move(task)};
    loop_.schedule_at(time_us, EventKind::kMysqlTask, host, slot);
  }
  void after(int64_t delay_us, const char* label, uint32_t host, Task task) {
    assert(delay_us >= 0);
    at(loop_.now_us() + delay_us, label, host, std::move(task));
  }

  // Runs the earliest task due at or before `horizon_us`; false when none is.
  bool run_next(int64_t horizon_us, Ran& ran) {
    Event event;
    if (!loop_.pop_next(horizon_us, event)) return false;
    assert(event.kind == EventKind::kMysqlTask && event.arg < slots_.size());
    // Moved out first: the task may schedule others, which may reuse slots.
    Slot slot = std::move(slots_[event.arg]);
    slots_[event.arg] = Slot{};
    free_.push_back(event.arg);
    ran = Ran{event.time_us, slot.label, event.target};
    slot.task();
    return true;
  }

 private:
  struct Slot {
    const char* label = "";
    Task task;
  };

  EventLoop loop_;
  std::vector<Slot> slots_;
  std::vector<uint64_t> free_;
};

}  // namespace warden::sim
