// The simulator's MySQL workload (`warden sim --workload mysql`): the
// failover decisions of mysqlctl/ (AgentCore, plan_failover,
// member_record_from_probe), driven by a reproduction of the agent's runtime
// loop (sim/mysql_agent.h), against a model of MariaDB replication
// (sim/mysql_model.h) and of the namespace the agents share
// (sim/mysql_namespace.h), under crashes, partitions and pauses the seed
// chooses, with clients writing wherever the primary record points.
//
// One host per server: its mysqld, its Warden node and, inside that node's
// process, its agent. Faults hit each layer on its own (mysqld killed, the
// Warden process killed or paused, links cut for replication, for the
// ensemble, or for clients) or a whole host. The invariants are
// sim/mysql_checker.h's, checked after every event; the run stops at the
// first violation, which names the seed's events that led to it.
//
// Called by run_simulation() (sim/simulation.h) for WorkloadKind::kMysql.
// Reads no clock.
#pragma once

#include "sim/simulation.h"

namespace warden::sim {

SimResult run_mysql_simulation(const SimOptions& options);

}  // namespace warden::sim
