#include "store/rocks_record_pipe.h"

#include <utility>

namespace warden::store {

void RecordBatch::add(std::string_view key, std::string_view payload) {
  records_.push_back(Record{bytes_.size(), key.size(), payload.size()});
  bytes_.append(key);
  bytes_.append(payload);
}

std::string_view RecordBatch::key(size_t i) const {
  const Record& record = records_[i];
  return std::string_view(bytes_).substr(record.offset, record.key_size);
}

std::string_view RecordBatch::payload(size_t i) const {
  const Record& record = records_[i];
  return std::string_view(bytes_).substr(record.offset + record.key_size, record.payload_size);
}

void RecordBatch::clear() {
  bytes_.clear();
  records_.clear();
}

RecordBatch RecordPipe::take_empty() {
  std::lock_guard lock(mutex_);
  if (unused_.empty()) return RecordBatch{};
  RecordBatch batch = std::move(unused_.back());
  unused_.pop_back();
  return batch;
}

bool RecordPipe::push(RecordBatch&& batch, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait(lock, stop, [&] { return full_.size() < kQueuedBatches; })) return false;
  full_.push_back(std::move(batch));
  changed_.notify_all();
  return true;
}

void RecordPipe::finish(StorageStatus status) {
  std::lock_guard lock(mutex_);
  finished_ = true;
  status_ = std::move(status);
  changed_.notify_all();
}

bool RecordPipe::pop(RecordBatch* batch) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !full_.empty() || finished_; });
  if (full_.empty()) return false;
  *batch = std::move(full_.front());
  full_.pop_front();
  changed_.notify_all();
  return true;
}

void RecordPipe::give_back(RecordBatch&& batch) {
  batch.clear();
  std::lock_guard lock(mutex_);
  unused_.push_back(std::move(batch));
}

StorageStatus RecordPipe::status() {
  std::lock_guard lock(mutex_);
  return status_;
}

}  // namespace warden::store
