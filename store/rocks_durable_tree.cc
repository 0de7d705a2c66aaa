#include "store/rocks_durable_tree.h"

namespace warden::store {

DurableTree::DurableTree(RocksStorage& storage, ZooState& state)
    : storage_(storage), state_(state) {
  state_.set_change_listener([this](const std::string& key) { changed_keys_.insert(key); });
}

DurableTree::~DurableTree() {
  state_.set_change_listener(nullptr);
}

StorageStatus DurableTree::recover(RecoveredStorage* recovered) {
  state_.clear();
  StorageStatus status =
      storage_.load(recovered, [&](std::string_view key, std::string_view payload) {
        if (state_.restore_record(key, payload)) return StorageStatus::ok();
        return StorageStatus::corruption("tree record '" + std::string(key) + "' in " +
                                         storage_.dir() + " does not decode or has no parent");
      });
  changed_keys_.clear();  // what recovery restored is on disk already
  if (status.is_ok()) {
    state_.set_last_applied_zxid(static_cast<int64_t>(recovered->applied.zxid));
  } else {
    state_.clear();
  }
  return status;
}

void DurableTree::take_changes(const LogPosition& applied, WriteBatch& batch) {
  for (const std::string& key : changed_keys_)
    batch.tree_changes.emplace_back(key, state_.record(key));
  changed_keys_.clear();
  batch.applied = applied;
}

}  // namespace warden::store
