// Helper for store_rocks_crash_test: opens a storage directory and writes
// synced batches until it is killed. Each batch appends the next log entry,
// puts a tree record for it and moves the applied position there; once
// write() has returned, the index is printed on its own line (and flushed),
// which is the acknowledgement the test holds the directory to after a
// kill -9. Every 250 entries it also compacts the log, keeping 100.
//
// Usage: store_rocks_crash_writer DIR
#include <cstdio>
#include <memory>
#include <string>

#include "store/rocks_storage.h"
#include "tests/store_rocks_crash_contents.h"

namespace {

using warden::store::RocksStorage;
using warden::store::StorageStatus;

int fail(const char* what, const StorageStatus& status) {
  std::fprintf(stderr, "store_rocks_crash_writer: %s: %s\n", what, status.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  namespace crash = warden::store::crash_contents;
  std::unique_ptr<RocksStorage> storage;
  StorageStatus status = RocksStorage::open(crash::options(argv[1]), &storage);
  if (!status.is_ok()) return fail("open", status);
  for (warden::consensus::LogIndex index = storage->last_log_index() + 1;; ++index) {
    status = storage->write(crash::batch_for(index));
    if (!status.is_ok()) return fail("write", status);
    std::printf("%llu\n", static_cast<unsigned long long>(index));
    std::fflush(stdout);
    if (index % 250 == 0) {
      status = storage->compact_log(index - 100);
      if (!status.is_ok()) return fail("compact", status);
    }
  }
}
