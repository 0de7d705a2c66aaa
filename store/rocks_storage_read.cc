// Reading a node's storage back: recovery after a restart, single tree
// records, and the corruption reports that name what failed and where.
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/snapshot.h>

#include <thread>

#include "store/rocks_codec.h"
#include "store/rocks_record_pipe.h"
#include "store/rocks_storage.h"

namespace warden::store {
namespace {

namespace codec = rocks_codec;

constexpr size_t kScanReadaheadBytes = 2 << 20;

rocksdb::ReadOptions verifying_reads(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  read_options.verify_checksums = true;
  return read_options;
}

}  // namespace

StorageStatus RocksStorage::load(RecoveredStorage* out,
                                 const TreeRecordVisitor& on_tree_record) const {
  *out = RecoveredStorage{};
  rocksdb::ManagedSnapshot view(db_.get());
  const rocksdb::ReadOptions read_options = verifying_reads(view.snapshot());
  RecoveredStorage loaded;
  StorageStatus status = read_hard_state(read_options, &loaded.hard_state);
  if (status.is_ok()) {
    status = read_meta_position(read_options, codec::kSnapshotKey, &loaded.snapshot);
  }
  if (status.is_ok())
    status = read_meta_position(read_options, codec::kAppliedKey, &loaded.applied);
  if (status.is_ok()) status = read_log(read_options, loaded.snapshot, &loaded.entries);
  if (status.is_ok()) status = check_applied(loaded);
  if (status.is_ok()) status = read_tree(read_options, on_tree_record);
  if (status.is_ok()) *out = std::move(loaded);
  return status;
}

// The tree must sit inside what the log covers: not before the snapshot (the
// entries in between would be lost) and not past the log's end, at an entry
// with the zxid it names.
StorageStatus RocksStorage::check_applied(const RecoveredStorage& loaded) const {
  const LogPosition& applied = loaded.applied;
  const LogPosition& snapshot = loaded.snapshot;
  const consensus::LogIndex last_index = snapshot.index + loaded.entries.size();
  std::string problem;
  if (applied.index < snapshot.index || applied.index > last_index) {
    problem = "tree applied through index " + std::to_string(applied.index) +
              ", outside the stored log (" + std::to_string(snapshot.index) + ", " +
              std::to_string(last_index) + "]";
  } else {
    const consensus::Zxid zxid = applied.index == snapshot.index
                                     ? snapshot.zxid
                                     : loaded.entries[applied.index - snapshot.index - 1].zxid;
    if (zxid != applied.zxid) {
      problem = "tree applied through index " + std::to_string(applied.index) + " zxid " +
                std::to_string(applied.zxid) + ", but the log has zxid " + std::to_string(zxid) +
                " there";
    }
  }
  if (problem.empty()) return StorageStatus::ok();
  return corrupt_record(kMetaCf, codec::kAppliedKey, problem);
}

StorageMemory RocksStorage::memory() const {
  StorageMemory memory;
  uint64_t value = 0;
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &value)) {
    memory.memtable_bytes = value;
  }
  if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &value)) {
    memory.table_reader_bytes = value;
  }
  // One cache serves every column family: ask one of them.
  if (db_->GetIntProperty(cf(kTreeCf), rocksdb::DB::Properties::kBlockCacheUsage, &value)) {
    memory.block_cache_bytes = value;
  }
  return memory;
}

size_t RocksStorage::estimated_tree_records() const {
  uint64_t keys = 0;
  if (!db_->GetIntProperty(cf(kTreeCf), rocksdb::DB::Properties::kEstimateNumKeys, &keys)) return 0;
  return static_cast<size_t>(keys);
}

StorageStatus RocksStorage::get_tree_record(std::string_view key, std::string* payload) const {
  std::string value;
  const rocksdb::Status status = db_->Get(verifying_reads(nullptr), cf(kTreeCf), key, &value);
  if (status.IsNotFound()) {
    return StorageStatus::not_found("no tree record " + codec::printable(key));
  }
  if (!status.ok()) return from_rocks(status, "reading tree record in " + options_.dir);
  std::string_view body;
  if (!codec::unseal(key, value, &body)) return corrupt_record(kTreeCf, key, "checksum mismatch");
  payload->assign(body);
  return StorageStatus::ok();
}

