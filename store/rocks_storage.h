// RocksStorage: the durable state of one Warden node in one RocksDB directory
// — the replicated log, the ZooKeeper tree (as opaque key/payload records),
// and metadata (hard state, where the log starts, how far the tree has
// applied the log, which cluster and format the directory belongs to).
// Column families: "log", "tree", "meta", and "tree_staging" (a tree
// snapshot being received; see store/rocks_tree_snapshot.h). Byte layouts are
// in store/rocks_codec.h. Every record carries a CRC-32C, and RocksDB checks
// its own block checksums; anything that fails a check is reported as
// kCorruption, naming the column family, the key and the file, and is never
// handed out.
//
// Thread safety: writes (write, write_group, compact_log, the snapshot
// installer's steps) serialise on an internal mutex; reads (load,
// get_tree_record, open_tree_snapshot, the position accessors) never wait for
// a write.
// Owned by the node's runtime; GroupCommitter and the tree snapshot classes
// hold a plain pointer to it and must not outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.h"
#include "store/rocks_status.h"
#include "store/rocks_tree_chunk.h"
#include "store/rocks_write_batch.h"

namespace rocksdb {
class ColumnFamilyHandle;
struct ColumnFamilyDescriptor;
class DB;
struct ReadOptions;
class WriteBatch;
}  // namespace rocksdb

namespace warden::store {

class RecordPipe;
class TreeSnapshotReader;

struct RocksStorageOptions {
  std::string dir;
  // A fresh directory records it; an existing one with another id is refused
  // (kForeignCluster), so a node never joins a cluster with another's data.
  uint64_t cluster_id = 0;  // must not be 0
  bool sync_writes = true;  // fsync every write; off only for tests and tools
  bool create_if_missing = true;
};

// What load() finds: the log follows the snapshot directly
// (entries[0].index == snapshot.index + 1), and the tree (delivered through
// the callback) reflects the log up to `applied`, which is never below the
// snapshot. Replay entries after `applied` to bring the tree up to date.
struct RecoveredStorage {
  consensus::HardState hard_state;
  LogPosition snapshot;
  LogPosition applied;
  std::vector<consensus::Entry> entries;
};

// What RocksDB holds in memory now (its own accounting), for operators and
// the memory benchmark.
struct StorageMemory {
  uint64_t memtable_bytes = 0;      // every column family's, flushing ones included
  uint64_t table_reader_bytes = 0;  // index and filter blocks of open tables
  uint64_t block_cache_bytes = 0;
};

using TreeRecordVisitor =
    std::function<StorageStatus(std::string_view key, std::string_view payload)>;

class RocksStorage {
 public:
  static constexpr uint32_t kFormatVersion = 1;

  // Refuses (and leaves untouched) a directory of another cluster or of a
  // newer format.
  static StorageStatus open(const RocksStorageOptions& options, std::unique_ptr<RocksStorage>* out);
  ~RocksStorage();
  RocksStorage(const RocksStorage&) = delete;
  RocksStorage& operator=(const RocksStorage&) = delete;

  // One atomic RocksDB write, synced when options.sync_writes. After a
  // failure (kNoSpace, kIoError) the next write first asks RocksDB to resume.
  StorageStatus write(const WriteBatch& batch);
  // Several batches in one RocksDB write and one sync, applied in order as if
  // written one by one. An invalid batch is left out (its result says why);
  // the others succeed or fail together. Returns one status per batch.
  std::vector<StorageStatus> write_group(std::span<const WriteBatch* const> batches);

  // Everything on disk, from one consistent view. On any failure `*out` is
  // left empty and the visitor has seen only verified records; a visitor
  // error stops the load and is returned. The visitor runs on the calling
  // thread, in key order, while a thread of load's own reads ahead.
  StorageStatus load(RecoveredStorage* out, const TreeRecordVisitor& on_tree_record) const;
  StorageMemory memory() const;
  // About how many tree records there are (RocksDB's estimate), to size
  // what a load fills; 0 if RocksDB cannot tell.
  size_t estimated_tree_records() const;
  // kNotFound if the key has no record.
  StorageStatus get_tree_record(std::string_view key, std::string* payload) const;
  // The stored hard state alone (verified), readable even when the log or
  // the tree is damaged: what a rebuild from peers keeps.
  StorageStatus read_hard_state(consensus::HardState* hard_state) const;

  // Drops the log up to and including `through_index`, which must not be past
  // the applied index; the snapshot position moves there in the same write.
  // How much log to retain is the caller's decision.
  StorageStatus compact_log(consensus::LogIndex through_index);

  // A consistent view of the tree while writes continue; see
  // store/rocks_tree_snapshot.h. Must not outlive this object.
  std::unique_ptr<TreeSnapshotReader> open_tree_snapshot() const;

