// mysqlctl/member: the published member and primary records (JSON both
// ways, refusing malformed records with a reason), name validation and the
// namespace layout.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "mysqlctl/member.h"
#include "tests/mysqlctl_gtid_generators.h"

namespace warden::mysqlctl {
namespace {

MemberRecord sample_member() {
  MemberRecord record;
  record.id = "db-2";
  record.host = "10.0.0.2";
  record.port = 3307;
  record.role = MemberRole::kReplica;
  record.flavour = Flavour::kMariaDB;
  record.gtid_position = "0-1-100,1-2-7";
  record.received_gtid_position = "0-1-104,1-2-7";
  record.lag_seconds = 3;
  record.healthy = true;
  record.read_only = true;
  record.maintenance = false;
  record.priority = 5;
  record.source_host = "10.0.0.1";
  record.source_port = 3306;
  record.io_running = true;
  return record;
}

std::string decode_member_error(const std::string& json) {
  Result<MemberRecord> decoded = decode_member(json);
  EXPECT_FALSE(decoded.ok()) << json;
  return decoded.error();
}

// sample_member() as JSON with `key` replaced by `value` (raw JSON text), or
// removed when `value` is empty.
std::string sample_with(const std::string& key, const std::string& value) {
  nlohmann::json json = nlohmann::json::parse(encode_member(sample_member()));
  if (value.empty()) {
    json.erase(key);
  } else {
    json[key] = nlohmann::json::parse(value);
  }
  return json.dump();
}

TEST(MysqlctlMember, EncodesTheDocumentedFields) {
  const nlohmann::json json = nlohmann::json::parse(encode_member(sample_member()));
  EXPECT_EQ(json, nlohmann::json::parse(R"({
    "id": "db-2", "host": "10.0.0.2", "port": 3307, "role": "replica",
    "flavour": "mariadb", "gtid_position": "0-1-100,1-2-7",
    "received_gtid_position": "0-1-104,1-2-7", "lag_seconds": 3,
    "healthy": true, "read_only": true, "maintenance": false, "priority": 5,
    "source_host": "10.0.0.1", "source_port": 3306, "io_running": true, "problem": "",
    "semi_sync": "", "semi_sync_replicas": null})"));
}

// An older agent's record lacks the replication fields and the problem.
TEST(MysqlctlMember, ReplicationFieldsMayBeAbsent) {
  nlohmann::json json = nlohmann::json::parse(encode_member(sample_member()));
  for (const char* key : {"source_host", "source_port", "io_running", "problem"}) json.erase(key);
  Result<MemberRecord> decoded = decode_member(json.dump());
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().source_host, "");
  EXPECT_EQ(decoded.value().source_port, 0);
  EXPECT_FALSE(decoded.value().io_running);
  EXPECT_EQ(decoded.value().problem, "");
  EXPECT_NE(decode_member_error(sample_with("source_port", "70000")).find("source_port"),
            std::string::npos);
  EXPECT_NE(decode_member_error(sample_with("io_running", "1")).find("io_running"),
            std::string::npos);
  EXPECT_NE(decode_member_error(sample_with("source_host", "\"bad host\"")).find("source_host"),
            std::string::npos);
  EXPECT_NE(decode_member_error(sample_with("semi_sync", "\"maybe\"")).find("semi_sync"),
            std::string::npos);
  MemberRecord primary = sample_member();
  primary.semi_sync = "on";
  primary.semi_sync_replicas = 2;
  Result<MemberRecord> round_trip = decode_member(encode_member(primary));
  ASSERT_TRUE(round_trip.ok()) << round_trip.error();
  EXPECT_EQ(round_trip.value(), primary);
}

TEST(MysqlctlMember, RoundTrips) {
  MemberRecord record = sample_member();
  Result<MemberRecord> decoded = decode_member(encode_member(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), record);

  record.lag_seconds.reset();
  record.role = MemberRole::kPrimary;
  record.flavour = Flavour::kMySQL;
  record.gtid_position = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5";
  record.received_gtid_position = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9";
  decoded = decode_member(encode_member(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), record);
}

TEST(MysqlctlMember, LagMayBeNullOrAbsent) {
  Result<MemberRecord> with_null = decode_member(sample_with("lag_seconds", "null"));
  ASSERT_TRUE(with_null.ok()) << with_null.error();
  EXPECT_EQ(with_null.value().lag_seconds, std::nullopt);
  Result<MemberRecord> absent = decode_member(sample_with("lag_seconds", ""));
  ASSERT_TRUE(absent.ok()) << absent.error();
  EXPECT_EQ(absent.value().lag_seconds, std::nullopt);
}

TEST(MysqlctlMember, IgnoresUnknownKeys) {
  Result<MemberRecord> decoded = decode_member(sample_with("added_in_v2", R"({"x": [1]})"));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), sample_member());
}

