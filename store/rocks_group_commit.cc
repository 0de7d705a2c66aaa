#include "store/rocks_group_commit.h"

#include <future>

namespace warden::store {

GroupCommitter::GroupCommitter(RocksStorage* storage)
    : storage_(storage), committer_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_one();
  committer_.join();
}

StorageStatus GroupCommitter::commit(WriteBatch batch) {
  std::promise<StorageStatus> result;
  std::future<StorageStatus> done = result.get_future();
  submit(std::move(batch), [&result](const StorageStatus& status) { result.set_value(status); });
  return done.get();
}

void GroupCommitter::submit(WriteBatch batch, Callback on_done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Pending{std::move(batch), std::move(on_done)});
  }
  queued_.notify_one();
}

GroupCommitStats GroupCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void GroupCommitter::run() {
  std::vector<Pending> group;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      group.swap(queue_);
      ++stats_.writes;
      stats_.batches += group.size();
    }
    write_group(&group);
    group.clear();
  }
}

void GroupCommitter::write_group(std::vector<Pending>* group) {
  std::vector<const WriteBatch*> batches;
  batches.reserve(group->size());
  for (const Pending& pending : *group) batches.push_back(&pending.batch);
  const std::vector<StorageStatus> results = storage_->write_group(batches);
  for (size_t i = 0; i < group->size(); ++i) (*group)[i].on_done(results[i]);
}

}  // namespace warden::store
