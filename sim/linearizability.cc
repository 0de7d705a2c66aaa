#include "sim/linearizability.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <map>
#include <span>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace warden::sim {
namespace {

// ---------------------------------------------------------------------------
// The register model, over small integer states.

// States are interned values so that the cache and the step function compare
// integers; 0 is always "absent".
using StateId = int32_t;
constexpr StateId kAbsentState = 0;

class ValueInterner {
 public:
  StateId intern(RegisterValue value) {
    if (!value) return kAbsentState;
    auto [it, inserted] = ids_.try_emplace(*value, static_cast<StateId>(values_.size() + 1));
    if (inserted) values_.push_back(*value);
    return it->second;
  }

  size_t size() const { return values_.size(); }  // states other than absent

  RegisterValue value_of(StateId state) const {
    if (state == kAbsentState) return std::nullopt;
    assert(state > 0 && static_cast<size_t>(state) <= values_.size());
    return values_[state - 1];
  }

 private:
  std::vector<int64_t> values_;  // values_[state - 1] is the value of `state`
  std::unordered_map<int64_t, StateId> ids_;
};

struct ModelOp {
  RegisterOpKind kind = RegisterOpKind::kRead;
  RegisterOutcome outcome = RegisterOutcome::kOk;
  StateId written = kAbsentState;   // kWrite's value, kCas's new value
  StateId expected = kAbsentState;  // kCas's compare value
  StateId observed = kAbsentState;  // kRead's returned value (kOk only)
  bool never_returned = false;      // return_time is kStillOpen
};

// The state `op` leaves when it takes effect on `state`; nullopt when it
// cannot have happened there.
std::optional<StateId> effect(const ModelOp& op, StateId state) {
  switch (op.kind) {
    case RegisterOpKind::kRead:
      if (op.outcome == RegisterOutcome::kUnknown || op.observed == state) return state;
      return std::nullopt;
    case RegisterOpKind::kWrite:
      return op.written;
    case RegisterOpKind::kCas:
      if (op.outcome == RegisterOutcome::kFail) {
        if (state != op.expected) return state;
        return std::nullopt;
      }
      if (state == op.expected) return op.written;
      return std::nullopt;
  }
  return std::nullopt;
}

// The states an op may leave behind when placed on `state`, effect first;
// empty when it cannot be placed there.
struct Successors {
  std::array<StateId, 2> states{};
  int count = 0;

  void add(StateId state) {
    if (count == 1 && states[0] == state) return;
    assert(count < 2);
    states[count++] = state;
  }
};

// An indeterminate op may also have had no effect. For an optional op (one
// that never returned) "no effect" is what leaving it unplaced means, and an
// effect that leaves the state as it was is no different, so only a change of
// state is worth placing it for.
Successors successors(const ModelOp& op, StateId state, bool optional_op) {
  Successors next;
  const std::optional<StateId> after = effect(op, state);
  if (optional_op) {
    if (after && *after != state) next.add(*after);
    return next;
  }
  if (after) next.add(*after);
  if (op.outcome == RegisterOutcome::kUnknown) next.add(state);
  return next;
}

// ---------------------------------------------------------------------------
// Events of one key's ops in real-time order, as a doubly linked list. Placing
// an op lifts its call (and return, if listed) out of the list; backtracking
// puts them back in the same spot.

// Position of each op's call and return in the real-time order. Sorting by
// (time, tier, op, call-before-return) puts, at one instant: returns first
// (so an op that returns at t precedes one called at t), then zero-length ops
// in history order, then calls of ops that last longer.
struct EventRanks {
  std::vector<int32_t> call;
  std::vector<int32_t> ret;
};

EventRanks rank_events(const std::vector<const RegisterOp*>& ops) {
  using EventKey = std::tuple<int64_t, int, size_t, bool>;
  std::vector<EventKey> keys;
  for (size_t i = 0; i < ops.size(); ++i) {
    const RegisterOp& op = *ops[i];
    const bool zero_length = op.call_time == op.return_time;
    keys.emplace_back(op.call_time, zero_length ? 1 : 2, i, false);
    keys.emplace_back(op.return_time, zero_length ? 1 : 0, i, true);
  }
  std::sort(keys.begin(), keys.end());
  EventRanks ranks{std::vector<int32_t>(ops.size()), std::vector<int32_t>(ops.size())};
  for (size_t rank = 0; rank < keys.size(); ++rank) {
    const size_t op = std::get<2>(keys[rank]);
    (std::get<3>(keys[rank]) ? ranks.ret : ranks.call)[op] = static_cast<int32_t>(rank);
  }
  return ranks;
}

using EventId = int32_t;
constexpr EventId kNoEvent = -1;

class EventList {
 public:
  // Lists the calls of `ops`, and their returns too if `with_returns`.
  EventList(const EventRanks& ranks, const std::vector<int32_t>& ops, bool with_returns) {
    std::vector<Node> ordered;
    for (int32_t op : ops) {
      ordered.push_back(Node{.rank = ranks.call[op], .op = op, .is_call = true});
      if (with_returns) ordered.push_back(Node{.rank = ranks.ret[op], .op = op, .is_call = false});
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const Node& a, const Node& b) { return a.rank < b.rank; });
    nodes_.push_back(Node{});  // the head sentinel
    nodes_.insert(nodes_.end(), ordered.begin(), ordered.end());
    std::unordered_map<int32_t, EventId> call_of_op;
    for (EventId event = 0; event < static_cast<EventId>(nodes_.size()); ++event) {
      Node& node = nodes_[event];
      node.prev = event - 1;
      node.next = event + 1 < static_cast<EventId>(nodes_.size()) ? event + 1 : kNoEvent;
      if (event == kHead) continue;
      if (node.is_call) call_of_op[node.op] = event;
      if (!node.is_call) nodes_[call_of_op.at(node.op)].match = event;
    }
  }