TEST(MysqlctlMember, RefusesWhatIsNotARecord) {
  EXPECT_EQ(decode_member_error(""), "member record is not valid JSON");
  EXPECT_EQ(decode_member_error("{\"id\": "), "member record is not valid JSON");
  EXPECT_EQ(decode_member_error("[1,2]"), "member record is not a JSON object");
  EXPECT_EQ(decode_member_error("\"db-1\""), "member record is not a JSON object");
  EXPECT_NE(decode_member_error(std::string(70000, ' ') + "{}").find("larger than"),
            std::string::npos);
  EXPECT_EQ(decode_member_error("{\"id\": \"\xff\"}"), "member record is not valid JSON");
}

TEST(MysqlctlMember, RefusesBadFieldsWithTheReason) {
  EXPECT_EQ(decode_member_error(sample_with("id", "")), "member record: missing \"id\"");
  EXPECT_EQ(decode_member_error(sample_with("healthy", "")), "member record: missing \"healthy\"");
  EXPECT_EQ(decode_member_error(sample_with("port", "\"3306\"")),
            "member record: \"port\" is not a non-negative integer");
  EXPECT_EQ(decode_member_error(sample_with("port", "3306.5")),
            "member record: \"port\" is not a non-negative integer");
  EXPECT_EQ(decode_member_error(sample_with("port", "-1")),
            "member record: \"port\" is not a non-negative integer");
  EXPECT_EQ(decode_member_error(sample_with("port", "65536")),
            "member record: port is above 65535");
  EXPECT_EQ(decode_member_error(sample_with("port", "0")), "member record: port is 0");
  EXPECT_EQ(decode_member_error(sample_with("priority", "1001")),
            "member record: priority is above 1000");
  EXPECT_EQ(decode_member_error(sample_with("healthy", "1")),
            "member record: \"healthy\" is not true or false");
  EXPECT_EQ(decode_member_error(sample_with("lag_seconds", "-2")),
            "member record: \"lag_seconds\" is not a non-negative integer");
  EXPECT_EQ(decode_member_error(sample_with("role", "\"leader\"")),
            "member record: unknown role 'leader'");
  EXPECT_EQ(decode_member_error(sample_with("flavour", "\"postgres\"")),
            "member record: unknown flavour 'postgres'");
  EXPECT_NE(decode_member_error(sample_with("id", "\"a/b\"")).find("member id 'a/b'"),
            std::string::npos);
  EXPECT_EQ(decode_member_error(sample_with("host", "\"\"")), "member record: host is empty");
  EXPECT_NE(decode_member_error(sample_with("host", "\"a b\"")).find("host has a space"),
            std::string::npos);
}

TEST(MysqlctlMember, RefusesAPositionInTheWrongSyntax) {
  const std::string error = decode_member_error(
      sample_with("gtid_position", "\"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5\""));
  EXPECT_NE(error.find("member record: gtid_position: GTID "), std::string::npos) << error;
  EXPECT_NE(decode_member_error(sample_with("flavour", "\"mysql\"")).find("gtid_position"),
            std::string::npos);
}

TEST(MysqlctlMember, RecordErrorChecksEveryField) {
  MemberRecord record = sample_member();
  EXPECT_EQ(member_record_error(record), "");
  record.priority = kMaxPriority + 1;
  EXPECT_EQ(member_record_error(record), "priority is above 1000");
  record = sample_member();
  record.host = std::string(256, 'h');
  EXPECT_EQ(member_record_error(record), "host is longer than 255 characters");
  record = sample_member();
  record.host = "::1";  // IPv6 literals are fine
  EXPECT_EQ(member_record_error(record), "");
}

