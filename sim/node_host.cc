#include "sim/node_host.h"

#include <algorithm>
#include <cassert>

#include "sim/register_service.h"
#include "sim/tree_service.h"

namespace warden::sim {

using consensus::Entry;
using consensus::LogIndex;
using consensus::Message;

NodeHost::NodeHost(uint32_t index, const HostConfig& config, HostEnvironment& env, Prng prng)
    : index_(index), config_(config), env_(env), prng_(prng), disk_(config.disk, prng_.fork()) {
  const auto& voters = config_.consensus.voters;
  is_voter_ = std::find(voters.begin(), voters.end(), config_.consensus.id) != voters.end();
  if (config_.service == ServiceKind::kTree) {
    config_.consensus.forward_to_driver = true;
    service_ = std::make_unique<TreeService>(*this, config_.planted_prep_ignores_pending);
  } else {
    service_ = std::make_unique<RegisterService>(*this);
  }
}

void NodeHost::boot() {
  restart();
}

void NodeHost::restart() {
  assert(!up());
  if (refused_) return;
  RecoveryReport report;
  consensus::PersistentState recovered = disk_.recover_for_restart(&report);
  if (report.corrupt) {
    // Serving from a damaged log could undo what this node acknowledged;
    // stay down and say why (an operator rebuilds it from its peers).
    refused_ = true;
    refusal_ = "log record at byte " + std::to_string(report.corrupt_offset) +
               " fails its checksum with " + std::to_string(report.records_read) +
               " good records before it";
    return;
  }
  service_->reset();
  if (recovered.snapshot.last_index > 0) {
    [[maybe_unused]] const bool restored = service_->restore(recovered.snapshot.data);
    assert(restored);
  }
  applied_index_ = recovered.snapshot.last_index;
  snapshot_source_.clear();
  snapshot_source_.set(recovered.snapshot);
  snapshot_assembler_.clear();
  consensus::Config config = config_.consensus;
  config.random_seed = prng_.next_u64();
  config.snapshot_source = &snapshot_source_;
  node_ = std::make_unique<consensus::Node>(config, recovered);
  ++incarnation_;
  paused_ = false;
  env_.on_incarnation_started(*this);
  // A random phase, so nodes that restart together do not tick in lockstep.
  env_.schedule_tick(index_, prng_.uniform_int(1, config_.tick_us), incarnation_);
}

void NodeHost::rebuild() {
  assert(refused_ && !up());
  const consensus::HardState before = disk_.read_durable().hard_state;
  disk_.rebuild(consensus::rebuilt_hard_state(before));
  refused_ = false;
  refusal_.clear();
  rebuilding_ = true;
  restart();
}

bool NodeHost::crash(CrashDamage damage) {
  assert(up());
  node_.reset();
  const bool torn = disk_.crash(damage);
  ++incarnation_;  // orphans the pending tick and fsync events
  paused_ = false;
  ready_ = consensus::Ready();
  ready_in_flight_ = false;
  messages_sent_early_ = false;
  sync_finished_while_paused_ = false;
  inputs_.clear();
  service_->reset();
  return torn;
}

void NodeHost::pause() {
  assert(up());
  paused_ = true;
}

void NodeHost::resume() {
  if (!up() || !paused_) return;
  paused_ = false;
  if (sync_finished_while_paused_) {
    sync_finished_while_paused_ = false;
    finish_ready();
  }
  pump();
}

void NodeHost::on_tick(uint64_t incarnation) {
  if (incarnation != incarnation_ || !up()) return;
  env_.schedule_tick(index_, config_.tick_us, incarnation_);
  // A paused process does not notice time passing; it resumes where it was.
  if (paused_) return;
  if (can_process_now()) {
    node_->tick();
    service_->on_tick();
    pump();
    return;
  }
  inputs_.push_back(Input{Input::Kind::kTick, {}, {}});
}

void NodeHost::on_message(Message&& message) {
  if (!up()) return;
  if (can_process_now()) {
    node_->step(message);
    pump();
    return;
  }
  inputs_.push_back(Input{Input::Kind::kMessage, std::move(message), {}});
}

void NodeHost::on_client_request(const ClientRequest& request) {
  if (!up()) {
    // Connection refused: the request never reached a process.
    ClientReply refused;
    refused.client = request.client;
    refused.request_id = request.request_id;
    refused.status = ClientReplyStatus::kRejected;
    reply(refused);
    return;
  }
  if (can_process_now()) {
    service_->take_request(request);
    pump();
    return;
  }
  inputs_.push_back(Input{Input::Kind::kClient, {}, request});
}

void NodeHost::on_fsync_done(uint64_t incarnation) {
  if (incarnation != incarnation_ || !up()) return;
  assert(ready_in_flight_);
  disk_.complete_sync();
  ready_in_flight_ = false;
  if (paused_) {
    // The data is on disk, but the process sees the completion only on resume.
    sync_finished_while_paused_ = true;
    return;
  }
  finish_ready();
  pump();
}

void NodeHost::feed(Input& input) {
  switch (input.kind) {
    case Input::Kind::kTick:
      node_->tick();
      service_->on_tick();
      break;
    case Input::Kind::kMessage:
      node_->step(input.message);
      break;
    case Input::Kind::kClient:
      service_->take_request(input.request);
      break;
  }
}

void NodeHost::pump() {
  while (up() && !paused_ && !sync_finished_while_paused_) {
    while (!inputs_.empty()) {
      Input input = std::move(inputs_.front());
      inputs_.pop_front();
      feed(input);
    }
    if (ready_in_flight_ || !node_->has_ready()) return;
    start_ready();
  }
}

void NodeHost::start_ready() {
  ready_ = node_->ready();
  for (const consensus::SnapshotChunk& chunk : ready_.snapshot_chunks) {
    snapshot_assembler_.add(chunk);
  }
  // The chunks staged in memory stand for a staging area on disk: a crash
  // loses them, and the leader then streams the image again.
  if (ready_.snapshot) ready_.snapshot->data = snapshot_assembler_.take();
  env_.on_ready_taken(*this, ready_);
  for (Message& message : ready_.early_messages) env_.send_to_node(std::move(message));
  persist(ready_);
  // As the runtime does (store::DurableReplica::start_step): committed
  // entries are on a quorum's disks, so they are applied, and their clients
  // answered, while this node's sync of newer entries runs. Those that
  // follow an image wait for it, which is installed after the sync.
  if (!ready_.snapshot) {
    for (const Entry& entry : ready_.committed) apply_entry(entry);
    ready_.committed.clear();
  }
  messages_sent_early_ = false;
  if (!disk_.has_unsynced_writes()) {
    finish_ready();
    return;
  }
  if (config_.send_before_fsync) {
    send_messages();
    messages_sent_early_ = true;
  }
  ready_in_flight_ = true;
  env_.schedule_fsync_done(index_, disk_.begin_sync(), incarnation_);
}

void NodeHost::persist(const consensus::Ready& ready) {
  if (ready.hard_state) disk_.write_hard_state(*ready.hard_state);
  if (ready.snapshot) {
    // The snapshot replaces the log's prefix; rewrite the log file with what
    // the node keeps after it (already durable entries plus this Ready's).
    disk_.write_snapshot(*ready.snapshot);
    std::vector<Entry> kept;
    for (LogIndex i = ready.snapshot->last_index + 1; i <= node_->last_index(); ++i) {
      const Entry* entry = node_->entry_at(i);
      assert(entry != nullptr);
      kept.push_back(*entry);
    }
    disk_.write_log_replacement(kept);
    return;
  }
  if (ready.entries.empty()) return;
  disk_.append_truncate(ready.entries.front().index);
  for (const Entry& entry : ready.entries) disk_.append_entry(entry);
}

void NodeHost::finish_ready() {
  if (!messages_sent_early_) send_messages();
  messages_sent_early_ = false;
  // Caught up, and the hard state saying so is on disk with the entries.
  if (ready_.hard_state && ready_.hard_state->rebuilt_after_epoch == 0) rebuilding_ = false;
  if (ready_.snapshot) install_snapshot(*ready_.snapshot);
  for (const Entry& entry : ready_.committed) apply_entry(entry);
  for (const consensus::ReadState& read_state : ready_.read_states) {
    service_->note_read_state(read_state);
  }
  service_->answer_ready_reads();
  node_->advance(ready_);
  std::vector<std::string> forwarded = std::move(ready_.forwarded);
  ready_ = consensus::Ready();
  service_->after_advance(forwarded);
  maybe_compact();
}

void NodeHost::send_messages() {
  for (Message& message : ready_.messages) env_.send_to_node(std::move(message));
  ready_.messages.clear();
}

void NodeHost::install_snapshot(const consensus::Snapshot& snapshot) {
  [[maybe_unused]] const bool restored = service_->restore(snapshot.data);
  assert(restored);
  applied_index_ = snapshot.last_index;
  snapshot_source_.set(snapshot);
  env_.on_state_applied(*this, snapshot.last_zxid, service_->state_hash());
}

void NodeHost::apply_entry(const Entry& entry) {
  assert(entry.index == applied_index_ + 1);
  applied_index_ = entry.index;
  service_->apply(entry);
  env_.on_state_applied(*this, entry.zxid, service_->state_hash());
  env_.on_entry_applied(*this, entry);
}

void NodeHost::maybe_compact() {
  const consensus::Snapshot& current = node_->snapshot();
  if (applied_index_ < current.last_index + config_.compact_every_entries) return;
  node_->compact(applied_index_, config_.retain_entries);
  assert(node_->snapshot().last_index == applied_index_);
  consensus::Snapshot image = node_->snapshot();
  image.data = service_->serialize();
  disk_.install_compaction(image);
  snapshot_source_.set(image);
}

}  // namespace warden::sim
