// Opening and closing a node's storage directory, and the checks that keep a
// node away from data that is not its own.
#include "store/rocks_storage.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "store/rocks_codec.h"
#include "store/rocks_info_log.h"
#include "store/rocks_tree_snapshot.h"

namespace warden::store {
namespace {

namespace codec = rocks_codec;

constexpr uint64_t kMaxTotalWalBytes = 64 << 20;
// Memtables are part of a node's resident memory (RocksDB's defaults allow
// 64 MiB per column family, twice over while one flushes). A node writes its
// log and its tree records; these bound both together.
constexpr size_t kWriteBufferBytes = 8 << 20;
constexpr size_t kAllWriteBuffersBytes = 16 << 20;

// RocksDB would retry after a full disk on its own timer, and refuse our
// Resume() as "busy" meanwhile; instead the next write resumes, so recovery
// happens when the caller tries again and the caller hears how it went.
class ResumeOnNextWrite : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status error,
                            bool* auto_recovery) override {
    error.PermitUncheckedError();
    *auto_recovery = false;
  }
};

rocksdb::DBOptions db_options(const RocksStorageOptions& options, bool read_only) {
  rocksdb::DBOptions db;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = true;
  db.paranoid_checks = true;
  // A torn last WAL record is a write that was never acknowledged and may go;
  // damage anywhere else is corruption and must stop the node, where the
  // default (point-in-time recovery) would silently drop acknowledged writes.
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db.max_background_jobs = 2;  // the machines we target have two cores
  // A restart replays the WAL, and a column family written little (meta)
  // keeps every WAL since its last flush: by default it would flush only
  // once the WALs reach 2.5 GB. This bound makes it flush sooner, and keeps
  // the replay short.
  db.max_total_wal_size = kMaxTotalWalBytes;
  // The tree is held in memory already; RocksDB's copy of recent writes only
  // has to be large enough to flush in big sequential writes.
  db.db_write_buffer_size = kAllWriteBuffersBytes;
  // RocksDB reserves each new WAL's space ahead (1.1 times the smallest
  // write buffer bound: 8.8 MiB here). A disk that fills up would then take
  // writes until that reserve ran out and fail at a later, larger write; a
  // node should meet a full disk at the write that fills it, and say so.
  db.allow_fallocate = false;
  db.info_log = read_only ? RocksInfoLog::discard()
                          : RocksInfoLog::open(options.dir, options.create_if_missing);
  db.listeners.push_back(std::make_shared<ResumeOnNextWrite>());
  return db;
}

// Compactions (RocksDB's LOW pool, shared by every database in the process)
// run at the lowest CPU priority. On two cores one would otherwise take a
// core from the node's own work: after a restart, the compaction that the
// open's flush starts more than doubled the time to load the tree. They catch up
// when the CPU is idle, and RocksDB slows writes if they fall far behind.
// Flushes (the HIGH pool) keep their priority.
void lower_compaction_priority(const rocksdb::DBOptions& db) {
  db.env->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW, rocksdb::CpuPriority::kLow)
      .PermitUncheckedError();  // an Env without thread priorities: compactions keep theirs
}

