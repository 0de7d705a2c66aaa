// The receiving half of a tree snapshot: staging chunks beside the live tree
// and installing them in one write (see store/rocks_tree_snapshot.h).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <limits>

#include "store/rocks_codec.h"
#include "store/rocks_storage.h"

namespace warden::store {

namespace codec = rocks_codec;

StorageStatus RocksStorage::stage_tree_records(bool first_chunk,
                                               std::span<const TreeRecordView> records) {
  std::lock_guard lock(write_mutex_);
  rocksdb::WriteBatch batch;
  if (first_chunk) {
    StorageStatus status = clear_cf(kStagingCf, nullptr, &batch);
    if (!status.is_ok()) return status;
  }
  for (const TreeRecordView& record : records) {
    batch.Put(cf(kStagingCf), record.key, codec::seal(record.key, record.payload));
  }
  // Unsynced: a crash loses only a stream that starts over anyway; the
  // install's synced write makes the staged records durable with it.
  return commit_locked(&batch, /*sync=*/false, "staging tree snapshot records");
}

// The whole tree goes into one write, so installing it needs memory for a
// copy of it; ZooKeeper trees are small enough for that.
StorageStatus RocksStorage::copy_staged_tree(rocksdb::WriteBatch* batch) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(kStagingCf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view payload;
    if (!codec::unseal(it->key().ToStringView(), it->value().ToStringView(), &payload)) {
      return corrupt_record(kStagingCf, it->key().ToStringView(), "checksum mismatch");
    }
    batch->Put(cf(kTreeCf), it->key(), it->value());  // the seal does not depend on the CF
  }
  if (it->status().ok()) return StorageStatus::ok();
  return from_rocks(it->status(), "reading the staged tree snapshot in " + options_.dir);
}

StorageStatus RocksStorage::install_staged_tree(const LogPosition& position) {
  std::lock_guard lock(write_mutex_);
  if (position.index < shape_.snapshot.index) {
    return StorageStatus::invalid_argument(
        "tree snapshot at index " + std::to_string(position.index) +
        " is older than the stored snapshot at index " + std::to_string(shape_.snapshot.index));
  }
  rocksdb::WriteBatch batch;
  StorageStatus status = clear_cf(kTreeCf, nullptr, &batch);
  if (status.is_ok()) status = copy_staged_tree(&batch);
  if (status.is_ok()) status = clear_cf(kStagingCf, nullptr, &batch);
  if (!status.is_ok()) return status;
  const std::string log_end = codec::log_key(std::numeric_limits<consensus::LogIndex>::max());
  batch.DeleteRange(cf(kLogCf), codec::log_key(0), log_end);
  const std::string body = codec::encode_position(position);
  batch.Put(cf(kMetaCf), codec::kSnapshotKey, codec::seal(codec::kSnapshotKey, body));
  batch.Put(cf(kMetaCf), codec::kAppliedKey, codec::seal(codec::kAppliedKey, body));
  status = commit_locked(&batch, options_.sync_writes, "installing a tree snapshot");
  if (status.is_ok()) set_shape_locked(LogShape{position, position.index, position});
  return status;
}

}  // namespace warden::store