  EventId first() const { return nodes_[kHead].next; }
  EventId next(EventId event) const { return nodes_[event].next; }
  bool is_call(EventId event) const { return nodes_[event].is_call; }
  int32_t op_of(EventId event) const { return nodes_[event].op; }
  int32_t rank_of(EventId event) const { return nodes_[event].rank; }

  void lift(EventId call) {
    assert(is_call(call));
    unlink(call);
    if (nodes_[call].match != kNoEvent) unlink(nodes_[call].match);
  }

  // Undoes the matching lift(); lifts and unlifts must nest like brackets.
  void unlift(EventId call) {
    if (nodes_[call].match != kNoEvent) relink(nodes_[call].match);
    relink(call);
  }

  // Where each listed op's call sits, indexed by op.
  std::vector<EventId> calls_by_op(size_t op_count) const {
    std::vector<EventId> calls(op_count, kNoEvent);
    for (EventId event = 1; event < static_cast<EventId>(nodes_.size()); ++event) {
      if (nodes_[event].is_call) calls[nodes_[event].op] = event;
    }
    return calls;
  }

 private:
  struct Node {
    EventId prev = kNoEvent;
    EventId next = kNoEvent;
    EventId match = kNoEvent;  // a call's return event, if listed
    int32_t rank = -1;
    int32_t op = -1;
    bool is_call = false;
  };
  static constexpr EventId kHead = 0;

  void unlink(EventId event) {
    Node& node = nodes_[event];
    nodes_[node.prev].next = node.next;
    if (node.next != kNoEvent) nodes_[node.next].prev = node.prev;
  }

  void relink(EventId event) {
    Node& node = nodes_[event];
    nodes_[node.prev].next = event;
    if (node.next != kNoEvent) nodes_[node.next].prev = event;
  }

  std::vector<Node> nodes_;
};

// ---------------------------------------------------------------------------
// The set of ops placed so far, split in two. "Required" ops must all be
// placed; they are numbered in call order, so the placed ones are a run of
// full words followed by a short ragged window, bounded by how many ops
// overlap. "Optional" ops are the indeterminate ones that never returned; any
// of them may stay unplaced to the end (see ConfigCache for why that matters).

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct OpSlot {
  bool optional = false;
  int32_t index = 0;  // among the required or among the optional ops
};

class PlacedSet {
 public:
  PlacedSet(size_t required_count, size_t optional_count)
      : required_count_(required_count),
        required_((required_count + 63) / 64, 0),
        optional_((optional_count + 63) / 64, 0) {}

  void insert(OpSlot slot) {
    assert(!contains(slot));
    if (slot.optional) return flip(optional_, slot.index);
    flip(required_, slot.index);
    ++required_placed_;
    required_hash_ ^= mix64(static_cast<uint64_t>(slot.index));
    const size_t word = slot.index / 64;
    nonzero_end_ = std::max(nonzero_end_, word + 1);
    while (full_prefix_ < required_.size() && required_[full_prefix_] == ~uint64_t{0}) {
      ++full_prefix_;
    }
  }

