// A deterministic in-test cluster for consensus::Node: N nodes, an in-memory
// network queue and instant in-memory "disks". It carries out each node's
// Ready exactly as node.h prescribes (persist, send, apply, collect reads,
// advance), lets a test drop, filter, duplicate and reorder messages, cut links,
// crash a node (keeping only its PersistentState) and restart it.
//
// While it runs it checks the safety properties that must hold at every
// moment (one leader per epoch, agreeing committed prefixes, dense logs with
// increasing zxids, commit never beyond the log, applies in order) and records
// every breach in violations(), so a test only has to look there. Two
// whole-cluster checks on what is durable (every committed entry is on a
// quorum of disks; every voter that could still win an election holds it) run
// when a test asks for them.
//
// No real time, no std::random_device: the same calls give the same run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "consensus/message.h"
#include "consensus/node.h"
#include "consensus/types.h"

namespace warden::consensus::testing {

// ---------------------------------------------------------------------------
// The replicated state machine of the harness is simply "every committed entry,
// in order". Its snapshot is that list, serialised, so a node that catches up
// from a snapshot ends with exactly the same image as one that applied entries.

namespace detail {

template <typename T>
void append_raw(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T read_raw(const std::string& in, size_t& offset) {
  T value{};
  std::memcpy(&value, in.data() + offset, sizeof(T));
  offset += sizeof(T);
  return value;
}

}  // namespace detail

inline std::string encode_applied(const std::vector<Entry>& applied) {
  std::string out;
  for (const Entry& entry : applied) {
    detail::append_raw(out, entry.index);
    detail::append_raw(out, entry.zxid);
    detail::append_raw(out, static_cast<uint8_t>(entry.type));
    detail::append_raw(out, static_cast<uint32_t>(entry.data.size()));
    out += entry.data;
  }
  return out;
}

inline std::vector<Entry> decode_applied(const std::string& image) {
  std::vector<Entry> applied;
  size_t offset = 0;
  while (offset < image.size()) {
    Entry entry;
    entry.index = detail::read_raw<LogIndex>(image, offset);
    entry.zxid = detail::read_raw<Zxid>(image, offset);
    entry.type = static_cast<EntryType>(detail::read_raw<uint8_t>(image, offset));
    const auto size = detail::read_raw<uint32_t>(image, offset);
    entry.data = image.substr(offset, size);
    offset += size;
    applied.push_back(std::move(entry));
  }
  return applied;
}

// True if `message` carries log entries of epoch `epoch` (used by tests that
// hold back one leader's entries while letting older ones through).
inline bool carries_entries_of_epoch(const Message& message, Epoch epoch) {
  return std::any_of(message.entries.begin(), message.entries.end(),
                     [epoch](const Entry& entry) { return epoch_of(entry.zxid) == epoch; });
}

inline bool is_vote_request(const Message& message) {
  return message.type == MessageType::kPreVote || message.type == MessageType::kVote;
}

// ---------------------------------------------------------------------------

// Returns true for a message the network should lose.
using DropFilter = std::function<bool(const Message&)>;
// May change a message on its way (before any DropFilter sees it); returns
// false to lose it.
using InTransitEdit = std::function<bool(Message&)>;
using ConfigTweak = std::function<void(Config&)>;

struct ClusterOptions {
  size_t voters = 3;
  size_t observers = 0;
  uint64_t seed = 1;  // folded into every node's Config::random_seed
  ConfigTweak tweak;  // applied to every node's Config after the defaults
};

// One member: what survives a crash (config, disk) and what does not.
struct Replica {
  Config config;
  PersistentState disk;
  std::unique_ptr<Node> node;          // null while crashed
  std::vector<Entry> applied;          // the state machine (volatile)
  std::vector<ReadState> read_states;  // answered reads since the last (re)start
  MemorySnapshotSource images;         // what the node streams to lagging followers
  SnapshotAssembler staging;           // an image being received (volatile)
  LogIndex commit_checked = 0;         // committed prefix already cross-checked
  bool invariant_reported = false;     // invariant_failure() already in violations()
  int restarts = 0;
  bool hold_next_ready = false;  // the next Ready stays unwritten until release_ready()
  std::optional<Ready> held;     // a Ready being "written": the node takes inputs meanwhile
};

class Cluster {
 public:
  explicit Cluster(const ClusterOptions& options) : seed_(options.seed) {
    const NodeId total = static_cast<NodeId>(options.voters + options.observers);
    std::vector<NodeId> voters, observers;
    for (NodeId id = 1; id <= total; ++id) {
      (id <= options.voters ? voters : observers).push_back(id);
    }
    for (NodeId id = 1; id <= total; ++id) {
      Replica& replica = replicas_[id];
      replica.config.id = id;
      replica.config.voters = voters;
      replica.config.observers = observers;
      if (options.tweak) options.tweak(replica.config);
      start(id);
    }
  }

