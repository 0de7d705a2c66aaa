// mysqlctl/probe_result: what a probe's findings make a member (role, health
// and the reason when not healthy), the record published for it, and the raw
// findings as JSON.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "mysqlctl/probe_result.h"

namespace warden::mysqlctl {
namespace {

const ProbeTarget kTarget{.host = "127.0.0.1", .port = 3307};

ProbeResult mariadb_primary() {
  ProbeResult probe;
  probe.completed = true;
  probe.version = "10.11.6-MariaDB-0+deb12u1-log";
  probe.flavour = Flavour::kMariaDB;
  probe.server_id = 1;
  probe.read_only = false;
  probe.gtid_current_pos = "0-1-42";
  probe.gtid_binlog_pos = "0-1-42";
  return probe;
}

ProbeResult mariadb_replica() {
  ProbeResult probe = mariadb_primary();
  probe.server_id = 2;
  probe.read_only = true;
  probe.gtid_slave_pos = "0-1-40";
  probe.gtid_current_pos = "0-1-40";
  probe.gtid_binlog_pos = "0-1-40";
  ReplicationStatus replication;
  replication.source_host = "127.0.0.1";
  replication.source_port = 3306;
  replication.io_thread_state = "Yes";
  replication.sql_thread_state = "Yes";
  replication.seconds_behind_source = 2;
  probe.replication = replication;
  return probe;
}

MemberRecord record_of(const ProbeResult& probe) {
  Result<MemberRecord> record = member_record_from_probe(probe, kTarget, "db-1", 5);
  EXPECT_TRUE(record.ok()) << record.error();
  return record.ok() ? record.value() : MemberRecord{};
}

TEST(FlavourOfVersion, MariaDBSaysSoInItsVersion) {
  EXPECT_EQ(flavour_of_version("10.11.6-MariaDB-0+deb12u1-log"), Flavour::kMariaDB);
  EXPECT_EQ(flavour_of_version("5.5.5-10.6.12-MariaDB"), Flavour::kMariaDB);
  EXPECT_EQ(flavour_of_version("8.0.36"), Flavour::kMySQL);
  EXPECT_EQ(flavour_of_version("8.4.0-commercial"), Flavour::kMySQL);
}

TEST(AssessProbe, WritableWithoutReplicationIsAHealthyPrimary) {
  const ProbeAssessment assessment = assess_probe(mariadb_primary());
  EXPECT_EQ(assessment.role, MemberRole::kPrimary);
  EXPECT_TRUE(assessment.healthy);
  EXPECT_EQ(assessment.unhealthy_reason, "");

  const MemberRecord record = record_of(mariadb_primary());
  EXPECT_EQ(record.id, "db-1");
  EXPECT_EQ(record.host, "127.0.0.1");
  EXPECT_EQ(record.port, 3307);
  EXPECT_EQ(record.role, MemberRole::kPrimary);
  EXPECT_EQ(record.flavour, Flavour::kMariaDB);
  EXPECT_EQ(record.gtid_position, "0-1-42");
  EXPECT_EQ(record.lag_seconds, std::nullopt);
  EXPECT_TRUE(record.healthy);
  EXPECT_FALSE(record.read_only);
  EXPECT_EQ(record.priority, 5u);
}

TEST(AssessProbe, ReplicaWithBothThreadsRunningIsHealthy) {
  const ProbeAssessment assessment = assess_probe(mariadb_replica());
  EXPECT_EQ(assessment.role, MemberRole::kReplica);
  EXPECT_TRUE(assessment.healthy);
  const MemberRecord record = record_of(mariadb_replica());
  EXPECT_EQ(record.role, MemberRole::kReplica);
  EXPECT_EQ(record.lag_seconds, 2u);
  EXPECT_EQ(record.gtid_position, "0-1-40");
  EXPECT_TRUE(record.read_only);
}

TEST(AssessProbe, ReplicaWithAStoppedThreadIsUnhealthyAndSaysWhich) {
  ProbeResult probe = mariadb_replica();
  probe.replication->sql_thread_state = "No";
  probe.replication->last_sql_error = "Duplicate entry '1' for key 'PRIMARY'";
  probe.replication->seconds_behind_source = std::nullopt;
  ProbeAssessment assessment = assess_probe(probe);
  EXPECT_EQ(assessment.role, MemberRole::kReplica);
  EXPECT_FALSE(assessment.healthy);
  EXPECT_EQ(assessment.unhealthy_reason,
            "replication from 127.0.0.1:3306 is not running: Slave_SQL_Running is No "
            "(Last_SQL_Error: Duplicate entry '1' for key 'PRIMARY')");
  EXPECT_EQ(record_of(probe).lag_seconds, std::nullopt);
  EXPECT_FALSE(record_of(probe).healthy);

  probe.replication->io_thread_state = "Connecting";
  probe.replication->last_sql_error = "";
  assessment = assess_probe(probe);
  EXPECT_EQ(assessment.unhealthy_reason,
            "replication from 127.0.0.1:3306 is not running: Slave_IO_Running is Connecting; "
            "Slave_SQL_Running is No");
}

TEST(AssessProbe, ReplicaWhoseIoThreadStoppedOnItsSourcesErrorIsACandidate) {
  ProbeResult probe = mariadb_replica();
  probe.replication->io_thread_state = "No";
  probe.replication->last_io_error =
      "Got fatal error 1236 from master when reading data from binary log: 'Error: connecting "
      "slave requested to start from GTID 0-1-12, which is not in the master's binlog'";
  probe.replication->seconds_behind_source = std::nullopt;
  ProbeAssessment assessment = assess_probe(probe);
  EXPECT_TRUE(assessment.healthy);
  EXPECT_FALSE(record_of(probe).io_running);
  // Stopped by an operator, without an error: not a candidate.
  probe.replication->last_io_error = "";
  assessment = assess_probe(probe);
  EXPECT_FALSE(assessment.healthy);
  EXPECT_EQ(assessment.unhealthy_reason,
            "replication from 127.0.0.1:3306 is not running: Slave_IO_Running is No");
}

// Every replica of a primary that just died looks like this: its IO thread
// retries the source. It must stay a healthy candidate, with the lost
// connection published (it is what confirms the primary's failure).
TEST(AssessProbe, ReplicaRetryingItsSourceIsAHealthyCandidateNotConnected) {
  ProbeResult probe = mariadb_replica();
  probe.replication->io_thread_state = "Connecting";
  probe.replication->last_io_error = "error reconnecting to master 'repl@127.0.0.1:3306'";
  probe.replication->seconds_behind_source = std::nullopt;
  const ProbeAssessment assessment = assess_probe(probe);
  EXPECT_EQ(assessment.role, MemberRole::kReplica);
  EXPECT_TRUE(assessment.healthy);
  EXPECT_EQ(assessment.unhealthy_reason, "");
  EXPECT_EQ(assessment.note,
            "replication from 127.0.0.1:3306 is not connected: Slave_IO_Running is Connecting "
            "(Last_IO_Error: error reconnecting to master 'repl@127.0.0.1:3306')");
  const MemberRecord record = record_of(probe);
  EXPECT_TRUE(record.healthy);
  EXPECT_FALSE(record.io_running);
  EXPECT_EQ(record.source_host, "127.0.0.1");
  EXPECT_EQ(record.source_port, 3306);
  EXPECT_EQ(record.problem, assessment.note);

  probe.replication->io_thread_state = "Yes";
  EXPECT_TRUE(record_of(probe).io_running);
  EXPECT_EQ(record_of(probe).problem, "");
  // Stopped, not retrying, without an error: an operator stopped it.
  probe.replication->io_thread_state = "No";
  probe.replication->last_io_error = "";
  EXPECT_FALSE(assess_probe(probe).healthy);
}

// Only a writable server reports its semi-sync source state, and "on" means
// it never falls back to asynchronous replication.
TEST(AssessProbe, SemiSyncStateOfAPrimary) {
  ProbeResult probe = mariadb_primary();
  EXPECT_EQ(record_of(probe).semi_sync, "");  // no such feature
  probe.semi_sync_source_enabled = true;
  probe.semi_sync_source_timeout_ms = 10000;  // MariaDB's default
  probe.semi_sync_source_clients = 2;
  EXPECT_EQ(record_of(probe).semi_sync, "may-fall-back");
  EXPECT_EQ(record_of(probe).semi_sync_replicas, 2u);
  probe.semi_sync_source_timeout_ms = kSemiSyncNoFallbackMs;
  EXPECT_EQ(record_of(probe).semi_sync, "on");
  probe.semi_sync_source_clients = 0;
  EXPECT_EQ(record_of(probe).semi_sync_replicas, 0u);
  probe.semi_sync_source_enabled = false;
  EXPECT_EQ(record_of(probe).semi_sync, "off");
  // A read-only server is nobody's semi-sync source.
  probe.read_only = true;
  probe.semi_sync_source_enabled = true;
  EXPECT_EQ(record_of(probe).semi_sync, "");
  EXPECT_EQ(record_of(probe).semi_sync_replicas, std::nullopt);
}

TEST(AssessProbe, MySQLNamesItsOwnColumns) {
  ProbeResult probe = mariadb_replica();
  probe.version = "8.0.36";
  probe.flavour = Flavour::kMySQL;
  probe.gtid_current_pos = probe.gtid_slave_pos = probe.gtid_binlog_pos = "";
  probe.gtid_executed =
      "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n"
      "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3";
  EXPECT_TRUE(assess_probe(probe).healthy);
  EXPECT_EQ(record_of(probe).gtid_position, probe.gtid_executed);
  EXPECT_EQ(record_of(probe).flavour, Flavour::kMySQL);

  probe.replication->io_thread_state = "No";
  EXPECT_EQ(assess_probe(probe).unhealthy_reason,
            "replication from 127.0.0.1:3306 is not running: Replica_IO_Running is No");
}

TEST(AssessProbe, ReplicaStaysAReplicaEvenIfWritable) {
  ProbeResult probe = mariadb_replica();
  probe.read_only = false;
  EXPECT_EQ(assess_probe(probe).role, MemberRole::kReplica);
}

TEST(AssessProbe, ReadOnlyWithoutReplicationIsUnknownAndUnhealthy) {
  ProbeResult probe = mariadb_primary();
  probe.read_only = true;
  const ProbeAssessment assessment = assess_probe(probe);
  EXPECT_EQ(assessment.role, MemberRole::kUnknown);
  EXPECT_FALSE(assessment.healthy);
  EXPECT_NE(assessment.unhealthy_reason.find("neither a primary nor a replica"), std::string::npos);
}

TEST(AssessProbe, FailedProbeGivesAnUnhealthyRecordWithTheError) {
  ProbeResult probe;
  probe.error = "127.0.0.1:3307: cannot connect while connecting: Can't connect";
  const ProbeAssessment assessment = assess_probe(probe);
  EXPECT_EQ(assessment.role, MemberRole::kUnknown);
  EXPECT_FALSE(assessment.healthy);
  EXPECT_EQ(assessment.unhealthy_reason, probe.error);

  const MemberRecord record = record_of(probe);
  EXPECT_FALSE(record.healthy);
  EXPECT_EQ(record.role, MemberRole::kUnknown);
  EXPECT_EQ(record.gtid_position, "");
  EXPECT_TRUE(record.read_only);
  EXPECT_EQ(record.lag_seconds, std::nullopt);
  EXPECT_EQ(decode_member(encode_member(record)).value(), record);
}

TEST(AssessProbe, UnreadableGtidPositionIsUnhealthyAndNotPublished) {
  ProbeResult probe = mariadb_primary();
  probe.gtid_current_pos = "0-1-x";
  const ProbeAssessment assessment = assess_probe(probe);
  EXPECT_EQ(assessment.role, MemberRole::kPrimary);
  EXPECT_FALSE(assessment.healthy);
  EXPECT_NE(assessment.unhealthy_reason.find("unreadable GTID position"), std::string::npos);
  EXPECT_EQ(record_of(probe).gtid_position, "");
  EXPECT_FALSE(record_of(probe).healthy);
}

TEST(MemberRecordFromProbe, RefusesAnInvalidIdOrHost) {
  EXPECT_FALSE(member_record_from_probe(mariadb_primary(), kTarget, "a/b", 1).ok());
  EXPECT_FALSE(
      member_record_from_probe(mariadb_primary(), ProbeTarget{.host = "", .port = 1}, "a", 1).ok());
}

TEST(EncodeProbeResult, HoldsEveryFieldWithNullForAbsent) {
  ProbeResult probe = mariadb_replica();
  probe.semi_sync_source_enabled = true;
  probe.semi_sync_source_active = false;
  probe.elapsed_ms = 12;
  const nlohmann::json json = nlohmann::json::parse(encode_probe_result(probe));
  EXPECT_EQ(json["completed"], true);
  EXPECT_EQ(json["error"], "");
  EXPECT_EQ(json["elapsed_ms"], 12);
  EXPECT_EQ(json["version"], "10.11.6-MariaDB-0+deb12u1-log");
  EXPECT_EQ(json["flavour"], "mariadb");
  EXPECT_EQ(json["server_id"], 2);
  EXPECT_EQ(json["read_only"], true);
  EXPECT_EQ(json["gtid_current_pos"], "0-1-40");
  EXPECT_EQ(json["gtid_slave_pos"], "0-1-40");
  EXPECT_EQ(json["gtid_binlog_pos"], "0-1-40");
  EXPECT_EQ(json["gtid_executed"], "");
  EXPECT_EQ(json["replication"]["source_port"], 3306);
  EXPECT_EQ(json["replication"]["io_thread_state"], "Yes");
  EXPECT_EQ(json["replication"]["seconds_behind_source"], 2);
  EXPECT_EQ(json["semi_sync_source_enabled"], true);
  EXPECT_EQ(json["semi_sync_source_active"], false);

  const nlohmann::json primary = nlohmann::json::parse(encode_probe_result(mariadb_primary()));
  EXPECT_TRUE(primary["replication"].is_null());
  EXPECT_TRUE(primary["semi_sync_source_enabled"].is_null());
}

TEST(EncodeProbeResult, SurvivesBytesThatAreNotUtf8) {
  ProbeResult probe;
  probe.error = "bad \xff byte";
  const nlohmann::json json = nlohmann::json::parse(encode_probe_result(probe));
  EXPECT_EQ(json["completed"], false);
}

}  // namespace
}  // namespace warden::mysqlctl
