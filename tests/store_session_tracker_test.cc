// Session expiry at the leader: deadlines move with signs of life, a new
// leader gives every session a full timeout, a close is handed out once per
// timeout, and reports travel in a form no WriteRequest can be taken for.
#include <gtest/gtest.h>

#include "store/request.h"
#include "store/session_tracker.h"
#include "store/txn.h"
#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

TEST(SessionTracker, ASessionExpiresOnlyAfterItsTimeoutWithoutSignsOfLife) {
  SessionTracker tracker;
  ZooState empty;
  tracker.start_leading(empty, 0);
  tracker.session_created(7, 1000, 0);
  EXPECT_TRUE(tracker.take_expired(999).empty());
  tracker.touch(7, 900);
  EXPECT_TRUE(tracker.take_expired(1899).empty());
  EXPECT_EQ(tracker.take_expired(1900), std::vector<SessionId>{7});
  EXPECT_TRUE(tracker.take_expired(2000).empty()) << "handed out twice within its timeout";
  EXPECT_EQ(tracker.take_expired(2900), std::vector<SessionId>{7}) << "a lost close is retried";
  tracker.session_closed(7);
  EXPECT_TRUE(tracker.take_expired(10'000).empty());
}

TEST(SessionTracker, ANewLeaderStartsEverySessionsClockAfresh) {
  tree_test::TreeHarness h;
  const SessionId a = h.open_session({}, 5000);
  const SessionId b = h.open_session({}, 2000);
  SessionTracker tracker;
  tracker.start_leading(h.state(), 100'000);
  EXPECT_TRUE(tracker.take_expired(101'999).empty());
  EXPECT_EQ(tracker.take_expired(102'000), std::vector<SessionId>{b});
  tracker.session_closed(b);  // its closeSession applied
  EXPECT_TRUE(tracker.take_expired(104'999).empty());
  EXPECT_EQ(tracker.take_expired(105'000), std::vector<SessionId>{a});
  tracker.stop_leading();
  EXPECT_FALSE(tracker.leading());
  EXPECT_TRUE(tracker.take_expired(1'000'000).empty()) << "a follower expires nothing";
}

TEST(SessionTracker, TouchReportsRoundTripAndAreNeverTakenForRequests) {
  const std::vector<SessionId> sessions{1, 99, -5, int64_t{1} << 40};
  const std::string bytes = encode_session_touches(sessions);
  EXPECT_EQ(decode_session_touches(bytes), sessions);
  EXPECT_FALSE(decode_write_request(bytes).has_value());
  WriteRequest request;
  request.session = 3;
  request.op = OpCode::kCloseSession;
  EXPECT_FALSE(decode_session_touches(encode_write_request(request)).has_value());
  EXPECT_FALSE(decode_session_touches(bytes.substr(0, bytes.size() - 1)).has_value());
  EXPECT_EQ(decode_session_touches(encode_session_touches({})), std::vector<SessionId>{});
}

TEST(SessionActivity, ReportsEachTouchedSessionOnce) {
  SessionActivity activity;
  activity.touch(4);
  activity.touch(2);
  activity.touch(4);
  EXPECT_EQ(activity.take(), (std::vector<SessionId>{2, 4}));
  EXPECT_TRUE(activity.take().empty());
}

}  // namespace
}  // namespace warden::store
