// One simulated server process: it owns a consensus::Node, the node's Disk and
// its HostedService (the state machine and client handling), ticks on its own (drifting) clock, and
// drives the Node through the Ready loop exactly as consensus/node.h prescribes: take a Ready,
// write it to disk, wait for the fsync to complete, send the messages, install
// the snapshot and apply committed entries, answer clients, advance. Inputs
// that arrive meanwhile queue up and are fed together before the next Ready,
// which is what gives group commit. Clients are the service's business
// (RegisterService, TreeService).
//
// Process faults: crash (volatile state lost, in-flight fsync cancelled,
// unsynced writes dropped, pending client requests forgotten), restart from
// what the disk recovers, and pause (a GC-like stop: nothing is processed
// until resume, then the backlog is).
//
// Owned by sim::Simulation, which delivers its events and tells it of faults.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/node.h"
#include "sim/client_protocol.h"
#include "sim/disk.h"
#include "sim/hosted_service.h"
#include "sim/prng.h"

namespace warden::sim {

class NodeHost;

// What a host needs from the world around it. Implemented by sim::Simulation.
class HostEnvironment {
 public:
  virtual ~HostEnvironment() = default;
  virtual int64_t now_us() const = 0;
  virtual void send_to_node(consensus::Message&& message) = 0;
  virtual void reply_to_client(const ClientReply& reply) = 0;
  virtual void schedule_tick(uint32_t node_index, int64_t delay_us, uint64_t incarnation) = 0;
  virtual void schedule_fsync_done(uint32_t node_index, int64_t delay_us, uint64_t incarnation) = 0;
  // Hooks for the invariant checker.
  virtual void on_ready_taken(const NodeHost& host, const consensus::Ready& ready) = 0;
  virtual void on_state_applied(const NodeHost& host, consensus::Zxid zxid,
                                uint64_t state_hash) = 0;
  // Every entry a host applies (after on_state_applied's hash is known).
  virtual void on_entry_applied(const NodeHost& host, const consensus::Entry& entry) = 0;
  virtual void on_incarnation_started(const NodeHost& host) = 0;
};

enum class ServiceKind : uint8_t { kRegister, kTree };

struct HostConfig {
  ServiceKind service = ServiceKind::kRegister;
  bool planted_prep_ignores_pending = false;  // tree: TxnPreparer's planted bug
  consensus::Config consensus;                // id, membership, timeouts, planted bug
  int64_t tick_us = 10'000;                   // this node's tick period, drift included
  DiskProfile disk;
  bool send_before_fsync = false;  // planted bug: send a Ready's messages before its fsync
  uint64_t compact_every_entries = 256;
  size_t retain_entries = 64;
};

class NodeHost final : public ServiceHost {
 public:
  NodeHost(uint32_t index, const HostConfig& config, HostEnvironment& env, Prng prng);
  NodeHost(const NodeHost&) = delete;
  NodeHost& operator=(const NodeHost&) = delete;

  // First start, from an empty disk.
  void boot();

  // Events addressed to this host.
  void on_tick(uint64_t incarnation);
  void on_message(consensus::Message&& message);
  void on_client_request(const ClientRequest& request);
  void on_fsync_done(uint64_t incarnation);

  // Faults. crash() returns true if it left a torn record on disk.
  bool crash(CrashDamage damage);
  void restart();
  void pause();
  void resume();
  // An operator's answer to refused(): the damaged log is set aside and the
  // node starts empty, catching up from its peers without a vote until it
  // has (consensus::rebuilt_hard_state).
  void rebuild();

  uint32_t index() const { return index_; }
  consensus::NodeId id() const { return config_.consensus.id; }
  bool is_voter() const { return is_voter_; }
  bool up() const { return node_ != nullptr; }
  bool paused() const { return paused_; }
  // Restart found its disk damaged at rest and refused to start; it stays
  // down for the rest of the run.
  bool refused() const { return refused_; }
  const std::string& refusal() const { return refusal_; }
  // Rebuilt and not yet caught up (its durable hard state still withholds
  // its vote): its disk may lack entries it acknowledged before the damage.
  bool rebuilding() const { return rebuilding_; }
  Disk& mutable_disk() { return disk_; }
  uint64_t incarnation() const { return incarnation_; }
  // Null while the host is down.
  const consensus::Node* node() const { return node_.get(); }
  const Disk& disk() const { return disk_; }
  const HostedService& service() const { return *service_; }
  uint64_t state_hash() const { return service_->state_hash(); }

  // ServiceHost.
  consensus::Node& consensus_node() override { return *node_; }
  consensus::LogIndex applied_index() const override { return applied_index_; }
  int64_t now_us() const override { return env_.now_us(); }
  void reply(const ClientReply& reply) override { env_.reply_to_client(reply); }

 private:
  struct Input {
    enum class Kind : uint8_t { kTick, kMessage, kClient } kind = Kind::kTick;
    consensus::Message message;
    ClientRequest request;
  };
  // Inputs are fed during a sync too (the runtime syncs on another thread);
  // only the next Ready waits for it.
  bool can_process_now() const { return up() && !paused_ && inputs_.empty(); }
  void pump();
  void feed(Input& input);
  void start_ready();
  void persist(const consensus::Ready& ready);
  void finish_ready();
  void send_messages();
  void install_snapshot(const consensus::Snapshot& snapshot);
  void apply_entry(const consensus::Entry& entry);
  void maybe_compact();

  uint32_t index_;
  HostConfig config_;
  HostEnvironment& env_;
  Prng prng_;
  bool is_voter_ = false;

  std::unique_ptr<consensus::Node> node_;
  Disk disk_;
  std::unique_ptr<HostedService> service_;
  consensus::MemorySnapshotSource snapshot_source_;  // images for followers
  consensus::SnapshotAssembler snapshot_assembler_;  // an image being received
  consensus::LogIndex applied_index_ = 0;
  uint64_t incarnation_ = 0;
  bool paused_ = false;
  bool refused_ = false;
  std::string refusal_;
  bool rebuilding_ = false;

  consensus::Ready ready_;        // the Ready between ready() and advance()
  bool ready_in_flight_ = false;  // waiting for its fsync
  bool messages_sent_early_ = false;
  bool sync_finished_while_paused_ = false;
  std::deque<Input> inputs_;
};

}  // namespace warden::sim