  void erase(OpSlot slot) {
    assert(contains(slot));
    if (slot.optional) return flip(optional_, slot.index);
    flip(required_, slot.index);
    --required_placed_;
    required_hash_ ^= mix64(static_cast<uint64_t>(slot.index));
    full_prefix_ = std::min(full_prefix_, static_cast<size_t>(slot.index / 64));
    while (nonzero_end_ > 0 && required_[nonzero_end_ - 1] == 0) --nonzero_end_;
  }

  bool contains(OpSlot slot) const {
    const std::vector<uint64_t>& words = slot.optional ? optional_ : required_;
    return (words[slot.index / 64] >> (slot.index % 64)) & 1;
  }

  bool all_required_placed() const { return required_placed_ == required_count_; }
  uint64_t required_hash() const { return required_hash_; }

  // The required words that vary: all words before are full, all after empty.
  // Together with its start, it identifies the required part exactly.
  size_t window_start() const { return full_prefix_; }
  std::span<const uint64_t> window() const {
    const size_t end = std::max(full_prefix_, nonzero_end_);
    return std::span<const uint64_t>(required_).subspan(full_prefix_, end - full_prefix_);
  }
  const std::vector<uint64_t>& optional_words() const { return optional_; }

 private:
  static void flip(std::vector<uint64_t>& words, int32_t index) {
    words[index / 64] ^= uint64_t{1} << (index % 64);
  }

  size_t required_count_;
  std::vector<uint64_t> required_;
  std::vector<uint64_t> optional_;
  size_t required_placed_ = 0;
  uint64_t required_hash_ = 0;  // XOR of mix64(index) over placed required ops
  size_t full_prefix_ = 0;      // words [0, full_prefix_) are all ones
  size_t nonzero_end_ = 0;      // words [nonzero_end_, end) are all zeros
};

constexpr int32_t kNoOp = -1;

// What, besides the placed set, a configuration consists of: the register's
// state and, in the middle of a run of optional ops, the required op the run
// is there to enable (see KeySearch).
struct ConfigTag {
  StateId state = kAbsentState;
  int32_t target = kNoOp;

  uint64_t packed() const {
    return (static_cast<uint64_t>(static_cast<uint32_t>(state)) << 32) |
           static_cast<uint32_t>(target + 1);
  }
};

// The configurations the search has entered, each (required set, tag) with
// every optional set it came with. Plain memoisation would skip a
// configuration seen before; this also skips one whose optional set is a
// superset of one seen with the same required set and tag. Sound because an
// unplaced optional op can always go last: whatever the superset
// configuration could finish, the subset one could finish too.
class ConfigCache {
 public:
  explicit ConfigCache(size_t optional_words) : optional_words_(optional_words) {}

  // False if the configuration is covered by one entered before; otherwise
  // remembers it and returns true.
  bool enter(const PlacedSet& placed, ConfigTag tag) {
    const uint64_t hash = hash_of(placed, tag);
    if ((record_count_ + 1) * 2 > slots_.size()) grow();
    const size_t slot = find_slot(hash, placed, tag);
    if (slots_[slot] == kEmptySlot) {
      slots_[slot] = append_record(placed, tag);
      slot_hashes_[slot] = hash;
      ++record_count_;
    }
    uint64_t& optional_list = arena_[slots_[slot] + kOptionalListField];
    if (covered_by_subset(optional_list, placed.optional_words())) return false;
    optional_list = append_optional_set(optional_list, placed.optional_words());
    return true;
  }

 private:
  // A record: start, length, tag, head of its optional-set list, window.
  static constexpr size_t kStartField = 0, kLengthField = 1, kTagField = 2, kOptionalListField = 3,
                          kHeaderWords = 4;
  static constexpr uint64_t kEmptySlot = UINT64_MAX;
  static constexpr uint64_t kNoOptionalSet = UINT64_MAX;

  static uint64_t hash_of(const PlacedSet& placed, ConfigTag tag) {
    return placed.required_hash() ^ mix64(~tag.packed());
  }

