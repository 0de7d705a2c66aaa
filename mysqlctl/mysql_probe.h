// The agent's probe of a live MySQL or MariaDB server over TCP: connect and
// log in, read the server's identity, read_only, GTID positions, replication
// threads, lag and semi-synchronous state, in three statements at most, and
// say what failed when something does. What the findings make the member
// (role, health, MemberRecord) is decided by mysqlctl/probe_result.h.
//
// Uses MySQL Connector/C++ 1.1 (library warden_mysqlctl_mysql; the only code
// that includes the connector). The account needs no privilege beyond
// reading replication status: on MariaDB 10.5+ `GRANT REPLICA MONITOR ON *.*`
// (SUPER also does), on MySQL `GRANT REPLICATION CLIENT ON *.*`.
//
// Called by `warden mysql probe` and by the agent's probe loop, from any
// thread; each call opens and closes its own connection.
#pragma once

#include "mysqlctl/credentials.h"
#include "mysqlctl/probe_result.h"

namespace warden::mysqlctl {

// Never throws: a refused connection, wrong credentials, a missing privilege
// or a timeout come back as result.error with completed == false.
//
// Bounded by `timeout_ms`: the client library counts its timeouts in whole
// seconds, so the bound is timeout_ms rounded up to a second (at least 1 s).
// A server that never answers (hung, stopped, or a host that drops packets)
// is given up on after that; one that answers the login and then stalls
// costs at most one read timeout more, because the client library cannot
// shorten a read already waiting. The deadline is also checked between
// statements, so a slow server is not given a fresh timeout per statement.
ProbeResult probe(const ProbeTarget& target, const Credentials& credentials, int timeout_ms);

}  // namespace warden::mysqlctl
