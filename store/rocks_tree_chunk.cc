#include "store/rocks_tree_chunk.h"

#include <algorithm>

#include "consensus/checksum.h"
#include "store/rocks_codec.h"

namespace warden::store {
namespace {

namespace codec = rocks_codec;

constexpr uint8_t kChunkVersion = 1;
constexpr size_t kLengthBytes = 4;
constexpr size_t kTrailerBytes = 1 + 4 + 8 + 8 + 4 + 1;
constexpr size_t kCrcBytes = 4;

StorageStatus bad_chunk(std::string what) {
  return StorageStatus::corruption("tree snapshot chunk " + what);
}

// Reads one length-prefixed field at *offset, advancing it.
bool read_field(std::string_view bytes, size_t* offset, std::string_view* field) {
  if (bytes.size() - *offset < 4) return false;
  const uint32_t length = codec::get_u32(bytes, *offset);
  *offset += 4;
  if (bytes.size() - *offset < length) return false;
  *field = bytes.substr(*offset, length);
  *offset += length;
  return true;
}

}  // namespace

void TreeChunkBuilder::add(std::string_view key, std::string_view payload) {
  codec::put_u32(chunk_, static_cast<uint32_t>(key.size()));
  chunk_->append(key);
  codec::put_u32(chunk_, static_cast<uint32_t>(payload.size()));
  chunk_->append(payload);
  ++record_count_;
}

void TreeChunkBuilder::finish(TreeChunkTrailer trailer) {
  chunk_->push_back(static_cast<char>(kChunkVersion));
  codec::put_u32(chunk_, trailer.sequence);
  codec::put_u64(chunk_, trailer.position.index);
  codec::put_u64(chunk_, trailer.position.zxid);
  codec::put_u32(chunk_, record_count_);
  chunk_->push_back(trailer.last ? 1 : 0);
  std::string length;
  codec::put_u32(&length, static_cast<uint32_t>(chunk_->size() + kCrcBytes));
  chunk_->replace(0, kLengthBytes, length);
  codec::put_u32(chunk_, consensus::crc32c(*chunk_));
}

size_t tree_chunk_length(std::string_view stream) {
  if (stream.size() < kLengthBytes) return 0;
  const size_t length = codec::get_u32(stream, 0);
  // A length too small to be a chunk is returned as it is, for
  // parse_tree_chunk to refuse.
  return stream.size() < length ? 0 : std::max(length, kLengthBytes);
}

StorageStatus parse_tree_chunk(std::string_view chunk, TreeChunkTrailer* trailer,
                               std::vector<TreeRecordView>* records) {
  records->clear();
  if (chunk.size() < kLengthBytes + kTrailerBytes + kCrcBytes) {
    return bad_chunk("of " + std::to_string(chunk.size()) + " bytes is too short");
  }
  const std::string_view covered = chunk.substr(0, chunk.size() - kCrcBytes);
  if (codec::get_u32(chunk, covered.size()) != consensus::crc32c(covered)) {
    return bad_chunk("fails its checksum");
  }
  if (codec::get_u32(chunk, 0) != chunk.size()) {
    return bad_chunk("says it has " + std::to_string(codec::get_u32(chunk, 0)) + " bytes, not " +
                     std::to_string(chunk.size()));
  }
  const size_t at = covered.size() - kTrailerBytes;
  if (static_cast<uint8_t>(covered[at]) != kChunkVersion) {
    return bad_chunk("has unknown version " + std::to_string(static_cast<uint8_t>(covered[at])));
  }
  trailer->sequence = codec::get_u32(covered, at + 1);
  trailer->position =
      LogPosition{codec::get_u64(covered, at + 5), codec::get_u64(covered, at + 13)};
  trailer->record_count = codec::get_u32(covered, at + 21);
  trailer->last = covered[at + 25] != 0;
  const std::string_view body = covered.substr(kLengthBytes, at - kLengthBytes);
  for (size_t offset = 0; offset < body.size();) {
    TreeRecordView record;
    if (!read_field(body, &offset, &record.key) || !read_field(body, &offset, &record.payload)) {
      return bad_chunk(std::to_string(trailer->sequence) + " has a record cut short");
    }
    records->push_back(record);
  }
  if (records->size() != trailer->record_count) {
    return bad_chunk(std::to_string(trailer->sequence) + " holds " +
                     std::to_string(records->size()) + " records, its trailer says " +
                     std::to_string(trailer->record_count));
  }
  return StorageStatus::ok();
}

}  // namespace warden::store
