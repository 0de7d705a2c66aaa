#include "store/zoo_state.h"

#include <cassert>

#include "store/byte_io.h"
#include "store/path.h"

namespace warden::store {
namespace {

// About what a session record holds (id, timeout, password), for a durable
// store that sizes its pending writes.
constexpr size_t kSessionRecordBytes = 32;

constexpr uint8_t kZnodeRecordFormat = 1;
constexpr uint8_t kSessionRecordFormat = 1;
constexpr uint8_t kSnapshotFormat = 2;  // 2: the record count follows the zxid
constexpr char kSessionKeyPrefix[] = "\x01s";

void write_stat(ByteWriter& w, const Stat& s) {
  w.i64(s.czxid);
  w.i64(s.mzxid);
  w.i64(s.ctime_ms);
  w.i64(s.mtime_ms);
  w.i32(s.version);
  w.i32(s.cversion);
  w.i32(s.aversion);
  w.i64(s.ephemeral_owner);
  w.i64(s.pzxid);
}

Stat read_stat(ByteReader& r) {
  Stat s;
  s.czxid = r.i64();
  s.mzxid = r.i64();
  s.ctime_ms = r.i64();
  s.mtime_ms = r.i64();
  s.version = r.i32();
  s.cversion = r.i32();
  s.aversion = r.i32();
  s.ephemeral_owner = r.i64();
  s.pzxid = r.i64();
  return s;
}

std::string encode_session(const SessionInfo& info) {
  std::string out;
  ByteWriter w(out);
  w.u8(kSessionRecordFormat);
  w.i32(info.timeout_ms);
  w.u64(info.last_request_id);
  return out;
}

std::optional<SessionId> session_of_key(std::string_view key) {
  if (key.size() != 10 || key.substr(0, 2) != kSessionKeyPrefix) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = 2; i < 10; ++i) id = (id << 8) | static_cast<uint8_t>(key[i]);
  return static_cast<SessionId>(id);
}

std::string encode_znode(const Stat& stat, std::string_view data, const AclList& acl) {
  std::string out;
  ByteWriter w(out);
  w.u8(kZnodeRecordFormat);
  write_stat(w, stat);
  w.bytes(data);
  write_acl(w, acl);
  return out;
}

}  // namespace

std::string encode_znode(const Znode& node) {
  return encode_znode(node.stat, node.data(), node.acl());
}

std::string encode_znode(const ZnodeRecord& node) {
  return encode_znode(node.stat, node.data, node.acl);
}

bool decode_znode(std::string_view bytes, ZnodeRecord& node) {
  ByteReader r(bytes);
  if (r.u8() != kZnodeRecordFormat) return false;
  node.stat = read_stat(r);
  node.data = r.bytes();
  node.acl = read_acl(r);
  node.stat.data_length = static_cast<int32_t>(node.data.size());
  return r.ok() && r.at_end();
}

std::string ZooState::session_key(SessionId id) {
  std::string key(kSessionKeyPrefix, 2);
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((static_cast<uint64_t>(id) >> shift) & 0xff));
  }
  return key;
}

const SessionInfo* ZooState::session(SessionId id) const {
  const auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

uint64_t ZooState::session_hash(SessionId id, const SessionInfo& info) {
  uint64_t h = static_cast<uint64_t>(id) * 0x9e3779b97f4a7c15ull;
  h ^= (static_cast<uint64_t>(info.timeout_ms) << 32) ^ info.last_request_id;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 29);
}

void ZooState::put_session(SessionId id, const SessionInfo& info) {
  auto [it, inserted] = sessions_.try_emplace(id, info);
  if (!inserted) {
    sessions_hash_ -= session_hash(id, it->second);
    it->second = info;
  }
  sessions_hash_ += session_hash(id, info);
  if (change_listener_) change_listener_(session_key(id), kSessionRecordBytes);
}

void ZooState::erase_session(SessionId id) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  sessions_hash_ -= session_hash(id, it->second);
  sessions_.erase(it);
  if (change_listener_) change_listener_(session_key(id), kSessionRecordBytes);
}

void ZooState::set_change_listener(DataTree::ChangeListener listener) {
  change_listener_ = listener;
  tree_.set_change_listener(std::move(listener));
}

