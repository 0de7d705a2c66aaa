// Four-letter words: recognised from a connection's first bytes, refused
// outside the whitelist with ZooKeeper's words, and answered from the state.
#include <gtest/gtest.h>

#include "net/four_letter_words.h"

namespace warden::net {
namespace {

FourLetterContext context_for(const ZooConfig& config, const store::ZooState& state,
                              const store::WatchManager& watches) {
  FourLetterContext c;
  c.config = &config;
  c.state = &state;
  c.watches = &watches;
  c.mode = "follower";
  c.connections = 2;
  return c;
}

TEST(FourLetterWords, AreRecognisedOnlyWhenKnown) {
  EXPECT_EQ(four_letter_word("ruok"), "ruok");
  EXPECT_EQ(four_letter_word("mntrXYZ"), "mntr");
  EXPECT_FALSE(four_letter_word("ruo").has_value());
  EXPECT_FALSE(four_letter_word(std::string("\0\0\0\x2d", 4)).has_value()) << "a frame length";
  EXPECT_FALSE(four_letter_word("abcd").has_value());
}

TEST(FourLetterWords, OutsideTheWhitelistTheyAreRefused) {
  ZooConfig config;
  config.four_letter_words = {"srvr"};
  store::ZooState state;
  store::WatchManager watches;
  const FourLetterContext c = context_for(config, state, watches);
  EXPECT_EQ(four_letter_reply("ruok", c),
            "ruok is not executed because it is not in the whitelist.\n");
  EXPECT_NE(four_letter_reply("srvr", c).find("Mode: follower\n"), std::string::npos);
}

TEST(FourLetterWords, AnswersComeFromTheState) {
  ZooConfig config;
  config.four_letter_words = {"ruok", "mntr", "srvr", "wchs"};
  store::ZooState state;
  store::WatchManager watches;
  watches.add_data_watch("/a", 7);
  const FourLetterContext c = context_for(config, state, watches);
  EXPECT_EQ(four_letter_reply("ruok", c), "imok");
  const std::string mntr = four_letter_reply("mntr", c);
  EXPECT_NE(mntr.find("zk_server_state\tfollower\n"), std::string::npos) << mntr;
  EXPECT_NE(mntr.find("zk_znode_count\t" + std::to_string(state.tree().node_count()) + "\n"),
            std::string::npos)
      << mntr;
  EXPECT_NE(mntr.find("zk_watch_count\t1\n"), std::string::npos) << mntr;
  EXPECT_NE(four_letter_reply("srvr", c).find("Connections: 2\n"), std::string::npos);
  EXPECT_EQ(four_letter_reply("wchs", c), "1 connections watching 1 paths\nTotal watches:1\n");
}

}  // namespace
}  // namespace warden::net
