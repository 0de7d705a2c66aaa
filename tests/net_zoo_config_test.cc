// zoo.cfg as Warden reads it: the file Debian's zookeeper 3.8 package ships,
// the same file made a 3-node ensemble, every default, every error (each
// naming its key and line), unknown and ignored keys, standalone mode,
// observers, the ";client" part of server lines, dynamic membership files,
// the derived cluster id, myid files on disk, and the `conf` four-letter word.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "net/zoo_config.h"

namespace warden::net {
namespace {

// /etc/zookeeper/conf_example/zoo.cfg from Debian 12's zookeeper 3.8.0-11
// package, byte for byte.
constexpr std::string_view kDebianSample =
    "# The number of milliseconds of each tick\n"
    "tickTime=2000\n"
    "# The number of ticks that the initial \n"
    "# synchronization phase can take\n"
    "initLimit=10\n"
    "# The number of ticks that can pass between \n"
    "# sending a request and getting an acknowledgement\n"
    "syncLimit=5\n"
    "# the directory where the snapshot is stored.\n"
    "# do not use /tmp for storage, /tmp here is just \n"
    "# example sakes.\n"
    "dataDir=/tmp/zookeeper\n"
    "# the port at which the clients will connect\n"
    "clientPort=2181\n"
    "# the maximum number of client connections.\n"
    "# increase this if you need to handle more clients\n"
    "#maxClientCnxns=60\n"
    "#\n"
    "# Be sure to read the maintenance section of the \n"
    "# administrator guide before turning on autopurge.\n"
    "#\n"
    "# https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance\n"
    "#\n"
    "# The number of snapshots to retain in dataDir\n"
    "#autopurge.snapRetainCount=3\n"
    "# Purge task interval in hours\n"
    "# Set to \"0\" to disable auto purge feature\n"
    "#autopurge.purgeInterval=1\n"
    "\n"
    "## Metrics Providers\n"
    "#\n"
    "# https://prometheus.io Metrics Exporter\n"
    "#metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
    "PrometheusMetricsProvider\n"
    "#metricsProvider.httpHost=0.0.0.0\n"
    "#metricsProvider.httpPort=7000\n"
    "#metricsProvider.exportJvmInfo=true\n"
    "\n";

// The same file with the server lines of the Administrator's Guide's
// clustered setup, as an operator turns the sample into an ensemble.
const std::string kThreeNodes = std::string(kDebianSample) +
                                "server.1=zoo1:2888:3888\n"
                                "server.2=zoo2:2888:3888\n"
                                "server.3=zoo3:2888:3888\n";

ZooConfigFiles with_myid(const std::string& myid) {
  return ZooConfigFiles{myid, std::nullopt};
}

ZooConfig parse_ok(std::string_view text, const ZooConfigFiles& files = {}) {
  ConfigResult result = parse_zoo_config(text, "zoo.cfg", files);
  EXPECT_TRUE(result.ok()) << result.error;
  return result.ok() ? *result.config : ZooConfig{};
}

std::string parse_error(std::string_view text, const ZooConfigFiles& files = {}) {
  const ConfigResult result = parse_zoo_config(text, "zoo.cfg", files);
  EXPECT_FALSE(result.ok()) << "parsed although it should not:\n" << text;
  return result.error;
}

// How many of `messages` mention `text`.
size_t mentions(const std::vector<std::string>& messages, std::string_view text) {
  size_t count = 0;
  for (const std::string& message : messages) count += message.find(text) != std::string::npos;
  return count;
}

std::string joined(const std::vector<std::string>& messages) {
  std::string out;
  for (const std::string& message : messages) out += message + "\n";
  return out;
}

// ---- The real files -----------------------------------------------------------

TEST(ZooConfig, DebianSampleIsStandalone) {
  const ZooConfig config = parse_ok(kDebianSample);
  EXPECT_TRUE(config.standalone);
  EXPECT_EQ(config.tick_time_ms, 2000u);
  EXPECT_EQ(config.init_limit_ticks, 10u);
  EXPECT_EQ(config.sync_limit_ticks, 5u);
  EXPECT_EQ(config.data_dir, "/tmp/zookeeper");
  EXPECT_EQ(config.data_log_dir, "/tmp/zookeeper");
  EXPECT_EQ(config.client_port, 2181);
  EXPECT_EQ(config.client_address, "0.0.0.0");
  EXPECT_EQ(config.min_session_timeout_ms, 4000u);
  EXPECT_EQ(config.max_session_timeout_ms, 40000u);
  EXPECT_EQ(config.my_id, 1u);
  ASSERT_EQ(config.servers.size(), 1u);
  EXPECT_EQ(config.me().host, "localhost");
  EXPECT_EQ(config.me().peer_port, 0);
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
  EXPECT_TRUE(config.notes.empty()) << joined(config.notes);
}

TEST(ZooConfig, DebianSampleAsThreeNodes) {
  const ZooConfig config = parse_ok(kThreeNodes, with_myid("2\n"));
  EXPECT_FALSE(config.standalone);
  EXPECT_EQ(config.my_id, 2u);
  ASSERT_EQ(config.servers.size(), 3u);
  for (uint32_t id = 1; id <= 3; ++id) {
    const ServerSpec& server = config.servers[id - 1];
    EXPECT_EQ(server.id, id);
    EXPECT_EQ(server.host, "zoo" + std::to_string(id));
    EXPECT_EQ(server.peer_port, 2888);
    EXPECT_EQ(server.election_port, 3888);
    EXPECT_FALSE(server.observer);
    EXPECT_FALSE(server.client_port.has_value());
  }
  EXPECT_EQ(config.me().host, "zoo2");
  EXPECT_EQ(config.client_port, 2181);
  EXPECT_TRUE(config.cluster_id_derived);
  EXPECT_NE(config.cluster_id, 0u);
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
}

TEST(ZooConfig, ThreeNodesWithoutMyidNamesTheFile) {
  const std::string error = parse_error(kThreeNodes);
  EXPECT_NE(error.find("/tmp/zookeeper/myid"), std::string::npos) << error;
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
  EXPECT_NE(error.find("server.1, server.2, server.3"), std::string::npos) << error;
}

// ---- Defaults -----------------------------------------------------------------

TEST(ZooConfig, EveryDefault) {
  const ZooConfig config = parse_ok("dataDir=/var/lib/zookeeper\nclientPort=2181\n");
  EXPECT_EQ(config.tick_time_ms, 3000u);
  EXPECT_EQ(config.init_limit_ticks, 0u);
  EXPECT_EQ(config.sync_limit_ticks, 0u);
  EXPECT_EQ(config.min_session_timeout_ms, 6000u);
  EXPECT_EQ(config.max_session_timeout_ms, 60000u);
  EXPECT_EQ(config.data_log_dir, "/var/lib/zookeeper");
  EXPECT_EQ(config.snap_retain_count, 3u);
  EXPECT_EQ(config.purge_interval_hours, 0u);
  EXPECT_EQ(config.client_address, "0.0.0.0");
  EXPECT_EQ(config.max_client_cnxns, 60u);
  EXPECT_EQ(config.client_port_listen_backlog, -1);
  EXPECT_EQ(config.jute_max_buffer_bytes, 1048575u);
  EXPECT_TRUE(config.standalone);
  EXPECT_EQ(config.my_id, 1u);
  EXPECT_FALSE(config.quorum_listen_on_all_ips);
  EXPECT_EQ(config.config_version, 0u);
  EXPECT_TRUE(config.cluster_id_derived);
  EXPECT_EQ(config.cluster_id, derive_cluster_id(config.servers));
  EXPECT_EQ(config.four_letter_words, std::set<std::string>{"srvr"});
  EXPECT_FALSE(config.super_digest.has_value());
  EXPECT_TRUE(config.admin_enabled);
  EXPECT_EQ(config.admin_address, "0.0.0.0");
  EXPECT_EQ(config.admin_port, 8080);
  EXPECT_EQ(config.compact_every_entries, 20'000u);
  EXPECT_EQ(config.retain_entries, 10'000u);
  EXPECT_EQ(config.snapshot_chunk_bytes, 256u << 10);
  EXPECT_EQ(config.election_timeout_ticks, 10u);
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
}

TEST(ZooConfig, SessionTimeoutsFollowTickTimeUnlessSet) {
  ZooConfig config = parse_ok("tickTime=500\ndataDir=/d\nclientPort=1\n");
  EXPECT_EQ(config.min_session_timeout_ms, 1000u);
  EXPECT_EQ(config.max_session_timeout_ms, 10000u);
  config = parse_ok(
      "tickTime=500\ndataDir=/d\nclientPort=1\nminSessionTimeout=300\n"
      "maxSessionTimeout=-1\n");
  EXPECT_EQ(config.min_session_timeout_ms, 300u);
  EXPECT_EQ(config.max_session_timeout_ms, 10000u);
}

TEST(ZooConfig, EveryUsedKeySet) {
  const ZooConfig config = parse_ok(
      "tickTime = 100\n"
      "initLimit: 7\n"
      "syncLimit 3\n"
      "dataDir=/data\n"
      "dataLogDir=/log\n"
      "clientPort=2182\n"
      "clientPortAddress=10.0.0.9\n"
      "maxClientCnxns=0\n"
      "minSessionTimeout=250\n"
      "maxSessionTimeout=9000\n"
      "clientPortListenBacklog=128\n"
      "jute.maxbuffer=0x200000\n"
      "autopurge.snapRetainCount=5\n"
      "autopurge.purgeInterval=24\n"
      "quorumListenOnAllIPs=TRUE\n"
      "admin.serverAddress=127.0.0.1\n"
      "admin.enableServer=false\n"
      "warden.compactEveryEntries=5000\n"
      "warden.retainEntries=0\n"
      "warden.snapshotChunkBytes=65536\n"
      "warden.electionTimeoutTicks=20\n"
      "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n",
      with_myid("1"));
  EXPECT_EQ(config.tick_time_ms, 100u);
  EXPECT_EQ(config.init_limit_ticks, 7u);
  EXPECT_EQ(config.sync_limit_ticks, 3u);
  EXPECT_EQ(config.data_dir, "/data");
  EXPECT_EQ(config.data_log_dir, "/log");
  EXPECT_EQ(config.client_port, 2182);
  EXPECT_EQ(config.client_address, "10.0.0.9");
  EXPECT_EQ(config.max_client_cnxns, 0u);
  EXPECT_EQ(config.min_session_timeout_ms, 250u);
  EXPECT_EQ(config.max_session_timeout_ms, 9000u);
  EXPECT_EQ(config.client_port_listen_backlog, 128);
  EXPECT_EQ(config.jute_max_buffer_bytes, 0x200000u);
  EXPECT_EQ(config.snap_retain_count, 5u);
  EXPECT_EQ(config.purge_interval_hours, 24u);
  EXPECT_TRUE(config.quorum_listen_on_all_ips);
  EXPECT_EQ(config.admin_address, "127.0.0.1");
  EXPECT_FALSE(config.admin_enabled);
  EXPECT_EQ(config.compact_every_entries, 5000u);
  EXPECT_EQ(config.retain_entries, 0u);
  EXPECT_EQ(config.snapshot_chunk_bytes, 65536u);
  EXPECT_EQ(config.election_timeout_ticks, 20u);
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
}

// The MySQL agent beside the node: off by default, every key read.
TEST(ZooConfig, MysqlAgentKeys) {
  const ZooConfig off = parse_ok("dataDir=/d\nclientPort=2181\n");
  EXPECT_FALSE(off.mysql.enabled());
  EXPECT_EQ(off.mysql.cluster, "main");
  EXPECT_EQ(off.mysql.port, 3306);
  EXPECT_FALSE(off.mysql.health_port.has_value());
  const ZooConfig config = parse_ok(
      "dataDir=/d\nclientPort=2181\n"
      "warden.mysql.host=10.0.0.5\n"
      "warden.mysql.port=3307\n"
      "warden.mysql.cluster=shop\n"
      "warden.mysql.member=db5\n"
      "warden.mysql.credentials=/etc/warden/agent.cnf\n"
      "warden.mysql.replicationCredentials=/etc/warden/repl.cnf\n"
      "warden.mysql.priority=0\n"
      "warden.mysql.probeIntervalMs=250\n"
      "warden.mysql.probeTimeoutMs=900\n"
      "warden.mysql.sessionTimeoutMs=5000\n"
      "warden.mysql.minFailoverIntervalMs=0\n"
      "warden.mysql.healthPort=8008\n");
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_TRUE(config.mysql.enabled());
  EXPECT_EQ(config.mysql.host, "10.0.0.5");
  EXPECT_EQ(config.mysql.port, 3307);
  EXPECT_EQ(config.mysql.cluster, "shop");
  EXPECT_EQ(config.mysql.member_id, "db5");
  EXPECT_EQ(config.mysql.credentials_file, "/etc/warden/agent.cnf");
  EXPECT_EQ(config.mysql.replication_credentials_file, "/etc/warden/repl.cnf");
  EXPECT_EQ(config.mysql.priority, 0u);
  EXPECT_EQ(config.mysql.probe_interval_ms, 250u);
  EXPECT_EQ(config.mysql.probe_timeout_ms, 900u);
  EXPECT_EQ(config.mysql.session_timeout_ms, 5000u);
  EXPECT_EQ(config.mysql.min_failover_interval_ms, 0u);
  EXPECT_EQ(config.mysql.health_port, std::optional<uint16_t>(8008));
}

TEST(ZooConfig, KeysAndValuesAreTrimmed) {
  const ZooConfig config = parse_ok("  dataDir  =  /d  \n\tclientPort\t=\t2181\t\n");
  EXPECT_EQ(config.data_dir, "/d");
  EXPECT_EQ(config.client_port, 2181);
}

TEST(ZooConfig, LowSnapRetainCountIsRaisedWithAWarning) {
  const ZooConfig config = parse_ok("dataDir=/d\nclientPort=1\nautopurge.snapRetainCount=1\n");
  EXPECT_EQ(config.snap_retain_count, 3u);
  EXPECT_EQ(mentions(config.warnings, "zoo.cfg:3: autopurge.snapRetainCount"), 1u)
      << joined(config.warnings);
}

TEST(ZooConfig, NegativePurgeIntervalMeansOff) {
  EXPECT_EQ(parse_ok("dataDir=/d\nclientPort=1\nautopurge.purgeInterval=-1\n").purge_interval_hours,
            0u);
}

// ---- Errors: each names the key, its line, and why --------------------------------

struct ErrorCase {
  std::string name;
  std::string text;
  std::optional<std::string> myid;
  std::vector<std::string> expected;  // substrings of the message
};

void PrintTo(const ErrorCase& error_case, std::ostream* out) {
  *out << error_case.name;
}

class ZooConfigError : public testing::TestWithParam<ErrorCase> {};

TEST_P(ZooConfigError, NamesKeyLineAndReason) {
  const ErrorCase& error_case = GetParam();
  const std::string error =
      parse_error(error_case.text, ZooConfigFiles{error_case.myid, std::nullopt});
  for (const std::string& expected : error_case.expected) {
    EXPECT_NE(error.find(expected), std::string::npos)
        << "expected '" << expected << "' in: " << error;
  }
}

const std::string kBase = "dataDir=/d\nclientPort=2181\n";  // lines 1-2
const std::string kEnsemble =
    "dataDir=/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n"
    "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n";  // lines 1-7

INSTANTIATE_TEST_SUITE_P(
    ZooConfig, ZooConfigError,
    testing::Values(
        ErrorCase{"NotANumber",
                  kBase + "tickTime=abc\n",
                  {},
                  {"zoo.cfg:3: tickTime: 'abc' is not a number"}},
        ErrorCase{"NumberWithUnit",
                  kBase + "tickTime=2000ms\n",
                  {},
                  {"zoo.cfg:3: tickTime:", "'2000ms' is not a number"}},
        ErrorCase{"ZeroTick", kBase + "tickTime=0\n", {}, {"zoo.cfg:3: tickTime:", "out of range"}},
        ErrorCase{"PortTooHigh",
                  "dataDir=/d\nclientPort=70000\n",
                  {},
                  {"zoo.cfg:2: clientPort: 70000 is out of range (0..65535)"}},
        ErrorCase{"NegativePort",
                  "dataDir=/d\nclientPort=-5\n",
                  {},
                  {"zoo.cfg:2: clientPort:", "out of range"}},
        ErrorCase{"HugeNumber",
                  kBase + "maxClientCnxns=99999999999999999999999\n",
                  {},
                  {"zoo.cfg:3: maxClientCnxns:", "out of range"}},
        ErrorCase{"AdminPort",
                  kBase + "admin.serverPort=0\n",
                  {},
                  {"zoo.cfg:3: admin.serverPort:", "out of range (1..65535)"}},
        ErrorCase{"WardenAdminPort",
                  kBase + "warden.adminPort=http\n",
                  {},
                  {"zoo.cfg:3: warden.adminPort:", "not a number"}},
        ErrorCase{"MinAboveMax",
                  kBase + "minSessionTimeout=5000\nmaxSessionTimeout=4000\n",
                  {},
                  {"zoo.cfg:3: minSessionTimeout:", "5000 ms", "4000 ms"}},
        ErrorCase{"MaxBelowDefaultMin",
                  kBase + "maxSessionTimeout=1000\n",
                  {},
                  {"zoo.cfg:3: maxSessionTimeout:", "6000 ms", "1000 ms"}},
        ErrorCase{"ZeroSessionTimeout",
                  kBase + "minSessionTimeout=0\n",
                  {},
                  {"zoo.cfg:3: minSessionTimeout:", "must be positive"}},
        ErrorCase{"MissingDataDir", "clientPort=2181\n", {}, {"zoo.cfg: dataDir: is required"}},
        ErrorCase{
            "EmptyDataDir", "dataDir=\nclientPort=2181\n", {}, {"zoo.cfg:1: dataDir: is empty"}},
        ErrorCase{"NoClientPort", "dataDir=/d\n", {}, {"zoo.cfg: clientPort: is not set"}},
        ErrorCase{"AddressWithoutPort",
                  "dataDir=/d\nclientPortAddress=10.0.0.1\n",
                  {},
                  {"zoo.cfg:2: clientPortAddress: is set but clientPort is not"}},
        ErrorCase{"RepeatedServerLine",
                  kEnsemble + "server.2=d:2888:3888\n",
                  "1",
                  {"zoo.cfg:8: server.2: is also set on line 6"}},
        ErrorCase{"DuplicateServerId",
                  kEnsemble + "server.02=d:2888:3888\n",
                  "1",
                  {"zoo.cfg:8: server.02:", "server id 2 is also given on line 6"}},
        ErrorCase{"DuplicateAddress",
                  kEnsemble + "server.4=a:2888:3999\n",
                  "1",
                  {"zoo.cfg:8: server.4: a:2888 is also used by server.1"}},
        ErrorCase{"ServerIdNotNumber",
                  kBase + "server.x=a:2888:3888\n",
                  {},
                  {"zoo.cfg:3: server.x: 'x' is not a server id"}},
        ErrorCase{"ServerIdZero",
                  kBase + "server.0=a:2888:3888\n",
                  {},
                  {"zoo.cfg:3: server.0:", "out of range (1..255"}},
        ErrorCase{"ServerIdTooLarge",
                  kBase + "server.256=a:2888:3888\n",
                  {},
                  {"zoo.cfg:3: server.256:", "out of range"}},
        ErrorCase{"ServerLineTooShort",
                  kBase + "server.1=zoo1:2888\n",
                  {},
                  {"zoo.cfg:3: server.1:", "is not host:peerPort:electionPort"}},
        ErrorCase{"ServerLineTooLong",
                  kBase + "server.1=zoo1:1:2:observer:x\n",
                  {},
                  {"zoo.cfg:3: server.1:", "is not host:peerPort:electionPort"}},
        ErrorCase{"ServerNoHost",
                  kBase + "server.1=:2888:3888\n",
                  {},
                  {"zoo.cfg:3: server.1:", "has no host"}},
        ErrorCase{"ServerBadPeerPort",
                  kBase + "server.1=zoo1:0:3888\n",
                  {},
                  {"zoo.cfg:3: server.1: peer port '0' is not a port (1..65535)"}},
        ErrorCase{"ServerBadElectionPort",
                  kBase + "server.1=zoo1:2888:x\n",
                  {},
                  {"zoo.cfg:3: server.1: election port 'x' is not a port"}},
        ErrorCase{"ServerSamePorts",
                  kBase + "server.1=zoo1:2888:2888\n",
                  {},
                  {"zoo.cfg:3: server.1: peer port and election port must differ"}},
        ErrorCase{"ServerBadRole",
                  kBase + "server.1=zoo1:2888:3888:voter\n",
                  {},
                  {"zoo.cfg:3: server.1: 'voter' is not participant or observer"}},
        ErrorCase{"ServerBadClientPort",
                  kBase + "server.1=zoo1:2888:3888;99999\n",
                  {},
                  {"zoo.cfg:3: server.1: client port '99999' is not a port"}},
        ErrorCase{"ServerBadClientPart",
                  kBase + "server.1=zoo1:2888:3888;a:b:1\n",
                  {},
                  {"zoo.cfg:3: server.1: client part 'a:b:1'"}},
        ErrorCase{"ServerTwoSemicolons",
                  kBase + "server.1=zoo1:2888:3888;1;2\n",
                  {},
                  {"zoo.cfg:3: server.1: has more than one ';'"}},
        ErrorCase{"ServerUnclosedBracket",
                  kBase + "server.1=[::1:2888:3888\n",
                  {},
                  {"zoo.cfg:3: server.1:", "no matching ']'"}},
        ErrorCase{"MultiAddressNotEnabled",
                  kBase + "server.1=a:1:2|b:1:2\n",
                  {},
                  {"zoo.cfg:3: server.1:", "multiAddress.enabled is not true"}},
        ErrorCase{"MyidNotInList",
                  kEnsemble,
                  "7\n",
                  {"/d/myid: says 7, which is not in the server list (server.1, server.2, "
                   "server.3)"}},
        ErrorCase{"MyidNotNumber",
                  kEnsemble,
                  "replace this text with the cluster-unique "
                  "zookeeper's instance id (1-255)\n",
                  {"/d/myid: 'replace this text", "is not a server id"}},
        ErrorCase{"MyidEmpty", kEnsemble, "", {"/d/myid: '' is not a server id"}},
        ErrorCase{"MyidTooLarge", kEnsemble, "300", {"/d/myid: '300' is not a server id"}},
        ErrorCase{"MyidBadInStandaloneToo", kBase, "x", {"/d/myid: 'x' is not a server id"}},
        ErrorCase{"MyidNotTheLoneServer",
                  kBase + "server.1=a:2888:3888\n",
                  "2",
                  {"/d/myid: says 2, which is not in the server list (server.1)"}},
        ErrorCase{"EnsembleNeedsInitLimit",
                  "dataDir=/d\nclientPort=1\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n",
                  "1",
                  {"zoo.cfg: initLimit: is required in an ensemble"}},
        ErrorCase{"EnsembleInitLimitZero",
                  "dataDir=/d\nclientPort=1\ninitLimit=0\nserver.1=a:1:2\nserver.2=b:1:2\n",
                  "1",
                  {"zoo.cfg:3: initLimit: is required in an ensemble"}},
        ErrorCase{"EnsembleNeedsSyncLimitToo",
                  "dataDir=/d\nclientPort=1\ninitLimit=5\nserver.1=a:1:2\nserver.2=b:1:2\n",
                  "1",
                  {"zoo.cfg: syncLimit: is required in an ensemble"}},
        ErrorCase{"ObserversOnly",
                  kBase + "server.1=a:1:2:observer\n",
                  "1",
                  {"zoo.cfg:3: server.1: observers without participants"}},
        ErrorCase{"ObserverWithLoneParticipant",
                  kBase + "server.1=a:1:2\nserver.2=b:1:2:observer\n",
                  "1",
                  {"zoo.cfg:3: server.1: observers need two or more participants"}},
        ErrorCase{"NotStandaloneWithoutServers",
                  kBase + "standaloneEnabled=false\n",
                  {},
                  {"zoo.cfg:3: standaloneEnabled: is false, so at least one server.N line"}},
        ErrorCase{"BadBoolean",
                  kBase + "standaloneEnabled=yes\n",
                  {},
                  {"zoo.cfg:3: standaloneEnabled: 'yes' is not true or false"}},
        ErrorCase{"BadIgnoredBoolean",
                  kBase + "syncEnabled=1\n",
                  {},
                  {"zoo.cfg:3: syncEnabled: '1' is not true or false"}},
        ErrorCase{"OldElectionAlgorithm",
                  kBase + "electionAlg=1\n",
                  {},
                  {"zoo.cfg:3: electionAlg: only 3 is supported"}},
        ErrorCase{"BadPeerType",
                  kBase + "peerType=leader\n",
                  {},
                  {"zoo.cfg:3: peerType: 'leader' is not participant or observer"}},
        ErrorCase{"BadJuteMaxBuffer",
                  kBase + "jute.maxbuffer=1M\n",
                  {},
                  {"zoo.cfg:3: jute.maxbuffer: '1M' is not a number"}},
        ErrorCase{"ZeroJuteMaxBuffer",
                  kBase + "jute.maxbuffer=0\n",
                  {},
                  {"zoo.cfg:3: jute.maxbuffer:", "out of range"}},
        ErrorCase{"BadSuperDigest",
                  kBase + "DigestAuthenticationProvider.superDigest=super\n",
                  {},
                  {"zoo.cfg:3: DigestAuthenticationProvider.superDigest:",
                   "is not user:base64(sha1(user:password))"}},
        ErrorCase{"ShortSuperDigest",
                  kBase + "zookeeper.DigestAuthenticationProvider.superDigest=super:abc=\n",
                  {},
                  {"zoo.cfg:3: zookeeper.DigestAuthenticationProvider.superDigest:"}},
        ErrorCase{"ZeroClusterId",
                  kBase + "warden.clusterId=0\n",
                  {},
                  {"zoo.cfg:3: warden.clusterId: must not be 0"}},
        ErrorCase{"BadClusterId",
                  kBase + "warden.clusterId=0xZZ\n",
                  {},
                  {"zoo.cfg:3: warden.clusterId:", "not a 64-bit number"}},
        ErrorCase{"ClusterIdTooLong",
                  kBase + "warden.clusterId=99999999999999999999\n",
                  {},
                  {"zoo.cfg:3: warden.clusterId:", "not a 64-bit number"}},
        ErrorCase{"ElectionTimeoutTooShort",
                  kBase + "warden.electionTimeoutTicks=1\n",
                  {},
                  {"zoo.cfg:3: warden.electionTimeoutTicks:", "out of range (2..10000)"}},
        ErrorCase{"MysqlPortOutOfRange",
                  kBase + "warden.mysql.port=0\n",
                  {},
                  {"zoo.cfg:3: warden.mysql.port:", "out of range (1..65535)"}},
        ErrorCase{"MysqlPriorityTooHigh",
                  kBase + "warden.mysql.priority=1001\n",
                  {},
                  {"zoo.cfg:3: warden.mysql.priority:", "out of range (0..1000)"}},
        ErrorCase{"MysqlHealthPortOutOfRange",
                  kBase + "warden.mysql.healthPort=65536\n",
                  {},
                  {"zoo.cfg:3: warden.mysql.healthPort:", "out of range (1..65535)"}},
        ErrorCase{"MysqlHostEmpty",
                  kBase + "warden.mysql.host=\n",
                  {},
                  {"zoo.cfg:3: warden.mysql.host:", "is empty"}},
        ErrorCase{"CompactEveryZero",
                  kBase + "warden.compactEveryEntries=0\n",
                  {},
                  {"zoo.cfg:3: warden.compactEveryEntries:", "out of range"}},
        ErrorCase{"ChunkTooSmall",
                  kBase + "warden.snapshotChunkBytes=10\n",
                  {},
                  {"zoo.cfg:3: warden.snapshotChunkBytes:", "out of range"}},
        ErrorCase{"ClientPortDisagrees",
                  "dataDir=/d\nclientPort=2181\nserver.1=a:1:2;2182\n",
                  {},
                  {"zoo.cfg:2: clientPort: 2181 differs from server.1's client port 2182"}},
        ErrorCase{"ClientAddressDisagrees",
                  "dataDir=/d\nclientPort=2182\nclientPortAddress=10.0.0.1\n"
                  "server.1=a:1:2;10.0.0.2:2182\n",
                  {},
                  {"zoo.cfg:3: clientPortAddress: 10.0.0.1 differs from server.1's client "
                   "address 10.0.0.2"}},
        ErrorCase{"BadEscape", kBase + "tickTime=\\u20\n", {}, {"zoo.cfg:3: malformed \\uXXXX"}},
        ErrorCase{"BadVersion",
                  kBase + "version=xyz\n",
                  {},
                  {"zoo.cfg:3: version: 'xyz' is not a hex version"}},
        ErrorCase{"MissingDynamicFile",
                  kBase + "dynamicConfigFile=/conf/zoo.cfg.dynamic.1\n",
                  {},
                  {"zoo.cfg:3: dynamicConfigFile: '/conf/zoo.cfg.dynamic.1' does not exist"}}),
    [](const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

// ---- Unknown, ignored and repeated keys -----------------------------------------

TEST(ZooConfig, UnknownKeyIsWarnedExactlyOnce) {
  const ZooConfig config =
      parse_ok("dataDir=/d\nclientPort=2181\nfooBar=1\nfooBar=2\nwarden.colour=blue\n");
  EXPECT_EQ(config.warnings.size(), 2u) << joined(config.warnings);
  EXPECT_EQ(mentions(config.warnings, "fooBar"), 1u) << joined(config.warnings);
  EXPECT_EQ(mentions(config.warnings, "zoo.cfg:4: fooBar: unknown key"), 1u)
      << joined(config.warnings);
  EXPECT_EQ(mentions(config.warnings, "zoo.cfg:5: warden.colour: unknown key"), 1u)
      << joined(config.warnings);
}

TEST(ZooConfig, KnownZooKeeperKeysAreNotedNotWarned) {
  const ZooConfig config = parse_ok(
      "dataDir=/d\nclientPort=2181\n"
      "snapCount=100000\n"
      "preAllocSize=65536\n"
      "globalOutstandingLimit=1000\n"
      "leaderServes=yes\n"
      "cnxTimeout=5000\n"
      "syncEnabled=true\n"
      "localSessionsEnabled=false\n"
      "metricsProvider.className=org.apache.zookeeper.metrics.prometheus."
      "PrometheusMetricsProvider\n"
      "metricsProvider.httpPort=7000\n"
      "admin.idleTimeout=30000\n"
      "ssl.quorum.keyStore.location=/k.jks\n"
      "zookeeper.snapCount=5\n"
      "connection_throttle_tokens=0\n"
      "reconfigEnabled=false\n"
      "sslQuorum=false\n"
      "skipACL=no\n");
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
  EXPECT_EQ(config.notes.size(), 16u) << joined(config.notes);
  EXPECT_EQ(mentions(config.notes, "zoo.cfg:3: snapCount:"), 1u) << joined(config.notes);
  EXPECT_EQ(mentions(config.notes, "zoo.cfg:14: zookeeper.snapCount:"), 1u) << joined(config.notes);
}

TEST(ZooConfig, UnsupportedFeaturesAreWarned) {
  const ZooConfig config = parse_ok(
      "dataDir=/d\nclientPort=2181\n"
      "secureClientPort=2281\n"
      "sslQuorum=true\n"
      "quorum.auth.enableSasl=true\n"
      "reconfigEnabled=true\n"
      "skipACL=yes\n"
      "oraclePath=/oracle\n");
  EXPECT_EQ(config.warnings.size(), 6u) << joined(config.warnings);
  for (const char* key :
       {"zoo.cfg:3: secureClientPort", "zoo.cfg:4: sslQuorum", "zoo.cfg:5: quorum.auth.enableSasl",
        "zoo.cfg:6: reconfigEnabled", "zoo.cfg:7: skipACL", "zoo.cfg:8: oraclePath"}) {
    EXPECT_EQ(mentions(config.warnings, key), 1u) << key << "\n" << joined(config.warnings);
  }
}

TEST(ZooConfig, RepeatedKeyKeepsTheLastValueWithAWarning) {
  const ZooConfig config = parse_ok("dataDir=/d\nclientPort=2181\ntickTime=100\ntickTime=200\n");
  EXPECT_EQ(config.tick_time_ms, 200u);
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("zoo.cfg:4: tickTime: also set on line 3"), std::string::npos)
      << config.warnings[0];
}

TEST(ZooConfig, RelativeDataDirIsWarned) {
  ZooConfig config = parse_ok("dataDir=data\nclientPort=2181\n");
  EXPECT_EQ(mentions(config.warnings, "zoo.cfg:1: dataDir: 'data' is relative"), 1u)
      << joined(config.warnings);
  config = parse_ok("dataDir=./data\nclientPort=2181\n");
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
}

TEST(ZooConfig, CommentsContinuationsAndSeparatorsInAZooCfg) {
  const ZooConfig config = parse_ok(
      "# servers of the ensemble\n"
      "! also a comment\n"
      "tickTime : 2000\n"
      "dataDir /var/lib/zookeeper\n"
      "clientPort=2181\n"
      "initLimit=10\n"
      "syncLimit=5\n"
      "4lw.commands.whitelist=stat, \\\n"
      "    ruok, \\\n"
      "    conf\n"
      "server.1 = zoo1:2888:3888\n"
      "server.2: zoo2:2888:3888\n"
      "server.3\tzoo3:2888:3888\r\n",
      with_myid("3"));
  EXPECT_EQ(config.tick_time_ms, 2000u);
  EXPECT_EQ(config.data_dir, "/var/lib/zookeeper");
  EXPECT_EQ(config.four_letter_words, (std::set<std::string>{"conf", "ruok", "srvr", "stat"}));
  ASSERT_EQ(config.servers.size(), 3u);
  EXPECT_EQ(config.me().host, "zoo3");
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
}

// ---- Access keys ------------------------------------------------------------------

TEST(ZooConfig, FourLetterWordWhitelist) {
  ZooConfig config = parse_ok(kBase + "4lw.commands.whitelist=stat, ruok, conf, isro\n");
  EXPECT_EQ(config.four_letter_words,
            (std::set<std::string>{"conf", "isro", "ruok", "srvr", "stat"}));
  config = parse_ok(kBase + "4lw.commands.whitelist=*\n");
  EXPECT_EQ(config.four_letter_words, known_four_letter_words());
  EXPECT_EQ(known_four_letter_words().size(), 18u);
  config = parse_ok(kBase + "4lw.commands.whitelist=mntr,,bogus, ruok\n");
  EXPECT_EQ(config.four_letter_words, (std::set<std::string>{"mntr", "ruok", "srvr"}));
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("zoo.cfg:3: 4lw.commands.whitelist:"), std::string::npos);
  EXPECT_NE(config.warnings[0].find("'bogus'"), std::string::npos) << config.warnings[0];
  config = parse_ok(kBase + "4lw.commands.whitelist=\n");
  EXPECT_EQ(config.four_letter_words, std::set<std::string>{"srvr"});
}

TEST(ZooConfig, SuperDigestUnderBothNames) {
  const std::string digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";
  EXPECT_EQ(parse_ok(kBase + "DigestAuthenticationProvider.superDigest=" + digest).super_digest,
            digest);
  EXPECT_EQ(parse_ok(kBase + "zookeeper.DigestAuthenticationProvider.superDigest = " + digest)
                .super_digest,
            digest);
}

TEST(ZooConfig, JuteMaxBufferReadsLikeIntegerDecode) {
  EXPECT_EQ(parse_ok(kBase + "jute.maxbuffer=4194304").jute_max_buffer_bytes, 4194304u);
  EXPECT_EQ(parse_ok(kBase + "jute.maxbuffer=0xfffff").jute_max_buffer_bytes, 0xfffffu);
  EXPECT_EQ(parse_ok(kBase + "jute.maxbuffer=#100").jute_max_buffer_bytes, 0x100u);
  EXPECT_EQ(parse_ok(kBase + "jute.maxbuffer=010").jute_max_buffer_bytes, 8u);
}

TEST(ZooConfig, AdminPortPrefersWardenKey) {
  EXPECT_EQ(parse_ok(kBase + "admin.serverPort=9090\n").admin_port, 9090);
  EXPECT_EQ(parse_ok(kBase + "admin.serverPort=9090\nwarden.adminPort=9191\n").admin_port, 9191);
  EXPECT_EQ(parse_ok(kBase + "warden.adminPort=9191\n").admin_port, 9191);
}

// ---- Standalone mode ----------------------------------------------------------------

TEST(ZooConfig, StandaloneUsesMyidWhenPresent) {
  const ZooConfig config = parse_ok(kBase, with_myid("  5 \n"));
  EXPECT_TRUE(config.standalone);
  EXPECT_EQ(config.my_id, 5u);
  ASSERT_EQ(config.servers.size(), 1u);
  EXPECT_EQ(config.servers[0].id, 5u);
}

TEST(ZooConfig, SingleServerLineIsStandalone) {
  const ZooConfig config = parse_ok(kBase + "server.7=zk7:2888:3888\n");
  EXPECT_TRUE(config.standalone);
  EXPECT_EQ(config.my_id, 7u);
  EXPECT_EQ(config.me().host, "zk7");
  EXPECT_TRUE(config.warnings.empty()) << joined(config.warnings);
}

TEST(ZooConfig, SingleServerWithoutStandaloneIsAOneNodeEnsemble) {
  const std::string text =
      kBase + "initLimit=5\nsyncLimit=2\nstandaloneEnabled=false\n" + "server.7=zk7:2888:3888\n";
  const std::string error = parse_error(text);
  EXPECT_NE(error.find("/d/myid: is missing"), std::string::npos) << error;
  const ZooConfig config = parse_ok(text, with_myid("7"));
  EXPECT_FALSE(config.standalone);
  EXPECT_EQ(config.my_id, 7u);
  EXPECT_EQ(mentions(config.warnings, "No server failure will be tolerated"), 1u)
      << joined(config.warnings);
}

// ---- Ensembles: sizes, observers, client parts -----------------------------------------

TEST(ZooConfig, SmallAndEvenEnsemblesAreWarnedAsZooKeeperDoes) {
  const std::string two = kBase + "initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n";
  EXPECT_EQ(mentions(parse_ok(two, with_myid("1")).warnings,
                     "zoo.cfg:5: server.1: No server failure will be tolerated"),
            1u);
  const std::string four = two + "server.3=c:1:2\nserver.4=d:1:2\n";
  EXPECT_EQ(mentions(parse_ok(four, with_myid("1")).warnings, "consider an odd number"), 1u);
  const std::string five = four + "server.5=e:1:2\n";
  EXPECT_TRUE(parse_ok(five, with_myid("1")).warnings.empty());
}

TEST(ZooConfig, Observers) {
  const std::string text =
      kThreeNodes + "server.4=zoo4:2888:3888:observer\n" + "server.5=zoo5:2888:3888:PARTICIPANT\n";
  const ZooConfig config = parse_ok(text, with_myid("4"));
  ASSERT_EQ(config.servers.size(), 5u);
  EXPECT_TRUE(config.me().observer);
  EXPECT_FALSE(config.servers[4].observer);
  EXPECT_EQ(mentions(config.warnings, "consider an odd number"), 1u) << joined(config.warnings);
}

TEST(ZooConfig, PeerTypeDisagreeingWithTheListIsWarned) {
  const std::string text = kThreeNodes + "server.4=zoo4:2888:3888:observer\npeerType=participant\n";
  const ZooConfig config = parse_ok(text, with_myid("4"));
  EXPECT_TRUE(config.me().observer);
  EXPECT_EQ(mentions(config.warnings,
                     "peerType: says participant but server.4 is listed as "
                     "observer"),
            1u)
      << joined(config.warnings);
  EXPECT_TRUE(parse_ok(kThreeNodes + "server.4=zoo4:2888:3888:observer\npeerType=observer\n",
                       with_myid("4"))
                  .warnings.empty());
}

TEST(ZooConfig, ClientPartOfServerLines) {
  const ZooConfig config = parse_ok(
      "dataDir=/d\ninitLimit=5\nsyncLimit=2\n"
      "server.1=zoo1:2888:3888;2181\n"
      "server.2=zoo2:2888:3888:participant;10.0.0.2:2182\n"
      "server.3=[2001:db8::3]:2888:3888:observer;[::1]:2183\n"
      "server.4=zoo4:2888:3888\n",
      with_myid("2"));
  ASSERT_EQ(config.servers.size(), 4u);
  EXPECT_EQ(config.servers[0].client_address, "0.0.0.0");
  EXPECT_EQ(config.servers[0].client_port, 2181);
  EXPECT_EQ(config.servers[1].client_address, "10.0.0.2");
  EXPECT_EQ(config.servers[1].client_port, 2182);
  EXPECT_EQ(config.servers[2].host, "2001:db8::3");
  EXPECT_TRUE(config.servers[2].observer);
  EXPECT_EQ(config.servers[2].client_address, "::1");
  EXPECT_EQ(config.servers[2].client_port, 2183);
  EXPECT_FALSE(config.servers[3].client_port.has_value());
  // No clientPort key: this server's own line says where to listen.
  EXPECT_EQ(config.client_address, "10.0.0.2");
  EXPECT_EQ(config.client_port, 2182);
}

TEST(ZooConfig, ClientPortAgreeingWithTheServerLineIsFine) {
  const ZooConfig config = parse_ok(
      "dataDir=/d\nclientPort=2182\nclientPortAddress=0.0.0.0\nserver.1=a:1:2;10.0.0.1:2182\n");
  EXPECT_EQ(config.client_address, "10.0.0.1");
  EXPECT_EQ(config.client_port, 2182);
}

TEST(ZooConfig, MultipleAddressesKeepTheFirst) {
  const ZooConfig config = parse_ok(kBase + "multiAddress.enabled=true\n" +
                                    "server.1=zoo1-net1:2888:3888|zoo1-net2:2889:3889\n");
  EXPECT_EQ(config.me().host, "zoo1-net1");
  EXPECT_EQ(config.me().peer_port, 2888);
  EXPECT_EQ(mentions(config.warnings, "Warden uses only the first address, zoo1-net1:2888:3888"),
            1u)
      << joined(config.warnings);
}

TEST(ZooConfig, HierarchicalQuorumsAreWarnedOnce) {
  const ZooConfig config =
      parse_ok(kThreeNodes + "group.1=1:2:3\nweight.1=1\nweight.2=1\n", with_myid("1"));
  EXPECT_EQ(mentions(config.warnings, "hierarchical quorums"), 1u) << joined(config.warnings);
}

// ---- Dynamic membership files ---------------------------------------------------------

TEST(ZooConfig, DynamicConfigFileHoldsTheServers) {
  const std::string text =
      "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/d\n"
      "dynamicConfigFile=/conf/zoo.cfg.dynamic.100000000\n";
  EXPECT_EQ(zoo_config_file_paths(text).dynamic_config, "/conf/zoo.cfg.dynamic.100000000");
  const std::string dynamic =
      "server.1=zoo1:2888:3888:participant;0.0.0.0:2181\n"
      "server.2=zoo2:2888:3888:participant;0.0.0.0:2181\n"
      "server.3=zoo3:2888:3888:participant;0.0.0.0:2181\n";
  const ZooConfig config = parse_ok(text, ZooConfigFiles{"1", dynamic});
  ASSERT_EQ(config.servers.size(), 3u);
  EXPECT_EQ(config.config_version, 0x100000000u);
  EXPECT_EQ(config.client_port, 2181);
  EXPECT_FALSE(config.standalone);
}

TEST(ZooConfig, DynamicConfigFileErrorsNameThatFile) {
  const std::string text =
      "initLimit=10\nsyncLimit=5\ndataDir=/d\ndynamicConfigFile=/conf/zoo.cfg.dynamic\n";
  std::string error = parse_error(text, ZooConfigFiles{"1", "server.1=a:1:2\nversion=1\n"});
  EXPECT_NE(error.find("/conf/zoo.cfg.dynamic:2: version: must not be in the dynamic file"),
            std::string::npos)
      << error;
  error = parse_error(text, ZooConfigFiles{"1", "server.1=a:1:2;2181\ntickTime=5\n"});
  EXPECT_NE(error.find("/conf/zoo.cfg.dynamic:2: tickTime: only server.N"), std::string::npos)
      << error;
  error = parse_error(text, ZooConfigFiles{"1", "server.1=a:1:2;2181\nserver.2=b:1\n"});
  EXPECT_NE(error.find("/conf/zoo.cfg.dynamic:2: server.2:"), std::string::npos) << error;
  error = parse_error(text + "server.1=a:1:2\n", ZooConfigFiles{"1", "server.1=a:1:2;2181\n"});
  EXPECT_NE(error.find("zoo.cfg:5: server.1: must be in the dynamic file /conf/zoo.cfg.dynamic"),
            std::string::npos)
      << error;
}

// ---- Cluster id -------------------------------------------------------------------------

TEST(ZooConfig, DerivedClusterIdIsStableAndOrderIndependent) {
  const std::string head = "dataDir=/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n";
  const uint64_t forward =
      parse_ok(head + "server.1=zoo1:2888:3888\nserver.2=zoo2:2888:3888\nserver.3=zoo3:2888:3888\n",
               with_myid("1"))
          .cluster_id;
  const uint64_t backward =
      parse_ok(head + "server.3=ZOO3:2888:3888\nserver.1=zoo1:2888:3888\nserver.2=zoo2:2888:3888\n",
               with_myid("2"))
          .cluster_id;
  EXPECT_EQ(forward, backward);
  // The same id on every run: it is stored beside the data, so it must not drift.
  std::vector<ServerSpec> servers = {{1, "zoo1", 2888, 3888, false, std::nullopt, std::nullopt},
                                     {2, "zoo2", 2888, 3888, false, std::nullopt, std::nullopt},
                                     {3, "zoo3", 2888, 3888, false, std::nullopt, std::nullopt}};
  EXPECT_EQ(derive_cluster_id(servers), forward);
  EXPECT_EQ(forward, 0x548e4e4c07ba0b7fULL) << std::hex << forward;
  // Client parts and roles do not identify the ensemble; addresses do.
  servers[0].client_port = 2181;
  servers[0].client_address = "0.0.0.0";
  EXPECT_EQ(derive_cluster_id(servers), forward);
  servers[2].election_port = 3889;
  EXPECT_NE(derive_cluster_id(servers), forward);
}

TEST(ZooConfig, ExplicitClusterIdWins) {
  ZooConfig config = parse_ok(kBase + "warden.clusterId=0xDEADbeef\n");
  EXPECT_EQ(config.cluster_id, 0xdeadbeefu);
  EXPECT_FALSE(config.cluster_id_derived);
  config = parse_ok(kBase + "warden.clusterId=18446744073709551615\n");
  EXPECT_EQ(config.cluster_id, UINT64_MAX);
}

// ---- Files on disk ------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "warden-zoocfg-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  std::string path_;
};

TEST(ZooConfigLoad, ReadsMyidFromDataDir) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string cfg = dir.write(
      "zoo.cfg", "dataDir=" + dir.path() + "\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n" +
                     "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n");
  dir.write("myid", "  3 \r\n");
  const ConfigResult result = load_zoo_config(cfg);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.config->my_id, 3u);
  EXPECT_EQ(result.config->source_name, cfg);
  EXPECT_EQ(zoo_config_file_paths("dataDir=" + dir.path() + "/\n").myid, dir.path() + "/myid");
}

TEST(ZooConfigLoad, MissingMyidNamesThePath) {
  TempDir dir;
  const std::string cfg = dir.write(
      "zoo.cfg", "dataDir=" + dir.path() + "\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n" +
                     "server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n");
  const ConfigResult result = load_zoo_config(cfg);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error.find(dir.path() + "/myid: is missing"), std::string::npos) << result.error;
  // A directory where myid should be is no myid, as in ZooKeeper.
  std::filesystem::create_directory(dir.path() + "/myid");
  EXPECT_NE(load_zoo_config(cfg).error.find("/myid: is missing"), std::string::npos);
}

