#include "sim/register_machine.h"

#include "sim/prng.h"

namespace warden::sim {
namespace {

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool get_u64(std::string_view bytes, size_t& offset, uint64_t& out) {
  if (bytes.size() - offset < 8) return false;
  out = 0;
  for (int i = 0; i < 8; ++i) {
    out |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
  }
  offset += 8;
  return true;
}

constexpr char kCommandTag = 'R';
constexpr size_t kCommandBytes = 1 + 1 + 5 * 8;

}  // namespace

std::string encode_register_command(const RegisterCommand& c) {
  std::string out;
  out.reserve(kCommandBytes);
  out.push_back(kCommandTag);
  out.push_back(static_cast<char>(c.kind));
  put_u64(out, c.client_id);
  put_u64(out, c.request_id);
  put_u64(out, static_cast<uint64_t>(c.key));
  put_u64(out, static_cast<uint64_t>(c.value));
  put_u64(out, static_cast<uint64_t>(c.expected));
  return out;
}

std::optional<RegisterCommand> decode_register_command(std::string_view bytes) {
  if (bytes.size() != kCommandBytes || bytes[0] != kCommandTag) return std::nullopt;
  RegisterCommand c;
  c.kind = static_cast<RegisterCommandKind>(bytes[1]);
  if (c.kind != RegisterCommandKind::kWrite && c.kind != RegisterCommandKind::kCas) {
    return std::nullopt;
  }
  size_t offset = 2;
  uint64_t key = 0, value = 0, expected = 0;
  get_u64(bytes, offset, c.client_id);
  get_u64(bytes, offset, c.request_id);
  get_u64(bytes, offset, key);
  get_u64(bytes, offset, value);
  get_u64(bytes, offset, expected);
  c.key = static_cast<int64_t>(key);
  c.value = static_cast<int64_t>(value);
  c.expected = static_cast<int64_t>(expected);
  return c;
}

uint64_t RegisterMachine::value_hash(int64_t key, int64_t value) {
  return mix64(mix64(static_cast<uint64_t>(key)) ^ static_cast<uint64_t>(value));
}

uint64_t RegisterMachine::dedup_hash(uint64_t client_id, uint64_t request_id) {
  // A different domain from value_hash so a key and a client cannot cancel out.
  return mix64(mix64(client_id ^ 0x5bd1e9955bd1e995ULL) + request_id);
}

// Assigns map[key] = value while keeping `state_hash` the XOR of
// entry_hash(key, value) over every entry, so the hash never needs a rescan.
template <typename Map, typename EntryHash>
void assign_hashed(Map& map, typename Map::key_type key, typename Map::mapped_type value,
                   EntryHash entry_hash, uint64_t& state_hash) {
  auto [it, inserted] = map.try_emplace(key, value);
  if (!inserted) {
    state_hash ^= entry_hash(key, it->second);
    it->second = value;
  }
  state_hash ^= entry_hash(key, value);
}

void RegisterMachine::set_value(int64_t key, int64_t value) {
  assign_hashed(values_, key, value, value_hash, state_hash_);
}

void RegisterMachine::set_last_request(uint64_t client_id, uint64_t request_id) {
  assign_hashed(last_request_by_client_, client_id, request_id, dedup_hash, state_hash_);
}

ApplyOutcome RegisterMachine::apply(const RegisterCommand& command) {
  auto last = last_request_by_client_.find(command.client_id);
  if (last != last_request_by_client_.end() && command.request_id <= last->second) {
    return ApplyOutcome::kDuplicate;
  }
  set_last_request(command.client_id, command.request_id);
  if (command.kind == RegisterCommandKind::kCas) {
    const std::optional<int64_t> current = read(command.key);
    if (!current || *current != command.expected) return ApplyOutcome::kCasMismatch;
  }
  set_value(command.key, command.value);
  return ApplyOutcome::kOk;
}

std::optional<int64_t> RegisterMachine::read(int64_t key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string RegisterMachine::serialize() const {
  std::string out;
  put_u64(out, values_.size());
  for (const auto& [key, value] : values_) {
    put_u64(out, static_cast<uint64_t>(key));
    put_u64(out, static_cast<uint64_t>(value));
  }
  put_u64(out, last_request_by_client_.size());
  for (const auto& [client, request] : last_request_by_client_) {
    put_u64(out, client);
    put_u64(out, request);
  }
  return out;
}

bool RegisterMachine::restore(std::string_view bytes) {
  RegisterMachine fresh;
  size_t offset = 0;
  uint64_t count = 0;
  if (!get_u64(bytes, offset, count)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t key = 0, value = 0;
    if (!get_u64(bytes, offset, key) || !get_u64(bytes, offset, value)) return false;
    fresh.set_value(static_cast<int64_t>(key), static_cast<int64_t>(value));
  }
  if (!get_u64(bytes, offset, count)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t client = 0, request = 0;
    if (!get_u64(bytes, offset, client) || !get_u64(bytes, offset, request)) return false;
    fresh.set_last_request(client, request);
  }
  if (offset != bytes.size()) return false;
  *this = std::move(fresh);
  return true;
}

}  // namespace warden::sim
