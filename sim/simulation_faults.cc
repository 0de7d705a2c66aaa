// The fault phase of a run: which faults, against whom, when and for how
// long, all drawn from the seed's fault stream.
#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "sim/simulation_internal.h"

namespace warden::sim {

namespace {

std::string seconds(int64_t time_us) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3fs", static_cast<double>(time_us) / 1e6);
  return buffer;
}

std::string describe_sides(const std::vector<bool>& side) {
  std::string a, b;
  for (size_t i = 0; i < side.size(); ++i) {
    std::string& into = side[i] ? a : b;
    if (!into.empty()) into += ',';
    into += std::to_string(i + 1);
  }
  return "{" + a + "} | {" + b + "}";
}

}  // namespace

void Simulation::choose_fault_profile() {
  FaultProfile& p = fault_profile_;
  // Vary the mix per seed: some seeds are crash-heavy, some partition-heavy.
  const double pace = 0.5 + fault_prng_.unit();
  p.min_gap_us = static_cast<int64_t>(p.min_gap_us * pace);
  p.max_gap_us = static_cast<int64_t>(p.max_gap_us * pace);
  for (int* weight :
       {&p.crash_weight, &p.pause_weight, &p.partition_weight, &p.clog_weight, &p.lossy_weight}) {
    if (fault_prng_.chance(0.2)) *weight = 0;
  }
  p.target_leader_probability = 0.3 + 0.5 * fault_prng_.unit();

  switch (options_.bug) {
    case SimBug::kSendBeforeFsync:
      // Crashes must land inside fsync windows.
      p.min_gap_us = 100'000;
      p.max_gap_us = 600'000;
      p.crash_weight = 10;
      p.min_downtime_us = 20'000;
      p.max_downtime_us = 400'000;
      break;
    case SimBug::kCommitOldEpochByCount:
      // Raft's Figure 8 needs a leader to die right after counting an old
      // entry onto a quorum, before its own epoch's entry gets there.
      p.strike_at_first_commit_probability = 0.7;
      p.max_first_commit_strike_delay_us = 0;
      [[fallthrough]];
    case SimBug::kVoteTwice:
    case SimBug::kVoteIgnoresLog:
      // Contested elections: take leaders away often and briefly.
      p.min_gap_us = 100'000;
      p.max_gap_us = 800'000;
      p.crash_weight = 6;
      p.partition_weight = 6;
      p.pause_weight = 2;
      p.target_leader_probability = 0.8;
      p.min_downtime_us = 20'000;
      p.max_downtime_us = 600'000;
      p.min_partition_us = 100'000;
      p.max_partition_us = 1'500'000;
      break;
    case SimBug::kCommitWithoutQuorum:
      p.partition_weight = 8;
      p.target_leader_probability = 0.8;
      break;
    case SimBug::kPrepIgnoresPending:
    case SimBug::kNone:
      break;
    case SimBug::kSkipLeaseWait:
    case SimBug::kNoRelayWait:
    case SimBug::kNoSelfFence:
    case SimBug::kPromoteAnyReplica:
      assert(false && "the MySQL workload's bugs run in sim/mysql_workload.cc");
      break;
  }
  if (p.crash_weight + p.pause_weight + p.partition_weight + p.clog_weight + p.lossy_weight == 0) {
    p.partition_weight = 1;
  }
}

void Simulation::watch_first_commit(const NodeHost& host) {
  if (healed_ || !host.up()) return;
  const consensus::Node& node = *host.node();
  LeaderWatch& watch = leader_watches_[host.index()];
  if (node.role() != consensus::Role::kLeader) {
    watch.epoch = 0;
    return;
  }
  if (watch.epoch != node.epoch()) {
    watch = LeaderWatch{node.epoch(), node.commit_index(), false};
    return;
  }
  if (watch.first_commit_seen || node.commit_index() <= watch.commit_at_start) return;
  watch.first_commit_seen = true;
  if (!fault_prng_.chance(fault_profile_.strike_at_first_commit_probability)) return;
  loop_.schedule_after(fault_prng_.uniform_int(0, fault_profile_.max_first_commit_strike_delay_us),
                       EventKind::kLeaderStrike, host.index(), host.incarnation());
}

void Simulation::log_fault(TraceRecord& record, std::string text) {
  std::string line = seconds(loop_.now_us()) + " " + text;
  record.note = trace_.add_note(text);
  fault_log_.push_back(std::move(line));
}

uint32_t Simulation::choose_fault_target() {
  if (fault_prng_.chance(fault_profile_.target_leader_probability)) {
    // The leader of the highest epoch, if anyone leads.
    int best = -1;
    consensus::Epoch best_epoch = 0;
    for (int i = 0; i < host_count_; ++i) {
      const consensus::Node* node = hosts_[static_cast<size_t>(i)]->node();
      if (node != nullptr && node->role() == consensus::Role::kLeader &&
          (best < 0 || node->epoch() > best_epoch)) {
        best = i;
        best_epoch = node->epoch();
      }
    }
    if (best >= 0) return static_cast<uint32_t>(best);
  }
  return static_cast<uint32_t>(fault_prng_.below(static_cast<uint64_t>(host_count_)));
}

