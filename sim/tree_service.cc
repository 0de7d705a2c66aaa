#include "sim/tree_service.h"

#include <cassert>

namespace warden::sim {

using consensus::Entry;
using consensus::EntryType;

TreeService::TreeService(ServiceHost& host, bool planted_prep_ignores_pending)
    : host_(host),
      pipeline_(
          *this, state_,
          store::PipelineConfig{
              .prep = store::PrepConfig{.planted_ignore_pending = planted_prep_ignores_pending},
          }) {}

void TreeService::reset() {
  state_.clear();
  pipeline_.forget_all();
  held_by_client_.clear();
}

bool TreeService::restore(std::string_view snapshot) {
  pipeline_.state_replaced();
  return state_.restore(snapshot);
}

void TreeService::apply(const Entry& entry) {
  if (entry.type != EntryType::kData) return;
  const std::optional<store::Txn> txn = store::decode_txn(entry.data);
  assert(txn.has_value());
  const store::ApplyResult result = state_.apply(*txn, static_cast<int64_t>(entry.zxid));
  pipeline_.applied(entry.index);
  if (!result.duplicate) answer_write(result);
}

// Takes the held write the pipeline or apply names, if a client of this
// node still waits for it: the reply, addressed to that client.
std::optional<ClientReply> TreeService::take_held(store::SessionId session, uint64_t request_id) {
  for (auto it = held_by_client_.begin(); it != held_by_client_.end(); ++it) {
    const store::WriteRequest& request = it->second.tree_write;
    if (request.session != session || request.request_id != request_id) continue;
    ClientReply reply;
    reply.client = it->second.client;
    reply.request_id = it->second.request_id;
    held_by_client_.erase(it);
    return reply;
  }
  return std::nullopt;
}

void TreeService::answer_write(const store::ApplyResult& result) {
  std::optional<ClientReply> reply = take_held(result.session, result.request_id);
  if (!reply) return;
  reply->zxid = result.zxid;
  reply->tree_error = result.error;
  reply->tree_results = result.results;
  reply->created_session = result.created_session;
  host_.reply(*reply);
}

void TreeService::take_request(const ClientRequest& request) {
  if (request.kind == ClientOpKind::kTreeRead) {
    serve_read(request);
    return;
  }
  assert(request.kind == ClientOpKind::kTreeWrite);
  held_by_client_[request.client] = request;
  pipeline_.submit_local(request.tree_write);
  answer_rejected();
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

void TreeService::on_tick() {
  pipeline_.on_tick();
  answer_rejected();
}

void TreeService::after_advance(std::vector<std::string>& forwarded) {
  pipeline_.after_advance(forwarded);
  answer_rejected();
}

// The pipeline's rejections, answered in the order it made them.
void TreeService::answer_rejected() {
  for (const store::RequestKey& key : pipeline_.take_rejected()) {
    std::optional<ClientReply> reply = take_held(key.session, key.request_id);
    if (!reply) continue;
    reply->status = ClientReplyStatus::kRejected;
    host_.reply(*reply);
  }
}

}  // namespace warden::sim
