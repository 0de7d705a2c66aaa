// mysqlctl/gtid: parsing and formatting of MariaDB positions and MySQL GTID
// sets, containment, subtraction and union, errant transactions, and the
// advancement order the failover planner ranks candidates by. Unit cases pin
// down the syntax and the error messages; properties check the laws
// (round trip, partial order, set algebra against a brute-force model).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cctype>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mysqlctl/gtid.h"
#include "tests/mysqlctl_gtid_generators.h"

namespace warden::mysqlctl {
namespace {

using testing::any_interval;
using testing::any_maria_position;
using testing::any_mysql_set;
using testing::any_source;
using testing::grown;

constexpr const char* kU1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr const char* kU2 = "8a94f357-aab4-11df-86ab-c80aa9429562";

MariaPosition maria(std::string_view text) {
  Result<MariaPosition> parsed = MariaPosition::parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error();
  return parsed.ok() ? parsed.value() : MariaPosition();
}

MysqlGtidSet mysql(const std::string& text) {
  Result<MysqlGtidSet> parsed = MysqlGtidSet::parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error();
  return parsed.ok() ? parsed.value() : MysqlGtidSet();
}

std::string maria_error(std::string_view text) {
  Result<MariaPosition> parsed = MariaPosition::parse(text);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << parsed.value().format();
  return parsed.error();
}

std::string mysql_error(const std::string& text) {
  Result<MysqlGtidSet> parsed = MysqlGtidSet::parse(text);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << parsed.value().format();
  return parsed.error();
}

std::string u1(const std::string& rest) {
  return std::string(kU1) + rest;
}
std::string u2(const std::string& rest) {
  return std::string(kU2) + rest;
}

// ----- flavours

TEST(MysqlctlFlavour, NamesRoundTrip) {
  for (Flavour flavour : {Flavour::kMariaDB, Flavour::kMySQL}) {
    EXPECT_EQ(parse_flavour(flavour_name(flavour)), flavour);
  }
  EXPECT_EQ(std::string(flavour_name(Flavour::kMariaDB)), "mariadb");
  EXPECT_EQ(parse_flavour("MariaDB"), std::nullopt);
  EXPECT_EQ(parse_flavour(""), std::nullopt);
}

// ----- MariaDB

TEST(MysqlctlMariaPosition, ParsesAndFormatsTriples) {
  const MariaPosition position = maria("0-1-100,1-2-7");
  ASSERT_EQ(position.domains().size(), 2u);
  EXPECT_EQ(position.domains().at(0), (MariaGtid{0, 1, 100}));
  EXPECT_EQ(position.domains().at(1), (MariaGtid{1, 2, 7}));
  EXPECT_EQ(position.seq_in(1), 7u);
  EXPECT_EQ(position.seq_in(2), std::nullopt);
  EXPECT_EQ(position.format(), "0-1-100,1-2-7");
}

TEST(MysqlctlMariaPosition, NormalizesOrderAndWhitespace) {
  EXPECT_EQ(maria(" 1-2-7 ,\n0-1-100 ").format(), "0-1-100,1-2-7");
  EXPECT_EQ(maria("00-01-0100").format(), "0-1-100");
}

TEST(MysqlctlMariaPosition, EmptyTextIsTheEmptyPosition) {
  EXPECT_TRUE(maria("").empty());
  EXPECT_TRUE(maria("  \n").empty());
  EXPECT_EQ(MariaPosition().format(), "");
}

TEST(MysqlctlMariaPosition, AcceptsTheLimits) {
  const MariaPosition position = maria("4294967295-4294967295-18446744073709551615");
  EXPECT_EQ(position.seq_in(UINT32_MAX), UINT64_MAX);
  EXPECT_EQ(position.format(), "4294967295-4294967295-18446744073709551615");
}

TEST(MysqlctlMariaPosition, RefusesMalformedTextNamingIt) {
  EXPECT_NE(maria_error("0-1").find("'0-1' is not domain-server-seq"), std::string::npos);
  EXPECT_NE(maria_error("0-1-2-3").find("'0-1-2-3'"), std::string::npos);
  EXPECT_NE(maria_error("a-1-1").find("bad domain id"), std::string::npos);
  EXPECT_NE(maria_error("0-x-1").find("bad server id"), std::string::npos);
  EXPECT_NE(maria_error("0-1-").find("bad sequence number"), std::string::npos);
  EXPECT_NE(maria_error("0-1-+5").find("bad sequence number"), std::string::npos);
  EXPECT_NE(maria_error("0-1- 5").find("bad sequence number"), std::string::npos);
  EXPECT_NE(maria_error("4294967296-1-1").find("bad domain id"), std::string::npos);
  EXPECT_NE(maria_error("0-4294967296-1").find("bad server id"), std::string::npos);
  EXPECT_NE(maria_error("0-1-18446744073709551616").find("bad sequence number"), std::string::npos);
  EXPECT_NE(maria_error("0-1-1,,1-1-1").find("empty entry"), std::string::npos);
  EXPECT_NE(maria_error("0-1-1,").find("empty entry"), std::string::npos);
  EXPECT_NE(maria_error(",0-1-1").find("empty entry"), std::string::npos);
  EXPECT_NE(maria_error("0-1-1;1-1-1").find("'0-1-1;1-1-1'"), std::string::npos);
}

TEST(MysqlctlMariaPosition, RefusesADomainTwice) {
  const std::string error = maria_error("0-1-5,1-1-1,0-2-9");
  EXPECT_NE(error.find("names domain 0 twice (0-1-5 and 0-2-9)"), std::string::npos) << error;
}

TEST(MysqlctlMariaPosition, ContainsComparesSeqPerDomain) {
  EXPECT_TRUE(maria("0-1-100").contains(maria("0-1-50")));
  EXPECT_FALSE(maria("0-1-50").contains(maria("0-1-100")));
  EXPECT_TRUE(maria("0-1-100,1-1-3").contains(maria("0-1-100")));
  EXPECT_FALSE(maria("0-1-100").contains(maria("0-1-100,1-1-3")));
  EXPECT_FALSE(maria("0-1-100,1-1-3").contains(maria("0-1-99,1-1-4")));
  EXPECT_TRUE(maria("0-1-1").contains(MariaPosition()));
  EXPECT_TRUE(MariaPosition().contains(MariaPosition()));
  EXPECT_FALSE(MariaPosition().contains(maria("0-1-0")));
}

TEST(MysqlctlMariaPosition, ServerIdPlaysNoPartInProgress) {
  // After a failover the new primary writes domain 0 under its own server_id
  // and continues the domain's seq.
  const MariaPosition before = maria("0-1-100");
  const MariaPosition after = maria("0-2-101");
  EXPECT_TRUE(after.contains(before));
  EXPECT_FALSE(before.contains(after));
  EXPECT_TRUE(maria("0-1-100").same_progress(maria("0-7-100")));
  EXPECT_NE(maria("0-1-100"), maria("0-7-100"));  // yet they format differently
  EXPECT_FALSE(maria("0-1-100").same_progress(maria("0-1-100,1-1-0")));
}

TEST(MysqlctlMariaPosition, ErrantIsWhatThePrimaryLacks) {
  const MariaPosition member = maria("0-1-100,1-3-5,2-1-4");
  EXPECT_EQ(member.errant_relative_to(maria("0-1-90,2-1-4")).format(), "0-1-100,1-3-5");
  EXPECT_EQ(member.errant_relative_to(maria("0-1-100,2-1-9")).format(), "1-3-5");
  EXPECT_TRUE(member.errant_relative_to(maria("0-2-100,1-1-5,2-1-4")).empty());
  EXPECT_TRUE(MariaPosition().errant_relative_to(maria("0-1-1")).empty());
}

TEST(MysqlctlMariaPosition, AdvancementSumsSeqsThenCountsDomains) {
  EXPECT_GT(maria("0-1-10,1-1-0").advancement(), maria("0-1-10").advancement());
  EXPECT_GT(maria("0-1-11").advancement(), maria("0-1-10,1-1-0").advancement());
  EXPECT_EQ(maria("0-1-10").advancement(), maria("0-9-10").advancement());
  // No overflow: two domains near the top still order above one.
  EXPECT_GT(maria("0-1-18446744073709551615,1-1-18446744073709551615").advancement(),
            maria("0-1-18446744073709551615,1-1-18446744073709551614").advancement());
}

// ----- MySQL

TEST(MysqlctlMysqlGtidSet, ParsesAndFormatsIntervals) {
  const MysqlGtidSet set = mysql(u1(":1-5:7-9,") + u2(":1-3"));
  ASSERT_EQ(set.sources().size(), 2u);
  EXPECT_EQ(set.sources().at({kU1, ""}), (std::vector<GtidInterval>{{1, 5}, {7, 9}}));
  EXPECT_EQ(set.format(), u1(":1-5:7-9,") + u2(":1-3"));
  EXPECT_EQ(set.transaction_count(), 11u);
}

TEST(MysqlctlMysqlGtidSet, NormalizesWhatMysqlMayPrint) {
  // Upper case, MySQL's newline after commas, a repeated UUID, unordered,
  // overlapping and adjacent intervals, single transactions.
  std::string upper = kU2;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const MysqlGtidSet set = mysql(upper + ":4,\n" + u1(":7-9:1-5:6") + ", " + u2(":1-3:2"));
  EXPECT_EQ(set.format(), u1(":1-9,") + u2(":1-4"));
  EXPECT_EQ(mysql(u1(":7")).format(), u1(":7"));
  EXPECT_EQ(mysql(u1(":1-2:2-3:10")).format(), u1(":1-3:10"));
}

TEST(MysqlctlMysqlGtidSet, EmptyTextIsTheEmptySet) {
  EXPECT_TRUE(mysql("").empty());
  EXPECT_TRUE(mysql(" \n").empty());
  EXPECT_EQ(MysqlGtidSet().format(), "");
}

TEST(MysqlctlMysqlGtidSet, ParsesTags) {
  const MysqlGtidSet set = mysql(u1(":1-5:Tag_B:4:tag_a:1-3,") + u1(":x:1"));
  EXPECT_EQ(set.format(), u1(":1-5:tag_a:1-3:tag_b:4:x:1"));
  EXPECT_TRUE(set.contains({kU1, "tag_b"}, 4));
  EXPECT_FALSE(set.contains({kU1, ""}, 6));
  EXPECT_EQ(mysql(u1(":t:1-2")).format(), u1(":t:1-2"));
  EXPECT_EQ(mysql(u1(":1,") + u1(":t:2")).format(), u1(":1:t:2"));
}

TEST(MysqlctlMysqlGtidSet, AcceptsTheLargestTransactionNumber) {
  const MysqlGtidSet set = mysql(u1(":9223372036854775806:9223372036854775807"));
  EXPECT_EQ(set.format(), u1(":9223372036854775806-9223372036854775807"));
}

TEST(MysqlctlMysqlGtidSet, RefusesMalformedTextNamingIt) {
  EXPECT_NE(mysql_error(kU1).find("has no intervals"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":")).find("empty part"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":1::2")).find("empty part"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":0")).find("interval '0'"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":5-3")).find("ends before it starts"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":1-2-3")).find("interval '1-2-3'"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":1a")).find("interval '1a'"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":-3")).find("interval '-3'"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":9223372036854775808")).find("2^63-1"), std::string::npos);
  EXPECT_NE(mysql_error("3e11fa47-71ca-11e1-9e33-c80aa942956:1").find("is not a server UUID"),
            std::string::npos);
  EXPECT_NE(mysql_error("3e11fa4771ca11e19e33c80aa9429562:1").find("is not a server UUID"),
            std::string::npos);
  EXPECT_NE(mysql_error("zz11fa47-71ca-11e1-9e33-c80aa9429562:1").find("is not a server UUID"),
            std::string::npos);
  EXPECT_NE(mysql_error(u1(":1,,") + u2(":1")).find("empty item"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":1,")).find("empty item"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":1:tag")).find("ends with a tag"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":t1:t2:1")).find("bad tag 't2' (no intervals before it)"),
            std::string::npos);
  EXPECT_NE(mysql_error(u1(":t-x:1")).find("bad tag 't-x'"), std::string::npos);
  EXPECT_NE(mysql_error(u1(":") + std::string(33, 'a') + ":1").find("bad tag"), std::string::npos);
}

