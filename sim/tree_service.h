// The tree workload's server side: ZooKeeper requests on a ZooState, the
// way a ZooKeeper server handles them. Reads are served at once from this
// node's state (sequential consistency; a client that has seen a later zxid
// than this node has applied is refused). Writes go through the same
// store::WritePipeline as in the runtime: a follower forwards them, the
// leader prepares and proposes them. The node the client talks to answers
// once it applies the txn.
//
// Owned by sim::NodeHost when the simulation runs the tree workload.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "sim/hosted_service.h"
#include "store/write_pipeline.h"
#include "store/zoo_state.h"

namespace warden::sim {

class TreeService final : public HostedService, private store::PipelineHost {
 public:
  TreeService(ServiceHost& host, bool planted_prep_ignores_pending);

  void reset() override;
  bool restore(std::string_view snapshot) override;
  std::string serialize() const override { return state_.serialize(); }
  uint64_t state_hash() const override { return state_.state_hash(); }
  void apply(const consensus::Entry& entry) override;
  void take_request(const ClientRequest& request) override;
  void note_read_state(const consensus::ReadState&) override {}
  void answer_ready_reads() override {}
  void after_advance(std::vector<std::string>& forwarded) override;
  // Also the leader's sweep of due containers and TTL nodes.
  void on_tick() override;
  uint64_t inconsistencies() const override { return state_.inconsistencies(); }

  const store::ZooState& state() const { return state_; }

 private:
  // store::PipelineHost.
  consensus::Node& consensus_node() override { return host_.consensus_node(); }
  consensus::LogIndex applied_index() const override { return host_.applied_index(); }
  int64_t now_ms() const override { return host_.now_us() / 1000; }

  void serve_read(const ClientRequest& request);
  void answer_rejected();
  void answer_write(const store::ApplyResult& result);
  std::optional<ClientReply> take_held(store::SessionId session, uint64_t request_id);

  ServiceHost& host_;
  store::ZooState state_;
  store::WritePipeline pipeline_;
  std::map<uint32_t, ClientRequest> held_by_client_;  // writes proposed or forwarded
};

}  // namespace warden::sim
