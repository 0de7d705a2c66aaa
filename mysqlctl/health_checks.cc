#include "mysqlctl/health_checks.h"

#include <charconv>
#include <vector>

#include <nlohmann/json.hpp>

namespace warden::mysqlctl {
namespace {

using Json = nlohmann::json;

// A request target split at '?'.
struct Target {
  std::string_view path;
  std::string_view query;
};

Target split_target(std::string_view target) {
  const size_t mark = target.find('?');
  if (mark == std::string_view::npos) return {target, {}};
  return {target.substr(0, mark), target.substr(mark + 1)};
}

// The value of `key` in "a=1&b=2", or nullopt when absent.
std::optional<std::string_view> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

HttpAnswer json_answer(unsigned status, const Json& body) {
  return HttpAnswer{.status = status, .body = body.dump() + "\n"};
}

HttpAnswer unavailable(const std::string& reason) {
  return json_answer(503, Json{{"reason", reason}});
}

// 405 or 404 for what no route answers; nullopt when the method is fine.
std::optional<HttpAnswer> refuse_method(std::string_view method) {
  if (method == "GET" || method == "HEAD") return std::nullopt;
  return json_answer(405, Json{{"reason", "only GET and HEAD are answered"}});
}

HttpAnswer not_found(std::string_view path) {
  return json_answer(404, Json{{"reason", "no such path: " + std::string(path)},
                               {"paths", {"/primary", "/replica", "/health"}}});
}

Json backend_json(const Backend& backend) {
  return Json{{"member_id", backend.member_id},
              {"epoch", backend.epoch},
              {"host", backend.host},
              {"port", backend.port}};
}

HttpAnswer router_primary(const Topology& topology) {
  const Route route = read_write_route(topology);
  if (!route.backend) return unavailable(route.refusal);
  return json_answer(200, backend_json(*route.backend));
}

HttpAnswer router_replica(const Topology& topology, const RoutePolicy& policy) {
  const Route route = read_only_route(topology, policy, {});
  if (!route.backend) return unavailable(route.refusal);
  Json replicas = Json::array();
  for (const Backend& backend : read_only_backends(topology, policy)) {
    replicas.push_back(backend_json(backend));
  }
  return json_answer(200, Json{{"replicas", replicas},
                               {"primary_fallback", route.primary_fallback},
                               {"max_lag_seconds", policy.max_lag_seconds}});
}

HttpAnswer router_health(const Topology& topology) {
  return json_answer(
      200,
      Json{{"status", "ok"},
           {"following", topology.unknown_because.empty() ? "yes" : topology.unknown_because}});
}

// ": what its record reports", or "" when it reports nothing.
std::string why(const MemberRecord& member) {
  return member.problem.empty() ? "" : ": " + member.problem;
}

std::string member_primary_refusal(const MemberHealthFacts& facts) {
  if (!facts.confirmed) return "this member's agent is not confirmed by the ensemble";
  if (!facts.view.unknown_because.empty()) return facts.view.unknown_because;
  const std::optional<PrimaryRecord>& primary = facts.view.primary;
  if (!primary) return "no primary published";
  if (primary->member_id != facts.member_id) {
    return "the primary is " + primary->member_id + " (epoch " + std::to_string(primary->epoch) +
           ")";
  }
  if (!facts.local) return "no recent probe of this member's server";
  if (!facts.local->healthy) return "this member's server is unhealthy" + why(*facts.local);
  if (facts.local->role != MemberRole::kPrimary) return "this member's server replicates";
  if (facts.local->read_only) return "this member's server is read-only";
  return "";
}

HttpAnswer member_primary(const MemberHealthFacts& facts) {
  const std::string refusal = member_primary_refusal(facts);
  if (!refusal.empty()) return unavailable(refusal);
  return json_answer(200, Json{{"member_id", facts.member_id},
                               {"role", "primary"},
                               {"epoch", facts.view.primary->epoch}});
}

HttpAnswer member_replica(const MemberHealthFacts& facts, std::string_view query) {
  uint64_t max_lag_seconds = kDefaultMaxLagSeconds;
  if (const std::optional<std::string_view> text = query_value(query, "max_lag_seconds")) {
    const char* end = text->data() + text->size();
    const auto parsed = std::from_chars(text->data(), end, max_lag_seconds);
    if (text->empty() || parsed.ec != std::errc() || parsed.ptr != end) {
      return json_answer(400, Json{{"reason", "max_lag_seconds is not a whole number of seconds"}});
    }
  }
  if (!facts.local) return unavailable("no recent probe of this member's server");
  const std::string refusal = replica_refusal(*facts.local, facts.view, max_lag_seconds);
  if (!refusal.empty()) return unavailable(refusal);
  return json_answer(200, Json{{"member_id", facts.member_id},
                               {"role", "replica"},
                               {"lag_seconds", *facts.local->lag_seconds},
                               {"max_lag_seconds", max_lag_seconds}});
}

HttpAnswer member_health(const MemberHealthFacts& facts) {
  if (!facts.local) return unavailable("no recent probe of this member's server");
  if (!facts.local->healthy)
    return unavailable("this member's server is unhealthy" + why(*facts.local));
  return json_answer(
      200, Json{{"member_id", facts.member_id}, {"role", member_role_name(facts.local->role)}});
}

void add_metric(std::string& text, const char* name, const char* type, const char* help,
                const std::string& member_id, uint64_t value) {
  text += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
          name + "{member=\"" + member_id + "\"} " + std::to_string(value) + "\n";
}

HttpAnswer member_metrics(const MemberHealthFacts& facts) {
  const std::optional<MemberRecord>& local = facts.local;
  const bool primary = local && !local->read_only && local->role == MemberRole::kPrimary;
  const bool waiting = primary && local->semi_sync_replicas && *local->semi_sync_replicas == 0;
  const AgentCounters& c = facts.counters;
  const std::string& id = facts.member_id;  // checked by member_id_error: no quoting needed
  std::string text;
  add_metric(text, "warden_mysql_up", "gauge",
             "1 when the latest probe (recent) found the server healthy", id,
             local && local->healthy);
  add_metric(text, "warden_mysql_writable", "gauge",
             "1 when the latest probe found the server writable", id, local && !local->read_only);
  add_metric(text, "warden_mysql_confirmed", "gauge",
             "1 while the ensemble confirms this agent (it is not fencing itself)", id,
             facts.confirmed);
  add_metric(text, "warden_mysql_commits_waiting", "gauge",
             "1 while this writable primary's commits wait: semi-synchronous replication and "
             "no replica connected to acknowledge",
             id, waiting);
  add_metric(text, "warden_mysql_semi_sync_replicas", "gauge",
             "Replicas connected to acknowledge this primary's commits", id,
             primary ? local->semi_sync_replicas.value_or(0) : 0);
  add_metric(text, "warden_mysql_lag_seconds", "gauge",
             "Seconds_Behind_Master of this replica (0 when unknown or a primary)", id,
             local ? local->lag_seconds.value_or(0) : 0);
  add_metric(text, "warden_mysql_failovers_started_total", "counter",
             "Failovers this agent started (it took the lock)", id, c.failovers_started);
  add_metric(text, "warden_mysql_failovers_published_total", "counter",
             "Failovers this agent completed by publishing a new primary", id,
             c.failovers_published);
  add_metric(text, "warden_mysql_failovers_stopped_total", "counter",
             "Failovers this agent stopped before publishing", id, c.failovers_stopped);
  add_metric(text, "warden_mysql_fences_total", "counter", "Times this agent fenced its own server",
             id, c.fences);
  add_metric(text, "warden_mysql_make_writables_total", "counter",
             "Times this agent made its own server writable again", id, c.make_writables);
  add_metric(text, "warden_mysql_repoints_total", "counter",
             "Times this agent repointed its own server", id, c.repoints);
  return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", std::move(text)};
}

// HEAD gets GET's status and headers without the body.
HttpAnswer for_method(std::string_view method, HttpAnswer answer) {
  if (method == "HEAD") answer.body.clear();
  return answer;
}

}  // namespace

HttpAnswer router_http_answer(std::string_view method, std::string_view target,
                              const Topology& topology, const RoutePolicy& policy) {
  if (std::optional<HttpAnswer> refused = refuse_method(method)) return *refused;
  const Target split = split_target(target);
  if (split.path == "/primary") return for_method(method, router_primary(topology));
  if (split.path == "/replica") return for_method(method, router_replica(topology, policy));
  if (split.path == "/health") return for_method(method, router_health(topology));
  return for_method(method, not_found(split.path));
}

HttpAnswer member_http_answer(std::string_view method, std::string_view target,
                              const MemberHealthFacts& facts) {
  if (std::optional<HttpAnswer> refused = refuse_method(method)) return *refused;
  const Target split = split_target(target);
  if (split.path == "/primary") return for_method(method, member_primary(facts));
  if (split.path == "/replica") return for_method(method, member_replica(facts, split.query));
  if (split.path == "/health") return for_method(method, member_health(facts));
  if (split.path == "/metrics") return for_method(method, member_metrics(facts));
  return for_method(method, not_found(split.path));
}

}  // namespace warden::mysqlctl
