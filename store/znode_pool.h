// ZnodePool: the memory a DataTree's znodes live in. Znodes are many and
// long-lived; requests, log entries and replies are short-lived. Allocated
// from one heap, the short-lived ones leave holes between znodes that the
// process can never give back (about 50 MiB beside a million znodes, measured
// with malloc_stats), and each znode carries the allocator's 8-byte header.
// The pool takes 1 MiB blocks for znodes alone and carves them in sizes
// kGranuleBytes apart, without headers; a freed znode's room is kept for the
// next znode of the same size class. Znodes above kMaxPooledBytes (large data)
// come from the heap as before.
//
// What the pool took is given back only when it is released or destroyed
// (DataTree::clear, a state replaced by a snapshot): a tree that shrinks for
// good keeps its high-water mark. Owned by one DataTree; single-threaded.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace warden::store {

class ZnodePool {
 public:
  static constexpr size_t kGranuleBytes = 16;
  static constexpr size_t kMaxPooledBytes = 2048;
  static constexpr size_t kBlockBytes = 1 << 20;

  ZnodePool() = default;
  ~ZnodePool();
  ZnodePool(ZnodePool&& other) noexcept;
  ZnodePool& operator=(ZnodePool&& other) noexcept;
  ZnodePool(const ZnodePool&) = delete;
  ZnodePool& operator=(const ZnodePool&) = delete;

  // What allocate(bytes) hands out: `bytes` rounded up to its size class.
  static size_t capacity_for(size_t bytes);
  // At least `bytes`, aligned for a Znode; exactly capacity_for(bytes) usable.
  void* allocate(size_t bytes);
  // `bytes` must be what was asked of allocate() (or its capacity).
  void free(void* memory, size_t bytes);
  // Gives every block back. Pooled memory handed out is invalid afterwards;
  // heap-allocated (large) pieces must have been freed one by one.
  void release();

  // Bytes of blocks taken from the system (for tests and accounting).
  size_t block_bytes() const { return blocks_.size() * kBlockBytes; }

 private:
  static constexpr size_t kClasses = kMaxPooledBytes / kGranuleBytes;
  struct FreeSlot {
    FreeSlot* next;
  };
  static size_t class_of(size_t capacity) { return capacity / kGranuleBytes - 1; }

  std::array<FreeSlot*, kClasses> free_{};  // per size class, linked through the slots
  std::vector<char*> blocks_;
  char* tail_ = nullptr;  // the unused end of the newest block
  size_t tail_bytes_ = 0;
};

}  // namespace warden::store
