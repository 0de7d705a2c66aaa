// consensus::Node — one member's decision logic for the replicated log:
// Multi-Paxos with a stable leader, in ZAB's form (epochs, zxids, a new leader
// syncs a quorum to its history before it proposes). See docs/ARCHITECTURE.md.
//
// Sans-IO: the node reads no clock, touches no disk or socket, makes no thread.
// Its driver (sim::NodeHost in the simulator, the runtime in net/) feeds it
// inputs and carries out what it asks, in the order etcd's raft "Ready" loop
// uses:
//
//   while (true) {
//     feed inputs: tick(), step(message), propose(data), read_index(ctx)
//     if (node.has_ready()) {
//       Ready r = node.ready();
//       send r.early_messages (a leader's replication of its own log);
//       persist r.hard_state (if set); stage r.snapshot_chunks; if
//         r.snapshot is set, the staged image is complete: it replaces the
//         whole stored log; r.entries (truncating the stored log from
//         r.entries[0].index first); and sync;
//       send r.messages;
//       install the staged image into the state machine (if r.snapshot),
//         then apply r.committed in order;
//       answer r.read_states once the state machine has applied their index;
//       node.advance(r);
//     }
//   }
//
// Between ready() and advance() (while r is written and synced) the driver
// may go on feeding inputs: what they change, and the messages they make,
// wait for the next Ready, which it takes only after advance(r). A driver
// that syncs on another thread keeps serving meanwhile so, and the next
// Ready carries everything that came during the sync (group commit).
// compact() waits for advance(), as ready() does (asserted).
// Single-threaded: one Node belongs to one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "consensus/message.h"
#include "consensus/snapshot_image.h"
#include "consensus/types.h"

namespace warden::consensus {

// Deliberate defects, switched on only by the simulator's --inject-bug to prove
// that its checkers catch them. Never set outside tests.
enum class PlantedBug : uint8_t {
  kNone = 0,
  kVoteTwice,              // grants a second vote in the same epoch
  kCommitWithoutQuorum,    // leader commits an entry once it alone has it
  kVoteIgnoresLog,         // grants votes to candidates with an older log
  kCommitOldEpochByCount,  // counts old-epoch entries committed by replica count
};

// A follower that lost its leader's connection campaigns within this many
// ticks (Node::peer_connection_lost).
inline constexpr int kQuickElectionTicks = 3;
// Compacted entries freed per compact() or advance() (about 0.7 ms of
// frees, cache misses mostly; see Node::compact).
inline constexpr size_t kEntriesFreedPerStep = 4096;

struct Config {
  NodeId id = kNoNode;
  std::vector<NodeId> voters;     // includes `id` unless it is an observer
  std::vector<NodeId> observers;  // receive the log, never vote or count

  // Time is measured in ticks; the driver decides how long a tick is.
  int election_timeout_ticks = 10;  // randomised in [t, 2t) per election
  int heartbeat_interval_ticks = 1;

  bool pre_vote = true;      // ask before campaigning (see kPreVote)
  bool check_quorum = true;  // leader steps down without quorum contact

  // Batching and pipelining bounds, per follower.
  size_t max_entries_per_append = 256;
  size_t max_bytes_per_append = 1 << 20;
  size_t max_inflight_appends = 16;
  size_t max_snapshot_chunk_bytes = 1 << 20;
  // Where a leader gets the images it streams (see consensus/snapshot_image.h).
  // Owned by the driver; required once the driver calls compact().
  SnapshotSource* snapshot_source = nullptr;
  // Back-pressure on clients: propose() answers kBusy past these.
  size_t max_uncommitted_entries = 10000;
  size_t max_uncommitted_bytes = 64 << 20;
  // Requests (proposals, read-index) a new leader holds until its epoch is
  // established.
  size_t max_pending_requests = 10000;

  // When set, proposals that followers forward reach the leader's driver (as
  // Ready::forwarded) instead of its log: the driver turns each request into
  // the entry it proposes (ZooKeeper's prep step), which only the leader can.
  bool forward_to_driver = false;

  uint64_t random_seed = 0;  // drives election-timeout jitter only
  PlantedBug planted_bug = PlantedBug::kNone;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader, kObserver };
const char* role_name(Role role);

// A completed read-index round: once the local state machine has applied
// `index`, a read issued as `context` may be served from it and is
// linearizable. `ok == false` means no leader could confirm; fail the read.
struct ReadState {
  uint64_t context = 0;
  LogIndex index = 0;
  bool ok = true;
};

struct Ready {
  std::optional<HardState> hard_state;         // persist if set
  std::vector<SnapshotChunk> snapshot_chunks;  // stage, in order
  // Set when the staged image is complete: it replaces the log and the state
  // machine. Carries the image's position; its data is empty (the driver
  // holds the bytes).
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;     // persist (truncate from entries[0].index first)
  std::vector<Message> messages;  // send after persisting
  // A leader's appends, heartbeats and commit notices, from a Ready that
  // changes no hard state: they promise nothing about this node's disk (the
  // leader counts its own entries toward a quorum only once advance() says
  // they are synced), so send them before persisting, and the followers'
  // syncs overlap the leader's own instead of following it.
  std::vector<Message> early_messages;
  std::vector<Entry> committed;        // apply in order after persisting
  std::vector<ReadState> read_states;  // answer after applying up to their index
  std::vector<std::string> forwarded;  // forward_to_driver: requests followers sent
};

enum class ProposeResult : uint8_t {
  kAccepted,  // appended (leader), queued (new leader) or forwarded (follower)
  kNoLeader,  // nobody to send it to; the client should retry elsewhere/later
  kBusy,      // flow control: too much uncommitted, or the leader's queue is full
};

class Node {
 public:
  Node(const Config& config, const PersistentState& recovered);