TEST(ZooConfigLoad, StandaloneNeedsNoMyid) {
  TempDir dir;
  const std::string cfg = dir.write("zoo.cfg", "dataDir=" + dir.path() + "\nclientPort=2181\n");
  const ConfigResult result = load_zoo_config(cfg);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.config->my_id, 1u);
}

TEST(ZooConfigLoad, ReadsTheDynamicFile) {
  TempDir dir;
  const std::string dynamic = dir.write("zoo.cfg.dynamic.200000003",
                                        "server.1=a:2888:3888:participant;2181\n"
                                        "server.2=b:2888:3888:participant;2181\n"
                                        "server.3=c:2888:3888:participant;2181\n");
  const std::string cfg =
      dir.write("zoo.cfg", "dataDir=" + dir.path() + "\ninitLimit=5\nsyncLimit=2\n" +
                               "dynamicConfigFile=" + dynamic + "\n");
  dir.write("myid", "2");
  const ConfigResult result = load_zoo_config(cfg);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.config->servers.size(), 3u);
  EXPECT_EQ(result.config->config_version, 0x200000003u);
  EXPECT_EQ(result.config->client_port, 2181);
}

TEST(ZooConfigLoad, MissingConfigFileNamesIt) {
  TempDir dir;
  const ConfigResult result = load_zoo_config(dir.path() + "/nope.cfg");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error, dir.path() + "/nope.cfg: no such file");
}