  size_t find_slot(uint64_t hash, const PlacedSet& placed, ConfigTag tag) const {
    const size_t mask = slots_.size() - 1;
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      if (slots_[slot] == kEmptySlot) return slot;
      if (slot_hashes_[slot] == hash && record_matches(slots_[slot], placed, tag)) return slot;
    }
  }

  bool record_matches(uint64_t record, const PlacedSet& placed, ConfigTag tag) const {
    const std::span<const uint64_t> window = placed.window();
    const uint64_t* stored = &arena_[record];
    return stored[kStartField] == placed.window_start() && stored[kLengthField] == window.size() &&
           stored[kTagField] == tag.packed() &&
           std::equal(window.begin(), window.end(), stored + kHeaderWords);
  }

  uint64_t append_record(const PlacedSet& placed, ConfigTag tag) {
    const uint64_t record = arena_.size();
    const std::span<const uint64_t> window = placed.window();
    arena_.insert(arena_.end(),
                  {placed.window_start(), window.size(), tag.packed(), kNoOptionalSet});
    arena_.insert(arena_.end(), window.begin(), window.end());
    return record;
  }

  bool covered_by_subset(uint64_t list, const std::vector<uint64_t>& optional) const {
    for (; list != kNoOptionalSet; list = optional_sets_[list]) {
      const uint64_t* stored = &optional_sets_[list + 1];
      bool subset = true;
      for (size_t word = 0; word < optional_words_ && subset; ++word) {
        subset = (stored[word] & ~optional[word]) == 0;
      }
      if (subset) return true;
    }
    return false;
  }

  // Entries are [next entry, words...]; returns the new head.
  uint64_t append_optional_set(uint64_t list, const std::vector<uint64_t>& optional) {
    const uint64_t entry = optional_sets_.size();
    optional_sets_.push_back(list);
    optional_sets_.insert(optional_sets_.end(), optional.begin(), optional.end());
    return entry;
  }

  void grow() {
    const size_t new_size = std::max<size_t>(1024, slots_.size() * 2);
    std::vector<uint64_t> old_slots =
        std::exchange(slots_, std::vector<uint64_t>(new_size, kEmptySlot));
    std::vector<uint64_t> old_hashes =
        std::exchange(slot_hashes_, std::vector<uint64_t>(new_size, 0));
    const size_t mask = new_size - 1;
    for (size_t old = 0; old < old_slots.size(); ++old) {
      if (old_slots[old] == kEmptySlot) continue;
      size_t slot = old_hashes[old] & mask;
      while (slots_[slot] != kEmptySlot) slot = (slot + 1) & mask;
      slots_[slot] = old_slots[old];
      slot_hashes_[slot] = old_hashes[old];
    }
  }

  size_t optional_words_;
  std::vector<uint64_t> slots_;  // arena offset of a record, or kEmptySlot
  std::vector<uint64_t> slot_hashes_;
  std::vector<uint64_t> arena_;
  std::vector<uint64_t> optional_sets_;
  size_t record_count_ = 0;
};

// ---------------------------------------------------------------------------
// Text for humans.

std::string value_text(RegisterValue value) {
  return value ? std::to_string(*value) : std::string("nil");
}

const char* outcome_text(RegisterOutcome outcome) {
  switch (outcome) {
    case RegisterOutcome::kOk:
      return "ok";
    case RegisterOutcome::kFail:
      return "failed";
    case RegisterOutcome::kUnknown:
      return "indeterminate";
  }
  return "?";
}

std::string describe_op(const RegisterOp& op) {
  std::ostringstream text;
  text << "process " << op.process << ": ";
  switch (op.kind) {
    case RegisterOpKind::kRead:
      text << "read";
      if (op.outcome == RegisterOutcome::kOk) text << " -> " << value_text(op.read_value);
      break;
    case RegisterOpKind::kWrite:
      text << "write " << op.value;
      break;
    case RegisterOpKind::kCas:
      text << "cas " << op.cas_expected << " -> " << op.value;
      break;
  }
  text << " (" << outcome_text(op.outcome) << "), called at " << op.call_time << ", ";
  if (op.return_time == kStillOpen) {
    text << "never returned";
  } else {
    text << "returned at " << op.return_time;
  }
  return text.str();
}

// ---------------------------------------------------------------------------
// The search over one key's sub-history.

std::vector<ModelOp> to_model(const std::vector<const RegisterOp*>& ops, ValueInterner* values) {
  std::vector<ModelOp> model;
  for (const RegisterOp* op : ops) {
    model.push_back(ModelOp{.kind = op->kind,
                            .outcome = op->outcome,
                            .written = values->intern(op->value),
                            .expected = values->intern(op->cas_expected),
                            .observed = values->intern(op->read_value),
                            .never_returned = op->return_time == kStillOpen});
  }
  return model;
}

bool is_optional(const ModelOp& op) {
  return op.outcome == RegisterOutcome::kUnknown && op.never_returned;
}

