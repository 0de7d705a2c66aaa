#include "mysqlctl/gtid.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <iterator>

namespace warden::mysqlctl {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Splits on `separator`, keeping empty pieces so that "a,,b" can be refused.
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      pieces.push_back(text.substr(start));
      return pieces;
    }
    pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// Plain decimal digits only: no sign, no spaces, no hex; leading zeros are
// harmless. nullopt when not a number or above `max`.
std::optional<uint64_t> parse_decimal(std::string_view text, uint64_t max) {
  if (text.empty()) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// ----- MariaDB

Result<MariaGtid> parse_maria_gtid(std::string_view text) {
  const std::vector<std::string_view> parts = split(text, '-');
  if (parts.size() != 3) {
    return Result<MariaGtid>::failure("GTID " + quoted(text) +
                                      " is not domain-server-seq (three numbers joined by '-')");
  }
  constexpr uint64_t kMax32 = UINT32_MAX;
  const auto domain = parse_decimal(parts[0], kMax32);
  const auto server = parse_decimal(parts[1], kMax32);
  const auto seq = parse_decimal(parts[2], UINT64_MAX);
  if (!domain) return Result<MariaGtid>::failure("GTID " + quoted(text) + ": bad domain id");
  if (!server) return Result<MariaGtid>::failure("GTID " + quoted(text) + ": bad server id");
  if (!seq) return Result<MariaGtid>::failure("GTID " + quoted(text) + ": bad sequence number");
  return Result<MariaGtid>::success(
      {static_cast<uint32_t>(*domain), static_cast<uint32_t>(*server), *seq});
}

std::string format_maria_gtid(const MariaGtid& gtid) {
  return std::to_string(gtid.domain_id) + "-" + std::to_string(gtid.server_id) + "-" +
         std::to_string(gtid.seq_no);
}

// ----- MySQL

// 8-4-4-4-12 hex digits; returned in lower case, as MySQL prints it.
std::optional<std::string> normalize_uuid(std::string_view text) {
  constexpr size_t kLength = 36;
  if (text.size() != kLength) return std::nullopt;
  std::string uuid;
  uuid.reserve(kLength);
  for (size_t i = 0; i < kLength; ++i) {
    const bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here ? text[i] != '-' : !is_hex(text[i])) return std::nullopt;
    uuid.push_back(to_lower(text[i]));
  }
  return uuid;
}

// MySQL 8.3 tags: a letter or '_' then letters, digits or '_', at most 32,
// compared without case (MySQL stores them in lower case).
std::optional<std::string> normalize_tag(std::string_view text) {
  constexpr size_t kMaxTagLength = 32;
  if (text.empty() || text.size() > kMaxTagLength) return std::nullopt;
  std::string tag;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = to_lower(text[i]);
    const bool letter = (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return std::nullopt;
    tag.push_back(c);
  }
  return tag;
}

bool starts_like_tag(std::string_view element) {
  const char c = to_lower(element.front());
  return (c >= 'a' && c <= 'z') || c == '_';
}

Result<GtidInterval> parse_interval(std::string_view text) {
  const std::vector<std::string_view> bounds = split(text, '-');
  const auto first = parse_decimal(bounds[0], MysqlGtidSet::kMaxTransaction);
  const auto last =
      bounds.size() == 2 ? parse_decimal(bounds[1], MysqlGtidSet::kMaxTransaction) : first;
  if (bounds.size() > 2 || !first || !last || *first == 0) {
    return Result<GtidInterval>::failure("interval " + quoted(text) +
                                         " is not N or N-M with 1 <= N <= M <= 2^63-1");
  }
  if (*last < *first) {
    return Result<GtidInterval>::failure("interval " + quoted(text) + " ends before it starts");
  }
  return Result<GtidInterval>::success({*first, *last});
}

// Sorts and merges overlapping or adjacent intervals in place.
void normalize(std::vector<GtidInterval>& intervals) {
  std::sort(intervals.begin(), intervals.end(),
            [](const GtidInterval& a, const GtidInterval& b) { return a.first < b.first; });
  std::vector<GtidInterval> merged;
  for (const GtidInterval& interval : intervals) {
    // last <= 2^63 - 1, so last + 1 cannot overflow.
    if (!merged.empty() && interval.first <= merged.back().last + 1) {
      merged.back().last = std::max(merged.back().last, interval.last);
    } else {
      merged.push_back(interval);
    }
  }
  intervals = std::move(merged);
}

