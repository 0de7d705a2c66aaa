// A model-based check of the tree: random commands (creates of every plain
// kind, deletes, setData, checks, multis, session opens and closes, resent
// requests) run through the real prepare -> keep -> apply pipeline, in
// batches prepared before any of them is applied, and a small model of
// ZooKeeper's rules says what each must answer and what the tree must hold.
// The path universe is small so that creates collide, parents are missing,
// deletes find children and versions go stale.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/path.h"
#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

using tree_test::TreeHarness;

constexpr int kSlots = 3;  // clients, each with at most one session at a time
constexpr int kNoOwner = -1;

// --- The model ----------------------------------------------------------------------

struct ModelNode {
  std::string data;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t num_children = 0;
  int owner = kNoOwner;  // the slot whose session owns this ephemeral
};

struct Model {
  std::map<std::string, ModelNode> nodes;  // "/" and every node made by the test
  std::array<bool, kSlots> open{};         // every slot starts with a session (see Sut)
  std::array<bool, kSlots> sent{};         // the open session has sent a request
  Model() {
    nodes["/"].num_children = 1;  // "/zookeeper", which the model leaves out
    open.fill(true);
  }
};

enum class Kind { kCreate, kDelete, kSetData, kCheck };

struct Op {
  Kind kind = Kind::kCreate;
  std::string path;  // for a sequential create, the prefix
  CreateMode mode = CreateMode::kPersistent;
  int32_t version = -1;
  std::string data;
};

struct Request {
  enum class Type { kSingle, kMulti, kClose } type = Type::kSingle;
  int slot = 0;
  std::vector<Op> ops;
};

// What the pipeline must answer to one request.
struct Expected {
  ErrorCode error = ErrorCode::kOk;
  std::vector<ErrorCode> op_errors;
  std::vector<std::string> created;  // per op: the created path, else ""
};

const std::vector<std::string> kPaths = {"/a", "/a/b", "/c", "/c/d", "/a/b/e"};
const std::vector<std::string> kSequentialPrefixes = {"/a/s-", "/c/d/s-", "/q-"};

ErrorCode model_op(Model& m, const Op& op, int slot, std::string& created) {
  switch (op.kind) {
    case Kind::kCreate: {
      const std::string parent(parent_path(op.path));
      auto parent_it = m.nodes.find(parent);
      if (parent_it == m.nodes.end()) return ErrorCode::kNoNode;
      const std::string path =
          is_sequential(op.mode) ? op.path + sequence_suffix(parent_it->second.cversion) : op.path;
      if (m.nodes.count(path) != 0) return ErrorCode::kNodeExists;
      if (parent_it->second.owner != kNoOwner) return ErrorCode::kNoChildrenForEphemerals;
      ModelNode node;
      node.data = op.data;
      node.owner = is_ephemeral(op.mode) ? slot : kNoOwner;
      parent_it->second.cversion += 1;
      parent_it->second.num_children += 1;
      m.nodes[path] = node;
      created = path;
      return ErrorCode::kOk;
    }
    case Kind::kDelete: {
      const auto parent_it = m.nodes.find(std::string(parent_path(op.path)));
      const auto it = m.nodes.find(op.path);
      if (parent_it == m.nodes.end() || it == m.nodes.end()) return ErrorCode::kNoNode;
      if (op.version != -1 && op.version != it->second.version) return ErrorCode::kBadVersion;
      if (it->second.num_children > 0) return ErrorCode::kNotEmpty;
      parent_it->second.num_children -= 1;
      m.nodes.erase(it);
      return ErrorCode::kOk;
    }
    case Kind::kSetData:
    case Kind::kCheck: {
      const auto it = m.nodes.find(op.path);
      if (it == m.nodes.end()) return ErrorCode::kNoNode;
      if (op.version != -1 && op.version != it->second.version) return ErrorCode::kBadVersion;
      if (op.kind == Kind::kSetData) {
        it->second.version += 1;
        it->second.data = op.data;
      }
      return ErrorCode::kOk;
    }
  }
  return ErrorCode::kSystemError;
}

