#include "net/four_letter_words.h"

#include <cstdio>

namespace warden::net {
namespace {

constexpr const char* kVersion = "3.8.0-warden";

std::string hex_zxid(int64_t zxid) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(zxid));
  return text;
}

size_t ephemeral_count(const store::ZooState& state) {
  size_t count = 0;
  for (const auto& [session, paths] : state.tree().ephemerals()) count += paths.size();
  return count;
}

std::string srvr(const FourLetterContext& c) {
  std::string out;
  out += std::string("Zookeeper version: ") + kVersion + "\n";
  out += "Latency min/avg/max: 0/0.0/0\n";
  out += "Received: " + std::to_string(c.packets_received) + "\n";
  out += "Sent: " + std::to_string(c.packets_sent) + "\n";
  out += "Connections: " + std::to_string(c.connections) + "\n";
  out += "Outstanding: " + std::to_string(c.outstanding_requests) + "\n";
  out += "Zxid: " + hex_zxid(c.state->last_applied_zxid()) + "\n";
  out += "Mode: " + c.mode + "\n";
  out += "Node count: " + std::to_string(c.state->tree().node_count()) + "\n";
  return out;
}

std::string mntr(const FourLetterContext& c) {
  const store::WatchCounts watches = c.watches->counts();
  std::string out;
  auto line = [&out](const std::string& key, const std::string& value) {
    out += key + "\t" + value + "\n";
  };
  line("zk_version", kVersion);
  line("zk_server_state", c.mode);
  line("zk_num_alive_connections", std::to_string(c.connections));
  line("zk_outstanding_requests", std::to_string(c.outstanding_requests));
  line("zk_packets_received", std::to_string(c.packets_received));
  line("zk_packets_sent", std::to_string(c.packets_sent));
  line("zk_znode_count", std::to_string(c.state->tree().node_count()));
  line("zk_watch_count", std::to_string(watches.watches));
  line("zk_ephemerals_count", std::to_string(ephemeral_count(*c.state)));
  line("zk_global_sessions", std::to_string(c.state->sessions().size()));
  line("zk_last_zxid", hex_zxid(c.state->last_applied_zxid()));
  return out;
}

std::string wchs(const FourLetterContext& c) {
  const store::WatchCounts watches = c.watches->counts();
  return std::to_string(watches.watchers) + " connections watching " +
         std::to_string(watches.paths) +
         " paths\nTotal watches:" + std::to_string(watches.watches) + "\n";
}

}  // namespace

std::optional<std::string> four_letter_word(std::string_view first_bytes) {
  if (first_bytes.size() < 4) return std::nullopt;
  std::string word(first_bytes.substr(0, 4));
  if (known_four_letter_words().count(word) == 0) return std::nullopt;
  return word;
}

std::string four_letter_reply(const std::string& word, const FourLetterContext& c) {
  if (c.config->four_letter_words.count(word) == 0) {
    return word + " is not executed because it is not in the whitelist.\n";
  }
  if (word == "ruok") return "imok";
  if (word == "isro") return "rw";
  if (word == "srvr") return srvr(c);
  if (word == "stat") return srvr(c);
  if (word == "mntr") return mntr(c);
  if (word == "wchs") return wchs(c);
  if (word == "conf") return render_conf(*c.config, ConfRuntime{}) + "\n";
  return word + " is not supported by this Warden version yet.\n";
}

}  // namespace warden::net
