#include "mysqlctl/member.h"

#include <cassert>
#include <limits>

#include <nlohmann/json.hpp>

namespace warden::mysqlctl {
namespace {

using Json = nlohmann::json;

// Records are a few hundred bytes; anything far larger is not one of ours,
// and parsing it would only cost memory.
constexpr size_t kMaxRecordBytes = 64 * 1024;
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxHostLength = 255;

std::string name_error(std::string_view what, std::string_view name) {
  if (name.empty()) return std::string(what) + " is empty";
  if (name.size() > kMaxNameLength) {
    return std::string(what) + " is longer than " + std::to_string(kMaxNameLength) + " characters";
  }
  if (name.front() == '.')
    return std::string(what) + " '" + std::string(name) + "' starts with '.'";
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!allowed) {
      return std::string(what) + " '" + std::string(name) +
             "' has a character other than letters, digits, '-', '_' and '.'";
    }
  }
  return "";
}

std::string host_error(std::string_view host) {
  if (host.empty()) return "host is empty";
  if (host.size() > kMaxHostLength) return "host is longer than 255 characters";
  for (char c : host) {
    // Printable ASCII without space: names, IPv4 and IPv6 literals.
    if (c <= ' ' || c > '~') return "host has a space, control or non-ASCII character";
  }
  return "";
}

// Reads typed fields out of a JSON object, keeping the first problem found.
class FieldReader {
 public:
  explicit FieldReader(const Json& object) : object_(object) {}

  const std::string& error() const { return error_; }

  std::string string(const char* key) {
    const Json* value = find(key, "a string", &Json::is_string);
    return value != nullptr ? value->get<std::string>() : std::string();
  }
  bool boolean(const char* key) {
    const Json* value = find(key, "true or false", &Json::is_boolean);
    return value != nullptr && value->get<bool>();
  }
  // A non-negative integer no larger than `max`.
  uint64_t unsigned_integer(const char* key, uint64_t max) {
    const Json* value = find(key, "a non-negative integer", &Json::is_number_unsigned);
    if (value == nullptr) return 0;
    const auto number = value->get<uint64_t>();
    if (number > max) fail(std::string(key) + " is above " + std::to_string(max));
    return number;
  }
  // Absent or null: "" / false.
  std::string optional_string(const char* key) {
    return present(key) ? string(key) : std::string();
  }
  bool optional_boolean(const char* key) { return present(key) && boolean(key); }
  // Absent or null: nullopt.
  std::optional<uint64_t> optional_unsigned(const char* key,
                                            uint64_t max = std::numeric_limits<uint64_t>::max()) {
    if (!present(key)) return std::nullopt;
    return unsigned_integer(key, max);
  }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

 private:
  bool present(const char* key) const {
    auto found = object_.find(key);
    return found != object_.end() && !found->is_null();
  }
  const Json* find(const char* key, const char* expected, bool (Json::*is_type)() const noexcept) {
    auto found = object_.find(key);
    if (found == object_.end()) {
      fail(std::string("missing \"") + key + "\"");
      return nullptr;
    }
    if (!((*found).*is_type)()) {
      fail(std::string("\"") + key + "\" is not " + expected);
      return nullptr;
    }
    return &*found;
  }

  const Json& object_;
  std::string error_;
};

// Parses `text` as a JSON object, or says why it is not one.
Result<Json> parse_object(std::string_view text, const char* what) {
  if (text.size() > kMaxRecordBytes) {
    return Result<Json>::failure(std::string(what) + " is larger than " +
                                 std::to_string(kMaxRecordBytes) + " bytes");
  }
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Result<Json>::failure(std::string(what) + " is not valid JSON");
  if (!json.is_object()) {
    return Result<Json>::failure(std::string(what) + " is not a JSON object");
  }
  return Result<Json>::success(std::move(json));
}

std::string join(std::string_view base, std::string_view name) {
  return std::string(base) + "/" + std::string(name);
}

}  // namespace

const char* member_role_name(MemberRole role) {
  switch (role) {
    case MemberRole::kPrimary:
      return "primary";
    case MemberRole::kReplica:
      return "replica";
    case MemberRole::kUnknown:
      return "unknown";
  }
  return "?";
}

