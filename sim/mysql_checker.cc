#include "sim/mysql_checker.h"

#include <cassert>

#include "mysqlctl/member.h"

namespace warden::sim {

MysqlChecker::MysqlChecker(const MysqlModel& model, const MysqlNamespace& ns, std::string cluster)
    : model_(model), ns_(ns), primary_path_(mysqlctl::primary_path(cluster)) {}

void MysqlChecker::report(std::string invariant, std::string message, int64_t now_us) {
  if (violation_) return;
  violation_ = Violation{std::move(invariant), std::move(message), now_us, {}};
}

void MysqlChecker::on_acknowledged(AcknowledgedWrite write) {
  acknowledged_.push_back(std::move(write));
}

void MysqlChecker::after_event(int64_t now_us) {
  ++checks_run_;
  check_writable(now_us);
  check_primary_record(now_us);
  check_acknowledged(now_us);
  check_replicas(now_us);
  last_check_us_ = now_us;
}

void MysqlChecker::check_writable(int64_t now_us) {
  // The time since the last check counts with the state the last check saw.
  if (two_writable_now_) two_writable_us_ += now_us - last_check_us_;
  std::vector<int> acknowledging;
  int64_t writable = 0;
  for (int i = 0; i < model_.size(); ++i) {
    const MysqlServer& server = model_.server(i);
    if (server.up && !server.read_only) ++writable;
    if (model_.can_acknowledge(i)) acknowledging.push_back(i);
  }
  two_writable_now_ = writable >= 2;
  if (writable > max_writable_) max_writable_ = writable;
  if (acknowledging.size() < 2) return;
  std::string names;
  for (int i : acknowledging) {
    const MysqlServer& server = model_.server(i);
    names += (names.empty() ? "" : " and ") + std::string("db") + std::to_string(i + 1) + " (at " +
             format_gtid(server.binlog.empty()
                             ? std::nullopt
                             : std::optional<mysqlctl::MariaGtid>(server.binlog.back().gtid)) +
             ")";
  }
  report("two-writable-primaries",
         names +
             " are both writable and each has a semi-sync replica streaming from it, so "
             "both can acknowledge commits",
         now_us);
}

void MysqlChecker::check_primary_record(int64_t now_us) {
  const Znode* node = ns_.get(primary_path_);
  published_ = -1;
  if (node == nullptr) {
    established_ = -1;
    return;
  }
  mysqlctl::Result<mysqlctl::PrimaryRecord> record = mysqlctl::decode_primary(node->data);
  if (!record.ok()) {
    report("primary-epoch", "the primary record does not decode: " + record.error(), now_us);
    return;
  }
  const mysqlctl::PrimaryRecord& primary = record.value();
  if (primary.epoch < epoch_ ||
      (primary.member_id != primary_member_ && primary.epoch == epoch_ && epoch_ != 0)) {
    report("primary-epoch",
           "the primary record went from " + primary_member_ + " at epoch " +
               std::to_string(epoch_) + " to " + primary.member_id + " at epoch " +
               std::to_string(primary.epoch),
           now_us);
    return;
  }
  if (primary.member_id != primary_member_ && !primary_member_.empty()) ++primary_changes_;
  epoch_ = primary.epoch;
  primary_member_ = primary.member_id;
  const std::optional<int> server = model_.server_by_host(primary.host);
  assert(server);
  published_ = *server;
  const MysqlServer& state = model_.server(*server);
  const int established = state.up && !state.read_only ? *server : -1;
  if (established != established_ ||
      (established >= 0 && state.incarnation != established_incarnation_)) {
    // A different primary (or the same one back from a crash): every write
    // acknowledged so far must be there.
    checked_upto_ = 0;
  }
  established_ = established;
  established_incarnation_ = established >= 0 ? state.incarnation : 0;
}

std::string MysqlChecker::describe_write(const AcknowledgedWrite& write) const {
  return "write " + std::to_string(write.write_id) + " (GTID " + write.gtid +
         ", acknowledged to its client by db" + std::to_string(write.server + 1) +
         " at t=" + std::to_string(static_cast<double>(write.ack_us) / 1e6) + "s)";
}

void MysqlChecker::check_acknowledged(int64_t now_us) {
  if (established_ < 0) return;
  for (; checked_upto_ < acknowledged_.size(); ++checked_upto_) {
    const AcknowledgedWrite& write = acknowledged_[checked_upto_];
    if (model_.has_write(established_, write.write_id)) continue;
    report("acknowledged-write-lost",
           describe_write(write) + " is not on the published primary db" +
               std::to_string(established_ + 1) + " (epoch " + std::to_string(epoch_) + ", at " +
               model_.position(established_).format() + ")",
           now_us);
    return;
  }
}

void MysqlChecker::check_replicas(int64_t now_us) {
  if (established_ < 0) return;
  const MysqlServer& primary = model_.server(established_);
  const mysqlctl::MariaPosition primary_position = model_.position(established_);
  for (int i = 0; i < model_.size(); ++i) {
    if (i == established_ || !model_.streams_from(i, established_)) continue;
    const MysqlServer& replica = model_.server(i);
    const std::string who = "db" + std::to_string(i + 1) + ", streaming from the primary db" +
                            std::to_string(established_ + 1);
    if (!primary_position.contains(model_.position(i))) {
      report("replica-diverged",
             who + ", is at " + model_.position(i).format() + ", beyond the primary's " +
                 primary_position.format(),
             now_us);
      return;
    }
    // Same transactions, not only numbers: the last one it holds, received
    // or applied, is the primary's at that place.
    const size_t held = replica.binlog.size() + replica.relay_log.size();
    if (held == 0) continue;
    const MysqlTxn& last =
        replica.relay_log.empty() ? replica.binlog.back() : replica.relay_log.back();
    if (held > primary.binlog.size() || !(primary.binlog[held - 1] == last)) {
      report("replica-diverged",
             who + ", holds " + format_gtid(last.gtid) + " (write " +
                 std::to_string(last.write_id) + ") as its transaction " + std::to_string(held) +
                 ", which the primary does not have there",
             now_us);
      return;
    }
  }
}

void MysqlChecker::check_liveness(int64_t now_us, int healthy_replicas, int bound_seconds) {
  if (established_ >= 0) return;
  if (healthy_replicas == 0) {
    // Nothing to fail over to: the rule promises nothing here.
    liveness_applicable_ = false;
    return;
  }
  const std::string published = published_ >= 0
                                    ? "db" + std::to_string(published_ + 1) + " (epoch " +
                                          std::to_string(epoch_) + ")" +
                                          (model_.server(published_).up ? ", read-only" : ", down")
                                    : "none";
  report("liveness",
         "no writable primary published " + std::to_string(bound_seconds) +
             "s after every fault healed, with a quorum and " + std::to_string(healthy_replicas) +
             " healthy replica(s); the primary record names " + published,
         now_us);
}

}  // namespace warden::sim
