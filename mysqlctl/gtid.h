// GTID positions of both MySQL flavours, as the failover logic compares them.
//
//   MariaDB: a position is the last GTID applied per replication domain,
//     "domain-server-seq" triples: "0-1-100,1-2-7" (gtid_current_pos,
//     gtid_slave_pos). Sequence numbers count per domain, whichever server
//     wrote them, so progress within a domain is its seq alone and server_id
//     is carried only to format the position back.
//   MySQL 8: gtid_executed is a set of transactions, intervals per source
//     UUID (and, from 8.3, per tag): "uuid:1-5:7-9,uuid2:1-3".
//
// GtidPosition wraps either one so that candidate choice and errant-GTID
// checks (mysqlctl/failover_plan.h) are written once for both flavours.
//
// Pure values: no I/O, no clock. Anyone may call them; the agent's probe
// parses what MySQL reports, the failover planner and the simulator compare.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mysqlctl/result.h"

namespace warden::mysqlctl {

enum class Flavour : uint8_t { kMariaDB, kMySQL };
// "mariadb" / "mysql": the spelling used in member records and config.
const char* flavour_name(Flavour flavour);
std::optional<Flavour> parse_flavour(std::string_view name);

// How far a position has got, as one number pair that never decreases when
// the position grows: if a.contains(b) then advancement(a) >= advancement(b),
// strictly unless b.contains(a) too. It extends the containment partial order
// to a total one, so "most advanced" is defined even between positions that
// diverged (which the errant check then catches).
struct Advancement {
  // MariaDB: the sum of seq over domains; MySQL: the number of transactions.
  // 128 bits because either can pass 2^64 in adversarial input.
  unsigned __int128 transactions = 0;
  // Domains (MariaDB) or UUID/tag streams (MySQL): breaks the tie a seq-0
  // MariaDB domain would otherwise leave.
  uint64_t streams = 0;

  friend bool operator==(const Advancement&, const Advancement&) = default;
  friend std::strong_ordering operator<=>(const Advancement& a, const Advancement& b);
};

// ---------------------------------------------------------------------------
// MariaDB

struct MariaGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t seq_no = 0;

  friend bool operator==(const MariaGtid&, const MariaGtid&) = default;
};

// At most one GTID per domain (MariaDB rejects a position with two).
class MariaPosition {
 public:
  MariaPosition() = default;

  // "" is the empty position. Whitespace around each GTID is allowed (MariaDB
  // prints none, but operators type some).
  static Result<MariaPosition> parse(std::string_view text);
  // Domains in ascending order: "0-1-100,1-2-7".
  std::string format() const;

  // Replaces the GTID of `gtid.domain_id`, if any.
  void set(const MariaGtid& gtid);
  // Seq applied in `domain_id`, if the position has the domain at all.
  std::optional<uint64_t> seq_in(uint32_t domain_id) const;
  const std::map<uint32_t, MariaGtid>& domains() const { return domains_; }
  bool empty() const { return domains_.empty(); }

  // True when every domain of `other` is here with a seq at least as high.
  // server_id plays no part: seq numbers are per domain.
  bool contains(const MariaPosition& other) const;
  // Same domains, same seqs (server_ids may differ): contains() both ways.
  bool same_progress(const MariaPosition& other) const;
  // What this position has that `primary` lacks: this position's GTIDs in
  // domains where its seq is beyond the primary's or the primary has none.
  MariaPosition errant_relative_to(const MariaPosition& primary) const;
  Advancement advancement() const;

  friend bool operator==(const MariaPosition&, const MariaPosition&) = default;

 private:
  std::map<uint32_t, MariaGtid> domains_;  // keyed by domain_id
};

// ---------------------------------------------------------------------------
// MySQL 8

// Transaction numbers first..last, inclusive.
struct GtidInterval {
  uint64_t first = 1;
  uint64_t last = 1;

