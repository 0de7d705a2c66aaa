// ClientSessions: requests answered from this node's state when their turn
// comes (FinalRequestProcessor's read cases): exists, getData, getChildren,
// getChildren2, getACL, getAllChildrenNumber, getEphemerals, multiRead,
// whoAmI, and the in-order bookkeeping requests (ping, setWatches, addWatch,
// removeWatches, checkWatches, reconfig). The reply header carries the
// state's last applied zxid, as ZooKeeper's does.
#include <algorithm>
#include <cctype>

#include "net/client_sessions.h"

namespace warden::net {

using store::ErrorCode;
using store::OpCode;

std::string ClientSessions::read_reply(Connection& c, int32_t xid, OpCode op,
                                       const RequestBody& body, const store::AuthContext& auth) {
  ErrorCode error = ErrorCode::kOk;
  const ResponseBody response = read_body(c, op, body, auth, error);
  const ReplyHeader header{xid, state_.last_applied_zxid(), error};
  if (error != ErrorCode::kOk) return encode_frame(header);  // no body, as ZooKeeper
  return encode_frame(header, response);
}

ResponseBody ClientSessions::read_body(Connection& c, OpCode op, const RequestBody& body,
                                       const store::AuthContext& auth, ErrorCode& error) {
  switch (op) {
    case OpCode::kExists:
    case OpCode::kGetData:
    case OpCode::kGetChildren:
    case OpCode::kGetChildren2:
      return watched_read(c, op, body, auth, error);
    case OpCode::kGetAcl: {
      const store::ReadResult read = state_.get_acl(std::get<GetAclRequest>(body).path, auth);
      error = read.error;
      return GetAclResponse{read.acl, read.stat};
    }
    case OpCode::kGetAllChildrenNumber:
      return all_children_number(std::get<GetAllChildrenNumberRequest>(body).path, auth, error);
    case OpCode::kGetEphemerals:
      return ephemerals(c, std::get<GetEphemeralsRequest>(body).prefix_path);
    case OpCode::kMultiRead:
      return multi_read(c, std::get<MultiRequest>(body), auth);
    case OpCode::kWhoAmI:
      return who_am_i(auth);
    case OpCode::kPing:
      return {};
    case OpCode::kSetWatches: {
      const SetWatches& v1 = std::get<SetWatches>(body);
      set_watches(
          c, SetWatches2{
                 v1.relative_zxid, v1.data_watches, v1.exist_watches, v1.child_watches, {}, {}});
      return {};
    }
    case OpCode::kSetWatches2:
      set_watches(c, std::get<SetWatches2>(body));
      return {};
    case OpCode::kAddWatch:
      error = add_watch(c, std::get<AddWatchRequest>(body));
      return ErrorResponse{ErrorCode::kOk};
    case OpCode::kRemoveWatches: {
      const RemoveWatchesRequest& request = std::get<RemoveWatchesRequest>(body);
      error = remove_watches(c, op, request.path, request.type);
      return {};
    }
    case OpCode::kCheckWatches: {
      const CheckWatchesRequest& request = std::get<CheckWatchesRequest>(body);
      error = remove_watches(c, op, request.path, request.type);
      return {};
    }
    case OpCode::kReconfig:
      host_.log(name(c) + ": reconfig refused: dynamic reconfiguration is disabled");
      error = ErrorCode::kReconfigDisabled;
      return {};
    default:
      error = ErrorCode::kUnimplemented;
      return {};
  }
}

// The reads that may leave a watch. exists leaves a data watch even on a
// missing node (that is how NodeCreated is heard of); getData and
// getChildren leave one only on a node they could read.
ResponseBody ClientSessions::watched_read(Connection& c, OpCode op, const RequestBody& body,
                                          const store::AuthContext& auth, ErrorCode& error) {
  if (op == OpCode::kExists) {
    const ExistsRequest& request = std::get<ExistsRequest>(body);
    if (request.path.find('\0') != std::string::npos) {
      error = ErrorCode::kBadArguments;
      return {};
    }
    const store::ReadResult read = state_.exists(request.path);
    error = read.error;
    if (request.watch && (error == ErrorCode::kOk || error == ErrorCode::kNoNode)) {
      watches_.add_data_watch(request.path, c.id);
    }
    return ExistsResponse{read.stat};
  }
  if (op == OpCode::kGetData) {
    const GetDataRequest& request = std::get<GetDataRequest>(body);
    const store::ReadResult read = state_.get_data(request.path, auth);
    error = read.error;
    if (request.watch && error == ErrorCode::kOk) watches_.add_data_watch(request.path, c.id);
    return GetDataResponse{read.data, read.stat};
  }
  const bool with_stat = op == OpCode::kGetChildren2;
  const std::string& path = with_stat ? std::get<GetChildren2Request>(body).path
                                      : std::get<GetChildrenRequest>(body).path;
  const bool watch = with_stat ? std::get<GetChildren2Request>(body).watch
                               : std::get<GetChildrenRequest>(body).watch;
  store::ReadResult read = state_.get_children(path, auth);
  error = read.error;
  if (watch && error == ErrorCode::kOk) watches_.add_child_watch(path, c.id);
  if (with_stat) return GetChildren2Response{std::move(read.children), read.stat};
  return GetChildrenResponse{std::move(read.children)};
}

// Each op answers on its own: one that fails does not fail the others.
MultiResponse ClientSessions::multi_read(Connection& c, const MultiRequest& multi,
                                         const store::AuthContext& auth) {
  MultiResponse response;
  for (const MultiOp& op : multi.ops) {
    store::ReadResult read;
    if (const auto* get_data = std::get_if<GetDataRequest>(&op.record)) {
      read = state_.get_data(get_data->path, auth);
      if (get_data->watch && read.error == ErrorCode::kOk) {
        watches_.add_data_watch(get_data->path, c.id);
      }
    } else if (const auto* get_children = std::get_if<GetChildrenRequest>(&op.record)) {
      read = state_.get_children(get_children->path, auth);
      if (get_children->watch && read.error == ErrorCode::kOk) {
        watches_.add_child_watch(get_children->path, c.id);
      }
    }
    add_read_result(response, op.type, read);
  }
  return response;
}

// Every node below `path`, at any depth (DataTree.getAllChildrenNumber).
ResponseBody ClientSessions::all_children_number(const std::string& path,
                                                 const store::AuthContext& auth,
                                                 ErrorCode& error) const {
  const store::Znode* node = state_.tree().find(path);
  if (node == nullptr) {
    error = ErrorCode::kNoNode;
    return {};
  }
  if (!store::acl_allows(node->acl(), store::perm::kRead, auth)) {
    error = ErrorCode::kNoAuth;
    return {};
  }
  if (path == "/") {
    return GetAllChildrenNumberResponse{static_cast<int32_t>(state_.tree().node_count() - 1)};
  }
  int32_t count = 0;
  std::vector<std::string> to_visit{path};
  while (!to_visit.empty()) {
    const std::string parent = std::move(to_visit.back());
    to_visit.pop_back();
    const store::Znode* at = state_.tree().find(parent);
    if (at == nullptr) continue;
    for (const std::string_view child : at->child_names()) {
      to_visit.push_back(parent + "/" + std::string(child));
      ++count;
    }
  }
  return GetAllChildrenNumberResponse{count};
}

// The session's ephemerals whose path starts with `prefix` (all of them for
// a blank prefix or "/"), as FinalRequestProcessor filters them.
ResponseBody ClientSessions::ephemerals(const Connection& c, const std::string& prefix) const {
  const bool blank = std::all_of(prefix.begin(), prefix.end(), [](char ch) {
    return std::isspace(static_cast<unsigned char>(ch));
  });
  const size_t first = prefix.find_first_not_of(" \t\r\n");
  const size_t last = prefix.find_last_not_of(" \t\r\n");
  const bool root = !blank && prefix.substr(first, last - first + 1) == "/";
  GetEphemeralsResponse response;
  for (const std::string& path : state_.tree().ephemerals_of(c.session)) {
    if (blank || root || path.starts_with(prefix)) response.ephemerals.push_back(path);
  }
  return response;
}

}  // namespace warden::net