Stat ZooState::stat_of(const std::string& path) const {
  const Znode* node = tree_.find(path);
  return node == nullptr ? Stat{} : node->stat;
}

ApplyResult ZooState::apply(const Txn& txn, int64_t zxid) {
  assert(zxid > last_applied_zxid_);
  last_applied_zxid_ = zxid;
  ApplyResult result;
  result.session = txn.session;
  result.request_id = txn.request_id;
  result.request_op = txn.request_op;
  result.zxid = zxid;
  const auto session_it = sessions_.find(txn.session);
  if (session_it != sessions_.end()) {
    if (txn.request_id <= session_it->second.last_request_id) {
      result.duplicate = true;
      return result;
    }
    SessionInfo info = session_it->second;
    info.last_request_id = txn.request_id;
    put_session(txn.session, info);
  }
  for (const TxnOp& op : txn.ops) apply_op(op, txn, zxid, result);
  // A multi answers with its first real error; a single op with its own.
  for (const OpResult& op_result : result.results) {
    if (op_result.error != ErrorCode::kOk && op_result.error != ErrorCode::kRuntimeInconsistency) {
      result.error = op_result.error;
      break;
    }
  }
  return result;
}

void ZooState::apply_op(const TxnOp& op, const Txn& txn, int64_t zxid, ApplyResult& result) {
  OpResult out;
  out.op = op.request_op;
  switch (op.type) {
    case TxnOpType::kCreate:
      out.error = tree_.create_node(op.path, op.data, op.acl, op.ephemeral_owner,
                                    op.parent_cversion, zxid, txn.time_ms, result.triggers);
      out.path = op.path;
      out.stat = stat_of(op.path);
      break;
    case TxnOpType::kDelete:
      out.error = tree_.delete_node(op.path, zxid, result.triggers);
      break;
    case TxnOpType::kSetData:
      out.error = tree_.set_data(op.path, op.data, op.version, zxid, txn.time_ms, result.triggers);
      out.stat = stat_of(op.path);
      break;
    case TxnOpType::kSetAcl:
      out.error = tree_.set_acl(op.path, op.acl, op.version);
      out.stat = stat_of(op.path);
      break;
    case TxnOpType::kCheck:
      break;
    case TxnOpType::kError:
      out.error = op.error;
      result.results.push_back(std::move(out));
      return;  // decided at the leader; not an inconsistency
    case TxnOpType::kCreateSession:
      result.created_session = zxid;
      put_session(zxid, SessionInfo{op.session_timeout_ms, 0});
      break;
    case TxnOpType::kCloseSession:
      close_session(txn.session, zxid, result.triggers);
      break;
  }
  if (out.error != ErrorCode::kOk) ++inconsistencies_;
  result.results.push_back(std::move(out));
}

void ZooState::close_session(SessionId id, int64_t zxid, std::vector<WatchTrigger>& triggers) {
  const std::set<std::string> ephemerals = tree_.ephemerals_of(id);  // a copy: deletes change it
  for (const std::string& path : ephemerals) {
    if (tree_.delete_node(path, zxid, triggers) != ErrorCode::kOk) ++inconsistencies_;
  }
  erase_session(id);
}

const Znode* ZooState::readable(std::string_view path, int32_t wanted, const AuthContext& auth,
                                ReadResult& result) const {
  result.error = ErrorCode::kOk;
  if (!is_valid_path(path)) {
    result.error = ErrorCode::kBadArguments;
    return nullptr;
  }
  const Znode* node = tree_.find(path);
  if (node == nullptr) {
    result.error = ErrorCode::kNoNode;
  } else if (wanted != 0 && !acl_allows(node->acl(), wanted, auth)) {
    result.error = ErrorCode::kNoAuth;
    node = nullptr;
  } else {
    result.stat = node->stat;
  }
  return node;
}

ReadResult ZooState::get_data(std::string_view path, const AuthContext& auth) const {
  ReadResult result;
  if (const Znode* node = readable(path, perm::kRead, auth, result)) result.data = node->data();
  return result;
}

