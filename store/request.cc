#include "store/request.h"

#include "store/byte_io.h"

namespace warden::store {
namespace {

constexpr uint8_t kRequestFormat = 1;

void write_op(ByteWriter& w, const WriteOp& op) {
  w.i32(static_cast<int32_t>(op.op));
  w.bytes(op.path);
  w.bytes(op.data);
  write_acl(w, op.acl);
  w.i32(static_cast<int32_t>(op.mode));
  w.i64(op.ttl_ms);
  w.i32(op.version);
}

WriteOp read_op(ByteReader& r) {
  WriteOp op;
  op.op = static_cast<OpCode>(r.i32());
  op.path = r.bytes();
  op.data = r.bytes();
  op.acl = read_acl(r);
  op.mode = static_cast<CreateMode>(r.i32());
  op.ttl_ms = r.i64();
  op.version = r.i32();
  return op;
}

}  // namespace

bool is_sequential(CreateMode mode) {
  return mode == CreateMode::kPersistentSequential || mode == CreateMode::kEphemeralSequential ||
         mode == CreateMode::kPersistentSequentialWithTtl;
}
bool is_ephemeral(CreateMode mode) {
  return mode == CreateMode::kEphemeral || mode == CreateMode::kEphemeralSequential;
}
bool is_ttl(CreateMode mode) {
  return mode == CreateMode::kPersistentWithTtl || mode == CreateMode::kPersistentSequentialWithTtl;
}
bool is_valid_create_mode(int32_t mode) {
  return mode >= 0 && mode <= 6;
}

bool WriteRequest::operator==(const WriteRequest& other) const {
  return session == other.session && request_id == other.request_id && op == other.op &&
         ops == other.ops && auth.ids == other.auth.ids && auth.is_super == other.auth.is_super &&
         session_timeout_ms == other.session_timeout_ms;
}

std::string encode_write_request(const WriteRequest& request) {
  std::string out;
  ByteWriter w(out);
  w.u8(kRequestFormat);
  w.i64(request.session);
  w.u64(request.request_id);
  w.i32(static_cast<int32_t>(request.op));
  w.i32(request.session_timeout_ms);
  w.u8(request.auth.is_super ? 1 : 0);
  w.u32(static_cast<uint32_t>(request.auth.ids.size()));
  for (const Id& id : request.auth.ids) {
    w.bytes(id.scheme);
    w.bytes(id.id);
  }
  w.u32(static_cast<uint32_t>(request.ops.size()));
  for (const WriteOp& op : request.ops) write_op(w, op);
  return out;
}

std::optional<WriteRequest> decode_write_request(std::string_view bytes) {
  ByteReader r(bytes);
  if (r.u8() != kRequestFormat) return std::nullopt;
  WriteRequest request;
  request.session = r.i64();
  request.request_id = r.u64();
  request.op = static_cast<OpCode>(r.i32());
  request.session_timeout_ms = r.i32();
  request.auth.is_super = r.u8() != 0;
  const uint32_t id_count = r.u32();
  for (uint32_t i = 0; i < id_count && r.ok(); ++i) {
    Id id;
    id.scheme = r.bytes();
    id.id = r.bytes();
    request.auth.ids.push_back(std::move(id));
  }
  const uint32_t op_count = r.u32();
  for (uint32_t i = 0; i < op_count && r.ok(); ++i) request.ops.push_back(read_op(r));
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return request;
}

}  // namespace warden::store
