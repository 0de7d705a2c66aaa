// The peer codec: every message survives a round trip, a stream cut anywhere
// reassembles, and damaged or oversized frames are errors, never crashes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "net/peer_codec.h"

namespace warden::net {
namespace {

using consensus::Entry;
using consensus::EntryType;
using consensus::Message;
using consensus::MessageType;

Message sample_message() {
  Message m;
  m.type = MessageType::kAppend;
  m.from = 1;
  m.to = 3;
  m.epoch = 7;
  m.prev_index = 41;
  m.prev_zxid = consensus::make_zxid(7, 2);
  m.commit_index = 40;
  m.entries = {Entry{42, consensus::make_zxid(7, 3), EntryType::kData, "payload"},
               Entry{43, consensus::make_zxid(7, 4), EntryType::kData, std::string(300, 'z')}};
  m.proposals = {"forwarded"};
  m.snapshot.data = "chunk";
  m.snapshot_last_chunk = true;
  return m;
}

bool same(const Message& a, const Message& b) {
  return a.type == b.type && a.from == b.from && a.to == b.to && a.epoch == b.epoch &&
         a.last_index == b.last_index && a.last_zxid == b.last_zxid && a.reject == b.reject &&
         a.prev_index == b.prev_index && a.prev_zxid == b.prev_zxid && a.entries == b.entries &&
         a.commit_index == b.commit_index && a.match_index == b.match_index &&
         a.hint_index == b.hint_index && a.hint_zxid == b.hint_zxid && a.context == b.context &&
         a.snapshot == b.snapshot && a.snapshot_offset == b.snapshot_offset &&
         a.snapshot_last_chunk == b.snapshot_last_chunk && a.proposals == b.proposals;
}

TEST(PeerCodec, AMessageSurvivesTheRoundTrip) {
  const Message m = sample_message();
  const std::optional<Message> back = decode_peer_message(encode_peer_message(m));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(same(*back, m));
}

TEST(PeerCodec, AStreamFedByteByByteYieldsEveryMessage) {
  std::string stream;
  Message first = sample_message();
  Message second = sample_message();
  second.type = MessageType::kHeartbeat;
  second.entries.clear();
  second.context = 99;
  append_peer_frame(first, &stream);
  append_peer_frame(second, &stream);
  PeerFrameDecoder decoder(1 << 20);
  std::vector<Message> got;
  for (char byte : stream) {
    decoder.feed(std::string_view(&byte, 1));
    while (std::optional<Message> m = decoder.next()) got.push_back(*m);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(same(got[0], first));
  EXPECT_TRUE(same(got[1], second));
  EXPECT_TRUE(decoder.error().empty());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(PeerCodec, AFlippedBitFailsTheChecksum) {
  std::string stream;
  append_peer_frame(sample_message(), &stream);
  stream[kPeerFrameHeaderBytes + 20] ^= 0x01;
  PeerFrameDecoder decoder(1 << 20);
  decoder.feed(stream);
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_NE(decoder.error().find("checksum"), std::string::npos) << decoder.error();
}

TEST(PeerCodec, AFrameOverTheLimitIsRefusedBeforeItArrives) {
  std::string stream;
  append_peer_frame(sample_message(), &stream);
  PeerFrameDecoder decoder(100);
  decoder.feed(stream.substr(0, kPeerFrameHeaderBytes));  // the header alone says too much
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_NE(decoder.error().find("exceeds the limit of 100"), std::string::npos) << decoder.error();
}

TEST(PeerCodec, UnknownVersionTypeOrTrailingBytesDoNotDecode) {
  const std::string good = encode_peer_message(sample_message());
  std::string bad_version = good;
  bad_version[0] = 9;
  EXPECT_FALSE(decode_peer_message(bad_version).has_value());
  std::string bad_type = good;
  bad_type[1] = static_cast<char>(200);
  EXPECT_FALSE(decode_peer_message(bad_type).has_value());
  EXPECT_FALSE(decode_peer_message(good + "x").has_value());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    EXPECT_FALSE(decode_peer_message(good.substr(0, cut)).has_value()) << cut;
  }
}

RC_GTEST_PROP(PeerCodec, RandomPayloadsNeverCrashTheDecoder, (const std::string& bytes)) {
  (void)decode_peer_message(bytes);
  PeerFrameDecoder decoder(1 << 16);
  decoder.feed(bytes);
  while (decoder.next()) {
  }
}

RC_GTEST_PROP(PeerCodec, GeneratedMessagesRoundTrip,
              (uint8_t type, uint32_t epoch, uint64_t index, bool reject, std::string data,
               std::vector<std::string> proposals)) {
  Message m;
  m.type =
      static_cast<MessageType>(type % (static_cast<uint8_t>(MessageType::kSnapshotResponse) + 1));
  m.epoch = epoch;
  m.commit_index = index;
  m.hint_zxid = index ^ epoch;
  m.reject = reject;
  m.snapshot.data = data;
  m.entries = {Entry{index, index + 1, EntryType::kData, data}};
  m.proposals = proposals;
  const std::optional<Message> back = decode_peer_message(encode_peer_message(m));
  RC_ASSERT(back.has_value());
  RC_ASSERT(same(*back, m));
}

}  // namespace
}  // namespace warden::net
