// ClientSessions: requests after the handshake, and their answers in order.
// Writes go to the pipeline at once (so they pipeline through the log) and
// their replies wait until everything before them is answered; reads are
// answered at once when nothing waits before them, else when they reach the
// head, so that they see the writes sent before them (ZooKeeper's
// CommitProcessor keeps the same per-session order).
#include "net/client_sessions.h"

#include <algorithm>

namespace warden::net {

using store::ErrorCode;
using store::OpCode;

namespace {

bool is_write(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
    case OpCode::kCreateTtl:
    case OpCode::kDelete:
    case OpCode::kSetData:
    case OpCode::kSetAcl:
    case OpCode::kCheck:
    case OpCode::kMulti:
    case OpCode::kCloseSession:
      return true;
    default:
      return false;
  }
}

std::string type_text(OpCode type) {
  return std::to_string(static_cast<int32_t>(type));
}

// One write op from its wire record. Records that are not writes (a read
// inside a multi) keep only their path; prep refuses them (BADARGUMENTS).
store::WriteOp write_op(OpCode type, const std::string& path) {
  store::WriteOp op;
  op.op = type;
  op.path = path;
  return op;
}
store::WriteOp write_op(OpCode type, const CreateRequest& r) {
  store::WriteOp op = write_op(type, r.path);
  op.data = r.data;
  op.acl = r.acl;
  op.mode = r.mode;
  return op;
}
store::WriteOp write_op(OpCode type, const CreateTtlRequest& r) {
  store::WriteOp op = write_op(type, r.path);
  op.data = r.data;
  op.acl = r.acl;
  op.mode = r.mode;
  op.ttl_ms = r.ttl_ms;
  return op;
}
store::WriteOp write_op(OpCode type, const DeleteRequest& r) {
  store::WriteOp op = write_op(type, r.path);
  op.version = r.version;
  return op;
}
store::WriteOp write_op(OpCode type, const SetDataRequest& r) {
  store::WriteOp op = write_op(type, r.path);
  op.data = r.data;
  op.version = r.version;
  return op;
}
store::WriteOp write_op(OpCode type, const SetAclRequest& r) {
  store::WriteOp op = write_op(type, r.path);
  op.acl = r.acl;
  op.version = r.version;
  return op;
}
store::WriteOp write_op(OpCode type, const CheckVersionRequest& r) {
  store::WriteOp op = write_op(type, r.path);
  op.version = r.version;
  return op;
}
store::WriteOp write_op(OpCode type, const GetDataRequest& r) {
  return write_op(type, r.path);
}
store::WriteOp write_op(OpCode type, const GetChildrenRequest& r) {
  return write_op(type, r.path);
}

// The ops of a write request (none for closeSession).
std::vector<store::WriteOp> write_ops(OpCode type, const RequestBody& body) {
  std::vector<store::WriteOp> ops;
  if (const auto* multi = std::get_if<MultiRequest>(&body)) {
    for (const MultiOp& op : multi->ops) {
      std::visit([&](const auto& record) { ops.push_back(write_op(op.type, record)); }, op.record);
    }
    return ops;
  }
  std::visit(
      [&](const auto& record) {
        if constexpr (requires { write_op(type, record); }) ops.push_back(write_op(type, record));
      },
      body);
  return ops;
}

}  // namespace

void ClientSessions::handle_request(Connection& c, std::string_view payload) {
  const Decoded<RequestHeader> header = decode<RequestHeader>(payload);
  if (!header) {
    close_connection(c, CloseReason::kMalformedRequest, "request header: " + header.error());
    return;
  }
  touch(c);
  const OpCode type = header->type;
  if (!request_body_alternative(type)) {
    // ZooKeeper's UnimplementedRequestProcessor: answer, then hang up.
    send_frame(c, encode_frame(ReplyHeader{header->xid, -1, ErrorCode::kUnimplemented}));
    close_connection(c, CloseReason::kUnknownRequestType, type_text(type));
    return;
  }
  Decoded<RequestBody> body = decode_request_body(type, payload.substr(kRequestHeaderSize));
  if (!body) {
    close_connection(c, CloseReason::kMalformedRequest, type_text(type) + ": " + body.error());
    return;
  }
  if (type == OpCode::kAuth) {
    // Out of band, as in ZooKeeper's processPacket: the client matches the
    // reply by its xid, and requests after it carry the new identity.
    handle_auth(c, header->xid, std::get<AuthPacket>(*body));
  } else if (is_write(type)) {
    submit(c, *header, std::move(*body));
  } else if (type == OpCode::kSync) {
    queue_sync(c, *header, std::move(*body));
  } else {
    queue_read(c, *header, std::move(*body));
  }
}

