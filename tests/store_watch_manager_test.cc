// Watches fire as ZooKeeper 3.8 fires them: one-shot data and child watches,
// persistent and persistent recursive watches that stay, one event per
// watcher, and removal by type.
#include <gtest/gtest.h>

#include "store/watch_manager.h"

namespace warden::store {
namespace {

WatchTrigger event(EventType type, const std::string& path) {
  return WatchTrigger{type, path};
}

std::vector<WatcherId> who(const std::vector<WatchDelivery>& deliveries) {
  std::vector<WatcherId> out;
  for (const WatchDelivery& d : deliveries) out.push_back(d.watcher);
  return out;
}

TEST(WatchManager, ADataWatchFiresOnceOnChangeCreateOrDelete) {
  for (EventType type :
       {EventType::kNodeDataChanged, EventType::kNodeCreated, EventType::kNodeDeleted}) {
    WatchManager watches;
    watches.add_data_watch("/a", 1);
    EXPECT_EQ(who(watches.trigger(event(type, "/a"))), std::vector<WatcherId>{1});
    EXPECT_TRUE(watches.trigger(event(type, "/a")).empty()) << "fired twice";
  }
  WatchManager watches;
  watches.add_data_watch("/a", 1);
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeChildrenChanged, "/a")).empty());
  EXPECT_TRUE(watches.has("/a", WatcherType::kData, 1));
}

TEST(WatchManager, AChildWatchFiresOnceOnChildrenChangedOrDelete) {
  WatchManager watches;
  watches.add_child_watch("/a", 1);
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeDataChanged, "/a")).empty());
  EXPECT_EQ(who(watches.trigger(event(EventType::kNodeChildrenChanged, "/a"))),
            std::vector<WatcherId>{1});
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeChildrenChanged, "/a")).empty());
  watches.add_child_watch("/a", 1);
  EXPECT_EQ(who(watches.trigger(event(EventType::kNodeDeleted, "/a"))), std::vector<WatcherId>{1});
  EXPECT_EQ(watches.counts().watches, 0u);
}

TEST(WatchManager, APersistentWatchHearsEveryEventOnItsPathAndStays) {
  WatchManager watches;
  watches.add_persistent_watch("/a", 1, AddWatchMode::kPersistent);
  for (EventType type : {EventType::kNodeCreated, EventType::kNodeDataChanged,
                         EventType::kNodeChildrenChanged, EventType::kNodeDeleted}) {
    EXPECT_EQ(who(watches.trigger(event(type, "/a"))), std::vector<WatcherId>{1});
  }
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeCreated, "/a/b")).empty())
      << "a persistent watch is not recursive";
  EXPECT_TRUE(watches.has("/a", WatcherType::kPersistent, 1));
}

TEST(WatchManager, ARecursiveWatchHearsItsSubtreeButNotChildrenChanged) {
  WatchManager watches;
  watches.add_persistent_watch("/a", 1, AddWatchMode::kPersistentRecursive);
  EXPECT_EQ(who(watches.trigger(event(EventType::kNodeCreated, "/a/b/c"))),
            std::vector<WatcherId>{1});
  EXPECT_EQ(who(watches.trigger(event(EventType::kNodeDataChanged, "/a"))),
            std::vector<WatcherId>{1});
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeChildrenChanged, "/a")).empty());
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeChildrenChanged, "/a/b")).empty());
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeCreated, "/ab")).empty())
      << "a sibling that shares the prefix is not below it";
  WatchManager root;
  root.add_persistent_watch("/", 2, AddWatchMode::kPersistentRecursive);
  EXPECT_EQ(who(root.trigger(event(EventType::kNodeDeleted, "/x/y"))), std::vector<WatcherId>{2});
}

TEST(WatchManager, AWatcherHearsOfAnEventOnceWhateverMatches) {
  WatchManager watches;
  watches.add_data_watch("/a/b", 1);
  watches.add_child_watch("/a/b", 1);
  watches.add_persistent_watch("/a/b", 1, AddWatchMode::kPersistent);
  watches.add_persistent_watch("/a", 1, AddWatchMode::kPersistentRecursive);
  watches.add_data_watch("/a/b", 2);
  const std::vector<WatchDelivery> deliveries =
      watches.trigger(event(EventType::kNodeDeleted, "/a/b"));
  EXPECT_EQ(who(deliveries), (std::vector<WatcherId>{1, 2}));
  EXPECT_EQ(deliveries[0].event, event(EventType::kNodeDeleted, "/a/b"));
  // The one-shot ones are gone; the persistent ones stay.
  EXPECT_FALSE(watches.has("/a/b", WatcherType::kData, 1));
  EXPECT_FALSE(watches.has("/a/b", WatcherType::kChildren, 1));
  EXPECT_TRUE(watches.has("/a/b", WatcherType::kPersistent, 1));
  EXPECT_TRUE(watches.has("/a", WatcherType::kPersistentRecursive, 1));
  EXPECT_FALSE(watches.has("/a/b", WatcherType::kAny, 2));
}

TEST(WatchManager, RemovalIsByTypeAndSaysWhetherThereWasOne) {
  WatchManager watches;
  watches.add_data_watch("/a", 1);
  watches.add_child_watch("/a", 1);
  EXPECT_FALSE(watches.remove("/a", WatcherType::kPersistent, 1));
  EXPECT_TRUE(watches.remove("/a", WatcherType::kChildren, 1));
  EXPECT_FALSE(watches.remove("/a", WatcherType::kChildren, 1));
  EXPECT_TRUE(watches.has("/a", WatcherType::kData, 1));
  watches.add_persistent_watch("/a", 1, AddWatchMode::kPersistentRecursive);
  EXPECT_TRUE(watches.remove("/a", WatcherType::kAny, 1));
  EXPECT_FALSE(watches.has("/a", WatcherType::kAny, 1));
  EXPECT_TRUE(watches.trigger(event(EventType::kNodeCreated, "/a/b")).empty())
      << "the recursive watch outlived its removal";
  EXPECT_EQ(watches.counts().watches, 0u);
  EXPECT_EQ(watches.counts().watchers, 0u);
}

TEST(WatchManager, AClosedSessionLosesEveryWatch) {
  WatchManager watches;
  watches.add_data_watch("/a", 1);
  watches.add_persistent_watch("/", 1, AddWatchMode::kPersistentRecursive);
  watches.add_child_watch("/a", 2);
  watches.remove_watcher(1);
  EXPECT_EQ(who(watches.trigger(event(EventType::kNodeDeleted, "/a"))), std::vector<WatcherId>{2});
  const WatchCounts counts = watches.counts();
  EXPECT_EQ(counts.watches, 0u);
  EXPECT_EQ(counts.paths, 0u);
}

TEST(WatchManager, CountsAndListingsForTheFourLetterWords) {
  WatchManager watches;
  watches.add_data_watch("/a", 1);
  watches.add_child_watch("/a", 2);
  watches.add_data_watch("/b", 2);
  const WatchCounts counts = watches.counts();
  EXPECT_EQ(counts.watches, 3u);
  EXPECT_EQ(counts.paths, 2u);
  EXPECT_EQ(counts.watchers, 2u);
  EXPECT_EQ(watches.paths_by_watcher()[2], (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(watches.watchers_by_path()["/a"], (std::vector<WatcherId>{1, 2}));
}

}  // namespace
}  // namespace warden::store
