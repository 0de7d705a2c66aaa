// How state-machine images travel between a driver and consensus::Node.
//
// A leader streams an image to a follower that needs entries it has
// compacted away. The image belongs to the driver (a RocksDB snapshot in the
// runtime, a serialised state in the simulator): the node asks its
// SnapshotSource for one when a transfer starts and then reads byte ranges of
// it, so the core never holds a copy of the state. On the follower the node
// hands every accepted chunk to its driver (Ready::snapshot_chunks), which
// stages it; Ready::snapshot then says the staged image is complete and must
// replace the state machine and the log.
//
// SnapshotSource and SnapshotImage are implemented by drivers and called by
// consensus::Node on the driver's thread. MemorySnapshotSource and
// SnapshotAssembler are the in-memory implementations the simulator and the
// consensus tests use.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "consensus/types.h"

namespace warden::consensus {

// One chunk of an image, as the follower's driver receives it. Chunks of one
// image arrive in order without gaps; a chunk at offset 0 starts a new image
// and discards whatever was staged before.
struct SnapshotChunk {
  LogIndex last_index = 0;  // the image holds the state after this entry
  Zxid last_zxid = 0;
  uint64_t offset = 0;
  std::string data;
  bool last = false;  // the image ends with this chunk
  bool operator==(const SnapshotChunk&) const = default;
};

class SnapshotImage {
 public:
  virtual ~SnapshotImage() = default;
  virtual LogIndex last_index() const = 0;
  virtual Zxid last_zxid() const = 0;
  // Sets `*out` to up to `max_bytes` (at least 1) bytes of the image starting
  // at `offset`, and `*last` if they reach its end. Returns false if the
  // image cannot give that range (a stream that has moved past it, a read
  // error); the leader then starts over with a fresh image.
  virtual bool read(uint64_t offset, size_t max_bytes, std::string* out, bool* last) = 0;
};

class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // An image of the state machine at an applied index no older than the
  // node's last compact() call, or null if none can be made now (the leader
  // tries again later).
  virtual std::shared_ptr<SnapshotImage> open_image() = 0;
};

// An image held in memory as one string.
class MemorySnapshotImage final : public SnapshotImage {
 public:
  MemorySnapshotImage(LogIndex last_index, Zxid last_zxid, std::shared_ptr<const std::string> data)
      : last_index_(last_index), last_zxid_(last_zxid), data_(std::move(data)) {}
  LogIndex last_index() const override { return last_index_; }
  Zxid last_zxid() const override { return last_zxid_; }
  bool read(uint64_t offset, size_t max_bytes, std::string* out, bool* last) override {
    if (offset > data_->size()) return false;
    *out = data_->substr(offset, std::max<size_t>(1, max_bytes));
    *last = offset + out->size() == data_->size();
    return true;
  }

 private:
  LogIndex last_index_;
  Zxid last_zxid_;
  std::shared_ptr<const std::string> data_;
};

// Hands out the image the driver made at its last compaction (or received
// from a leader, or recovered at start).
class MemorySnapshotSource final : public SnapshotSource {
 public:
  void set(const Snapshot& snapshot) {
    if (snapshot.last_index == 0) return;  // nothing compacted yet
    image_ =
        std::make_shared<MemorySnapshotImage>(snapshot.last_index, snapshot.last_zxid,
                                              std::make_shared<const std::string>(snapshot.data));
  }
  void clear() { image_.reset(); }
  std::shared_ptr<SnapshotImage> open_image() override { return image_; }

 private:
  std::shared_ptr<MemorySnapshotImage> image_;
};

// Follower side: collects the chunks of the image being received.
class SnapshotAssembler {
 public:
  void add(const SnapshotChunk& chunk) {
    if (chunk.offset == 0) data_.clear();
    data_ += chunk.data;
  }
  // The whole image, once Ready::snapshot says it is complete.
  std::string take() { return std::exchange(data_, std::string()); }
  void clear() { data_.clear(); }

 private:
  std::string data_;
};

}  // namespace warden::consensus