// Numbers required and optional ops separately, each in call order.
std::vector<OpSlot> assign_slots(const std::vector<ModelOp>& ops, const EventRanks& ranks) {
  std::vector<int32_t> by_call(ops.size());
  for (size_t op = 0; op < ops.size(); ++op) by_call[op] = static_cast<int32_t>(op);
  std::sort(by_call.begin(), by_call.end(),
            [&](int32_t a, int32_t b) { return ranks.call[a] < ranks.call[b]; });
  std::vector<OpSlot> slots(ops.size());
  std::array<int32_t, 2> next_index{0, 0};
  for (int32_t op : by_call) {
    const bool optional = is_optional(ops[op]);
    slots[op] = OpSlot{optional, next_index[optional]++};
  }
  return slots;
}

std::vector<int32_t> ops_in_class(const std::vector<OpSlot>& slots, bool optional) {
  std::vector<int32_t> ops;
  for (size_t op = 0; op < slots.size(); ++op) {
    if (slots[op].optional == optional) ops.push_back(static_cast<int32_t>(op));
  }
  return ops;
}

// Wing & Gong's search over one key: repeatedly place next an op that no
// unplaced op precedes, backtracking when stuck, with configurations memoised
// (ConfigCache).
//
// Optional ops (indeterminate, never returned) would multiply the search if
// tried everywhere, so they are placed only on demand. Any linearization can
// be reordered so that every run of consecutive optional ops is followed at
// once by a required op that could not act on the state before the run: a run
// followed by an op that could act anyway can move after it (or, before a
// write, vanish to the end), and a run with nothing after it goes last. Within
// a run each op changes the state and only the first may be a write, since a
// write erases what came before it. So the search places, from a free
// configuration, a required op as it stands, or the first op of a run aimed at
// a required op that cannot act on the current state; inside a run, the
// target itself or another optional cas.
class KeySearch {
 public:
  KeySearch(int64_t key, std::vector<const RegisterOp*> ops, uint64_t max_steps)
      : key_(key),
        ops_(std::move(ops)),
        max_steps_(max_steps),
        ranks_(rank_events(ops_)),
        model_ops_(to_model(ops_, &values_)),
        slots_(assign_slots(model_ops_, ranks_)),
        required_events_(ranks_, ops_in_class(slots_, false), /*with_returns=*/true),
        optional_calls_(ranks_, ops_in_class(slots_, true), /*with_returns=*/false),
        placed_(ops_in_class(slots_, false).size(), ops_in_class(slots_, true).size()),
        cache_(placed_.optional_words().size()) {
    call_event_ = required_events_.calls_by_op(ops_.size());
    const std::vector<EventId> optional = optional_calls_.calls_by_op(ops_.size());
    unplaced_optional_cas_expecting_.assign(values_.size() + 1, 0);
    for (size_t op = 0; op < ops_.size(); ++op) {
      if (!slots_[op].optional) continue;
      call_event_[op] = optional[op];
      count_optional_cas(static_cast<int32_t>(op), +1);
    }
    earlier_twin_ = find_earlier_twins();
  }

  LinVerdict run();
  uint64_t steps() const { return steps_; }
  std::string explain() const;

 private:
  enum class Phase : uint8_t {
    kDirect,     // free: a required op placed as it stands
    kEnable,     // free: an optional op starting a run aimed at a required op
    kRunTarget,  // in a run: its target
    kRunExtend,  // in a run: another optional cas
  };

  // Where the scan for the next op to place stands. kDirect walks the
  // required list up to its first return, the earliest unplaced required op:
  // nothing called after it can come next. The other phases only consider
  // optional ops called before that return (`stuck_rank`).
  struct Cursor {
    Phase phase = Phase::kDirect;
    EventId required = kNoEvent;  // kDirect, kEnable: the required event at hand
    EventId optional = kNoEvent;  // kEnable, kRunExtend: the optional call at hand
    int32_t stuck_rank = 0;
  };

  struct Placement {
    int32_t op = kNoOp;
    StateId state_before = kAbsentState;
    int32_t target_before = kNoOp;
    int variant = 0;  // index into moves(op, state_before, cursor)
    Cursor cursor;    // the scan position that placed it
  };

  EventList& list_of(int32_t op) {
    return slots_[op].optional ? optional_calls_ : required_events_;
  }
  void count_optional_cas(int32_t op, int delta) {
    if (model_ops_[op].kind == RegisterOpKind::kCas) {
      unplaced_optional_cas_expecting_[model_ops_[op].expected] += delta;
    }
  }

