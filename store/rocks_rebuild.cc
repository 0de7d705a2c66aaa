#include "store/rocks_rebuild.h"

#include <filesystem>
#include <memory>
#include <system_error>

namespace warden::store {
namespace {

// "<dir>.damaged", or "<dir>.damaged.<n>" if earlier rebuilds left those.
std::string free_damaged_name(const std::string& dir) {
  std::string candidate = dir + ".damaged";
  for (int n = 1; std::filesystem::exists(candidate); ++n) {
    candidate = dir + ".damaged." + std::to_string(n);
  }
  return candidate;
}

}  // namespace

StorageStatus rebuild_from_peers(const RocksStorageOptions& options, RebuildReport* report) {
  *report = RebuildReport{};
  {
    RocksStorageOptions existing = options;
    existing.create_if_missing = false;
    std::unique_ptr<RocksStorage> damaged;
    StorageStatus status = RocksStorage::open(existing, &damaged);
    if (!status.is_ok()) return status;
    status = damaged->read_hard_state(&report->before);
    if (!status.is_ok()) {
      return StorageStatus::corruption(
          "cannot rebuild " + options.dir + " from its peers: its hard state does not verify (" +
          status.to_string() + "), so the epochs it voted in are unknown");
    }
  }
  report->damaged_dir = free_damaged_name(options.dir);
  std::error_code error;
  std::filesystem::rename(options.dir, report->damaged_dir, error);
  if (error) {
    return StorageStatus(StorageCode::kIoError, "cannot move " + options.dir + " aside to " +
                                                    report->damaged_dir + ": " + error.message());
  }
  RocksStorageOptions fresh_options = options;
  fresh_options.create_if_missing = true;
  std::unique_ptr<RocksStorage> fresh;
  StorageStatus status = RocksStorage::open(fresh_options, &fresh);
  if (!status.is_ok()) return status;
  report->after = consensus::rebuilt_hard_state(report->before);
  WriteBatch batch;
  batch.hard_state = report->after;
  return fresh->write(batch);
}

}  // namespace warden::store
