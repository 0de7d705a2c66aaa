#include "sim/tree_workload.h"

#include <array>

namespace warden::sim {

using store::CreateMode;
using store::OpCode;
using store::WriteOp;

namespace {

constexpr std::array<const char*, 6> kPaths = {"/a", "/b", "/a/x", "/a/y", "/b/x", "/b/y"};
constexpr std::array<const char*, 2> kSequentialPrefixes = {"/a/s-", "/b/s-"};
constexpr int32_t kSessionTimeoutMs = 10'000;
// createSession requests carry no session, so their ids must not collide
// between clients: the client's number goes in the high bits.
constexpr int kClientIdShift = 40;

}  // namespace

TreeWorkload::TreeWorkload(const WorkloadProfile& profile, int node_count, ClientEnvironment& env,
                           Prng prng)
    : profile_(profile), env_(env), prng_(prng), pacer_(profile_, node_count, env_, prng_, stats_) {
  clients_.resize(static_cast<size_t>(profile_.clients));
  for (Client& client : clients_) client.node_index = pacer_.first_node();
}

void TreeWorkload::start() {
  for (uint32_t i = 0; i < clients_.size(); ++i) think(i);
}

void TreeWorkload::think(uint32_t client_index) {
  pacer_.think(client_index, clients_[client_index]);
}

void TreeWorkload::on_wake(uint32_t client_index, uint64_t op_sequence) {
  if (ClientPacer::due(clients_[client_index], op_sequence, issuing_)) issue(client_index);
}

std::string TreeWorkload::random_path() {
  return kPaths[prng_.below(kPaths.size())];
}

std::string TreeWorkload::random_existing_path(Client& client) {
  if (!client.known_sequential.empty() && prng_.unit() < 0.4) {
    auto it = client.known_sequential.begin();
    std::advance(it, static_cast<long>(prng_.below(client.known_sequential.size())));
    return *it;
  }
  return random_path();
}

WriteOp TreeWorkload::random_create() {
  WriteOp op;
  op.op = prng_.unit() < 0.5 ? OpCode::kCreate : OpCode::kCreate2;
  op.acl = store::open_acl();
  op.data = "v" + std::to_string(next_value_++);
  const double dice = prng_.unit();
  if (dice < 0.15) {
    // Containers and TTL nodes, which the leader removes when they are due.
    op.path = random_path();
    if (prng_.unit() < 0.5) {
      op.op = OpCode::kCreateContainer;
      op.mode = CreateMode::kContainer;
    } else {
      op.op = OpCode::kCreateTtl;
      op.mode = CreateMode::kPersistentWithTtl;
      op.ttl_ms = prng_.uniform_int(100, 3000);
    }
  } else if (dice < 0.5) {
    op.path = random_path();
    op.mode = prng_.unit() < 0.3 ? CreateMode::kEphemeral : CreateMode::kPersistent;
  } else {
    op.path = kSequentialPrefixes[prng_.below(kSequentialPrefixes.size())];
    op.mode =
        prng_.unit() < 0.5 ? CreateMode::kEphemeralSequential : CreateMode::kPersistentSequential;
  }
  return op;
}

void TreeWorkload::choose_write(uint32_t client_index, store::WriteRequest& write) {
  Client& client = clients_[client_index];
  write.session = client.session;
  write.request_id = client.next_request_id++;
  if (client.session == 0) {
    write.op = OpCode::kCreateSession;
    write.request_id |= static_cast<uint64_t>(client_index + 1) << kClientIdShift;
    write.session_timeout_ms = kSessionTimeoutMs;
    return;
  }
  const double dice = prng_.unit();
  WriteOp op;
  op.path = random_existing_path(client);
  op.version = prng_.unit() < 0.5 ? -1 : static_cast<int32_t>(prng_.below(3));
  op.data = "v" + std::to_string(next_value_++);
  if (dice < 0.03) {
    write.op = OpCode::kCloseSession;
    return;
  }
  if (dice < 0.35) {
    op = random_create();
  } else if (dice < 0.5) {
    op.op = OpCode::kDelete;
  } else if (dice < 0.85) {
    op.op = OpCode::kSetData;
  } else {
    write.op = OpCode::kMulti;
    WriteOp first;
    first.op = OpCode::kCheck;
    first.path = random_path();
    first.version = static_cast<int32_t>(prng_.below(3));
    if (prng_.unit() < 0.5) {
      op.op = OpCode::kSetData;
      write.ops = {first, op};
    } else {
      WriteOp create = random_create();
      WriteOp remove;
      remove.op = OpCode::kDelete;
      remove.path = random_path();
      remove.version = -1;
      write.ops = {create, remove};
    }
    return;
  }
  write.op = op.op;
  write.ops = {op};
}

void TreeWorkload::choose_read(TreeRead& read) {
  const double dice = prng_.unit();
  read.op = dice < 0.5 ? OpCode::kGetData : dice < 0.7 ? OpCode::kExists : OpCode::kGetChildren;
  read.path = read.op == OpCode::kGetChildren ? (prng_.unit() < 0.5 ? "/a" : "/b") : random_path();
}

void TreeWorkload::issue(uint32_t client_index) {
  Client& client = clients_[client_index];
  ClientRequest& request = client.request;
  request = ClientRequest{};
  request.client = client_index;
  TreeOpRecord record;
  record.client = client_index;
  if (client.session == 0 || prng_.unit() < 0.6) {
    request.kind = ClientOpKind::kTreeWrite;
    choose_write(client_index, request.tree_write);
    request.request_id = request.tree_write.request_id;
    record.is_write = true;
    record.write = request.tree_write;
  } else {
    request.kind = ClientOpKind::kTreeRead;
    request.request_id = client.next_request_id++;
    choose_read(request.tree_read);
    request.tree_read.min_zxid = client.last_zxid_seen;
    record.read = request.tree_read;
  }
  record.call_us = env_.now_us();
  client.record = history_.size();
  history_.push_back(std::move(record));
  pacer_.send(client_index, client, request);
}

void TreeWorkload::on_reply(const ClientReply& reply) {
  Client& client = clients_[reply.client];
  if (!client.in_flight || reply.request_id != client.request.request_id) return;
  client.in_flight = false;
  TreeOpRecord& record = history_[client.record];
  record.return_us = env_.now_us();
  record.reply = reply;
  if (reply.status == ClientReplyStatus::kRejected) {
    record.outcome = TreeOpRecord::Outcome::kRejected;
    ++stats_.failed;
    pacer_.switch_node(client);
    think(reply.client);
    return;
  }
  record.outcome = TreeOpRecord::Outcome::kOk;
  ++stats_.ok;
  client.last_zxid_seen = std::max(client.last_zxid_seen, reply.zxid);
  if (record.is_write) {
    last_effective_write_us_ = env_.now_us();
    if (record.write.op == OpCode::kCreateSession) client.session = reply.created_session;
    if (record.write.op == OpCode::kCloseSession) client.session = 0;
    if (reply.tree_error == store::ErrorCode::kSessionExpired) client.session = 0;
  } else if (record.read.op == OpCode::kGetChildren) {
    for (const std::string& child : reply.tree_read.children) {
      if (child.rfind("s-", 0) == 0) client.known_sequential.insert(record.read.path + "/" + child);
    }
  }
  think(reply.client);
}

void TreeWorkload::on_timeout(uint32_t client_index, uint64_t op_sequence) {
  Client& client = clients_[client_index];
  if (!client.in_flight || op_sequence != client.op_sequence) return;
  client.in_flight = false;
  TreeOpRecord& record = history_[client.record];
  record.outcome = TreeOpRecord::Outcome::kUnknown;
  if (record.is_write) {
    ++stats_.unknown;
    // A session whose close may have happened is not used again.
    if (record.write.op == OpCode::kCloseSession) client.session = 0;
  } else {
    ++stats_.dropped_reads;
  }
  pacer_.switch_node(client);
  think(client_index);
}

std::vector<TreeOpRecord> TreeWorkload::finish() {
  for (Client& client : clients_) {
    if (!client.in_flight) continue;
    client.in_flight = false;
    history_[client.record].outcome = TreeOpRecord::Outcome::kUnknown;
    if (history_[client.record].is_write) ++stats_.unknown;
  }
  return std::move(history_);
}

}  // namespace warden::sim