  std::vector<int32_t> find_earlier_twins() const;
  Cursor restart() const;
  Cursor skip(const Cursor& cursor) const;
  std::optional<Cursor> step(const Cursor& cursor);
  std::optional<Cursor> enable_pass(int32_t stuck_rank) const;
  Cursor place_or_skip(int32_t op, const Cursor& cursor);
  Successors moves(int32_t op, StateId state, const Cursor& cursor) const;
  bool run_can_reach(int32_t target, StateId state) const;
  int32_t target_after(const Cursor& cursor) const;
  bool try_place(int32_t op, StateId state_before, int first_variant, const Cursor& cursor);
  Cursor backtrack();
  void remember_if_deepest();
  std::vector<int32_t> blocked_ops() const;

  int64_t key_;
  std::vector<const RegisterOp*> ops_;
  uint64_t max_steps_;
  EventRanks ranks_;
  ValueInterner values_;
  std::vector<ModelOp> model_ops_;
  std::vector<OpSlot> slots_;
  EventList required_events_;
  EventList optional_calls_;
  std::vector<EventId> call_event_;                       // each op's call, in its own list
  std::vector<int32_t> unplaced_optional_cas_expecting_;  // by state
  // For an optional op, the closest earlier-called optional op with the very
  // same effect, or kNoOp. Twins are interchangeable, so they are placed in
  // call order only: the later one never goes while the earlier is unplaced.
  std::vector<int32_t> earlier_twin_;
  PlacedSet placed_;
  ConfigCache cache_;
  std::vector<Placement> stack_;
  StateId state_ = kAbsentState;
  int32_t target_ = kNoOp;  // the required op the current run of optional ops aims at
  uint64_t steps_ = 0;
  // The longest linearizable prefix seen: its ops in order and its end state.
  std::vector<int32_t> deepest_ops_;
  StateId deepest_state_ = kAbsentState;
};

std::vector<int32_t> KeySearch::find_earlier_twins() const {
  std::vector<int32_t> twins(ops_.size(), kNoOp);
  std::vector<int32_t> by_call;
  for (size_t op = 0; op < ops_.size(); ++op) {
    if (slots_[op].optional) by_call.push_back(static_cast<int32_t>(op));
  }
  std::sort(by_call.begin(), by_call.end(),
            [&](int32_t a, int32_t b) { return ranks_.call[a] < ranks_.call[b]; });
  std::map<std::tuple<RegisterOpKind, StateId, StateId>, int32_t> latest_of_effect;
  for (int32_t op : by_call) {
    const ModelOp& model = model_ops_[op];
    const StateId expected = model.kind == RegisterOpKind::kCas ? model.expected : kAbsentState;
    auto [it, inserted] = latest_of_effect.try_emplace({model.kind, model.written, expected}, op);
    if (!inserted) twins[op] = std::exchange(it->second, op);
  }
  return twins;
}

// Where the scan starts in a new configuration.
KeySearch::Cursor KeySearch::restart() const {
  if (target_ == kNoOp) return Cursor{Phase::kDirect, required_events_.first(), kNoEvent, 0};
  return Cursor{Phase::kRunTarget, kNoEvent, kNoEvent, stack_.back().cursor.stuck_rank};
}

// The scan position after the candidate under `cursor`.
KeySearch::Cursor KeySearch::skip(const Cursor& cursor) const {
  switch (cursor.phase) {
    case Phase::kDirect:
      return Cursor{Phase::kDirect, required_events_.next(cursor.required), kNoEvent, 0};
    case Phase::kEnable:
      return Cursor{Phase::kEnable, cursor.required, optional_calls_.next(cursor.optional),
                    cursor.stuck_rank};
    case Phase::kRunTarget:
      return Cursor{Phase::kRunExtend, kNoEvent, optional_calls_.first(), cursor.stuck_rank};
    case Phase::kRunExtend:
      return Cursor{Phase::kRunExtend, kNoEvent, optional_calls_.next(cursor.optional),
                    cursor.stuck_rank};
  }
  return cursor;
}

KeySearch::Cursor KeySearch::place_or_skip(int32_t op, const Cursor& cursor) {
  return try_place(op, state_, 0, cursor) ? restart() : skip(cursor);
}