  Cluster(size_t voters, size_t observers = 0, ConfigTweak tweak = {})
      : Cluster(ClusterOptions{voters, observers, 1, std::move(tweak)}) {}

  // ----- Membership and inspection -----------------------------------------

  std::vector<NodeId> ids() const {
    std::vector<NodeId> out;
    for (const auto& [id, replica] : replicas_) out.push_back(id);
    return out;
  }
  std::vector<NodeId> up_ids() const {
    std::vector<NodeId> out;
    for (const auto& [id, replica] : replicas_) {
      if (replica.node) out.push_back(id);
    }
    return out;
  }
  bool is_up(NodeId id) const { return replicas_.at(id).node != nullptr; }
  Node& node(NodeId id) { return *replicas_.at(id).node; }
  Replica& replica(NodeId id) { return replicas_.at(id); }
  const PersistentState& disk(NodeId id) const { return replicas_.at(id).disk; }
  const std::vector<Entry>& applied(NodeId id) const { return replicas_.at(id).applied; }
  const std::vector<ReadState>& read_states(NodeId id) const {
    return replicas_.at(id).read_states;
  }

  // The payloads of the data entries a node has applied, in order.
  std::vector<std::string> applied_data(NodeId id) const {
    std::vector<std::string> out;
    for (const Entry& entry : applied(id)) {
      if (entry.type == EntryType::kData) out.push_back(entry.data);
    }
    return out;
  }

  // The entries a node holds in memory, first_index()..last_index().
  std::vector<Entry> log_of(NodeId id) {
    std::vector<Entry> out;
    Node& n = node(id);
    for (LogIndex index = n.first_index(); index <= n.last_index(); ++index) {
      if (const Entry* entry = n.entry_at(index)) out.push_back(*entry);
    }
    return out;
  }

  // (index, zxid) of every position a node can name, snapshot point included;
  // comparing these compares logs across nodes compacted at different points.
  std::vector<std::pair<LogIndex, Zxid>> zxids_of(NodeId id, LogIndex from) {
    std::vector<std::pair<LogIndex, Zxid>> out;
    Node& n = node(id);
    for (LogIndex index = from; index <= n.last_index(); ++index) {
      out.emplace_back(index, n.zxid_at(index).value_or(0));
    }
    return out;
  }

  // The leader of the highest epoch among running nodes, if any.
  std::optional<NodeId> leader() const {
    std::optional<NodeId> best;
    Epoch best_epoch = 0;
    for (const auto& [id, replica] : replicas_) {
      if (!replica.node || replica.node->role() != Role::kLeader) continue;
      if (!best || replica.node->epoch() > best_epoch) {
        best = id;
        best_epoch = replica.node->epoch();
      }
    }
    return best;
  }
  std::optional<NodeId> established_leader() const {
    const auto id = leader();
    if (id && replicas_.at(*id).node->epoch_established()) return id;
    return std::nullopt;
  }
  size_t count_role(Role role) const {
    size_t count = 0;
    for (const auto& [id, replica] : replicas_) {
      if (replica.node && replica.node->role() == role) ++count;
    }
    return count;
  }

