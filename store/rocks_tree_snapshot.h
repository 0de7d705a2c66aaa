// Streaming a node's tree to a lagging or new node while the sender keeps
// serving: TreeSnapshotReader cuts a consistent view of the tree (a RocksDB
// snapshot, with the applied index/zxid of that same view) into chunks
// (store/rocks_tree_chunk.h); TreeChunkWriter, on the receiver, verifies each
// chunk and stages its records beside the live tree, and only when the last
// chunk has arrived replaces the tree, the applied position and the whole log
// in one synced write. A crash or a broken stream part-way leaves the
// receiver's tree as it was; a new stream starts over.
//
// Each object belongs to one thread at a time and must not outlive the
// RocksStorage it reads or writes. One TreeChunkWriter per storage at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/rocks_status.h"
#include "store/rocks_storage.h"
#include "store/rocks_write_batch.h"

namespace rocksdb {
class Iterator;
class Snapshot;
struct ReadOptions;
}  // namespace rocksdb

namespace warden::store {

class TreeSnapshotReader {
 public:
  ~TreeSnapshotReader();
  TreeSnapshotReader(const TreeSnapshotReader&) = delete;
  TreeSnapshotReader& operator=(const TreeSnapshotReader&) = delete;

  // What the tree in this view has applied; the receiver's log restarts there.
  const LogPosition& position() const { return position_; }

  // The next chunk: records in key order, the chunk at most `max_bytes` plus
  // a 30-byte trailer (or one record, if that alone is larger). `*done` is set
  // with the last chunk; an empty tree is one empty chunk. Every record is
  // verified before it is sent.
  StorageStatus next_chunk(size_t max_bytes, std::string* chunk, bool* done);

 private:
  friend class RocksStorage;
  explicit TreeSnapshotReader(const RocksStorage* storage);

  const RocksStorage* storage_;
  const rocksdb::Snapshot* snapshot_;
  std::unique_ptr<rocksdb::ReadOptions> read_options_;
  std::unique_ptr<rocksdb::Iterator> iterator_;
  LogPosition position_;
  StorageStatus open_status_;  // reading the applied position can fail
  uint32_t next_sequence_ = 0;
  bool done_ = false;
};

class TreeChunkWriter {
 public:
  explicit TreeChunkWriter(RocksStorage* storage) : storage_(storage) {}

  // Chunks must come in order from one snapshot; the first one discards
  // whatever an abandoned earlier stream staged.
  StorageStatus apply(std::string_view chunk);
  bool complete() const { return complete_; }
  const LogPosition& position() const { return position_; }
  // After the last chunk: makes the staged tree the node's tree, applied
  // through position(), with the log emptied to restart after it.
  StorageStatus finish();

 private:
  RocksStorage* storage_;
  LogPosition position_;
  uint32_t next_sequence_ = 0;
  bool complete_ = false;
};

}  // namespace warden::store