Expected model_request(Model& m, const Request& r) {
  Expected out;
  if (!m.open[r.slot]) {
    out.error = ErrorCode::kSessionExpired;
    return out;
  }
  m.sent[r.slot] = true;
  switch (r.type) {
    case Request::Type::kSingle: {
      std::string created;
      out.error = model_op(m, r.ops[0], r.slot, created);
      out.op_errors = {out.error};
      out.created = {created};
      break;
    }
    case Request::Type::kMulti: {
      Model trial = m;
      for (const Op& op : r.ops) {
        if (out.error != ErrorCode::kOk) {
          out.op_errors.push_back(ErrorCode::kRuntimeInconsistency);
          out.created.emplace_back();
          continue;
        }
        std::string created;
        const ErrorCode error = model_op(trial, op, r.slot, created);
        out.op_errors.push_back(error);
        out.created.push_back(created);
        out.error = error;
      }
      if (out.error == ErrorCode::kOk) {
        m = std::move(trial);
      } else {  // every op before the failing one answers OK, and no path
        for (std::string& created : out.created) created.clear();
      }
      break;
    }
    case Request::Type::kClose: {
      for (auto it = m.nodes.begin(); it != m.nodes.end();) {
        if (it->second.owner == r.slot) {
          m.nodes[std::string(parent_path(it->first))].num_children -= 1;
          it = m.nodes.erase(it);
        } else {
          ++it;
        }
      }
      m.open[r.slot] = false;
      out.op_errors = {ErrorCode::kOk};
      out.created = {""};
      break;
    }
  }
  return out;
}

// --- The system under test ----------------------------------------------------------

struct Sut {
  TreeHarness h;
  std::array<SessionId, kSlots> ids{};  // the slot's current or last session
  std::array<std::optional<WriteRequest>, kSlots> last;
  Sut() {
    for (int slot = 0; slot < kSlots; ++slot) ids[slot] = h.open_session();
  }

  WriteOp write_op(const Op& op) {
    WriteOp out;
    out.path = op.path;
    out.version = op.version;
    out.data = op.data;
    out.mode = op.mode;
    out.acl = open_acl();
    switch (op.kind) {
      case Kind::kCreate:
        out.op = OpCode::kCreate;
        break;
      case Kind::kDelete:
        out.op = OpCode::kDelete;
        break;
      case Kind::kSetData:
        out.op = OpCode::kSetData;
        break;
      case Kind::kCheck:
        out.op = OpCode::kCheck;
        break;
    }
    return out;
  }

  WriteRequest write_request(const Request& r) {
    const SessionId session = ids[r.slot];
    WriteRequest out;
    switch (r.type) {
      case Request::Type::kSingle:
        out = h.request(session, write_op(r.ops[0]));
        break;
      case Request::Type::kMulti: {
        std::vector<WriteOp> ops;
        for (const Op& op : r.ops) ops.push_back(write_op(op));
        out = h.multi(session, std::move(ops));
        break;
      }
      case Request::Type::kClose:
        out = h.close(session);
        break;
    }
    last[r.slot] = out;
    return out;
  }
};

// The tree must hold exactly the model's nodes, field for field.
void check_tree(const Model& m, Sut& sut) {
  const ZooState& state = sut.h.state();
  RC_ASSERT(state.inconsistencies() == 0u);
  RC_ASSERT(sut.h.preparer().pending_records() == 0u);
  RC_ASSERT(state.tree().node_count() == m.nodes.size() + 3);  // + the /zookeeper nodes
  for (const auto& [path, want] : m.nodes) {
    const Znode* got = state.tree().find(path);
    RC_ASSERT(got != nullptr);
    RC_ASSERT(got->data() == want.data);
    RC_ASSERT(got->stat.version == want.version);
    RC_ASSERT(got->stat.cversion == want.cversion);
    RC_ASSERT(got->stat.num_children == want.num_children);
    RC_ASSERT(static_cast<int32_t>(got->child_names().size()) == want.num_children);
    RC_ASSERT(got->stat.data_length == static_cast<int32_t>(want.data.size()));
    RC_ASSERT(got->stat.ephemeral_owner == (want.owner == kNoOwner ? 0 : sut.ids[want.owner]));
  }
  for (int slot = 0; slot < kSlots; ++slot) {
    if (m.open[slot]) {
      RC_ASSERT(state.session(sut.ids[slot]) != nullptr);
    } else {
      RC_ASSERT(state.session(sut.ids[slot]) == nullptr);
      RC_ASSERT(state.tree().ephemerals_of(sut.ids[slot]).empty());
    }
  }
}

// --- Generators ----------------------------------------------------------------------

// Mostly paths that exist (or whose parent does), so that most requests get
// past NONODE; sometimes any path of the universe.
std::vector<std::string> existing(const Model& m) {
  std::vector<std::string> out;
  for (const auto& [path, node] : m.nodes) {
    if (path != "/") out.push_back(path);
  }
  return out;
}

