// Simulated ZooKeeper clients for the tree workload. Each client opens a
// session (createSession), then runs one request at a time against the node
// it is connected to: getData, exists, getChildren, create in every mode the
// model knows (persistent, ephemeral, sequential), delete and setData with
// and without expected versions, check+setData and create+delete multis, and
// now and then closes its session and opens another. Paths come from a small
// set so that requests collide. Reads carry the last zxid the client saw.
//
// Every request and its outcome goes into a history for the tree checker:
// an answer (with the zxid it was applied or served at), a definite
// rejection, or unknown (timed out: a write may or may not have happened).
//
// Owned by sim::Simulation, which delivers its events.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/prng.h"
#include "sim/workload.h"

namespace warden::sim {

struct TreeOpRecord {
  enum class Outcome : uint8_t { kPending, kOk, kRejected, kUnknown };
  uint32_t client = 0;
  bool is_write = false;
  store::WriteRequest write;
  TreeRead read;
  int64_t call_us = 0;
  int64_t return_us = -1;
  Outcome outcome = Outcome::kPending;
  ClientReply reply;
};

class TreeWorkload final : public ClientWorkload {
 public:
  TreeWorkload(const WorkloadProfile& profile, int node_count, ClientEnvironment& env, Prng prng);

  void start() override;
  void stop_issuing() override { issuing_ = false; }
  void on_wake(uint32_t client, uint64_t op_sequence) override;
  void on_reply(const ClientReply& reply) override;
  void on_timeout(uint32_t client, uint64_t op_sequence) override;
  const WorkloadStats& stats() const override { return stats_; }
  int64_t last_effective_write_us() const override { return last_effective_write_us_; }

  // The history; requests still in flight become unknown.
  std::vector<TreeOpRecord> finish();

 private:
  struct Client : ClientSlot {
    int64_t session = 0;  // 0: none yet
    uint64_t next_request_id = 1;
    size_t record = 0;  // index into history_ of the request in flight
    ClientRequest request;
    int64_t last_zxid_seen = 0;
    std::set<std::string> known_sequential;  // sequential nodes seen in getChildren answers
  };

  void think(uint32_t client_index);
  void issue(uint32_t client_index);
  void choose_write(uint32_t client_index, store::WriteRequest& write);
  void choose_read(TreeRead& read);
  store::WriteOp random_create();
  std::string random_path();
  std::string random_existing_path(Client& client);

  WorkloadProfile profile_;
  ClientEnvironment& env_;
  Prng prng_;
  WorkloadStats stats_;
  ClientPacer pacer_;
  std::vector<Client> clients_;
  std::vector<TreeOpRecord> history_;
  uint64_t next_value_ = 1;
  bool issuing_ = true;
  int64_t last_effective_write_us_ = -1;
};

}  // namespace warden::sim