std::vector<bool> Simulation::random_split() {
  std::vector<bool> side(static_cast<size_t>(host_count_));
  while (true) {
    size_t on_true_side = 0;
    for (size_t i = 0; i < side.size(); ++i) {
      side[i] = fault_prng_.chance(0.5);
      on_true_side += side[i] ? 1 : 0;
    }
    if (on_true_side > 0 && on_true_side < side.size()) return side;
  }
}

void Simulation::inject_fault(TraceRecord& record) {
  const FaultProfile& p = fault_profile_;
  const int total =
      p.crash_weight + p.pause_weight + p.partition_weight + p.clog_weight + p.lossy_weight;
  int dice = static_cast<int>(fault_prng_.below(static_cast<uint64_t>(total)));
  if ((dice -= p.crash_weight) < 0) {
    crash_node(choose_fault_target(), record);
  } else if ((dice -= p.pause_weight) < 0) {
    pause_node(choose_fault_target(), record);
  } else if ((dice -= p.partition_weight) < 0) {
    start_partition(record);
  } else if ((dice -= p.clog_weight) < 0) {
    clog_node(choose_fault_target(), record);
  } else {
    start_lossy_period(record);
  }
  const int64_t next_us = loop_.now_us() + fault_prng_.uniform_int(p.min_gap_us, p.max_gap_us);
  if (next_us < fault_end_us_) loop_.schedule_at(next_us, EventKind::kFaultInject, 0, 0);
}

void Simulation::crash_node(uint32_t node_index, TraceRecord& record) {
  NodeHost& host = *hosts_[node_index];
  if (!host.up()) return;
  const uint64_t roll = fault_prng_.below(3);
  const CrashDamage damage = roll == 0   ? CrashDamage::kNone
                             : roll == 1 ? CrashDamage::kTornPrefix
                                         : CrashDamage::kFlippedByte;
  const bool torn = host.crash(damage);
  pause_ids_[node_index] = 0;
  const uint64_t crash_id = next_fault_id_++;
  crash_ids_[node_index] = crash_id;
  ++counters_.crashes;
  counters_.torn_writes += torn ? 1 : 0;
  const int64_t downtime_us =
      fault_prng_.uniform_int(fault_profile_.min_downtime_us, fault_profile_.max_downtime_us);
  loop_.schedule_after(downtime_us, EventKind::kNodeRestart, node_index, crash_id);
  log_fault(record, "crash node " + std::to_string(node_index + 1) + (torn ? " (torn write)" : "") +
                        " for " + seconds(downtime_us));
  note_node_state(node_index, record);
  checker_.after_crash(loop_.now_us());
}

