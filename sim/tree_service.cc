#include "sim/tree_service.h"

#include <cassert>

namespace warden::sim {

using consensus::Entry;
using consensus::EntryType;
using consensus::ProposeResult;
using consensus::Role;

namespace {
constexpr size_t kMaxWaitingRequests = 1000;
// How often the leader looks for containers and TTL nodes that are due.
constexpr int kSweepEveryTicks = 50;
}  // namespace

TreeService::TreeService(ServiceHost& host, bool planted_prep_ignores_pending)
    : host_(host),
      preparer_(state_, store::PrepConfig{.planted_ignore_pending = planted_prep_ignores_pending}) {
}

void TreeService::reset() {
  state_.clear();
  preparer_.reset();
  prepared_epoch_ = 0;
  waiting_.clear();
  held_by_client_.clear();
}

bool TreeService::restore(std::string_view snapshot) {
  preparer_.reset();
  return state_.restore(snapshot);
}

void TreeService::apply(const Entry& entry) {
  if (entry.type != EntryType::kData) return;
  const std::optional<store::Txn> txn = store::decode_txn(entry.data);
  assert(txn.has_value());
  const store::ApplyResult result = state_.apply(*txn, static_cast<int64_t>(entry.zxid));
  preparer_.applied(entry.index);
  if (!result.duplicate) answer_write(result);
}

void TreeService::answer_write(const store::ApplyResult& result) {
  for (auto it = held_by_client_.begin(); it != held_by_client_.end(); ++it) {
    const store::WriteRequest& request = it->second.tree_write;
    if (request.session != result.session || request.request_id != result.request_id) continue;
    ClientReply reply;
    reply.client = it->second.client;
    reply.request_id = it->second.request_id;
    reply.zxid = result.zxid;
    reply.tree_error = result.error;
    reply.tree_results = result.results;
    reply.created_session = result.created_session;
    held_by_client_.erase(it);
    host_.reply(reply);
    return;
  }
}

void TreeService::take_request(const ClientRequest& request) {
  if (request.kind == ClientOpKind::kTreeRead) {
    serve_read(request);
    return;
  }
  assert(request.kind == ClientOpKind::kTreeWrite);
  held_by_client_[request.client] = request;
  submit(request.tree_write, true, request.client, request.request_id);
}

void TreeService::serve_read(const ClientRequest& request) {
  const TreeRead& read = request.tree_read;
  if (state_.last_applied_zxid() < read.min_zxid) {
    // ZooKeeper refuses a client that has seen more than this node.
    ClientReply refused;
    refused.client = request.client;
    refused.request_id = request.request_id;
    refused.status = ClientReplyStatus::kRejected;
    host_.reply(refused);
    return;
  }
  ClientReply reply;
  reply.client = request.client;
  reply.request_id = request.request_id;
  reply.zxid = state_.last_applied_zxid();
  const store::AuthContext anyone;
  switch (read.op) {
    case store::OpCode::kExists:
      reply.tree_read = state_.exists(read.path);
      break;
    case store::OpCode::kGetChildren:
      reply.tree_read = state_.get_children(read.path, anyone);
      break;
    default:
      reply.tree_read = state_.get_data(read.path, anyone);
      break;
  }
  host_.reply(reply);
}

void TreeService::submit(const store::WriteRequest& request, bool local, uint32_t client,
                         uint64_t client_request_id) {
  sync_leadership();
  consensus::Node& node = host_.consensus_node();
  if (node.role() == Role::kLeader) {
    if (waiting_.size() >= kMaxWaitingRequests) {
      if (local) reject(client, client_request_id);
      return;
    }
    waiting_.push_back(Waiting{request, local, client, client_request_id});
    drain_waiting();
    return;
  }
  if (!local) return;  // forwarded here by mistake; the sender times out
  const ProposeResult result = node.propose(store::encode_write_request(request));
  if (result != ProposeResult::kAccepted) reject(client, client_request_id);
}

void TreeService::sync_leadership() {
  const consensus::Node& node = host_.consensus_node();
  const consensus::Epoch leading = node.role() == Role::kLeader ? node.epoch() : 0;
  if (leading == prepared_epoch_) return;
  preparer_.reset();
  prepared_epoch_ = leading;
  for (const Waiting& waiting : waiting_) {
    if (waiting.local) reject(waiting.client, waiting.client_request_id);
  }
  waiting_.clear();
}

bool TreeService::can_prepare() const {
  const consensus::Node& node = host_.consensus_node();
  return node.epoch_established() && host_.applied_index() >= node.epoch_start_index();
}

void TreeService::drain_waiting() {
  sync_leadership();
  while (!waiting_.empty() && can_prepare()) {
    const Waiting waiting = std::move(waiting_.front());
    waiting_.pop_front();
    prepare_and_propose(waiting);
  }
}

void TreeService::prepare_and_propose(const Waiting& waiting) {
  const int64_t now_ms = host_.now_us() / 1000;
  const std::optional<store::Txn> txn = preparer_.prepare(waiting.request, now_ms);
  if (!txn) return;  // a repeat of a request already prepared; its first copy answers
  consensus::Node& node = host_.consensus_node();
  const ProposeResult result = node.propose(store::encode_txn(*txn));
  if (result == ProposeResult::kAccepted) {
    preparer_.keep(node.last_index());
    return;
  }
  preparer_.discard();
  if (waiting.local) reject(waiting.client, waiting.client_request_id);
}

void TreeService::on_tick() {
  drain_waiting();
  if (++ticks_since_sweep_ < kSweepEveryTicks || !can_prepare()) return;
  ticks_since_sweep_ = 0;
  const int64_t now_ms = host_.now_us() / 1000;
  for (const std::string& path : preparer_.nodes_due_for_removal(now_ms)) {
    Waiting removal;
    removal.request.op = store::OpCode::kDeleteContainer;
    store::WriteOp op;
    op.op = store::OpCode::kDeleteContainer;
    op.path = path;
    removal.request.ops = {op};
    prepare_and_propose(removal);
  }
}

void TreeService::after_advance(std::vector<std::string>& forwarded) {
  for (const std::string& bytes : forwarded) {
    const std::optional<store::WriteRequest> request = store::decode_write_request(bytes);
    if (request) submit(*request, false, 0, 0);
  }
  drain_waiting();
}

void TreeService::reject(uint32_t client, uint64_t request_id) {
  const auto it = held_by_client_.find(client);
  // The client may have given up on that request and sent another since.
  if (it == held_by_client_.end() || it->second.request_id != request_id) return;
  ClientReply reply;
  reply.client = client;
  reply.request_id = it->second.request_id;
  reply.status = ClientReplyStatus::kRejected;
  held_by_client_.erase(it);
  host_.reply(reply);
}

}  // namespace warden::sim