  const std::string& dir() const { return options_.dir; }
  LogPosition applied() const;
  LogPosition snapshot() const;
  consensus::LogIndex last_log_index() const;

 private:
  friend class TreeChunkWriter;
  friend class TreeSnapshotReader;

  enum ColumnFamily : size_t { kDefaultCf, kLogCf, kTreeCf, kMetaCf, kStagingCf, kCfCount };
  static const char* cf_name(ColumnFamily cf);
  // kCfCount for a name that is none of ours.
  static ColumnFamily cf_named(std::string_view name);

  // What writes must know about the log without reading it back.
  struct LogShape {
    LogPosition snapshot;
    consensus::LogIndex last_index = 0;  // == snapshot.index when the log is empty
    LogPosition applied;
  };
  // One RocksDB write being assembled from several WriteBatches.
  struct Group;

  explicit RocksStorage(const RocksStorageOptions& options);

  // Opening (rocks_storage.cc).
  StorageStatus check_identity_read_only();
  StorageStatus open_db(bool read_only);
  std::vector<rocksdb::ColumnFamilyDescriptor> families_to_open(bool read_only) const;
  void close_db();
  // Refuses another cluster's or a newer format's directory; records ours in
  // a fresh one if `may_record`.
  StorageStatus check_identity(bool may_record);
  StorageStatus record_identity();
  StorageStatus compare_identity(std::string_view version_body,
                                 std::string_view cluster_body) const;
  StorageStatus read_shape();

  // Writing (rocks_storage_write.cc).
  StorageStatus add_to_group(const WriteBatch& batch, Group* group);
  StorageStatus add_log_changes(const WriteBatch& batch, Group* group);
  StorageStatus add_snapshot(const LogPosition& snapshot, Group* group);
  StorageStatus add_truncation(consensus::LogIndex from, Group* group);
  StorageStatus add_tree_changes(const WriteBatch& batch, Group* group);
  StorageStatus clear_cf(ColumnFamily cf, const std::string* max_pending_key,
                         rocksdb::WriteBatch* batch);
  StorageStatus commit_locked(rocksdb::WriteBatch* batch, bool sync, std::string_view what);
  // Steps of TreeChunkWriter (rocks_storage_install.cc).
  StorageStatus stage_tree_records(bool first_chunk, std::span<const TreeRecordView> records);
  StorageStatus install_staged_tree(const LogPosition& position);
  StorageStatus copy_staged_tree(rocksdb::WriteBatch* batch);

  // Reading (rocks_storage_read.cc).
  StorageStatus read_meta(const rocksdb::ReadOptions& read_options, std::string_view key,
                          std::string* body, bool* found) const;
  StorageStatus read_meta_position(const rocksdb::ReadOptions& read_options, std::string_view key,
                                   LogPosition* position) const;
  StorageStatus read_hard_state(const rocksdb::ReadOptions& read_options,
                                consensus::HardState* hard_state) const;
  StorageStatus read_entry(const rocksdb::ReadOptions& read_options, consensus::LogIndex index,
                           consensus::Entry* entry) const;
  StorageStatus read_log(const rocksdb::ReadOptions& read_options, const LogPosition& snapshot,
                         std::vector<consensus::Entry>* entries) const;
  StorageStatus read_tree(const rocksdb::ReadOptions& read_options,
                          const TreeRecordVisitor& on_tree_record) const;
  StorageStatus scan_tree(const rocksdb::ReadOptions& read_options, RecordPipe& pipe,
                          std::stop_token stop) const;
  StorageStatus check_applied(const RecoveredStorage& loaded) const;
  StorageStatus last_key(ColumnFamily cf, std::string* key, bool* found) const;
  // Which table files may hold `key` ("key range of /dir/000012.sst"), for
  // corruption reports.
  std::string locate(ColumnFamily cf, std::string_view key) const;
  StorageStatus corrupt_record(ColumnFamily cf, std::string_view key, std::string_view what) const;

  rocksdb::ColumnFamilyHandle* cf(ColumnFamily which) const { return handles_[which]; }
  // Called with write_mutex_ held, after the change is on disk.
  void set_shape_locked(const LogShape& shape);

  RocksStorageOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // indexed by ColumnFamily

  std::mutex write_mutex_;
  LogShape shape_;             // guarded by write_mutex_
  bool needs_resume_ = false;  // guarded by write_mutex_: a write failed, RocksDB may be stopped
  // A copy of shape_ for the accessors, so they never wait for an fsync.
  mutable std::mutex published_mutex_;
  LogShape published_shape_;  // guarded by published_mutex_
};

}  // namespace warden::store
