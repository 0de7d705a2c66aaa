#include "sim/mysql_namespace.h"

#include <cassert>

namespace warden::sim {

uint64_t MysqlNamespace::open_session(int64_t now_us) {
  const uint64_t id = next_session_++;
  sessions_[id] = Session{now_us, true};
  return id;
}

bool MysqlNamespace::session_alive(uint64_t session) const {
  auto found = sessions_.find(session);
  return found != sessions_.end() && found->second.alive;
}

int64_t MysqlNamespace::last_contact_us(uint64_t session) const {
  auto found = sessions_.find(session);
  assert(found != sessions_.end());
  return found->second.last_contact_us;
}

void MysqlNamespace::touch(uint64_t session, int64_t now_us) {
  auto found = sessions_.find(session);
  if (found == sessions_.end() || !found->second.alive) return;
  found->second.last_contact_us = now_us;
}

void MysqlNamespace::expire(uint64_t session) {
  auto found = sessions_.find(session);
  if (found == sessions_.end() || !found->second.alive) return;
  found->second.alive = false;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (it->second.ephemeral_owner == session) {
      it = nodes_.erase(it);
      ++writes_;
    } else {
      ++it;
    }
  }
}

std::vector<uint64_t> MysqlNamespace::live_sessions() const {
  std::vector<uint64_t> live;
  for (const auto& [id, session] : sessions_) {
    if (session.alive) live.push_back(id);
  }
  return live;
}

std::string MysqlNamespace::parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  assert(slash != std::string::npos);
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool MysqlNamespace::has_children(const std::string& path) const {
  const std::string prefix = path + "/";
  auto it = nodes_.lower_bound(prefix);
  return it != nodes_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

ZkError MysqlNamespace::create(const std::string& path, const std::string& data, uint64_t session,
                               int64_t mtime_ms) {
  assert(!path.empty() && path.front() == '/' && path != "/");
  if (session != 0 && !session_alive(session)) return ZkError::kSessionExpired;
  if (nodes_.count(path) != 0) return ZkError::kNodeExists;
  const std::string parent = parent_of(path);
  if (parent != "/") {
    auto found = nodes_.find(parent);
    if (found == nodes_.end()) return ZkError::kNoNode;
    // ZooKeeper refuses children under an ephemeral; the layout never asks.
    assert(found->second.ephemeral_owner == 0);
  }
  nodes_[path] = Znode{data, 0, mtime_ms, session};
  ++writes_;
  return ZkError::kOk;
}

ZkError MysqlNamespace::set_data(const std::string& path, const std::string& data, int32_t version,
                                 int64_t mtime_ms) {
  auto found = nodes_.find(path);
  if (found == nodes_.end()) return ZkError::kNoNode;
  if (version != -1 && version != found->second.version) return ZkError::kBadVersion;
  found->second.data = data;
  ++found->second.version;
  found->second.mtime_ms = mtime_ms;
  ++writes_;
  return ZkError::kOk;
}

ZkError MysqlNamespace::remove(const std::string& path, int32_t version) {
  auto found = nodes_.find(path);
  if (found == nodes_.end()) return ZkError::kNoNode;
  if (version != -1 && version != found->second.version) return ZkError::kBadVersion;
  if (has_children(path)) return ZkError::kNotEmpty;
  nodes_.erase(found);
  ++writes_;
  return ZkError::kOk;
}

const Znode* MysqlNamespace::get(const std::string& path) const {
  auto found = nodes_.find(path);
  return found == nodes_.end() ? nullptr : &found->second;
}

std::vector<std::string> MysqlNamespace::children(const std::string& path) const {
  std::vector<std::string> names;
  const std::string prefix = path + "/";
  for (auto it = nodes_.lower_bound(prefix);
       it != nodes_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    const std::string rest = it->first.substr(prefix.size());
    if (rest.find('/') == std::string::npos) names.push_back(rest);
  }
  return names;
}

}  // namespace warden::sim
