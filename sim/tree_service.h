// The tree workload's server side: ZooKeeper requests on a ZooState, the
// way a ZooKeeper server handles them. Reads are served at once from this
// node's state (sequential consistency; a client that has seen a later zxid
// than this node has applied is refused). Writes go to the leader: a
// follower forwards the request, and the leader prepares it into a txn
// (TxnPreparer, against the state including txns not yet applied) and
// proposes that. The node the client talks to answers once it applies the
// txn.
//
// The leader prepares only while it leads an established epoch and has
// applied everything before that epoch; requests that arrive earlier wait.
//
// Owned by sim::NodeHost when the simulation runs the tree workload.
#pragma once

#include <cstdint>
#include <deque>
#include <map>

#include "sim/hosted_service.h"
#include "store/txn_preparer.h"
#include "store/zoo_state.h"

namespace warden::sim {

class TreeService final : public HostedService {
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
  // Also the leader's sweep: it proposes the removal of containers and TTL
  // nodes that are due.
  void on_tick() override;
  uint64_t inconsistencies() const override { return state_.inconsistencies(); }

  const store::ZooState& state() const { return state_; }

 private:
  struct Waiting {
    store::WriteRequest request;
    bool local = false;  // a client of this node waits for it
    uint32_t client = 0;
    uint64_t client_request_id = 0;
  };

  void serve_read(const ClientRequest& request);
  void submit(const store::WriteRequest& request, bool local, uint32_t client,
              uint64_t client_request_id);
  // Forgets the preparer's pending state unless this node still leads the
  // epoch it was prepared in; rejects local requests still waiting then.
  void sync_leadership();
  bool can_prepare() const;
  void prepare_and_propose(const Waiting& waiting);
  void drain_waiting();
  void reject(uint32_t client, uint64_t request_id);
  void answer_write(const store::ApplyResult& result);

  ServiceHost& host_;
  store::ZooState state_;
  store::TxnPreparer preparer_;
  consensus::Epoch prepared_epoch_ = 0;  // 0: not leading
  std::deque<Waiting> waiting_;
  int ticks_since_sweep_ = 0;
  std::map<uint32_t, ClientRequest> held_by_client_;  // writes proposed or forwarded
};

}  // namespace warden::sim
