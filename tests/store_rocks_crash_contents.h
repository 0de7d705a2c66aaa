// What store_rocks_crash_writer writes for each index, so that
// store_rocks_crash_test can check every acknowledged index byte for byte.
#pragma once

#include <string>

#include "consensus/types.h"
#include "store/rocks_storage.h"
#include "store/rocks_write_batch.h"

namespace warden::store::crash_contents {

inline constexpr uint64_t kClusterId = 0xc4a54;

inline RocksStorageOptions options(const std::string& dir) {
  RocksStorageOptions options;
  options.dir = dir;
  options.cluster_id = kClusterId;
  return options;
}

inline consensus::Zxid zxid_for(consensus::LogIndex index) {
  return consensus::make_zxid(1, static_cast<uint32_t>(index));
}

inline std::string tree_key(consensus::LogIndex index) {
  return "/crash/" + std::to_string(index);
}

inline std::string payload(consensus::LogIndex index) {
  std::string text = "payload of index " + std::to_string(index) + ":";
  while (text.size() < 300) text += std::to_string(index * 2654435761u % 1000003) + ",";
  return text;
}

inline WriteBatch batch_for(consensus::LogIndex index) {
  WriteBatch batch;
  batch.hard_state = consensus::HardState{1, static_cast<consensus::NodeId>(index % 3 + 1)};
  batch.entries = {
      consensus::Entry{index, zxid_for(index), consensus::EntryType::kData, payload(index)}};
  batch.tree_changes = {{tree_key(index), payload(index)}};
  batch.applied = LogPosition{index, zxid_for(index)};
  return batch;
}

}  // namespace warden::store::crash_contents