StorageStatus RocksStorage::read_meta(const rocksdb::ReadOptions& read_options,
                                      std::string_view key, std::string* body, bool* found) const {
  *found = false;
  std::string value;
  const rocksdb::Status status = db_->Get(read_options, cf(kMetaCf), key, &value);
  if (status.IsNotFound()) return StorageStatus::ok();
  if (!status.ok()) {
    return from_rocks(status, "reading meta record " + std::string(key) + " in " + options_.dir);
  }
  std::string_view verified;
  if (!codec::unseal(key, value, &verified)) {
    return corrupt_record(kMetaCf, key, "checksum mismatch");
  }
  body->assign(verified);
  *found = true;
  return StorageStatus::ok();
}

StorageStatus RocksStorage::read_meta_position(const rocksdb::ReadOptions& read_options,
                                               std::string_view key, LogPosition* position) const {
  std::string body;
  bool found = false;
  *position = LogPosition{};
  StorageStatus status = read_meta(read_options, key, &body, &found);
  if (!status.is_ok() || !found) return status;
  if (!codec::decode_position(body, position)) return corrupt_record(kMetaCf, key, "malformed");
  return StorageStatus::ok();
}

StorageStatus RocksStorage::read_hard_state(const rocksdb::ReadOptions& read_options,
                                            consensus::HardState* hard_state) const {
  std::string body;
  bool found = false;
  *hard_state = consensus::HardState{};
  StorageStatus status = read_meta(read_options, codec::kHardStateKey, &body, &found);
  if (!status.is_ok() || !found) return status;
  if (!codec::decode_hard_state(body, hard_state)) {
    return corrupt_record(kMetaCf, codec::kHardStateKey, "malformed");
  }
  return StorageStatus::ok();
}

StorageStatus RocksStorage::read_entry(const rocksdb::ReadOptions& read_options,
                                       consensus::LogIndex index, consensus::Entry* entry) const {
  const std::string key = codec::log_key(index);
  std::string value;
  const rocksdb::Status status = db_->Get(read_options, cf(kLogCf), key, &value);
  if (status.IsNotFound()) {
    return StorageStatus::not_found("no log entry at index " + std::to_string(index));
  }
  if (!status.ok()) return from_rocks(status, "reading the log in " + options_.dir);
  std::string why;
  if (!codec::decode_log_value(index, value, entry, &why)) {
    return corrupt_record(kLogCf, key, "entry at index " + std::to_string(index) + ": " + why);
  }
  return StorageStatus::ok();
}

StorageStatus RocksStorage::read_log(const rocksdb::ReadOptions& read_options,
                                     const LogPosition& snapshot,
                                     std::vector<consensus::Entry>* entries) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, cf(kLogCf)));
  consensus::LogIndex expected = snapshot.index + 1;
  consensus::Zxid previous_zxid = snapshot.zxid;
  for (it->Seek(codec::log_key(expected)); it->Valid(); it->Next(), ++expected) {
    const std::string_view key = it->key().ToStringView();
    consensus::LogIndex index = 0;
    if (!codec::parse_log_key(key, &index)) {
      return corrupt_record(kLogCf, key, "key is not an 8-byte log index");
    }
    const std::string at = "entry at index " + std::to_string(index);
    if (index != expected) {
      return corrupt_record(
          kLogCf, key,
          at + " follows index " + std::to_string(expected - 1) + ": the log has a gap");
    }
    consensus::Entry entry;
    std::string why;
    if (!codec::decode_log_value(index, it->value().ToStringView(), &entry, &why)) {
      return corrupt_record(kLogCf, key, at + ": " + why);
    }
    if (entry.zxid <= previous_zxid && index > 1) {
      return corrupt_record(kLogCf, key,
                            at + ": zxid " + std::to_string(entry.zxid) + " does not follow zxid " +
                                std::to_string(previous_zxid));
    }
    previous_zxid = entry.zxid;
    entries->push_back(std::move(entry));
  }
  if (!it->status().ok()) return from_rocks(it->status(), "reading the log in " + options_.dir);
  return StorageStatus::ok();
}