  // ----- Inputs ------------------------------------------------------------
  // propose() and read_index() leave the output pending so that a test can
  // batch many inputs into one Ready; everything else flushes.

  ProposeResult propose(NodeId id, std::string data) { return node(id).propose(std::move(data)); }
  void read_index(NodeId id, uint64_t context) { node(id).read_index(context); }

  void tick(NodeId id) {
    node(id).tick();
    flush(id);
  }
  void tick_all() {
    for (NodeId id : up_ids()) node(id).tick();
    flush_all();
  }
  void tick_all(int times) {
    for (int i = 0; i < times; ++i) tick_all();
  }

  // Snapshots the node's state machine at its applied point, keeping
  // `retain_entries` behind it, and persists that snapshot as a real driver
  // would: the disk log then starts right after it.
  void compact(NodeId id, size_t retain_entries) {
    Replica& replica = replicas_.at(id);
    flush(id);
    const LogIndex applied_index = last_applied_index(replica);
    if (applied_index <= replica.disk.snapshot.last_index) return;
    const std::optional<Zxid> zxid = replica.node->zxid_at(applied_index);
    if (!zxid) return;
    replica.node->compact(applied_index, retain_entries);
    replica.disk.snapshot = Snapshot{applied_index, *zxid, encode_applied(replica.applied)};
    replica.images.set(replica.disk.snapshot);
    std::erase_if(replica.disk.entries,
                  [applied_index](const Entry& entry) { return entry.index <= applied_index; });
    flush(id);
  }

  // ----- Carrying out Ready --------------------------------------------------

  void flush(NodeId id) {
    Replica& replica = replicas_.at(id);
    if (!replica.node) return;
    constexpr int kMaxReadiesInARow = 1000;
    int readies = 0;
    while (!replica.held && replica.node->has_ready()) {
      if (++readies > kMaxReadiesInARow) {
        violation(id, "has_ready() stays true: Ready never drains");
        return;
      }
      if (replica.hold_next_ready) {
        // As a runtime that syncs on another thread: the early messages
        // leave, the rest waits for the write, and inputs go on meanwhile.
        replica.hold_next_ready = false;
        replica.held = replica.node->ready();
        for (Message& message : replica.held->early_messages) send(id, std::move(message));
        replica.held->early_messages.clear();
        break;
      }
      finish_ready(id, replica, replica.node->ready());
    }
    check_node(id);
  }
  // The node's next Ready is taken but not written until release_ready(id).
  void hold_next_ready(NodeId id) { replicas_.at(id).hold_next_ready = true; }
  bool holds_ready(NodeId id) const { return replicas_.at(id).held.has_value(); }
  // Writes the held Ready and carries out the rest of it; the next flush
  // takes the next one.
  void release_ready(NodeId id) {
    Replica& replica = replicas_.at(id);
    if (!replica.held) return;
    Ready ready = std::move(*replica.held);
    replica.held.reset();
    finish_ready(id, replica, std::move(ready));
  }
  void flush_all() {
    for (NodeId id : up_ids()) flush(id);
  }

  // ----- Network -----------------------------------------------------------

  std::deque<Message>& in_flight() { return in_flight_; }
  size_t sent_count(MessageType type) const {
    const auto it = sent_by_type_.find(type);
    return it == sent_by_type_.end() ? 0 : it->second;
  }
  // Logs every send, delivery and loss to `out` (nullptr: quiet). For
  // debugging a failing scenario.
  void set_trace(std::ostream* out) { trace_ = out; }
  // Applied to every message just before it is delivered; empty to stop.
  void set_in_transit_edit(InTransitEdit edit) { in_transit_edit_ = std::move(edit); }
  // Called for every message a node sends, before it is queued.
  void set_send_observer(std::function<void(const Message&)> observer) {
    send_observer_ = std::move(observer);
  }

