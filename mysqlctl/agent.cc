#include "mysqlctl/agent.h"

#include <cassert>

#include "store/acl.h"

namespace warden::mysqlctl {
namespace {

namespace asio = boost::asio;
using store::ErrorCode;
using store::OpCode;

NsError ns_error(ErrorCode error) {
  switch (error) {
    case ErrorCode::kOk:
      return NsError::kOk;
    case ErrorCode::kNoNode:
      return NsError::kNoNode;
    case ErrorCode::kNodeExists:
      return NsError::kNodeExists;
    case ErrorCode::kBadVersion:
      return NsError::kBadVersion;
    case ErrorCode::kNotEmpty:
      return NsError::kNotEmpty;
    case ErrorCode::kSessionExpired:
      return NsError::kSessionExpired;
    case ErrorCode::kConnectionLoss:
      return NsError::kConnectionLoss;
    default:
      return NsError::kOther;
  }
}

std::pair<OpCode, net::RequestBody> zk_request(const NsRequest& request) {
  switch (request.op) {
    case NsOp::kCreate: {
      net::CreateRequest create;
      create.path = request.path;
      create.data = request.data;
      create.acl = store::open_acl();
      create.mode =
          request.ephemeral ? store::CreateMode::kEphemeral : store::CreateMode::kPersistent;
      return {OpCode::kCreate, std::move(create)};
    }
    case NsOp::kSetData:
      return {OpCode::kSetData, net::SetDataRequest{request.path, request.data, request.version}};
    case NsOp::kDelete:
      return {OpCode::kDelete, net::DeleteRequest{request.path, request.version}};
    case NsOp::kSync:
      return {OpCode::kSync, net::SyncRequest{request.path}};
    case NsOp::kGetChildren:
      return {OpCode::kGetChildren, net::GetChildrenRequest{request.path, false}};
    case NsOp::kGetData:
      return {OpCode::kGetData, net::GetDataRequest{request.path, false}};
    case NsOp::kExists:
      return {OpCode::kExists, net::ExistsRequest{request.path, false}};
  }
  assert(false);
  return {OpCode::kSync, net::SyncRequest{request.path}};
}

NsReply ns_reply(NsOp op, const net::Reply& reply) {
  NsReply answer;
  answer.error = ns_error(reply.header.err);
  if (answer.error != NsError::kOk) return answer;
  if (op == NsOp::kGetData) {
    const auto& data = std::get<net::GetDataResponse>(reply.body);
    answer.data = data.data;
    answer.version = data.stat.version;
    answer.mtime_ms = data.stat.mtime_ms;
  } else if (op == NsOp::kExists) {
    const auto& exists = std::get<net::ExistsResponse>(reply.body);
    answer.version = exists.stat.version;
    answer.mtime_ms = exists.stat.mtime_ms;
  } else if (op == NsOp::kGetChildren) {
    answer.children = std::get<net::GetChildrenResponse>(reply.body).children;
  }
  return answer;
}

}  // namespace

std::shared_ptr<Agent> Agent::create(asio::io_context& io, AgentOptions options) {
  return std::shared_ptr<Agent>(new Agent(io, std::move(options)));
}

Agent::Agent(asio::io_context& io, AgentOptions options)
    : io_(io),
      options_(std::move(options)),
      epoch_(Clock::now()),
      loop_(AgentLoopOptions{.settings = options_.settings,
                             .server = options_.server,
                             .priority = options_.priority,
                             .probe_interval_ms = options_.probe_interval_ms,
                             .distort_input = {}},
            *this) {
  assert(options_.mysql != nullptr);
}

Agent::~Agent() {
  probe_thread_.join();
  action_thread_.join();
}

void Agent::start() {
  loop_.start();
}

void Agent::stop(std::function<void()> done) {
  stopping_ = true;
  loop_.stop();
  if (client_ && !client_->ended()) {
    client_->close(std::move(done));
  } else {
    asio::post(io_, std::move(done));
  }
}

uint64_t Agent::now_ms() const {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - epoch_).count());
}