std::vector<std::string> creatable(const Model& m, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    if (m.nodes.count(std::string(parent_path(path))) != 0) out.push_back(path);
  }
  return out;
}

std::string gen_path(const std::vector<std::string>& likely, const std::vector<std::string>& all) {
  if (likely.empty() || *rc::gen::inRange(0, 4) == 0) return *rc::gen::elementOf(all);
  return *rc::gen::elementOf(likely);
}

Op gen_op(const Model& m) {
  Op op;
  op.kind = *rc::gen::weightedElement<Kind>(
      {{4, Kind::kCreate}, {2, Kind::kDelete}, {2, Kind::kSetData}, {1, Kind::kCheck}});
  op.data = *rc::gen::elementOf(std::vector<std::string>{"", "x", "yy"});
  if (op.kind == Kind::kCreate) {
    op.mode =
        *rc::gen::element(CreateMode::kPersistent, CreateMode::kEphemeral,
                          CreateMode::kPersistentSequential, CreateMode::kEphemeralSequential);
    const std::vector<std::string>& all = is_sequential(op.mode) ? kSequentialPrefixes : kPaths;
    op.path = gen_path(creatable(m, all), all);
    return op;
  }
  std::vector<std::string> all = kPaths;
  for (const std::string& path : existing(m)) all.push_back(path);
  op.path = gen_path(existing(m), all);
  const auto it = m.nodes.find(op.path);
  const int32_t current = it == m.nodes.end() ? 0 : it->second.version;
  op.version = *rc::gen::element<int32_t>(-1, -1, 0, current, current, current + 1);
  return op;
}

Request gen_request(const Model& m) {
  Request r;
  std::vector<int> open;
  for (int slot = 0; slot < kSlots; ++slot) {
    if (m.open[slot]) open.push_back(slot);
  }
  // Mostly from open sessions; sometimes from any slot (SESSIONEXPIRED).
  r.slot = open.empty() || *rc::gen::inRange(0, 10) == 0 ? *rc::gen::inRange(0, kSlots)
                                                         : *rc::gen::elementOf(open);
  r.type = *rc::gen::weightedElement<Request::Type>(
      {{12, Request::Type::kSingle}, {5, Request::Type::kMulti}, {1, Request::Type::kClose}});
  if (r.type == Request::Type::kSingle) r.ops.push_back(gen_op(m));
  if (r.type == Request::Type::kMulti) {
    const int count = *rc::gen::inRange(1, 4);
    for (int i = 0; i < count; ++i) r.ops.push_back(gen_op(m));
  }
  return r;
}

void show_op(std::ostream& os, const Op& op) {
  static const char* const kKinds[] = {"create", "delete", "setData", "check"};
  os << kKinds[static_cast<int>(op.kind)] << "(" << op.path;
  if (op.kind == Kind::kCreate) os << ", mode " << static_cast<int>(op.mode);
  if (op.kind != Kind::kCreate) os << ", v" << op.version;
  if (op.kind == Kind::kCreate || op.kind == Kind::kSetData) os << ", \"" << op.data << "\"";
  os << ")";
}

// --- Commands --------------------------------------------------------------------------

using Command = rc::state::Command<Model, Sut>;

// 1-4 requests, all prepared (and kept) before the first is applied.
struct Batch : Command {
  std::vector<Request> requests;

  explicit Batch(const Model& m) {
    const int count = *rc::gen::inRange(1, 5);
    for (int i = 0; i < count; ++i) requests.push_back(gen_request(m));
  }

  void apply(Model& m) const override {
    for (const Request& r : requests) model_request(m, r);
  }

  void run(const Model& m0, Sut& sut) const override {
    Model m = m0;
    std::vector<Expected> expected;
    std::vector<WriteRequest> writes;
    for (const Request& r : requests) {
      expected.push_back(model_request(m, r));
      writes.push_back(sut.write_request(r));
    }
    const std::vector<std::optional<ApplyResult>> results = sut.h.run_pipelined(writes);
    RC_ASSERT(results.size() == requests.size());
    for (size_t i = 0; i < results.size(); ++i) {
      RC_ASSERT(results[i].has_value());
      const ApplyResult& got = *results[i];
      const Expected& want = expected[i];
      RC_ASSERT(!got.duplicate);
      RC_ASSERT(got.error == want.error);
      if (want.error == ErrorCode::kSessionExpired) continue;
      RC_ASSERT(got.results.size() == want.op_errors.size());
      for (size_t k = 0; k < got.results.size(); ++k) {
        RC_ASSERT(got.results[k].error == want.op_errors[k]);
        if (requests[i].type != Request::Type::kClose && requests[i].ops[k].kind == Kind::kCreate) {
          RC_ASSERT(got.results[k].path == want.created[k]);
        }
      }
    }
    check_tree(m, sut);
  }

