// WatchManager: ZooKeeper's watches on one node — who asked to hear of
// which change, and who hears of each change apply makes. Watches are local
// to the node a client is connected to (they are not replicated); a client
// that reconnects elsewhere sets them again (setWatches).
//
// The rules are ZooKeeper 3.8's:
// - a data watch (getData, exists) fires once on NodeDataChanged,
//   NodeDeleted or, for exists on a missing node, NodeCreated;
// - a child watch (getChildren) fires once on NodeChildrenChanged or
//   NodeDeleted;
// - a persistent watch (addWatch mode 0) fires on every event for its path
//   and stays;
// - a persistent recursive watch (addWatch mode 1) fires on every event for
//   its path or any path below it, except NodeChildrenChanged, and stays;
// - a watcher hears of one event at most once, however many of its watches
//   match it.
//
// Owned by the runtime's client layer (net/), which maps watcher ids to its
// sessions; sans-IO. Single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/data_tree.h"

namespace warden::store {

using WatcherId = uint64_t;

// ZooKeeper's WatcherType, for removeWatches and checkWatches.
enum class WatcherType : int32_t {
  kChildren = 1,
  kData = 2,
  kAny = 3,
  kPersistent = 4,
  kPersistentRecursive = 5,
};

// addWatch's modes.
enum class AddWatchMode : int32_t { kPersistent = 0, kPersistentRecursive = 1 };

struct WatchDelivery {
  WatcherId watcher = 0;
  WatchTrigger event;
  bool operator==(const WatchDelivery&) const = default;
};

struct WatchCounts {
  size_t watches = 0;   // (path, watcher) pairs
  size_t paths = 0;     // paths watched
  size_t watchers = 0;  // watchers with at least one watch
};

class WatchManager {
 public:
  void add_data_watch(const std::string& path, WatcherId watcher);
  void add_child_watch(const std::string& path, WatcherId watcher);
  void add_persistent_watch(const std::string& path, WatcherId watcher, AddWatchMode mode);

  // Who hears of `event`, each watcher once, in watcher order; one-shot
  // watches that fired are gone afterwards.
  std::vector<WatchDelivery> trigger(const WatchTrigger& event);

  // removeWatches: true if a watch of that type was there (and is gone).
  bool remove(const std::string& path, WatcherType type, WatcherId watcher);
  // checkWatches: the same question without removing anything.
  bool has(const std::string& path, WatcherType type, WatcherId watcher) const;
  // The watcher's session closed or its connection went: all its watches go.
  void remove_watcher(WatcherId watcher);

  // For the four-letter words wchs, wchc and wchp.
  WatchCounts counts() const;
  std::map<WatcherId, std::vector<std::string>> paths_by_watcher() const;
  std::map<std::string, std::vector<WatcherId>> watchers_by_path() const;

 private:
  struct Kinds {
    bool data = false;
    bool child = false;
    bool persistent = false;
    bool recursive = false;
    bool any() const { return data || child || persistent || recursive; }
  };
  Kinds& kinds(const std::string& path, WatcherId watcher);
  void erase_if_empty(const std::string& path, WatcherId watcher);
  void collect(const std::string& path, EventType type, bool exact,
               std::map<WatcherId, bool>* fired);
  static bool matches(const Kinds& kinds, WatcherType type);

  std::map<std::string, std::map<WatcherId, Kinds>> by_path_;
  std::map<WatcherId, std::set<std::string>> by_watcher_;
  size_t recursive_watches_ = 0;  // skip the walk up the tree when there are none
};

}  // namespace warden::store