void Simulation::restart_node(uint32_t node_index, TraceRecord& record) {
  NodeHost& host = *hosts_[node_index];
  crash_ids_[node_index] = 0;
  if (host.up() || host.refused()) return;
  // Now and then the disk was damaged while the node was down. At most a
  // minority of voters, so that a quorum of intact disks remains.
  const int tolerated = (options_.nodes - 1) / 2;
  if (host.is_voter() && corrupted_voters_ < tolerated &&
      damage_prng_.chance(fault_profile_.corrupt_at_rest_probability) &&
      host.mutable_disk().corrupt_at_rest(damage_prng_)) {
    log_fault(record,
              "damage a synced log record on node " + std::to_string(node_index + 1) + "'s disk");
  }
  host.restart();
  if (host.refused()) {
    ++corrupted_voters_;
    ++counters_.refused_restarts;
    log_fault(record,
              "node " + std::to_string(node_index + 1) + " refuses to start: " + host.refusal());
    // An operator rebuilds it from its peers a little later. The delay comes
    // from the damage stream, so runs without damage keep their schedule.
    const uint64_t rebuild_id = next_fault_id_++;
    crash_ids_[node_index] = rebuild_id;
    loop_.schedule_after(damage_prng_.uniform_int(500'000, 3'000'000), EventKind::kNodeRebuild,
                         node_index, rebuild_id);
    return;
  }
  log_fault(record, "restart node " + std::to_string(node_index + 1));
}

void Simulation::rebuild_node(uint32_t node_index, TraceRecord& record) {
  NodeHost& host = *hosts_[node_index];
  crash_ids_[node_index] = 0;
  if (!host.refused()) return;
  host.rebuild();
  ++counters_.rebuilds;
  log_fault(record, "rebuild node " + std::to_string(node_index + 1) +
                        " from its peers (no vote until it has caught up)");
}

void Simulation::pause_node(uint32_t node_index, TraceRecord& record) {
  NodeHost& host = *hosts_[node_index];
  if (!host.up() || host.paused()) return;
  host.pause();
  const uint64_t pause_id = next_fault_id_++;
  pause_ids_[node_index] = pause_id;
  ++counters_.pauses;
  const int64_t pause_us = fault_prng_.uniform_int(50'000, 2'000'000);
  loop_.schedule_after(pause_us, EventKind::kNodeResume, node_index, pause_id);
  log_fault(record, "pause node " + std::to_string(node_index + 1) + " for " + seconds(pause_us));
}

void Simulation::start_partition(TraceRecord& record) {
  network_.heal_partitions();
  std::string shape;
  const uint64_t roll = fault_prng_.below(host_count_ >= 3 ? 4 : 3);
  if (roll == 1) {
    isolate_node(choose_fault_target(), record);
    return;
  }
  if (roll == 0) {
    const std::vector<bool> side = random_split();
    network_.partition_halves(side);
    shape = "halves " + describe_sides(side);
  } else if (roll == 2) {
    const std::vector<bool> side = random_split();
    network_.partition_one_way(side);
    shape = "one-way " + describe_sides(side) + " (left may send to right only)";
  } else {
    const int bridge = static_cast<int>(choose_fault_target());
    std::vector<bool> side = random_split();
    network_.partition_bridge(side, bridge);
    shape = "bridge node " + std::to_string(bridge + 1) + " over " + describe_sides(side);
  }
  schedule_partition_heal(shape, record);
}

void Simulation::isolate_node(uint32_t node_index, TraceRecord& record) {
  network_.heal_partitions();
  network_.isolate(static_cast<int>(node_index));
  schedule_partition_heal("isolate node " + std::to_string(node_index + 1), record);
}

void Simulation::schedule_partition_heal(const std::string& shape, TraceRecord& record) {
  const uint64_t id = next_fault_id_++;
  active_partition_id_ = id;
  ++counters_.partitions;
  const int64_t duration_us =
      fault_prng_.uniform_int(fault_profile_.min_partition_us, fault_profile_.max_partition_us);
  loop_.schedule_after(duration_us, EventKind::kFaultHeal, 0, id);
  log_fault(record, "partition " + shape + " for " + seconds(duration_us) + ", blocked " +
                        network_.describe_blocked());
}

void Simulation::strike_new_leader(uint32_t node_index, TraceRecord& record) {
  // Isolating also cuts the messages the leader already has in flight, which
  // a crash would let through.
  if (fault_prng_.chance(fault_profile_.isolate_rather_than_crash_probability)) {
    isolate_node(node_index, record);
  } else {
    crash_node(node_index, record);
  }
}

void Simulation::clog_node(uint32_t node_index, TraceRecord& record) {
  const int64_t duration_us = fault_prng_.uniform_int(200'000, 2'000'000);
  const int64_t extra_us = fault_prng_.uniform_int(50'000, 500'000);
  network_.clog(static_cast<int>(node_index), loop_.now_us() + duration_us, extra_us);
  ++counters_.clogs;
  log_fault(record, "clog node " + std::to_string(node_index + 1) + " (+" + seconds(extra_us) +
                        " per message) for " + seconds(duration_us));
}

void Simulation::start_lossy_period(TraceRecord& record) {
  const double loss = fault_prng_.uniform_int(50, 300) / 1000.0;
  const double duplicate = fault_prng_.uniform_int(50, 200) / 1000.0;
  network_.set_loss_probability(loss);
  network_.set_duplicate_probability(duplicate);
  const uint64_t id = next_fault_id_++;
  active_lossy_id_ = id;
  ++counters_.lossy_periods;
  const int64_t duration_us = fault_prng_.uniform_int(500'000, 4'000'000);
  loop_.schedule_after(duration_us, EventKind::kFaultHeal, 0, id);
  char text[96];
  std::snprintf(text, sizeof text, "lossy network (loss %.2f, duplication %.2f) for %s", loss,
                duplicate, seconds(duration_us).c_str());
  log_fault(record, text);
}

void Simulation::heal_fault(uint64_t fault_id, TraceRecord& record) {
  if (fault_id == active_partition_id_) {
    active_partition_id_ = 0;
    network_.heal_partitions();
    log_fault(record, "heal partition");
  } else if (fault_id == active_lossy_id_) {
    active_lossy_id_ = 0;
    network_.set_loss_probability(base_loss_probability_);
    network_.set_duplicate_probability(base_duplicate_probability_);
    log_fault(record, "end lossy network");
  }
}

void Simulation::heal_all(TraceRecord& record) {
  healed_ = true;
  active_partition_id_ = 0;
  active_lossy_id_ = 0;
  network_.heal_partitions();
  network_.unclog_all();
  network_.set_loss_probability(0);
  network_.set_duplicate_probability(0);
  for (uint32_t i = 0; i < hosts_.size(); ++i) {
    NodeHost& host = *hosts_[i];
    crash_ids_[i] = 0;
    pause_ids_[i] = 0;
    if (host.refused()) {
      host.rebuild();
      ++counters_.rebuilds;
    } else if (!host.up()) {
      host.restart();
    } else if (host.paused()) {
      host.resume();
    }
    checker_.after_node_event(host, loop_.now_us());
  }
  log_fault(record, "heal everything");
}

}  // namespace warden::sim
