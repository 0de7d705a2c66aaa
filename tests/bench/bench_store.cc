// Throughput of the replicated state alone, single-threaded and in memory:
// ZooState::apply of prepared setData and create txns (what every node does
// for each committed entry), TxnPreparer::prepare (what the leader adds), and
// the memory a large tree costs. 100-byte values, as in the targets.
//
// Memory is measured from the process's resident set (/proc/self/statm)
// before and after building a tree of N znodes, and reported per znode
// beyond the bytes of its path and data.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "store/txn_preparer.h"
#include "store/zoo_state.h"
#include "store_txn_fixtures.h"

namespace warden::store {
namespace {

constexpr size_t kValueBytes = 100;

Txn create_txn(const std::string& path, int32_t parent_cversion) {
  return fixtures::create_txn(path, std::string(kValueBytes, 'x'), parent_cversion);
}

// Fills `state` with `count` znodes under /bench, named /bench/n<i>.
void fill(ZooState& state, int64_t count, int64_t& zxid) {
  state.apply(create_txn("/bench", 1), ++zxid);
  for (int64_t i = 0; i < count; ++i) {
    state.apply(create_txn("/bench/n" + std::to_string(i), static_cast<int32_t>(i + 1)), ++zxid);
  }
}

void BM_ApplySetData(benchmark::State& bench) {
  ZooState state;
  int64_t zxid = 0;
  const int64_t nodes = 10'000;
  fill(state, nodes, zxid);
  std::vector<Txn> txns;
  for (int64_t i = 0; i < nodes; ++i) {
    Txn txn;
    txn.request_op = OpCode::kSetData;
    TxnOp op;
    op.type = TxnOpType::kSetData;
    op.request_op = OpCode::kSetData;
    op.path = "/bench/n" + std::to_string(i);
    op.data = std::string(kValueBytes, 'y');
    txn.ops.push_back(std::move(op));
    txns.push_back(std::move(txn));
  }
  size_t next = 0;
  for (auto _ : bench) {
    Txn& txn = txns[next];
    txn.ops[0].version += 1;
    benchmark::DoNotOptimize(state.apply(txn, ++zxid));
    next = next + 1 == txns.size() ? 0 : next + 1;
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_ApplySetData);

// Creates in batches of prepared txns, so building the txn is not timed.
void BM_ApplyCreate(benchmark::State& bench) {
  constexpr int32_t kBatch = 4096;
  ZooState state;
  int64_t zxid = 0;
  state.apply(create_txn("/bench", 1), ++zxid);
  int32_t created = 0;
  std::vector<Txn> batch;
  size_t next = 0;
  for (auto _ : bench) {
    if (next == batch.size()) {
      bench.PauseTiming();
      batch.clear();
      for (int32_t i = 0; i < kBatch; ++i) {
        batch.push_back(create_txn("/bench/n" + std::to_string(created + i), created + i + 1));
      }
      created += kBatch;
      next = 0;
      bench.ResumeTiming();
    }
    benchmark::DoNotOptimize(state.apply(batch[next++], ++zxid));
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_ApplyCreate);

void BM_PrepareSetData(benchmark::State& bench) {
  ZooState state;
  int64_t zxid = 0;
  fill(state, 1000, zxid);
  WriteRequest session_request;
  session_request.op = OpCode::kCreateSession;
  session_request.session_timeout_ms = 10'000;
  TxnPreparer preparer(state, PrepConfig{});
  const SessionId session =
      state.apply(*preparer.prepare(session_request, 0), ++zxid).created_session;
  WriteRequest request;
  request.session = session;
  request.op = OpCode::kSetData;
  WriteOp op;
  op.op = OpCode::kSetData;
  op.path = "/bench/n7";
  op.data = std::string(kValueBytes, 'z');
  request.ops.push_back(op);
  uint64_t index = 0;
  for (auto _ : bench) {
    request.request_id += 1;
    benchmark::DoNotOptimize(preparer.prepare(request, 0));
    preparer.keep(++index);
    preparer.applied(index);
  }
  bench.SetItemsProcessed(bench.iterations());
}
BENCHMARK(BM_PrepareSetData);

int64_t resident_bytes() {
  long pages_total = 0, pages_resident = 0;
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  if (std::fscanf(statm, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
  std::fclose(statm);
  return static_cast<int64_t>(pages_resident) * sysconf(_SC_PAGESIZE);
}

// One iteration: builds a tree of range(0) znodes and reports the resident
// memory it took beyond the paths and values themselves.
void BM_MemoryPerZnode(benchmark::State& bench) {
  const int64_t count = bench.range(0);
  for (auto _ : bench) {
    const int64_t before = resident_bytes();
    auto state = std::make_unique<ZooState>();
    int64_t zxid = 0;
    fill(*state, count, zxid);
    const int64_t after = resident_bytes();
    const double payload = static_cast<double>(state->tree().approximate_data_bytes());
    bench.counters["overhead_bytes_per_znode"] =
        (static_cast<double>(after - before) - payload) / static_cast<double>(count);
    bench.counters["resident_mib"] = static_cast<double>(after - before) / (1 << 20);
    bench.PauseTiming();
    state.reset();
    bench.ResumeTiming();
  }
}
BENCHMARK(BM_MemoryPerZnode)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace warden::store

BENCHMARK_MAIN();
