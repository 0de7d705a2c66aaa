// Writing to a node's storage: turning WriteBatches into one atomic RocksDB
// write (checking that none of them would break the log's shape), log
// compaction, and getting going again after a full disk.
#include <rocksdb/db.h>
#include <rocksdb/experimental.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <limits>

#include "store/rocks_codec.h"
#include "store/rocks_storage.h"

namespace warden::store {
namespace {

namespace codec = rocks_codec;

const std::string& log_end_key() {
  static const std::string key = codec::log_key(std::numeric_limits<consensus::LogIndex>::max());
  return key;
}

std::string index_text(consensus::LogIndex index) {
  return "index " + std::to_string(index);
}

StorageStatus check_entries(const std::vector<consensus::Entry>& entries,
                            consensus::LogIndex last_index) {
  if (entries.empty()) return StorageStatus::ok();
  if (entries[0].index != last_index + 1) {
    return StorageStatus::invalid_argument("entries start at " + index_text(entries[0].index) +
                                           " but the log ends at " + index_text(last_index) +
                                           "; the log must stay dense");
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const consensus::Entry& entry = entries[i];
    if (entry.type != consensus::EntryType::kData &&
        entry.type != consensus::EntryType::kNewEpoch) {
      return StorageStatus::invalid_argument("entry at " + index_text(entry.index) +
                                             " has an unknown type");
    }
    if (i == 0) continue;
    if (entry.index != entries[i - 1].index + 1 || entry.zxid <= entries[i - 1].zxid) {
      return StorageStatus::invalid_argument("entry at " + index_text(entry.index) +
                                             " does not follow the one before it in index and "
                                             "zxid");
    }
  }
  return StorageStatus::ok();
}

}  // namespace

struct RocksStorage::Group {
  LogShape shape;
  std::optional<std::string> max_tree_key;  // the largest tree key this group puts
  rocksdb::WriteBatch batch;
};

StorageStatus RocksStorage::write(const WriteBatch& batch) {
  const WriteBatch* const batches[] = {&batch};
  return write_group(batches)[0];
}

std::vector<StorageStatus> RocksStorage::write_group(std::span<const WriteBatch* const> batches) {
  std::vector<StorageStatus> results(batches.size());
  std::vector<size_t> included;
  std::lock_guard lock(write_mutex_);
  Group group{shape_, std::nullopt, rocksdb::WriteBatch()};
  for (size_t i = 0; i < batches.size(); ++i) {
    const LogShape shape_before = group.shape;
    const std::optional<std::string> max_tree_key_before = group.max_tree_key;
    group.batch.SetSavePoint();
    results[i] = add_to_group(*batches[i], &group);
    if (results[i].is_ok()) {
      group.batch.PopSavePoint().PermitUncheckedError();
      included.push_back(i);
      continue;
    }
    group.batch.RollbackToSavePoint().PermitUncheckedError();
    group.shape = shape_before;
    group.max_tree_key = max_tree_key_before;
  }
  if (included.empty()) return results;
  const StorageStatus status =
      commit_locked(&group.batch, options_.sync_writes,
                    "writing " + std::to_string(included.size()) + " batch(es)");
  for (size_t i : included) results[i] = status;
  if (status.is_ok()) set_shape_locked(group.shape);
  return results;
}

StorageStatus RocksStorage::add_to_group(const WriteBatch& batch, Group* group) {
  if (batch.hard_state) {
    group->batch.Put(
        cf(kMetaCf), codec::kHardStateKey,
        codec::seal(codec::kHardStateKey, codec::encode_hard_state(*batch.hard_state)));
  }
  StorageStatus status = add_log_changes(batch, group);
  if (status.is_ok()) status = add_tree_changes(batch, group);
  if (!status.is_ok()) return status;
  if (batch.applied) {
    group->batch.Put(cf(kMetaCf), codec::kAppliedKey,
                     codec::seal(codec::kAppliedKey, codec::encode_position(*batch.applied)));
    group->shape.applied = *batch.applied;
  }
  if (group->shape.applied.index < group->shape.snapshot.index) {
    return StorageStatus::invalid_argument(
        "the tree would be applied only through " + index_text(group->shape.applied.index) +
        ", below the snapshot at " + index_text(group->shape.snapshot.index) +
        "; set `applied` with the snapshot");
  }
  return StorageStatus::ok();
}

StorageStatus RocksStorage::add_log_changes(const WriteBatch& batch, Group* group) {
  StorageStatus status = batch.snapshot ? add_snapshot(*batch.snapshot, group) : StorageStatus();
  std::optional<consensus::LogIndex> truncate_from = batch.truncate_from;
  if (!batch.entries.empty()) {
    truncate_from =
        std::min(truncate_from.value_or(batch.entries[0].index), batch.entries[0].index);
  }
  if (status.is_ok() && truncate_from) status = add_truncation(*truncate_from, group);
  if (!status.is_ok()) return status;
  LogShape& shape = group->shape;
  status = check_entries(batch.entries, shape.last_index);
  if (!status.is_ok()) return status;
  for (const consensus::Entry& entry : batch.entries) {
    group->batch.Put(cf(kLogCf), codec::log_key(entry.index), codec::encode_log_value(entry));
  }
  if (!batch.entries.empty()) shape.last_index = batch.entries.back().index;
  return StorageStatus::ok();
}

StorageStatus RocksStorage::add_snapshot(const LogPosition& snapshot, Group* group) {
  LogShape& shape = group->shape;
  if (snapshot.index < shape.snapshot.index) {
    return StorageStatus::invalid_argument("snapshot at " + index_text(snapshot.index) +
                                           " is older than the stored one at " +
                                           index_text(shape.snapshot.index));
  }
  if (shape.last_index > shape.snapshot.index) {  // the snapshot replaces the whole log
    group->batch.DeleteRange(cf(kLogCf), codec::log_key(0), log_end_key());
  }
  group->batch.Put(cf(kMetaCf), codec::kSnapshotKey,
                   codec::seal(codec::kSnapshotKey, codec::encode_position(snapshot)));
  shape.snapshot = snapshot;
  shape.last_index = snapshot.index;
  return StorageStatus::ok();
}

StorageStatus RocksStorage::add_truncation(consensus::LogIndex from, Group* group) {
  LogShape& shape = group->shape;
  if (from <= shape.snapshot.index) {
    return StorageStatus::invalid_argument("cannot rewrite the log from " + index_text(from) +
                                           ": the snapshot covers up to " +
                                           index_text(shape.snapshot.index));
  }
  if (from > shape.last_index) return StorageStatus::ok();  // nothing stored there
  if (from <= shape.applied.index) {
    return StorageStatus::invalid_argument("cannot truncate the log from " + index_text(from) +
                                           ": the tree has applied it through " +
                                           index_text(shape.applied.index));
  }
  group->batch.DeleteRange(cf(kLogCf), codec::log_key(from), log_end_key());
  shape.last_index = from - 1;
  return StorageStatus::ok();
}

StorageStatus RocksStorage::add_tree_changes(const WriteBatch& batch, Group* group) {
  if (batch.clear_tree) {
    const std::string* pending = group->max_tree_key ? &*group->max_tree_key : nullptr;
    StorageStatus status = clear_cf(kTreeCf, pending, &group->batch);
    if (!status.is_ok()) return status;
  }
  for (const auto& [key, payload] : batch.tree_changes) {
    if (!payload) {
      group->batch.Delete(cf(kTreeCf), key);
      continue;
    }
    group->batch.Put(cf(kTreeCf), key, codec::seal(key, *payload));
    if (!group->max_tree_key || key > *group->max_tree_key) group->max_tree_key = key;
  }
  return StorageStatus::ok();
}

// Tree keys are arbitrary bytes, so there is no fixed "end of keys" for
// DeleteRange; the largest key present (or about to be) bounds the range.
StorageStatus RocksStorage::clear_cf(ColumnFamily which, const std::string* max_pending_key,
                                     rocksdb::WriteBatch* batch) {
  std::string last;
  bool found = false;
  StorageStatus status = last_key(which, &last, &found);
  if (!status.is_ok()) return status;
  if (max_pending_key && (!found || *max_pending_key > last)) {
    last = *max_pending_key;
    found = true;
  }
  if (!found) return StorageStatus::ok();
  batch->DeleteRange(cf(which), std::string(), last + '\0');
  return StorageStatus::ok();
}

StorageStatus RocksStorage::commit_locked(rocksdb::WriteBatch* batch, bool sync,
                                          std::string_view what) {
  if (needs_resume_) {
    // An earlier write failed (a full disk, say) and RocksDB stopped writing;
    // Resume() flushes what it holds to a fresh WAL and lets writes through.
    const rocksdb::Status resumed = db_->Resume();
    if (!resumed.ok()) {
      return from_rocks(resumed, "resuming writes after an earlier failure in " + options_.dir);
    }
    needs_resume_ = false;
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  const rocksdb::Status status = db_->Write(write_options, batch);
  if (status.ok()) return StorageStatus::ok();
  needs_resume_ = true;
  StorageStatus mapped = from_rocks(status, std::string(what) + " in " + options_.dir);
  if (mapped.code() != StorageCode::kNoSpace) return mapped;
  return {StorageCode::kNoSpace,
          "no space left on the device holding " + options_.dir +
              "; this write is not stored, earlier ones are unharmed, and the next write retries "
              "once space is freed (" +
              mapped.message() + ")"};
}

StorageStatus RocksStorage::compact_log(consensus::LogIndex through_index) {
  std::unique_lock lock(write_mutex_);
  if (through_index <= shape_.snapshot.index) return StorageStatus::ok();
  if (through_index > shape_.applied.index) {
    return StorageStatus::invalid_argument(
        "cannot compact the log through " + index_text(through_index) +
        ": the tree has applied it only through " + index_text(shape_.applied.index));
  }
  consensus::Entry last_dropped;
  StorageStatus status = read_entry(rocksdb::ReadOptions(), through_index, &last_dropped);
  if (!status.is_ok()) return status;
  const LogPosition snapshot{through_index, last_dropped.zxid};
  rocksdb::WriteBatch batch;
  const std::string end = codec::log_key(through_index + 1);
  batch.DeleteRange(cf(kLogCf), codec::log_key(0), end);
  batch.Put(cf(kMetaCf), codec::kSnapshotKey,
            codec::seal(codec::kSnapshotKey, codec::encode_position(snapshot)));
  // Not synced: a crash that loses it leaves the log longer than needed,
  // which is still consistent (the tree on disk covers the dropped entries
  // either way), and the next synced write makes it durable with itself.
  status = commit_locked(&batch, /*sync=*/false,
                         "compacting the log through " + index_text(through_index));
  if (!status.is_ok()) return status;
  LogShape compacted = shape_;
  compacted.snapshot = snapshot;
  set_shape_locked(compacted);
  lock.unlock();
  // A hint only: RocksDB drops the covered files when it gets to them.
  const rocksdb::Slice end_slice(end);
  rocksdb::experimental::SuggestCompactRange(db_.get(), cf(kLogCf), nullptr, &end_slice)
      .PermitUncheckedError();
  return StorageStatus::ok();
}

}  // namespace warden::store