std::optional<MemberRole> parse_member_role(std::string_view name) {
  if (name == "primary") return MemberRole::kPrimary;
  if (name == "replica") return MemberRole::kReplica;
  if (name == "unknown") return MemberRole::kUnknown;
  return std::nullopt;
}

std::string cluster_name_error(std::string_view cluster) {
  return name_error("cluster name", cluster);
}

std::string member_id_error(std::string_view member_id) {
  return name_error("member id", member_id);
}

std::string member_record_error(const MemberRecord& record) {
  if (std::string error = member_id_error(record.id); !error.empty()) return error;
  if (std::string error = host_error(record.host); !error.empty()) return error;
  if (record.port == 0) return "port is 0";
  if (record.semi_sync != "" && record.semi_sync != "on" && record.semi_sync != "off" &&
      record.semi_sync != "may-fall-back") {
    return "semi_sync '" + record.semi_sync + "' is not on, off or may-fall-back";
  }
  if (!record.source_host.empty()) {
    if (std::string error = host_error(record.source_host); !error.empty()) {
      return "source_" + error;
    }
  }
  if (record.priority > kMaxPriority) {
    return "priority is above " + std::to_string(kMaxPriority);
  }
  Result<GtidPosition> position = GtidPosition::parse(record.flavour, record.gtid_position);
  if (!position.ok()) return std::string("gtid_position: ") + position.error();
  Result<GtidPosition> received =
      GtidPosition::parse(record.flavour, record.received_gtid_position);
  if (!received.ok()) return std::string("received_gtid_position: ") + received.error();
  return "";
}

const MemberRecord* find_member(const std::vector<MemberRecord>& members,
                                std::string_view member_id) {
  for (const MemberRecord& member : members) {
    if (member.id == member_id) return &member;
  }
  return nullptr;
}

std::string encode_member(const MemberRecord& record) {
  assert(member_record_error(record).empty());
  Json json = {
      {"id", record.id},
      {"host", record.host},
      {"port", record.port},
      {"role", member_role_name(record.role)},
      {"flavour", flavour_name(record.flavour)},
      {"gtid_position", record.gtid_position},
      {"received_gtid_position", record.received_gtid_position},
      {"lag_seconds", record.lag_seconds ? Json(*record.lag_seconds) : Json(nullptr)},
      {"healthy", record.healthy},
      {"source_host", record.source_host},
      {"source_port", record.source_port},
      {"io_running", record.io_running},
      {"problem", record.problem},
      {"semi_sync", record.semi_sync},
      {"semi_sync_replicas",
       record.semi_sync_replicas ? Json(*record.semi_sync_replicas) : Json(nullptr)},
      {"read_only", record.read_only},
      {"maintenance", record.maintenance},
      {"priority", record.priority},
  };
  // Server error texts in `problem` may hold bytes that are not UTF-8.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<MemberRecord> decode_member(std::string_view text) {
  Result<Json> json = parse_object(text, "member record");
  if (!json.ok()) return Result<MemberRecord>::failure(json.error());
  FieldReader fields(json.value());
  MemberRecord record;
  record.id = fields.string("id");
  record.host = fields.string("host");
  record.port = static_cast<uint16_t>(fields.unsigned_integer("port", UINT16_MAX));
  const std::string role = fields.string("role");
  const std::string flavour = fields.string("flavour");
  record.gtid_position = fields.string("gtid_position");
  record.lag_seconds = fields.optional_unsigned("lag_seconds");
  record.healthy = fields.boolean("healthy");
  // Added after the first records: absent in an older agent's record.
  record.source_host = fields.optional_string("source_host");
  record.source_port =
      static_cast<uint16_t>(fields.optional_unsigned("source_port", UINT16_MAX).value_or(0));
  record.io_running = fields.optional_boolean("io_running");
  record.received_gtid_position = fields.optional_string("received_gtid_position");
  record.problem = fields.optional_string("problem");
  record.semi_sync = fields.optional_string("semi_sync");
  record.semi_sync_replicas = fields.optional_unsigned("semi_sync_replicas");
  record.read_only = fields.boolean("read_only");
  record.maintenance = fields.boolean("maintenance");
  record.priority = static_cast<uint32_t>(fields.unsigned_integer("priority", kMaxPriority));
  if (!fields.error().empty()) {
    return Result<MemberRecord>::failure("member record: " + fields.error());
  }
  const std::optional<MemberRole> parsed_role = parse_member_role(role);
  if (!parsed_role)
    return Result<MemberRecord>::failure("member record: unknown role '" + role + "'");
  const std::optional<Flavour> parsed_flavour = parse_flavour(flavour);
  if (!parsed_flavour) {
    return Result<MemberRecord>::failure("member record: unknown flavour '" + flavour + "'");
  }
  record.role = *parsed_role;
  record.flavour = *parsed_flavour;
  if (std::string error = member_record_error(record); !error.empty()) {
    return Result<MemberRecord>::failure("member record: " + error);
  }
  return Result<MemberRecord>::success(std::move(record));
}

