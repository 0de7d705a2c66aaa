// consensus::Node: see node.h for the contract and docs/ARCHITECTURE.md for
// the protocol and why its invariants hold.
#include "consensus/node.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace warden::consensus {

namespace {

// A leader that has used up its zxid counter hands over to a new epoch rather
// than wrap (ZooKeeper does the same).
constexpr uint32_t kLastUsableCounter = std::numeric_limits<uint32_t>::max() - 1;

bool contains(const std::vector<NodeId>& ids, NodeId id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool is_leader_message(MessageType type) {
  return type == MessageType::kAppend || type == MessageType::kHeartbeat ||
         type == MessageType::kSnapshot;
}

}  // namespace

const char* role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
    case Role::kObserver:
      return "observer";
  }
  return "unknown";
}

Node::Node(const Config& config, const PersistentState& recovered)
    : config_(config),
      voters_(config.voters),
      is_voter_(contains(config.voters, config.id)),
      random_(config.random_seed ^ (0x9e3779b97f4a7c15ULL * (config.id + 1))),
      hard_state_(recovered.hard_state),
      snapshot_{recovered.snapshot.last_index, recovered.snapshot.last_zxid, ""} {
  assert(config_.id != kNoNode);
  assert(!voters_.empty());
  assert(config_.election_timeout_ticks > config_.heartbeat_interval_ticks);
  std::sort(voters_.begin(), voters_.end());
  log_start_ = snapshot_.last_index + 1;
  zxid_before_log_ = snapshot_.last_zxid;
  for (const Entry& entry : recovered.entries) {
    // Entries the snapshot already covers are not needed to restart.
    if (entry.index <= snapshot_.last_index) {
      if (entry.index == snapshot_.last_index && entry.zxid != snapshot_.last_zxid) {
        fail_invariant("recovered log disagrees with the snapshot at its last index");
      }
      continue;
    }
    if (entry.index != last_index() + 1 || entry.zxid <= last_zxid()) {
      fail_invariant("recovered log is not contiguous with increasing zxids");
      break;
    }
    log_.push_back(entry);
  }
  persisted_index_ = last_index();
  unstable_from_ = last_index() + 1;
  commit_index_ = snapshot_.last_index;
  applied_index_ = snapshot_.last_index;
  become_follower(hard_state_.epoch, kNoNode);
}

// ---------------------------------------------------------------------------
// Log access

LogIndex Node::last_index() const {
  return log_start_ + log_.size() - 1;
}

Zxid Node::last_zxid() const {
  return log_.empty() ? zxid_before_log_ : log_.back().zxid;
}

const Entry* Node::entry_at(LogIndex index) const {
  if (index < log_start_ || index > last_index()) return nullptr;
  return &log_[index - log_start_];
}

std::optional<Zxid> Node::zxid_at(LogIndex index) const {
  if (index + 1 == log_start_) return zxid_before_log_;
  if (index == snapshot_.last_index) return snapshot_.last_zxid;
  const Entry* entry = entry_at(index);
  if (entry == nullptr) return std::nullopt;
  return entry->zxid;
}

bool Node::match_term(LogIndex index, Zxid zxid) const {
  std::optional<Zxid> have = zxid_at(index);
  return have.has_value() && *have == zxid;
}

bool Node::log_up_to_date(LogIndex candidate_last_index, Zxid candidate_last_zxid) const {
  // Zxids order logs exactly as Raft's (last term, last index) does: a higher
  // epoch wins, and within one epoch the counter grows with the index.
  if (candidate_last_zxid != last_zxid()) return candidate_last_zxid > last_zxid();
  return candidate_last_index >= last_index();
}

// Largest index <= bound_index whose zxid is <= bound_zxid, searching this
// node's log (and the entry before it). Both sides of a probe use it; see
// ARCHITECTURE.md "Finding the common prefix" for why it converges.
LogIndex Node::last_index_at_or_below(LogIndex bound_index, Zxid bound_zxid) const {
  LogIndex high = std::min(bound_index, last_index());
  if (high >= log_start_) {
    // Zxids increase along the log, so binary search the in-memory part.
    auto begin = log_.begin();
    auto end = log_.begin() + static_cast<std::ptrdiff_t>(high - log_start_ + 1);
    auto first_above =
        std::upper_bound(begin, end, bound_zxid, [](Zxid z, const Entry& e) { return z < e.zxid; });
    if (first_above != begin) return std::prev(first_above)->index;
    high = log_start_ - 1;
  }
  // Before the in-memory log only the zxid of entry log_start_ - 1 is known.
  if (high + 1 == log_start_ && zxid_before_log_ <= bound_zxid) return high;
  // The answer lies in the compacted prefix. An index there has no known zxid,
  // which makes a leader fall back to sending its snapshot.
  if (high + 1 == log_start_) return high == 0 ? 0 : high - 1;
  return high;
}

void Node::append_entry(Entry entry) {
  if (entry.index != last_index() + 1 || entry.zxid <= last_zxid()) {
    fail_invariant("append would break the log's dense indexes or increasing zxids");
    return;
  }
  log_.push_back(std::move(entry));
}