  void cut(NodeId a, NodeId b) {
    cut_links_.insert({a, b});
    cut_links_.insert({b, a});
  }
  void isolate(NodeId id) {
    for (NodeId other : ids()) {
      if (other != id) cut(id, other);
    }
  }
  // Nodes in different groups cannot talk; nodes in no group keep all links.
  void partition(const std::vector<std::vector<NodeId>>& groups) {
    for (size_t g = 0; g < groups.size(); ++g) {
      for (size_t h = 0; h < groups.size(); ++h) {
        if (g == h) continue;
        for (NodeId a : groups[g]) {
          for (NodeId b : groups[h]) cut(a, b);
        }
      }
    }
  }
  void heal() { cut_links_.clear(); }
  bool linked(NodeId from, NodeId to) const { return !cut_links_.contains({from, to}); }

  // Delivers (or loses, if the link is cut, the target is down or `drop` says
  // so) the k-th queued message. Returns false if there is no such message.
  bool deliver_at(size_t k, const DropFilter& drop = {}) {
    if (k >= in_flight_.size()) return false;
    Message message = std::move(in_flight_[k]);
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(k));
    const bool kept = !in_transit_edit_ || in_transit_edit_(message);
    const bool lost = !kept || !linked(message.from, message.to) ||
                      !replicas_.contains(message.to) || !is_up(message.to) ||
                      (drop && drop(message));
    if (trace_) *trace_ << (lost ? "lose " : "deliver ") << describe(message) << "\n";
    if (lost) return true;
    const NodeId to = message.to;
    node(to).step(message);
    flush(to);
    return true;
  }
  void drop_at(size_t k) {
    if (k < in_flight_.size())
      in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(k));
  }
  void duplicate_at(size_t k) {
    if (k < in_flight_.size()) in_flight_.push_back(in_flight_[k]);
  }

  // Delivers queued messages in order, and whatever they cause, until the
  // network is empty. Returns how many messages were taken off the queue.
  size_t deliver_all(const DropFilter& drop = {}) {
    constexpr size_t kMaxMessages = 50'000;
    size_t taken = 0;
    flush_all();
    while (!in_flight_.empty()) {
      if (++taken > kMaxMessages) {
        violation(kNoNode, "the network never goes quiet");
        break;
      }
      deliver_at(0, drop);
    }
    return taken;
  }

  // ----- Failures ------------------------------------------------------------

  // Loses everything but the disk; messages already sent stay in flight.
  void crash(NodeId id) {
    Replica& replica = replicas_.at(id);
    replica.node.reset();
    replica.held.reset();  // its write never happened
    replica.hold_next_ready = false;
    replica.applied.clear();
    replica.read_states.clear();
    replica.commit_checked = 0;
  }
  // The node's log and state are lost and it starts over empty, to be
  // rebuilt from its peers (consensus::rebuilt_hard_state).
  void rebuild(NodeId id) {
    if (is_up(id)) crash(id);
    Replica& replica = replicas_.at(id);
    replica.disk = PersistentState{rebuilt_hard_state(replica.disk.hard_state), {}, {}};
    restart(id);
  }
  void restart(NodeId id) {
    Replica& replica = replicas_.at(id);
    if (replica.node) return;
    ++replica.restarts;
    start(id);
  }

  // ----- Drivers -------------------------------------------------------------

  // Ticks and delivers until a leader with an established epoch exists.
  std::optional<NodeId> run_until_leader(int max_rounds = 500, const DropFilter& drop = {}) {
    for (int round = 0; round < max_rounds; ++round) {
      deliver_all(drop);
      if (const auto id = established_leader()) return id;
      tick_all();
    }
    return established_leader();
  }