// `outer` normalized: each interval of `inner` must lie inside one of it
// (normalized intervals never touch, so one is enough).
bool covers(const std::vector<GtidInterval>& outer, const std::vector<GtidInterval>& inner) {
  for (const GtidInterval& needle : inner) {
    auto after = std::upper_bound(
        outer.begin(), outer.end(), needle.first,
        [](uint64_t first, const GtidInterval& interval) { return first < interval.first; });
    if (after == outer.begin()) return false;
    if (std::prev(after)->last < needle.last) return false;
  }
  return true;
}

// Both normalized; the result is too.
std::vector<GtidInterval> minus(const std::vector<GtidInterval>& from,
                                const std::vector<GtidInterval>& removed) {
  std::vector<GtidInterval> rest;
  auto cut = removed.begin();
  for (GtidInterval piece : from) {
    while (cut != removed.end() && cut->last < piece.first) ++cut;
    bool consumed = false;
    for (auto c = cut; c != removed.end() && c->first <= piece.last; ++c) {
      if (c->first > piece.first) rest.push_back({piece.first, c->first - 1});
      if (c->last >= piece.last) {
        consumed = true;
        break;
      }
      piece.first = c->last + 1;
    }
    if (!consumed) rest.push_back(piece);
  }
  return rest;
}

std::string format_interval(const GtidInterval& interval) {
  if (interval.first == interval.last) return std::to_string(interval.first);
  return std::to_string(interval.first) + "-" + std::to_string(interval.last);
}

// One comma-separated item: "uuid:1-5:7:tag:3-4".
Result<MysqlGtidSet> parse_mysql_item(std::string_view item) {
  const std::vector<std::string_view> elements = split(item, ':');
  const auto uuid = normalize_uuid(trim(elements[0]));
  if (!uuid) {
    return Result<MysqlGtidSet>::failure("GTID set item " + quoted(item) + ": " +
                                         quoted(elements[0]) + " is not a server UUID");
  }
  if (elements.size() < 2) {
    return Result<MysqlGtidSet>::failure("GTID set item " + quoted(item) + " has no intervals");
  }
  MysqlGtidSet set;
  GtidSource source{*uuid, ""};
  bool source_has_interval = false;
  for (size_t i = 1; i < elements.size(); ++i) {
    const std::string_view element = trim(elements[i]);
    if (element.empty()) {
      return Result<MysqlGtidSet>::failure("GTID set item " + quoted(item) + " has an empty part");
    }
    if (starts_like_tag(element)) {
      const auto tag = normalize_tag(element);
      if (!tag || (i > 1 && !source_has_interval)) {
        return Result<MysqlGtidSet>::failure("GTID set item " + quoted(item) + ": bad tag " +
                                             quoted(element) +
                                             (tag ? " (no intervals before it)" : ""));
      }
      source = {*uuid, *tag};
      source_has_interval = false;
      continue;
    }
    Result<GtidInterval> interval = parse_interval(element);
    if (!interval.ok()) {
      return Result<MysqlGtidSet>::failure("GTID set item " + quoted(item) + ": " +
                                           interval.error());
    }
    set.add(source, interval.value());
    source_has_interval = true;
  }
  if (!source_has_interval) {
    return Result<MysqlGtidSet>::failure("GTID set item " + quoted(item) +
                                         " ends with a tag that has no intervals");
  }
  return Result<MysqlGtidSet>::success(std::move(set));
}