TEST(MysqlctlMysqlGtidSet, ContainsSubtractUnion) {
  const MysqlGtidSet all = mysql(u1(":1-10,") + u2(":1-3"));
  const MysqlGtidSet some = mysql(u1(":3-4:8"));
  EXPECT_TRUE(all.contains(some));
  EXPECT_FALSE(some.contains(all));
  EXPECT_TRUE(all.contains(MysqlGtidSet()));
  EXPECT_FALSE(mysql(u1(":1-3:5-7")).contains(mysql(u1(":3-5"))));
  EXPECT_EQ(all.subtract(some).format(), u1(":1-2:5-7:9-10,") + u2(":1-3"));
  EXPECT_EQ(mysql(u1(":1-10")).subtract(mysql(u1(":1-10"))).format(), "");
  EXPECT_EQ(mysql(u1(":1-10")).subtract(mysql(u2(":1-10"))).format(), u1(":1-10"));
  EXPECT_EQ(mysql(u1(":5-10")).subtract(mysql(u1(":1-6:9-20"))).format(), u1(":7-8"));
  EXPECT_EQ(mysql(u1(":1-3")).union_with(mysql(u1(":4-6,") + u2(":2"))).format(),
            u1(":1-6,") + u2(":2"));
}

TEST(MysqlctlMysqlGtidSet, ErrantIsWhatThePrimaryLacks) {
  const MysqlGtidSet replica = mysql(u1(":1-10,") + u2(":1"));
  EXPECT_EQ(replica.errant_relative_to(mysql(u1(":1-12"))).format(), u2(":1"));
  EXPECT_TRUE(replica.errant_relative_to(mysql(u1(":1-12,") + u2(":1-5"))).empty());
}