  // Ticks and delivers until `candidate` leads, with every other node's vote
  // requests lost, so the election's winner is chosen by the test.
  bool elect(NodeId candidate, int max_rounds = 500, const DropFilter& drop = {}) {
    const DropFilter only_candidate_campaigns = [candidate, &drop](const Message& message) {
      if (is_vote_request(message) && message.from != candidate) return true;
      return drop && drop(message);
    };
    for (int round = 0; round < max_rounds; ++round) {
      deliver_all(only_candidate_campaigns);
      if (is_up(candidate) && node(candidate).role() == Role::kLeader) return true;
      tick_all();
    }
    return false;
  }

  // Rounds of "tick everyone, deliver everything": lets heartbeats carry the
  // commit index to followers and lagging nodes catch up.
  void settle(int rounds = 5, const DropFilter& drop = {}) {
    for (int round = 0; round < rounds; ++round) {
      tick_all();
      deliver_all(drop);
    }
  }

  // ----- Safety observations -------------------------------------------------

  const std::vector<std::string>& violations() const { return violations_; }
  // Readies handed out although they asked for nothing: wasted driver work.
  size_t empty_readies() const { return empty_readies_; }
  const std::map<Epoch, NodeId>& leaders_by_epoch() const { return leaders_by_epoch_; }
  // Every entry any node has ever called committed, by index.
  const std::map<LogIndex, Entry>& committed() const { return committed_; }

  // Leader completeness, checked on what is durable: any voter whose stored
  // log is at least as up to date as the logs of a quorum of voters (itself
  // included) could win an election, so it must already hold every committed
  // entry. An entry committed too early (Raft's Figure 8) breaks this the
  // moment it is counted, long before a later leader overwrites it.
  void check_electable_voters_hold_committed() {
    const std::vector<NodeId>& voters = replicas_.begin()->second.config.voters;
    const size_t quorum = voters.size() / 2 + 1;
    for (NodeId candidate : voters) {
      const PersistentState& mine = replicas_.at(candidate).disk;
      size_t supporters = 0;
      for (NodeId voter : voters) {
        supporters += at_least_as_up_to_date(mine, replicas_.at(voter).disk);
      }
      if (supporters < quorum) continue;
      for (const auto& [index, entry] : committed_) {
        if (disk_holds(mine, index, entry.zxid)) continue;
        violation(candidate,
                  "could still be elected without committed " + describe(index, entry.zxid));
        break;
      }
    }
  }

  // A committed entry must stay on the disks of a quorum of voters (in the log
  // or covered by a snapshot): otherwise a later leader could lose it.
  void check_committed_durable() {
    const size_t quorum = replicas_.begin()->second.config.voters.size() / 2 + 1;
    for (const auto& [index, entry] : committed_) {
      size_t holders = 0;
      for (NodeId voter : replicas_.begin()->second.config.voters) {
        if (disk_holds(replicas_.at(voter).disk, index, entry.zxid)) ++holders;
      }
      if (holders < quorum) {
        violation(kNoNode, "committed entry " + describe(index, entry.zxid) + " is on only " +
                               std::to_string(holders) + " voters' disks");
      }
    }
  }

 private:
  void start(NodeId id) {
    Replica& replica = replicas_.at(id);
    // A different seed per incarnation, still a pure function of the history.
    replica.config.random_seed =
        seed_ * 7919 + id * 104729 + static_cast<uint64_t>(replica.restarts);
    replica.images.clear();
    replica.images.set(replica.disk.snapshot);
    replica.staging.clear();
    replica.config.snapshot_source = &replica.images;
    replica.node = std::make_unique<Node>(replica.config, replica.disk);
    replica.applied = decode_applied(replica.disk.snapshot.data);
    replica.commit_checked = replica.disk.snapshot.last_index;
    replica.invariant_reported = false;
    flush(id);
  }

  static LogIndex last_applied_index(const Replica& replica) {
    return replica.applied.empty() ? replica.disk.snapshot.last_index
                                   : replica.applied.back().index;
  }