int compare_u128(unsigned __int128 a, unsigned __int128 b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace

std::strong_ordering operator<=>(const Advancement& a, const Advancement& b) {
  if (const int order = compare_u128(a.transactions, b.transactions); order != 0) {
    return order < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  return a.streams <=> b.streams;
}

const char* flavour_name(Flavour flavour) {
  switch (flavour) {
    case Flavour::kMariaDB:
      return "mariadb";
    case Flavour::kMySQL:
      return "mysql";
  }
  return "?";
}

std::optional<Flavour> parse_flavour(std::string_view name) {
  if (name == "mariadb") return Flavour::kMariaDB;
  if (name == "mysql") return Flavour::kMySQL;
  return std::nullopt;
}

// ----- MariaPosition

Result<MariaPosition> MariaPosition::parse(std::string_view text) {
  MariaPosition position;
  text = trim(text);
  if (text.empty()) return Result<MariaPosition>::success(position);
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) {
      return Result<MariaPosition>::failure("GTID position " + quoted(text) +
                                            " has an empty entry");
    }
    Result<MariaGtid> gtid = parse_maria_gtid(item);
    if (!gtid.ok()) return Result<MariaPosition>::failure(gtid.error());
    if (auto existing = position.domains_.find(gtid.value().domain_id);
        existing != position.domains_.end()) {
      // MariaDB refuses such a position too: which of the two would it mean?
      return Result<MariaPosition>::failure("GTID position " + quoted(text) + " names domain " +
                                            std::to_string(gtid.value().domain_id) + " twice (" +
                                            format_maria_gtid(existing->second) + " and " +
                                            std::string(item) + ")");
    }
    position.set(gtid.value());
  }
  return Result<MariaPosition>::success(std::move(position));
}

std::string MariaPosition::format() const {
  std::string text;
  for (const auto& [domain, gtid] : domains_) {
    if (!text.empty()) text += ',';
    text += format_maria_gtid(gtid);
  }
  return text;
}

void MariaPosition::set(const MariaGtid& gtid) {
  domains_[gtid.domain_id] = gtid;
}

std::optional<uint64_t> MariaPosition::seq_in(uint32_t domain_id) const {
  auto found = domains_.find(domain_id);
  if (found == domains_.end()) return std::nullopt;
  return found->second.seq_no;
}

bool MariaPosition::contains(const MariaPosition& other) const {
  return other.errant_relative_to(*this).empty();
}

bool MariaPosition::same_progress(const MariaPosition& other) const {
  return contains(other) && other.contains(*this);
}

MariaPosition MariaPosition::errant_relative_to(const MariaPosition& primary) const {
  MariaPosition errant;
  for (const auto& [domain, gtid] : domains_) {
    const std::optional<uint64_t> primary_seq = primary.seq_in(domain);
    if (!primary_seq || gtid.seq_no > *primary_seq) errant.set(gtid);
  }
  return errant;
}

Advancement MariaPosition::advancement() const {
  Advancement advancement;
  for (const auto& [domain, gtid] : domains_) advancement.transactions += gtid.seq_no;
  advancement.streams = domains_.size();
  return advancement;
}

// ----- MysqlGtidSet

Result<MysqlGtidSet> MysqlGtidSet::parse(std::string_view text) {
  MysqlGtidSet set;
  text = trim(text);
  if (text.empty()) return Result<MysqlGtidSet>::success(set);
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) {
      return Result<MysqlGtidSet>::failure("GTID set " + quoted(text) + " has an empty item");
    }
    Result<MysqlGtidSet> part = parse_mysql_item(item);
    if (!part.ok()) return part;
    set = set.union_with(part.value());
  }
  return Result<MysqlGtidSet>::success(std::move(set));
}

std::string MysqlGtidSet::format() const {
  std::string text;
  const std::string* previous_uuid = nullptr;
  for (const auto& [source, intervals] : sources_) {
    if (previous_uuid == nullptr || *previous_uuid != source.uuid) {
      if (!text.empty()) text += ',';
      text += source.uuid;
      previous_uuid = &source.uuid;
    }
    if (!source.tag.empty()) text += ':' + source.tag;
    for (const GtidInterval& interval : intervals) text += ':' + format_interval(interval);
  }
  return text;
}

void MysqlGtidSet::add(const GtidSource& source, GtidInterval interval) {
  assert(1 <= interval.first && interval.first <= interval.last &&
         interval.last <= kMaxTransaction);
  assert(normalize_uuid(source.uuid) == source.uuid);
  std::vector<GtidInterval>& intervals = sources_[source];
  intervals.push_back(interval);
  normalize(intervals);
}

