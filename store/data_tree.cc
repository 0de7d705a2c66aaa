#include "store/data_tree.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <new>

#include "store/path.h"

namespace warden::store {
namespace {

// Small, so that the many short-lived trees of tests and the simulator stay
// cheap; the index doubles as the tree grows.
constexpr size_t kMinBuckets = 16;
// reserve() takes an estimate: beyond this many nodes (an index of 128 MiB)
// the index grows as nodes come instead.
constexpr size_t kMaxReservedNodes = size_t{1} << 24;
// A setData keeps the node where it is if the new data fits and leaves no
// more than this, or half the room, unused: same-size updates (the common
// case) never allocate, and a node that shrank a lot gives the memory back.
constexpr size_t kIdleDataBytes = 64;

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

uint64_t hash_bytes(std::string_view bytes) {
  return std::hash<std::string_view>{}(bytes);
}

const std::set<std::string> kNoPaths;

}  // namespace

std::vector<std::string_view> Znode::child_names() const {
  std::vector<std::string_view> names;
  names.reserve(static_cast<size_t>(stat.num_children));
  for (const Znode* child = first_child_; child != nullptr; child = child->next_sibling_) {
    names.push_back(child->name());
  }
  std::sort(names.begin(), names.end());
  return names;
}

DataTree::DataTree() {
  add_system_nodes();
}

DataTree::~DataTree() {
  free_all_nodes();
}

DataTree::DataTree(DataTree&& other) noexcept {
  *this = std::move(other);
}

DataTree& DataTree::operator=(DataTree&& other) noexcept {
  if (this == &other) return *this;
  free_all_nodes();
  // The nodes, their pool and the interned ACLs they point at change owner,
  // not address.
  pool_ = std::move(other.pool_);
  buckets_ = std::move(other.buckets_);
  other.buckets_.clear();
  node_count_ = std::exchange(other.node_count_, 0);
  acls_ = std::move(other.acls_);
  other.acls_.clear();
  ephemerals_ = std::move(other.ephemerals_);
  containers_ = std::move(other.containers_);
  ttl_nodes_ = std::move(other.ttl_nodes_);
  state_hash_ = std::exchange(other.state_hash_, 0);
  data_bytes_ = std::exchange(other.data_bytes_, 0);
  change_listener_ = std::move(other.change_listener_);
  return *this;
}

void DataTree::add_system_nodes() {
  Znode* root = insert_node("/", path_hash("/"), nullptr, "", open_acl());
  after_change(*root);
  for (const char* path : {"/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
    ZnodeRecord node;
    node.acl = std::string_view(path) == "/zookeeper/config" ? read_only_acl() : open_acl();
    restore_node(path, std::move(node));
  }
}

void DataTree::free_all_nodes() {
  // Pooled znodes go with their blocks; only large ones are freed one by one.
  for (Znode* bucket : buckets_) {
    while (bucket != nullptr) {
      Znode* next = bucket->hash_next_;
      if (allocation_bytes(*bucket) > ZnodePool::kMaxPooledBytes) free_node(bucket);
      bucket = next;
    }
  }
  pool_.release();
  std::vector<Znode*>().swap(buckets_);
  node_count_ = 0;
  acls_.clear();
}

void DataTree::clear() {
  free_all_nodes();
  ephemerals_.clear();
  containers_.clear();
  ttl_nodes_.clear();
  state_hash_ = 0;
  data_bytes_ = 0;
  add_system_nodes();
}

uint32_t DataTree::path_hash(std::string_view path) {
  return static_cast<uint32_t>(hash_bytes(path));
}

Znode* DataTree::lookup(std::string_view path, uint32_t hash) const {
  if (buckets_.empty()) return nullptr;  // only a moved-from tree
  for (Znode* node = buckets_[hash & (buckets_.size() - 1)]; node != nullptr;
       node = node->hash_next_) {
    if (node->hash_ == hash && node->path() == path) return node;
  }
  return nullptr;
}

const Znode* DataTree::find(std::string_view path) const {
  return lookup(path, path_hash(path));
}

Znode* DataTree::find_mutable(std::string_view path) {
  return lookup(path, path_hash(path));
}

void DataTree::grow_index() {
  rehash(std::max(kMinBuckets, buckets_.size() * 2));
}

void DataTree::reserve(size_t nodes) {
  nodes = std::min(nodes, kMaxReservedNodes);
  if (nodes > buckets_.size()) rehash(std::bit_ceil(nodes));
}

void DataTree::fit_index() {
  const size_t fit = std::max(kMinBuckets, std::bit_ceil(node_count_));
  if (buckets_.size() > fit) rehash(fit);
}

void DataTree::rehash(size_t bucket_count) {
  std::vector<Znode*> buckets(bucket_count, nullptr);
  const size_t mask = buckets.size() - 1;
  for (Znode* node : buckets_) {
    while (node != nullptr) {
      Znode* next = node->hash_next_;
      Znode*& bucket = buckets[node->hash_ & mask];
      node->hash_next_ = bucket;
      bucket = node;
      node = next;
    }
  }
  buckets_.swap(buckets);
}

Znode* DataTree::allocate_node(std::string_view path, size_t data_size) {
  const size_t fixed = sizeof(Znode) + path.size();
  // The pool's rounding becomes room for the data to grow.
  const size_t bytes = ZnodePool::capacity_for(fixed + data_size);
  Znode* node = new (pool_.allocate(bytes)) Znode();
  node->path_size_ = static_cast<uint32_t>(path.size());
  node->data_capacity_ = static_cast<uint32_t>(bytes - fixed);
  std::memcpy(node->chars(), path.data(), path.size());
  return node;
}

size_t DataTree::allocation_bytes(const Znode& node) {
  return sizeof(Znode) + node.path_size_ + node.data_capacity_;
}

void DataTree::free_node(Znode* node) {
  const size_t bytes = allocation_bytes(*node);
  node->~Znode();
  pool_.free(node, bytes);
}

Znode* DataTree::insert_node(std::string_view path, uint32_t hash, Znode* parent,
                             std::string_view data, const AclList& acl) {
  if (node_count_ + 1 > buckets_.size()) grow_index();
  Znode::SharedAcl* shared_acl = intern_acl(acl);
  Znode* node = allocate_node(path, data.size());
  std::memcpy(node->chars() + node->path_size_, data.data(), data.size());
  node->data_size_ = static_cast<uint32_t>(data.size());
  node->stat.data_length = static_cast<int32_t>(data.size());
  node->hash_ = hash;
  node->acl_ = shared_acl;
  Znode*& bucket = buckets_[hash & (buckets_.size() - 1)];
  node->hash_next_ = bucket;
  bucket = node;
  if (parent != nullptr) {
    node->next_sibling_ = parent->first_child_;
    if (parent->first_child_ != nullptr) parent->first_child_->prev_sibling_ = node;
    parent->first_child_ = node;
  }
  ++node_count_;
  return node;
}

Znode* DataTree::replace_data(Znode* node, std::string_view data) {
  const size_t capacity = node->data_capacity_;
  if (data.size() <= capacity && capacity - data.size() <= std::max(data.size(), kIdleDataBytes)) {
    std::memmove(node->chars() + node->path_size_, data.data(), data.size());
    node->data_size_ = static_cast<uint32_t>(data.size());
    node->stat.data_length = static_cast<int32_t>(data.size());
    return node;
  }
  Znode* moved = allocate_node(node->path(), data.size());
  std::memcpy(moved->chars() + moved->path_size_, data.data(), data.size());
  moved->data_size_ = static_cast<uint32_t>(data.size());
  moved->stat = node->stat;
  moved->stat.data_length = static_cast<int32_t>(data.size());
  moved->acl_ = node->acl_;
  moved->hash_ = node->hash_;
  moved->hash_next_ = node->hash_next_;
  moved->first_child_ = node->first_child_;
  moved->next_sibling_ = node->next_sibling_;
  moved->prev_sibling_ = node->prev_sibling_;
  // Everything that pointed at the node: its hash chain, its siblings or
  // parent (children point at nothing above them).
  Znode** link = &buckets_[node->hash_ & (buckets_.size() - 1)];
  while (*link != node) link = &(*link)->hash_next_;
  *link = moved;
  if (node->prev_sibling_ != nullptr) {
    node->prev_sibling_->next_sibling_ = moved;
  } else if (node->path_size_ > 1) {
    find_mutable(parent_path(node->path()))->first_child_ = moved;
  }
  if (node->next_sibling_ != nullptr) node->next_sibling_->prev_sibling_ = moved;
  free_node(node);
  return moved;
}

void DataTree::erase_node(Znode* node, Znode* parent) {
  assert(node->first_child_ == nullptr);
  Znode** link = &buckets_[node->hash_ & (buckets_.size() - 1)];
  while (*link != node) link = &(*link)->hash_next_;
  *link = node->hash_next_;
  if (node->prev_sibling_ != nullptr) {
    node->prev_sibling_->next_sibling_ = node->next_sibling_;
  } else {
    parent->first_child_ = node->next_sibling_;
  }
  if (node->next_sibling_ != nullptr) node->next_sibling_->prev_sibling_ = node->prev_sibling_;
  release_acl(node->acl_);
  free_node(node);
  --node_count_;
}

Znode::SharedAcl* DataTree::intern_acl(const AclList& acl) {
  const auto [it, inserted] = acls_.try_emplace(acl, 0);
  ++it->second;
  return &*it;
}

void DataTree::release_acl(Znode::SharedAcl* acl) {
  if (--acl->second == 0) acls_.erase(acls_.find(acl->first));
}

uint64_t DataTree::node_hash(const Znode& node) const {
  const Stat& s = node.stat;
  uint64_t h = mix(hash_bytes(node.path()), hash_bytes(node.data()));
  for (int64_t field : {s.czxid, s.mzxid, s.ctime_ms, s.mtime_ms, s.ephemeral_owner, s.pzxid}) {
    h = mix(h, static_cast<uint64_t>(field));
  }
  for (int32_t field : {s.version, s.cversion, s.aversion, s.data_length, s.num_children}) {
    h = mix(h, static_cast<uint32_t>(field));
  }
  for (const Acl& entry : node.acl()) {
    h = mix(h, static_cast<uint32_t>(entry.perms));
    h = mix(h, hash_bytes(entry.id.scheme));
    h = mix(h, hash_bytes(entry.id.id));
  }
  return h;
}

void DataTree::before_change(const Znode& node) {
  state_hash_ -= node_hash(node);
  data_bytes_ -= node.path_size_ + node.data_size_;
}

void DataTree::after_change(const Znode& node) {
  state_hash_ += node_hash(node);
  data_bytes_ += node.path_size_ + node.data_size_;
  if (change_listener_) change_listener_(node.path(), node.path_size_ + node.data_size_);
}

void DataTree::index_node(std::string_view path, const Znode& node) {
  const int64_t owner = node.stat.ephemeral_owner;
  if (is_session_owner(owner)) ephemerals_[owner].emplace(path);
  if (is_container_owner(owner)) containers_.emplace(path);
  if (is_ttl_owner(owner)) ttl_nodes_.emplace(path);
}

void DataTree::unindex_node(const std::string& path, const Znode& node) {
  const int64_t owner = node.stat.ephemeral_owner;
  if (is_session_owner(owner)) {
    auto it = ephemerals_.find(owner);
    if (it != ephemerals_.end()) {
      it->second.erase(path);
      if (it->second.empty()) ephemerals_.erase(it);
    }
  }
  containers_.erase(path);
  ttl_nodes_.erase(path);
}

ErrorCode DataTree::create_node(const std::string& path, std::string_view data, const AclList& acl,
                                int64_t ephemeral_owner, int32_t parent_cversion, int64_t zxid,
                                int64_t time_ms, std::vector<WatchTrigger>& triggers) {
  if (path.size() < 2) return ErrorCode::kNodeExists;
  const std::string_view parent_name = parent_path(path);
  Znode* parent = find_mutable(parent_name);
  if (parent == nullptr) return ErrorCode::kNoNode;
  const uint32_t hash = path_hash(path);
  if (lookup(path, hash) != nullptr) return ErrorCode::kNodeExists;
  if (is_session_owner(parent->stat.ephemeral_owner)) return ErrorCode::kNoChildrenForEphemerals;

  before_change(*parent);
  parent->stat.num_children += 1;
  if (parent_cversion > parent->stat.cversion) {
    parent->stat.cversion = parent_cversion;
    parent->stat.pzxid = zxid;
  }
  after_change(*parent);

  Znode* node = insert_node(path, hash, parent, data, acl);
  node->stat.czxid = node->stat.mzxid = node->stat.pzxid = zxid;
  node->stat.ctime_ms = node->stat.mtime_ms = time_ms;
  node->stat.ephemeral_owner = ephemeral_owner;
  index_node(path, *node);
  after_change(*node);

  triggers.push_back({EventType::kNodeCreated, path});
  triggers.push_back({EventType::kNodeChildrenChanged, std::string(parent_name)});
  return ErrorCode::kOk;
}

ErrorCode DataTree::delete_node(const std::string& path, int64_t zxid,
                                std::vector<WatchTrigger>& triggers) {
  if (is_system_path(path)) return ErrorCode::kBadArguments;
  Znode* node = find_mutable(path);
  if (node == nullptr) return ErrorCode::kNoNode;
  if (node->first_child_ != nullptr) return ErrorCode::kNotEmpty;
  const std::string_view parent_name = parent_path(path);
  Znode* parent = find_mutable(parent_name);
  assert(parent != nullptr);

  before_change(*node);
  unindex_node(path, *node);
  erase_node(node, parent);
  if (change_listener_) change_listener_(path, 0);

  before_change(*parent);
  parent->stat.num_children -= 1;
  if (zxid > parent->stat.pzxid) parent->stat.pzxid = zxid;
  after_change(*parent);

  triggers.push_back({EventType::kNodeDeleted, path});
  triggers.push_back({EventType::kNodeChildrenChanged, std::string(parent_name)});
  return ErrorCode::kOk;
}

ErrorCode DataTree::set_data(const std::string& path, std::string_view data, int32_t new_version,
                             int64_t zxid, int64_t time_ms, std::vector<WatchTrigger>& triggers) {
  Znode* node = find_mutable(path);
  if (node == nullptr) return ErrorCode::kNoNode;
  before_change(*node);
  node = replace_data(node, data);
  node->stat.version = new_version;
  node->stat.mzxid = zxid;
  node->stat.mtime_ms = time_ms;
  after_change(*node);
  triggers.push_back({EventType::kNodeDataChanged, path});
  return ErrorCode::kOk;
}

ErrorCode DataTree::set_acl(const std::string& path, const AclList& acl, int32_t new_aversion) {
  Znode* node = find_mutable(path);
  if (node == nullptr) return ErrorCode::kNoNode;
  before_change(*node);
  Znode::SharedAcl* shared_acl = intern_acl(acl);  // before the release: it may be the same list
  release_acl(node->acl_);
  node->acl_ = shared_acl;
  node->stat.aversion = new_aversion;
  after_change(*node);
  return ErrorCode::kOk;
}

const std::set<std::string>& DataTree::ephemerals_of(SessionId session) const {
  const auto it = ephemerals_.find(session);
  return it == ephemerals_.end() ? kNoPaths : it->second;
}

void DataTree::for_each_node(
    const std::function<void(const std::string&, const Znode&)>& visit) const {
  std::vector<const Znode*> stack{find("/")};
  std::vector<std::pair<std::string_view, const Znode*>> named;
  std::string path;
  while (!stack.empty()) {
    const Znode* node = stack.back();
    stack.pop_back();
    path.assign(node->path());
    visit(path, *node);
    // Names are unique among siblings, so the order is total and every
    // replica walks the same one.
    named.clear();
    for (const Znode* child = node->first_child_; child != nullptr; child = child->next_sibling_) {
      named.emplace_back(child->name(), child);
    }
    std::sort(named.begin(), named.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto child = named.rbegin(); child != named.rend(); ++child)
      stack.push_back(child->second);
  }
}

bool DataTree::restore_node(const std::string& path, ZnodeRecord record) {
  if (!is_valid_path(path)) return false;
  if (Znode* existing = find_mutable(path)) {
    // A system node: it is already linked in; take the stored fields.
    if (!is_system_path(path)) return false;
    before_change(*existing);
    unindex_node(path, *existing);
    Znode::SharedAcl* shared_acl = intern_acl(record.acl);
    release_acl(existing->acl_);
    existing->acl_ = shared_acl;
    const int32_t num_children = existing->stat.num_children;
    existing->stat = record.stat;
    existing->stat.num_children = num_children;
    existing = replace_data(existing, record.data);
    index_node(path, *existing);
    after_change(*existing);
    return true;
  }
  Znode* parent = find_mutable(parent_path(path));
  if (parent == nullptr) return false;
  before_change(*parent);
  parent->stat.num_children += 1;
  after_change(*parent);
  insert_restored(path, parent, record);
  return true;
}

void DataTree::insert_restored(std::string_view path, Znode* parent, const ZnodeRecord& record) {
  Znode* node = insert_node(path, path_hash(path), parent, record.data, record.acl);
  node->stat = record.stat;
  node->stat.num_children = 0;
  node->stat.data_length = static_cast<int32_t>(record.data.size());
  index_node(path, *node);
  after_change(*node);
}

DataTree::Loader::Loader(DataTree& tree, size_t expected_nodes) : tree_(tree) {
  tree_.clear();
  tree_.reserve(expected_nodes);
}

DataTree::Loader::~Loader() {
  settle_parent();
  tree_.fit_index();  // the size reserved was an estimate
}

bool DataTree::Loader::add(std::string_view path, const ZnodeRecord& node) {
  if (path <= last_path_ || is_system_path(path)) {
    settle_parent();  // restore_node hashes the parent itself, and may move a system node
    return tree_.restore_node(std::string(path), node);
  }
  if (!is_valid_path(path)) return false;
  Znode* parent = parent_of(path);
  if (parent == nullptr) return false;
  parent->stat.num_children += 1;
  tree_.insert_restored(path, parent, node);
  last_path_.assign(path);
  return true;
}

Znode* DataTree::Loader::parent_of(std::string_view path) {
  const std::string_view name = parent_path(path);
  if (parent_ != nullptr && parent_->path() == name) return parent_;
  settle_parent();
  parent_ = tree_.find_mutable(name);
  if (parent_ != nullptr) tree_.before_change(*parent_);
  return parent_;
}

void DataTree::Loader::settle_parent() {
  if (parent_ != nullptr) tree_.after_change(*parent_);
  parent_ = nullptr;
}

}  // namespace warden::store
