#include "store/rocks_durable_tree.h"

namespace warden::store {

DurableTree::DurableTree(RocksStorage& storage, ZooState& state)
    : storage_(storage), state_(state) {
  listen();
}

DurableTree::~DurableTree() {
  state_.set_change_listener(nullptr);
}

void DurableTree::listen() {
  // Most changes are to records noted already (a hot znode): look before
  // copying the key.
  state_.set_change_listener([this](std::string_view key, size_t record_bytes) {
    if (changed_keys_.find(key) != changed_keys_.end()) return;
    changed_keys_.emplace(key);
    pending_bytes_ += key.size() + record_bytes;
  });
}

StorageStatus DurableTree::recover(RecoveredStorage* recovered) {
  // What recovery restores is on disk already, so there is nothing to note;
  // and noting every key of a large tree costs more than restoring it.
  state_.set_change_listener(nullptr);
  StorageStatus status = load(recovered);
  changed_keys_.clear();
  pending_bytes_ = 0;
  listen();
  if (status.is_ok()) {
    state_.set_last_applied_zxid(static_cast<int64_t>(recovered->applied.zxid));
  } else {
    state_.clear();
  }
  return status;
}

// Tree records come in key order, which is what ZooState::Loader needs.
StorageStatus DurableTree::load(RecoveredStorage* recovered) {
  ZooState::Loader loader(state_, storage_.estimated_tree_records());
  return storage_.load(recovered, [&](std::string_view key, std::string_view payload) {
    if (loader.add(key, payload)) return StorageStatus::ok();
    return StorageStatus::corruption("tree record '" + std::string(key) + "' in " + storage_.dir() +
                                     " does not decode or has no parent");
  });
}

void DurableTree::take_changes(const LogPosition& applied, WriteBatch& batch) {
  for (const std::string& key : changed_keys_)
    batch.tree_changes.emplace_back(key, state_.record(key));
  changed_keys_.clear();
  pending_bytes_ = 0;
  batch.applied = applied;
}

}  // namespace warden::store
