#include "sim/tree_checker.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "sim/tree_model.h"

namespace warden::sim {

using Outcome = TreeOpRecord::Outcome;
using store::ErrorCode;

namespace {

using RequestKey = std::pair<int64_t, uint64_t>;  // session, request id

std::string describe(const TreeOpRecord& op) {
  std::ostringstream out;
  out << "client " << op.client << " ";
  if (op.is_write) {
    out << "write op=" << static_cast<int>(op.write.op) << " session=" << op.write.session
        << " request=" << op.write.request_id;
    for (const store::WriteOp& sub : op.write.ops) {
      out << " [" << static_cast<int>(sub.op) << " " << sub.path << " v" << sub.version << "]";
    }
  } else {
    out << "read op=" << static_cast<int>(op.read.op) << " " << op.read.path;
  }
  out << " called at " << op.call_us << "us";
  return out.str();
}

// Compares an answered write with what the model says it should have been.
std::string compare_write(const TreeOpRecord& op, const ModelWriteOutcome& expected, int64_t zxid) {
  const ClientReply& got = op.reply;
  std::ostringstream out;
  if (got.zxid != zxid) {
    out << "answer names zxid " << got.zxid << " but the request committed at " << zxid;
  } else if (got.tree_error != expected.error) {
    out << "answered " << store::error_name(got.tree_error) << ", the committed order gives "
        << store::error_name(expected.error);
  } else if (op.write.op == store::OpCode::kCreateSession &&
             got.created_session != expected.created_session) {
    out << "created session " << got.created_session << ", expected " << expected.created_session;
  } else if (expected.error == ErrorCode::kOk && op.write.op != store::OpCode::kCloseSession &&
             op.write.op != store::OpCode::kCreateSession) {
    for (size_t i = 0; i < got.tree_results.size() && i < expected.created_paths.size(); ++i) {
      const store::OpResult& result = got.tree_results[i];
      if (!expected.created_paths[i].empty() && result.path != expected.created_paths[i]) {
        out << "op " << i << " created " << result.path << ", expected "
            << expected.created_paths[i];
        break;
      }
      if (expected.versions[i] >= 0 && result.stat.version != expected.versions[i]) {
        out << "op " << i << " left version " << result.stat.version << ", expected "
            << expected.versions[i];
        break;
      }
    }
  }
  return out.str();
}

std::string compare_read(const TreeOpRecord& op, const ModelReadOutcome& expected) {
  const store::ReadResult& got = op.reply.tree_read;
  std::ostringstream out;
  if (got.error != expected.error) {
    out << "read " << store::error_name(got.error) << ", the state at its zxid gives "
        << store::error_name(expected.error);
  } else if (got.error != ErrorCode::kOk) {
    return "";
  } else if (got.stat.version != expected.version) {
    out << "read version " << got.stat.version << ", expected " << expected.version;
  } else if (op.read.op == store::OpCode::kGetData && got.data != expected.data) {
    out << "read data '" << got.data << "', expected '" << expected.data << "'";
  } else if (op.read.op == store::OpCode::kGetChildren && got.children != expected.children) {
    out << "read " << got.children.size() << " children, expected " << expected.children.size();
  }
  return out.str();
}

struct Checker {
  const std::map<int64_t, store::Txn>& committed;
  const std::vector<TreeOpRecord>& history;
  TreeCheckResult result;
  std::map<RequestKey, size_t> writes_by_key;
  std::vector<int64_t> commit_zxid;  // per history op; 0: not in the log

  void fail(const TreeOpRecord& op, const std::string& why, int64_t zxid) {
    if (!result.ok) return;
    result.ok = false;
    result.failure = describe(op) + " (zxid " + std::to_string(zxid) + "): " + why;
  }

  void replay() {
    commit_zxid.assign(history.size(), 0);
    for (size_t i = 0; i < history.size(); ++i) {
      if (history[i].is_write)
        writes_by_key[{history[i].write.session, history[i].write.request_id}] = i;
    }
    // Reads in zxid order, evaluated between the txns.
    std::vector<size_t> reads;
    for (size_t i = 0; i < history.size(); ++i) {
      if (!history[i].is_write && history[i].outcome == Outcome::kOk) reads.push_back(i);
    }
    std::sort(reads.begin(), reads.end(),
              [&](size_t a, size_t b) { return history[a].reply.zxid < history[b].reply.zxid; });
    TreeModel model;
    auto next_read = reads.begin();
    const auto check_reads_before = [&](int64_t zxid) {
      for (; next_read != reads.end() && history[*next_read].reply.zxid < zxid; ++next_read) {
        const TreeOpRecord& op = history[*next_read];
        const std::string why = compare_read(op, model.read(op.read.op, op.read.path));
        if (!why.empty()) fail(op, why, op.reply.zxid);
        ++result.reads_checked;
      }
    };
    for (const auto& [zxid, txn] : committed) {
      check_reads_before(zxid);
      apply_txn(model, zxid, txn);
    }
    check_reads_before(std::numeric_limits<int64_t>::max());
  }

