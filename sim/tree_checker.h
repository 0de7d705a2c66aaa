// Checks a tree-workload history against the ensemble's committed log:
//   - writes are linearizable: taking the committed (zxid) order as the
//     order of effect, every answered write got the answer TreeModel gives
//     at its place, was applied at the zxid its answer names, and no write
//     took effect before a write that had already returned when it started;
//     every answered write is in the log, and no rejected write is;
//   - reads are sequentially consistent per session, as ZooKeeper promises:
//     a read answered from the state at zxid z matches TreeModel after every
//     txn up to z, and each client's zxids never go backwards (so it reads
//     its own writes and never sees the past again).
//
// Called by the simulation at the end of a tree-workload run. Pure function.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/tree_workload.h"
#include "store/txn.h"

namespace warden::sim {

struct TreeCheckResult {
  bool ok = true;
  std::string failure;  // the first problem found, with the request and the zxid
  uint64_t writes_checked = 0;
  uint64_t reads_checked = 0;
};

// `committed` maps each committed data entry's zxid to its txn.
TreeCheckResult check_tree_history(const std::map<int64_t, store::Txn>& committed,
                                   const std::vector<TreeOpRecord>& history);

}  // namespace warden::sim
