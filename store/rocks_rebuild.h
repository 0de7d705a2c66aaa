// Rebuilding a node from its peers after its directory was found damaged (or
// lost): the damaged directory is set aside, never deleted, and a fresh one
// takes its place holding only the cluster's identity and the hard state
// consensus::rebuilt_hard_state() derives from the old one. Started on it,
// the node refuses its old leader, takes no part in elections, receives an
// image and the log from whichever leader the others elect, and votes again
// once it holds everything committed before the damage.
//
// The old hard state must verify: without it the node cannot know which
// epochs it may have voted in. Then the rebuild is refused; such a node can
// only come back under a new identity.
//
// Called by operators' tools and tests while the node is stopped.
#pragma once

#include <string>

#include "consensus/types.h"
#include "store/rocks_status.h"
#include "store/rocks_storage.h"

namespace warden::store {

struct RebuildReport {
  std::string damaged_dir;  // where the old directory now is
  consensus::HardState before;
  consensus::HardState after;
};

StorageStatus rebuild_from_peers(const RocksStorageOptions& options, RebuildReport* report);

}  // namespace warden::store
