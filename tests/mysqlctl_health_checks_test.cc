// mysqlctl/health_checks: the HTTP answers of the router and of each
// member's agent, which HAProxy and operators route by.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "mysqlctl/health_checks.h"
#include "tests/mysqlctl_topology_fixtures.h"

namespace warden::mysqlctl {
namespace {

using Json = nlohmann::json;

MemberRecord member(const std::string& id, const std::string& host, MemberRole role) {
  return topology_member(id, host, role, /*lag_seconds=*/2);
}

Topology healthy_cluster() {
  Topology topology;
  topology.primary = PrimaryRecord{
      .member_id = "db1", .epoch = 7, .host = "10.0.0.1", .port = 3306, .gtid_position = ""};
  topology.members = {member("db1", "10.0.0.1", MemberRole::kPrimary),
                      member("db2", "10.0.0.2", MemberRole::kReplica)};
  return topology;
}

Json body(const HttpAnswer& answer) {
  return Json::parse(answer.body);
}

// ---- the router's ----

TEST(MysqlctlHealthChecks, RouterPrimaryNamesTheReadWriteBackend) {
  const HttpAnswer answer = router_http_answer("GET", "/primary", healthy_cluster(), {});
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(body(answer),
            Json::parse(R"({"member_id": "db1", "epoch": 7, "host": "10.0.0.1", "port": 3306})"));
}

TEST(MysqlctlHealthChecks, RouterPrimaryIs503WithTheReasonWhenWritesAreRefused) {
  Topology topology = healthy_cluster();
  topology.members[0].read_only = true;
  const HttpAnswer answer = router_http_answer("GET", "/primary", topology, {});
  EXPECT_EQ(answer.status, 503u);
  EXPECT_EQ(body(answer)["reason"], "primary db1 (epoch 7) is read-only");
}

TEST(MysqlctlHealthChecks, RouterReplicaListsTheReadOnlyBackends) {
  const HttpAnswer answer = router_http_answer("GET", "/replica", healthy_cluster(), {});
  EXPECT_EQ(answer.status, 200u);
  const Json json = body(answer);
  ASSERT_EQ(json["replicas"].size(), 1u);
  EXPECT_EQ(json["replicas"][0]["member_id"], "db2");
  EXPECT_EQ(json["primary_fallback"], false);
}

TEST(MysqlctlHealthChecks, RouterReplicaFollowsTheFallbackPolicy) {
  Topology topology = healthy_cluster();
  topology.members[1].lag_seconds = 100;
  const HttpAnswer fallback = router_http_answer("GET", "/replica", topology, {});
  EXPECT_EQ(fallback.status, 200u);
  EXPECT_EQ(body(fallback)["primary_fallback"], true);
  EXPECT_TRUE(body(fallback)["replicas"].empty());
  const RoutePolicy strict{.max_lag_seconds = 10, .reads_fall_back_to_primary = false};
  const HttpAnswer refused = router_http_answer("GET", "/replica", topology, strict);
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(body(refused)["reason"], "no replica fit for reads");
}

TEST(MysqlctlHealthChecks, RouterHealthIs200EvenWithoutAView) {
  Topology topology;
  topology.unknown_because = "cannot reach Warden";
  const HttpAnswer health = router_http_answer("GET", "/health", topology, {});
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(body(health)["following"], "cannot reach Warden");
  EXPECT_EQ(router_http_answer("GET", "/primary", topology, {}).status, 503u);
  EXPECT_EQ(router_http_answer("GET", "/replica", topology, {}).status, 503u);
}

TEST(MysqlctlHealthChecks, MethodsPathsAndQueries) {
  const Topology topology = healthy_cluster();
  EXPECT_EQ(router_http_answer("POST", "/primary", topology, {}).status, 405u);
  EXPECT_EQ(router_http_answer("GET", "/nope", topology, {}).status, 404u);
  EXPECT_EQ(router_http_answer("GET", "/primary?from=haproxy", topology, {}).status, 200u);
  EXPECT_EQ(router_http_answer("GET", "/primaryx", topology, {}).status, 404u);
  const HttpAnswer head = router_http_answer("HEAD", "/primary", topology, {});
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.body, "");
}

// ---- a member's, from its agent ----

MemberHealthFacts primary_facts() {
  MemberHealthFacts facts;
  facts.member_id = "db1";
  facts.view = healthy_cluster();
  facts.local = facts.view.members[0];
  facts.confirmed = true;
  return facts;
}

MemberHealthFacts replica_facts() {
  MemberHealthFacts facts = primary_facts();
  facts.member_id = "db2";
  facts.local = facts.view.members[1];
  return facts;
}

TEST(MysqlctlHealthChecks, MemberPrimaryIs200ForTheConfirmedWritablePublishedPrimary) {
  const HttpAnswer answer = member_http_answer("GET", "/primary", primary_facts());
  EXPECT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(body(answer), Json::parse(R"({"member_id": "db1", "role": "primary", "epoch": 7})"));
  EXPECT_EQ(member_http_answer("GET", "/primary", replica_facts()).status, 503u);
}

// The value of `name`'s sample in a Prometheus text answer, or "" if none.
std::string sample(const std::string& text, const std::string& name) {
  const std::string prefix = name + "{member=";
  for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    const size_t space = text.find(' ', at);
    return text.substr(space + 1, text.find('\n', space) - space - 1);
  }
  return "";
}

