// The ZooKeeper data tree: znodes by path, each with its data, ACL, Stat and
// children, plus the indexes the rest of the store needs (each session's
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
//
// Memory is what bounds the tree's size, so a znode is kept compact (128
// bytes beyond its path and data): one piece of the tree's ZnodePool holds its
// Stat, its links, its path and its data; the path index is a hash table chained
// through the nodes themselves; children are a list linked through the child
// nodes, unordered, and sorted by name only when read (child_names,
// for_each_node); equal ACL lists are stored once and shared by reference
// count, as in ZooKeeper's ReferenceCountedACLCache. A setData that outgrows
// the allocation (or leaves most of it unused) moves the node, so a Znode*
// stays valid only until the tree next changes, as do the views it hands out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/acl.h"
#include "store/error_code.h"
#include "store/stat.h"
#include "store/znode_pool.h"

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

// A znode as a value: what a snapshot or a durable store keeps of it, and
// what restore_node takes back.
struct ZnodeRecord {
  Stat stat;
  std::string data;
  AclList acl;
};

// A znode in the tree. Only DataTree makes, changes and frees them; its path
// and then its data are stored right after the object, in the same
// allocation.
class Znode {
 public:
  Znode(const Znode&) = delete;
  Znode& operator=(const Znode&) = delete;

  Stat stat;

  std::string_view path() const { return {chars(), path_size_}; }
  std::string_view data() const { return {chars() + path_size_, data_size_}; }
  const AclList& acl() const { return acl_->first; }
  // The last element of the path ("b" for "/a/b", "" for "/").
  std::string_view name() const { return path().substr(path().rfind('/') + 1); }
  // Children's names, sorted (ZooKeeper's getChildren order).
  std::vector<std::string_view> child_names() const;

 private:
  friend class DataTree;
  // An interned ACL list and how many znodes hold it.
  using SharedAcl = std::pair<const AclList, uint64_t>;

  Znode() = default;
  ~Znode() = default;
  const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
  char* chars() { return reinterpret_cast<char*>(this + 1); }

  SharedAcl* acl_ = nullptr;
  Znode* hash_next_ = nullptr;  // the next node in this one's hash bucket
  Znode* first_child_ = nullptr;
  Znode* next_sibling_ = nullptr;
  Znode* prev_sibling_ = nullptr;
  uint32_t hash_ = 0;  // of the path; picks the bucket and skips most compares
  uint32_t path_size_ = 0;
  uint32_t data_size_ = 0;
  uint32_t data_capacity_ = 0;  // bytes allocated after the path
};

class DataTree {
 public:
  // A tree holding "/", "/zookeeper", "/zookeeper/quota" and
  // "/zookeeper/config" (read-only to everyone), as ZooKeeper starts.
  DataTree();
  ~DataTree();
  // Movable (ZooState::restore swaps in a rebuilt state); copying a tree of
  // linked nodes is never needed.
  DataTree(DataTree&& other) noexcept;
  DataTree& operator=(DataTree&& other) noexcept;
  DataTree(const DataTree&) = delete;
  DataTree& operator=(const DataTree&) = delete;

  const Znode* find(std::string_view path) const;
  size_t node_count() const { return node_count_; }
  // Bytes of paths and data, the figure ZooKeeper reports as approximate size.
  uint64_t approximate_data_bytes() const { return data_bytes_; }

  ErrorCode create_node(const std::string& path, std::string_view data, const AclList& acl,
                        int64_t ephemeral_owner, int32_t parent_cversion, int64_t zxid,
                        int64_t time_ms, std::vector<WatchTrigger>& triggers);
  ErrorCode delete_node(const std::string& path, int64_t zxid, std::vector<WatchTrigger>& triggers);
  ErrorCode set_data(const std::string& path, std::string_view data, int32_t new_version,
                     int64_t zxid, int64_t time_ms, std::vector<WatchTrigger>& triggers);
  ErrorCode set_acl(const std::string& path, const AclList& acl, int32_t new_aversion);

  // Paths of the ephemerals `session` owns (empty set if none), sorted.
  const std::set<std::string>& ephemerals_of(SessionId session) const;
  const std::map<SessionId, std::set<std::string>>& ephemerals() const { return ephemerals_; }
  const std::set<std::string>& containers() const { return containers_; }
  const std::set<std::string>& ttl_nodes() const { return ttl_nodes_; }

  uint64_t state_hash() const { return state_hash_; }