  void show(std::ostream& os) const override {
    os << "Batch{";
    for (const Request& r : requests) {
      os << "\n  slot " << r.slot << ": ";
      if (r.type == Request::Type::kClose) os << "closeSession";
      if (r.type == Request::Type::kMulti) os << "multi ";
      for (const Op& op : r.ops) {
        show_op(os, op);
        os << " ";
      }
    }
    os << "}";
  }
};

struct OpenSession : Command {
  int slot;
  explicit OpenSession(const Model& m) : slot(*rc::gen::inRange(0, kSlots)) {
    RC_PRE(!m.open[slot]);
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.open[slot]); }
  void apply(Model& m) const override {
    m.open[slot] = true;
    m.sent[slot] = false;
  }
  void run(const Model& m0, Sut& sut) const override {
    sut.ids[slot] = sut.h.open_session();
    sut.last[slot].reset();
    check_tree(nextState(m0), sut);
  }
  void show(std::ostream& os) const override { os << "OpenSession(slot " << slot << ")"; }
};

// A copy of the slot's last request (as a network might deliver it twice):
// prep drops it and nothing changes.
struct Resend : Command {
  int slot;
  explicit Resend(const Model& m) : slot(*rc::gen::inRange(0, kSlots)) {
    RC_PRE(m.open[slot] && m.sent[slot]);
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(m.open[slot] && m.sent[slot]); }
  void run(const Model& m0, Sut& sut) const override {
    RC_ASSERT(sut.last[slot].has_value());
    RC_ASSERT(!sut.h.prepare(*sut.last[slot]).has_value());
    check_tree(m0, sut);
  }
  void show(std::ostream& os) const override { os << "Resend(slot " << slot << ")"; }
};

RC_GTEST_PROP(TreeModel, PipelineMatchesTheModel, ()) {
  Model initial;
  Sut sut;
  rc::state::check(initial, sut,
                   rc::state::gen::execOneOfWithArgs<Batch, Batch, Batch, OpenSession, Resend>());
}

// The model itself, on a script whose answers are known, so that a model bug
// cannot hide a tree bug.
TEST(TreeModel, ModelAnswersAKnownScript) {
  Model m;
  m.open[0] = true;
  auto single = [&](Op op) {
    Request r;
    r.slot = 0;
    r.ops = {std::move(op)};
    return model_request(m, r);
  };
  EXPECT_EQ(single({Kind::kCreate, "/a/b", CreateMode::kPersistent, -1, ""}).error,
            ErrorCode::kNoNode);
  EXPECT_EQ(single({Kind::kCreate, "/a", CreateMode::kPersistent, -1, "d"}).error, ErrorCode::kOk);
  EXPECT_EQ(single({Kind::kCreate, "/a/s-", CreateMode::kEphemeralSequential, -1, ""}).created,
            std::vector<std::string>{"/a/s-0000000000"});
  EXPECT_EQ(single({Kind::kCreate, "/a/s-0000000000/x", CreateMode::kPersistent, -1, ""}).error,
            ErrorCode::kNoChildrenForEphemerals);
  EXPECT_EQ(single({Kind::kDelete, "/a", CreateMode::kPersistent, 0, ""}).error,
            ErrorCode::kNotEmpty);
  EXPECT_EQ(single({Kind::kSetData, "/a", CreateMode::kPersistent, 1, "z"}).error,
            ErrorCode::kBadVersion);
  Request close;
  close.type = Request::Type::kClose;
  EXPECT_EQ(model_request(m, close).error, ErrorCode::kOk);
  EXPECT_EQ(m.nodes.at("/a").num_children, 0);
  EXPECT_EQ(m.nodes.at("/a").cversion, 1);
  EXPECT_EQ(single({Kind::kDelete, "/a", CreateMode::kPersistent, -1, ""}).error,
            ErrorCode::kSessionExpired);
}

}  // namespace
}  // namespace warden::store
