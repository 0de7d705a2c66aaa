// RocksDB's diagnostic log ("LOG" in the storage directory), written with
// plain stdio. RocksDB's own file logger aborts on an assertion (the Debian
// build keeps assertions on) when it writes again after a failed write, which
// is exactly what a full disk produces; this one drops lines it cannot write
// and carries on. The previous run's log is kept as LOG.old.
//
// Created by RocksStorage::open only.
#pragma once

#include <rocksdb/env.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <string>

namespace warden::store {

class RocksInfoLog : public rocksdb::Logger {
 public:
  // Never fails: without a writable file it logs nothing. Creates `dir` only
  // if `create_dir`.
  static std::shared_ptr<RocksInfoLog> open(const std::string& dir, bool create_dir);
  // Logs nothing: for a look at a directory that must not change.
  static std::shared_ptr<RocksInfoLog> discard() {
    return std::shared_ptr<RocksInfoLog>(new RocksInfoLog(nullptr));
  }
  ~RocksInfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  explicit RocksInfoLog(std::FILE* file) : file_(file) {}
  std::FILE* file_;  // nullptr: nothing is logged
};

}  // namespace warden::store
