// The register workload's server side: writes and cas become proposals of
// RegisterCommands, reads go through a read-index round, and a committed
// command answers the client whose request it carries.
//
// Owned by sim::NodeHost when the simulation runs the register workload.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "sim/hosted_service.h"
#include "sim/register_machine.h"

namespace warden::sim {

class RegisterService final : public HostedService {
 public:
  explicit RegisterService(ServiceHost& host) : host_(host) {}

  void reset() override;
  bool restore(std::string_view snapshot) override { return machine_.restore(snapshot); }
  std::string serialize() const override { return machine_.serialize(); }
  uint64_t state_hash() const override { return machine_.state_hash(); }
  void apply(const consensus::Entry& entry) override;
  void take_request(const ClientRequest& request) override;
  void note_read_state(const consensus::ReadState& read_state) override;
  void answer_ready_reads() override;
  void after_advance(std::vector<std::string>&) override {}

 private:
  // A client request this host has taken on and not yet answered.
  struct HeldRequest {
    ClientRequest request;
    uint64_t read_context = 0;           // reads: the read-index round
    bool read_index_known = false;       // reads: the ReadState arrived
    consensus::LogIndex read_index = 0;  // reads: apply up to here, then answer
  };
  void reply(const ClientRequest& request, ClientReplyStatus status,
             std::optional<int64_t> read_value = std::nullopt);

  ServiceHost& host_;
  RegisterMachine machine_;
  std::map<uint32_t, HeldRequest> held_by_client_;
  uint64_t next_read_context_ = 1;
};

}  // namespace warden::sim
