#include "store/watch_manager.h"

namespace warden::store {

WatchManager::Kinds& WatchManager::kinds(const std::string& path, WatcherId watcher) {
  by_watcher_[watcher].insert(path);
  return by_path_[path][watcher];
}

void WatchManager::erase_if_empty(const std::string& path, WatcherId watcher) {
  auto path_it = by_path_.find(path);
  if (path_it == by_path_.end()) return;
  auto it = path_it->second.find(watcher);
  if (it == path_it->second.end() || it->second.any()) return;
  path_it->second.erase(it);
  if (path_it->second.empty()) by_path_.erase(path_it);
  auto watcher_it = by_watcher_.find(watcher);
  watcher_it->second.erase(path);
  if (watcher_it->second.empty()) by_watcher_.erase(watcher_it);
}

void WatchManager::add_data_watch(const std::string& path, WatcherId watcher) {
  kinds(path, watcher).data = true;
}

void WatchManager::add_child_watch(const std::string& path, WatcherId watcher) {
  kinds(path, watcher).child = true;
}

void WatchManager::add_persistent_watch(const std::string& path, WatcherId watcher,
                                        AddWatchMode mode) {
  Kinds& k = kinds(path, watcher);
  if (mode == AddWatchMode::kPersistentRecursive) {
    if (!k.recursive) ++recursive_watches_;
    k.recursive = true;
  } else {
    k.persistent = true;
  }
}

// Marks in `fired` the watchers on `path` that hear of an event of `type`
// (`exact`: the event is about `path` itself, not a path below it), and
// clears the one-shot watches that fire.
void WatchManager::collect(const std::string& path, EventType type, bool exact,
                           std::map<WatcherId, bool>* fired) {
  auto path_it = by_path_.find(path);
  if (path_it == by_path_.end()) return;
  std::vector<WatcherId> emptied;
  for (auto& [watcher, k] : path_it->second) {
    bool hears = false;
    if (exact) {
      const bool data_event = type != EventType::kNodeChildrenChanged;
      const bool child_event =
          type == EventType::kNodeChildrenChanged || type == EventType::kNodeDeleted;
      if (k.data && data_event) {
        k.data = false;
        hears = true;
      }
      if (k.child && child_event) {
        k.child = false;
        hears = true;
      }
      hears = hears || k.persistent;
    }
    hears = hears || (k.recursive && type != EventType::kNodeChildrenChanged);
    if (hears) (*fired)[watcher] = true;
    if (!k.any()) emptied.push_back(watcher);
  }
  for (WatcherId watcher : emptied) erase_if_empty(path, watcher);
}

std::vector<WatchDelivery> WatchManager::trigger(const WatchTrigger& event) {
  std::map<WatcherId, bool> fired;
  collect(event.path, event.type, true, &fired);
  if (recursive_watches_ > 0 && event.path != "/") {
    std::string ancestor = event.path;
    while (ancestor != "/") {
      const size_t slash = ancestor.rfind('/');
      ancestor.resize(slash == 0 ? 1 : slash);
      collect(ancestor, event.type, false, &fired);
    }
  }
  std::vector<WatchDelivery> deliveries;
  deliveries.reserve(fired.size());
  for (const auto& [watcher, unused] : fired) deliveries.push_back({watcher, event});
  return deliveries;
}

bool WatchManager::matches(const Kinds& k, WatcherType type) {
  switch (type) {
    case WatcherType::kChildren:
      return k.child;
    case WatcherType::kData:
      return k.data;
    case WatcherType::kAny:
      return k.any();
    case WatcherType::kPersistent:
      return k.persistent;
    case WatcherType::kPersistentRecursive:
      return k.recursive;
  }
  return false;
}

bool WatchManager::has(const std::string& path, WatcherType type, WatcherId watcher) const {
  auto path_it = by_path_.find(path);
  if (path_it == by_path_.end()) return false;
  auto it = path_it->second.find(watcher);
  return it != path_it->second.end() && matches(it->second, type);
}

bool WatchManager::remove(const std::string& path, WatcherType type, WatcherId watcher) {
  if (!has(path, type, watcher)) return false;
  Kinds& k = by_path_[path][watcher];
  const bool any = type == WatcherType::kAny;
  if (any || type == WatcherType::kChildren) k.child = false;
  if (any || type == WatcherType::kData) k.data = false;
  if (any || type == WatcherType::kPersistent) k.persistent = false;
  if ((any || type == WatcherType::kPersistentRecursive) && k.recursive) {
    k.recursive = false;
    --recursive_watches_;
  }
  erase_if_empty(path, watcher);
  return true;
}

void WatchManager::remove_watcher(WatcherId watcher) {
  auto watcher_it = by_watcher_.find(watcher);
  if (watcher_it == by_watcher_.end()) return;
  const std::set<std::string> paths = std::move(watcher_it->second);
  by_watcher_.erase(watcher_it);
  for (const std::string& path : paths) {
    auto path_it = by_path_.find(path);
    if (path_it == by_path_.end()) continue;
    auto it = path_it->second.find(watcher);
    if (it == path_it->second.end()) continue;
    if (it->second.recursive) --recursive_watches_;
    path_it->second.erase(it);
    if (path_it->second.empty()) by_path_.erase(path_it);
  }
}

WatchCounts WatchManager::counts() const {
  WatchCounts counts;
  counts.paths = by_path_.size();
  counts.watchers = by_watcher_.size();
  for (const auto& [path, watchers] : by_path_) counts.watches += watchers.size();
  return counts;
}

std::map<WatcherId, std::vector<std::string>> WatchManager::paths_by_watcher() const {
  std::map<WatcherId, std::vector<std::string>> out;
  for (const auto& [watcher, paths] : by_watcher_) out[watcher].assign(paths.begin(), paths.end());
  return out;
}

std::map<std::string, std::vector<WatcherId>> WatchManager::watchers_by_path() const {
  std::map<std::string, std::vector<WatcherId>> out;
  for (const auto& [path, watchers] : by_path_) {
    for (const auto& [watcher, unused] : watchers) out[path].push_back(watcher);
  }
  return out;
}

}  // namespace warden::store