  // Inputs.
  void tick();
  void step(const Message& message);
  ProposeResult propose(std::string data);
  // Starts a read-index round. The answer arrives later as a ReadState.
  void read_index(uint64_t context);
  // The transport saw the connection from `peer` end (its process or host
  // died, or the connection broke). A follower whose leader that is stops
  // counting on its lease and campaigns within kQuickElectionTicks instead
  // of an election timeout. Safety rests on the votes, never on timing;
  // pre-vote keeps a leader that is in fact alive in place (the members
  // still hearing from it ignore the campaign).
  void peer_connection_lost(NodeId peer);
  // The driver can make images of its state machine at `applied_index`
  // (which must be applied) or later (Config::snapshot_source) and no longer
  // needs entries up to it. Keeps `retain_entries` entries behind it so
  // slightly lagging followers get a diff rather than a full snapshot.
  // The entries it drops are freed kEntriesFreedPerStep at a time, here and
  // at each advance(): freeing 90,000 at once stalled every node ~15 ms.
  void compact(LogIndex applied_index, size_t retain_entries);

  // Output.
  bool has_ready() const;
  Ready ready();
  void advance(const Ready& ready);

  // Introspection, for drivers, metrics and the simulator's checkers.
  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  Epoch epoch() const { return hard_state_.epoch; }
  NodeId voted_for() const { return hard_state_.voted_for; }
  NodeId leader() const { return leader_; }
  LogIndex commit_index() const { return commit_index_; }
  // The last index of this node's log that the driver said is synced (the
  // leader counts itself toward a quorum up to it).
  LogIndex persisted_index() const { return persisted_index_; }
  LogIndex applied_index() const { return applied_index_; }
  LogIndex last_index() const;
  Zxid last_zxid() const;
  // First index still held in memory (earlier ones are compacted).
  LogIndex first_index() const { return log_start_; }
  // Where the log was last compacted or replaced by an image (data empty).
  const Snapshot& snapshot() const { return snapshot_; }
  // Entry at `index` if it is in the in-memory log (not compacted).
  const Entry* entry_at(LogIndex index) const;
  // Zxid at `index`; the snapshot's zxid at snapshot.last_index; nullopt if
  // compacted away or past the end.
  std::optional<Zxid> zxid_at(LogIndex index) const;
  // True once a leader's new-epoch entry has committed, i.e. a quorum has its
  // history and it may propose.
  bool epoch_established() const { return role_ == Role::kLeader && epoch_established_; }
  // A leader's new-epoch entry. Entries before it come from earlier epochs;
  // entries after it are this leader's own proposals.
  LogIndex epoch_start_index() const { return role_ == Role::kLeader ? epoch_start_index_ : 0; }
  bool is_voter() const { return is_voter_; }
  // A rebuilt node that has not yet caught up: it neither votes nor
  // campaigns (HardState::rebuilt_after_epoch).
  bool catching_up() const { return hard_state_.rebuilt_after_epoch != 0; }
  // Non-empty once the node has caught itself breaking one of its own safety
  // invariants (for example, asked to truncate a committed entry). A real
  // runtime must stop the process; the simulator reports it as a violation.
  const std::string& invariant_failure() const { return invariant_failure_; }

 private:
  struct Progress {
    LogIndex match = 0;
    LogIndex next = 1;
    enum class State : uint8_t { kProbe, kReplicate, kSnapshot } state = State::kProbe;
    std::deque<LogIndex> inflight;  // last index of each append not yet acknowledged
    bool probe_sent = false;        // probe state: an append is out, wait for its answer
    int snapshot_pause_ticks = 0;   // snapshot state: ticks without an answer left
    // Snapshot state: the image being sent (kept even if the leader compacts
    // again meanwhile) and the next byte the follower wants.
    std::shared_ptr<SnapshotImage> snapshot_sending;
    uint64_t snapshot_offset = 0;
    LogIndex commit_sent = 0;  // highest commit index told to this peer
    bool recently_active = false;
    bool is_voter = true;
  };
  struct ReadRound {
    uint64_t round_id = 0;       // carried by heartbeats; acks confirm all rounds <= it
    uint64_t context = 0;        // the requester's own id for the read
    NodeId requester = kNoNode;  // kNoNode: this node's own read
    LogIndex index = 0;
    std::vector<NodeId> acks;
  };

