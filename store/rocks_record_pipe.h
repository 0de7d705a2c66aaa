// RecordPipe: carries verified tree records from the thread that reads them
// (RocksDB iteration and the CRC check of each record) to the thread that
// applies them, so that a recovery keeps two cores busy instead of one.
// Records travel as copies (RocksDB's views end at the iterator's next step)
// in batches, through a queue of a few batches: the reader runs at most that
// far ahead, so memory stays small whatever the tree's size, and batches are
// reused, so their buffers are allocated once.
//
// For RocksStorage::read_tree: one reader thread, one applier thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "store/rocks_status.h"

namespace warden::store {

// Records stored back to back in one buffer.
class RecordBatch {
 public:
  void add(std::string_view key, std::string_view payload);
  size_t size() const { return records_.size(); }
  size_t bytes() const { return bytes_.size(); }
  std::string_view key(size_t i) const;
  std::string_view payload(size_t i) const;
  // Empties the batch and keeps its buffers.
  void clear();

 private:
  struct Record {
    size_t offset = 0;  // of the key; the payload follows it
    size_t key_size = 0;
    size_t payload_size = 0;
  };
  std::string bytes_;
  std::vector<Record> records_;
};

class RecordPipe {
 public:
  // A batch worth handing over.
  static constexpr size_t kBatchBytes = 128 << 10;

  // Reader side. An empty batch to fill: a used one if the applier gave one
  // back.
  RecordBatch take_empty();
  // Queues `batch`, waiting while the queue is full. False if `stop` was
  // requested meanwhile: nobody will take it, stop reading.
  bool push(RecordBatch&& batch, std::stop_token stop);
  // No more batches; `status` is how the reading ended.
  void finish(StorageStatus status);

  // Applier side. The next batch, in order; false once the reader has
  // finished and every batch is taken.
  bool pop(RecordBatch* batch);
  void give_back(RecordBatch&& batch);
  // How the reading ended, once pop() has returned false.
  StorageStatus status();

 private:
  static constexpr size_t kQueuedBatches = 4;

  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::deque<RecordBatch> full_;     // guarded by mutex_
  std::vector<RecordBatch> unused_;  // guarded by mutex_
  bool finished_ = false;            // guarded by mutex_
  StorageStatus status_;             // guarded by mutex_
};

}  // namespace warden::store
