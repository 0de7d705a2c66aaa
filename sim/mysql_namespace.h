// The namespace the simulated MySQL agents use, as a Warden ensemble serves
// it to them: one linearizable store of znodes (data, version, mtime,
// ephemeral owner) with sessions. A session ends when the ensemble expires
// it, and its ephemeral znodes (member records, the failover lock) go with
// it in the same step.
//
// The ensemble itself (which node reaches a quorum, when a session's last
// contact was, when an answer is lost) is the MySQL simulation's business
// (sim/mysql_workload.h): it calls in here at the moment a request takes
// effect. The consensus simulator proves separately that Warden serves
// exactly such a store. Single-threaded; iteration is in path order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mysqlctl/agent_loop.h"

namespace warden::sim {

// ZooKeeper's answers that the agents tell apart: the agent's own terms
// (mysqlctl/agent_loop.h).
using ZkError = mysqlctl::NsError;
inline const char* zk_error_name(ZkError error) {
  return mysqlctl::ns_error_name(error);
}

struct Znode {
  std::string data;
  int32_t version = 0;
  int64_t mtime_ms = 0;          // the leader's wall clock at the last write
  uint64_t ephemeral_owner = 0;  // session id; 0 for persistent
};

class MysqlNamespace {
 public:
  // Sessions. Ids start at 1.
  uint64_t open_session(int64_t now_us);
  bool session_alive(uint64_t session) const;
  int64_t last_contact_us(uint64_t session) const;
  void touch(uint64_t session, int64_t now_us);
  // Ends the session and removes its ephemeral znodes.
  void expire(uint64_t session);
  // Live sessions, in id order.
  std::vector<uint64_t> live_sessions() const;

  // Writes. `session` owns an ephemeral create (0: persistent). The parent
  // must exist; versions are expected values, -1 for any.
  ZkError create(const std::string& path, const std::string& data, uint64_t session,
                 int64_t mtime_ms);
  ZkError set_data(const std::string& path, const std::string& data, int32_t version,
                   int64_t mtime_ms);
  ZkError remove(const std::string& path, int32_t version);

  // Reads.
  const Znode* get(const std::string& path) const;
  // Names of the children, in order; none for a missing node.
  std::vector<std::string> children(const std::string& path) const;

  // How many writes took effect (for the trace digest).
  uint64_t writes() const { return writes_; }

 private:
  static std::string parent_of(const std::string& path);
  bool has_children(const std::string& path) const;

  std::map<std::string, Znode> nodes_;
  struct Session {
    int64_t last_contact_us = 0;
    bool alive = true;
  };
  std::map<uint64_t, Session> sessions_;
  uint64_t next_session_ = 1;
  uint64_t writes_ = 0;
};

}  // namespace warden::sim