  // Role changes.
  void become_follower(Epoch epoch, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void start_election_timer();

  // Handlers.
  void step_vote_request(const Message& m);
  void step_vote_response(const Message& m);
  void step_append(const Message& m);
  void step_append_response(const Message& m);
  void step_heartbeat(const Message& m);
  void step_heartbeat_response(const Message& m);
  void step_snapshot(const Message& m);
  void accept_snapshot_chunk(const Message& m);
  void install_snapshot(LogIndex last_index, Zxid last_zxid, Message& reply);
  void step_snapshot_response(const Message& m);
  void step_forward(const Message& m);
  void step_read_index_request(const Message& m);
  void step_read_index_response(const Message& m);

  // Leader helpers.
  void append_local(EntryType type, std::string data);
  void flush_leader_messages();
  void send_appends(NodeId to, Progress& p, bool allow_empty);
  bool send_one_append(NodeId to, Progress& p, bool allow_empty);
  void send_snapshot(NodeId to, Progress& p);
  bool open_snapshot_image(Progress& p);
  void send_snapshot_chunk(NodeId to, Progress& p);
  void send_commit_notices();
  void send_heartbeats(uint64_t round_id);
  // Largest index <= bound_index whose zxid is <= bound_zxid: the follower's
  // hint when it rejects an Append, and the leader's next probe point.
  LogIndex last_index_at_or_below(LogIndex bound_index, Zxid bound_zxid) const;
  bool maybe_advance_commit();
  void free_compacted_entries();
  void maybe_finish_catching_up();
  void on_epoch_established();
  void start_read_round(uint64_t context, NodeId requester);
  void ack_read_rounds(NodeId from, uint64_t round_id);
  bool in_lease() const;
  // A message from the epoch's leader: it is alive, the election timer
  // starts over.
  void heard_from_leader(NodeId leader);
  void fail_invariant(const std::string& what);
  void append_entry(Entry entry);
  size_t quorum_size() const { return voters_.size() / 2 + 1; }

  bool log_up_to_date(LogIndex last_index, Zxid last_zxid) const;
  bool match_term(LogIndex index, Zxid zxid) const;
  void truncate_after(LogIndex index);
  void send(Message m);
  void set_hard_state(Epoch epoch, NodeId voted_for);
  void reply_read(uint64_t context, NodeId requester, LogIndex index, bool ok);
  void fail_pending_reads();

  Config config_;
  std::vector<NodeId> voters_;
  bool is_voter_ = false;
  std::mt19937_64 random_;

  HardState hard_state_;
  bool hard_state_dirty_ = false;
  Role role_ = Role::kFollower;
  NodeId leader_ = kNoNode;
  // The transport lost the leader's connection since its last message.
  bool leader_connection_lost_ = false;

  Snapshot snapshot_;  // position of the last compaction or installed image
  // Follower: the image being received and how many of its bytes the driver
  // has been handed.
  Snapshot incoming_snapshot_;
  uint64_t incoming_bytes_ = 0;
  std::vector<SnapshotChunk> snapshot_chunks_;  // for the next Ready
  bool snapshot_dirty_ = false;                 // received from a leader; driver must install
  std::deque<Entry> log_;                       // entries [log_start_, last_index()]
  LogIndex log_start_ = 1;
  Zxid zxid_before_log_ = 0;      // zxid of entry log_start_ - 1
  LogIndex free_before_ = 0;      // compacted entries below it are freed a slice at a time
  LogIndex persisted_index_ = 0;  // last index the driver confirmed stable
  LogIndex unstable_from_ = 1;    // first index the driver must (re)write
  LogIndex commit_index_ = 0;
  LogIndex applied_index_ = 0;  // last index handed out as committed
  std::vector<Message> outbox_;
  std::vector<ReadState> read_states_;
  std::vector<std::string> forwarded_;
  bool ready_in_progress_ = false;

  int ticks_since_election_reset_ = 0;  // followers/candidates: since leader contact
  int randomized_election_timeout_ = 0;
  int ticks_since_heartbeat_ = 0;
  int ticks_since_quorum_check_ = 0;

  std::map<NodeId, bool> votes_;  // pre-vote or vote responses of the current round

  // Leader state.
  std::map<NodeId, Progress> progress_;
  bool epoch_established_ = false;
  LogIndex epoch_start_index_ = 0;
  bool broadcast_pending_ = false;
  size_t uncommitted_entries_ = 0;
  size_t uncommitted_bytes_ = 0;
  std::deque<std::string> pending_proposals_;
  std::deque<std::pair<uint64_t, NodeId>> pending_reads_;  // context, requester
  std::deque<ReadRound> read_rounds_;
  uint64_t next_read_round_ = 1;
  bool read_heartbeat_pending_ = false;
  bool commit_notice_pending_ = false;

  std::string invariant_failure_;
};

}  // namespace warden::consensus