// One move of the scan; nullopt once every candidate of this configuration
// has been tried.
std::optional<KeySearch::Cursor> KeySearch::step(const Cursor& cursor) {
  const auto optional_available = [&] {
    return cursor.optional != kNoEvent &&
           optional_calls_.rank_of(cursor.optional) < cursor.stuck_rank;
  };
  switch (cursor.phase) {
    case Phase::kDirect:
      // Required ops remain, and the required list always ends with a return.
      assert(cursor.required != kNoEvent);
      if (required_events_.is_call(cursor.required)) {
        return place_or_skip(required_events_.op_of(cursor.required), cursor);
      }
      return enable_pass(required_events_.rank_of(cursor.required));
    case Phase::kEnable: {
      if (!required_events_.is_call(cursor.required)) return std::nullopt;
      const int32_t target = required_events_.op_of(cursor.required);
      if (effect(model_ops_[target], state_) || !optional_available()) {
        return Cursor{Phase::kEnable, required_events_.next(cursor.required),
                      optional_calls_.first(), cursor.stuck_rank};
      }
      return place_or_skip(optional_calls_.op_of(cursor.optional), cursor);
    }
    case Phase::kRunTarget:
      return place_or_skip(target_, cursor);
    case Phase::kRunExtend:
      if (!optional_available()) return std::nullopt;
      return place_or_skip(optional_calls_.op_of(cursor.optional), cursor);
  }
  return std::nullopt;
}

// Starts looking for runs of optional ops, if any optional op is available.
std::optional<KeySearch::Cursor> KeySearch::enable_pass(int32_t stuck_rank) const {
  const EventId first_optional = optional_calls_.first();
  if (first_optional == kNoEvent || optional_calls_.rank_of(first_optional) >= stuck_rank) {
    return std::nullopt;
  }
  return Cursor{Phase::kEnable, required_events_.first(), first_optional, stuck_rank};
}

// Whether a run of optional ops now at `state` could still get `target` to
// act: it can act here, or some unplaced optional cas can continue from here.
bool KeySearch::run_can_reach(int32_t target, StateId state) const {
  return effect(model_ops_[target], state) || unplaced_optional_cas_expecting_[state] > 0;
}

int32_t KeySearch::target_after(const Cursor& cursor) const {
  switch (cursor.phase) {
    case Phase::kEnable:
      return required_events_.op_of(cursor.required);
    case Phase::kRunExtend:
      return target_;
    case Phase::kDirect:
    case Phase::kRunTarget:
      break;
  }
  return kNoOp;
}

// The states placing `op` may lead to, given how the scan reached it.
Successors KeySearch::moves(int32_t op, StateId state, const Cursor& cursor) const {
  const ModelOp& model = model_ops_[op];
  Successors next;
  switch (cursor.phase) {
    case Phase::kDirect:
      return successors(model, state, /*optional_op=*/false);
    case Phase::kRunTarget:
      if (const std::optional<StateId> after = effect(model, state)) next.add(*after);
      return next;
    case Phase::kRunExtend:
      if (model.kind != RegisterOpKind::kCas) return next;
      [[fallthrough]];
    case Phase::kEnable:
      next = successors(model, state, /*optional_op=*/true);
      if (next.count == 1 && !run_can_reach(target_after(cursor), next.states[0])) next.count = 0;
      return next;
  }
  return next;
}

// Places `op` next with the first of its moves, from `first_variant` on, that
// leads to a configuration not covered by one entered before.
bool KeySearch::try_place(int32_t op, StateId state_before, int first_variant,
                          const Cursor& cursor) {
  if (earlier_twin_[op] != kNoOp && !placed_.contains(slots_[earlier_twin_[op]])) return false;
  const Successors next = moves(op, state_before, cursor);
  const int32_t target = target_after(cursor);
  placed_.insert(slots_[op]);
  for (int variant = first_variant; variant < next.count; ++variant) {
    if (!cache_.enter(placed_, ConfigTag{next.states[variant], target})) continue;
    stack_.push_back(Placement{op, state_before, target_, variant, cursor});
    state_ = next.states[variant];
    target_ = target;
    list_of(op).lift(call_event_[op]);
    if (slots_[op].optional) count_optional_cas(op, -1);
    return true;
  }
  placed_.erase(slots_[op]);
  return false;
}

// The last placed op leads nowhere with its current move: take it back and
// try its next move, or else move the scan on past it.
KeySearch::Cursor KeySearch::backtrack() {
  remember_if_deepest();
  const Placement top = stack_.back();
  stack_.pop_back();
  placed_.erase(slots_[top.op]);
  list_of(top.op).unlift(call_event_[top.op]);
  if (slots_[top.op].optional) count_optional_cas(top.op, +1);
  state_ = top.state_before;
  target_ = top.target_before;
  if (try_place(top.op, top.state_before, top.variant + 1, top.cursor)) return restart();
  return skip(top.cursor);
}

void KeySearch::remember_if_deepest() {
  if (stack_.size() <= deepest_ops_.size()) return;
  deepest_ops_.clear();
  for (const Placement& placement : stack_) deepest_ops_.push_back(placement.op);
  deepest_state_ = state_;
}

