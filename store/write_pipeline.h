// WritePipeline: how one node moves ZooKeeper writes towards the log, the
// same in the simulator and in the runtime. A follower forwards each request
// to the leader as it is; the leader prepares it into a txn (TxnPreparer,
// against the state including txns proposed and not yet applied) and
// proposes that. The leader prepares only while it leads an established epoch
// and has applied everything before that epoch; requests arriving earlier
// wait in a bounded queue. The leader also sweeps the tree now and then and
// proposes the removal of containers and TTL nodes that are due.
//
// Answers come from apply (ZooState::apply's ApplyResult names the session and
// request id). What the pipeline reports itself is the local requests that
// will never reach the log (no leader, a full queue, leadership lost before
// they were prepared): take_rejected() hands them out for their clients to be
// told.
//
// Owned by a node's driver next to its ZooState (sim::TreeService, the
// runtime in net/). Single-threaded; call only between Readies (never
// between Node::ready() and Node::advance()).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "consensus/node.h"
#include "store/request.h"
#include "store/txn_preparer.h"
#include "store/zoo_state.h"

namespace warden::store {

// What the pipeline needs from the node it runs on.
class PipelineHost {
 public:
  virtual ~PipelineHost() = default;
  virtual consensus::Node& consensus_node() = 0;
  virtual consensus::LogIndex applied_index() const = 0;
  virtual int64_t now_ms() const = 0;  // the leader's clock, stamped into txns
};

struct PipelineConfig {
  PrepConfig prep;
  size_t max_waiting_requests = 1000;
  int sweep_every_ticks = 50;  // how often the leader looks for due containers and TTL nodes
};

// Identifies a request to the node that took it from its client.
struct RequestKey {
  SessionId session = 0;
  uint64_t request_id = 0;
  bool operator==(const RequestKey&) const = default;
};

class WritePipeline {
 public:
  WritePipeline(PipelineHost& host, const ZooState& state, const PipelineConfig& config);

  // A write from a client of this node.
  void submit_local(const WriteRequest& request) { submit(request, true); }
  // After Node::advance(): the requests followers forwarded to this leader
  // (Ready::forwarded); then whatever waits is prepared if it can be.
  void after_advance(const std::vector<std::string>& forwarded);
  // Every tick: prepares what waits and, on the leader, sweeps now and then.
  void on_tick();
  // After the entry at `index` is applied to the state.
  void applied(consensus::LogIndex index) { preparer_.applied(index); }
  // The state was replaced by an image: what was prepared against the old
  // one no longer holds.
  void state_replaced() { preparer_.reset(); }
  // The process died: everything held is forgotten, nobody is told.
  void forget_all();

  std::vector<RequestKey> take_rejected() { return std::exchange(rejected_, {}); }
  size_t waiting() const { return waiting_.size(); }

 private:
  struct Waiting {
    WriteRequest request;
    bool local = false;  // a client of this node waits for it
  };

  void submit(const WriteRequest& request, bool local);
  // Forgets the preparer's pending state unless this node still leads the
  // epoch it was prepared in; rejects local requests still waiting then.
  void sync_leadership();
  bool can_prepare();
  void prepare_and_propose(const Waiting& waiting);
  void drain_waiting();
  void sweep();
  void reject(const Waiting& waiting);

  PipelineHost& host_;
  PipelineConfig config_;
  TxnPreparer preparer_;
  consensus::Epoch prepared_epoch_ = 0;  // 0: not leading
  std::deque<Waiting> waiting_;
  int ticks_since_sweep_ = 0;
  std::vector<RequestKey> rejected_;
};

}  // namespace warden::store