// Commits that wait for an acknowledgement nobody can give show as a metric,
// not only in the log.
TEST(MysqlctlHealthChecks, MemberMetricsSayWhenCommitsWait) {
  MemberHealthFacts facts = primary_facts();
  facts.local->semi_sync = "on";
  facts.local->semi_sync_replicas = 1;
  facts.counters.failovers_published = 2;
  HttpAnswer answer = member_http_answer("GET", "/metrics", facts);
  EXPECT_EQ(answer.status, 200u);
  EXPECT_EQ(answer.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(sample(answer.body, "warden_mysql_commits_waiting"), "0") << answer.body;
  EXPECT_EQ(sample(answer.body, "warden_mysql_semi_sync_replicas"), "1");
  EXPECT_EQ(sample(answer.body, "warden_mysql_failovers_published_total"), "2");
  EXPECT_NE(answer.body.find("warden_mysql_up{member=\"db1\"} 1\n"), std::string::npos);

  facts.local->semi_sync_replicas = 0;
  answer = member_http_answer("GET", "/metrics", facts);
  EXPECT_EQ(sample(answer.body, "warden_mysql_commits_waiting"), "1");
  // A replica's record never says its commits wait.
  answer = member_http_answer("GET", "/metrics", replica_facts());
  EXPECT_EQ(sample(answer.body, "warden_mysql_commits_waiting"), "0");
  EXPECT_EQ(sample(answer.body, "warden_mysql_lag_seconds"), "2");
}

struct PrimaryRefusal {
  const char* name;
  std::function<void(MemberHealthFacts&)> change;
  const char* reason;
};

class MysqlctlMemberPrimaryRefusal : public testing::TestWithParam<PrimaryRefusal> {};

TEST_P(MysqlctlMemberPrimaryRefusal, Is503WithTheReason) {
  MemberHealthFacts facts = primary_facts();
  GetParam().change(facts);
  const HttpAnswer answer = member_http_answer("GET", "/primary", facts);
  EXPECT_EQ(answer.status, 503u);
  EXPECT_EQ(body(answer)["reason"], GetParam().reason);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, MysqlctlMemberPrimaryRefusal,
    testing::Values(
        PrimaryRefusal{"NotConfirmed", [](MemberHealthFacts& f) { f.confirmed = false; },
                       "this member's agent is not confirmed by the ensemble"},
        PrimaryRefusal{"NoView",
                       [](MemberHealthFacts& f) { f.view.unknown_because = "no recent view"; },
                       "no recent view"},
        PrimaryRefusal{"NoPrimaryRecord", [](MemberHealthFacts& f) { f.view.primary.reset(); },
                       "no primary published"},
        PrimaryRefusal{"AnotherIsPublished",
                       [](MemberHealthFacts& f) {
                         f.view.primary->member_id = "db2";
                         f.view.primary->epoch = 8;
                       },
                       "the primary is db2 (epoch 8)"},
        PrimaryRefusal{"NoRecentProbe", [](MemberHealthFacts& f) { f.local.reset(); },
                       "no recent probe of this member's server"},
        PrimaryRefusal{"Unhealthy",
                       [](MemberHealthFacts& f) {
                         f.local->healthy = false;
                         f.local->problem = "connection refused";
                       },
                       "this member's server is unhealthy: connection refused"},
        PrimaryRefusal{"ReadOnly", [](MemberHealthFacts& f) { f.local->read_only = true; },
                       "this member's server is read-only"},
        PrimaryRefusal{"Replicates",
                       [](MemberHealthFacts& f) { f.local->role = MemberRole::kReplica; },
                       "this member's server replicates"}),
    [](const testing::TestParamInfo<PrimaryRefusal>& info) { return info.param.name; });

TEST(MysqlctlHealthChecks, MemberReplicaUsesTheRoutingRuleWithTheDefaultLagBound) {
  MemberHealthFacts facts = replica_facts();
  const HttpAnswer answer = member_http_answer("GET", "/replica", facts);
  EXPECT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(body(answer)["lag_seconds"], 2);
  EXPECT_EQ(body(answer)["max_lag_seconds"], kDefaultMaxLagSeconds);
  facts.local->lag_seconds = kDefaultMaxLagSeconds + 1;
  const HttpAnswer lagging = member_http_answer("GET", "/replica", facts);
  EXPECT_EQ(lagging.status, 503u);
  EXPECT_EQ(body(lagging)["reason"], "member db2 lags 11 s (at most 10 s)");
  facts.local->io_running = false;
  EXPECT_EQ(body(member_http_answer("GET", "/replica", facts))["reason"],
            "member db2 is not connected to the primary");
}

TEST(MysqlctlHealthChecks, MemberReplicaTakesTheLagBoundFromTheQuery) {
  MemberHealthFacts facts = replica_facts();
  facts.local->lag_seconds = 30;
  EXPECT_EQ(member_http_answer("GET", "/replica?max_lag_seconds=30", facts).status, 200u);
  EXPECT_EQ(member_http_answer("GET", "/replica?x=1&max_lag_seconds=29", facts).status, 503u);
  for (const char* bad : {"/replica?max_lag_seconds=", "/replica?max_lag_seconds=-1",
                          "/replica?max_lag_seconds=5s", "/replica?max_lag_seconds"}) {
    EXPECT_EQ(member_http_answer("GET", bad, facts).status, 400u) << bad;
  }
}

TEST(MysqlctlHealthChecks, MemberReplicaIs503ForThePrimaryAndWithoutAProbe) {
  EXPECT_EQ(body(member_http_answer("GET", "/replica", primary_facts()))["reason"],
            "member db1 is the primary");
  MemberHealthFacts facts = replica_facts();
  facts.local.reset();
  EXPECT_EQ(member_http_answer("GET", "/replica", facts).status, 503u);
}

TEST(MysqlctlHealthChecks, MemberHealthFollowsTheLatestProbe) {
  MemberHealthFacts facts = replica_facts();
  EXPECT_EQ(member_http_answer("GET", "/health", facts).status, 200u);
  // The probe alone decides: no view and no confirmation are needed.
  facts.confirmed = false;
  facts.view.unknown_because = "no recent view";
  EXPECT_EQ(member_http_answer("GET", "/health", facts).status, 200u);
  facts.local->healthy = false;
  EXPECT_EQ(member_http_answer("GET", "/health", facts).status, 503u);
  facts.local.reset();
  EXPECT_EQ(member_http_answer("GET", "/health", facts).status, 503u);
}

}  // namespace
}  // namespace warden::mysqlctl