  // Called with the path of every node whose record changed (created,
  // changed, deleted), so a durable store can write just those, and about
  // how many bytes its record holds now (path and data; 0 once deleted).
  // Optional. The view is valid only during the call.
  using ChangeListener = std::function<void(std::string_view path, size_t record_bytes)>;
  void set_change_listener(ChangeListener listener) { change_listener_ = std::move(listener); }

  // Every node, parents before children, children in name order.
  void for_each_node(const std::function<void(const std::string& path, const Znode&)>& visit) const;
  // Inserts a node read back from a snapshot or a durable store. The parent
  // must be there already; child lists and indexes are rebuilt as it goes.
  // False if the node makes no sense here.
  bool restore_node(const std::string& path, ZnodeRecord node);
  // Back to the initial tree.
  void clear();
  // Room in the path index for `nodes` nodes (an estimate is fine), so that
  // a load of about known size does not rehash the index as it grows.
  void reserve(size_t nodes);

  // Rebuilds a tree from nodes in ascending path order (bytewise), the order
  // a durable store keeps them in, which puts every parent before its
  // children. Each add() is restore_node() with the same checks and result,
  // done cheaper for a large tree: a path above every earlier one cannot be
  // there already unless it is a system node, so it is not looked up; and
  // consecutive children of one parent look it up once and update its share
  // of the state hash once, when the next parent comes or the Loader goes.
  // A path out of order takes restore_node's way. While a Loader lives,
  // change the tree only through it.
  class Loader {
   public:
    // Clears `tree` and makes room for about `expected_nodes`.
    Loader(DataTree& tree, size_t expected_nodes);
    ~Loader();
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    bool add(std::string_view path, const ZnodeRecord& node);

   private:
    // The parent of `path` (null if absent), held until a child has another.
    Znode* parent_of(std::string_view path);
    // Puts the held parent's share back into the state hash.
    void settle_parent();

    DataTree& tree_;
    std::string last_path_;    // the highest path added the cheap way
    Znode* parent_ = nullptr;  // its share of the state hash is out until settled
  };

 private:
  static uint32_t path_hash(std::string_view path);
  uint64_t node_hash(const Znode& node) const;
  Znode* find_mutable(std::string_view path);
  Znode* lookup(std::string_view path, uint32_t hash) const;
  // An unlinked node holding `path` and room for `data_size` bytes of data.
  Znode* allocate_node(std::string_view path, size_t data_size);
  void free_node(Znode* node);
  static size_t allocation_bytes(const Znode& node);
  // A new node at `path` (which must be absent) under `parent` (null only for
  // "/"), with an empty Stat, the given data and ACL.
  Znode* insert_node(std::string_view path, uint32_t hash, Znode* parent, std::string_view data,
                     const AclList& acl);
  // A restored node under `parent` (whose child count the caller keeps),
  // with the record's Stat, data and ACL, indexed and hashed.
  void insert_restored(std::string_view path, Znode* parent, const ZnodeRecord& record);
  // Replaces the node's data and dataLength, moving the node if it must;
  // returns where it is now.
  Znode* replace_data(Znode* node, std::string_view data);
  // Unlinks `node` (which has no children) from the index and its parent, and
  // frees it.
  void erase_node(Znode* node, Znode* parent);
  void grow_index();
  // Rebuilds the index with `bucket_count` buckets (a power of two).
  void rehash(size_t bucket_count);
  // Shrinks an index reserved too large to what growing would have made.
  void fit_index();
  void free_all_nodes();
  Znode::SharedAcl* intern_acl(const AclList& acl);
  void release_acl(Znode::SharedAcl* acl);
  // Bracket every change to a node: the hash and the listener follow it.
  void before_change(const Znode& node);
  void after_change(const Znode& node);
  void index_node(std::string_view path, const Znode& node);
  void unindex_node(const std::string& path, const Znode& node);
  void add_system_nodes();

  ZnodePool pool_;  // every znode's memory; declared first, so it goes last
  // The path index: buckets_.size() is a power of two, at least node_count_.
  std::vector<Znode*> buckets_;
  size_t node_count_ = 0;
  // Interned ACL lists (key) with their reference counts; map nodes never
  // move, so znodes point at them.
  std::map<AclList, uint64_t> acls_;
  std::map<SessionId, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttl_nodes_;
  uint64_t state_hash_ = 0;
  uint64_t data_bytes_ = 0;
  ChangeListener change_listener_;
};

}  // namespace warden::store
