// The messages that nodes of one ensemble exchange. One flat struct, as in
// etcd's raftpb.Message: each type uses the fields its comment names.
//
// Produced and consumed by consensus::Node; carried by the simulator's network
// or by the peer transport in net/. Depends on the standard library only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/types.h"

namespace warden::consensus {

enum class MessageType : uint8_t {
  // Election. A pre-vote asks "would you vote for me in epoch+1?" without
  // anyone changing epoch, so a node that was cut off cannot disrupt a healthy
  // leader when it comes back. Fields: epoch (the epoch asked for), last_index,
  // last_zxid. Responses: epoch, reject.
  kPreVote,
  kPreVoteResponse,
  kVote,
  kVoteResponse,

  // Replication (ZAB's PROPOSAL + COMMIT in one). Fields: epoch, prev_index,
  // prev_zxid, entries, commit_index. Response: epoch, reject, match_index
  // (on success: the last index now known to match) or hint_index/hint_zxid
  // (on reject: the follower's last entry at or below prev_index).
  kAppend,
  kAppendResponse,

  // Leader liveness, commit propagation and read-index confirmation.
  // Fields: epoch, commit_index, context (a read-index round, 0 if none).
  // Response: epoch, context, match_index (follower's last index).
  kHeartbeat,
  kHeartbeatResponse,

  // Full state for a follower that needs entries the leader has compacted,
  // streamed in chunks so the leader keeps replicating to everyone else.
  // Fields: epoch, snapshot (last_index, last_zxid, and this chunk as data),
  // snapshot_offset (where the chunk starts), snapshot_last_chunk. Each chunk
  // is answered by kSnapshotResponse (snapshot_offset: the next byte the
  // follower wants); the last one, once installed, by kAppendResponse.
  kSnapshot,

  // A follower hands client proposals to the leader. Fields: proposals.
  kForwardProposals,

  // A follower asks the leader for a read index (for sync and linearizable
  // reads). Fields: context. Response: context, commit_index (the read
  // index), reject (leader could not confirm itself).
  kReadIndex,
  kReadIndexResponse,

  // Fields: epoch, match_index (the snapshot's last index), snapshot_offset.
  kSnapshotResponse,
};

const char* message_type_name(MessageType type);

struct Message {
  MessageType type = MessageType::kHeartbeat;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Epoch epoch = 0;

  // Elections.
  LogIndex last_index = 0;
  Zxid last_zxid = 0;
  bool reject = false;

  // Replication.
  LogIndex prev_index = 0;
  Zxid prev_zxid = 0;
  std::vector<Entry> entries;
  LogIndex commit_index = 0;
  LogIndex match_index = 0;
  LogIndex hint_index = 0;
  Zxid hint_zxid = 0;

  // Read index rounds.
  uint64_t context = 0;

  Snapshot snapshot;
  uint64_t snapshot_offset = 0;
  bool snapshot_last_chunk = false;
  std::vector<std::string> proposals;
};

}  // namespace warden::consensus
