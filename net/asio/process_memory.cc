#include "net/asio/process_memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace warden::net {

// 256 KiB: above any znode or request buffer a client can send by default
// (jute.maxbuffer is 1 MiB, but such values are rare), below RocksDB's
// memtable arena blocks. Setting it also stops glibc from raising it.
constexpr int kMmapThresholdBytes = 256 << 10;

void keep_large_blocks_off_the_heap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
#endif
}

void return_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace warden::net