  // The leader's own removal of a container or TTL node: legal only if the
  // model agrees the node was due, and then it must have happened.
  void apply_leader_txn(TreeModel& model, int64_t zxid, const store::Txn& txn) {
    store::WriteRequest request;
    request.op = txn.request_op;
    store::WriteOp op;
    op.op = store::OpCode::kDeleteContainer;
    op.path = txn.ops.empty() ? "" : txn.ops[0].path;
    request.ops = {op};
    const bool applied = txn.ops.size() == 1 && txn.ops[0].type == store::TxnOpType::kDelete;
    const ModelWriteOutcome expected = model.apply(request, zxid, txn.time_ms);
    if (applied != (expected.error == ErrorCode::kOk)) {
      TreeOpRecord leader;
      leader.is_write = true;
      leader.write = request;
      fail(leader,
           std::string("the leader's deleteContainer ") + (applied ? "removed" : "kept") +
               " a node the model finds " + store::error_name(expected.error),
           zxid);
    }
  }

  void apply_txn(TreeModel& model, int64_t zxid, const store::Txn& txn) {
    if (txn.session == 0 && txn.request_op == store::OpCode::kDeleteContainer) {
      apply_leader_txn(model, zxid, txn);
      return;
    }
    const auto found = writes_by_key.find({txn.session, txn.request_id});
    if (found == writes_by_key.end()) {
      TreeOpRecord unknown;
      unknown.is_write = true;
      unknown.write.session = txn.session;
      unknown.write.request_id = txn.request_id;
      fail(unknown, "a txn that no client asked for", zxid);
      return;
    }
    const TreeOpRecord& op = history[found->second];
    const ModelWriteOutcome expected = model.apply(op.write, zxid, txn.time_ms);
    if (expected.duplicate) return;
    if (commit_zxid[found->second] != 0) {
      // A repeat the network made: a second createSession only opens a
      // session nobody uses, and a request of a session that is gone by then
      // changes nothing.
      if (op.write.op == store::OpCode::kCreateSession ||
          expected.error == ErrorCode::kSessionExpired) {
        return;
      }
      fail(op, "took effect twice", zxid);
      return;
    }
    commit_zxid[found->second] = zxid;
    if (op.outcome == Outcome::kRejected) fail(op, "rejected, yet it took effect", zxid);
    if (op.outcome != Outcome::kOk) return;
    ++result.writes_checked;
    const std::string why = compare_write(op, expected, zxid);
    if (!why.empty()) fail(op, why, zxid);
  }

  void check_acknowledged_writes_committed() {
    for (size_t i = 0; i < history.size(); ++i) {
      const TreeOpRecord& op = history[i];
      if (op.is_write && op.outcome == Outcome::kOk && commit_zxid[i] == 0) {
        fail(op, "answered, but not in the committed log", op.reply.zxid);
      }
    }
  }

  // A write that had returned before another began must come first in the log.
  void check_real_time_order() {
    std::vector<size_t> effective;
    for (size_t i = 0; i < history.size(); ++i) {
      if (commit_zxid[i] != 0) effective.push_back(i);
    }
    std::sort(effective.begin(), effective.end(),
              [&](size_t a, size_t b) { return commit_zxid[a] < commit_zxid[b]; });
    int64_t earliest_return_after = std::numeric_limits<int64_t>::max();
    size_t returned_op = 0;
    for (auto it = effective.rbegin(); it != effective.rend(); ++it) {
      const TreeOpRecord& op = history[*it];
      if (earliest_return_after < op.call_us) {
        fail(op,
             "took effect before " + describe(history[returned_op]) +
                 ", which had returned before it was called",
             commit_zxid[*it]);
        return;
      }
      if (op.outcome == Outcome::kOk && op.return_us < earliest_return_after) {
        earliest_return_after = op.return_us;
        returned_op = *it;
      }
    }
  }

  // Each client's answers never go back in zxid (ZooKeeper's session order).
  void check_session_order() {
    std::map<uint32_t, std::pair<int64_t, size_t>> last_by_client;
    for (size_t i = 0; i < history.size(); ++i) {
      const TreeOpRecord& op = history[i];
      if (op.outcome != Outcome::kOk) continue;
      auto [it, inserted] = last_by_client.try_emplace(op.client, op.reply.zxid, i);
      if (inserted) continue;
      if (op.reply.zxid < it->second.first) {
        fail(op,
             "answered from zxid " + std::to_string(op.reply.zxid) + " after the client saw " +
                 std::to_string(it->second.first),
             op.reply.zxid);
        return;
      }
      it->second = {op.reply.zxid, i};
    }
  }
};

}  // namespace

TreeCheckResult check_tree_history(const std::map<int64_t, store::Txn>& committed,
                                   const std::vector<TreeOpRecord>& history) {
  Checker checker{committed, history, {}, {}, {}};
  checker.replay();
  checker.check_acknowledged_writes_committed();
  checker.check_real_time_order();
  checker.check_session_order();
  return checker.result;
}

}  // namespace warden::sim
