#include "sim/trace.h"

#include <cinttypes>
#include <cstdio>

namespace warden::sim {

void TraceLog::record(const TraceRecord& r) {
  fold(static_cast<uint64_t>(r.time_us));
  fold((static_cast<uint64_t>(r.kind) << 32) | r.target);
  fold(r.arg);
  if (r.has_message) {
    fold((static_cast<uint64_t>(r.message_type) << 56) | (static_cast<uint64_t>(r.from) << 40) |
         (static_cast<uint64_t>(r.to) << 24) | (r.reject ? 1 : 0));
    fold(r.message_epoch);
    fold(r.log_index);
    fold(r.commit_index);
    fold(r.match_index);
    fold(r.hint_index);
    fold(r.entry_count);
  }
  if (r.has_node_state) {
    fold((static_cast<uint64_t>(r.node_up) << 40) | (static_cast<uint64_t>(r.role) << 32) |
         r.node_epoch);
    fold(r.node_commit);
    fold(r.node_last_index);
  }
  if (r.note >= 0) {
    for (char c : notes_[static_cast<size_t>(r.note)]) fold(static_cast<unsigned char>(c));
  }
  ring_[recorded_ % kKeptRecords] = r;
  ++recorded_;
}

int32_t TraceLog::add_note(std::string text) {
  notes_.push_back(std::move(text));
  return static_cast<int32_t>(notes_.size() - 1);
}

std::vector<std::string> TraceLog::last_lines() const {
  std::vector<std::string> lines;
  const size_t kept = recorded_ < kKeptRecords ? recorded_ : kKeptRecords;
  for (size_t i = recorded_ - kept; i < recorded_; ++i) {
    lines.push_back(format(ring_[i % kKeptRecords], notes_));
  }
  return lines;
}

std::string TraceLog::format(const TraceRecord& r, const std::vector<std::string>& notes) {
  char buffer[512];
  int used = std::snprintf(buffer, sizeof buffer, "t=%" PRId64 ".%06" PRId64 " %-16s",
                           r.time_us / 1'000'000, r.time_us % 1'000'000, event_kind_name(r.kind));
  auto append = [&](const char* format, auto... args) {
    if (used < 0 || static_cast<size_t>(used) >= sizeof buffer) return;
    used +=
        std::snprintf(buffer + used, sizeof buffer - static_cast<size_t>(used), format, args...);
  };
  if (r.has_message) {
    append(" %s %u->%u e=%u idx=%" PRIu64 " commit=%" PRIu64 " match=%" PRIu64 " n=%u%s",
           consensus::message_type_name(r.message_type), r.from, r.to, r.message_epoch, r.log_index,
           r.commit_index, r.match_index, r.entry_count, r.reject ? " reject" : "");
    if (r.reject && r.hint_index != 0) append(" hint=%" PRIu64, r.hint_index);
  } else if (r.has_node_state) {
    append(" arg=%" PRIu64, r.arg);  // the node is named below
  } else {
    append(" target=%u arg=%" PRIu64, r.target, r.arg);
  }
  if (r.has_node_state) {
    if (r.node_up) {
      append(" | node %u %s e=%u commit=%" PRIu64 " last=%" PRIu64, r.target + 1,
             consensus::role_name(r.role), r.node_epoch, r.node_commit, r.node_last_index);
    } else {
      append(" | node %u down", r.target + 1);
    }
  }
  if (r.note >= 0) append(" | %s", notes[static_cast<size_t>(r.note)].c_str());
  return std::string(buffer);
}

}  // namespace warden::sim
