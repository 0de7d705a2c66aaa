// The server's commands: four-letter words recognised from a connection's
// first bytes and refused outside the whitelist with ZooKeeper's words; each
// command answered from the facts, in ZooKeeper's text and as the admin
// server's JSON; and the node's health.
#include <gtest/gtest.h>

#include "net/admin_routes.h"
#include "net/four_letter_words.h"
#include "store/txn_preparer.h"

namespace warden::net {
namespace {

using Json = nlohmann::json;

class ServerCommandsTest : public ::testing::Test {
 protected:
  ServerCommandsTest() {
    const ConfigResult parsed = parse_zoo_config(
        "tickTime=2000\ndataDir=/var/lib/warden\nclientPort=2181\n4lw.commands.whitelist=*\n",
        "zoo.cfg");
    EXPECT_TRUE(parsed.ok()) << parsed.error;
    if (parsed.ok()) config_ = *parsed.config;
    session_ = create_session();
    create("/app", store::CreateMode::kPersistent);
    create("/app/lock", store::CreateMode::kEphemeral);
    watches_.add_data_watch("/app", kConnection);
    watches_.add_child_watch("/app", kConnection);
    watches_.add_data_watch("/app/lock", kConnection);  // 2 (path, watcher) pairs

    facts_.config = &config_;
    facts_.state = &state_;
    facts_.watches = &watches_;
    facts_.mode = "follower";
    facts_.leader_id = 2;
    facts_.now_ms = 1'700'000'090'000;
    facts_.started_ms = 1'700'000'000'000;
    facts_.data_dir_bytes = 4096;
    facts_.data_log_dir_bytes = 4096;
    facts_.environment = {{"host.name", "db1"}, {"os.name", "Linux"}};
    facts_.clients.packets_received = 12;
    facts_.clients.packets_sent = 11;
    facts_.clients.latency.add(2);
    facts_.clients.latency.add(4);
    ConnectionStats& c = facts_.connections.emplace_back();
    c.id = kConnection;
    c.remote_ip = "10.0.0.9";
    c.remote_port = 50123;
    c.session = session_;
    c.timeout_ms = 30000;
    c.packets_received = 5;
    c.packets_sent = 4;
    c.established_ms = 1'700'000'000'500;
    c.last_operation = "GETD";
    c.last_xid = 4;
    c.last_zxid = state_.last_applied_zxid();
    c.last_response_ms = 1'700'000'080'000;
    c.last_latency_ms = 3;
    c.latency.add(3);
  }

  store::SessionId create_session() {
    store::WriteRequest request;
    request.op = store::OpCode::kCreateSession;
    request.request_id = 1;
    request.session_timeout_ms = 30000;
    return apply(request).created_session;
  }
  void create(const std::string& path, store::CreateMode mode) {
    store::WriteRequest request;
    request.session = session_;
    request.request_id = ++request_id_;
    request.op = store::OpCode::kCreate;
    request.ops.push_back(
        store::WriteOp{store::OpCode::kCreate, path, "x", store::open_acl(), mode, -1, -1});
    ASSERT_EQ(apply(request).error, store::ErrorCode::kOk);
  }
  store::ApplyResult apply(const store::WriteRequest& request) {
    const std::optional<store::Txn> txn = preparer_.prepare(request, 1'700'000'000'000);
    EXPECT_TRUE(txn.has_value());
    preparer_.keep(++index_);
    const store::ApplyResult result = state_.apply(*txn, ++zxid_);
    preparer_.applied(index_);
    return result;
  }
  std::string text(const std::string& word) { return four_letter_reply(word, facts_); }
  Json json(const std::string& name) {
    const std::optional<CommandName> command = find_command(name);
    EXPECT_TRUE(command.has_value()) << name;
    return command ? Json::parse(command_json(*command, facts_)) : Json{};
  }