  // The stored entry at `index`, if any (stored entries are dense after the
  // snapshot, which persist_entries checks).
  static const Entry* stored_entry(const PersistentState& disk, LogIndex index) {
    if (index <= disk.snapshot.last_index) return nullptr;
    const LogIndex offset = index - disk.snapshot.last_index - 1;
    if (offset >= disk.entries.size()) return nullptr;
    const Entry& entry = disk.entries[offset];
    return entry.index == index ? &entry : nullptr;
  }

  static std::pair<Zxid, LogIndex> last_of(const PersistentState& disk) {
    if (disk.entries.empty()) return {disk.snapshot.last_zxid, disk.snapshot.last_index};
    return {disk.entries.back().zxid, disk.entries.back().index};
  }
  // The vote rule: the later last zxid wins, then the longer log.
  static bool at_least_as_up_to_date(const PersistentState& candidate,
                                     const PersistentState& voter) {
    return last_of(candidate) >= last_of(voter);
  }

  static bool disk_holds(const PersistentState& disk, LogIndex index, Zxid zxid) {
    if (index <= disk.snapshot.last_index) return true;
    const Entry* entry = stored_entry(disk, index);
    return entry != nullptr && entry->zxid == zxid;
  }

  void finish_ready(NodeId id, Replica& replica, Ready ready) {
    if (is_empty(ready)) ++empty_readies_;
    for (Message& message : ready.early_messages) send(id, std::move(message));
    if (ready.hard_state) persist_hard_state(id, replica, *ready.hard_state);
    for (const SnapshotChunk& chunk : ready.snapshot_chunks) replica.staging.add(chunk);
    if (ready.snapshot) {
      ready.snapshot->data = replica.staging.take();
      persist_snapshot(replica, *ready.snapshot);
    }
    if (!ready.entries.empty()) persist_entries(id, replica, ready.entries);
    for (Message& message : ready.messages) send(id, std::move(message));
    if (ready.snapshot) {
      replica.applied = decode_applied(ready.snapshot->data);
      replica.images.set(*ready.snapshot);
    }
    for (const Entry& entry : ready.committed) apply_entry(id, replica, entry);
    for (const ReadState& read : ready.read_states) answer_read(replica, read);
    replica.node->advance(ready);
  }

  static bool is_empty(const Ready& ready) {
    return !ready.hard_state && !ready.snapshot && ready.snapshot_chunks.empty() &&
           ready.entries.empty() && ready.messages.empty() && ready.early_messages.empty() &&
           ready.committed.empty() && ready.read_states.empty();
  }

  void persist_hard_state(NodeId id, Replica& replica, const HardState& next) {
    const HardState& previous = replica.disk.hard_state;
    if (next.epoch < previous.epoch) violation(id, "hard state epoch went backwards");
    if (next.epoch == previous.epoch && previous.voted_for != kNoNode &&
        next.voted_for != previous.voted_for) {
      violation(id, "changed its vote within epoch " + std::to_string(next.epoch));
    }
    replica.disk.hard_state = next;
  }

  // The stored log keeps the entries after the snapshot only if it already
  // agrees with the snapshot's last entry; otherwise that tail is stale.
  static void persist_snapshot(Replica& replica, const Snapshot& snapshot) {
    PersistentState& disk = replica.disk;
    const bool tail_agrees = disk_holds_exact(disk, snapshot.last_index, snapshot.last_zxid);
    disk.snapshot = snapshot;
    if (tail_agrees) {
      std::erase_if(disk.entries,
                    [&snapshot](const Entry& entry) { return entry.index <= snapshot.last_index; });
    } else {
      disk.entries.clear();
    }
  }
  static bool disk_holds_exact(const PersistentState& disk, LogIndex index, Zxid zxid) {
    if (index == disk.snapshot.last_index) return disk.snapshot.last_zxid == zxid;
    const Entry* entry = stored_entry(disk, index);
    return entry != nullptr && entry->zxid == zxid;
  }

