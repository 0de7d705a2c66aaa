// Wire format of a tree snapshot in transit: a sequence of chunks, each
// [chunk_bytes u32] (its whole length, so chunks can travel back to back in
// one byte stream), a run of self-delimiting records
// [key_len u32][key][payload_len u32][payload], a trailer [version u8]
// [sequence u32][index u64][zxid u64][record_count u32][last u8], and a
// CRC-32C over everything before it. Every
// chunk names the snapshot it belongs to (index and zxid the tree was
// applied through) and its place in the sequence, so a receiver can refuse a
// chunk from another snapshot, a gap or a repeat, and knows when it has all.
//
// Used by TreeSnapshotReader (sender) and TreeChunkWriter (receiver); pure
// functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/rocks_status.h"
#include "store/rocks_write_batch.h"

namespace warden::store {

struct TreeChunkTrailer {
  uint32_t sequence = 0;  // 0 for the first chunk of a snapshot
  LogPosition position;   // what the tree in this snapshot is applied through
  uint32_t record_count = 0;
  bool last = false;
};

struct TreeRecordView {
  std::string_view key;
  std::string_view payload;
};

// Appends records to a chunk, then seals it with its trailer.
class TreeChunkBuilder {
 public:
  explicit TreeChunkBuilder(std::string* chunk) : chunk_(chunk) { chunk_->assign(4, '\0'); }

  static size_t framed_bytes(std::string_view key, std::string_view payload) {
    return 8 + key.size() + payload.size();
  }
  size_t size_bytes() const { return chunk_->size(); }
  uint32_t record_count() const { return record_count_; }
  void add(std::string_view key, std::string_view payload);
  // Sets the trailer's record count itself.
  void finish(TreeChunkTrailer trailer);

 private:
  std::string* chunk_;
  uint32_t record_count_ = 0;
};

// The length of the chunk at the start of `stream`, or 0 if the stream does
// not hold all of it yet.
size_t tree_chunk_length(std::string_view stream);

// Verifies the checksum and framing; the views point into `chunk`.
StorageStatus parse_tree_chunk(std::string_view chunk, TreeChunkTrailer* trailer,
                               std::vector<TreeRecordView>* records);

}  // namespace warden::store
