// The ZooKeeper data tree: znodes by path, each with its data, ACL, Stat and
// child names, plus the indexes the rest of the store needs (each session's
// ephemerals, the containers and TTL nodes the leader sweeps).
//
// Stat rules, as ZooKeeper 3.8 keeps them:
//   create:   the node gets czxid = mzxid = pzxid = zxid, ctime = mtime =
//             time, versions 0; its parent takes cversion = the txn's parent
//             cversion (one more than before) and pzxid = zxid.
//   delete:   the parent's pzxid becomes zxid (if larger); its cversion stays
//             (ZooKeeper counts creates only, which is what keeps sequential
//             suffixes unique).
//   setData:  version = the txn's new version, mzxid = zxid, mtime = time.
//   setACL:   aversion = the txn's new aversion.
//   numChildren and dataLength always describe the node as it is.
// Mutations assume the txn was checked by TxnPreparer; if one does not fit
// the tree (a bug upstream), it changes nothing and returns the error, and
// ZooState counts it as an inconsistency.
//
// Every mutation reports the watch triggers it causes and keeps an
// incrementally updated hash of the whole tree, so replicas can be compared
// in O(1) at equal zxids. Owned by ZooState; single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/acl.h"
#include "store/error_code.h"
#include "store/stat.h"

namespace warden::store {

// ZooKeeper's Watcher.Event.EventType values.
enum class EventType : int32_t {
  kNone = -1,
  kNodeCreated = 1,
  kNodeDeleted = 2,
  kNodeDataChanged = 3,
  kNodeChildrenChanged = 4,
};

struct WatchTrigger {
  EventType type = EventType::kNone;
  std::string path;
  bool operator==(const WatchTrigger&) const = default;
};

struct Znode {
  Stat stat;
  std::string data;
  AclList acl;
  std::set<std::string> children;  // names, not paths; sorted for determinism
};

class DataTree {
 public:
  // A tree holding "/", "/zookeeper", "/zookeeper/quota" and
  // "/zookeeper/config" (read-only to everyone), as ZooKeeper starts.
  DataTree();

  const Znode* find(std::string_view path) const;
  size_t node_count() const { return nodes_.size(); }
  // Bytes of paths and data, the figure ZooKeeper reports as approximate size.
  uint64_t approximate_data_bytes() const { return data_bytes_; }

  ErrorCode create_node(const std::string& path, std::string data, AclList acl,
                        int64_t ephemeral_owner, int32_t parent_cversion, int64_t zxid,
                        int64_t time_ms, std::vector<WatchTrigger>& triggers);
  ErrorCode delete_node(const std::string& path, int64_t zxid, std::vector<WatchTrigger>& triggers);
  ErrorCode set_data(const std::string& path, std::string data, int32_t new_version, int64_t zxid,
                     int64_t time_ms, std::vector<WatchTrigger>& triggers);
  ErrorCode set_acl(const std::string& path, AclList acl, int32_t new_aversion);

  // Paths of the ephemerals `session` owns (empty set if none), sorted.
  const std::set<std::string>& ephemerals_of(SessionId session) const;
  const std::map<SessionId, std::set<std::string>>& ephemerals() const { return ephemerals_; }
  const std::set<std::string>& containers() const { return containers_; }
  const std::set<std::string>& ttl_nodes() const { return ttl_nodes_; }

  uint64_t state_hash() const { return state_hash_; }

  // Called with the path of every node whose record changed (created,
  // changed, deleted), so a durable store can write just those. Optional.
  void set_change_listener(std::function<void(const std::string& path)> listener) {
    change_listener_ = std::move(listener);
  }

  // Every node, parents before children, children in name order.
  void for_each_node(const std::function<void(const std::string& path, const Znode&)>& visit) const;
  // Inserts a node read back from a snapshot or a durable store. The parent
  // must be there already; child lists and indexes are rebuilt as it goes.
  // False if the node makes no sense here.
  bool restore_node(const std::string& path, Znode node);
  // Back to the initial tree.
  void clear();

 private:
  uint64_t node_hash(const std::string& path, const Znode& node) const;
  Znode* find_mutable(std::string_view path);
  // Bracket every change to a node: the hash and the listener follow it.
  void before_change(const std::string& path, const Znode& node);
  void after_change(const std::string& path, const Znode& node);
  void index_node(const std::string& path, const Znode& node);
  void unindex_node(const std::string& path, const Znode& node);
  void add_system_nodes();

  std::unordered_map<std::string, Znode> nodes_;
  std::map<SessionId, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttl_nodes_;
  uint64_t state_hash_ = 0;
  uint64_t data_bytes_ = 0;
  std::function<void(const std::string&)> change_listener_;
};

}  // namespace warden::store
