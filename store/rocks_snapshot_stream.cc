#include "store/rocks_snapshot_stream.h"

#include <algorithm>

namespace warden::store {

// One image: a TreeSnapshotReader's chunks, concatenated, of which only the
// bytes from the last requested offset on are kept. The core asks for
// increasing offsets (the follower confirms what it has); an offset before
// what was dropped means the follower lost its staging, and then a fresh image
// is cheaper than keeping every byte.
class RocksImage final : public consensus::SnapshotImage {
 public:
  RocksImage(RocksImageSource* source, std::unique_ptr<TreeSnapshotReader> reader)
      : source_(source), reader_(std::move(reader)) {}

  consensus::LogIndex last_index() const override { return reader_->position().index; }
  consensus::Zxid last_zxid() const override { return reader_->position().zxid; }

  bool read(uint64_t offset, size_t max_bytes, std::string* out, bool* last) override {
    if (offset < buffer_start_) return false;
    const uint64_t skip = std::min<uint64_t>(offset - buffer_start_, buffer_.size());
    buffer_.erase(0, skip);
    buffer_start_ += skip;
    max_bytes = std::max<size_t>(1, max_bytes);
    while (buffer_start_ + buffer_.size() < offset + max_bytes && !reader_done_) {
      if (!pull_chunk()) return false;
    }
    if (offset > buffer_start_ + buffer_.size()) return false;  // past the end
    *out = buffer_.substr(offset - buffer_start_, max_bytes);
    *last = reader_done_ && offset + out->size() == buffer_start_ + buffer_.size();
    return true;
  }

 private:
  bool pull_chunk() {
    std::string chunk;
    StorageStatus status = reader_->next_chunk(source_->tree_chunk_bytes_, &chunk, &reader_done_);
    if (!status.is_ok()) {
      source_->last_error_ = status;
      return false;
    }
    buffer_ += chunk;
    return true;
  }

  RocksImageSource* source_;
  std::unique_ptr<TreeSnapshotReader> reader_;
  std::string buffer_;  // bytes [buffer_start_, buffer_start_ + size) of the image
  uint64_t buffer_start_ = 0;
  bool reader_done_ = false;
};

std::shared_ptr<consensus::SnapshotImage> RocksImageSource::open_image() {
  std::unique_ptr<TreeSnapshotReader> reader = storage_->open_tree_snapshot();
  if (reader->position().index == 0) return nullptr;
  return std::make_shared<RocksImage>(this, std::move(reader));
}

void RocksImageStager::add(const consensus::SnapshotChunk& chunk) {
  if (chunk.offset == 0) {
    reset();
    receiving_ = LogPosition{chunk.last_index, chunk.last_zxid};
  }
  if (!broken_) pending_ += chunk.data;
}

StorageStatus RocksImageStager::flush() {
  if (broken_) return StorageStatus::ok();  // install() reports it
  for (size_t length = tree_chunk_length(pending_); length > 0;
       length = tree_chunk_length(pending_)) {
    StorageStatus status = writer_.apply(std::string_view(pending_).substr(0, length));
    if (status.code() == StorageCode::kNoSpace || status.code() == StorageCode::kIoError) {
      return status;  // the bytes stay; a retry stages them
    }
    pending_.erase(0, length);
    if (!status.is_ok()) {
      broken_ = true;  // bytes that do not parse or do not follow on
      return status;
    }
  }
  return StorageStatus::ok();
}

StorageStatus RocksImageStager::install(const LogPosition& position) {
  if (broken_ || !writer_.complete() || !pending_.empty() || position != receiving_ ||
      writer_.position() != position) {
    reset();
    return StorageStatus::corruption("snapshot stream for index " + std::to_string(position.index) +
                                     " ended incomplete or did not match its chunks");
  }
  StorageStatus status = writer_.finish();
  reset();
  return status;
}

void RocksImageStager::reset() {
  writer_ = TreeChunkWriter(storage_);
  pending_.clear();
  receiving_ = LogPosition{};
  broken_ = false;
}

}  // namespace warden::store
