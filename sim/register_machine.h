// The replicated state machine the simulator runs on top of the log: a map of
// integer registers (key -> int64; absent means never written) changed by
// write and compare-and-set commands. Reads never enter the log; they are
// served locally after a read-index round. Each command carries its client id
// and request id, and the machine skips a command whose request id is not
// above the highest it applied for that client: the network duplicates
// forwarded proposals, and without this an operation could apply twice.
//
// It keeps an incrementally maintained 64-bit hash of its whole state (values
// and the dedup table) so the invariant checker can compare replicas that
// applied the same zxid in O(1).
//
// Owned by sim::NodeHost; tests drive it directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace warden::sim {

enum class RegisterCommandKind : uint8_t { kWrite = 1, kCas = 2 };

struct RegisterCommand {
  uint64_t client_id = 0;
  uint64_t request_id = 0;  // grows per client; one request at a time
  RegisterCommandKind kind = RegisterCommandKind::kWrite;
  int64_t key = 0;
  int64_t value = 0;     // write: the value; cas: the new value
  int64_t expected = 0;  // cas: the value compared against
  bool operator==(const RegisterCommand&) const = default;
};

std::string encode_register_command(const RegisterCommand& command);
std::optional<RegisterCommand> decode_register_command(std::string_view bytes);

enum class ApplyOutcome : uint8_t {
  kOk,           // the write happened / the cas swapped
  kCasMismatch,  // the cas compared against another value; nothing changed
  kDuplicate,    // already applied (or superseded); nothing changed
};

class RegisterMachine {
 public:
  ApplyOutcome apply(const RegisterCommand& command);
  std::optional<int64_t> read(int64_t key) const;

  uint64_t state_hash() const { return state_hash_; }
  size_t key_count() const { return values_.size(); }

  std::string serialize() const;
  // Replaces the whole state; false (state unchanged) if `bytes` is malformed.
  bool restore(std::string_view bytes);

 private:
  static uint64_t value_hash(int64_t key, int64_t value);
  static uint64_t dedup_hash(uint64_t client_id, uint64_t request_id);
  void set_value(int64_t key, int64_t value);
  void set_last_request(uint64_t client_id, uint64_t request_id);

  std::map<int64_t, int64_t> values_;
  std::map<uint64_t, uint64_t> last_request_by_client_;
  uint64_t state_hash_ = 0;
};

}  // namespace warden::sim
