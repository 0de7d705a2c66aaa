// FrameDecoder: frames out of arbitrary pieces, ZooKeeper's length rule, and
// the frame encoders.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/jute_frame.h"
#include "net/jute_records.h"

namespace warden::net {
namespace {

// Feeds `bytes` in pieces of `piece` bytes, collecting every frame as soon as
// it is complete.
std::vector<std::string> feed_in_pieces(FrameDecoder& decoder, const std::string& bytes,
                                        size_t piece) {
  std::vector<std::string> frames;
  for (size_t at = 0; at < bytes.size(); at += piece) {
    decoder.feed(std::string_view(bytes).substr(at, piece));
    while (auto payload = decoder.next()) frames.push_back(std::move(*payload));
  }
  return frames;
}

const std::vector<std::string> kPayloads = {"hello", "", std::string(300, 'x'), "z"};

std::string framed_payloads() {
  std::string out;
  for (const std::string& payload : kPayloads) append_frame(out, payload);
  return out;
}

TEST(JuteFrame, EncodesTheLengthBigEndian) {
  EXPECT_EQ(frame("abc"), std::string("\0\0\0\3abc", 7));
  EXPECT_EQ(frame(""), std::string("\0\0\0\0", 4));
  EXPECT_EQ(frame(std::string(258, 'a')).substr(0, 4), std::string("\0\0\1\2", 4));
}

TEST(JuteFrame, EncodeFrameOfRecords) {
  const std::string bytes = encode_frame(ReplyHeader{kPingXid, 5, store::ErrorCode::kOk});
  EXPECT_EQ(bytes.size(), 4 + kReplyHeaderSize);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\0\0\0\x10", 4));

  std::string two;
  append_encoded_frame(two, ReplyHeader{1, 2, store::ErrorCode::kOk}, SyncResponse{"/a"});
  append_encoded_frame(two, ReplyHeader{2, 2, store::ErrorCode::kOk});
  FrameDecoder decoder;
  decoder.feed(two);
  const auto first = decoder.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), kReplyHeaderSize + 4 + 2);
  const auto second = decoder.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->size(), kReplyHeaderSize);
  EXPECT_FALSE(decoder.next());
}

TEST(JuteFrame, ByteByByte) {
  FrameDecoder decoder;
  const std::string bytes = framed_payloads();
  std::vector<std::string> frames;
  for (size_t at = 0; at < bytes.size(); ++at) {
    decoder.feed(bytes.substr(at, 1));
    if (auto payload = decoder.next()) {
      frames.push_back(*payload);
      // A frame is handed out exactly when its last byte arrives.
      size_t end = 0;
      for (size_t i = 0; i < frames.size(); ++i) end += 4 + kPayloads[i].size();
      EXPECT_EQ(at + 1, end);
    }
  }
  EXPECT_EQ(frames, kPayloads);
  EXPECT_EQ(decoder.buffered(), 0u);
  EXPECT_FALSE(decoder.failed());
}

TEST(JuteFrame, PiecesSpanningFrames) {
  const std::string bytes = framed_payloads();
  for (size_t piece = 1; piece <= bytes.size(); ++piece) {
    FrameDecoder decoder;
    EXPECT_EQ(feed_in_pieces(decoder, bytes, piece), kPayloads) << "piece " << piece;
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(JuteFrame, AllAtOnce) {
  FrameDecoder decoder;
  decoder.feed(framed_payloads() + std::string("\0\0", 2));
  std::vector<std::string> frames;
  while (auto payload = decoder.next()) frames.push_back(*payload);
  EXPECT_EQ(frames, kPayloads);
  EXPECT_EQ(decoder.buffered(), 2u);  // half a length prefix waits for more
}

TEST(JuteFrame, NegativeLengthIsALenError) {
  FrameDecoder decoder;
  decoder.feed(std::string("\xff\xff\xff\xff", 4));
  EXPECT_FALSE(decoder.next());
  ASSERT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.error().rfind("Len error -1", 0), 0u) << decoder.error();
}

TEST(JuteFrame, LengthAboveMaxBufferIsALenError) {
  FrameDecoder decoder;
  decoder.feed(std::string("\x00\x10\x00\x00", 4));  // 0x100000 = maxbuffer + 1
  EXPECT_FALSE(decoder.next());
  ASSERT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.error().rfind("Len error 1048576", 0), 0u) << decoder.error();
  // Once failed, nothing more comes out.
  decoder.feed(frame("ok"));
  EXPECT_FALSE(decoder.next());
}

TEST(JuteFrame, LengthEqualToMaxBufferIsAccepted) {
  FrameDecoder decoder;
  const std::string payload(kDefaultMaxBuffer, 'p');
  decoder.feed(frame(payload));
  const auto out = decoder.next();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->size(), payload.size());
}

TEST(JuteFrame, ConfigurableMax) {
  FrameDecoder decoder(8);
  decoder.feed(frame("12345678") + frame("123456789"));
  EXPECT_TRUE(decoder.next());
  EXPECT_FALSE(decoder.next());
  EXPECT_TRUE(decoder.failed());
  EXPECT_EQ(decoder.max_length(), 8);
}

TEST(JuteFrame, HugeLengthDoesNotWaitForData) {
  // The length is refused as soon as it is known, not after 2 GiB arrive.
  FrameDecoder decoder;
  decoder.feed(std::string("\x7f\xff\xff\xff", 4));
  EXPECT_FALSE(decoder.next());
  EXPECT_TRUE(decoder.failed());
}

TEST(JuteFrame, PeekLengthSeesFourLetterWords) {
  FrameDecoder decoder;
  decoder.feed("ru");
  EXPECT_FALSE(decoder.peek_length());
  decoder.feed("ok");
  ASSERT_TRUE(decoder.peek_length());
  EXPECT_EQ(*decoder.peek_length(), 0x72756f6b);
  EXPECT_FALSE(decoder.failed());  // only next() judges the length
}

}  // namespace
}  // namespace warden::net
