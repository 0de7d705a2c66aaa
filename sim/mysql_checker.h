// The invariants of the MySQL workload, checked after every simulated event
// against the model of the servers (sim/mysql_model.h), the namespace
// (sim/mysql_namespace.h) and the writes clients saw acknowledged:
//
//   two-writable-primaries   at most one server can acknowledge a commit at
//                            any moment: writable (read_only OFF, up) and
//                            either its semi-sync source role is off or a
//                            semi-sync replica streams from it over an open
//                            link. A writable server no replica can
//                            acknowledge is allowed: under AFTER_SYNC with no
//                            fallback it can take no acknowledged write, and
//                            the design does leave one for a while (a failed
//                            fence of an old primary whose agent is gone is
//                            best effort; its own agent fences it when it can
//                            read the new primary record). So the strict form,
//                            two servers read_only OFF, is measured and
//                            reported, not enforced.
//   acknowledged-write-lost  whenever the published primary is up and
//                            writable, every write a client saw acknowledged is
//                            in its binlog: checked in full when the primary or
//                            its incarnation changes, and for each new
//                            acknowledgement. Binlogs only grow, so a write
//                            once there is never lost later.
//   replica-diverged         a replica streaming from the published primary
//                            holds a prefix of its binlog (the same
//                            transactions, not only GTIDs with lower numbers)
//                            and its GTID position is contained in the
//                            primary's.
//   primary-epoch            the primary record's epoch never goes back, and
//                            a new member comes with a higher epoch.
//   liveness                 (at the deadline, after every fault healed) a
//                            writable primary is published, when a quorum of
//                            Warden nodes (always, once healed) and at least
//                            one healthy replica exist.
//
// Owned by the MySQL simulation. The first violation is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/invariants.h"
#include "sim/mysql_model.h"
#include "sim/mysql_namespace.h"

namespace warden::sim {

struct AcknowledgedWrite {
  uint64_t write_id = 0;
  int server = 0;      // the server that acknowledged it
  int64_t ack_us = 0;  // when the client got the acknowledgement
  std::string gtid;    // where it was committed
};

class MysqlChecker {
 public:
  MysqlChecker(const MysqlModel& model, const MysqlNamespace& ns, std::string cluster);

  // A client saw `write` acknowledged.
  void on_acknowledged(AcknowledgedWrite write);
  // After every event.
  void after_event(int64_t now_us);
  // The liveness deadline. `healthy_replicas` counts servers whose probe,
  // read now, makes them a healthy replica.
  void check_liveness(int64_t now_us, int healthy_replicas, int bound_seconds);
  void report(std::string invariant, std::string message, int64_t now_us);
  // The simulation attaches the events that led to the first violation.
  void attach_last_events(std::vector<std::string> lines) {
    if (violation_ && violation_->last_events.empty()) violation_->last_events = std::move(lines);
  }

  const std::optional<Violation>& violation() const { return violation_; }
  uint64_t checks_run() const { return checks_run_; }
  uint64_t acknowledged() const { return acknowledged_.size(); }
  // The published primary's server when it is up and writable, else -1.
  int established_primary() const { return established_; }
  uint64_t primary_epoch() const { return epoch_; }
  // Time with two servers read_only OFF at once (the strict form), and with
  // two able to acknowledge (the enforced one, 0 unless violated).
  int64_t two_writable_us() const { return two_writable_us_; }
  int64_t max_writable() const { return max_writable_; }
  // Changes of the published primary (epochs seen after the first).
  uint64_t primary_changes() const { return primary_changes_; }
  bool liveness_applicable() const { return liveness_applicable_; }

 private:
  void check_writable(int64_t now_us);
  void check_primary_record(int64_t now_us);
  void check_acknowledged(int64_t now_us);
  void check_replicas(int64_t now_us);
  std::string describe_write(const AcknowledgedWrite& write) const;

  const MysqlModel& model_;
  const MysqlNamespace& ns_;
  std::string primary_path_;
  std::vector<AcknowledgedWrite> acknowledged_;
  size_t checked_upto_ = 0;  // acknowledged_[0, checked_upto_) are on established_
  int established_ = -1;
  uint64_t established_incarnation_ = 0;
  uint64_t epoch_ = 0;
  std::string primary_member_;
  int published_ = -1;  // the published primary's server, up or not
  uint64_t primary_changes_ = 0;
  int64_t last_check_us_ = 0;
  int64_t two_writable_us_ = 0;
  int64_t max_writable_ = 0;
  bool two_writable_now_ = false;
  bool liveness_applicable_ = true;
  std::optional<Violation> violation_;
  uint64_t checks_run_ = 0;
};

}  // namespace warden::sim