  static constexpr uint64_t kConnection = 7;
  ZooConfig config_;
  store::ZooState state_;
  store::TxnPreparer preparer_{state_, store::PrepConfig{}};
  store::WatchManager watches_;
  ServerFacts facts_;
  store::SessionId session_ = 0;
  uint64_t request_id_ = 1;
  uint64_t index_ = 0;
  int64_t zxid_ = int64_t{1} << 32;
};

std::string hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

TEST(FourLetterWords, AreRecognisedOnlyWhenKnown) {
  EXPECT_EQ(four_letter_word("ruok"), "ruok");
  EXPECT_EQ(four_letter_word("mntrXYZ"), "mntr");
  EXPECT_FALSE(four_letter_word("ruo").has_value());
  EXPECT_FALSE(four_letter_word(std::string("\0\0\0\x2d", 4)).has_value()) << "a frame length";
  EXPECT_FALSE(four_letter_word("abcd").has_value());
}

TEST_F(ServerCommandsTest, OutsideTheWhitelistWordsAreRefused) {
  config_.four_letter_words = {"srvr"};
  EXPECT_EQ(text("ruok"), "ruok is not executed because it is not in the whitelist.\n");
  EXPECT_NE(text("srvr").find("Mode: follower\n"), std::string::npos);
}

TEST_F(ServerCommandsTest, EveryKnownWordWithACommandIsAnsweredAndTheRestSaySo) {
  for (const std::string& word : known_four_letter_words()) {
    const std::string reply = text(word);
    EXPECT_FALSE(reply.empty()) << word;
    const bool has_command = find_command(word).has_value();
    EXPECT_EQ(reply.find("not supported") == std::string::npos, has_command) << word << reply;
  }
  EXPECT_EQ(command_names().size(), 13u);
}

TEST_F(ServerCommandsTest, SrvrAndStatReportTrafficLatencyAndMode) {
  const std::string srvr = text("srvr");
  EXPECT_NE(srvr.find("Latency min/avg/max: 2/3.0/4\n"), std::string::npos) << srvr;
  EXPECT_NE(srvr.find("Received: 12\nSent: 11\nConnections: 1\n"), std::string::npos) << srvr;
  EXPECT_NE(srvr.find("Zxid: " + hex(state_.last_applied_zxid()) + "\n"), std::string::npos);
  EXPECT_NE(srvr.find("Node count: " + std::to_string(state_.tree().node_count())),
            std::string::npos);
  EXPECT_EQ(srvr.find("Clients:"), std::string::npos);
  const std::string stat = text("stat");
  EXPECT_NE(stat.find("Clients:\n /10.0.0.9:50123[1](queued=0,recved=5,sent=4)\n\n"),
            std::string::npos)
      << stat;
  const Json stats = json("stats");
  EXPECT_EQ(stats["command"], "stats");
  EXPECT_TRUE(stats["error"].is_null());
  EXPECT_EQ(stats["server_state"], "follower");
  EXPECT_EQ(stats["connections"].size(), 1u);
  EXPECT_EQ(json("srvr")["command"], "server_stats");
}

TEST_F(ServerCommandsTest, MntrUsesZooKeepersKeysAndCountsClosedConnectionsByReason) {
  facts_.clients.connections_closed[static_cast<size_t>(CloseReason::kTooManyConnections)] = 3;
  const std::string mntr = text("mntr");
  EXPECT_NE(mntr.find("zk_server_state\tfollower\n"), std::string::npos) << mntr;
  EXPECT_NE(mntr.find("zk_znode_count\t" + std::to_string(state_.tree().node_count()) + "\n"),
            std::string::npos);
  EXPECT_NE(mntr.find("zk_watch_count\t2\n"), std::string::npos) << mntr;
  EXPECT_NE(mntr.find("zk_ephemerals_count\t1\n"), std::string::npos) << mntr;
  EXPECT_NE(mntr.find("zk_global_sessions\t1\n"), std::string::npos) << mntr;
  EXPECT_NE(mntr.find("zk_avg_latency\t3.0\n"), std::string::npos) << mntr;
  EXPECT_NE(mntr.find("zk_connections_closed_too_many_connections\t3\n"), std::string::npos);
  const Json monitor = json("monitor");
  EXPECT_EQ(monitor["znode_count"], state_.tree().node_count());
  EXPECT_EQ(monitor["connections_closed_too_many_connections"], 3);
}

TEST_F(ServerCommandsTest, ConsListsEachConnectionWithItsSession) {
  const std::string cons = text("cons");
  EXPECT_EQ(cons, " /10.0.0.9:50123[1](queued=0,recved=5,sent=4,sid=" + hex(session_) +
                      ",lop=GETD,est=1700000000500,to=30000,lcxid=0x4,lzxid=" +
                      hex(state_.last_applied_zxid()) +
                      ",lresp=1700000080000,llat=3,minlat=3,avglat=3,maxlat=3)\n\n");
  const Json connections = json("connections");
  ASSERT_EQ(connections["connections"].size(), 1u);
  EXPECT_EQ(connections["connections"][0]["session_id"], hex(session_));
  EXPECT_EQ(connections["connections"][0]["remote_socket_address"], "10.0.0.9:50123");
}

TEST_F(ServerCommandsTest, WatchesAreListedBySessionAndByPath) {
  EXPECT_EQ(text("wchs"), "1 connections watching 2 paths\nTotal watches:2\n");
  EXPECT_EQ(text("wchc"), hex(session_) + "\n\t/app\n\t/app/lock\n\n");
  EXPECT_EQ(text("wchp"), "/app\n\t" + hex(session_) + "\n/app/lock\n\t" + hex(session_) + "\n\n");
  const Json by_session = json("watches")["session_id_to_watched_paths"];
  EXPECT_EQ(by_session[std::to_string(session_)], Json({"/app", "/app/lock"}));
  EXPECT_EQ(json("wchp")["path_to_session_ids"]["/app"], Json({session_}));
  EXPECT_EQ(json("watch_summary")["num_total_watches"], 2);
}

TEST_F(ServerCommandsTest, DumpListsSessionsAndTheirEphemerals) {
  const std::string dump = text("dump");
  EXPECT_NE(dump.find("Global Sessions(1):\n" + hex(session_) + "\t30000ms\n"), std::string::npos)
      << dump;
  EXPECT_NE(dump.find("Sessions with Ephemerals (1):\n" + hex(session_) + ":\n\t/app/lock\n"),
            std::string::npos)
      << dump;
  EXPECT_EQ(json("dump")["session_id_to_ephemeral_paths"][std::to_string(session_)],
            Json({"/app/lock"}));
}

TEST_F(ServerCommandsTest, EnviDirsConfAndIsroAnswer) {
  EXPECT_EQ(text("envi"),
            "Environment:\nzookeeper.version=3.8.0-warden\nhost.name=db1\n"
            "os.name=Linux\n");
  EXPECT_EQ(json("environment")["host.name"], "db1");
  EXPECT_EQ(text("dirs"), "datadir_size: 4096\nlogdir_size: 4096\n");
  EXPECT_EQ(json("dirs")["datadir_size"], 4096);
  EXPECT_EQ(text("isro"), "rw");
  EXPECT_EQ(json("is_read_only")["read_only"], false);
  EXPECT_EQ(text("ruok"), "imok");
  const std::string conf = text("conf");
  EXPECT_NE(conf.find("dataDir=/var/lib/warden\n"), std::string::npos) << conf;
  EXPECT_EQ(json("configuration")["dataDir"], "/var/lib/warden");
}

TEST_F(ServerCommandsTest, HealthNamesEachProblem) {
  EXPECT_TRUE(node_health(facts_).ok);
  EXPECT_EQ(Json::parse(health_json(facts_))["status"], "ok");
  facts_.leader_id = 0;
  facts_.stalled = true;
  const Health health = node_health(facts_);
  EXPECT_FALSE(health.ok);
  EXPECT_EQ(health.problems,
            (std::vector<std::string>{"no leader known", "the disk refuses writes"}));
  const Json body = Json::parse(health_json(facts_));
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_EQ(body["problems"].size(), 2u);
}

// ---- The admin server's routes --------------------------------------------------

TEST_F(ServerCommandsTest, AdminRoutesServeCommandsByNameOrWord) {
  const FactsSource source = [this] { return facts_; };
  const HttpAnswer list = route_admin("GET", "/commands", source);
  EXPECT_EQ(list.status, 200u);
  EXPECT_EQ(Json::parse(list.body)["commands"].size(), command_names().size());
  const HttpAnswer monitor = route_admin("GET", "/commands/monitor?x=1", source);
  EXPECT_EQ(monitor.status, 200u);
  EXPECT_EQ(Json::parse(monitor.body)["server_state"], "follower");
  EXPECT_EQ(Json::parse(route_admin("GET", "/commands/mntr/", source).body)["command"], "monitor");
  const HttpAnswer unknown = route_admin("GET", "/commands/nope", source);
  EXPECT_EQ(unknown.status, 404u);
  EXPECT_EQ(Json::parse(unknown.body)["error"], "Unknown command: nope");
  EXPECT_EQ(route_admin("POST", "/commands/ruok", source).status, 405u);
  EXPECT_EQ(route_admin("GET", "/", source).status, 404u);
}

TEST_F(ServerCommandsTest, AdminHealthIs503WithTheReasonsWhenTheNodeCannotServe) {
  const FactsSource source = [this] { return facts_; };
  EXPECT_EQ(route_admin("GET", "/health", source).status, 200u);
  facts_.leader_id = 0;
  const HttpAnswer down = route_admin("GET", "/health", source);
  EXPECT_EQ(down.status, 503u);
  EXPECT_EQ(Json::parse(down.body)["problems"], Json({"no leader known"}));
}

TEST_F(ServerCommandsTest, MetricsArePrometheusTextWithOneSamplePerCloseReason) {
  facts_.clients.connections_closed[static_cast<size_t>(CloseReason::kBadFrame)] = 4;
  const HttpAnswer metrics = route_admin("GET", "/metrics", [this] { return facts_; });
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_EQ(metrics.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& body = metrics.body;
  EXPECT_NE(body.find("# TYPE warden_connections_closed_total counter\n"), std::string::npos);
  EXPECT_NE(body.find("warden_connections_closed_total{reason=\"bad_frame\"} 4\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("warden_server_state{state=\"follower\"} 1\n"), std::string::npos);
  EXPECT_NE(body.find("warden_znode_count " + std::to_string(state_.tree().node_count()) + "\n"),
            std::string::npos);
  EXPECT_NE(body.find("warden_request_latency_ms_count 2\n"), std::string::npos);
  // Every sample line is "name[{labels}] number": what a scraper parses.
  size_t samples = 0;
  size_t start = 0;
  while (start < body.size()) {
    const size_t end = body.find('\n', start);
    const std::string line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    size_t parsed = 0;
    (void)std::stod(line.substr(space + 1), &parsed);
    EXPECT_EQ(parsed, line.size() - space - 1) << line;
  }
  EXPECT_GT(samples, 20u);
}

}  // namespace
}  // namespace warden::net
