// The first half of reading a zoo.cfg: split it into keys, fold repeats, hand
// each key to its reader (net/zoo_config_keys.cc), then finish
// (net/zoo_config_membership.cc).
#include "net/zoo_config.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <utility>

#include "net/zoo_config_properties.h"
#include "net/zoo_config_state.h"
#include "net/zoo_config_values.h"

namespace warden::net {
namespace zoo_config_detail {

std::string where(const ParseState& state, const Entry& entry) {
  const std::string& source = entry.source.empty() ? state.config.source_name : entry.source;
  return source + ":" + std::to_string(entry.line);
}

bool fail(ParseState& state, const Entry& entry, const std::string& reason) {
  if (state.error.empty()) state.error = where(state, entry) + ": " + entry.key + ": " + reason;
  return false;
}

bool fail_key(ParseState& state, const std::string& key, const std::string& reason) {
  const auto line = state.key_lines.find(key);
  if (line != state.key_lines.end()) return fail(state, Entry{key, "", line->second, ""}, reason);
  if (state.error.empty()) state.error = state.config.source_name + ": " + key + ": " + reason;
  return false;
}

bool fail_file(ParseState& state, const std::string& path, const std::string& reason) {
  if (state.error.empty()) state.error = path + ": " + reason;
  return false;
}

void warn(ParseState& state, const Entry& entry, const std::string& text) {
  state.config.warnings.push_back(where(state, entry) + ": " + entry.key + ": " + text);
}

void note(ParseState& state, const Entry& entry, const std::string& text) {
  state.config.notes.push_back(where(state, entry) + ": " + entry.key + ": " + text);
}

}  // namespace zoo_config_detail

namespace {

using namespace zoo_config_detail;

// Properties keep the last value of a repeated key, and so does ZooKeeper;
// a repeated server line is refused, as it is surely a mistake.
bool collapse_repeats(ParseState& state, const std::vector<Property>& properties,
                      std::vector<Entry>& entries) {
  std::map<std::string, size_t, std::less<>> index;
  for (const Property& property : properties) {
    Entry entry{std::string(java_trim(property.key)), std::string(java_trim(property.value)),
                property.line, ""};
    const auto [it, inserted] = index.try_emplace(entry.key, entries.size());
    if (inserted) {
      entries.push_back(std::move(entry));
      continue;
    }
    Entry& earlier = entries[it->second];
    if (entry.key.starts_with("server.")) {
      return fail(state, entry, "is also set on line " + std::to_string(earlier.line));
    }
    // An unknown key gets its one warning from dispatch().
    if (is_recognised_key(entry.key)) {
      warn(state, entry,
           "also set on line " + std::to_string(earlier.line) +
               "; this later value wins, as in ZooKeeper");
    }
    earlier.value = std::move(entry.value);
    earlier.line = entry.line;
  }
  return true;
}

std::string join_path(const std::string& directory, const std::string& name) {
  if (directory.empty() || directory.back() == '/') return directory + name;
  return directory + "/" + name;
}

}  // namespace

const std::set<std::string>& known_four_letter_words() {
  // FourLetterCommands in ZooKeeper 3.6-3.8 ("hash" came in 3.6).
  static const std::set<std::string> words = {"conf", "cons", "crst", "dirs", "dump", "envi",
                                              "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
                                              "wchc", "wchp", "wchs", "mntr", "isro", "hash"};
  return words;
}

const ServerSpec& ZooConfig::me() const {
  const auto it = std::find_if(servers.begin(), servers.end(),
                               [&](const ServerSpec& server) { return server.id == my_id; });
  assert(it != servers.end() && "a parsed config always lists its own server");
  return *it;
}

ZooConfigFilePaths zoo_config_file_paths(std::string_view text) {
  ZooConfigFilePaths paths;
  for (const Property& property : parse_java_properties(text).properties) {
    const std::string key(java_trim(property.key));
    const std::string value(java_trim(property.value));
    if (key == "dataDir" && !value.empty()) paths.myid = join_path(value, "myid");
    if (key == "dynamicConfigFile") paths.dynamic_config = value;
  }
  return paths;
}

ConfigResult parse_zoo_config(std::string_view text, const std::string& source_name,
                              const ZooConfigFiles& files) {
  ParseState state;
  state.config.source_name = source_name;
  const PropertiesResult properties = parse_java_properties(text);
  if (!properties.ok()) {
    return {std::nullopt,
            source_name + ":" + std::to_string(properties.error_line) + ": " + properties.error};
  }
  std::vector<Entry> entries;
  bool ok = collapse_repeats(state, properties.properties, entries);
  for (size_t i = 0; ok && i < entries.size(); ++i) ok = dispatch_key(state, entries[i]);
  if (ok) ok = finish_zoo_config(state, files);
  if (!ok) return {std::nullopt, state.error};
  return {std::move(state.config), ""};
}

}  // namespace warden::net
