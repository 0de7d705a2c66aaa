#include "sim/invariants.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

namespace warden::sim {

using consensus::LogIndex;
using consensus::Role;
using consensus::Zxid;

namespace {

std::string format(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return std::string(buffer);
}

}  // namespace

uint64_t hash_bytes(const std::string& bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) hash = (hash ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return hash;
}

bool is_safety_violation(const Violation& violation) {
  return violation.invariant != "liveness" && violation.invariant != "message-storm" &&
         violation.invariant != "lincheck-gave-up";
}

InvariantChecker::InvariantChecker(size_t voter_count) : quorum_(voter_count / 2 + 1) {}

void InvariantChecker::watch(const std::vector<const NodeHost*>& hosts) {
  hosts_ = hosts;
  watches_.assign(hosts.size(), NodeWatch{});
}

void InvariantChecker::report(std::string invariant, std::string message, int64_t now_us) {
  if (violation_) return;
  violation_ = Violation{std::move(invariant), std::move(message), now_us, {}};
}

void InvariantChecker::on_incarnation_started(const NodeHost& host) {
  NodeWatch& watch = watches_[host.index()];
  watch = NodeWatch{};
  watch.checked_commit = host.node()->commit_index();
  const consensus::Snapshot& snapshot = host.node()->snapshot();
  if (snapshot.last_index > 0) {
    on_state_applied(host, snapshot.last_zxid, host.state_hash(), 0);
  }
}

void InvariantChecker::on_ready_taken(const NodeHost& host, const consensus::Ready& ready,
                                      int64_t now_us) {
  ++checks_run_;
  if (ready.entries.empty()) return;
  const consensus::Node& node = *host.node();
  const LogIndex first = ready.entries.front().index;
  Zxid previous = 0;
  if (first > 1) {
    // Unknown if compacted; then only the Ready's own order is checked.
    previous = node.zxid_at(first - 1).value_or(0);
  }
  LogIndex expected_index = first;
  for (const consensus::Entry& entry : ready.entries) {
    if (entry.index != expected_index || entry.zxid <= previous) {
      report("zxid-order",
             format("node %u Ready entry index %" PRIu64 " zxid %#" PRIx64
                    " does not follow index %" PRIu64 " zxid %#" PRIx64,
                    host.id(), entry.index, entry.zxid, expected_index - 1, previous),
             now_us);
      return;
    }
    previous = entry.zxid;
    ++expected_index;
  }
}

void InvariantChecker::on_state_applied(const NodeHost& host, Zxid zxid, uint64_t state_hash,
                                        int64_t now_us) {
  ++checks_run_;
  NodeWatch& watch = watches_[host.index()];
  if (watch.applied_any && zxid <= watch.last_applied_zxid) {
    report("zxid-order",
           format("node %u applied zxid %#" PRIx64 " after %#" PRIx64, host.id(), zxid,
                  watch.last_applied_zxid),
           now_us);
    return;
  }
  watch.applied_any = true;
  watch.last_applied_zxid = zxid;
  auto [it, inserted] = state_hash_by_zxid_.try_emplace(zxid, state_hash);
  if (!inserted && it->second != state_hash) {
    report("state-divergence",
           format("node %u state hash %016" PRIx64 " at zxid %#" PRIx64 " differs from %016" PRIx64
                  " seen on another replica",
                  host.id(), state_hash, zxid, it->second),
           now_us);
  }
}

void InvariantChecker::after_node_event(const NodeHost& host, int64_t now_us) {
  if (!host.up()) return;
  ++checks_run_;
  const std::string& self_check = host.node()->invariant_failure();
  if (!self_check.empty()) {
    report("node-self-check", self_check, now_us);
    return;
  }
  NodeWatch& watch = watches_[host.index()];
  check_leader(host, watch, now_us);
  check_commits(host, watch, now_us);
}

void InvariantChecker::check_leader(const NodeHost& host, NodeWatch& watch, int64_t now_us) {
  const consensus::Node& node = *host.node();
  const bool is_leader = node.role() == Role::kLeader;
  const bool newly_leader = is_leader && (!watch.was_leader || watch.leader_epoch != node.epoch());
  watch.was_leader = is_leader;
  if (!newly_leader) return;
  watch.leader_epoch = node.epoch();
  auto [it, inserted] = leaders_by_epoch_.try_emplace(node.epoch(), host.id());
  if (!inserted && it->second != host.id()) {
    report("one-leader-per-epoch",
           format("node %u became leader of epoch %u, which node %u already leads", host.id(),
                  node.epoch(), it->second),
           now_us);
    return;
  }
  check_leader_completeness(host, now_us);
}

void InvariantChecker::check_leader_completeness(const NodeHost& host, int64_t now_us) {
  const consensus::Node& node = *host.node();
  LogIndex required = 0;
  for (auto it = commit_by_epoch_.begin(); it != commit_by_epoch_.end() && it->first < node.epoch();
       ++it) {
    required = std::max(required, it->second);
  }
  if (required == 0) return;
  const CommittedEntry& committed = committed_[required - 1];
  if (required <= node.snapshot().last_index) return;  // covered by its snapshot
  const std::optional<Zxid> zxid = node.zxid_at(required);
  if (!zxid || (committed.known && *zxid != committed.zxid)) {
    report("committed-lost",
           format("node %u became leader of epoch %u without index %" PRIu64 " zxid %#" PRIx64
                  ", committed in an earlier epoch (its zxid there: %#" PRIx64
                  ", last index %" PRIu64 ")",
                  host.id(), node.epoch(), required, committed.zxid, zxid.value_or(0),
                  node.last_index()),
           now_us);
  }
}

InvariantChecker::CommittedEntry& InvariantChecker::global_entry(LogIndex index) {
  if (committed_.size() < index) committed_.resize(index);
  return committed_[index - 1];
}

void InvariantChecker::check_commits(const NodeHost& host, NodeWatch& watch, int64_t now_us) {
  const consensus::Node& node = *host.node();
  const LogIndex commit = node.commit_index();
  for (LogIndex index = watch.checked_commit + 1; index <= commit; ++index) {
    const consensus::Entry* entry = node.entry_at(index);
    if (entry == nullptr) continue;  // compacted: its snapshot stands for it
    CommittedEntry& global = global_entry(index);
    const uint64_t data_hash = hash_bytes(entry->data);
    if (!global.known) {
      global = CommittedEntry{true, entry->zxid, data_hash};
    } else if (global.zxid != entry->zxid || global.data_hash != data_hash) {
      report("committed-prefix",
             format("node %u committed zxid %#" PRIx64 " at index %" PRIu64 " where zxid %#" PRIx64
                    " was committed before",
                    host.id(), entry->zxid, index, global.zxid),
             now_us);
      return;
    }
  }
  if (commit > watch.checked_commit) {
    watch.checked_commit = commit;
    LogIndex& in_epoch = commit_by_epoch_[node.epoch()];
    in_epoch = std::max(in_epoch, commit);
  }
  if (commit > global_commit_index_) {
    global_entry(commit);
    global_commit_index_ = commit;
  }
}

void InvariantChecker::after_crash(int64_t now_us) {
  ++checks_run_;
  if (global_commit_index_ == 0) return;
  const CommittedEntry& committed = committed_[global_commit_index_ - 1];
  if (!committed.known) return;
  size_t holders = 0;
  // Disks damaged at rest, and rebuilt ones still catching up, may lack what
  // their nodes acknowledged: they count for nothing.
  size_t damaged = 0;
  for (const NodeHost* host : hosts_) {
    if (host->is_voter() && (host->disk().known_corrupt() || host->rebuilding())) ++damaged;
  }
  const size_t needed = quorum_ > damaged ? quorum_ - damaged : 1;
  for (const NodeHost* host : hosts_) {
    if (holders >= needed) break;  // reading disks is the expensive part
    if (host->is_voter() && !host->disk().known_corrupt() && !host->rebuilding() &&
        host->disk().durable_holds(global_commit_index_, committed.zxid)) {
      ++holders;
    }
  }
  if (holders < needed) {
    report("committed-lost",
           format("after a crash only %zu voters' disks hold committed index %" PRIu64
                  " zxid %#" PRIx64 " (quorum %zu)",
                  holders, global_commit_index_, committed.zxid, quorum_),
           now_us);
  }
}

}  // namespace warden::sim
