// Linearizability checker for histories of key/register operations: read,
// write and compare-and-set on independent registers. Used by the simulator on
// every history it records and by `warden lincheck` on Jepsen logs.
//
// The search is Wing & Gong's, with Lowe's memoisation of (linearized set,
// state) pairs, and P-compositionality: each key is checked on its own, since a
// history is linearizable iff each key's sub-history is.
//
// Pure and deterministic: no clock, no threads; the work bound is a step count.
//
// Real-time order: op A precedes op B iff A.return_time <= B.call_time, so a
// client's next call may start at the very instant its previous one returned.
// The one tie this leaves open, two zero-length ops at the same instant, is
// broken by their order in the history vector.
//
// Indeterminate ops (kUnknown) are optional: a linearization may place one with
// its effect anywhere inside its [call, return] window, or leave it out. Those
// that never returned (kStillOpen) are only tried where some completed op
// needs their effect, so timeouts do not blow up the search; a read with an
// unknown result constrains nothing and is ignored.
//
// A failed cas (kFail) saw a value other than cas_expected and changed nothing.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace warden::sim {

// A register's value; nullopt is "absent" (Jepsen's nil).
using RegisterValue = std::optional<int64_t>;

enum class RegisterOpKind : uint8_t { kRead, kWrite, kCas };

enum class RegisterOutcome : uint8_t {
  kOk,       // completed: the write took effect / the cas swapped / the read saw read_value
  kFail,     // definitely failed: a cas whose compare did not match (it observed
             // a value other than cas_expected); never used for writes or reads
  kUnknown,  // indeterminate: may or may not have taken effect (writes, cas),
             // or a read whose value was never learned (matches any state)
};

inline constexpr int64_t kStillOpen = std::numeric_limits<int64_t>::max();

struct RegisterOp {
  uint64_t process = 0;  // the client that issued it; one op at a time per process
  RegisterOpKind kind = RegisterOpKind::kRead;
  int64_t key = 0;
  int64_t value = 0;         // kWrite: the value written; kCas: the new value
  int64_t cas_expected = 0;  // kCas: the value compared against
  RegisterOutcome outcome = RegisterOutcome::kOk;
  RegisterValue read_value;  // kRead with kOk: what it returned
  // Call and return instants on one shared clock (any unit; only the order
  // matters). An indeterminate op (kUnknown write/cas) may have its return at
  // kStillOpen: it stays concurrent with everything after its call.
  int64_t call_time = 0;
  int64_t return_time = kStillOpen;
};

enum class LinVerdict : uint8_t { kLinearizable, kNotLinearizable, kGaveUp };
const char* lin_verdict_name(LinVerdict verdict);

struct LinResult {
  LinVerdict verdict = LinVerdict::kLinearizable;
  // For kNotLinearizable: the key that failed and a human-readable account of
  // the longest linearizable prefix found and the operations that could not
  // be placed after it.
  std::optional<int64_t> failed_key;
  std::string explanation;
  uint64_t steps = 0;  // search steps taken over all keys
};

struct LinOptions {
  // Give up (kGaveUp) after this many search steps per key. Deterministic.
  uint64_t max_steps_per_key = 50'000'000;
};

// All registers start absent (nullopt).
LinResult check_register_history(const std::vector<RegisterOp>& history,
                                 const LinOptions& options = {});

}  // namespace warden::sim