void Node::truncate_after(LogIndex index) {
  if (index < commit_index_) {
    fail_invariant("asked to truncate committed entries after index " + std::to_string(index) +
                   " (commit " + std::to_string(commit_index_) + ")");
    commit_index_ = index;
    applied_index_ = std::min(applied_index_, index);
  }
  while (!log_.empty() && log_.back().index > index) log_.pop_back();
  unstable_from_ = std::min(unstable_from_, index + 1);
  persisted_index_ = std::min(persisted_index_, index);
}

void Node::fail_invariant(const std::string& what) {
  if (invariant_failure_.empty()) {
    invariant_failure_ = "node " + std::to_string(config_.id) + ": " + what;
  }
}

// ---------------------------------------------------------------------------
// Roles

void Node::set_hard_state(Epoch epoch, NodeId voted_for) {
  if (epoch < hard_state_.epoch) {
    fail_invariant("epoch would go backwards");
    return;
  }
  if (hard_state_.epoch == epoch && hard_state_.voted_for == voted_for) return;
  hard_state_.epoch = epoch;
  hard_state_.voted_for = voted_for;
  hard_state_dirty_ = true;
}

void Node::start_election_timer() {
  ticks_since_election_reset_ = 0;
  leader_connection_lost_ = false;
  const int base = config_.election_timeout_ticks;
  randomized_election_timeout_ = base + static_cast<int>(random_() % static_cast<uint64_t>(base));
}

void Node::become_follower(Epoch epoch, NodeId leader) {
  const bool was_leader = role_ == Role::kLeader;
  if (epoch > hard_state_.epoch) set_hard_state(epoch, kNoNode);
  role_ = is_voter_ ? Role::kFollower : Role::kObserver;
  leader_ = leader;
  votes_.clear();
  start_election_timer();
  if (was_leader) {
    fail_pending_reads();
    pending_proposals_.clear();
    progress_.clear();
    epoch_established_ = false;
  }
}

void Node::become_pre_candidate() {
  role_ = Role::kPreCandidate;
  leader_ = kNoNode;
  votes_.clear();
  votes_[config_.id] = true;
  start_election_timer();
  if (votes_.size() >= quorum_size()) {
    become_candidate();
    return;
  }
  for (NodeId voter : voters_) {
    if (voter == config_.id) continue;
    Message m;
    m.type = MessageType::kPreVote;
    m.to = voter;
    m.epoch = epoch() + 1;  // the epoch it would campaign in; nobody adopts it
    m.last_index = last_index();
    m.last_zxid = last_zxid();
    send(std::move(m));
  }
}

void Node::become_candidate() {
  role_ = Role::kCandidate;
  leader_ = kNoNode;
  set_hard_state(epoch() + 1, config_.id);
  votes_.clear();
  votes_[config_.id] = true;
  start_election_timer();
  if (votes_.size() >= quorum_size()) {
    become_leader();
    return;
  }
  for (NodeId voter : voters_) {
    if (voter == config_.id) continue;
    Message m;
    m.type = MessageType::kVote;
    m.to = voter;
    m.last_index = last_index();
    m.last_zxid = last_zxid();
    send(std::move(m));
  }
}

void Node::become_leader() {
  role_ = Role::kLeader;
  leader_ = config_.id;
  votes_.clear();
  progress_.clear();
  auto add_peer = [&](NodeId peer, bool voter) {
    if (peer == config_.id) return;
    Progress& p = progress_[peer];
    p.next = last_index() + 1;
    p.is_voter = voter;
  };
  for (NodeId voter : voters_) add_peer(voter, true);
  for (NodeId observer : config_.observers) add_peer(observer, false);
  epoch_established_ = false;
  uncommitted_entries_ = 0;
  uncommitted_bytes_ = 0;
  ticks_since_heartbeat_ = 0;
  ticks_since_quorum_check_ = 0;
  pending_proposals_.clear();
  pending_reads_.clear();
  read_rounds_.clear();
  // ZAB's NEWLEADER: the epoch opens with an entry of its own. Until a quorum
  // holds it (and so the whole history before it), nothing new is proposed.
  append_local(EntryType::kNewEpoch, std::string());
  epoch_start_index_ = last_index();
}

bool Node::in_lease() const {
  if (!config_.check_quorum) return false;
  if (role_ == Role::kLeader) return true;
  return leader_ != kNoNode && !leader_connection_lost_ &&
         ticks_since_election_reset_ < config_.election_timeout_ticks;
}

void Node::heard_from_leader(NodeId leader) {
  leader_ = leader;
  ticks_since_election_reset_ = 0;
  leader_connection_lost_ = false;
}

void Node::peer_connection_lost(NodeId peer) {
  if (role_ != Role::kFollower || peer == kNoNode || peer != leader_) return;
  leader_connection_lost_ = true;
  // Soon, but at a random tick of a few: the other followers lost the same
  // connection at the same moment.
  const int soon = 1 + static_cast<int>(random_() % static_cast<uint64_t>(kQuickElectionTicks));
  randomized_election_timeout_ =
      std::min(randomized_election_timeout_, ticks_since_election_reset_ + soon);
}

// ---------------------------------------------------------------------------
// Inputs

