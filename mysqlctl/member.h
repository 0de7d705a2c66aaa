// What the MySQL agents publish in the namespace, and where.
//
// Layout, one subtree per MySQL cluster (<cluster>: see cluster_name_error):
//
//   /warden/mysql/<cluster>/members/<id>      ephemeral, JSON MemberRecord: the
//                                             member's agent writes it while its
//                                             session lives, so a member whose
//                                             Warden node is gone disappears
//   /warden/mysql/<cluster>/primary           JSON PrimaryRecord: who may take
//                                             writes, and the epoch
//   /warden/mysql/<cluster>/failover-lock     ephemeral: held by the one agent
//                                             carrying out a failover
//   /warden/mysql/<cluster>/maintenance/<id>  an operator put <id> into
//                                             maintenance (content unused)
//   /warden/mysql/<cluster>/roster/<id>       persistent, JSON RosterEntry:
//                                             every member that ever published,
//                                             and the last epoch it followed; a
//                                             failover waits for each that
//                                             followed the failed primary (see
//                                             mysqlctl/failover_plan.h)
//
// The primary's lease is its agent's ZooKeeper session, not a time in the
// record: when the session expires the cluster knows, and the isolated agent
// fences itself on its own clock. So the record holds no expiry.
//
// Pure encoding and validation: the agent encodes its own record, and every
// agent, the router and `warden mysql status` decode what they read. Decoding
// never throws; input that is not a valid record is refused with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mysqlctl/gtid.h"
#include "mysqlctl/result.h"

namespace warden::mysqlctl {

enum class MemberRole : uint8_t { kPrimary, kReplica, kUnknown };
// "primary" / "replica" / "unknown", as in the JSON.
const char* member_role_name(MemberRole role);
std::optional<MemberRole> parse_member_role(std::string_view name);

struct MemberRecord {
  std::string id;  // the member's name in the layout (see member_id_error)
  std::string host;
  uint16_t port = 3306;
  // What the probe found the server to be (a replica has replication
  // configured), which may lag behind what the primary record says.
  MemberRole role = MemberRole::kUnknown;
  Flavour flavour = Flavour::kMariaDB;
  // MariaDB gtid_current_pos / MySQL gtid_executed, as text in `flavour`'s
  // syntax (validated on decode).
  std::string gtid_position;
  // What a replica's IO thread has received (mysqlctl/probe_result.h), in
  // the same syntax; "" when unknown. It may hold transactions not applied
  // yet: acknowledged commits live there until the SQL thread applies them.
  std::string received_gtid_position;
  // Seconds_Behind_Master; absent when unknown (replication stopped, or the
  // member is a primary).
  std::optional<uint64_t> lag_seconds;
  // The last probe completed and the server is usable: a primary, or a
  // replica whose SQL thread runs and whose IO thread runs or is retrying
  // its source (so a replica whose primary just died stays a candidate).
  bool healthy = false;
  // Replication (replicas only): the source it is configured to follow ("" and
  // 0 when none), and whether its IO thread is connected to it. A replica
  // that lost its source is still healthy; its lost connection is what
  // confirms a failed primary (see mysqlctl/agent_core.h).
  std::string source_host;
  uint16_t source_port = 0;
  bool io_running = false;
  // Why the member is unhealthy or held out of the topology (errant
  // transactions, ...), for operators; "" when there is nothing to say.
  std::string problem;
  // Semi-synchronous replication as a source (a writable member): "on" when
  // enabled and never falling back to asynchronous, "may-fall-back" when
  // enabled with a timeout that lets it, "off", or "" when the server has
  // no such feature or is not a primary. And how many replicas are
  // connected to acknowledge; with none, commits wait.
  std::string semi_sync;
  std::optional<uint64_t> semi_sync_replicas;
  bool read_only = true;
  bool maintenance = false;  // the member is in maintenance: never promoted, not repointed
  // Candidate preference, higher first, 0..kMaxPriority. 0 means never
  // promoted (like MongoDB's priority 0): for a backup or delayed replica.
  uint32_t priority = 1;

  friend bool operator==(const MemberRecord&, const MemberRecord&) = default;
};
inline constexpr uint32_t kMaxPriority = 1000;

struct PrimaryRecord {
  std::string member_id;
  // Grows by one with every change of primary and never goes back, so a
  // router or replica can tell a stale primary from the current one.
  uint64_t epoch = 0;
  // Where its server listens, so that routers need no member record and a
  // failover can fence the old primary after its member record is gone
  // (its Warden node died). Empty and 0 in a record that does not say.
  std::string host;
  uint16_t port = 0;
  // What its server held when it took this epoch (the flavour's syntax; ""
  // when the record does not say): every commit acknowledged before, so
  // the next primary must hold it too.
  std::string gtid_position;

  friend bool operator==(const PrimaryRecord&, const PrimaryRecord&) = default;
};

// Empty when valid, else why not. Cluster names and member ids become path
// elements, so they are kept to letters, digits, '-', '_' and '.' (not
// starting with '.'), at most 64 characters: always a valid znode name and
// safe in a log line or a shell.
std::string cluster_name_error(std::string_view cluster);
std::string member_id_error(std::string_view member_id);
// Every field in range, the position parses in the record's flavour.
std::string member_record_error(const MemberRecord& record);

// The record of `member_id` among `members`, or null.
const MemberRecord* find_member(const std::vector<MemberRecord>& members,
                                std::string_view member_id);

// Compact JSON. The record must be valid (asserted).
std::string encode_member(const MemberRecord& record);
// Unknown keys are ignored, so a newer agent can add fields during a rolling
// upgrade; missing required keys, wrong types and invalid values are refused.
Result<MemberRecord> decode_member(std::string_view json);

std::string encode_primary(const PrimaryRecord& record);
Result<PrimaryRecord> decode_primary(std::string_view json);

// A member's roster entry: the highest primary epoch it was configured to
// replicate from (0: not known yet). Its agent writes it when it sees
// itself following the published primary and before it repoints itself; a
// failover writes it before repointing the member.
struct RosterEntry {
  uint64_t following_epoch = 0;
  friend bool operator==(const RosterEntry&, const RosterEntry&) = default;
};
std::string encode_roster_entry(const RosterEntry& entry);
Result<RosterEntry> decode_roster_entry(std::string_view json);

// Paths of the layout above. Arguments must be valid (asserted).
inline constexpr std::string_view kMysqlRootPath = "/warden/mysql";
std::string cluster_path(std::string_view cluster);
std::string members_path(std::string_view cluster);
std::string member_path(std::string_view cluster, std::string_view member_id);
std::string primary_path(std::string_view cluster);
std::string failover_lock_path(std::string_view cluster);
std::string maintenance_path(std::string_view cluster);
std::string maintenance_member_path(std::string_view cluster, std::string_view member_id);
std::string roster_path(std::string_view cluster);
std::string roster_member_path(std::string_view cluster, std::string_view member_id);

}  // namespace warden::mysqlctl
