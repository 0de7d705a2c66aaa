// Seeded pseudo-random numbers for the deterministic simulator: xoshiro256**
// seeded through splitmix64. Every random choice the simulator makes (faults,
// latencies, workload, election jitter seeds) comes from a Prng derived from
// the run's seed, so a seed replays bit for bit. Nothing under sim/ may use
// another source of randomness.
//
// Used by every sim/ component and by simulator tests. Header-only.
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

namespace warden::sim {

// One step of splitmix64: advances `state` and returns a well-mixed value.
inline uint64_t splitmix64_next(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A stateless 64-bit mixer (splitmix64's finaliser), for hashing small values.
inline uint64_t mix64(uint64_t value) {
  uint64_t state = value;
  return splitmix64_next(state);
}

class Prng {
 public:
  explicit Prng(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : state_) word = splitmix64_next(state);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound). Lemire's multiply-and-reject, so no modulo bias.
  uint64_t below(uint64_t bound) {
    assert(bound > 0);
    while (true) {
      const __uint128_t product = static_cast<__uint128_t>(next_u64()) * bound;
      const uint64_t low = static_cast<uint64_t>(product);
      if (low >= bound || low >= (-bound) % bound) return static_cast<uint64_t>(product >> 64);
    }
  }

  // Uniform in [lo, hi], both inclusive.
  int64_t uniform_int(int64_t lo, int64_t hi) {
    assert(lo <= hi);
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<int64_t>(next_u64());  // the full 64-bit range
    return lo + static_cast<int64_t>(below(span));
  }

  // Uniform in [0, 1) with 53 bits of precision.
  double unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  bool chance(double probability) { return unit() < probability; }

  template <typename T>
  const T& pick(const std::vector<T>& items) {
    assert(!items.empty());
    return items[below(items.size())];
  }

  // An independent stream for a sub-component, so that adding draws in one
  // component does not shift the choices of another.
  Prng fork() { return Prng(next_u64()); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  uint64_t state_[4];
};

}  // namespace warden::sim
