#include "store/rocks_replica.h"

#include <cassert>
#include <iterator>
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
  const WriteBatch* batch = nullptr;
  ReplicaOutput now;
  StorageStatus status = start_step(&batch, &now);
  if (status.is_ok() && batch != nullptr) {
    status = finish_step(batch->empty() ? StorageStatus::ok() : storage_->write(*batch), out);
  }
  out->messages.insert(out->messages.begin(), std::make_move_iterator(now.messages.begin()),
                       std::make_move_iterator(now.messages.end()));
  out->applied = std::move(now.applied);
  out->state_replaced = now.state_replaced;
  return status;
}

StorageStatus DurableReplica::start_step(const WriteBatch** batch, ReplicaOutput* now) {
  *batch = nullptr;
  *now = ReplicaOutput();
  if (!pending_) {
    if (!node_->has_ready()) return StorageStatus::ok();
    pending_ = node_->ready();
    chunks_staged_ = 0;
    before_image_.reset();
    before_image_written_ = false;
    image_installed_ = false;
    applied_early_ = false;
    batch_.reset();
  }
  now->messages = std::move(pending_->early_messages);
  pending_->early_messages.clear();
  StorageStatus status = prepare_writes(*pending_);
  if (!status.is_ok()) return status;
  *batch = &*batch_;
  // Committed entries are on a quorum's disks already: applying them (and
  // answering their clients) need not wait for this node's write of newer
  // ones. An image they follow was installed by prepare_writes.
  if (!applied_early_) {
    applied_early_ = true;
    now->state_replaced = pending_->snapshot.has_value();
    for (const consensus::Entry& entry : pending_->committed) apply(entry, now);
  }
  return status;
}

StorageStatus DurableReplica::finish_step(const StorageStatus& write_status, ReplicaOutput* out) {
  *out = ReplicaOutput();
  assert(pending_ && batch_ && applied_early_);
  if (!write_status.is_ok()) return write_status;  // the same batch is written again
  consensus::Ready ready = std::move(*pending_);
  pending_.reset();
  batch_.reset();
  out->messages = std::move(ready.messages);
  out->read_states = std::move(ready.read_states);
  out->forwarded = std::move(ready.forwarded);
  node_->advance(ready);
  maybe_compact();
  return StorageStatus::ok();
}

StorageStatus DurableReplica::flush_applied() {
  assert(!pending_);
  if (durable_tree_->pending_changes() == 0 && storage_->applied() == applied_) {
    return StorageStatus::ok();
  }
  WriteBatch batch;
  durable_tree_->take_changes(applied_, batch);
  return storage_->write(batch);
}

// Leaves in batch_ the write that completes the Ready. Each part before it
// happens once even when something fails and the whole is retried: staged
// chunks are counted, an installed image is remembered, and batch_ is built
// once and kept until written.
StorageStatus DurableReplica::prepare_writes(const consensus::Ready& ready) {
  if (batch_) return StorageStatus::ok();
  for (; chunks_staged_ < ready.snapshot_chunks.size(); ++chunks_staged_) {
    stager_->add(ready.snapshot_chunks[chunks_staged_]);
  }
  StorageStatus status = stager_->flush();
  if (!status.is_ok()) return status;

  if (!before_image_) {
    before_image_.emplace();
    before_image_->hard_state = ready.hard_state;
    // The tree records only spare a restart some replay (the log holds every
    // entry past what they reflect), so they ride along with a write the
    // Ready makes anyway instead of costing a synced write of their own (a
    // Ready that only applies, sends or answers writes nothing), and only
    // once the checkpoint is due: until then a record changed again is
    // written once.
    const bool writes_anyway = ready.hard_state || ready.snapshot || !ready.entries.empty() ||
                               !ready.snapshot_chunks.empty();
    // A compaction waits for the tree on disk (maybe_compact), so one that is
    // due makes the checkpoint due as well.
    const bool checkpoint_due =
        applied_.index >= storage_->applied().index + options_.tree_checkpoint_entries ||
        applied_.index >= node_->snapshot().last_index + options_.compact_every_entries;
    if ((writes_anyway && checkpoint_due) ||
        durable_tree_->pending_changes() >= options_.max_deferred_tree_changes ||
        durable_tree_->pending_bytes() >= options_.max_deferred_tree_bytes) {
      durable_tree_->take_changes(applied_, *before_image_);
    }
  }
  WriteBatch main;
  if (!ready.snapshot) {
    main = std::move(*before_image_);
  } else if (!image_installed_) {
    // The tree changes of earlier applies belong to the state the image
    // replaces, so they are written before it; the entries follow it.
    if (!before_image_written_) {
      status = storage_->write(*before_image_);
      if (!status.is_ok()) return status;
      before_image_written_ = true;
    }
    status = install_image(*ready.snapshot);
    if (!status.is_ok()) return status;
    image_installed_ = true;
  }
  if (!ready.entries.empty()) {
    main.truncate_from = ready.entries.front().index;
    main.entries = ready.entries;
  }
  batch_ = std::move(main);
  return StorageStatus::ok();
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
  ++log_compactions_;
  if (durable.index <= options_.retain_entries) return;
  const consensus::LogIndex through = durable.index - options_.retain_entries;
  if (through > storage_->snapshot().index) storage_->compact_log(through);
}

}  // namespace warden::store