std::string encode_primary(const PrimaryRecord& record) {
  assert(member_id_error(record.member_id).empty());
  Json json = {{"member_id", record.member_id}, {"epoch", record.epoch}};
  if (!record.host.empty()) {
    json["host"] = record.host;
    json["port"] = record.port;
  }
  if (!record.gtid_position.empty()) json["gtid_position"] = record.gtid_position;
  return json.dump();
}

Result<PrimaryRecord> decode_primary(std::string_view text) {
  Result<Json> json = parse_object(text, "primary record");
  if (!json.ok()) return Result<PrimaryRecord>::failure(json.error());
  FieldReader fields(json.value());
  PrimaryRecord record;
  record.member_id = fields.string("member_id");
  record.epoch = fields.unsigned_integer("epoch", std::numeric_limits<uint64_t>::max());
  record.host = fields.optional_string("host");
  record.port = static_cast<uint16_t>(fields.optional_unsigned("port", UINT16_MAX).value_or(0));
  record.gtid_position = fields.optional_string("gtid_position");
  if (fields.error().empty()) fields.fail(member_id_error(record.member_id));
  if (fields.error().empty() && !record.host.empty()) fields.fail(host_error(record.host));
  if (!fields.error().empty()) {
    return Result<PrimaryRecord>::failure("primary record: " + fields.error());
  }
  return Result<PrimaryRecord>::success(std::move(record));
}

std::string encode_roster_entry(const RosterEntry& entry) {
  return Json{{"following_epoch", entry.following_epoch}}.dump();
}

Result<RosterEntry> decode_roster_entry(std::string_view text) {
  Result<Json> json = parse_object(text, "roster entry");
  if (!json.ok()) return Result<RosterEntry>::failure(json.error());
  FieldReader fields(json.value());
  RosterEntry entry;
  entry.following_epoch =
      fields.unsigned_integer("following_epoch", std::numeric_limits<uint64_t>::max());
  if (!fields.error().empty())
    return Result<RosterEntry>::failure("roster entry: " + fields.error());
  return Result<RosterEntry>::success(entry);
}

std::string cluster_path(std::string_view cluster) {
  assert(cluster_name_error(cluster).empty());
  return join(kMysqlRootPath, cluster);
}

std::string members_path(std::string_view cluster) {
  return cluster_path(cluster) + "/members";
}

std::string member_path(std::string_view cluster, std::string_view member_id) {
  assert(member_id_error(member_id).empty());
  return join(members_path(cluster), member_id);
}

std::string primary_path(std::string_view cluster) {
  return cluster_path(cluster) + "/primary";
}

std::string failover_lock_path(std::string_view cluster) {
  return cluster_path(cluster) + "/failover-lock";
}

std::string maintenance_path(std::string_view cluster) {
  return cluster_path(cluster) + "/maintenance";
}

std::string maintenance_member_path(std::string_view cluster, std::string_view member_id) {
  assert(member_id_error(member_id).empty());
  return join(maintenance_path(cluster), member_id);
}

std::string roster_path(std::string_view cluster) {
  return cluster_path(cluster) + "/roster";
}

std::string roster_member_path(std::string_view cluster, std::string_view member_id) {
  assert(member_id_error(member_id).empty());
  return join(roster_path(cluster), member_id);
}

}  // namespace warden::mysqlctl
