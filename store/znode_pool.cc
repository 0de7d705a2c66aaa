#include "store/znode_pool.h"

#include <algorithm>
#include <new>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace warden::store {
namespace {

// Under AddressSanitizer, free slots and unused block tails are poisoned (all
// but a free slot's link), so a znode used after it was freed is caught as it
// would be on the heap.
void poison([[maybe_unused]] void* memory, [[maybe_unused]] size_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_POISON_MEMORY_REGION(memory, bytes);
#endif
}

void unpoison([[maybe_unused]] void* memory, [[maybe_unused]] size_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  ASAN_UNPOISON_MEMORY_REGION(memory, bytes);
#endif
}

}  // namespace

ZnodePool::~ZnodePool() {
  release();
}

ZnodePool::ZnodePool(ZnodePool&& other) noexcept {
  *this = std::move(other);
}

ZnodePool& ZnodePool::operator=(ZnodePool&& other) noexcept {
  if (this == &other) return *this;
  release();
  free_ = std::exchange(other.free_, {});
  blocks_ = std::exchange(other.blocks_, {});
  tail_ = std::exchange(other.tail_, nullptr);
  tail_bytes_ = std::exchange(other.tail_bytes_, 0);
  return *this;
}

size_t ZnodePool::capacity_for(size_t bytes) {
  return (std::max(bytes, kGranuleBytes) + kGranuleBytes - 1) / kGranuleBytes * kGranuleBytes;
}

void* ZnodePool::allocate(size_t bytes) {
  const size_t capacity = capacity_for(bytes);
  if (capacity > kMaxPooledBytes) return ::operator new(capacity);
  FreeSlot*& head = free_[class_of(capacity)];
  if (head != nullptr) {
    unpoison(head, capacity);
    return std::exchange(head, head->next);
  }
  if (tail_bytes_ < capacity) {
    // The rest of the block becomes a free slot of its own size (every size
    // is a multiple of the granule, so nothing is lost).
    if (tail_bytes_ > 0) free(tail_, tail_bytes_);
    blocks_.push_back(static_cast<char*>(::operator new(kBlockBytes)));
    tail_ = blocks_.back();
    tail_bytes_ = kBlockBytes;
    poison(tail_, tail_bytes_);
  }
  void* memory = tail_;
  tail_ += capacity;
  tail_bytes_ -= capacity;
  unpoison(memory, capacity);
  return memory;
}

void ZnodePool::free(void* memory, size_t bytes) {
  const size_t capacity = capacity_for(bytes);
  if (capacity > kMaxPooledBytes) {
    ::operator delete(memory);
    return;
  }
  FreeSlot*& head = free_[class_of(capacity)];
  unpoison(memory, sizeof(FreeSlot));  // a block's tail is poisoned already
  head = new (memory) FreeSlot{head};
  poison(static_cast<char*>(memory) + sizeof(FreeSlot), capacity - sizeof(FreeSlot));
}

void ZnodePool::release() {
  for (char* block : blocks_) {
    unpoison(block, kBlockBytes);
    ::operator delete(block);
  }
  blocks_.clear();
  free_ = {};
  tail_ = nullptr;
  tail_bytes_ = 0;
}

}  // namespace warden::store