// Reading and verifying take about as long as applying, so the two run on
// two threads, the visitor on the caller's.
StorageStatus RocksStorage::read_tree(const rocksdb::ReadOptions& read_options,
                                      const TreeRecordVisitor& on_tree_record) const {
  RecordPipe pipe;
  // Declared after the pipe, so that every way out of here (an error, an
  // exception) stops the reader and joins it while the pipe still exists.
  std::jthread reader(
      [&](std::stop_token stop) { pipe.finish(scan_tree(read_options, pipe, stop)); });
  RecordBatch batch;
  while (pipe.pop(&batch)) {
    for (size_t i = 0; i < batch.size(); ++i) {
      StorageStatus status = on_tree_record(batch.key(i), batch.payload(i));
      if (!status.is_ok()) return status;
    }
    pipe.give_back(std::move(batch));
  }
  return pipe.status();
}

// The reader's half of read_tree: every record, verified, in key order; the
// records before a failure are handed on too, as a one-thread load would
// have applied them before meeting it.
StorageStatus RocksStorage::scan_tree(const rocksdb::ReadOptions& read_options, RecordPipe& pipe,
                                      std::stop_token stop) const {
  // One pass over the whole column family: its blocks would only push
  // everything else out of the block cache, and large reads ahead spare a
  // system call per block.
  rocksdb::ReadOptions scan_options = read_options;
  scan_options.fill_cache = false;
  scan_options.readahead_size = kScanReadaheadBytes;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(scan_options, cf(kTreeCf)));
  RecordBatch batch = pipe.take_empty();
  StorageStatus status;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    std::string_view payload;
    if (!codec::unseal(key, it->value().ToStringView(), &payload)) {
      status = corrupt_record(kTreeCf, key, "checksum mismatch");
      break;
    }
    batch.add(key, payload);
    if (batch.bytes() >= RecordPipe::kBatchBytes) {
      if (!pipe.push(std::move(batch), stop)) return StorageStatus::ok();  // nobody is listening
      batch = pipe.take_empty();
    }
  }
  if (status.is_ok() && !it->status().ok()) {
    status = from_rocks(it->status(), "reading the tree in " + options_.dir);
  }
  if (batch.size() > 0) pipe.push(std::move(batch), stop);
  return status;
}

StorageStatus RocksStorage::last_key(ColumnFamily which, std::string* key, bool* found) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(verifying_reads(nullptr), cf(which)));
  it->SeekToLast();
  *found = it->Valid();
  if (*found) key->assign(it->key().ToStringView());
  if (!it->status().ok()) {
    return from_rocks(it->status(),
                      std::string("reading the ") + cf_name(which) + " CF in " + options_.dir);
  }
  return StorageStatus::ok();
}

std::string RocksStorage::locate(ColumnFamily which, std::string_view key) const {
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  std::string names;
  for (const rocksdb::LiveFileMetaData& file : files) {
    if (file.column_family_name != cf_name(which)) continue;
    if (key < std::string_view(file.smallestkey) || key > std::string_view(file.largestkey)) {
      continue;
    }
    names += (names.empty() ? "" : ", ") + file.directory + "/" + file.relative_filename;
  }
  if (names.empty()) return "not in any table file yet (memtable, recovered from the WAL)";
  return "key range of " + names;
}

StorageStatus RocksStorage::corrupt_record(ColumnFamily which, std::string_view key,
                                           std::string_view what) const {
  return StorageStatus::corruption("corrupt record in " + options_.dir + ", column family '" +
                                   cf_name(which) + "', key " + codec::printable(key) + ": " +
                                   std::string(what) + "; " + locate(which, key));
}

StorageStatus RocksStorage::read_hard_state(consensus::HardState* hard_state) const {
  rocksdb::ManagedSnapshot view(db_.get());
  return read_hard_state(verifying_reads(view.snapshot()), hard_state);
}

}  // namespace warden::store
