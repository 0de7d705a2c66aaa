#include "store/rocks_replica.h"

#include <utility>

#include "store/txn.h"

namespace warden::store {

DurableReplica::DurableReplica(const ReplicaOptions& options) : options_(options) {}

DurableReplica::~DurableReplica() = default;

StorageStatus DurableReplica::open(const ReplicaOptions& options,
                                   std::unique_ptr<DurableReplica>* out) {
  std::unique_ptr<DurableReplica> replica(new DurableReplica(options));
  StorageStatus status = RocksStorage::open(options.storage, &replica->storage_);
  if (!status.is_ok()) return status;
  status = replica->recover();
  if (!status.is_ok()) return status;
  *out = std::move(replica);
  return StorageStatus::ok();
}

StorageStatus DurableReplica::recover() {
  durable_tree_ = std::make_unique<DurableTree>(*storage_, state_);
  images_ = std::make_unique<RocksImageSource>(storage_.get(), options_.tree_chunk_bytes);
  stager_ = std::make_unique<RocksImageStager>(storage_.get());
  RecoveredStorage recovered;
  StorageStatus status = durable_tree_->recover(&recovered);
  if (!status.is_ok()) return status;
  applied_ = recovered.applied;
  consensus::PersistentState persistent;
  persistent.hard_state = recovered.hard_state;
  persistent.snapshot = consensus::Snapshot{recovered.snapshot.index, recovered.snapshot.zxid, ""};
  persistent.entries = std::move(recovered.entries);
  consensus::Config config = options_.consensus;
  config.snapshot_source = images_.get();
  node_ = std::make_unique<consensus::Node>(config, persistent);
  if (!node_->invariant_failure().empty()) {
    return StorageStatus::corruption("the log in " + storage_->dir() +
                                     " cannot restart the node: " + node_->invariant_failure());
  }
  return StorageStatus::ok();
}

StorageStatus DurableReplica::step(ReplicaOutput* out) {
  *out = ReplicaOutput();
  if (!pending_) {
    if (!node_->has_ready()) return StorageStatus::ok();
    pending_ = node_->ready();
    chunks_staged_ = 0;
    image_installed_ = false;
    batch_.reset();
  }
  StorageStatus status = persist(*pending_);
  if (!status.is_ok()) return status;
  consensus::Ready ready = std::move(*pending_);
  pending_.reset();

  out->messages = std::move(ready.messages);
  out->state_replaced = ready.snapshot.has_value();
  for (const consensus::Entry& entry : ready.committed) apply(entry, out);
  out->read_states = std::move(ready.read_states);
  out->forwarded = std::move(ready.forwarded);
  node_->advance(ready);
  maybe_compact();
  return StorageStatus::ok();
}

// Each part is written once even when a later part fails and the whole is
// retried: staged chunks are counted, the first batch is kept until written,
// an installed image is remembered.
StorageStatus DurableReplica::persist(const consensus::Ready& ready) {
  for (; chunks_staged_ < ready.snapshot_chunks.size(); ++chunks_staged_) {
    stager_->add(ready.snapshot_chunks[chunks_staged_]);
  }
  StorageStatus status = stager_->flush();
  if (!status.is_ok()) return status;

  // The tree changes of earlier applies belong to the state the image
  // replaces, so they go before it; the entries follow the image.
  const bool has_image = ready.snapshot.has_value();
  if (!batch_) {
    batch_.emplace();
    batch_->hard_state = ready.hard_state;
    durable_tree_->take_changes(applied_, *batch_);
    if (!has_image && !ready.entries.empty()) {
      batch_->truncate_from = ready.entries.front().index;
      batch_->entries = ready.entries;
    }
  }
  if (!batch_->empty()) {
    status = storage_->write(*batch_);
    if (!status.is_ok()) return status;
    *batch_ = WriteBatch();
  }
  if (!has_image) return StorageStatus::ok();
  if (!image_installed_) {
    status = install_image(*ready.snapshot);
    if (!status.is_ok()) return status;
    image_installed_ = true;
  }
  if (ready.entries.empty()) return StorageStatus::ok();
  WriteBatch entries;
  entries.truncate_from = ready.entries.front().index;
  entries.entries = ready.entries;
  return storage_->write(entries);
}

StorageStatus DurableReplica::install_image(const consensus::Snapshot& image) {
  const LogPosition position{image.last_index, image.last_zxid};
  StorageStatus status = stager_->install(position);
  if (!status.is_ok()) return status;
  RecoveredStorage recovered;
  status = durable_tree_->recover(&recovered);
  if (!status.is_ok()) return status;
  applied_ = recovered.applied;
  if (applied_ != position) {
    return StorageStatus::corruption("installed snapshot in " + storage_->dir() +
                                     " is applied through index " + std::to_string(applied_.index) +
                                     ", expected " + std::to_string(position.index));
  }
  return StorageStatus::ok();
}

void DurableReplica::apply(const consensus::Entry& entry, ReplicaOutput* out) {
  if (entry.index <= applied_.index) return;  // the recovered tree already has it
  applied_ = LogPosition{entry.index, entry.zxid};
  if (entry.type != consensus::EntryType::kData) return;
  std::optional<Txn> txn = decode_txn(entry.data);
  if (!txn) {
    // Every replica skips it alike, so the states still agree; the leader's
    // prep made it, so this is a bug worth a count.
    ++undecodable_entries_;
    return;
  }
  out->applied.push_back(state_.apply(*txn, static_cast<int64_t>(entry.zxid)));
}

void DurableReplica::maybe_compact() {
  // Only what the tree on disk reflects may leave the log: that is what an
  // image streamed to a follower, or a restart, starts from.
  const LogPosition durable = storage_->applied();
  if (durable.index < node_->snapshot().last_index + options_.compact_every_entries) return;
  node_->compact(durable.index, options_.retain_entries);
  if (durable.index <= options_.retain_entries) return;
  const consensus::LogIndex through = durable.index - options_.retain_entries;
  if (through > storage_->snapshot().index) storage_->compact_log(through);
}

}  // namespace warden::store
