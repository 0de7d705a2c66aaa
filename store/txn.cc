#include "store/txn.h"

#include "store/byte_io.h"

namespace warden::store {
namespace {

constexpr uint8_t kTxnFormat = 1;

void write_op(ByteWriter& w, const TxnOp& op) {
  w.u8(static_cast<uint8_t>(op.type));
  w.i32(static_cast<int32_t>(op.request_op));
  w.bytes(op.path);
  w.bytes(op.data);
  write_acl(w, op.acl);
  w.i64(op.ephemeral_owner);
  w.i32(op.parent_cversion);
  w.i32(op.version);
  w.i32(static_cast<int32_t>(op.error));
  w.i32(op.session_timeout_ms);
}

TxnOp read_op(ByteReader& r) {
  TxnOp op;
  op.type = static_cast<TxnOpType>(r.u8());
  op.request_op = static_cast<OpCode>(r.i32());
  op.path = r.bytes();
  op.data = r.bytes();
  op.acl = read_acl(r);
  op.ephemeral_owner = r.i64();
  op.parent_cversion = r.i32();
  op.version = r.i32();
  op.error = static_cast<ErrorCode>(r.i32());
  op.session_timeout_ms = r.i32();
  return op;
}

bool valid_type(TxnOpType type) {
  return type >= TxnOpType::kCreate && type <= TxnOpType::kCloseSession;
}

}  // namespace

std::string encode_txn(const Txn& txn) {
  std::string out;
  ByteWriter w(out);
  w.u8(kTxnFormat);
  w.i64(txn.session);
  w.u64(txn.request_id);
  w.i32(static_cast<int32_t>(txn.request_op));
  w.i64(txn.time_ms);
  w.u32(static_cast<uint32_t>(txn.ops.size()));
  for (const TxnOp& op : txn.ops) write_op(w, op);
  return out;
}

std::optional<Txn> decode_txn(std::string_view bytes) {
  ByteReader r(bytes);
  if (r.u8() != kTxnFormat) return std::nullopt;
  Txn txn;
  txn.session = r.i64();
  txn.request_id = r.u64();
  txn.request_op = static_cast<OpCode>(r.i32());
  txn.time_ms = r.i64();
  const uint32_t count = r.u32();
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    txn.ops.push_back(read_op(r));
    if (!valid_type(txn.ops.back().type)) return std::nullopt;
  }
  if (!r.ok() || !r.at_end()) return std::nullopt;
  return txn;
}

}  // namespace warden::store
