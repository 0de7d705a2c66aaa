#include "sim/mysql_agent.h"

#include <cassert>
#include <cmath>

namespace warden::sim {

using mysqlctl::AgentInput;
using mysqlctl::MemberRecord;
using mysqlctl::NsError;
using mysqlctl::NsReply;
using mysqlctl::NsRequest;
using mysqlctl::ProbeResult;
using mysqlctl::ProbeTarget;
using Text = mysqlctl::Result<std::string>;

namespace {

// The planted bugs that change what the core is told.
std::function<void(AgentInput&)> distortion(const AgentBugs& bugs) {
  if (!bugs.never_isolated && !bugs.ignore_gtid_order) return {};
  return [bugs](AgentInput& input) {
    if (bugs.never_isolated) {
      input.session_alive = true;
      input.last_confirmed_ms = input.now_ms;
    }
    if (bugs.ignore_gtid_order) {
      if (input.local) input.local->gtid_position.clear();
      if (input.view) {
        for (MemberRecord& member : input.view->members) member.gtid_position.clear();
      }
    }
  };
}

}  // namespace

SimAgent::SimAgent(SimAgentOptions options, AgentEnvironment& env)
    : options_(std::move(options)),
      env_(env),
      created_us_(env.now_us()),
      loop_(mysqlctl::AgentLoopOptions{.settings = options_.settings,
                                       .server = options_.server,
                                       .priority = options_.priority,
                                       .probe_interval_ms = options_.probe_interval_ms,
                                       .distort_input = distortion(options_.bugs)},
            *this) {
  assert(options_.clock_rate > 0.5 && options_.clock_rate < 2.0);
}

uint64_t SimAgent::now_ms() const {
  const double elapsed_us = static_cast<double>(env_.now_us() - created_us_);
  return static_cast<uint64_t>(std::floor(elapsed_us * options_.clock_rate / 1000.0));
}

int64_t SimAgent::wall_ms() const {
  return env_.wall_ms(options_.host);
}

int64_t SimAgent::sim_delay_us(uint64_t agent_ms) const {
  return static_cast<int64_t>(
      std::ceil(static_cast<double>(agent_ms) * 1000.0 / options_.clock_rate));
}

void SimAgent::after_ms(uint64_t delay_ms, const char* label, std::function<void()> task) {
  env_.agent_later(options_.host, options_.incarnation, sim_delay_us(delay_ms), label,
                   std::move(task));
}

void SimAgent::connect(std::function<void(std::optional<uint64_t>)> done) {
  session_ = 0;
  env_.zk_connect(options_.host, options_.incarnation,
                  [this, done = std::move(done)](std::optional<uint64_t> session) {
                    session_ = session.value_or(0);
                    done(session);
                  });
}

void SimAgent::submit(NsRequest request, std::function<void(const NsReply&)> done) {
  if (request.session != 0 && request.session != session_) {
    // The client moved to another session: the one asked for is over.
    env_.agent_later(options_.host, options_.incarnation, 0, "zk-reply",
                     [done = std::move(done)] { done(ns_failure(NsError::kSessionExpired)); });
    return;
  }
  env_.zk_submit(options_.host, options_.incarnation, std::move(request), std::move(done));
}

void SimAgent::probe(const ProbeTarget& server, std::function<void(const ProbeResult&)> done) {
  if (options_.bugs.ignore_gtid_order) {
    done = [done = std::move(done)](const ProbeResult& read) {
      ProbeResult blind = read;
      blind.gtid_current_pos.clear();
      blind.gtid_slave_pos.clear();
      if (blind.replication) blind.replication->received_gtid.clear();
      done(blind);
    };
  }
  env_.mysql_probe(options_.host, options_.incarnation, server_of(server), std::move(done));
}

int SimAgent::server_of(const ProbeTarget& target) const {
  const std::optional<int> index = env_.server_at(target.host, target.port);
  assert(index);  // every record names a simulated server
  return *index;
}

void SimAgent::act(MysqlAction action, const ProbeTarget& target,
                   const std::optional<ProbeTarget>& source,
                   std::function<void(const Text&)> done) {
  if (action == MysqlAction::kWaitRelayLogApplied && options_.bugs.skip_relay_wait) {
    log("failover: relay-log wait skipped (planted bug)");
    env_.agent_later(options_.host, options_.incarnation, 0, "action-done",
                     [done = std::move(done)] { done(Text::success("skipped")); });
    return;
  }
  env_.mysql_act(options_.host, options_.incarnation, action, server_of(target),
                 source ? server_of(*source) : -1, std::move(done));
}

void SimAgent::log(const std::string& line) {
  env_.agent_log(options_.host, line);
}

}  // namespace warden::sim