LinVerdict KeySearch::run() {
  Cursor cursor = restart();
  // Optional ops left over can all go last, each with some effect.
  while (!placed_.all_required_placed()) {
    if (steps_ == max_steps_) return LinVerdict::kGaveUp;
    ++steps_;
    if (const std::optional<Cursor> next = step(cursor)) {
      cursor = *next;
      continue;
    }
    if (stack_.empty()) return LinVerdict::kNotLinearizable;
    cursor = backtrack();
  }
  return LinVerdict::kLinearizable;
}

// The ops that were candidates to follow the deepest prefix, earliest return
// first: the first one's return is where that prefix got stuck.
std::vector<int32_t> KeySearch::blocked_ops() const {
  std::vector<bool> in_prefix(ops_.size(), false);
  for (int32_t op : deepest_ops_) in_prefix[op] = true;
  int32_t earliest_return = INT32_MAX;
  for (size_t op = 0; op < ops_.size(); ++op) {
    if (!in_prefix[op]) earliest_return = std::min(earliest_return, ranks_.ret[op]);
  }
  std::vector<int32_t> candidates;
  for (size_t op = 0; op < ops_.size(); ++op) {
    if (!in_prefix[op] && ranks_.call[op] < earliest_return) candidates.push_back(op);
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](int32_t a, int32_t b) { return ranks_.ret[a] < ranks_.ret[b]; });
  return candidates;
}

std::string KeySearch::explain() const {
  constexpr size_t kOpsShown = 5;
  std::ostringstream text;
  text << "key " << key_ << ": the longest linearizable prefix places " << deepest_ops_.size()
       << " of " << ops_.size() << " operations and leaves the register at "
       << value_text(values_.value_of(deepest_state_)) << ".\n";
  if (!deepest_ops_.empty()) {
    text << "last operations of that prefix:\n";
    const size_t shown = std::min(kOpsShown, deepest_ops_.size());
    for (size_t i = deepest_ops_.size() - shown; i < deepest_ops_.size(); ++i) {
      text << "  " << describe_op(*ops_[deepest_ops_[i]]) << "\n";
    }
  }
  const std::vector<int32_t> blocked = blocked_ops();
  text << "operations that could not be linearized next (the first one's return is where every "
          "ordering got stuck):\n";
  for (size_t i = 0; i < std::min(kOpsShown, blocked.size()); ++i) {
    text << "  " << describe_op(*ops_[blocked[i]]) << "\n";
  }
  if (blocked.size() > kOpsShown) text << "  ... and " << blocked.size() - kOpsShown << " more\n";
  return text.str();
}

void check_op_is_well_formed(const RegisterOp& op) {
  assert(op.call_time <= op.return_time);
  assert(op.outcome != RegisterOutcome::kFail || op.kind == RegisterOpKind::kCas);
  (void)op;
}

// An indeterminate read observed nothing and changes nothing: it fits
// anywhere, so it cannot make a history non-linearizable and is left out.
bool constrains_history(const RegisterOp& op) {
  return !(op.kind == RegisterOpKind::kRead && op.outcome == RegisterOutcome::kUnknown);
}

std::map<int64_t, std::vector<const RegisterOp*>> split_by_key(
    const std::vector<RegisterOp>& history) {
  std::map<int64_t, std::vector<const RegisterOp*>> by_key;
  for (const RegisterOp& op : history) {
    check_op_is_well_formed(op);
    if (constrains_history(op)) by_key[op.key].push_back(&op);
  }
  return by_key;
}

}  // namespace

const char* lin_verdict_name(LinVerdict verdict) {
  switch (verdict) {
    case LinVerdict::kLinearizable:
      return "linearizable";
    case LinVerdict::kNotLinearizable:
      return "not-linearizable";
    case LinVerdict::kGaveUp:
      return "unknown";
  }
  return "?";
}

LinResult check_register_history(const std::vector<RegisterOp>& history,
                                 const LinOptions& options) {
  LinResult result;
  bool gave_up = false;
  for (auto& [key, ops] : split_by_key(history)) {
    KeySearch search(key, std::move(ops), options.max_steps_per_key);
    const LinVerdict verdict = search.run();
    result.steps += search.steps();
    if (verdict == LinVerdict::kNotLinearizable) {
      result.verdict = verdict;
      result.failed_key = key;
      result.explanation = search.explain();
      return result;
    }
    gave_up = gave_up || verdict == LinVerdict::kGaveUp;
  }
  result.verdict = gave_up ? LinVerdict::kGaveUp : LinVerdict::kLinearizable;
  return result;
}

}  // namespace warden::sim