  friend bool operator==(const GtidInterval&, const GtidInterval&) = default;
};

// Where a transaction came from: the server UUID (lower case, dashed) and,
// from MySQL 8.3, an optional tag (lower case; empty when untagged).
struct GtidSource {
  std::string uuid;
  std::string tag;

  friend auto operator<=>(const GtidSource&, const GtidSource&) = default;
};

// Always normalized: per source, intervals sorted, disjoint and not adjacent
// (1-5 and 6-9 become 1-9), and no source with no intervals. So two sets with
// the same transactions compare equal with ==.
class MysqlGtidSet {
 public:
  // MySQL's transaction numbers stop at 2^63 - 1.
  static constexpr uint64_t kMaxTransaction = (uint64_t{1} << 63) - 1;

  MysqlGtidSet() = default;

  // "" is the empty set. Accepts what MySQL prints (including the newline it
  // puts after each comma), upper-case UUIDs, repeated UUIDs and overlapping
  // intervals; rejects anything else with the offending part named.
  static Result<MysqlGtidSet> parse(std::string_view text);
  // Normalized: "uuid:1-5:7-9:tag:1-3,uuid2:4"; sources in ascending order,
  // a source's untagged intervals before its tags.
  std::string format() const;

  // Adds first..last of `source` (1 <= first <= last <= kMaxTransaction;
  // `source` already normalized, as parse makes it).
  void add(const GtidSource& source, GtidInterval interval);

  bool contains(const MysqlGtidSet& other) const;
  bool contains(const GtidSource& source, uint64_t transaction) const;
  // Transactions here and not in `other`.
  MysqlGtidSet subtract(const MysqlGtidSet& other) const;
  MysqlGtidSet union_with(const MysqlGtidSet& other) const;
  // What this member has executed that `primary` has not: errant GTIDs.
  MysqlGtidSet errant_relative_to(const MysqlGtidSet& primary) const { return subtract(primary); }

  const std::map<GtidSource, std::vector<GtidInterval>>& sources() const { return sources_; }
  bool empty() const { return sources_.empty(); }
  unsigned __int128 transaction_count() const;
  Advancement advancement() const;

  friend bool operator==(const MysqlGtidSet&, const MysqlGtidSet&) = default;

 private:
  std::map<GtidSource, std::vector<GtidInterval>> sources_;
};

// ---------------------------------------------------------------------------
// Either flavour

class GtidPosition {
 public:
  explicit GtidPosition(MariaPosition position) : value_(std::move(position)) {}
  explicit GtidPosition(MysqlGtidSet set) : value_(std::move(set)) {}
  // The empty position of `flavour` (a server that has executed nothing).
  static GtidPosition empty_of(Flavour flavour);

  static Result<GtidPosition> parse(Flavour flavour, std::string_view text);
  std::string format() const;

  Flavour flavour() const;
  bool empty() const;
  // Comparing positions of different flavours is a caller bug (asserted):
  // a cluster is one flavour, and the planner checks before it compares.
  bool contains(const GtidPosition& other) const;
  // What this member has that `primary` lacks (see the flavours' methods).
  // Empty exactly when primary.contains(*this).
  GtidPosition errant_relative_to(const GtidPosition& primary) const;
  // Both positions' transactions: what a replica holds once it has applied
  // what it received (its applied position merged with its received one).
  // MariaDB keeps the higher seq per domain; MySQL takes the union.
  GtidPosition merged_with(const GtidPosition& other) const;
  Advancement advancement() const;

  // The flavour's own value; null when the position is the other flavour.
  const MariaPosition* mariadb() const { return std::get_if<MariaPosition>(&value_); }
  const MysqlGtidSet* mysql() const { return std::get_if<MysqlGtidSet>(&value_); }

  friend bool operator==(const GtidPosition&, const GtidPosition&) = default;

 private:
  std::variant<MariaPosition, MysqlGtidSet> value_;
};

}  // namespace warden::mysqlctl