  void persist_entries(NodeId id, Replica& replica, const std::vector<Entry>& entries) {
    std::vector<Entry>& stored = replica.disk.entries;
    const LogIndex from = entries.front().index;
    if (from <= replica.disk.snapshot.last_index) {
      violation(id, "Ready entries start at " + std::to_string(from) + ", inside the snapshot");
    }
    std::erase_if(stored, [from](const Entry& entry) { return entry.index >= from; });
    const LogIndex expected =
        stored.empty() ? replica.disk.snapshot.last_index + 1 : stored.back().index + 1;
    if (from != expected) {
      violation(id, "Ready entries start at " + std::to_string(from) + ", expected " +
                        std::to_string(expected) + ": the log would have a hole");
    }
    Zxid previous_zxid = stored.empty() ? replica.disk.snapshot.last_zxid : stored.back().zxid;
    LogIndex previous_index = from - 1;
    for (const Entry& entry : entries) {
      if (entry.index != previous_index + 1) violation(id, "log indices are not dense");
      if (entry.zxid <= previous_zxid && previous_index > 0) {
        violation(id, "zxids do not increase at index " + std::to_string(entry.index));
      }
      previous_index = entry.index;
      previous_zxid = entry.zxid;
      stored.push_back(entry);
    }
  }

  void send(NodeId id, Message message) {
    if (message.from != id) violation(id, "sent a message with from != its id");
    check_promises_synced(id, message);
    if (trace_) *trace_ << "send " << describe(message) << "\n";
    ++sent_by_type_[message.type];
    if (send_observer_) send_observer_(message);
    in_flight_.push_back(std::move(message));
  }

  // A granted vote and an acknowledged append are promises about the
  // sender's disk: they may leave only once the disk holds what they promise
  // (a Ready's early messages go before its sync, so this catches a promise
  // among them).
  void check_promises_synced(NodeId id, const Message& message) {
    const PersistentState& disk = replicas_.at(id).disk;
    if (message.type == MessageType::kVoteResponse && !message.reject &&
        (disk.hard_state.epoch != message.epoch || disk.hard_state.voted_for != message.to)) {
      violation(id, "granted a vote in epoch " + std::to_string(message.epoch) +
                        " before its disk held it");
    }
    if (message.type == MessageType::kAppendResponse && !message.reject) {
      const LogIndex stored =
          disk.entries.empty() ? disk.snapshot.last_index : disk.entries.back().index;
      if (message.match_index > stored) {
        violation(id, "acknowledged index " + std::to_string(message.match_index) + " with only " +
                          std::to_string(stored) + " on disk");
      }
    }
  }

  void apply_entry(NodeId id, Replica& replica, const Entry& entry) {
    const LogIndex expected = last_applied_index(replica) + 1;
    if (entry.index != expected) {
      violation(id, "applied index " + std::to_string(entry.index) + ", expected " +
                        std::to_string(expected));
    }
    record_committed(id, entry);
    replica.applied.push_back(entry);
  }

  // A read index may be ahead of what this node has applied (a follower's
  // usually is); a real driver holds the read until it catches up, and tests
  // check that it does.
  static void answer_read(Replica& replica, const ReadState& read) {
    replica.read_states.push_back(read);
  }

  void record_committed(NodeId id, const Entry& entry) {
    const auto [it, inserted] = committed_.emplace(entry.index, entry);
    if (!inserted && it->second != entry) {
      violation(id, "committed " + describe(entry.index, entry.zxid) + " but " +
                        describe(entry.index, it->second.zxid) +
                        (it->second.zxid == entry.zxid ? " with other data" : "") +
                        " was committed before");
    }
  }

  // Where the entry itself is gone (the snapshot point), only its zxid is known.
  void record_committed_zxid(NodeId id, LogIndex index, Zxid zxid) {
    const auto it = committed_.find(index);
    if (it != committed_.end() && it->second.zxid != zxid) {
      violation(id, "commit point " + describe(index, zxid) + " but " +
                        describe(index, it->second.zxid) + " was committed before");
    }
  }

