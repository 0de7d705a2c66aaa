// rapidcheck generators for GTID positions, shared by the mysqlctl tests.
// Values are drawn from small pools (a few domains, UUIDs, tags, low
// transaction numbers) so that generated positions overlap, contain one
// another and collide often; a few reach the numeric limits.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mysqlctl/gtid.h"

namespace warden::mysqlctl::testing {

inline uint64_t any_seq() {
  return *rc::gen::weightedElement<uint64_t>(
      {{20, *rc::gen::inRange<uint64_t>(0, 12)}, {1, *rc::gen::arbitrary<uint64_t>()}});
}

inline MariaPosition any_maria_position(uint32_t max_domain = 3) {
  MariaPosition position;
  const int count = *rc::gen::inRange(0, static_cast<int>(max_domain) + 2);
  for (int i = 0; i < count; ++i) {
    position.set({*rc::gen::inRange<uint32_t>(0, max_domain + 1),
                  *rc::gen::weightedElement<uint32_t>(
                      {{10, *rc::gen::inRange<uint32_t>(1, 4)}, {1, UINT32_MAX}}),
                  any_seq()});
  }
  return position;
}

// A position at least as advanced as `base`: seqs grow, domains appear.
inline MariaPosition grown(const MariaPosition& base) {
  MariaPosition position = base;
  for (const auto& [domain, gtid] : base.domains()) {
    const uint64_t room = UINT64_MAX - gtid.seq_no;
    const uint64_t step = *rc::gen::inRange<uint64_t>(0, room < 5 ? room + 1 : 5);
    position.set({domain, *rc::gen::inRange<uint32_t>(1, 4), gtid.seq_no + step});
  }
  if (*rc::gen::arbitrary<bool>()) {
    const uint32_t domain = *rc::gen::inRange<uint32_t>(0, 5);
    if (!position.seq_in(domain)) position.set({domain, 1, *rc::gen::inRange<uint64_t>(0, 5)});
  }
  return position;
}

inline const std::vector<std::string>& uuid_pool() {
  static const std::vector<std::string> kUuids = {
      "3e11fa47-71ca-11e1-9e33-c80aa9429562",
      "8a94f357-aab4-11df-86ab-c80aa9429562",
      "ffffffff-0000-0000-0000-000000000001",
  };
  return kUuids;
}

inline GtidSource any_source() {
  return {*rc::gen::elementOf(uuid_pool()),
          *rc::gen::weightedElement<std::string>({{4, ""}, {1, "a"}, {1, "tag_b"}})};
}

inline GtidInterval any_interval(uint64_t max_first = 30) {
  if (*rc::gen::weightedElement<int>({{30, 0}, {1, 1}}) == 1) {
    // Near the top, where an off-by-one would overflow.
    const uint64_t first = MysqlGtidSet::kMaxTransaction - *rc::gen::inRange<uint64_t>(0, 3);
    return {first, MysqlGtidSet::kMaxTransaction};
  }
  const uint64_t first = *rc::gen::inRange<uint64_t>(1, max_first + 1);
  return {first, first + *rc::gen::inRange<uint64_t>(0, 6)};
}

inline MysqlGtidSet any_mysql_set() {
  MysqlGtidSet set;
  const int count = *rc::gen::inRange(0, 7);
  for (int i = 0; i < count; ++i) set.add(any_source(), any_interval());
  return set;
}

}  // namespace warden::mysqlctl::testing
