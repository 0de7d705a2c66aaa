#include "store/write_pipeline.h"

#include <utility>

#include "store/txn.h"

namespace warden::store {

using consensus::ProposeResult;
using consensus::Role;

WritePipeline::WritePipeline(PipelineHost& host, const ZooState& state,
                             const PipelineConfig& config)
    : host_(host), config_(config), preparer_(state, config.prep) {}

void WritePipeline::forget_all() {
  preparer_.reset();
  prepared_epoch_ = 0;
  waiting_.clear();
  rejected_.clear();
}

void WritePipeline::submit(const WriteRequest& request, bool local) {
  sync_leadership();
  consensus::Node& node = host_.consensus_node();
  if (node.role() == Role::kLeader) {
    if (waiting_.size() >= config_.max_waiting_requests) {
      reject(Waiting{request, local});
      return;
    }
    waiting_.push_back(Waiting{request, local});
    drain_waiting();
    return;
  }
  if (!local) return;  // forwarded to a node that no longer leads; the sender times out
  const ProposeResult result = node.propose(encode_write_request(request));
  if (result != ProposeResult::kAccepted) reject(Waiting{request, local});
}

void WritePipeline::sync_leadership() {
  const consensus::Node& node = host_.consensus_node();
  const consensus::Epoch leading = node.role() == Role::kLeader ? node.epoch() : 0;
  if (leading == prepared_epoch_) return;
  preparer_.reset();
  prepared_epoch_ = leading;
  for (const Waiting& waiting : waiting_) reject(waiting);
  waiting_.clear();
}

bool WritePipeline::can_prepare() {
  const consensus::Node& node = host_.consensus_node();
  return node.epoch_established() && host_.applied_index() >= node.epoch_start_index();
}

void WritePipeline::drain_waiting() {
  sync_leadership();
  while (!waiting_.empty() && can_prepare()) {
    const Waiting waiting = std::move(waiting_.front());
    waiting_.pop_front();
    prepare_and_propose(waiting);
  }
}

void WritePipeline::prepare_and_propose(const Waiting& waiting) {
  const std::optional<Txn> txn = preparer_.prepare(waiting.request, host_.now_ms());
  if (!txn) {
    // A repeat of a request already prepared: its first copy answers whoever
    // sent that. A local one came from a client here, though, under an id
    // another node's request for the same session already used; its client
    // must hear something.
    if (waiting.local) reject(waiting);
    return;
  }
  consensus::Node& node = host_.consensus_node();
  if (node.propose(encode_txn(*txn)) == ProposeResult::kAccepted) {
    preparer_.keep(node.last_index());
    return;
  }
  preparer_.discard();
  reject(waiting);
}

void WritePipeline::on_tick() {
  drain_waiting();
  if (++ticks_since_sweep_ < config_.sweep_every_ticks || !can_prepare()) return;
  ticks_since_sweep_ = 0;
  sweep();
}

void WritePipeline::sweep() {
  for (const std::string& path : preparer_.nodes_due_for_removal(host_.now_ms())) {
    Waiting removal;
    removal.request.op = OpCode::kDeleteContainer;
    WriteOp op;
    op.op = OpCode::kDeleteContainer;
    op.path = path;
    removal.request.ops = {op};
    prepare_and_propose(removal);
  }
}

void WritePipeline::after_advance(const std::vector<std::string>& forwarded) {
  for (const std::string& bytes : forwarded) {
    const std::optional<WriteRequest> request = decode_write_request(bytes);
    if (request) submit(*request, false);
  }
  drain_waiting();
}

void WritePipeline::reject(const Waiting& waiting) {
  if (waiting.local) {
    rejected_.push_back(RequestKey{waiting.request.session, waiting.request.request_id});
  }
}

}  // namespace warden::store
