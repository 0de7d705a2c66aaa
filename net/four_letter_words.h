// ZooKeeper's four-letter words on the client port: a connection whose first
// four bytes are one of them gets a text answer and is closed. Words outside
// 4lw.commands.whitelist get ZooKeeper's refusal. Which words are known comes
// from net/zoo_config.h.
//
// Sans-IO: the runtime gathers a FourLetterContext and sends back the text.
// Called by NodeServer (net/asio) on its thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/zoo_config.h"
#include "store/watch_manager.h"
#include "store/zoo_state.h"

namespace warden::net {

struct FourLetterContext {
  const ZooConfig* config = nullptr;
  const store::ZooState* state = nullptr;
  const store::WatchManager* watches = nullptr;
  std::string mode;  // "leader", "follower", "observer", "standalone"
  size_t connections = 0;
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  size_t outstanding_requests = 0;
};

// The word a connection's first four bytes spell, if it is a known one.
std::optional<std::string> four_letter_word(std::string_view first_bytes);
// The text to send back for `word`.
std::string four_letter_reply(const std::string& word, const FourLetterContext& context);

}  // namespace warden::net