TEST(MysqlctlMember, RolesRoundTrip) {
  for (MemberRole role : {MemberRole::kPrimary, MemberRole::kReplica, MemberRole::kUnknown}) {
    EXPECT_EQ(parse_member_role(member_role_name(role)), role);
  }
  EXPECT_EQ(parse_member_role("Primary"), std::nullopt);
}

TEST(MysqlctlPrimaryRecord, RoundTripsAndRefuses) {
  const PrimaryRecord record{"db-1", 42, "", 0, ""};
  EXPECT_EQ(nlohmann::json::parse(encode_primary(record)),
            nlohmann::json::parse(R"({"member_id": "db-1", "epoch": 42})"));
  Result<PrimaryRecord> decoded = decode_primary(encode_primary(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), record);

  Result<PrimaryRecord> largest =
      decode_primary(R"({"member_id": "db-1", "epoch": 18446744073709551615})");
  ASSERT_TRUE(largest.ok());
  EXPECT_EQ(largest.value().epoch, UINT64_MAX);

  EXPECT_EQ(decode_primary("nope").error(), "primary record is not valid JSON");
  EXPECT_EQ(decode_primary(R"({"epoch": 1})").error(), "primary record: missing \"member_id\"");
  EXPECT_EQ(decode_primary(R"({"member_id": "db-1"})").error(),
            "primary record: missing \"epoch\"");
  EXPECT_EQ(decode_primary(R"({"member_id": "db-1", "epoch": -1})").error(),
            "primary record: \"epoch\" is not a non-negative integer");
  EXPECT_EQ(decode_primary(R"({"member_id": "db-1", "epoch": 1e3})").error(),
            "primary record: \"epoch\" is not a non-negative integer");
  EXPECT_EQ(decode_primary(R"({"member_id": "", "epoch": 1})").error(),
            "primary record: member id is empty");
}

// Where the primary's server is, so a failover can fence it once its member
// record is gone; absent in a record that does not say.
TEST(MysqlctlPrimaryRecord, CarriesTheServerAddress) {
  const PrimaryRecord record{"db1", 7, "10.0.0.1", 3307, ""};
  EXPECT_EQ(nlohmann::json::parse(encode_primary(record)),
            nlohmann::json::parse(
                R"({"member_id": "db1", "epoch": 7, "host": "10.0.0.1", "port": 3307})"));
  Result<PrimaryRecord> decoded = decode_primary(encode_primary(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), record);
  decoded = decode_primary(R"({"member_id": "db1", "epoch": 7})");
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().host, "");
  EXPECT_EQ(decoded.value().port, 0);
  EXPECT_FALSE(decode_primary(R"({"member_id": "db1", "epoch": 7, "host": "a b"})").ok());
  EXPECT_FALSE(decode_primary(R"({"member_id": "db1", "epoch": 7, "port": 70000})").ok());
}

// What the primary held when it took its epoch: the next one must hold it.
TEST(MysqlctlPrimaryRecord, CarriesThePositionAtPromotion) {
  const PrimaryRecord record{"db1", 7, "10.0.0.1", 3307, "0-1-200"};
  Result<PrimaryRecord> decoded = decode_primary(encode_primary(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), record);
  EXPECT_EQ(nlohmann::json::parse(encode_primary(record))["gtid_position"], "0-1-200");
  EXPECT_EQ(decode_primary(R"({"member_id": "db1", "epoch": 7})").value().gtid_position, "");
}

TEST(MysqlctlNames, ClusterNamesAndMemberIds) {
  for (const char* good : {"main", "db-1.eu_west", "A", "x1"}) {
    EXPECT_EQ(cluster_name_error(good), "") << good;
    EXPECT_EQ(member_id_error(good), "") << good;
  }
  EXPECT_EQ(cluster_name_error(std::string(64, 'c')), "");
  EXPECT_EQ(cluster_name_error(""), "cluster name is empty");
  EXPECT_EQ(cluster_name_error(std::string(65, 'c')), "cluster name is longer than 64 characters");
  EXPECT_EQ(cluster_name_error(".hidden"), "cluster name '.hidden' starts with '.'");
  EXPECT_EQ(member_id_error(".."), "member id '..' starts with '.'");
  for (const char* bad : {"a/b", "a b", "tab\t", "\xc3\xbc", "semi;colon", "zoo\x01"}) {
    EXPECT_NE(cluster_name_error(bad).find("has a character other than"), std::string::npos) << bad;
    EXPECT_NE(member_id_error(bad), "") << bad;
  }
}