rocksdb::ColumnFamilyOptions cf_options() {
  rocksdb::ColumnFamilyOptions cf;
  cf.force_consistency_checks = true;
  cf.write_buffer_size = kWriteBufferBytes;
  return cf;
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

const char* RocksStorage::cf_name(ColumnFamily cf) {
  switch (cf) {
    case kDefaultCf:
      return rocksdb::kDefaultColumnFamilyName.c_str();
    case kLogCf:
      return "log";
    case kTreeCf:
      return "tree";
    case kMetaCf:
      return "meta";
    case kStagingCf:
      return "tree_staging";  // a snapshot being received, until it is complete
    case kCfCount:
      break;
  }
  assert(false);
  return "";
}

RocksStorage::ColumnFamily RocksStorage::cf_named(std::string_view name) {
  for (size_t cf = 0; cf < kCfCount; ++cf) {
    if (name == cf_name(static_cast<ColumnFamily>(cf))) return static_cast<ColumnFamily>(cf);
  }
  return kCfCount;
}

StorageStatus RocksStorage::open(const RocksStorageOptions& options,
                                 std::unique_ptr<RocksStorage>* out) {
  out->reset();
  if (options.dir.empty()) return StorageStatus::invalid_argument("no storage directory given");
  if (options.cluster_id == 0) {
    return StorageStatus::invalid_argument("cluster id 0 given for " + options.dir +
                                           "; every cluster needs a non-zero id");
  }
  std::unique_ptr<RocksStorage> storage(new RocksStorage(options));
  StorageStatus status = storage->check_identity_read_only();
  if (status.is_ok()) status = storage->open_db(/*read_only=*/false);
  if (status.is_ok()) status = storage->check_identity(/*may_record=*/true);
  if (status.is_ok()) status = storage->read_shape();
  if (status.is_ok()) *out = std::move(storage);
  return status;
}

RocksStorage::RocksStorage(const RocksStorageOptions& options) : options_(options) {}

RocksStorage::~RocksStorage() {
  close_db();
}

void RocksStorage::close_db() {
  if (!db_) return;
  for (rocksdb::ColumnFamilyHandle* handle : handles_) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  handles_.clear();
  // A close error (an unflushed background failure) changes nothing: every
  // acknowledged write is in the synced WAL.
  db_->Close().PermitUncheckedError();
  db_.reset();
}

// Another cluster's or a newer format's directory is refused before anything
// in it changes: a read-write open already rewrites RocksDB's own files.
StorageStatus RocksStorage::check_identity_read_only() {
  std::vector<std::string> existing;
  if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), options_.dir, &existing).ok()) {
    return StorageStatus::ok();  // no database yet
  }
  for (size_t cf = 0; cf < kCfCount; ++cf) {
    const std::string name = cf_name(static_cast<ColumnFamily>(cf));
    if (std::find(existing.begin(), existing.end(), name) == existing.end()) {
      return StorageStatus::ok();  // never fully set up: nothing of a cluster's in it
    }
  }
  StorageStatus status = open_db(/*read_only=*/true);
  if (status.is_ok()) status = check_identity(/*may_record=*/false);
  close_db();
  return status;
}

StorageStatus RocksStorage::open_db(bool read_only) {
  const rocksdb::DBOptions db = db_options(options_, read_only);
  if (!read_only) lower_compaction_priority(db);
  rocksdb::DB* opened = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  const rocksdb::Status status =
      read_only ? rocksdb::DB::OpenForReadOnly(db, options_.dir, families_to_open(true), &handles,
                                               &opened)
                : rocksdb::DB::Open(db, options_.dir, families_to_open(false), &handles, &opened);
  if (!status.ok()) return from_rocks(status, "opening storage directory " + options_.dir);
  db_.reset(opened);
  handles_.assign(kCfCount, nullptr);  // indexed by ColumnFamily; null if left closed
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    const ColumnFamily known = cf_named(handle->GetName());
    if (known == kCfCount) {
      handles_.push_back(handle);
    } else {
      handles_[known] = handle;
    }
  }
  return StorageStatus::ok();
}

std::vector<rocksdb::ColumnFamilyDescriptor> RocksStorage::families_to_open(bool read_only) const {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  // A read-only open only checks the identity records: with just their
  // column family (and the default one, which RocksDB requires) open, the
  // WAL's writes to the others are skipped instead of rebuilt in memtables.
  if (read_only) {
    families.emplace_back(cf_name(kDefaultCf), cf_options());
    families.emplace_back(cf_name(kMetaCf), cf_options());
    return families;
  }
  for (size_t cf = 0; cf < kCfCount; ++cf) {
    families.emplace_back(cf_name(static_cast<ColumnFamily>(cf)), cf_options());
  }
  // Column families we do not know (a newer format's) are opened too, so
  // that check_identity can say "newer format" instead of RocksDB refusing.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), options_.dir, &existing).ok()) {
    for (const std::string& name : existing) {
      if (cf_named(name) == kCfCount) families.emplace_back(name, cf_options());
    }
  }
  return families;
}

