// Helpers for the RocksStorage tests: a temporary directory per test, entries
// and tree records with recognisable contents, loading everything back, and
// raw RocksDB access for tests that tamper with what is on disk.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "store/rocks_status.h"
#include "store/rocks_storage.h"

namespace warden::store::testing {

inline constexpr uint64_t kClusterId = 0x57415244454e;  // "WARDEN"

// A fresh directory under the system's temp dir, removed with everything in
// it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "warden-rocks-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Every file in `dir` with its size and modification time, to show that a
// refused open changed nothing.
inline std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> listing(
    const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, std::filesystem::file_time_type>> files;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    files[file.path().filename().string()] = {file.file_size(), file.last_write_time()};
  }
  return files;
}

// A small tmpfs mounted at `path` for disk-full tests; needs root
// (CAP_SYS_ADMIN), and mounted() says whether it worked.
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& path) : path_(path) {
    std::filesystem::create_directory(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=8m") == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) {
      EXPECT_EQ(::umount(path_.c_str()), 0) << std::strerror(errno);
    }
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Fills the file system holding `path`, then gives back `spare_bytes`: the
// WAL will run out part-way through a record.
inline void fill_leaving(const std::string& path, size_t spare_bytes) {
  {
    std::ofstream filler(path, std::ios::binary);
    const std::string block(4096, 'f');
    while (filler.write(block.data(), block.size()) && filler.flush()) {
    }
  }
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - spare_bytes);
}

inline RocksStorageOptions options_for(const std::string& dir, uint64_t cluster_id = kClusterId) {
  RocksStorageOptions options;
  options.dir = dir;
  options.cluster_id = cluster_id;
  return options;
}

// nullptr (with a test failure) if the directory does not open.
inline std::unique_ptr<RocksStorage> open_storage(const std::string& dir,
                                                  uint64_t cluster_id = kClusterId) {
  std::unique_ptr<RocksStorage> storage;
  const StorageStatus status = RocksStorage::open(options_for(dir, cluster_id), &storage);
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return storage;
}

inline consensus::Zxid zxid_for(consensus::LogIndex index, consensus::Epoch epoch = 1) {
  return consensus::make_zxid(epoch, static_cast<uint32_t>(index));
}

inline std::string data_for(consensus::LogIndex index, consensus::Epoch epoch = 1) {
  return "entry " + std::to_string(index) + " of epoch " + std::to_string(epoch);
}

inline consensus::Entry entry_for(consensus::LogIndex index, consensus::Epoch epoch = 1) {
  return consensus::Entry{index, zxid_for(index, epoch), consensus::EntryType::kData,
                          data_for(index, epoch)};
}

inline std::vector<consensus::Entry> entries_for(consensus::LogIndex first,
                                                 consensus::LogIndex last,
                                                 consensus::Epoch epoch = 1) {
  std::vector<consensus::Entry> entries;
  for (consensus::LogIndex index = first; index <= last; ++index) {
    entries.push_back(entry_for(index, epoch));
  }
  return entries;
}

inline LogPosition position_of(consensus::LogIndex index, consensus::Epoch epoch = 1) {
  return LogPosition{index, zxid_for(index, epoch)};
}

struct Loaded {
  StorageStatus status;
  RecoveredStorage recovered;
  std::map<std::string, std::string> tree;
};

inline Loaded load_all(const RocksStorage& storage) {
  Loaded loaded;
  loaded.status =
      storage.load(&loaded.recovered, [&](std::string_view key, std::string_view value) {
        loaded.tree.emplace(key, value);
        return StorageStatus::ok();
      });
  return loaded;
}

// RocksDB opened directly, every column family, for tests that plant damage
// or newer-format records behind RocksStorage's back.
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names)
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* db = nullptr;
    const rocksdb::Status status =
        rocksdb::DB::Open(rocksdb::DBOptions(), dir, families, &handles_, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
    names_ = names;
  }
  ~RawDb() {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    ADD_FAILURE() << "no column family " << name;
    return nullptr;
  }
  void flush_all() {
    for (rocksdb::ColumnFamilyHandle* handle : handles_) {
      EXPECT_TRUE(db_->Flush(rocksdb::FlushOptions(), handle).ok());
    }
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace warden::store::testing