// ----- GtidPosition

TEST(MysqlctlGtidPosition, ParsesPerFlavour) {
  Result<GtidPosition> maria_position = GtidPosition::parse(Flavour::kMariaDB, "0-1-5");
  ASSERT_TRUE(maria_position.ok());
  EXPECT_EQ(maria_position.value().flavour(), Flavour::kMariaDB);
  ASSERT_NE(maria_position.value().mariadb(), nullptr);
  EXPECT_EQ(maria_position.value().mysql(), nullptr);
  EXPECT_EQ(maria_position.value().format(), "0-1-5");

  Result<GtidPosition> mysql_position = GtidPosition::parse(Flavour::kMySQL, u1(":1-5"));
  ASSERT_TRUE(mysql_position.ok());
  EXPECT_EQ(mysql_position.value().flavour(), Flavour::kMySQL);
  EXPECT_EQ(mysql_position.value().format(), u1(":1-5"));

  // Each flavour refuses the other's syntax.
  EXPECT_FALSE(GtidPosition::parse(Flavour::kMariaDB, u1(":1-5")).ok());
  EXPECT_FALSE(GtidPosition::parse(Flavour::kMySQL, "0-1-5").ok());
  EXPECT_NE(GtidPosition::parse(Flavour::kMariaDB, "0-1").error().find("domain-server-seq"),
            std::string::npos);
}