ReadResult ZooState::exists(std::string_view path) const {
  ReadResult result;
  readable(path, 0, AuthContext{}, result);
  return result;
}

ReadResult ZooState::get_children(std::string_view path, const AuthContext& auth) const {
  ReadResult result;
  if (const Znode* node = readable(path, perm::kRead, auth, result)) {
    const std::vector<std::string_view> names = node->child_names();
    result.children.assign(names.begin(), names.end());
  }
  return result;
}

ReadResult ZooState::get_acl(std::string_view path, const AuthContext& auth) const {
  ReadResult result;
  if (const Znode* node = readable(path, perm::kRead | perm::kAdmin, auth, result)) {
    result.acl = node->acl();
    // Without ADMIN, ZooKeeper answers each digest id as "user:x".
    if (!acl_allows(node->acl(), perm::kAdmin, auth)) {
      for (Acl& entry : result.acl) {
        const size_t colon = entry.id.id.find(':');
        if (entry.id.scheme == "digest" && colon != std::string::npos) {
          entry.id.id = entry.id.id.substr(0, colon) + ":x";
        }
      }
    }
  }
  return result;
}

std::optional<std::string> ZooState::record(std::string_view key) const {
  if (const auto id = session_of_key(key)) {
    const SessionInfo* info = session(*id);
    if (info == nullptr) return std::nullopt;
    return encode_session(*info);
  }
  const Znode* node = tree_.find(key);
  if (node == nullptr) return std::nullopt;
  return encode_znode(*node);
}

void ZooState::for_each_record(
    const std::function<void(const std::string&, const std::string&)>& visit) const {
  for (const auto& [id, info] : sessions_) visit(session_key(id), encode_session(info));
  tree_.for_each_node(
      [&](const std::string& path, const Znode& node) { visit(path, encode_znode(node)); });
}

void ZooState::clear() {
  tree_.clear();
  clear_sessions_and_counters();
}

void ZooState::clear_sessions_and_counters() {
  sessions_.clear();
  sessions_hash_ = 0;
  last_applied_zxid_ = 0;
  inconsistencies_ = 0;
}

bool ZooState::restore_record(std::string_view key, std::string_view value) {
  if (const auto id = session_of_key(key)) {
    ByteReader r(value);
    SessionInfo info;
    if (r.u8() != kSessionRecordFormat) return false;
    info.timeout_ms = r.i32();
    info.last_request_id = r.u64();
    if (!r.ok() || !r.at_end()) return false;
    put_session(*id, info);
    return true;
  }
  ZnodeRecord node;
  if (!decode_znode(value, node)) return false;
  return tree_.restore_node(std::string(key), std::move(node));
}

ZooState::Loader::Loader(ZooState& state, size_t expected_records)
    : state_(state), tree_(state.tree_, expected_records) {
  state_.clear_sessions_and_counters();  // the tree's Loader has cleared the tree
}

bool ZooState::Loader::add(std::string_view key, std::string_view value) {
  if (session_of_key(key)) return state_.restore_record(key, value);
  return decode_znode(value, node_) && tree_.add(key, node_);
}

std::string ZooState::serialize() const {
  std::string out;
  ByteWriter w(out);
  w.u8(kSnapshotFormat);
  w.i64(last_applied_zxid_);
  // The count makes a snapshot cut at a record boundary malformed, not smaller.
  w.u64(sessions_.size() + tree_.node_count());
  for_each_record([&](const std::string& key, const std::string& value) {
    w.bytes(key);
    w.bytes(value);
  });
  return out;
}

bool ZooState::restore(std::string_view bytes) {
  ZooState fresh;
  ByteReader r(bytes);
  if (r.u8() != kSnapshotFormat) return false;
  const int64_t zxid = r.i64();
  const uint64_t count = r.u64();
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    const std::string_view key = r.bytes();
    const std::string_view value = r.bytes();
    if (!r.ok() || !fresh.restore_record(key, value)) return false;
  }
  if (!r.ok() || !r.at_end()) return false;
  fresh.last_applied_zxid_ = zxid;
  fresh.set_change_listener(change_listener_);
  *this = std::move(fresh);
  return true;
}

}  // namespace warden::store