void Node::tick() {
  if (role_ == Role::kLeader) {
    if (++ticks_since_heartbeat_ >= config_.heartbeat_interval_ticks) {
      ticks_since_heartbeat_ = 0;
      send_heartbeats(read_rounds_.empty() ? 0 : read_rounds_.back().round_id);
    }
    for (auto& [peer, p] : progress_) {
      if (p.state == Progress::State::kSnapshot && --p.snapshot_pause_ticks <= 0) {
        p.state = Progress::State::kProbe;
        p.probe_sent = false;
      }
    }
    if (++ticks_since_quorum_check_ >= config_.election_timeout_ticks) {
      ticks_since_quorum_check_ = 0;
      size_t active = 1;  // itself
      for (auto& [peer, p] : progress_) {
        if (p.is_voter && p.recently_active) ++active;
        p.recently_active = false;
      }
      if (config_.check_quorum && active < quorum_size()) become_follower(epoch(), kNoNode);
    }
    return;
  }
  if (role_ == Role::kObserver) {
    ++ticks_since_election_reset_;
    return;
  }
  if (++ticks_since_election_reset_ >= randomized_election_timeout_) {
    if (catching_up()) {
      start_election_timer();  // a rebuilt node waits to be brought up to date
      return;
    }
    if (config_.pre_vote) {
      become_pre_candidate();
    } else {
      become_candidate();
    }
  }
}

void Node::step(const Message& m) {
  // Forwarded proposals and read-index traffic carry no epoch: they are
  // requests between members, not claims about leadership.
  if (m.epoch != 0 && m.epoch > epoch()) {
    const bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
    // A node that has heard from a live leader lately ignores campaigns: a
    // member returning from a partition cannot depose a healthy leader.
    if (vote_request && in_lease()) return;
    const bool keeps_epoch =
        m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResponse && !m.reject);
    if (!keeps_epoch) become_follower(m.epoch, is_leader_message(m.type) ? m.from : kNoNode);
  } else if (m.epoch != 0 && m.epoch < epoch()) {
    if (is_leader_message(m.type)) {
      // Tell a stale leader about the newer epoch so it steps down.
      Message reply;
      reply.type = MessageType::kAppendResponse;
      reply.to = m.from;
      reply.reject = true;
      send(std::move(reply));
    } else if (m.type == MessageType::kPreVote) {
      Message reply;
      reply.type = MessageType::kPreVoteResponse;
      reply.to = m.from;
      reply.reject = true;
      send(std::move(reply));
    }
    return;
  }

  switch (m.type) {
    case MessageType::kPreVote:
    case MessageType::kVote:
      step_vote_request(m);
      break;
    case MessageType::kPreVoteResponse:
    case MessageType::kVoteResponse:
      step_vote_response(m);
      break;
    case MessageType::kAppend:
      step_append(m);
      break;
    case MessageType::kAppendResponse:
      step_append_response(m);
      break;
    case MessageType::kHeartbeat:
      step_heartbeat(m);
      break;
    case MessageType::kHeartbeatResponse:
      step_heartbeat_response(m);
      break;
    case MessageType::kSnapshot:
      step_snapshot(m);
      break;
    case MessageType::kSnapshotResponse:
      step_snapshot_response(m);
      break;
    case MessageType::kForwardProposals:
      step_forward(m);
      break;
    case MessageType::kReadIndex:
      step_read_index_request(m);
      break;
    case MessageType::kReadIndexResponse:
      step_read_index_response(m);
      break;
  }
  if (catching_up()) maybe_finish_catching_up();
}

// A committed entry from an epoch after the rebuild was proposed by a leader
// elected without this node, which held every entry committed before; this
// node's log now holds them too, so its vote can no longer elect a leader
// that lacks one.
void Node::maybe_finish_catching_up() {
  const std::optional<Zxid> committed = zxid_at(commit_index_);
  if (commit_index_ == 0 || !committed || epoch_of(*committed) <= hard_state_.rebuilt_after_epoch) {
    return;
  }
  hard_state_.rebuilt_after_epoch = 0;
  hard_state_dirty_ = true;
}

ProposeResult Node::propose(std::string data) {
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode) return ProposeResult::kNoLeader;
    // Batch with a forward already waiting in this Ready.
    if (!outbox_.empty() && outbox_.back().type == MessageType::kForwardProposals &&
        outbox_.back().to == leader_) {
      outbox_.back().proposals.push_back(std::move(data));
      return ProposeResult::kAccepted;
    }
    Message m;
    m.type = MessageType::kForwardProposals;
    m.to = leader_;
    m.proposals.push_back(std::move(data));
    send(std::move(m));
    return ProposeResult::kAccepted;
  }
  if (!epoch_established_) {
    if (pending_proposals_.size() >= config_.max_pending_requests) return ProposeResult::kBusy;
    pending_proposals_.push_back(std::move(data));
    return ProposeResult::kAccepted;
  }
  if (uncommitted_entries_ >= config_.max_uncommitted_entries ||
      uncommitted_bytes_ >= config_.max_uncommitted_bytes) {
    return ProposeResult::kBusy;
  }
  if (counter_of(last_zxid()) >= kLastUsableCounter) {
    become_follower(epoch(), kNoNode);
    return ProposeResult::kNoLeader;
  }
  append_local(EntryType::kData, std::move(data));
  return ProposeResult::kAccepted;
}