// ---- The conf four-letter word ---------------------------------------------------------------

TEST(ZooConfigConf, Standalone) {
  EXPECT_EQ(render_conf(parse_ok(kDebianSample), ConfRuntime{1234, 5678}),
            "clientPort=2181\n"
            "secureClientPort=-1\n"
            "dataDir=/tmp/zookeeper\n"
            "dataDirSize=1234\n"
            "dataLogDir=/tmp/zookeeper\n"
            "dataLogSize=5678\n"
            "tickTime=2000\n"
            "maxClientCnxns=60\n"
            "minSessionTimeout=4000\n"
            "maxSessionTimeout=40000\n"
            "clientPortListenBacklog=-1\n"
            "serverId=0\n");
}

TEST(ZooConfigConf, Ensemble) {
  const ZooConfig config =
      parse_ok(kThreeNodes + "server.4=zoo4:2888:3888:observer;10.0.0.4:2181\n", with_myid("2"));
  EXPECT_EQ(render_conf(config, ConfRuntime{}),
            "clientPort=2181\n"
            "secureClientPort=-1\n"
            "dataDir=/tmp/zookeeper\n"
            "dataDirSize=0\n"
            "dataLogDir=/tmp/zookeeper\n"
            "dataLogSize=0\n"
            "tickTime=2000\n"
            "maxClientCnxns=60\n"
            "minSessionTimeout=4000\n"
            "maxSessionTimeout=40000\n"
            "clientPortListenBacklog=-1\n"
            "serverId=2\n"
            "initLimit=10\n"
            "syncLimit=5\n"
            "electionAlg=3\n"
            "electionPort=3888\n"
            "quorumPort=2888\n"
            "peerType=0\n"
            "membership: \n"
            "server.1=zoo1:2888:3888:participant\n"
            "server.2=zoo2:2888:3888:participant\n"
            "server.3=zoo3:2888:3888:participant\n"
            "server.4=zoo4:2888:3888:observer;10.0.0.4:2181\n"
            "version=0");
}

