// mysqlctl/route_table: where the read/write split sends new connections,
// and which read-write connections it closes when the primary changes. Each
// rule has a case that breaks only that rule.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mysqlctl/route_table.h"
#include "tests/mysqlctl_topology_fixtures.h"

namespace warden::mysqlctl {
namespace {

MemberRecord member(const std::string& id, const std::string& host, MemberRole role) {
  return topology_member(id, host, role, /*lag_seconds=*/0);
}

// db1 the primary at epoch 3, db2 and db3 replicas streaming from it.
Topology healthy_cluster() {
  Topology topology;
  topology.primary = PrimaryRecord{
      .member_id = "db1", .epoch = 3, .host = "10.0.0.1", .port = 3306, .gtid_position = ""};
  topology.members = {member("db1", "10.0.0.1", MemberRole::kPrimary),
                      member("db2", "10.0.0.2", MemberRole::kReplica),
                      member("db3", "10.0.0.3", MemberRole::kReplica)};
  return topology;
}

MemberRecord& find(Topology& topology, const std::string& id) {
  for (MemberRecord& record : topology.members) {
    if (record.id == id) return record;
  }
  throw std::logic_error("no member " + id);
}

std::vector<std::string> ids(const std::vector<Backend>& backends) {
  std::vector<std::string> out;
  for (const Backend& backend : backends) out.push_back(backend.member_id);
  return out;
}

void expect_refused(const Route& route, const std::string& fragment) {
  EXPECT_FALSE(route.backend.has_value()) << route.backend->member_id;
  EXPECT_NE(route.refusal.find(fragment), std::string::npos)
      << "refusal '" << route.refusal << "' lacks '" << fragment << "'";
}

// ---- the read-write port ----

TEST(MysqlctlRouteTable, WritesGoToThePublishedPrimary) {
  const Route route = read_write_route(healthy_cluster());
  ASSERT_TRUE(route.backend.has_value()) << route.refusal;
  EXPECT_EQ(*route.backend,
            (Backend{.member_id = "db1", .host = "10.0.0.1", .port = 3306, .epoch = 3}));
  EXPECT_EQ(route.refusal, "");
}

TEST(MysqlctlRouteTable, WritesGoToTheMemberRecordsAddressWhenThePrimaryRecordHasNone) {
  Topology topology = healthy_cluster();
  topology.primary->host = "";
  topology.primary->port = 0;
  find(topology, "db1").port = 3307;
  const Route route = read_write_route(topology);
  ASSERT_TRUE(route.backend.has_value()) << route.refusal;
  EXPECT_EQ(route.backend->host, "10.0.0.1");
  EXPECT_EQ(route.backend->port, 3307);
}

TEST(MysqlctlRouteTable, NoWritesWithoutAPrimaryRecord) {
  Topology topology = healthy_cluster();
  topology.primary.reset();
  expect_refused(read_write_route(topology), "no primary published");
}

TEST(MysqlctlRouteTable, NothingIsRoutedWithoutACurrentView) {
  Topology topology = healthy_cluster();
  topology.unknown_because = "the session with Warden was lost";
  expect_refused(read_write_route(topology), "the session with Warden was lost");
  expect_refused(read_only_route(topology, RoutePolicy{}, {}), "the session with Warden was lost");
  EXPECT_TRUE(read_only_backends(topology, RoutePolicy{}).empty());
}

// Each way the published primary can be unfit for writes. Another member
// that is writable must not be chosen instead: writes are refused.
struct WriteRefusal {
  const char* name;
  std::function<void(Topology&)> change;
  const char* fragment;
};

class MysqlctlRouteTableWriteRefusal : public testing::TestWithParam<WriteRefusal> {};

TEST_P(MysqlctlRouteTableWriteRefusal, RefusesRatherThanWriteElsewhere) {
  Topology topology = healthy_cluster();
  // A writable stray that a looser rule might pick.
  MemberRecord& stray = find(topology, "db2");
  stray.role = MemberRole::kPrimary;
  stray.read_only = false;
  ASSERT_TRUE(read_write_route(topology).backend.has_value());
  GetParam().change(topology);
  expect_refused(read_write_route(topology), GetParam().fragment);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, MysqlctlRouteTableWriteRefusal,
    testing::Values(WriteRefusal{"MemberRecordGone",
                                 [](Topology& t) { t.members.erase(t.members.begin()); },
                                 "has no member record"},
                    WriteRefusal{"Unhealthy",
                                 [](Topology& t) {
                                   find(t, "db1").healthy = false;
                                   find(t, "db1").problem = "connection refused";
                                 },
                                 "is unhealthy: connection refused"},
                    WriteRefusal{"ReadOnly", [](Topology& t) { find(t, "db1").read_only = true; },
                                 "is read-only"},
                    WriteRefusal{"StillAReplica",
                                 [](Topology& t) { find(t, "db1").role = MemberRole::kReplica; },
                                 "is not a primary yet"},
                    WriteRefusal{"RecordsDisagreeOnTheAddress",
                                 [](Topology& t) { find(t, "db1").host = "10.0.0.9"; },
                                 "but its member record is at 10.0.0.9:3306"}),
    [](const testing::TestParamInfo<WriteRefusal>& info) { return info.param.name; });

TEST(MysqlctlRouteTable, APrimaryInMaintenanceStillTakesWrites) {
  Topology topology = healthy_cluster();
  find(topology, "db1").maintenance = true;
  EXPECT_TRUE(read_write_route(topology).backend.has_value());
}

// ---- the read-only port ----

TEST(MysqlctlRouteTable, ReadsGoToTheReplicaWithTheFewestConnectionsTiesByMemberId) {
  const Topology topology = healthy_cluster();
  const RoutePolicy policy;
  EXPECT_EQ(ids(read_only_backends(topology, policy)), (std::vector<std::string>{"db2", "db3"}));
  EXPECT_EQ(read_only_route(topology, policy, {}).backend->member_id, "db2");
  EXPECT_EQ(read_only_route(topology, policy, {{"db2", 1}}).backend->member_id, "db3");
  EXPECT_EQ(read_only_route(topology, policy, {{"db2", 1}, {"db3", 1}}).backend->member_id, "db2");
  EXPECT_EQ(read_only_route(topology, policy, {{"db2", 5}, {"db3", 2}}).backend->member_id, "db3");
  // Connections to the primary do not count against a replica.
  EXPECT_EQ(read_only_route(topology, policy, {{"db1", 9}, {"db3", 1}}).backend->member_id, "db2");
  const Route route = read_only_route(topology, policy, {});
  EXPECT_FALSE(route.primary_fallback);
  EXPECT_EQ(route.backend->host, "10.0.0.2");
  EXPECT_EQ(route.backend->epoch, 3u);
}

TEST(MysqlctlRouteTable, ReadOnlyBackendsAreOrderedByMemberId) {
  Topology topology = healthy_cluster();
  std::swap(topology.members[1], topology.members[2]);
  EXPECT_EQ(ids(read_only_backends(topology, RoutePolicy{})),
            (std::vector<std::string>{"db2", "db3"}));
}

// Each way db2 can be unfit for reads; db3 then takes every new read.
struct ReadRefusal {
  const char* name;
  std::function<void(MemberRecord&)> change;
  const char* fragment;
};

class MysqlctlRouteTableReadRefusal : public testing::TestWithParam<ReadRefusal> {};

TEST_P(MysqlctlRouteTableReadRefusal, TheReplicaGetsNoNewReads) {
  Topology topology = healthy_cluster();
  const RoutePolicy policy{.max_lag_seconds = 10};
  MemberRecord& db2 = find(topology, "db2");
  ASSERT_EQ(replica_refusal(db2, topology, policy.max_lag_seconds), "");
  GetParam().change(db2);
  const std::string refusal = replica_refusal(db2, topology, policy.max_lag_seconds);
  EXPECT_NE(refusal.find(GetParam().fragment), std::string::npos)
      << "refusal '" << refusal << "' lacks '" << GetParam().fragment << "'";
  EXPECT_EQ(ids(read_only_backends(topology, policy)), (std::vector<std::string>{"db3"}));
  // Even with db3 far busier.
  EXPECT_EQ(read_only_route(topology, policy, {{"db3", 100}}).backend->member_id, "db3");
}

INSTANTIATE_TEST_SUITE_P(
    Rules, MysqlctlRouteTableReadRefusal,
    testing::Values(
        ReadRefusal{"Unhealthy", [](MemberRecord& m) { m.healthy = false; }, "is unhealthy"},
        ReadRefusal{"InMaintenance", [](MemberRecord& m) { m.maintenance = true; },
                    "is in maintenance"},
        ReadRefusal{"NotAReplica", [](MemberRecord& m) { m.role = MemberRole::kUnknown; },
                    "is not a replica"},
        ReadRefusal{"FollowsAnotherPort", [](MemberRecord& m) { m.source_port = 3307; },
                    "replicates from 10.0.0.1:3307, not from the primary at 10.0.0.1:3306"},
        ReadRefusal{"FollowsAnotherHost", [](MemberRecord& m) { m.source_host = "10.0.0.3"; },
                    "replicates from 10.0.0.3:3306"},
        ReadRefusal{"Disconnected", [](MemberRecord& m) { m.io_running = false; },
                    "is not connected to the primary"},
        ReadRefusal{"LagUnknown", [](MemberRecord& m) { m.lag_seconds.reset(); }, "lag is unknown"},
        ReadRefusal{"LagsTooMuch", [](MemberRecord& m) { m.lag_seconds = 11; },
                    "lags 11 s (at most 10 s)"}),
    [](const testing::TestParamInfo<ReadRefusal>& info) { return info.param.name; });

TEST(MysqlctlRouteTable, ALagAtTheBoundStillServesReads) {
  Topology topology = healthy_cluster();
  find(topology, "db2").lag_seconds = 10;
  EXPECT_EQ(replica_refusal(find(topology, "db2"), topology, 10), "");
  EXPECT_NE(replica_refusal(find(topology, "db2"), topology, 9), "");
}

TEST(MysqlctlRouteTable, ThePrimaryIsNeverAReadOnlyBackendWhileReplicasQualify) {
  Topology topology = healthy_cluster();
  // Even shaped like a replica of itself.
  MemberRecord& db1 = find(topology, "db1");
  db1.role = MemberRole::kReplica;
  db1.read_only = true;
  db1.source_host = "10.0.0.1";
  db1.source_port = 3306;
  db1.io_running = true;
  db1.lag_seconds = 0;
  EXPECT_NE(replica_refusal(db1, topology, 10).find("is the primary"), std::string::npos);
  EXPECT_EQ(ids(read_only_backends(topology, RoutePolicy{})),
            (std::vector<std::string>{"db2", "db3"}));
}

TEST(MysqlctlRouteTable, ReplicasFollowWhereThePrimaryIsPublished) {
  Topology topology = healthy_cluster();
  // A failover moved the primary to db3 and repointed db2; db3's record
  // still looks like a replica of the old primary until its next probe.
  topology.primary = PrimaryRecord{
      .member_id = "db3", .epoch = 4, .host = "10.0.0.3", .port = 3306, .gtid_position = ""};
  find(topology, "db2").source_host = "10.0.0.3";
  EXPECT_EQ(ids(read_only_backends(topology, RoutePolicy{})), (std::vector<std::string>{"db2"}));
  find(topology, "db2").source_host = "10.0.0.1";
  EXPECT_TRUE(read_only_backends(topology, RoutePolicy{}).empty());
}

TEST(MysqlctlRouteTable, NoReadsFromReplicasWithoutAPrimaryRecord) {
  Topology topology = healthy_cluster();
  topology.primary.reset();
  EXPECT_TRUE(read_only_backends(topology, RoutePolicy{}).empty());
  expect_refused(read_only_route(topology, RoutePolicy{}, {}), "no primary published");
}

TEST(MysqlctlRouteTable, ReadsFallBackToThePrimaryWhenNoReplicaQualifies) {
  Topology topology = healthy_cluster();
  find(topology, "db2").lag_seconds = 60;
  find(topology, "db3").healthy = false;
  const Route route = read_only_route(topology, RoutePolicy{}, {});
  ASSERT_TRUE(route.backend.has_value()) << route.refusal;
  EXPECT_EQ(route.backend->member_id, "db1");
  EXPECT_TRUE(route.primary_fallback);
}

TEST(MysqlctlRouteTable, ReadsAreRefusedWhenTheFallbackIsOff) {
  Topology topology = healthy_cluster();
  find(topology, "db2").lag_seconds = 60;
  find(topology, "db3").healthy = false;
  const RoutePolicy policy{.max_lag_seconds = 10, .reads_fall_back_to_primary = false};
  expect_refused(read_only_route(topology, policy, {}), "no replica fit for reads");
}

TEST(MysqlctlRouteTable, TheFallbackFollowsTheWriteRules) {
  Topology topology = healthy_cluster();
  find(topology, "db2").lag_seconds = 60;
  find(topology, "db3").lag_seconds = 60;
  find(topology, "db1").read_only = true;
  const Route route = read_only_route(topology, RoutePolicy{}, {});
  expect_refused(route, "no replica fit for reads, and primary db1 (epoch 3) is read-only");
  EXPECT_FALSE(route.primary_fallback);
}

// ---- closing read-write connections to an old primary ----

TEST(MysqlctlRouteTable, ReadWriteConnectionsAreStaleOnceTheRecordNamesAnotherEpochOrMember) {
  Topology topology = healthy_cluster();
  const Backend made = *read_write_route(topology).backend;
  EXPECT_FALSE(read_write_connection_stale(made, topology));
  // The primary's health does not make its connections stale.
  find(topology, "db1").healthy = false;
  EXPECT_FALSE(read_write_connection_stale(made, topology));
  topology.primary->epoch = 4;
  EXPECT_TRUE(read_write_connection_stale(made, topology));
  topology.primary->epoch = 3;
  topology.primary->member_id = "db2";
  EXPECT_TRUE(read_write_connection_stale(made, topology));
}

TEST(MysqlctlRouteTable, NothingIsStaleWithoutAPrimaryRecord) {
  Topology topology = healthy_cluster();
  const Backend made = *read_write_route(topology).backend;
  topology.primary.reset();
  EXPECT_FALSE(read_write_connection_stale(made, topology));
  topology.unknown_because = "the session with Warden was lost";
  EXPECT_FALSE(read_write_connection_stale(made, topology));
}

TEST(MysqlctlRouteTable, PrimaryAddressPrefersThePrimaryRecord) {
  Topology topology = healthy_cluster();
  find(topology, "db1").host = "db1.example";
  EXPECT_EQ(primary_address(topology), (Address{.host = "10.0.0.1", .port = 3306}));
  topology.primary->host = "";
  EXPECT_EQ(primary_address(topology), (Address{.host = "db1.example", .port = 3306}));
  topology.members.erase(topology.members.begin());
  EXPECT_EQ(primary_address(topology), std::nullopt);
  topology.primary.reset();
  EXPECT_EQ(primary_address(topology), std::nullopt);
}

}  // namespace
}  // namespace warden::mysqlctl