void Node::read_index(uint64_t context) {
  if (role_ == Role::kLeader) {
    if (epoch_established_) {
      start_read_round(context, config_.id);
    } else if (pending_reads_.size() < config_.max_pending_requests) {
      pending_reads_.emplace_back(context, config_.id);
    } else {
      reply_read(context, config_.id, 0, false);
    }
    return;
  }
  if (leader_ == kNoNode || role_ == Role::kCandidate || role_ == Role::kPreCandidate) {
    reply_read(context, config_.id, 0, false);
    return;
  }
  Message m;
  m.type = MessageType::kReadIndex;
  m.to = leader_;
  m.context = context;
  send(std::move(m));
}

void Node::compact(LogIndex applied_index, size_t retain_entries) {
  assert(!ready_in_progress_);
  assert(config_.snapshot_source != nullptr);
  if (applied_index > applied_index_ || applied_index <= snapshot_.last_index) return;
  std::optional<Zxid> zxid = zxid_at(applied_index);
  if (!zxid) return;
  snapshot_ = Snapshot{applied_index, *zxid, ""};
  const LogIndex keep_from =
      applied_index > retain_entries ? applied_index - retain_entries + 1 : 1;
  free_before_ = std::max(free_before_, std::min(keep_from, applied_index + 1));
  free_compacted_entries();
}

// Entries stay in the log, readable, until freed: a log that starts earlier
// than the compaction allows is still a correct log.
void Node::free_compacted_entries() {
  for (size_t freed = 0; freed < kEntriesFreedPerStep; ++freed) {
    if (log_.empty() || log_.front().index >= free_before_) return;
    zxid_before_log_ = log_.front().zxid;
    log_.pop_front();
    ++log_start_;
  }
}

// ---------------------------------------------------------------------------
// Elections

void Node::step_vote_request(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  Message reply;
  reply.type = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  reply.to = m.from;
  bool can_vote;
  if (pre) {
    // A pre-vote is granted for a future epoch, or when this node would vote
    // in the current one anyway.
    can_vote = m.epoch > epoch() ||
               (m.epoch == epoch() &&
                (voted_for() == m.from || (voted_for() == kNoNode && leader_ == kNoNode)));
  } else {
    can_vote = voted_for() == m.from || (voted_for() == kNoNode && leader_ == kNoNode) ||
               config_.planted_bug == PlantedBug::kVoteTwice;
  }
  const bool log_ok = log_up_to_date(m.last_index, m.last_zxid) ||
                      config_.planted_bug == PlantedBug::kVoteIgnoresLog;
  const bool grant = is_voter_ && !catching_up() && contains(voters_, m.from) && can_vote && log_ok;
  reply.reject = !grant;
  if (pre) {
    // Answer in the epoch asked about when granting, so the asker counts it.
    reply.epoch = grant ? m.epoch : epoch();
  } else if (grant) {
    // Persisted (through Ready.hard_state) before the reply leaves.
    set_hard_state(epoch(), m.from);
    start_election_timer();
  }
  send(std::move(reply));
}

void Node::step_vote_response(const Message& m) {
  const bool pre = m.type == MessageType::kPreVoteResponse;
  if (pre ? role_ != Role::kPreCandidate : role_ != Role::kCandidate) return;
  if (!contains(voters_, m.from)) return;
  votes_[m.from] = !m.reject;
  size_t granted = 0;
  size_t rejected = 0;
  for (const auto& [voter, yes] : votes_) (yes ? granted : rejected)++;
  if (granted >= quorum_size()) {
    if (pre) {
      become_candidate();
    } else {
      become_leader();
    }
  } else if (rejected >= quorum_size()) {
    become_follower(epoch(), kNoNode);
  }
}

// ---------------------------------------------------------------------------
// Replication, follower side

void Node::step_append(const Message& m) {
  if (role_ == Role::kLeader) fail_invariant("another leader in my epoch");
  if (role_ != Role::kFollower && role_ != Role::kObserver) become_follower(epoch(), m.from);
  heard_from_leader(m.from);

  Message reply;
  reply.type = MessageType::kAppendResponse;
  reply.to = m.from;
  reply.prev_index = m.prev_index;
  if (m.prev_index < commit_index_) {
    // Everything up to our commit index already matches the leader's log.
    reply.match_index = commit_index_;
    send(std::move(reply));
    return;
  }
  if (!match_term(m.prev_index, m.prev_zxid)) {
    reply.reject = true;
    reply.hint_index = last_index_at_or_below(m.prev_index, m.prev_zxid);
    reply.hint_zxid = zxid_at(reply.hint_index).value_or(0);
    send(std::move(reply));
    return;
  }
  for (const Entry& entry : m.entries) {
    if (entry.index <= last_index()) {
      if (zxid_at(entry.index) == entry.zxid) continue;  // already have it
      truncate_after(entry.index - 1);                   // a divergent tail
    }
    unstable_from_ = std::min(unstable_from_, entry.index);
    append_entry(entry);
  }
  const LogIndex last_new = m.prev_index + m.entries.size();
  commit_index_ = std::max(commit_index_, std::min(m.commit_index, last_new));
  reply.match_index = last_new;
  send(std::move(reply));
}

