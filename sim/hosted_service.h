// The part of a simulated server above consensus: the replicated state
// machine, and how client requests become proposals and reads. NodeHost runs
// the Ready loop and hands a service what concerns it; the register workload
// and the tree workload each have one (RegisterService, TreeService).
//
// Implemented in sim/; owned by sim::NodeHost. Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/node.h"
#include "sim/client_protocol.h"

namespace warden::sim {

// What a service may use of its host.
class ServiceHost {
 public:
  virtual ~ServiceHost() = default;
  virtual consensus::Node& consensus_node() = 0;
  virtual consensus::LogIndex applied_index() const = 0;
  virtual int64_t now_us() const = 0;
  virtual void reply(const ClientReply& reply) = 0;
};

class HostedService {
 public:
  virtual ~HostedService() = default;

  // The process died: forget every held request and the state (restore() or
  // apply() from an empty state follows).
  virtual void reset() = 0;
  virtual bool restore(std::string_view snapshot) = 0;
  virtual std::string serialize() const = 0;
  virtual uint64_t state_hash() const = 0;

  // A committed entry, in order. kNewEpoch entries come here too.
  virtual void apply(const consensus::Entry& entry) = 0;
  virtual void take_request(const ClientRequest& request) = 0;
  virtual void note_read_state(const consensus::ReadState& read_state) = 0;
  // After apply() and note_read_state() of a Ready: answer what can be.
  virtual void answer_ready_reads() = 0;
  // After Node::advance(): proposals are allowed again. `forwarded` holds the
  // requests followers sent to this leader (Config::forward_to_driver).
  virtual void after_advance(std::vector<std::string>& forwarded) = 0;
  virtual void on_tick() {}
  // Txns that did not fit the state when applied (a prep bug). Must stay 0.
  virtual uint64_t inconsistencies() const { return 0; }
};

}  // namespace warden::sim
