// ClientSessions: watches. Notifications for what apply changed, and the
// requests that set, re-arm, test and remove watches. A watch belongs to the
// connection that set it (WatcherId = ConnectionId), as in ZooKeeper, where
// the ServerCnxn is the Watcher.
#include "net/client_sessions.h"

namespace warden::net {

using store::ErrorCode;
using store::EventType;

void ClientSessions::fire_watches(const store::ApplyResult& result) {
  for (const store::WatchTrigger& trigger : result.triggers) {
    for (const store::WatchDelivery& delivery : watches_.trigger(trigger)) {
      send_event(delivery.watcher, delivery.event.type, delivery.event.path, result.zxid);
    }
  }
}

void ClientSessions::send_event(ConnectionId watcher, EventType type, const std::string& path,
                                int64_t zxid) {
  Connection* c = find(watcher);
  if (c == nullptr || c->phase != Phase::kBound) return;
  // ZooKeeper 3.8 puts -1 in the header's zxid and 3.9 the event's; 3.8
  // clients ignore it, so the event's is the more useful of the two.
  send_frame(*c, encode_frame(ReplyHeader{kNotificationXid, zxid, ErrorCode::kOk},
                              WatcherEvent{type, KeeperState::kSyncConnected, path}));
}

// DataTree.setWatches: a reconnecting client re-arms the watches it held.
// What changed since `relative_zxid` (the last zxid it saw) fires at once
// instead, so that nothing is missed across the reconnect.
void ClientSessions::set_watches(Connection& c, const SetWatches2& w) {
  const int64_t zxid = state_.last_applied_zxid();
  for (const std::string& path : w.data_watches) {
    const store::Znode* node = state_.tree().find(path);
    if (node == nullptr) {
      send_event(c.id, EventType::kNodeDeleted, path, zxid);
    } else if (node->stat.mzxid > w.relative_zxid) {
      send_event(c.id, EventType::kNodeDataChanged, path, zxid);
    } else {
      watches_.add_data_watch(path, c.id);
    }
  }
  for (const std::string& path : w.exist_watches) {
    if (state_.tree().find(path) != nullptr) {
      send_event(c.id, EventType::kNodeCreated, path, zxid);
    } else {
      watches_.add_data_watch(path, c.id);
    }
  }
  for (const std::string& path : w.child_watches) {
    const store::Znode* node = state_.tree().find(path);
    if (node == nullptr) {
      send_event(c.id, EventType::kNodeDeleted, path, zxid);
    } else if (node->stat.pzxid > w.relative_zxid) {
      send_event(c.id, EventType::kNodeChildrenChanged, path, zxid);
    } else {
      watches_.add_child_watch(path, c.id);
    }
  }
  for (const std::string& path : w.persistent_watches) {
    watches_.add_persistent_watch(path, c.id, store::AddWatchMode::kPersistent);
  }
  for (const std::string& path : w.persistent_recursive_watches) {
    watches_.add_persistent_watch(path, c.id, store::AddWatchMode::kPersistentRecursive);
  }
}

ErrorCode ClientSessions::add_watch(Connection& c, const AddWatchRequest& request) {
  if (request.mode != store::AddWatchMode::kPersistent &&
      request.mode != store::AddWatchMode::kPersistentRecursive) {
    return ErrorCode::kMarshallingError;  // ZooKeeper: "Unsupported mode", a marshalling error
  }
  watches_.add_persistent_watch(request.path, c.id, request.mode);
  return ErrorCode::kOk;
}

// removeWatches removes, checkWatches only asks; both answer NOWATCHER when
// the connection holds no watch of that type on the path.
ErrorCode ClientSessions::remove_watches(Connection& c, store::OpCode op, const std::string& path,
                                         store::WatcherType type) {
  const int32_t code = static_cast<int32_t>(type);
  if (code < static_cast<int32_t>(store::WatcherType::kChildren) ||
      code > static_cast<int32_t>(store::WatcherType::kPersistentRecursive)) {
    return ErrorCode::kMarshallingError;  // WatcherType.fromInt throws
  }
  const bool found = op == store::OpCode::kCheckWatches ? watches_.has(path, type, c.id)
                                                        : watches_.remove(path, type, c.id);
  return found ? ErrorCode::kOk : ErrorCode::kNoWatcher;
}

}  // namespace warden::net
