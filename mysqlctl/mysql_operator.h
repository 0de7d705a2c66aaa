// The agent's MysqlOperator (mysqlctl/agent.h) on real servers: the probe
// (mysqlctl/mysql_probe.h) and the actions (mysqlctl/mysql_admin.h) over
// MySQL Connector/C++, with the agent's account, the replication account
// that repointed replicas log in with, and the time bounds.
//
// Created by `warden serve` for its agent; its calls block and may run on
// any thread.
#pragma once

#include <cstdint>

#include "mysqlctl/agent.h"
#include "mysqlctl/credentials.h"

namespace warden::mysqlctl {

struct MysqlOperatorOptions {
  Credentials account;      // probes and actions
  Credentials replication;  // REPLICATION SLAVE, for CHANGE MASTER TO
  int probe_timeout_ms = 1000;
  // Actions but the relay-log wait, which may take as long as the replica
  // needs to apply what it received.
  int action_timeout_ms = 5000;
  int relay_log_timeout_ms = 60000;
  // A primary's semi-sync timeout: the default never falls back to
  // asynchronous replication, so a commit no replica acknowledges waits.
  uint64_t semi_sync_timeout_ms = kSemiSyncNoFallbackMs;
};

class ConnectorMysqlOperator final : public MysqlOperator {
 public:
  explicit ConnectorMysqlOperator(MysqlOperatorOptions options) : options_(std::move(options)) {}

  ProbeResult probe(const ProbeTarget& server) override;
  Result<std::string> fence(const ProbeTarget& server) override;
  Result<std::string> make_writable(const ProbeTarget& server) override;
  Result<std::string> promote(const ProbeTarget& server) override;
  Result<std::string> repoint(const ProbeTarget& server, const ProbeTarget& source) override;
  Result<std::string> wait_relay_log_applied(const ProbeTarget& server) override;
  Result<std::string> resume_replication(const ProbeTarget& server) override;
  Result<std::string> stop_receiving(const ProbeTarget& server) override;

 private:
  MysqlOperatorOptions options_;
};

}  // namespace warden::mysqlctl
