#include "store/data_tree.h"

#include <cassert>

#include "store/path.h"

namespace warden::store {
namespace {

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

DataTree::DataTree() {
  add_system_nodes();
}

void DataTree::add_system_nodes() {
  Znode root;
  root.acl = open_acl();
  nodes_.emplace("/", std::move(root));
  after_change("/", nodes_.at("/"));
  for (const char* path : {"/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
    Znode node;
    node.acl = std::string_view(path) == "/zookeeper/config" ? read_only_acl() : open_acl();
    restore_node(path, std::move(node));
  }
}

void DataTree::clear() {
  nodes_.clear();
  ephemerals_.clear();
  containers_.clear();
  ttl_nodes_.clear();
  state_hash_ = 0;
  data_bytes_ = 0;
  add_system_nodes();
}

const Znode* DataTree::find(std::string_view path) const {
  const auto it = nodes_.find(std::string(path));
  return it == nodes_.end() ? nullptr : &it->second;
}

Znode* DataTree::find_mutable(std::string_view path) {
  const auto it = nodes_.find(std::string(path));
  return it == nodes_.end() ? nullptr : &it->second;
}

uint64_t DataTree::node_hash(const std::string& path, const Znode& node) const {
  const Stat& s = node.stat;
  uint64_t h = mix(hash_bytes(path), hash_bytes(node.data));
  for (int64_t field : {s.czxid, s.mzxid, s.ctime_ms, s.mtime_ms, s.ephemeral_owner, s.pzxid}) {
    h = mix(h, static_cast<uint64_t>(field));
  }
  for (int32_t field : {s.version, s.cversion, s.aversion, s.data_length, s.num_children}) {
    h = mix(h, static_cast<uint32_t>(field));
  }
  for (const Acl& entry : node.acl) {
    h = mix(h, static_cast<uint32_t>(entry.perms));
    h = mix(h, hash_bytes(entry.id.scheme));
    h = mix(h, hash_bytes(entry.id.id));
  }
  return h;
}

void DataTree::before_change(const std::string& path, const Znode& node) {
  state_hash_ -= node_hash(path, node);
  data_bytes_ -= path.size() + node.data.size();
}

void DataTree::after_change(const std::string& path, const Znode& node) {
  state_hash_ += node_hash(path, node);
  data_bytes_ += path.size() + node.data.size();
  if (change_listener_) change_listener_(path);
}

void DataTree::index_node(const std::string& path, const Znode& node) {
  const int64_t owner = node.stat.ephemeral_owner;
  if (is_session_owner(owner)) ephemerals_[owner].insert(path);
  if (is_container_owner(owner)) containers_.insert(path);
  if (is_ttl_owner(owner)) ttl_nodes_.insert(path);
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

ErrorCode DataTree::create_node(const std::string& path, std::string data, AclList acl,
                                int64_t ephemeral_owner, int32_t parent_cversion, int64_t zxid,
                                int64_t time_ms, std::vector<WatchTrigger>& triggers) {
  if (path.size() < 2) return ErrorCode::kNodeExists;
  const std::string parent_name(parent_path(path));
  Znode* parent = find_mutable(parent_name);
  if (parent == nullptr) return ErrorCode::kNoNode;
  if (nodes_.count(path) != 0) return ErrorCode::kNodeExists;
  if (is_session_owner(parent->stat.ephemeral_owner)) return ErrorCode::kNoChildrenForEphemerals;

  before_change(parent_name, *parent);
  parent->children.emplace(base_name(path));
  parent->stat.num_children = static_cast<int32_t>(parent->children.size());
  if (parent_cversion > parent->stat.cversion) {
    parent->stat.cversion = parent_cversion;
    parent->stat.pzxid = zxid;
  }
  after_change(parent_name, *parent);

  Znode node;
  node.stat.czxid = node.stat.mzxid = node.stat.pzxid = zxid;
  node.stat.ctime_ms = node.stat.mtime_ms = time_ms;
  node.stat.ephemeral_owner = ephemeral_owner;
  node.stat.data_length = static_cast<int32_t>(data.size());
  node.data = std::move(data);
  node.acl = std::move(acl);
  auto [it, inserted] = nodes_.emplace(path, std::move(node));
  assert(inserted);
  index_node(path, it->second);
  after_change(path, it->second);

  triggers.push_back({EventType::kNodeCreated, path});
  triggers.push_back({EventType::kNodeChildrenChanged, parent_name});
  return ErrorCode::kOk;
}

ErrorCode DataTree::delete_node(const std::string& path, int64_t zxid,
                                std::vector<WatchTrigger>& triggers) {
  if (is_system_path(path)) return ErrorCode::kBadArguments;
  const auto it = nodes_.find(path);
  if (it == nodes_.end()) return ErrorCode::kNoNode;
  if (!it->second.children.empty()) return ErrorCode::kNotEmpty;
  const std::string parent_name(parent_path(path));
  Znode* parent = find_mutable(parent_name);
  assert(parent != nullptr);

  before_change(path, it->second);
  unindex_node(path, it->second);
  nodes_.erase(it);
  if (change_listener_) change_listener_(path);

  before_change(parent_name, *parent);
  parent->children.erase(std::string(base_name(path)));
  parent->stat.num_children = static_cast<int32_t>(parent->children.size());
  if (zxid > parent->stat.pzxid) parent->stat.pzxid = zxid;
  after_change(parent_name, *parent);

  triggers.push_back({EventType::kNodeDeleted, path});
  triggers.push_back({EventType::kNodeChildrenChanged, parent_name});
  return ErrorCode::kOk;
}

ErrorCode DataTree::set_data(const std::string& path, std::string data, int32_t new_version,
                             int64_t zxid, int64_t time_ms, std::vector<WatchTrigger>& triggers) {
  Znode* node = find_mutable(path);
  if (node == nullptr) return ErrorCode::kNoNode;
  before_change(path, *node);
  node->data = std::move(data);
  node->stat.data_length = static_cast<int32_t>(node->data.size());
  node->stat.version = new_version;
  node->stat.mzxid = zxid;
  node->stat.mtime_ms = time_ms;
  after_change(path, *node);
  triggers.push_back({EventType::kNodeDataChanged, path});
  return ErrorCode::kOk;
}

ErrorCode DataTree::set_acl(const std::string& path, AclList acl, int32_t new_aversion) {
  Znode* node = find_mutable(path);
  if (node == nullptr) return ErrorCode::kNoNode;
  before_change(path, *node);
  node->acl = std::move(acl);
  node->stat.aversion = new_aversion;
  after_change(path, *node);
  return ErrorCode::kOk;
}

const std::set<std::string>& DataTree::ephemerals_of(SessionId session) const {
  const auto it = ephemerals_.find(session);
  return it == ephemerals_.end() ? kNoPaths : it->second;
}

void DataTree::for_each_node(
    const std::function<void(const std::string&, const Znode&)>& visit) const {
  std::vector<std::string> stack{"/"};
  while (!stack.empty()) {
    const std::string path = std::move(stack.back());
    stack.pop_back();
    const Znode& node = nodes_.at(path);
    visit(path, node);
    for (auto child = node.children.rbegin(); child != node.children.rend(); ++child) {
      stack.push_back(child_path(path, *child));
    }
  }
}

bool DataTree::restore_node(const std::string& path, Znode node) {
  if (!is_valid_path(path)) return false;
  if (Znode* existing = find_mutable(path)) {
    // A system node: it is already linked in; take the stored fields.
    if (!is_system_path(path)) return false;
    before_change(path, *existing);
    unindex_node(path, *existing);
    node.children = std::move(existing->children);
    node.stat.num_children = static_cast<int32_t>(node.children.size());
    node.stat.data_length = static_cast<int32_t>(node.data.size());
    *existing = std::move(node);
    index_node(path, *existing);
    after_change(path, *existing);
    return true;
  }
  const std::string parent_name(parent_path(path));
  Znode* parent = find_mutable(parent_name);
  if (parent == nullptr) return false;
  before_change(parent_name, *parent);
  parent->children.emplace(base_name(path));
  parent->stat.num_children = static_cast<int32_t>(parent->children.size());
  after_change(parent_name, *parent);
  node.children.clear();
  node.stat.num_children = 0;
  node.stat.data_length = static_cast<int32_t>(node.data.size());
  auto [it, inserted] = nodes_.emplace(path, std::move(node));
  assert(inserted);
  index_node(path, it->second);
  after_change(path, it->second);
  return true;
}

}  // namespace warden::store