void Node::step_heartbeat(const Message& m) {
  if (role_ != Role::kFollower && role_ != Role::kObserver) become_follower(epoch(), m.from);
  heard_from_leader(m.from);
  // The leader sends min(its commit, our match), which we hold.
  commit_index_ = std::max(commit_index_, std::min(m.commit_index, last_index()));
  Message reply;
  reply.type = MessageType::kHeartbeatResponse;
  reply.to = m.from;
  reply.context = m.context;
  reply.match_index = last_index();
  send(std::move(reply));
}

void Node::step_snapshot(const Message& m) {
  if (role_ != Role::kFollower && role_ != Role::kObserver) become_follower(epoch(), m.from);
  heard_from_leader(m.from);
  Message reply;
  reply.to = m.from;
  reply.type = MessageType::kAppendResponse;
  const Snapshot& chunk = m.snapshot;
  if (chunk.last_index <= commit_index_) {
    reply.match_index = commit_index_;
  } else if (match_term(chunk.last_index, chunk.last_zxid)) {
    // We already hold that prefix; only the commit point was missing.
    commit_index_ = chunk.last_index;
    reply.match_index = chunk.last_index;
  } else {
    accept_snapshot_chunk(m);
    if (!m.snapshot_last_chunk || incoming_bytes_ != m.snapshot_offset + chunk.data.size()) {
      reply.type = MessageType::kSnapshotResponse;
      reply.match_index = chunk.last_index;
      reply.snapshot_offset = incoming_bytes_;
      send(std::move(reply));
      return;
    }
    install_snapshot(chunk.last_index, chunk.last_zxid, reply);
    incoming_snapshot_ = Snapshot{};
    incoming_bytes_ = 0;
  }
  send(std::move(reply));
}

// Hands the chunk to the driver if it continues the image being received; a
// chunk of another image starts that one over.
void Node::accept_snapshot_chunk(const Message& m) {
  const Snapshot& chunk = m.snapshot;
  if (incoming_snapshot_.last_index != chunk.last_index ||
      incoming_snapshot_.last_zxid != chunk.last_zxid) {
    incoming_snapshot_ = Snapshot{chunk.last_index, chunk.last_zxid, ""};
    incoming_bytes_ = 0;
  }
  if (m.snapshot_offset != incoming_bytes_) return;  // a repeat or a gap: ask again
  if (chunk.data.empty() && !m.snapshot_last_chunk) return;
  snapshot_chunks_.push_back(SnapshotChunk{chunk.last_index, chunk.last_zxid, m.snapshot_offset,
                                           chunk.data, m.snapshot_last_chunk});
  incoming_bytes_ += chunk.data.size();
}

void Node::install_snapshot(LogIndex last_index, Zxid last_zxid, Message& reply) {
  snapshot_ = Snapshot{last_index, last_zxid, ""};
  snapshot_dirty_ = true;
  log_.clear();
  log_start_ = last_index + 1;
  zxid_before_log_ = last_zxid;
  commit_index_ = last_index;
  applied_index_ = last_index;  // the driver installs it with this Ready
  persisted_index_ = last_index;
  unstable_from_ = last_index + 1;
  reply.match_index = last_index;
}

void Node::step_snapshot_response(const Message& m) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& p = it->second;
  p.recently_active = true;
  if (p.state != Progress::State::kSnapshot || !p.snapshot_sending ||
      p.snapshot_sending->last_index() != m.match_index) {
    return;  // an answer about a transfer that is over
  }
  if (m.snapshot_offset <= p.snapshot_offset && m.snapshot_offset != 0) return;  // stale
  p.snapshot_offset = m.snapshot_offset;
  p.snapshot_pause_ticks = config_.election_timeout_ticks;
  send_snapshot_chunk(m.from, p);
}

// ---------------------------------------------------------------------------
// Replication, leader side

void Node::append_local(EntryType type, std::string data) {
  Entry entry;
  entry.index = last_index() + 1;
  // The epoch's first entry has counter 0; the rest follow it one by one.
  entry.zxid = type == EntryType::kNewEpoch ? make_zxid(epoch(), 0) : last_zxid() + 1;
  if (epoch_of(entry.zxid) != epoch()) {
    fail_invariant("leader proposing outside its own epoch");
    return;
  }
  entry.type = type;
  entry.data = std::move(data);
  ++uncommitted_entries_;
  uncommitted_bytes_ += entry.byte_size();
  append_entry(std::move(entry));
  broadcast_pending_ = true;
}

// Sends appends to `to` while the pipeline has room and entries remain.
void Node::send_appends(NodeId to, Progress& p, bool allow_empty) {
  bool first = true;
  while (send_one_append(to, p, first && allow_empty)) first = false;
}

