// How a serving node hands memory back to the system. The tree is what a
// node's memory is for; everything else it allocates comes and goes (log
// entries until compaction, RocksDB's memtables until flushed, request
// buffers), and with glibc's defaults much of that stays in the process
// after it is freed: blocks above the mmap threshold come from the heap once
// the threshold has grown, and pages freed between live znodes stay mapped.
//
// Called by `warden serve` once at start (keep_large_blocks_off_the_heap)
// and by NodeServer on its thread after the log was compacted
// (return_free_memory). Glibc-specific; elsewhere they do nothing.
#pragma once

namespace warden::net {

// Fixes the mmap threshold, so that large blocks (memtable arenas, big
// buffers) are mapped and unmapped on their own instead of growing the heap
// around live znodes.
void keep_large_blocks_off_the_heap();

// Gives back whole free pages inside the heap. It walks the heap's free
// lists (milliseconds for a heap of a million znodes), so call it after
// large frees, not per request.
void return_free_memory();

}  // namespace warden::net
