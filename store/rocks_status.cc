#include "store/rocks_status.h"

#include <rocksdb/status.h>

namespace warden::store {

const char* storage_code_name(StorageCode code) {
  switch (code) {
    case StorageCode::kOk:
      return "OK";
    case StorageCode::kCorruption:
      return "Corruption";
    case StorageCode::kNoSpace:
      return "NoSpace";
    case StorageCode::kIoError:
      return "IoError";
    case StorageCode::kForeignCluster:
      return "ForeignCluster";
    case StorageCode::kNewerFormat:
      return "NewerFormat";
    case StorageCode::kInvalidArgument:
      return "InvalidArgument";
    case StorageCode::kNotFound:
      return "NotFound";
  }
  return "Unknown";
}

std::string StorageStatus::to_string() const {
  if (is_ok()) return "OK";
  return std::string(storage_code_name(code_)) + ": " + message_;
}

namespace {

// Some file systems and RocksDB paths report a full device only in the text.
bool says_no_space(const rocksdb::Status& status) {
  const std::string text = status.ToString();
  return text.find("No space left on device") != std::string::npos ||
         text.find("ENOSPC") != std::string::npos;
}

StorageCode code_of(const rocksdb::Status& status) {
  if (status.ok()) return StorageCode::kOk;
  if (status.IsNoSpace() || (status.IsIOError() && says_no_space(status))) {
    return StorageCode::kNoSpace;
  }
  if (status.IsCorruption()) return StorageCode::kCorruption;
  if (status.IsNotFound()) return StorageCode::kNotFound;
  if (status.IsInvalidArgument()) return StorageCode::kInvalidArgument;
  return StorageCode::kIoError;
}

}  // namespace

StorageStatus from_rocks(const rocksdb::Status& status, std::string_view context) {
  const StorageCode code = code_of(status);
  if (code == StorageCode::kOk) return StorageStatus::ok();
  return StorageStatus(code, std::string(context) + ": " + status.ToString());
}

}  // namespace warden::store