int64_t Agent::wall_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Agent::after_ms(uint64_t delay_ms, const char* /*label*/, std::function<void()> task) {
  if (stopping_) return;
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(std::chrono::milliseconds(delay_ms));
  timer->async_wait([self = shared_from_this(), timer,
                     task = std::move(task)](const boost::system::error_code& error) {
    if (!error && !self->stopping_) task();
  });
}

void Agent::connect(std::function<void(std::optional<uint64_t>)> done) {
  if (stopping_) return;
  net::ZkClientOptions zk;
  zk.hosts = options_.warden;
  zk.session_timeout_ms = options_.session_timeout_ms;
  std::weak_ptr<Agent> weak = weak_from_this();
  zk.on_session_lost = [weak](ErrorCode error) {
    auto self = weak.lock();
    if (!self || self->stopping_) return;
    self->log("session lost (error " + std::to_string(static_cast<int32_t>(error)) + ")");
    // Not from inside the client's handler: the loop replaces the client.
    asio::post(self->io_, [self] { self->loop_.on_session_lost(); });
  };
  client_ = net::ZkClient::create(io_, std::move(zk));
  client_->connect(
      [self = shared_from_this(), client = client_, done = std::move(done)](ErrorCode error) {
        if (self->stopping_ || client != self->client_) return;
        if (error != ErrorCode::kOk) {
          self->log("cannot open a session on the local node (" + client->last_error() + ")");
          return done(std::nullopt);
        }
        done(static_cast<uint64_t>(client->session_id()));
      });
}

void Agent::submit(NsRequest request, std::function<void(const NsReply&)> done) {
  const bool other_session =
      request.session != 0 &&
      (!client_ || static_cast<uint64_t>(client_->session_id()) != request.session);
  if (!client_ || other_session) {
    asio::post(io_, [done = std::move(done)] { done(ns_failure(NsError::kSessionExpired)); });
    return;
  }
  auto [op, body] = zk_request(request);
  client_->submit(op, std::move(body),
                  [self = shared_from_this(), kind = request.op,
                   done = std::move(done)](const net::Reply& reply) {
                    if (!self->stopping_) done(ns_reply(kind, reply));
                  });
}

void Agent::probe(const ProbeTarget& server, std::function<void(const ProbeResult&)> done) {
  asio::post(probe_thread_, [self = shared_from_this(), server, done = std::move(done)] {
    ProbeResult result = self->options_.mysql->probe(server);
    asio::post(self->io_, [self, result = std::move(result), done] {
      if (!self->stopping_) done(result);
    });
  });
}

void Agent::act(MysqlAction action, const ProbeTarget& target,
                const std::optional<ProbeTarget>& source,
                std::function<void(const Result<std::string>&)> done) {
  std::shared_ptr<MysqlOperator> mysql = options_.mysql;
  asio::post(action_thread_,
             [self = shared_from_this(), mysql, action, target, source, done = std::move(done)] {
               Result<std::string> result = Result<std::string>::failure("no such action");
               switch (action) {
                 case MysqlAction::kFence:
                   result = mysql->fence(target);
                   break;
                 case MysqlAction::kMakeWritable:
                   result = mysql->make_writable(target);
                   break;
                 case MysqlAction::kPromote:
                   result = mysql->promote(target);
                   break;
                 case MysqlAction::kRepoint:
                   assert(source);
                   result = mysql->repoint(target, *source);
                   break;
                 case MysqlAction::kWaitRelayLogApplied:
                   result = mysql->wait_relay_log_applied(target);
                   break;
                 case MysqlAction::kResumeReplication:
                   result = mysql->resume_replication(target);
                   break;
                 case MysqlAction::kStopReceiving:
                   result = mysql->stop_receiving(target);
                   break;
               }
               asio::post(self->io_, [self, result = std::move(result), done] {
                 if (!self->stopping_) done(result);
               });
             });
}

void Agent::log(const std::string& line) {
  if (options_.log) options_.log("mysql agent: " + line);
}

}  // namespace warden::mysqlctl
