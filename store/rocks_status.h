// StorageStatus: the outcome of every operation on a node's durable storage
// (store/rocks_*). RocksDB's own statuses are mapped onto these few codes so
// callers can decide what to do (stop serving on kCorruption, retry later on
// kNoSpace, refuse to start on kForeignCluster or kNewerFormat) without seeing
// RocksDB.
//
// Plain value type; anyone may create, copy and inspect one from any thread.
// from_rocks() is for the rocks_* implementation files only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace rocksdb {
class Status;
}

namespace warden::store {

enum class StorageCode : uint8_t {
  kOk,
  kCorruption,       // a checksum or structure check failed; the data is not served
  kNoSpace,          // the device is full; nothing written before is harmed
  kIoError,          // any other failure of the file system or device
  kForeignCluster,   // the directory belongs to another cluster
  kNewerFormat,      // written by a newer Warden; this build must not touch it
  kInvalidArgument,  // a caller bug: the request would break an invariant
  kNotFound,
};

const char* storage_code_name(StorageCode code);

class StorageStatus {
 public:
  StorageStatus() = default;
  StorageStatus(StorageCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static StorageStatus ok() { return {}; }
  static StorageStatus corruption(std::string message) {
    return {StorageCode::kCorruption, std::move(message)};
  }
  static StorageStatus invalid_argument(std::string message) {
    return {StorageCode::kInvalidArgument, std::move(message)};
  }
  static StorageStatus not_found(std::string message) {
    return {StorageCode::kNotFound, std::move(message)};
  }

  bool is_ok() const { return code_ == StorageCode::kOk; }
  StorageCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NoSpace: <message>", or "OK".
  std::string to_string() const;

 private:
  StorageCode code_ = StorageCode::kOk;
  std::string message_;
};

// Maps a RocksDB status, prefixing its text with `context` (what we were
// doing). No space (also an IOError whose text says ENOSPC) → kNoSpace,
// Corruption → kCorruption, other IOErrors → kIoError.
StorageStatus from_rocks(const rocksdb::Status& status, std::string_view context);

}  // namespace warden::store