void ClientSessions::submit(Connection& c, const RequestHeader& header, RequestBody body) {
  Pending& pending = c.queue.emplace_back();
  pending.received_ms = host_.now_ms();
  pending.kind = Pending::Kind::kWrite;
  pending.xid = header.xid;
  pending.op = header.type;
  store::WriteRequest& write = pending.write;
  write.session = c.session;
  write.request_id = next_request_id(c.session);
  write.op = header.type;
  write.ops = write_ops(header.type, body);
  write.auth = c.auth;
  waiting_writes_[{c.session, write.request_id}] = c.id;
  host_.submit_write(write);
}

void ClientSessions::queue_read(Connection& c, const RequestHeader& header, RequestBody body) {
  if (c.queue.empty()) {
    send_frame(c, read_reply(c, header.xid, header.type, body, c.auth));
    answered(c, header.type, header.xid, state_.last_applied_zxid(), host_.now_ms());
    return;
  }
  Pending& pending = c.queue.emplace_back();
  pending.received_ms = host_.now_ms();
  pending.kind = Pending::Kind::kRead;
  pending.xid = header.xid;
  pending.op = header.type;
  pending.body = std::move(body);
  pending.auth = c.auth;  // a later addauth must not change who asked
}

void ClientSessions::queue_sync(Connection& c, const RequestHeader& header, RequestBody body) {
  Pending& pending = c.queue.emplace_back();
  pending.received_ms = host_.now_ms();
  pending.kind = Pending::Kind::kSync;
  pending.xid = header.xid;
  pending.op = header.type;
  pending.body = std::move(body);
  pending.sync_context = next_sync_context_++;
  waiting_syncs_[pending.sync_context] = c.id;
  host_.sync(pending.sync_context);
}

// Answers from the head of the queue while the head can be answered.
void ClientSessions::drain(Connection& c) {
  while (c.phase == Phase::kBound && !c.queue.empty()) {
    Pending& head = c.queue.front();
    if (head.kind == Pending::Kind::kWrite) {
      if (!head.applied) return;
      const Pending write = std::move(head);
      c.queue.pop_front();
      answered(c, write.op, write.xid, write.applied->zxid, write.received_ms);
      answer_write(c, write);
      continue;
    }
    if (head.kind == Pending::Kind::kSync) {
      if (!head.synced) return;
      const ReplyHeader reply{head.xid, state_.last_applied_zxid(), ErrorCode::kOk};
      send_frame(c, encode_frame(reply, SyncResponse{std::get<SyncRequest>(head.body).path}));
      answered(c, head.op, head.xid, reply.zxid, head.received_ms);
      c.queue.pop_front();
      continue;
    }
    send_frame(c, read_reply(c, head.xid, head.op, head.body, head.auth));
    answered(c, head.op, head.xid, state_.last_applied_zxid(), head.received_ms);
    c.queue.pop_front();
  }
}

// FinalRequestProcessor's answer to an applied write: a failed single op
// has the error in the header and no body; a multi always answers OK with
// the outcome per op.
void ClientSessions::answer_write(Connection& c, const Pending& write) {
  const store::ApplyResult& applied = *write.applied;
  ReplyHeader header{write.xid, applied.zxid, ErrorCode::kOk};
  static const store::OpResult kNone;
  const store::OpResult& op = applied.results.empty() ? kNone : applied.results.front();
  if (write.op == OpCode::kMulti && !applied.results.empty()) {
    send_frame(c, encode_frame(header, multi_response(applied)));
  } else if (applied.error != ErrorCode::kOk) {
    header.err = applied.error;
    send_frame(c, encode_frame(header));
  } else if (write.op == OpCode::kCreate) {
    send_frame(c, encode_frame(header, CreateResponse{op.path}));
  } else if (write.op == OpCode::kCreate2 || write.op == OpCode::kCreateContainer ||
             write.op == OpCode::kCreateTtl) {
    send_frame(c, encode_frame(header, Create2Response{op.path, op.stat}));
  } else if (write.op == OpCode::kSetData || write.op == OpCode::kCheck) {
    send_frame(c, encode_frame(header, SetDataResponse{op.stat}));
  } else if (write.op == OpCode::kSetAcl) {
    send_frame(c, encode_frame(header, SetAclResponse{op.stat}));
  } else {
    send_frame(c, encode_frame(header));  // delete, closeSession
  }
  if (write.op == OpCode::kCloseSession)
    close_connection(c, CloseReason::kSessionClosed, "by its client");
}

ClientSessions::Connection* ClientSessions::waiting_for(store::SessionId session,
                                                        uint64_t request_id, Pending** pending) {
  const auto waiting = waiting_writes_.find({session, request_id});
  if (waiting == waiting_writes_.end()) return nullptr;
  Connection* c = find(waiting->second);
  if (c == nullptr) return nullptr;
  for (Pending& p : c->queue) {
    if (p.kind == Pending::Kind::kWrite && p.write.request_id == request_id && !p.applied) {
      *pending = &p;
      return c;
    }
  }
  return nullptr;
}

void ClientSessions::answer_applied(const store::ApplyResult& result) {
  Pending* pending = nullptr;
  Connection* c = waiting_for(result.session, result.request_id, &pending);
  if (c == nullptr) return;  // another node's client, or one that left
  waiting_writes_.erase({result.session, result.request_id});
  pending->applied = result;
  drain(*c);
}

