#include "net/four_letter_words.h"

#include "net/zoo_config.h"

namespace warden::net {

std::optional<std::string> four_letter_word(std::string_view first_bytes) {
  if (first_bytes.size() < 4) return std::nullopt;
  std::string word(first_bytes.substr(0, 4));
  if (known_four_letter_words().count(word) == 0) return std::nullopt;
  return word;
}

std::string four_letter_reply(const std::string& word, const ServerFacts& facts) {
  if (facts.config->four_letter_words.count(word) == 0) {
    return word + " is not executed because it is not in the whitelist.\n";
  }
  // ZooKeeper 3.8 knows a few more words (crst, srst, gtmk, stmk, hash) that
  // reset counters or read trace masks; Warden has neither.
  const std::optional<CommandName> command = find_command(word);
  if (!command) return word + " is not supported by this Warden version.\n";
  return run_command(*command, facts).text;
}

}  // namespace warden::net