  // Invariants of one node's visible state, checked after each Ready round.
  void check_node(NodeId id) {
    Replica& replica = replicas_.at(id);
    Node& n = *replica.node;
    check_single_leader(id, n);
    if (!n.invariant_failure().empty() && !replica.invariant_reported) {
      replica.invariant_reported = true;
      violation(id, "core invariant failure: " + n.invariant_failure());
    }
    if (n.commit_index() > n.last_index()) {
      violation(id, "commit index " + std::to_string(n.commit_index()) + " beyond last index " +
                        std::to_string(n.last_index()));
    }
    const LogIndex disk_last = replica.disk.entries.empty() ? replica.disk.snapshot.last_index
                                                            : replica.disk.entries.back().index;
    // (While a Ready is being written the node may hold more than its disk.)
    if (!replica.held && n.last_index() != disk_last) {
      violation(id, "in-memory last index " + std::to_string(n.last_index()) +
                        " differs from the persisted " + std::to_string(disk_last) +
                        " after a full Ready round");
    }
    check_committed_prefix(id, replica, n);
  }

  void check_single_leader(NodeId id, const Node& n) {
    if (n.role() != Role::kLeader) return;
    const auto [it, inserted] = leaders_by_epoch_.emplace(n.epoch(), id);
    if (!inserted && it->second != id) {
      violation(id, "second leader of epoch " + std::to_string(n.epoch()) + " (first was " +
                        std::to_string(it->second) + ")");
    }
  }

  // Everything up to the node's commit index is, by its own claim, committed:
  // it must agree with every other claim made at the same index.
  void check_committed_prefix(NodeId id, Replica& replica, Node& n) {
    const LogIndex commit = std::min(n.commit_index(), n.last_index());
    if (commit < replica.commit_checked) replica.commit_checked = 0;
    for (LogIndex index = std::max(replica.commit_checked + 1, n.first_index()); index <= commit;
         ++index) {
      if (const Entry* entry = n.entry_at(index)) {
        record_committed(id, *entry);
      } else if (const std::optional<Zxid> zxid = n.zxid_at(index)) {
        record_committed_zxid(id, index, *zxid);
      }
    }
    replica.commit_checked = std::max(replica.commit_checked, commit);
  }

  static std::string describe(const Message& m) {
    std::ostringstream out;
    out << message_type_name(m.type) << " " << m.from << "->" << m.to << " epoch " << m.epoch
        << " prev " << m.prev_index << " entries " << m.entries.size() << " commit "
        << m.commit_index << " match " << m.match_index << " hint " << m.hint_index
        << (m.reject ? " reject" : "");
    return out.str();
  }

  static std::string describe(LogIndex index, Zxid zxid) {
    std::ostringstream out;
    out << "index " << index << " zxid " << epoch_of(zxid) << ":" << counter_of(zxid);
    return out.str();
  }

  void violation(NodeId id, const std::string& what) {
    violations_.push_back("node " + std::to_string(id) + ": " + what);
  }

  uint64_t seed_;
  std::map<NodeId, Replica> replicas_;
  std::deque<Message> in_flight_;
  std::set<std::pair<NodeId, NodeId>> cut_links_;
  std::map<MessageType, size_t> sent_by_type_;
  std::function<void(const Message&)> send_observer_;
  InTransitEdit in_transit_edit_;
  std::ostream* trace_ = nullptr;
  std::vector<std::string> violations_;
  size_t empty_readies_ = 0;
  std::map<Epoch, NodeId> leaders_by_epoch_;
  std::map<LogIndex, Entry> committed_;
};

// For gtest failure messages: every violation on its own line.
inline std::string describe_violations(const Cluster& cluster) {
  std::string out;
  for (const std::string& line : cluster.violations()) out += line + "\n";
  return out;
}

}  // namespace warden::consensus::testing