// Apply dropped a request of ours as a repeat: its id was not above the
// session's last applied one (another node's ids ran ahead), so it never
// took effect. It goes again under a fresh id and keeps its place in line.
void ClientSessions::resubmit_duplicate(const store::ApplyResult& result) {
  Pending* pending = nullptr;
  Connection* c = waiting_for(result.session, result.request_id, &pending);
  if (c == nullptr) return;
  waiting_writes_.erase({result.session, result.request_id});
  pending->write.request_id = next_request_id(result.session);
  waiting_writes_[{result.session, pending->write.request_id}] = c->id;
  host_.log(name(*c) + ": request " + std::to_string(result.request_id) +
            " was dropped as a repeat; resubmitted as " +
            std::to_string(pending->write.request_id));
  host_.submit_write(pending->write);
}

// A closeSession applied (the client's own or the leader's on expiry): a
// connection still bound to that session ends. A client's own close is
// answered first, by drain(), unless a reply ahead of it still waits.
void ClientSessions::close_closed_session(const store::ApplyResult& result) {
  if (result.request_op != OpCode::kCloseSession || state_.session(result.session) != nullptr) {
    return;
  }
  const auto bound = by_session_.find(result.session);
  if (bound == by_session_.end()) return;
  Connection* c = find(bound->second);
  if (c == nullptr) return;
  for (const Pending& p : c->queue) {
    if (p.kind == Pending::Kind::kWrite && p.op == OpCode::kCloseSession &&
        p.write.request_id == result.request_id) {
      return;
    }
  }
  close_connection(*c, CloseReason::kSessionClosed, "");
}

void ClientSessions::on_applied(const store::ApplyResult& result) {
  if (result.duplicate) {
    resubmit_duplicate(result);
  } else {
    // Notifications first: a client must hear of a change before any reply
    // that shows it.
    fire_watches(result);
    if (result.request_op == OpCode::kCreateSession && result.session == 0) {
      session_created(result);
    } else {
      answer_applied(result);
    }
    close_closed_session(result);
  }
  reap_closed();
}

void ClientSessions::on_sync_done(uint64_t context, bool ok) {
  const auto waiting = waiting_syncs_.find(context);
  if (waiting == waiting_syncs_.end()) return;
  Connection* c = find(waiting->second);
  waiting_syncs_.erase(waiting);
  if (c == nullptr) return;
  if (!ok) {
    // No leader confirmed the read index: like a ZooKeeper follower that
    // lost its leader, hang up so the client reconnects elsewhere.
    close_connection(*c, CloseReason::kNoLeader, "sync could not be confirmed by a leader");
  } else {
    for (Pending& p : c->queue) {
      if (p.kind == Pending::Kind::kSync && p.sync_context == context) p.synced = true;
    }
    drain(*c);
  }
  reap_closed();
}

// The pipeline will never log this request (no leader, or it is full). A
// ZooKeeper follower without a leader drops its clients; so does this node,
// and the client retries elsewhere.
void ClientSessions::on_rejected(const store::RequestKey& key) {
  const auto waiting = waiting_writes_.find({key.session, key.request_id});
  if (waiting == waiting_writes_.end()) return;
  Connection* c = find(waiting->second);
  waiting_writes_.erase(waiting);
  if (c != nullptr) {
    close_connection(*c, CloseReason::kNoLeader,
                     key.session == 0 ? "could not create a session: no leader or busy"
                                      : "write not taken: no leader or busy");
  }
  reap_closed();
}

void ClientSessions::on_leader_lost() {
  for (auto& [id, c] : connections_) {
    if (c.phase == Phase::kCreatingSession) {
      close_connection(c, CloseReason::kNoLeader, "the leader was lost while creating a session");
      continue;
    }
    const bool waiting = std::any_of(c.queue.begin(), c.queue.end(), [](const Pending& p) {
      return (p.kind == Pending::Kind::kWrite && !p.applied) ||
             (p.kind == Pending::Kind::kSync && !p.synced);
    });
    if (waiting)
      close_connection(c, CloseReason::kNoLeader, "the leader was lost with requests in flight");
  }
  reap_closed();
}

void ClientSessions::on_write_failed(const store::RequestKey& key, store::ErrorCode error) {
  if (key.session == 0) return on_rejected(key);  // no session yet: nothing to answer in
  Pending* pending = nullptr;
  Connection* c = waiting_for(key.session, key.request_id, &pending);
  if (c == nullptr) return;
  waiting_writes_.erase({key.session, key.request_id});
  store::ApplyResult failed;
  failed.session = key.session;
  failed.request_id = key.request_id;
  failed.request_op = pending->op;
  failed.zxid = state_.last_applied_zxid();
  failed.error = error;
  pending->applied = failed;
  drain(*c);
}

}  // namespace warden::net