TEST(MysqlctlGtidPosition, EmptyOfEachFlavour) {
  for (Flavour flavour : {Flavour::kMariaDB, Flavour::kMySQL}) {
    const GtidPosition empty = GtidPosition::empty_of(flavour);
    EXPECT_EQ(empty.flavour(), flavour);
    EXPECT_TRUE(empty.empty());
    EXPECT_EQ(empty.format(), "");
  }
}

TEST(MysqlctlGtidPosition, MergedWithKeepsBoth) {
  const GtidPosition applied = GtidPosition::parse(Flavour::kMariaDB, "0-1-10,1-2-5").value();
  const GtidPosition received = GtidPosition::parse(Flavour::kMariaDB, "0-3-12,2-2-1").value();
  EXPECT_EQ(applied.merged_with(received).format(), "0-3-12,1-2-5,2-2-1");
  EXPECT_EQ(received.merged_with(applied).format(), "0-3-12,1-2-5,2-2-1");
  const GtidPosition mysql_applied =
      GtidPosition::parse(Flavour::kMySQL, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5").value();
  const GtidPosition mysql_received =
      GtidPosition::parse(Flavour::kMySQL, "3e11fa47-71ca-11e1-9e33-c80aa9429562:4-9").value();
  EXPECT_EQ(mysql_applied.merged_with(mysql_received).format(),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9");
}

TEST(MysqlctlGtidPosition, ErrantAndContainsAgree) {
  const GtidPosition primary(maria("0-1-100"));
  const GtidPosition behind(maria("0-1-90"));
  const GtidPosition errant(maria("0-1-90,5-4-1"));
  EXPECT_TRUE(primary.contains(behind));
  EXPECT_TRUE(behind.errant_relative_to(primary).empty());
  EXPECT_FALSE(primary.contains(errant));
  EXPECT_EQ(errant.errant_relative_to(primary).format(), "5-4-1");
}

// ----- properties: MariaDB

RC_GTEST_PROP(MysqlctlMariaPositionProperty, ParseOfFormatIsIdentity, ()) {
  const MariaPosition position = any_maria_position();
  Result<MariaPosition> parsed = MariaPosition::parse(position.format());
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed.value() == position);
}

RC_GTEST_PROP(MysqlctlMariaPositionProperty, ContainsIsAPartialOrderOnProgress, ()) {
  const MariaPosition a = any_maria_position(2);
  const MariaPosition b = any_maria_position(2);
  const MariaPosition c = any_maria_position(2);
  RC_ASSERT(a.contains(a));
  if (a.contains(b) && b.contains(c)) RC_ASSERT(a.contains(c));
  if (a.contains(b) && b.contains(a)) {
    RC_ASSERT(a.same_progress(b));
    RC_ASSERT(a.advancement() == b.advancement());
  }
  // Grown chains always exercise transitivity, not only by chance.
  const MariaPosition b2 = grown(a);
  const MariaPosition c2 = grown(b2);
  RC_ASSERT(b2.contains(a));
  RC_ASSERT(c2.contains(b2));
  RC_ASSERT(c2.contains(a));
}

RC_GTEST_PROP(MysqlctlMariaPositionProperty, AdvancementExtendsContainment, ()) {
  const MariaPosition a = any_maria_position(2);
  const MariaPosition b = *rc::gen::arbitrary<bool>() ? grown(a) : any_maria_position(2);
  if (b.contains(a)) {
    RC_ASSERT(b.advancement() >= a.advancement());
    if (!a.contains(b)) RC_ASSERT(b.advancement() > a.advancement());
  }
}

RC_GTEST_PROP(MysqlctlMariaPositionProperty, ErrantIsEmptyExactlyWhenContained, ()) {
  const MariaPosition member = any_maria_position(2);
  const MariaPosition primary = any_maria_position(2);
  const MariaPosition errant = member.errant_relative_to(primary);
  RC_ASSERT(errant.empty() == primary.contains(member));
  RC_ASSERT(member.contains(errant));
  // Nothing errant is something the primary has.
  for (const auto& [domain, gtid] : errant.domains()) {
    const auto primary_seq = primary.seq_in(domain);
    RC_ASSERT(!primary_seq || *primary_seq < gtid.seq_no);
  }
}

// ----- properties: MySQL

// Every (source, transaction) in `set`; only for sets of small numbers.
std::set<std::pair<GtidSource, uint64_t>> model_of(const MysqlGtidSet& set) {
  std::set<std::pair<GtidSource, uint64_t>> model;
  for (const auto& [source, intervals] : set.sources()) {
    for (const GtidInterval& interval : intervals) {
      for (uint64_t t = interval.first; t <= interval.last; ++t) model.insert({source, t});
    }
  }
  return model;
}

MysqlGtidSet small_mysql_set() {
  MysqlGtidSet set;
  const int count = *rc::gen::inRange(0, 6);
  for (int i = 0; i < count; ++i) {
    const uint64_t first = *rc::gen::inRange<uint64_t>(1, 20);
    set.add(any_source(), {first, first + *rc::gen::inRange<uint64_t>(0, 5)});
  }
  return set;
}

bool is_normalized(const MysqlGtidSet& set) {
  for (const auto& [source, intervals] : set.sources()) {
    if (intervals.empty()) return false;
    for (size_t i = 0; i < intervals.size(); ++i) {
      if (intervals[i].first < 1 || intervals[i].last < intervals[i].first) return false;
      if (i > 0 && intervals[i].first <= intervals[i - 1].last + 1) return false;
    }
  }
  return true;
}

RC_GTEST_PROP(MysqlctlMysqlGtidSetProperty, ParseOfFormatIsIdentity, ()) {
  const MysqlGtidSet set = any_mysql_set();
  RC_ASSERT(is_normalized(set));
  Result<MysqlGtidSet> parsed = MysqlGtidSet::parse(set.format());
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed.value() == set);
}

