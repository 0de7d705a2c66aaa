#include "store/rocks_tree_snapshot.h"

#include <rocksdb/db.h>

#include "store/rocks_codec.h"
#include "store/rocks_tree_chunk.h"

namespace warden::store {

TreeSnapshotReader::TreeSnapshotReader(const RocksStorage* storage)
    : storage_(storage),
      snapshot_(storage->db_->GetSnapshot()),
      read_options_(std::make_unique<rocksdb::ReadOptions>()) {
  read_options_->snapshot = snapshot_;
  read_options_->verify_checksums = true;
  read_options_->fill_cache = false;  // a one-off scan should not evict the hot set
  open_status_ = storage->read_meta_position(*read_options_, rocks_codec::kAppliedKey, &position_);
  iterator_.reset(storage->db_->NewIterator(*read_options_, storage->cf(RocksStorage::kTreeCf)));
  iterator_->SeekToFirst();
}

TreeSnapshotReader::~TreeSnapshotReader() {
  iterator_.reset();  // RocksDB wants iterators gone before their snapshot
  storage_->db_->ReleaseSnapshot(snapshot_);
}

StorageStatus TreeSnapshotReader::next_chunk(size_t max_bytes, std::string* chunk, bool* done) {
  *done = false;
  if (!open_status_.is_ok()) return open_status_;
  if (done_)
    return StorageStatus::invalid_argument("the tree snapshot was already read to its end");
  TreeChunkBuilder builder(chunk);
  for (; iterator_->Valid(); iterator_->Next()) {
    const std::string_view key = iterator_->key().ToStringView();
    std::string_view payload;
    if (!rocks_codec::unseal(key, iterator_->value().ToStringView(), &payload)) {
      return storage_->corrupt_record(RocksStorage::kTreeCf, key, "checksum mismatch");
    }
    const size_t framed = TreeChunkBuilder::framed_bytes(key, payload);
    if (builder.record_count() > 0 && builder.size_bytes() + framed > max_bytes) break;
    builder.add(key, payload);
  }
  if (!iterator_->status().ok()) {
    return from_rocks(iterator_->status(), "reading the tree snapshot of " + storage_->dir());
  }
  done_ = !iterator_->Valid();
  builder.finish(TreeChunkTrailer{next_sequence_++, position_, 0, done_});
  *done = done_;
  return StorageStatus::ok();
}

StorageStatus TreeChunkWriter::apply(std::string_view chunk) {
  if (complete_) {
    return StorageStatus::invalid_argument("the tree snapshot already had its last chunk");
  }
  TreeChunkTrailer trailer;
  std::vector<TreeRecordView> records;
  StorageStatus status = parse_tree_chunk(chunk, &trailer, &records);
  if (!status.is_ok()) return status;
  if (trailer.sequence != next_sequence_) {
    return StorageStatus::invalid_argument("expected tree snapshot chunk " +
                                           std::to_string(next_sequence_) + ", got chunk " +
                                           std::to_string(trailer.sequence));
  }
  if (next_sequence_ > 0 && trailer.position != position_) {
    return StorageStatus::invalid_argument("tree snapshot chunk belongs to the snapshot at index " +
                                           std::to_string(trailer.position.index) +
                                           ", not the one at index " +
                                           std::to_string(position_.index) + " being received");
  }
  status = storage_->stage_tree_records(next_sequence_ == 0, records);
  if (!status.is_ok()) return status;
  position_ = trailer.position;
  ++next_sequence_;
  complete_ = trailer.last;
  return StorageStatus::ok();
}

StorageStatus TreeChunkWriter::finish() {
  if (!complete_) {
    return StorageStatus::invalid_argument(
        "the tree snapshot is incomplete: " + std::to_string(next_sequence_) +
        " chunk(s) received, none of them the last");
  }
  return storage_->install_staged_tree(position_);
}

}  // namespace warden::store
