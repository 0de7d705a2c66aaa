#include "sim/workload.h"

#include <cassert>

namespace warden::sim {

Workload::Workload(const WorkloadProfile& profile, int node_count, ClientEnvironment& env,
                   Prng prng)
    : profile_(profile), env_(env), prng_(prng), pacer_(profile_, node_count, env_, prng_, stats_) {
  clients_.resize(static_cast<size_t>(profile_.clients));
  for (Client& client : clients_) {
    client.node_index = pacer_.first_node();
    client.process = next_process_++;
    client.last_seen.assign(static_cast<size_t>(profile_.keys), 0);
  }
}

void Workload::start() {
  for (uint32_t i = 0; i < clients_.size(); ++i) think(i);
}

void Workload::think(uint32_t client_index) {
  pacer_.think(client_index, clients_[client_index]);
}

void Workload::on_wake(uint32_t client_index, uint64_t op_sequence) {
  if (ClientPacer::due(clients_[client_index], op_sequence, issuing_)) issue(client_index);
}

void Workload::issue(uint32_t client_index) {
  Client& client = clients_[client_index];
  ClientRequest& request = client.request;
  request = ClientRequest{};
  request.client = client_index;
  request.request_id = client.next_request_id++;
  request.key = static_cast<int64_t>(prng_.below(static_cast<uint64_t>(profile_.keys)));
  const double dice = prng_.unit();
  if (dice < profile_.read_fraction) {
    request.kind = ClientOpKind::kRead;
  } else if (dice < profile_.read_fraction + profile_.write_fraction) {
    request.kind = ClientOpKind::kWrite;
    request.value = next_value_++;
  } else {
    request.kind = ClientOpKind::kCas;
    // Compare against what this client last saw, so that most swaps can win
    // and the rest fail on a genuine race.
    request.expected = client.last_seen[static_cast<size_t>(request.key)];
    request.value = next_value_++;
  }

  RegisterOp& op = client.op;
  op = RegisterOp{};
  op.process = client.process;
  op.kind = request.kind == ClientOpKind::kRead    ? RegisterOpKind::kRead
            : request.kind == ClientOpKind::kWrite ? RegisterOpKind::kWrite
                                                   : RegisterOpKind::kCas;
  op.key = request.key;
  op.value = request.value;
  op.cas_expected = request.expected;
  op.call_time = env_.now_us();

  pacer_.send(client_index, client, request);
}

void Workload::complete(Client& client, RegisterOutcome outcome) {
  client.op.outcome = outcome;
  client.op.return_time = env_.now_us();
  history_.push_back(client.op);
}

void Workload::on_reply(const ClientReply& reply) {
  Client& client = clients_[reply.client];
  if (!client.in_flight || reply.request_id != client.request.request_id) return;
  client.in_flight = false;
  const size_t key = static_cast<size_t>(client.request.key);
  switch (reply.status) {
    case ClientReplyStatus::kOk:
      ++stats_.ok;
      if (client.request.kind == ClientOpKind::kRead) {
        client.op.read_value = reply.read_value;
        client.last_seen[key] = reply.read_value.value_or(0);
      } else {
        client.last_seen[key] = client.request.value;
        last_effective_write_us_ = env_.now_us();
      }
      complete(client, RegisterOutcome::kOk);
      break;
    case ClientReplyStatus::kCasMismatch:
      ++stats_.failed;
      complete(client, RegisterOutcome::kFail);
      break;
    case ClientReplyStatus::kRejected:
      // Definitely no effect: leave it out of the history, try another node.
      ++stats_.failed;
      pacer_.switch_node(client);
      break;
  }
  think(reply.client);
}

void Workload::on_timeout(uint32_t client_index, uint64_t op_sequence) {
  Client& client = clients_[client_index];
  if (!client.in_flight || op_sequence != client.op_sequence) return;
  client.in_flight = false;
  if (client.request.kind == ClientOpKind::kRead) {
    ++stats_.dropped_reads;
  } else {
    ++stats_.unknown;
    client.op.outcome = RegisterOutcome::kUnknown;
    client.op.return_time = kStillOpen;
    history_.push_back(client.op);
  }
  // Jepsen's convention: the indeterminate op keeps its process busy forever.
  client.process = next_process_++;
  pacer_.switch_node(client);
  think(client_index);
}

std::vector<RegisterOp> Workload::finish() {
  for (Client& client : clients_) {
    if (!client.in_flight || client.request.kind == ClientOpKind::kRead) continue;
    client.in_flight = false;
    ++stats_.unknown;
    client.op.outcome = RegisterOutcome::kUnknown;
    client.op.return_time = kStillOpen;
    history_.push_back(client.op);
  }
  return std::move(history_);
}

}  // namespace warden::sim