TEST(ZooConfigConf, ObserverWithIpv6AndDynamicVersion) {
  const std::string text =
      "dataDir=/d\ninitLimit=5\nsyncLimit=2\ndynamicConfigFile=/c/zoo.cfg.dynamic.1a\n";
  const ZooConfig config =
      parse_ok(text, ZooConfigFiles{"4",
                                    "server.1=[2001:db8::1]:2888:3888;[2001:db8::1]:2181\n"
                                    "server.2=b:2888:3888;2181\n"
                                    "server.3=c:2888:3888;2181\n"
                                    "server.4=d:2889:3889:observer;2181\n"});
  const std::string conf = render_conf(config, ConfRuntime{});
  EXPECT_NE(conf.find("electionPort=3889\nquorumPort=2889\npeerType=1\n"), std::string::npos)
      << conf;
  EXPECT_NE(conf.find("server.1=[2001:db8::1]:2888:3888:participant;[2001:db8::1]:2181\n"),
            std::string::npos)
      << conf;
  EXPECT_NE(conf.find("server.4=d:2889:3889:observer;0.0.0.0:2181\nversion=1a"), std::string::npos)
      << conf;
  EXPECT_TRUE(conf.ends_with("version=1a")) << conf;
}

}  // namespace
}  // namespace warden::net