RC_GTEST_PROP(MysqlctlMysqlGtidSetProperty, ParseIgnoresOrderAndSplitting, ()) {
  // The same transactions listed one by one, in any order, in items of any
  // grouping, parse to the same normalized set.
  const MysqlGtidSet set = small_mysql_set();
  std::vector<std::pair<GtidSource, uint64_t>> singles;
  for (const auto& single : model_of(set)) singles.push_back(single);
  for (size_t i = 0; i + 1 < singles.size(); ++i) {
    std::swap(singles[i], singles[*rc::gen::inRange<size_t>(i, singles.size())]);
  }
  std::string text;
  for (const auto& [source, transaction] : singles) {
    if (!text.empty()) text += ",\n";
    text += source.uuid + (source.tag.empty() ? "" : ":" + source.tag) + ":" +
            std::to_string(transaction);
  }
  Result<MysqlGtidSet> parsed = MysqlGtidSet::parse(text);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed.value() == set);
}

RC_GTEST_PROP(MysqlctlMysqlGtidSetProperty, OperationsMatchABruteForceModel, ()) {
  const MysqlGtidSet a = small_mysql_set();
  const MysqlGtidSet b = small_mysql_set();
  const auto ma = model_of(a);
  const auto mb = model_of(b);

  std::set<std::pair<GtidSource, uint64_t>> both = ma;
  both.insert(mb.begin(), mb.end());
  std::set<std::pair<GtidSource, uint64_t>> rest;
  for (const auto& t : ma) {
    if (!mb.count(t)) rest.insert(t);
  }
  const bool a_in_b = rest.empty();
  bool b_in_a = true;
  for (const auto& t : mb) b_in_a = b_in_a && ma.count(t) > 0;

  RC_ASSERT(model_of(a.union_with(b)) == both);
  RC_ASSERT(model_of(a.subtract(b)) == rest);
  RC_ASSERT(b.contains(a) == a_in_b);
  RC_ASSERT(a.contains(b) == b_in_a);
  RC_ASSERT(is_normalized(a.union_with(b)));
  RC_ASSERT(is_normalized(a.subtract(b)));
  RC_ASSERT(a.transaction_count() == ma.size());
  for (const auto& [source, transaction] : mb) {
    RC_ASSERT(a.contains(source, transaction) == (ma.count({source, transaction}) > 0));
  }
}