StorageStatus RocksStorage::check_identity(bool may_record) {
  const rocksdb::ReadOptions read_options;
  std::string version_body, cluster_body;
  bool has_version = false, has_cluster = false;
  StorageStatus status =
      read_meta(read_options, codec::kFormatVersionKey, &version_body, &has_version);
  if (status.is_ok()) {
    status = read_meta(read_options, codec::kClusterIdKey, &cluster_body, &has_cluster);
  }
  if (!status.is_ok()) return status;
  if (!has_version && !has_cluster) {  // a fresh directory: it is ours from now on
    return may_record ? record_identity() : StorageStatus::ok();
  }
  if (!has_version || !has_cluster) {
    return corrupt_record(kMetaCf, has_version ? codec::kClusterIdKey : codec::kFormatVersionKey,
                          "missing, while the other identity record is there");
  }
  return compare_identity(version_body, cluster_body);
}

StorageStatus RocksStorage::record_identity() {
  rocksdb::WriteBatch batch;
  batch.Put(cf(kMetaCf), codec::kFormatVersionKey,
            codec::seal(codec::kFormatVersionKey, codec::encode_u32(kFormatVersion)));
  batch.Put(cf(kMetaCf), codec::kClusterIdKey,
            codec::seal(codec::kClusterIdKey, codec::encode_u64(options_.cluster_id)));
  std::lock_guard lock(write_mutex_);
  return commit_locked(&batch, /*sync=*/true, "recording the cluster id and format version");
}

StorageStatus RocksStorage::compare_identity(std::string_view version_body,
                                             std::string_view cluster_body) const {
  uint32_t version = 0;
  if (!codec::decode_u32(version_body, &version) || version == 0) {
    return corrupt_record(kMetaCf, codec::kFormatVersionKey, "malformed");
  }
  if (version > kFormatVersion) {
    return {StorageCode::kNewerFormat,
            options_.dir + " is in storage format " + std::to_string(version) +
                ", written by a newer Warden; this build reads format " +
                std::to_string(kFormatVersion) + " and leaves the directory as it is"};
  }
  uint64_t cluster_id = 0;
  if (!codec::decode_u64(cluster_body, &cluster_id)) {
    return corrupt_record(kMetaCf, codec::kClusterIdKey, "malformed");
  }
  if (cluster_id != options_.cluster_id) {
    return {StorageCode::kForeignCluster, options_.dir + " belongs to cluster " + hex(cluster_id) +
                                              ", but this node is configured for cluster " +
                                              hex(options_.cluster_id) +
                                              "; refusing to use another cluster's data"};
  }
  return StorageStatus::ok();
}

StorageStatus RocksStorage::read_shape() {
  const rocksdb::ReadOptions read_options;
  LogShape shape;
  StorageStatus status = read_meta_position(read_options, codec::kSnapshotKey, &shape.snapshot);
  if (status.is_ok()) status = read_meta_position(read_options, codec::kAppliedKey, &shape.applied);
  std::string key;
  bool found = false;
  if (status.is_ok()) status = last_key(kLogCf, &key, &found);
  if (!status.is_ok()) return status;
  shape.last_index = shape.snapshot.index;
  consensus::LogIndex index = 0;
  if (found && !codec::parse_log_key(key, &index)) {
    return corrupt_record(kLogCf, key,
                          "key of " + std::to_string(key.size()) + " bytes is not a log index");
  }
  if (found) shape.last_index = std::max(shape.last_index, index);
  std::lock_guard lock(write_mutex_);
  set_shape_locked(shape);
  return StorageStatus::ok();
}

void RocksStorage::set_shape_locked(const LogShape& shape) {
  shape_ = shape;
  std::lock_guard lock(published_mutex_);
  published_shape_ = shape;
}

LogPosition RocksStorage::applied() const {
  std::lock_guard lock(published_mutex_);
  return published_shape_.applied;
}

LogPosition RocksStorage::snapshot() const {
  std::lock_guard lock(published_mutex_);
  return published_shape_.snapshot;
}

consensus::LogIndex RocksStorage::last_log_index() const {
  std::lock_guard lock(published_mutex_);
  return published_shape_.last_index;
}

std::unique_ptr<TreeSnapshotReader> RocksStorage::open_tree_snapshot() const {
  return std::unique_ptr<TreeSnapshotReader>(new TreeSnapshotReader(this));
}

}  // namespace warden::store