// Returns true if it sent an append carrying entries and could send more.
bool Node::send_one_append(NodeId to, Progress& p, bool allow_empty) {
  if (p.state == Progress::State::kSnapshot) return false;
  if (p.state == Progress::State::kProbe && p.probe_sent) return false;
  if (p.state == Progress::State::kReplicate && p.inflight.size() >= config_.max_inflight_appends) {
    return false;
  }
  const LogIndex prev_index = p.next - 1;
  std::optional<Zxid> prev_zxid = zxid_at(prev_index);
  if (!prev_zxid || prev_index + 1 < log_start_) {
    send_snapshot(to, p);
    return false;
  }
  Message m;
  m.type = MessageType::kAppend;
  m.to = to;
  m.prev_index = prev_index;
  m.prev_zxid = *prev_zxid;
  size_t bytes = 0;
  for (LogIndex i = p.next; i <= last_index(); ++i) {
    const Entry& entry = *entry_at(i);
    if (!m.entries.empty() && (m.entries.size() >= config_.max_entries_per_append ||
                               bytes + entry.byte_size() > config_.max_bytes_per_append)) {
      break;
    }
    bytes += entry.byte_size();
    m.entries.push_back(entry);
  }
  if (m.entries.empty() && !allow_empty) return false;
  const LogIndex last_sent = prev_index + m.entries.size();
  m.commit_index = std::min(commit_index_, last_sent);
  p.commit_sent = std::max(p.commit_sent, m.commit_index);
  const bool sent_entries = !m.entries.empty();
  send(std::move(m));
  if (p.state == Progress::State::kProbe) {
    p.probe_sent = true;
    return false;
  }
  // Replicating: assume it arrives and keep the pipeline full.
  p.next = last_sent + 1;
  if (sent_entries) p.inflight.push_back(last_sent);
  return sent_entries && p.next <= last_index();
}

void Node::send_snapshot(NodeId to, Progress& p) {
  p.state = Progress::State::kSnapshot;
  p.snapshot_pause_ticks = config_.election_timeout_ticks;
  p.inflight.clear();
  // Start from the beginning; a follower that has more says so and we skip on.
  p.snapshot_offset = 0;
  if (!open_snapshot_image(p)) return;  // the pause tick tries again
  send_snapshot_chunk(to, p);
}

// Keeps the image being sent while the log still continues it; otherwise
// asks the driver for a fresh one.
bool Node::open_snapshot_image(Progress& p) {
  if (p.snapshot_sending && p.snapshot_sending->last_index() + 1 >= log_start_) return true;
  p.snapshot_sending.reset();
  if (config_.snapshot_source == nullptr) return false;
  std::shared_ptr<SnapshotImage> image = config_.snapshot_source->open_image();
  if (!image) return false;
  // The image may run ahead of this node's commit index (a driver that
  // restarted holds state the core has yet to re-commit), never past its log.
  if (image->last_index() + 1 < log_start_ || image->last_index() > last_index() ||
      zxid_at(image->last_index()) != image->last_zxid()) {
    fail_invariant("snapshot image does not continue into the leader's log");
    return false;
  }
  p.snapshot_sending = std::move(image);
  return true;
}

void Node::send_snapshot_chunk(NodeId to, Progress& p) {
  SnapshotImage& image = *p.snapshot_sending;
  Message m;
  m.type = MessageType::kSnapshot;
  m.to = to;
  m.snapshot.last_index = image.last_index();
  m.snapshot.last_zxid = image.last_zxid();
  m.snapshot_offset = p.snapshot_offset;
  const size_t chunk_bytes = std::max<size_t>(1, config_.max_snapshot_chunk_bytes);
  if (!image.read(p.snapshot_offset, chunk_bytes, &m.snapshot.data, &m.snapshot_last_chunk)) {
    // The image cannot serve that range any more: the next pause tick starts
    // over with a fresh one.
    p.snapshot_sending.reset();
    return;
  }
  send(std::move(m));
}

// Tells followers about a commit point that no append carried yet: an empty
// append at the follower's known match always fits its log.
void Node::send_commit_notices() {
  for (auto& [peer, p] : progress_) {
    const LogIndex notice = std::min(commit_index_, p.match);
    if (notice <= p.commit_sent || p.state == Progress::State::kSnapshot) continue;
    std::optional<Zxid> zxid = zxid_at(p.match);
    if (!zxid) continue;  // compacted: the next heartbeat carries the commit point
    Message m;
    m.type = MessageType::kAppend;
    m.to = peer;
    m.prev_index = p.match;
    m.prev_zxid = *zxid;
    m.commit_index = notice;
    p.commit_sent = notice;
    send(std::move(m));
  }
}

void Node::send_heartbeats(uint64_t round_id) {
  for (auto& [peer, p] : progress_) {
    Message m;
    m.type = MessageType::kHeartbeat;
    m.to = peer;
    m.commit_index = std::min(commit_index_, p.match);
    m.context = round_id;
    p.commit_sent = std::max(p.commit_sent, m.commit_index);
    send(std::move(m));
  }
}