RC_GTEST_PROP(MysqlctlMysqlGtidSetProperty, ContainsIsAPartialOrder, ()) {
  const MysqlGtidSet a = small_mysql_set();
  const MysqlGtidSet b =
      *rc::gen::arbitrary<bool>() ? a.union_with(small_mysql_set()) : small_mysql_set();
  const MysqlGtidSet c =
      *rc::gen::arbitrary<bool>() ? b.union_with(small_mysql_set()) : small_mysql_set();
  RC_ASSERT(a.contains(a));
  if (c.contains(b) && b.contains(a)) RC_ASSERT(c.contains(a));
  if (a.contains(b) && b.contains(a)) RC_ASSERT(a == b);
  if (b.contains(a)) {
    RC_ASSERT(b.advancement() >= a.advancement());
    if (!(a == b)) RC_ASSERT(b.advancement() > a.advancement());
  }
}

RC_GTEST_PROP(MysqlctlMysqlGtidSetProperty, SubtractAndUnionLaws, ()) {
  const MysqlGtidSet a = any_mysql_set();
  const MysqlGtidSet b = any_mysql_set();
  const MysqlGtidSet c = any_mysql_set();
  const MysqlGtidSet empty;
  // Union: commutative, associative, idempotent, an upper bound.
  RC_ASSERT(a.union_with(b) == b.union_with(a));
  RC_ASSERT(a.union_with(b).union_with(c) == a.union_with(b.union_with(c)));
  RC_ASSERT(a.union_with(a) == a);
  RC_ASSERT(a.union_with(empty) == a);
  RC_ASSERT(a.union_with(b).contains(a) && a.union_with(b).contains(b));
  // Subtract: removes exactly b's part.
  const MysqlGtidSet rest = a.subtract(b);
  RC_ASSERT(a.contains(rest));
  RC_ASSERT(rest.subtract(a).empty());
  RC_ASSERT(rest.subtract(b) == rest);
  RC_ASSERT(rest.union_with(b) == a.union_with(b));
  RC_ASSERT(b.subtract(b.subtract(a)).union_with(rest) == a);  // (a∩b) ∪ (a−b) = a
  RC_ASSERT(a.subtract(a).empty());
  RC_ASSERT(a.subtract(empty) == a);
  RC_ASSERT(empty.subtract(a).empty());
  RC_ASSERT(a.contains(b) == b.subtract(a).empty());
  RC_ASSERT(a.errant_relative_to(b) == rest);
}