TEST(MysqlctlLayout, Paths) {
  EXPECT_EQ(cluster_path("main"), "/warden/mysql/main");
  EXPECT_EQ(members_path("main"), "/warden/mysql/main/members");
  EXPECT_EQ(member_path("main", "db-1"), "/warden/mysql/main/members/db-1");
  EXPECT_EQ(primary_path("main"), "/warden/mysql/main/primary");
  EXPECT_EQ(failover_lock_path("main"), "/warden/mysql/main/failover-lock");
  EXPECT_EQ(maintenance_path("main"), "/warden/mysql/main/maintenance");
  EXPECT_EQ(maintenance_member_path("main", "db-1"), "/warden/mysql/main/maintenance/db-1");
}

// ----- properties

std::string any_name() {
  const std::string alphabet = "abcXYZ019-_.";
  const int length = *rc::gen::inRange(1, 65);
  std::string name = *rc::gen::container<std::string>(length, rc::gen::elementOf(alphabet));
  if (name.front() == '.') name.front() = 'm';
  return name;
}

MemberRecord any_member() {
  MemberRecord record;
  record.id = any_name();
  record.host = *rc::gen::element<std::string>("localhost", "127.0.0.1", "::1", "db.example");
  record.port = *rc::gen::inRange<uint16_t>(1, UINT16_MAX);
  record.role = *rc::gen::element(MemberRole::kPrimary, MemberRole::kReplica, MemberRole::kUnknown);
  record.flavour = *rc::gen::element(Flavour::kMariaDB, Flavour::kMySQL);
  record.gtid_position = record.flavour == Flavour::kMariaDB
                             ? testing::any_maria_position().format()
                             : testing::any_mysql_set().format();
  if (*rc::gen::arbitrary<bool>()) record.lag_seconds = *rc::gen::arbitrary<uint64_t>();
  record.healthy = *rc::gen::arbitrary<bool>();
  record.read_only = *rc::gen::arbitrary<bool>();
  record.maintenance = *rc::gen::arbitrary<bool>();
  record.priority = *rc::gen::inRange<uint32_t>(0, kMaxPriority + 1);
  return record;
}

RC_GTEST_PROP(MysqlctlMemberProperty, DecodeOfEncodeIsIdentity, ()) {
  const MemberRecord record = any_member();
  RC_ASSERT(member_record_error(record).empty());
  Result<MemberRecord> decoded = decode_member(encode_member(record));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded.value() == record);

  const PrimaryRecord primary{any_name(), *rc::gen::arbitrary<uint64_t>(), "", 0, ""};
  Result<PrimaryRecord> decoded_primary = decode_primary(encode_primary(primary));
  RC_ASSERT(decoded_primary.ok());
  RC_ASSERT(decoded_primary.value() == primary);
}

RC_GTEST_PROP(MysqlctlMemberProperty, DamagedRecordsAreRefusedOrValid, ()) {
  // Flip, drop or insert bytes of a valid encoding: decoding never throws or
  // crashes, and whatever it accepts is a valid record.
  std::string text = encode_member(any_member());
  const int edits = *rc::gen::inRange(1, 4);
  for (int i = 0; i < edits && !text.empty(); ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, text.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        text[at] = *rc::gen::arbitrary<char>();
        break;
      case 1:
        text.erase(at, 1);
        break;
      default:
        text.insert(at, 1, *rc::gen::elementOf(std::string("{}[]\":,0-9 ")));
    }
  }
  Result<MemberRecord> decoded = decode_member(text);
  if (decoded.ok()) {
    RC_ASSERT(member_record_error(decoded.value()).empty());
  } else {
    RC_ASSERT(!decoded.error().empty());
  }
  Result<PrimaryRecord> primary = decode_primary(text);
  RC_ASSERT(primary.ok() || !primary.error().empty());
}

}  // namespace
}  // namespace warden::mysqlctl
