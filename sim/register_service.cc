#include "sim/register_service.h"

#include <cassert>

namespace warden::sim {

using consensus::Entry;
using consensus::EntryType;
using consensus::ProposeResult;

void RegisterService::reset() {
  machine_ = RegisterMachine();
  held_by_client_.clear();
}

void RegisterService::apply(const Entry& entry) {
  if (entry.type != EntryType::kData) return;
  const std::optional<RegisterCommand> command = decode_register_command(entry.data);
  assert(command.has_value());
  const ApplyOutcome outcome = machine_.apply(*command);
  const uint32_t client = static_cast<uint32_t>(command->client_id - 1);
  auto held = held_by_client_.find(client);
  // A duplicate means an earlier copy already took effect and was answered
  // then (or its client gave up); stay silent rather than guess.
  if (held != held_by_client_.end() && held->second.request.request_id == command->request_id &&
      outcome != ApplyOutcome::kDuplicate) {
    reply(held->second.request,
          outcome == ApplyOutcome::kOk ? ClientReplyStatus::kOk : ClientReplyStatus::kCasMismatch);
    held_by_client_.erase(held);
  }
}

void RegisterService::note_read_state(const consensus::ReadState& read_state) {
  for (auto it = held_by_client_.begin(); it != held_by_client_.end(); ++it) {
    HeldRequest& held = it->second;
    if (held.request.kind != ClientOpKind::kRead || held.read_context != read_state.context) {
      continue;
    }
    if (!read_state.ok) {
      reply(held.request, ClientReplyStatus::kRejected);
      held_by_client_.erase(it);
      return;
    }
    held.read_index_known = true;
    held.read_index = read_state.index;
    return;
  }
}

void RegisterService::answer_ready_reads() {
  for (auto it = held_by_client_.begin(); it != held_by_client_.end();) {
    const HeldRequest& held = it->second;
    if (held.read_index_known && held.read_index <= host_.applied_index()) {
      reply(held.request, ClientReplyStatus::kOk, machine_.read(held.request.key));
      it = held_by_client_.erase(it);
    } else {
      ++it;
    }
  }
}

void RegisterService::take_request(const ClientRequest& request) {
  HeldRequest held{request};
  if (request.kind == ClientOpKind::kRead) {
    held.read_context = next_read_context_++;
    held_by_client_[request.client] = held;
    host_.consensus_node().read_index(held.read_context);
    return;
  }
  RegisterCommand command;
  command.client_id = request.client + 1;
  command.request_id = request.request_id;
  command.kind = request.kind == ClientOpKind::kWrite ? RegisterCommandKind::kWrite
                                                      : RegisterCommandKind::kCas;
  command.key = request.key;
  command.value = request.value;
  command.expected = request.expected;
  const ProposeResult result = host_.consensus_node().propose(encode_register_command(command));
  if (result == ProposeResult::kNoLeader || result == ProposeResult::kBusy) {
    held_by_client_.erase(request.client);
    reply(request, ClientReplyStatus::kRejected);
    return;
  }
  held_by_client_[request.client] = held;
}

void RegisterService::reply(const ClientRequest& request, ClientReplyStatus status,
                            std::optional<int64_t> read_value) {
  ClientReply out;
  out.client = request.client;
  out.request_id = request.request_id;
  out.status = status;
  out.read_value = read_value;
  host_.reply(out);
}

}  // namespace warden::sim