RC_GTEST_PROP(MysqlctlMysqlGtidSetProperty, AddingIntervalsOneByOneNormalizes, ()) {
  MysqlGtidSet set;
  const GtidSource source = any_source();
  const int count = *rc::gen::inRange(0, 10);
  for (int i = 0; i < count; ++i) {
    set.add(source, any_interval(12));
    RC_ASSERT(is_normalized(set));
  }
}

// ----- properties: either flavour

RC_GTEST_PROP(MysqlctlGtidPositionProperty, ErrantIsEmptyExactlyWhenContained, ()) {
  const bool use_maria = *rc::gen::arbitrary<bool>();
  const GtidPosition member =
      use_maria ? GtidPosition(any_maria_position(2)) : GtidPosition(small_mysql_set());
  const GtidPosition primary =
      use_maria ? GtidPosition(any_maria_position(2)) : GtidPosition(small_mysql_set());
  RC_ASSERT(member.errant_relative_to(primary).empty() == primary.contains(member));
  Result<GtidPosition> reparsed = GtidPosition::parse(member.flavour(), member.format());
  RC_ASSERT(reparsed.ok());
  RC_ASSERT(reparsed.value() == member);
}

RC_GTEST_PROP(MysqlctlGtidPositionProperty, ParsingArbitraryTextNeverCrashes, ()) {
  const std::string alphabet = "0123456789-:,abcdefABCDEF_ \n";
  const auto text = *rc::gen::container<std::string>(rc::gen::elementOf(alphabet));
  for (Flavour flavour : {Flavour::kMariaDB, Flavour::kMySQL}) {
    Result<GtidPosition> parsed = GtidPosition::parse(flavour, text);
    if (parsed.ok()) {
      Result<GtidPosition> again = GtidPosition::parse(flavour, parsed.value().format());
      RC_ASSERT(again.ok());
      RC_ASSERT(again.value() == parsed.value());
    } else {
      RC_ASSERT(!parsed.error().empty());
    }
  }
}

}  // namespace
}  // namespace warden::mysqlctl
