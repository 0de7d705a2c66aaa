// ZooKeeper's four-letter words on the client port: a connection whose first
// four bytes are one of them gets a text answer and is closed. Words outside
// 4lw.commands.whitelist get ZooKeeper's refusal. Which words are known comes
// from net/zoo_config.h; what each answers, from net/server_commands.h.
//
// Sans-IO: the runtime gathers ServerFacts and sends back the text.
// Called by NodeServer (net/asio) on its thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/server_commands.h"

namespace warden::net {

// The word a connection's first four bytes spell, if it is a known one.
std::optional<std::string> four_letter_word(std::string_view first_bytes);
// The text to send back for `word`.
std::string four_letter_reply(const std::string& word, const ServerFacts& facts);

}  // namespace warden::net
