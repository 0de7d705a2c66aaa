// Consensus snapshot streams over RocksDB tree snapshots. The consensus core
// sends and receives an image as a run of bytes cut at any offset
// (consensus/snapshot_image.h); on disk, an image is a RocksDB snapshot of
// the tree read as self-delimiting tree chunks (store/rocks_tree_chunk.h).
//
// RocksImageSource (leader side) hands the core images that read a
// RocksDB snapshot lazily: only the bytes around the offset being sent are in
// memory, whatever the tree's size. RocksImageStager (follower side) cuts the
// bytes the core accepted back into tree chunks, stages them beside the live
// tree, and on the last one replaces the tree and the log in one synced write.
//
// Owned by store::DurableReplica; used on its thread only. Both must not
// outlive the RocksStorage they read or write.
#pragma once

#include <memory>
#include <string>

#include "consensus/snapshot_image.h"
#include "store/rocks_storage.h"
#include "store/rocks_tree_snapshot.h"

namespace warden::store {

class RocksImageSource final : public consensus::SnapshotSource {
 public:
  // Tree chunks are cut at `tree_chunk_bytes` (any size works with any
  // consensus chunk size: the stream is cut again at byte offsets).
  RocksImageSource(RocksStorage* storage, size_t tree_chunk_bytes)
      : storage_(storage), tree_chunk_bytes_(tree_chunk_bytes) {}

  // An image of the tree as last written (its applied position), or null if
  // nothing has been applied yet.
  std::shared_ptr<consensus::SnapshotImage> open_image() override;

  // Why the last image stopped serving, if one did (for logs and tests).
  const StorageStatus& last_error() const { return last_error_; }

 private:
  friend class RocksImage;
  RocksStorage* storage_;
  size_t tree_chunk_bytes_;
  StorageStatus last_error_;
};

class RocksImageStager {
 public:
  explicit RocksImageStager(RocksStorage* storage) : storage_(storage), writer_(storage) {}

  // Takes one chunk of the core's byte stream (in order; offset 0 starts a
  // new image). flush() then stages every tree chunk the bytes complete; a
  // failed flush keeps the bytes, so calling it again retries (after a full
  // disk, say).
  void add(const consensus::SnapshotChunk& chunk);
  StorageStatus flush();
  // After the core says the image is complete: makes the staged tree the
  // node's tree and empties the log to restart after `position`, which must
  // be the image's.
  StorageStatus install(const LogPosition& position);
  // Forgets a partly received image (the process restarts it from scratch).
  void reset();

 private:
  RocksStorage* storage_;
  TreeChunkWriter writer_;
  std::string pending_;  // bytes of a tree chunk not yet complete
  LogPosition receiving_;
  bool broken_ = false;  // a chunk failed to stage; only a new image helps
};

}  // namespace warden::store