void Node::step_append_response(const Message& m) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& p = it->second;
  p.recently_active = true;
  if (m.reject) {
    if (m.prev_index < p.match) return;  // stale: it matched further since
    if (p.state == Progress::State::kProbe && m.prev_index + 1 != p.next) return;  // stale probe
    // The common prefix is at or after the follower's match; find a probe
    // point that both logs might share and try again from there.
    const LogIndex probe = std::max(last_index_at_or_below(m.hint_index, m.hint_zxid), p.match);
    p.state = Progress::State::kProbe;
    p.probe_sent = false;
    p.inflight.clear();
    p.next = std::min(probe, last_index()) + 1;
    send_appends(m.from, p, true);
    return;
  }
  if (m.match_index > last_index()) {
    fail_invariant("follower acknowledged entries the leader never had");
    return;
  }
  p.match = std::max(p.match, m.match_index);
  p.next = std::max(p.next, p.match + 1);
  while (!p.inflight.empty() && p.inflight.front() <= m.match_index) p.inflight.pop_front();
  if (p.state == Progress::State::kProbe ||
      (p.state == Progress::State::kSnapshot && p.snapshot_sending &&
       p.match >= p.snapshot_sending->last_index())) {
    p.state = Progress::State::kReplicate;
    p.probe_sent = false;
    p.inflight.clear();
    p.next = p.match + 1;
    p.snapshot_sending.reset();
  }
  if (maybe_advance_commit()) commit_notice_pending_ = true;
  // A follower whose answer came after the quorum's (the commit had moved
  // already) holds entries now known committed; tell it now rather than
  // with the next heartbeat, a tick later, which its clients would wait for.
  if (std::min(commit_index_, p.match) > p.commit_sent) commit_notice_pending_ = true;
  send_appends(m.from, p, false);
}

void Node::step_heartbeat_response(const Message& m) {
  if (role_ != Role::kLeader) return;
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  Progress& p = it->second;
  p.recently_active = true;
  if (m.context != 0 && p.is_voter) ack_read_rounds(m.from, m.context);
  if (p.match >= last_index()) return;
  // The follower lags: un-stall a probe, free a pipeline slot whose answer
  // may have been lost, and resend (an empty append reveals a lost tail).
  if (p.state == Progress::State::kProbe) p.probe_sent = false;
  if (p.state == Progress::State::kReplicate && !p.inflight.empty() &&
      p.inflight.size() >= config_.max_inflight_appends) {
    p.inflight.pop_front();
  }
  send_appends(m.from, p, true);
}

bool Node::maybe_advance_commit() {
  std::vector<LogIndex> matches;
  matches.reserve(voters_.size());
  matches.push_back(persisted_index_);  // the leader counts only what it has synced
  for (const auto& [peer, p] : progress_) {
    if (p.is_voter) matches.push_back(p.match);
  }
  std::sort(matches.begin(), matches.end(), std::greater<>());
  LogIndex candidate = matches[quorum_size() - 1];
  if (config_.planted_bug == PlantedBug::kCommitWithoutQuorum) candidate = persisted_index_;
  if (candidate <= commit_index_) return false;
  // Only an entry of the leader's own epoch commits by counting replicas;
  // older ones commit with it (Raft's Figure 8, ZAB's NEWLEADER).
  const Entry* entry = entry_at(candidate);
  if (entry == nullptr) return false;
  if (epoch_of(entry->zxid) != epoch() &&
      config_.planted_bug != PlantedBug::kCommitOldEpochByCount) {
    return false;
  }
  for (LogIndex i = commit_index_ + 1; i <= candidate; ++i) {
    const Entry* committed = entry_at(i);
    if (committed && epoch_of(committed->zxid) == epoch() && uncommitted_entries_ > 0) {
      --uncommitted_entries_;
      uncommitted_bytes_ -= std::min(uncommitted_bytes_, committed->byte_size());
    }
  }
  commit_index_ = candidate;
  if (!epoch_established_ && commit_index_ >= epoch_start_index_) on_epoch_established();
  return true;
}

// A quorum holds the leader's whole history: release what was held back.
void Node::on_epoch_established() {
  epoch_established_ = true;
  while (!pending_proposals_.empty()) {
    append_local(EntryType::kData, std::move(pending_proposals_.front()));
    pending_proposals_.pop_front();
  }
  while (!pending_reads_.empty()) {
    auto [context, requester] = pending_reads_.front();
    pending_reads_.pop_front();
    start_read_round(context, requester);
  }
}

void Node::step_forward(const Message& m) {
  if (role_ != Role::kLeader) return;  // the sender will time out and retry
  if (config_.forward_to_driver) {
    forwarded_.insert(forwarded_.end(), m.proposals.begin(), m.proposals.end());
    return;
  }
  for (const std::string& proposal : m.proposals) propose(proposal);
}

// ---------------------------------------------------------------------------
// Read index

void Node::start_read_round(uint64_t context, NodeId requester) {
  if (quorum_size() == 1) {
    reply_read(context, requester, commit_index_, true);
    return;
  }
  ReadRound round;
  round.round_id = next_read_round_++;
  round.context = context;
  round.requester = requester;
  round.index = commit_index_;
  round.acks.push_back(config_.id);
  read_rounds_.push_back(std::move(round));
  read_heartbeat_pending_ = true;
}