bool MysqlGtidSet::contains(const MysqlGtidSet& other) const {
  for (const auto& [source, intervals] : other.sources_) {
    auto mine = sources_.find(source);
    if (mine == sources_.end() || !covers(mine->second, intervals)) return false;
  }
  return true;
}

bool MysqlGtidSet::contains(const GtidSource& source, uint64_t transaction) const {
  auto mine = sources_.find(source);
  return mine != sources_.end() && covers(mine->second, {{transaction, transaction}});
}

MysqlGtidSet MysqlGtidSet::subtract(const MysqlGtidSet& other) const {
  MysqlGtidSet rest;
  for (const auto& [source, intervals] : sources_) {
    auto theirs = other.sources_.find(source);
    std::vector<GtidInterval> left =
        theirs == other.sources_.end() ? intervals : minus(intervals, theirs->second);
    if (!left.empty()) rest.sources_.emplace(source, std::move(left));
  }
  return rest;
}

MysqlGtidSet MysqlGtidSet::union_with(const MysqlGtidSet& other) const {
  MysqlGtidSet both = *this;
  for (const auto& [source, intervals] : other.sources_) {
    std::vector<GtidInterval>& mine = both.sources_[source];
    mine.insert(mine.end(), intervals.begin(), intervals.end());
    normalize(mine);
  }
  return both;
}

unsigned __int128 MysqlGtidSet::transaction_count() const {
  unsigned __int128 count = 0;
  for (const auto& [source, intervals] : sources_) {
    for (const GtidInterval& interval : intervals) count += interval.last - interval.first + 1;
  }
  return count;
}

Advancement MysqlGtidSet::advancement() const {
  return {transaction_count(), sources_.size()};
}

// ----- GtidPosition

GtidPosition GtidPosition::empty_of(Flavour flavour) {
  return flavour == Flavour::kMariaDB ? GtidPosition(MariaPosition())
                                      : GtidPosition(MysqlGtidSet());
}

Result<GtidPosition> GtidPosition::parse(Flavour flavour, std::string_view text) {
  if (flavour == Flavour::kMariaDB) {
    Result<MariaPosition> position = MariaPosition::parse(text);
    if (!position.ok()) return Result<GtidPosition>::failure(position.error());
    return Result<GtidPosition>::success(GtidPosition(std::move(position).value()));
  }
  Result<MysqlGtidSet> set = MysqlGtidSet::parse(text);
  if (!set.ok()) return Result<GtidPosition>::failure(set.error());
  return Result<GtidPosition>::success(GtidPosition(std::move(set).value()));
}

std::string GtidPosition::format() const {
  return std::visit([](const auto& value) { return value.format(); }, value_);
}

Flavour GtidPosition::flavour() const {
  return mariadb() != nullptr ? Flavour::kMariaDB : Flavour::kMySQL;
}

bool GtidPosition::empty() const {
  return std::visit([](const auto& value) { return value.empty(); }, value_);
}

bool GtidPosition::contains(const GtidPosition& other) const {
  assert(flavour() == other.flavour());
  if (const MariaPosition* mine = mariadb()) return mine->contains(*other.mariadb());
  return mysql()->contains(*other.mysql());
}

GtidPosition GtidPosition::errant_relative_to(const GtidPosition& primary) const {
  assert(flavour() == primary.flavour());
  if (const MariaPosition* mine = mariadb()) {
    return GtidPosition(mine->errant_relative_to(*primary.mariadb()));
  }
  return GtidPosition(mysql()->errant_relative_to(*primary.mysql()));
}

GtidPosition GtidPosition::merged_with(const GtidPosition& other) const {
  assert(flavour() == other.flavour());
  if (const MariaPosition* mine = mariadb()) {
    MariaPosition merged = *mine;
    for (const auto& [domain, gtid] : other.mariadb()->domains()) {
      const std::optional<uint64_t> seq = merged.seq_in(domain);
      if (!seq || *seq < gtid.seq_no) merged.set(gtid);
    }
    return GtidPosition(std::move(merged));
  }
  return GtidPosition(mysql()->union_with(*other.mysql()));
}

Advancement GtidPosition::advancement() const {
  return std::visit([](const auto& value) { return value.advancement(); }, value_);
}

}  // namespace warden::mysqlctl
