// Tests of the Jepsen log reader, and of the checker against the 102 labelled
// etcd histories in shared/testdata/jepsen-etcd.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "sim/jepsen_log.h"
#include "sim/linearizability.h"

namespace warden::sim {
namespace {

const std::string kJepsenDir = WARDEN_SHARED_DIR "/testdata/jepsen-etcd";

JepsenLog parse_ok(std::string_view text) {
  JepsenLog log = parse_jepsen_log_text(text);
  EXPECT_TRUE(log.ok()) << log.error->to_string();
  return log;
}

TEST(JepsenLog, PairsInvocationsWithCompletions) {
  const JepsenLog log = parse_ok(
      "INFO  jepsen.util - 0\t:invoke\t:write\t4\n"
      "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:ok\t:write\t4\n"
      "INFO  jepsen.util - 1\t:ok\t:read\t4\n");
  ASSERT_EQ(log.history.size(), 2u);
  const RegisterOp& write = log.history[0];
  EXPECT_EQ(write.process, 0u);
  EXPECT_EQ(write.kind, RegisterOpKind::kWrite);
  EXPECT_EQ(write.value, 4);
  EXPECT_EQ(write.outcome, RegisterOutcome::kOk);
  EXPECT_EQ(write.call_time, 1);
  EXPECT_EQ(write.return_time, 3);
  const RegisterOp& read = log.history[1];
  EXPECT_EQ(read.kind, RegisterOpKind::kRead);
  EXPECT_EQ(read.read_value, RegisterValue(4));
  EXPECT_EQ(read.call_time, 2);
  EXPECT_EQ(read.return_time, 4);
}

TEST(JepsenLog, AcceptsSpacesInsteadOfTabs) {
  const JepsenLog log = parse_ok(
      "INFO  jepsen.util - 4   :invoke :cas    [1 2]\n"
      "INFO  jepsen.util - 4   :ok :cas    [1 2]\n");
  ASSERT_EQ(log.history.size(), 1u);
  EXPECT_EQ(log.history[0].kind, RegisterOpKind::kCas);
  EXPECT_EQ(log.history[0].cas_expected, 1);
  EXPECT_EQ(log.history[0].value, 2);
  EXPECT_EQ(log.history[0].outcome, RegisterOutcome::kOk);
}

TEST(JepsenLog, NilReadIsAbsent) {
  const JepsenLog log = parse_ok(
      "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 2\t:ok\t:read\tnil\n");
  ASSERT_EQ(log.history.size(), 1u);
  EXPECT_EQ(log.history[0].outcome, RegisterOutcome::kOk);
  EXPECT_FALSE(log.history[0].read_value.has_value());
}

TEST(JepsenLog, TimedOutReadCompletesWithUnknownValue) {
  const JepsenLog log = parse_ok(
      "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 2\t:fail\t:read\t:timed-out\n");
  ASSERT_EQ(log.history.size(), 1u);
  EXPECT_EQ(log.history[0].outcome, RegisterOutcome::kUnknown);
  EXPECT_EQ(log.history[0].return_time, 2);
}

TEST(JepsenLog, InfoAndMissingCompletionStayOpen) {
  const JepsenLog log = parse_ok(
      "INFO  jepsen.util - 1\t:invoke\t:write\t3\n"
      "INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]\n"
      "INFO  jepsen.util - 1\t:info\t:write\t:timed-out\n");
  ASSERT_EQ(log.history.size(), 2u);
  for (const RegisterOp& op : log.history) {
    EXPECT_EQ(op.outcome, RegisterOutcome::kUnknown);
    EXPECT_EQ(op.return_time, kStillOpen);
  }
}

TEST(JepsenLog, FailedCasIsDefiniteFailure) {
  const JepsenLog log = parse_ok(
      "INFO  jepsen.util - 1\t:invoke\t:cas\t[0 3]\n"
      "INFO  jepsen.util - 1\t:fail\t:cas\t[0 3]\n");
  ASSERT_EQ(log.history.size(), 1u);
  EXPECT_EQ(log.history[0].outcome, RegisterOutcome::kFail);
  EXPECT_EQ(log.history[0].return_time, 2);
}

TEST(JepsenLog, TimesAreFileLineNumbersAndOtherLinesAreSkipped) {
  const JepsenLog log = parse_ok(
      "2015-01-01 some header\n"
      "\n"
      "INFO  jepsen.util - 7\t:invoke\t:write\t1\n"
      "INFO  jepsen.core - not an op line\n"
      "INFO  jepsen.util - 7\t:ok\t:write\t1\n");
  ASSERT_EQ(log.history.size(), 1u);
  EXPECT_EQ(log.history[0].call_time, 3);
  EXPECT_EQ(log.history[0].return_time, 5);
}

TEST(JepsenLog, MalformedLineIsAnErrorNamingTheLine) {
  const JepsenLog log = parse_jepsen_log_text(
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:ok\t:read\tbanana\n");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error->line_number, 2);
  EXPECT_EQ(log.error->line_text, "INFO  jepsen.util - 0\t:ok\t:read\tbanana");
  EXPECT_NE(log.error->to_string().find("line 2: bad value"), std::string::npos)
      << log.error->to_string();
  EXPECT_TRUE(log.history.empty());
}

TEST(JepsenLog, InconsistentEventsAreErrors) {
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - 0\t:ok\t:read\t1\n").ok());
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
                                     "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n")
                   .ok());
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
                                     "INFO  jepsen.util - 0\t:ok\t:write\t2\n")
                   .ok());
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
                                     "INFO  jepsen.util - 0\t:ok\t:read\t1\n")
                   .ok());
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - 0\t:invoke\t:frob\t1\n").ok());
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - x\t:invoke\t:read\tnil\n").ok());
  EXPECT_FALSE(parse_jepsen_log_text("INFO  jepsen.util - 0\t:invoke\t:cas\t[1\n").ok());
}

TEST(JepsenLog, MissingFileIsAnError) {
  const JepsenLog log = read_jepsen_log_file(kJepsenDir + "/no_such_file.log");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error->to_string().find("cannot open"), std::string::npos);
}

struct LabelledFile {
  std::string name;
  std::string verdict;
};

std::vector<LabelledFile> read_labels() {
  std::ifstream in(kJepsenDir + "/LABELS");
  std::vector<LabelledFile> labels;
  LabelledFile entry;
  while (in >> entry.name >> entry.verdict) labels.push_back(entry);
  return labels;
}

TEST(JepsenEtcd, EveryLabelAgrees) {
  const std::vector<LabelledFile> labels = read_labels();
  ASSERT_EQ(labels.size(), 102u);
  const auto start = std::chrono::steady_clock::now();
  int agreed = 0;
  for (const LabelledFile& file : labels) {
    const JepsenLog log = read_jepsen_log_file(kJepsenDir + "/" + file.name);
    ASSERT_TRUE(log.ok()) << file.name << ": " << log.error->to_string();
    const LinResult result = check_register_history(log.history);
    EXPECT_EQ(lin_verdict_name(result.verdict), file.verdict) << file.name;
    if (lin_verdict_name(result.verdict) == file.verdict) ++agreed;
    if (result.verdict == LinVerdict::kNotLinearizable) {
      EXPECT_EQ(result.failed_key, 0) << file.name;
      EXPECT_FALSE(result.explanation.empty()) << file.name;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  std::cout << agreed << " of " << labels.size() << " labels agree; checked in " << elapsed_ms
            << " ms\n";
  EXPECT_LT(elapsed_ms, 60'000);
}

}  // namespace
}  // namespace warden::sim