// A heartbeat answer for round R proves the follower still followed this
// leader after every round up to R began.
void Node::ack_read_rounds(NodeId from, uint64_t round_id) {
  for (ReadRound& round : read_rounds_) {
    if (round.round_id > round_id) break;
    if (!contains(round.acks, from)) round.acks.push_back(from);
  }
  while (!read_rounds_.empty() && read_rounds_.front().acks.size() >= quorum_size()) {
    const ReadRound& done = read_rounds_.front();
    reply_read(done.context, done.requester, done.index, true);
    read_rounds_.pop_front();
  }
}

void Node::step_read_index_request(const Message& m) {
  if (role_ != Role::kLeader) {
    reply_read(m.context, m.from, 0, false);
    return;
  }
  if (epoch_established_) {
    start_read_round(m.context, m.from);
  } else if (pending_reads_.size() < config_.max_pending_requests) {
    pending_reads_.emplace_back(m.context, m.from);
  } else {
    reply_read(m.context, m.from, 0, false);
  }
}

void Node::step_read_index_response(const Message& m) {
  read_states_.push_back(ReadState{m.context, m.commit_index, !m.reject});
}

void Node::reply_read(uint64_t context, NodeId requester, LogIndex index, bool ok) {
  if (requester == config_.id) {
    read_states_.push_back(ReadState{context, index, ok});
    return;
  }
  Message m;
  m.type = MessageType::kReadIndexResponse;
  m.to = requester;
  m.context = context;
  m.commit_index = index;
  m.reject = !ok;
  send(std::move(m));
}

void Node::fail_pending_reads() {
  for (const ReadRound& round : read_rounds_) reply_read(round.context, round.requester, 0, false);
  read_rounds_.clear();
  for (const auto& [context, requester] : pending_reads_) reply_read(context, requester, 0, false);
  pending_reads_.clear();
}

// ---------------------------------------------------------------------------
// Output

void Node::send(Message m) {
  m.from = config_.id;
  const bool epochless = m.type == MessageType::kForwardProposals ||
                         m.type == MessageType::kReadIndex ||
                         m.type == MessageType::kReadIndexResponse;
  if (epochless) {
    m.epoch = 0;
  } else if (m.epoch == 0) {
    m.epoch = epoch();
  }
  outbox_.push_back(std::move(m));
}

void Node::flush_leader_messages() {
  if (role_ != Role::kLeader) return;
  if (broadcast_pending_) {
    broadcast_pending_ = false;
    for (auto& [peer, p] : progress_) send_appends(peer, p, false);
  }
  if (commit_notice_pending_) {
    commit_notice_pending_ = false;
    send_commit_notices();
  }
  if (read_heartbeat_pending_) {
    read_heartbeat_pending_ = false;
    send_heartbeats(read_rounds_.empty() ? 0 : read_rounds_.back().round_id);
  }
}

bool Node::has_ready() const {
  if (hard_state_dirty_ || snapshot_dirty_ || !snapshot_chunks_.empty() || !outbox_.empty() ||
      !read_states_.empty() || !forwarded_.empty()) {
    return true;
  }
  if (unstable_from_ <= last_index() || commit_index_ > applied_index_) return true;
  return role_ == Role::kLeader &&
         (broadcast_pending_ || commit_notice_pending_ || read_heartbeat_pending_);
}

Ready Node::ready() {
  assert(!ready_in_progress_);
  flush_leader_messages();
  Ready r;
  if (hard_state_dirty_) r.hard_state = hard_state_;
  r.snapshot_chunks = std::move(snapshot_chunks_);
  snapshot_chunks_.clear();
  if (snapshot_dirty_) r.snapshot = snapshot_;
  for (LogIndex i = std::max(unstable_from_, log_start_); i <= last_index(); ++i) {
    r.entries.push_back(*entry_at(i));
  }
  // A Ready that changes the hard state (a new epoch, a vote) may carry
  // messages that promise it, so those wait for the sync like a follower's.
  if (role_ == Role::kLeader && !hard_state_dirty_ && !snapshot_dirty_) {
    r.early_messages = std::move(outbox_);
  } else {
    r.messages = std::move(outbox_);
  }
  outbox_.clear();
  for (LogIndex i = applied_index_ + 1; i <= commit_index_; ++i) {
    r.committed.push_back(*entry_at(i));
  }
  r.read_states = std::move(read_states_);
  read_states_.clear();
  r.forwarded = std::move(forwarded_);
  forwarded_.clear();

  hard_state_dirty_ = false;
  snapshot_dirty_ = false;
  unstable_from_ = last_index() + 1;
  applied_index_ = commit_index_;
  ready_in_progress_ = true;
  return r;
}

void Node::advance(const Ready& ready) {
  assert(ready_in_progress_);
  ready_in_progress_ = false;
  // Entries of the Ready that a step() since replaced (a follower's log
  // truncated, an image installed) are not this node's log any more: what
  // replaced them is in the next Ready, below unstable_from_ no further.
  if (!ready.entries.empty()) {
    const LogIndex synced = std::min(ready.entries.back().index, unstable_from_ - 1);
    persisted_index_ = std::max(persisted_index_, synced);
  }
  if (role_ == Role::kLeader && maybe_advance_commit()) commit_notice_pending_ = true;
  free_compacted_entries();
}

}  // namespace warden::consensus
