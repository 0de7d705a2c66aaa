// DurableReplica: one node's replicated state on real disk — the consensus
// core, the ZooKeeper state it applies, and the RocksDB directory that keeps
// both — driven through the core's Ready loop (consensus/node.h):
//
//   persist: hard state, new log entries (and truncations), staged snapshot
//     chunks, an installed image — one synced write per Ready (plus one for
//     an installed image); a Ready with nothing but applies, messages and
//     answers writes nothing. The tree records changed by applies, with
//     their applied position, are a checkpoint that only shortens a
//     restart's replay (the log holds every entry past it): they collect,
//     one per record however often it changed, and ride along with a write
//     once the tree on disk trails by tree_checkpoint_entries, or once
//     max_deferred_tree_changes records wait (or on flush_applied());
//   then the caller sends the messages (never before persist succeeded);
//   apply: committed entries become ZooState changes and ApplyResults (with
//     their watch triggers); a received image replaces the state;
//   advance, and compact the log once enough is applied.
//
// Restart opens the directory, rebuilds the state from the verified tree and
// gives the core its log back; entries the tree already reflects are not
// applied twice. A leader streams images to lagging or new nodes from a
// RocksDB snapshot while it keeps committing (store/rocks_snapshot_stream.h).
//
// A failed persist (kNoSpace, kIoError) leaves the Ready pending: nothing is
// sent or applied, and the next step retries the same write, so writes resume
// once the disk has room again. While a Ready is pending the caller must not
// feed the core inputs (stalled() says so) and should fail client writes.
//
// Owned by the node's runtime (net/) and by tests; single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/node.h"
#include "store/rocks_durable_tree.h"
#include "store/rocks_snapshot_stream.h"
#include "store/rocks_storage.h"
#include "store/zoo_state.h"

namespace warden::store {

struct ReplicaOptions {
  RocksStorageOptions storage;
  consensus::Config consensus;  // snapshot_source is set by the replica
  // Compact once this many entries are applied past the last compaction,
  // keeping `retain_entries` so slightly lagging followers get a diff. The
  // log in memory holds up to the sum of the two (about 7 MiB of 100 B
  // setData); equal to tree_checkpoint_entries, a compaction needs no tree
  // checkpoint of its own.
  uint64_t compact_every_entries = 20'000;
  size_t retain_entries = 10'000;
  size_t tree_chunk_bytes = 256 << 10;
  // The tree on disk may trail the applied state by this many entries: a
  // restart replays at most about that many, and a record changed many times
  // in between (a hot znode) is written once.
  uint64_t tree_checkpoint_entries = 20'000;
  // Past this many changed records, or about this many bytes of them, they
  // are written sooner: what they cost in memory, and the size of the one
  // write every request behind it waits for (1,024 records of 4 KiB made
  // a 4 MiB write, and a p99 of 171 ms for such creates).
  size_t max_deferred_tree_changes = 1'024;
  size_t max_deferred_tree_bytes = 256 << 10;
};

// What one step produced for the caller to carry out.
struct ReplicaOutput {
  std::vector<consensus::Message> messages;       // send now
  std::vector<ApplyResult> applied;               // answers and watch triggers, in log order
  std::vector<consensus::ReadState> read_states;  // the state has applied their index
  std::vector<std::string> forwarded;             // leader: requests followers sent
  bool state_replaced = false;                    // an image replaced the whole state
};

class DurableReplica {
 public:
  // Opens (or creates) the directory and recovers. Refuses a directory of
  // another cluster or a newer format, and one whose records fail their
  // checks, saying which file and which record.
  static StorageStatus open(const ReplicaOptions& options, std::unique_ptr<DurableReplica>* out);
  ~DurableReplica();
  DurableReplica(const DurableReplica&) = delete;
  DurableReplica& operator=(const DurableReplica&) = delete;

  // Feed inputs here (tick, step, propose, read_index) when !stalled().
  consensus::Node& node() { return *node_; }
  const ZooState& state() const { return state_; }
  RocksStorage& storage() { return *storage_; }

  // Carries out the pending Ready, or the node's next one, writing on this
  // thread. Returns ok with nothing to do when there is none. What start_step
  // hands out before the write (early messages, committed entries applied)
  // joins `*out`, early messages first. On a storage failure the Ready stays
  // pending and `*out` holds only that.
  StorageStatus step(ReplicaOutput* out);

  // step() in two halves, for a runtime that goes on serving while the write
  // is under way on another thread (net::NodeServer, with a GroupCommitter).
  // start_step() does the rare synchronous parts (staging and installing an
  // image) and sets `*batch` to what must be written, or to null if there is
  // no Ready. What may be carried out before the write goes to `*now`: the
  // Ready's early messages (consensus::Ready::early_messages: send them
  // first, so the followers sync while this node does) and, once the batch
  // is prepared, its committed entries applied (`applied`, `state_replaced`:
  // they are on a quorum's disks, so their clients may be answered now). The
  // caller writes the batch and hands the result to finish_step(), whose
  // `*out` holds the rest (messages, read states, forwarded requests).
  // In between, inputs may be fed to node() (consensus/node.h says how the
  // next Ready carries what they change); start_step() and flush_applied()
  // wait for finish_step(). After a failure either half may
  // be called again: start_step() hands out the same batch, and nothing it
  // handed out before.
  StorageStatus start_step(const WriteBatch** batch, ReplicaOutput* now);
  StorageStatus finish_step(const StorageStatus& write_status, ReplicaOutput* out);
  bool stalled() const { return pending_.has_value(); }

  // Writes the tree records changed by applies since the last Ready, with
  // their applied position. Readies carry them anyway; this is for a clean
  // shutdown, so that a restart has nothing to replay. Not while stalled().
  StorageStatus flush_applied();
  // The last entry the state reflects.
  const LogPosition& applied() const { return applied_; }
  // Committed entries that did not decode as txns (skipped alike on every
  // replica). Must stay 0.
  uint64_t undecodable_entries() const { return undecodable_entries_; }
  // How many times the in-memory log was compacted (each frees the entries
  // it dropped: a runtime may then hand that memory back).
  uint64_t log_compactions() const { return log_compactions_; }

 private:
  explicit DurableReplica(const ReplicaOptions& options);
  StorageStatus recover();
  StorageStatus prepare_writes(const consensus::Ready& ready);
  StorageStatus install_image(const consensus::Snapshot& image);
  void apply(const consensus::Entry& entry, ReplicaOutput* out);
  void maybe_compact();

  ReplicaOptions options_;
  std::unique_ptr<RocksStorage> storage_;
  ZooState state_;
  std::unique_ptr<DurableTree> durable_tree_;
  std::unique_ptr<RocksImageSource> images_;
  std::unique_ptr<RocksImageStager> stager_;
  std::unique_ptr<consensus::Node> node_;
  LogPosition applied_;
  uint64_t undecodable_entries_ = 0;
  uint64_t log_compactions_ = 0;

  // The Ready being carried out, and how far its persist got (a retry must
  // not stage a chunk twice or lose the tree changes taken for it).
  std::optional<consensus::Ready> pending_;
  size_t chunks_staged_ = 0;
  std::optional<WriteBatch> before_image_;  // hard state and earlier applies' changes
  bool before_image_written_ = false;       // an image follows: written on its own
  bool image_installed_ = false;
  bool applied_early_ = false;  // start_step applied the Ready's committed entries
  std::optional<WriteBatch> batch_;
};

}  // namespace warden::store
