// Tests of the register linearizability checker: hand-written histories for
// each rule of the model and of real-time order, and properties over
// histories generated from a known sequential execution.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>

#include "sim/linearizability.h"

namespace warden::sim {
namespace {

constexpr RegisterOutcome kOk = RegisterOutcome::kOk;
constexpr RegisterOutcome kFail = RegisterOutcome::kFail;
constexpr RegisterOutcome kUnknown = RegisterOutcome::kUnknown;

RegisterOp read_op(uint64_t process, RegisterValue seen, int64_t call_time, int64_t return_time,
                   int64_t key = 0) {
  RegisterOp op;
  op.process = process;
  op.kind = RegisterOpKind::kRead;
  op.key = key;
  op.outcome = kOk;
  op.read_value = seen;
  op.call_time = call_time;
  op.return_time = return_time;
  return op;
}

RegisterOp unknown_read_op(uint64_t process, int64_t call_time, int64_t return_time) {
  RegisterOp op = read_op(process, std::nullopt, call_time, return_time);
  op.outcome = kUnknown;
  return op;
}

RegisterOp write_op(uint64_t process, int64_t value, int64_t call_time, int64_t return_time,
                    RegisterOutcome outcome = kOk, int64_t key = 0) {
  RegisterOp op;
  op.process = process;
  op.kind = RegisterOpKind::kWrite;
  op.key = key;
  op.value = value;
  op.outcome = outcome;
  op.call_time = call_time;
  op.return_time = return_time;
  return op;
}

RegisterOp cas_op(uint64_t process, int64_t expected, int64_t new_value, RegisterOutcome outcome,
                  int64_t call_time, int64_t return_time) {
  RegisterOp op;
  op.process = process;
  op.kind = RegisterOpKind::kCas;
  op.cas_expected = expected;
  op.value = new_value;
  op.outcome = outcome;
  op.call_time = call_time;
  op.return_time = return_time;
  return op;
}

LinVerdict verdict_of(const std::vector<RegisterOp>& history) {
  return check_register_history(history).verdict;
}

constexpr LinVerdict kLinearizable = LinVerdict::kLinearizable;
constexpr LinVerdict kNotLinearizable = LinVerdict::kNotLinearizable;

TEST(LinChecker, VerdictNames) {
  EXPECT_STREQ(lin_verdict_name(kLinearizable), "linearizable");
  EXPECT_STREQ(lin_verdict_name(kNotLinearizable), "not-linearizable");
  EXPECT_STREQ(lin_verdict_name(LinVerdict::kGaveUp), "unknown");
}

TEST(LinChecker, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(verdict_of({}), kLinearizable);
}

TEST(LinChecker, RegisterStartsAbsent) {
  EXPECT_EQ(verdict_of({read_op(1, std::nullopt, 0, 1)}), kLinearizable);
  EXPECT_EQ(verdict_of({read_op(1, 0, 0, 1)}), kNotLinearizable);
}

TEST(LinChecker, SequentialReadSeesLastWrite) {
  EXPECT_EQ(verdict_of({write_op(1, 5, 0, 1), read_op(2, 5, 2, 3)}), kLinearizable);
  EXPECT_EQ(verdict_of({write_op(1, 5, 0, 1), write_op(1, 6, 2, 3), read_op(2, 5, 4, 5)}),
            kNotLinearizable);
}

TEST(LinChecker, ConcurrentReadMaySeeEitherValue) {
  const RegisterOp write = write_op(1, 5, 0, 10);
  EXPECT_EQ(verdict_of({write, read_op(2, 5, 1, 2)}), kLinearizable);
  EXPECT_EQ(verdict_of({write, read_op(2, std::nullopt, 1, 2)}), kLinearizable);
  // Once a read has seen the new value, a later read cannot see the old one.
  EXPECT_EQ(verdict_of({write, read_op(2, 5, 1, 2), read_op(3, std::nullopt, 3, 4)}),
            kNotLinearizable);
}

TEST(LinChecker, NeedsBacktrackingToFindTheOrder) {
  // Two overlapping writes; the reads force write 2 before write 1 even though
  // write 1 was called first.
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 10), write_op(2, 2, 1, 10), read_op(3, 2, 2, 3),
                        read_op(3, 1, 11, 12)}),
            kLinearizable);
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 10), write_op(2, 2, 1, 10), read_op(3, 2, 2, 3),
                        read_op(4, 1, 4, 5), read_op(3, 2, 11, 12)}),
            kNotLinearizable);
}

TEST(LinChecker, ReturnAtTheCallInstantPrecedesTheCall) {
  EXPECT_EQ(verdict_of({write_op(1, 5, 0, 5), read_op(2, std::nullopt, 5, 6)}), kNotLinearizable);
  EXPECT_EQ(verdict_of({write_op(1, 5, 0, 5), read_op(2, std::nullopt, 4, 6)}), kLinearizable);
}

TEST(LinChecker, ZeroLengthOpsAtOneInstantFollowHistoryOrder) {
  EXPECT_EQ(verdict_of({write_op(1, 5, 3, 3), read_op(2, 5, 3, 3)}), kLinearizable);
  EXPECT_EQ(verdict_of({read_op(2, 5, 3, 3), write_op(1, 5, 3, 3)}), kNotLinearizable);
}

TEST(LinChecker, CasSwapsOnlyOnMatch) {
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 1), cas_op(1, 1, 2, kOk, 2, 3), read_op(1, 2, 4, 5)}),
            kLinearizable);
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 1), cas_op(1, 3, 2, kOk, 2, 3)}), kNotLinearizable);
}

TEST(LinChecker, FailedCasSawAnotherValueAndChangedNothing) {
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 1), cas_op(1, 3, 2, kFail, 2, 3), read_op(1, 1, 4, 5)}),
            kLinearizable);
  // It failed, so the register cannot have held the expected value then.
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 1), cas_op(1, 1, 2, kFail, 2, 3)}), kNotLinearizable);
  // A failed cas concurrent with the write may have run before it.
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 4), cas_op(2, 1, 2, kFail, 2, 3), read_op(1, 1, 5, 6)}),
            kLinearizable);
  // A cas against "absent": 0 is a value, not absent.
  EXPECT_EQ(verdict_of({cas_op(1, 0, 2, kFail, 0, 1), read_op(1, std::nullopt, 2, 3)}),
            kLinearizable);
}

TEST(LinChecker, IndeterminateWriteNeedNotTakeEffect) {
  EXPECT_EQ(verdict_of({write_op(1, 7, 0, 2, kUnknown), read_op(2, std::nullopt, 3, 4)}),
            kLinearizable);
  EXPECT_EQ(verdict_of({write_op(1, 7, 0, kStillOpen, kUnknown), read_op(2, std::nullopt, 3, 4),
                        read_op(2, std::nullopt, 5, 6)}),
            kLinearizable);
  // The same with a write that definitely completed is a violation.
  EXPECT_EQ(verdict_of({write_op(1, 7, 0, 2), read_op(2, std::nullopt, 3, 4)}), kNotLinearizable);
}

TEST(LinChecker, IndeterminateWriteMayTakeEffectLate) {
  EXPECT_EQ(verdict_of({write_op(1, 7, 0, kStillOpen, kUnknown), read_op(2, std::nullopt, 1, 2),
                        read_op(2, 7, 10, 11)}),
            kLinearizable);
  // Taking effect is a single instant: the value cannot come and then go.
  EXPECT_EQ(verdict_of({write_op(1, 7, 0, kStillOpen, kUnknown), read_op(2, 7, 1, 2),
                        read_op(2, std::nullopt, 10, 11)}),
            kNotLinearizable);
  // But it cannot act after its own return.
  EXPECT_EQ(verdict_of({write_op(1, 7, 0, 3, kUnknown), read_op(2, std::nullopt, 4, 5),
                        read_op(2, 7, 10, 11)}),
            kNotLinearizable);
}

TEST(LinChecker, IndeterminateCasMayOrMayNotSwap) {
  const RegisterOp setup = write_op(1, 1, 0, 1);
  const RegisterOp cas = cas_op(2, 1, 2, kUnknown, 2, kStillOpen);
  EXPECT_EQ(verdict_of({setup, cas, read_op(3, 1, 3, 4)}), kLinearizable);
  EXPECT_EQ(verdict_of({setup, cas, read_op(3, 2, 3, 4)}), kLinearizable);
  EXPECT_EQ(verdict_of({setup, cas, read_op(3, 3, 3, 4)}), kNotLinearizable);
}

TEST(LinChecker, ChainOfIndeterminateCasCanExplainARead) {
  const RegisterOp setup = write_op(1, 1, 0, 1);
  const RegisterOp one_to_two = cas_op(2, 1, 2, kUnknown, 2, kStillOpen);
  const RegisterOp two_to_three = cas_op(3, 2, 3, kUnknown, 3, kStillOpen);
  EXPECT_EQ(verdict_of({setup, one_to_two, two_to_three, read_op(4, 3, 10, 11)}), kLinearizable);
  EXPECT_EQ(verdict_of({setup, two_to_three, read_op(4, 3, 10, 11)}), kNotLinearizable);
  // Each takes effect at most once: 3 cannot be seen, then 1, then 3 again.
  EXPECT_EQ(verdict_of({setup, one_to_two, two_to_three, read_op(4, 3, 10, 11),
                        write_op(4, 1, 12, 13), read_op(4, 3, 14, 15)}),
            kNotLinearizable);
}

TEST(LinChecker, IdenticalIndeterminateWritesEachActOnce) {
  std::vector<RegisterOp> history = {write_op(1, 7, 0, kStillOpen, kUnknown),
                                     write_op(2, 7, 1, kStillOpen, kUnknown), read_op(3, 7, 2, 3),
                                     write_op(3, 1, 4, 5), read_op(3, 7, 6, 7)};
  EXPECT_EQ(verdict_of(history), kLinearizable);
  history.push_back(write_op(3, 1, 8, 9));
  history.push_back(read_op(3, 7, 10, 11));
  EXPECT_EQ(verdict_of(history), kNotLinearizable);
}

TEST(LinChecker, UnknownReadMatchesAnything) {
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 1), unknown_read_op(2, 2, 3)}), kLinearizable);
  RegisterOp claims_impossible_value = unknown_read_op(2, 2, 3);
  claims_impossible_value.read_value = 99;
  EXPECT_EQ(verdict_of({write_op(1, 1, 0, 1), claims_impossible_value}), kLinearizable);
}

TEST(LinChecker, KeysAreCheckedIndependently) {
  const std::vector<RegisterOp> history = {
      write_op(1, 1, 0, 4, kOk, /*key=*/1),
      read_op(2, 1, 1, 2, /*key=*/2),
      read_op(3, std::nullopt, 1, 2, /*key=*/1),
      write_op(4, 3, 5, 6, kOk, /*key=*/2),
      read_op(3, 1, 5, 6, /*key=*/1),
      read_op(5, 3, 7, 8, /*key=*/2),
  };
  const LinResult result = check_register_history(history);
  EXPECT_EQ(result.verdict, kNotLinearizable);
  ASSERT_TRUE(result.failed_key.has_value());
  EXPECT_EQ(*result.failed_key, 2);
  EXPECT_NE(result.explanation.find("key 2"), std::string::npos) << result.explanation;

  // Without the bad key-2 read, both keys are fine: a value on key 1 is not
  // visible on key 2 or the other way round.
  std::vector<RegisterOp> fixed = history;
  fixed.erase(fixed.begin() + 1);
  EXPECT_EQ(verdict_of(fixed), kLinearizable);
}

TEST(LinChecker, ExplanationNamesTheStuckOperation) {
  const LinResult result =
      check_register_history({write_op(1, 5, 0, 1), write_op(1, 6, 2, 3), read_op(2, 5, 4, 5)});
  ASSERT_EQ(result.verdict, kNotLinearizable);
  EXPECT_NE(result.explanation.find("key 0"), std::string::npos) << result.explanation;
  EXPECT_NE(result.explanation.find("places 2 of 3"), std::string::npos) << result.explanation;
  EXPECT_NE(result.explanation.find("process 2: read -> 5 (ok), called at 4, returned at 5"),
            std::string::npos)
      << result.explanation;
}

// Many overlapping writes and a read nobody wrote: the search must try every
// order before it can say no, which takes far more than a handful of steps.
std::vector<RegisterOp> hard_history() {
  std::vector<RegisterOp> history;
  for (int64_t i = 0; i < 12; ++i) history.push_back(write_op(i, i, 0, 100));
  history.push_back(read_op(99, 1000, 0, 100));
  return history;
}

TEST(LinChecker, StepBudgetGivesUp) {
  const LinResult limited =
      check_register_history(hard_history(), LinOptions{.max_steps_per_key = 50});
  EXPECT_EQ(limited.verdict, LinVerdict::kGaveUp);
  EXPECT_EQ(limited.steps, 50u);
  EXPECT_EQ(check_register_history(hard_history()).verdict, kNotLinearizable);
}

TEST(LinChecker, StepsAreCountedOverAllKeys) {
  std::vector<RegisterOp> history = {write_op(1, 1, 0, 1, kOk, 0), write_op(1, 1, 0, 1, kOk, 1)};
  const LinResult both = check_register_history(history);
  history.pop_back();
  const LinResult one = check_register_history(history);
  EXPECT_EQ(both.steps, 2 * one.steps);
  EXPECT_GT(one.steps, 0u);
}

// ---------------------------------------------------------------------------
// Properties over histories built from a known sequential execution.

// Each op is applied at its own instant (10 * index + 5) on a map of
// registers; then its [call, return] window is widened around that instant,
// which keeps that sequence a valid linearization. Some writes and cases are
// made indeterminate (they did happen), and some indeterminate writes are
// added that never happened at all.
std::vector<RegisterOp> generate_linearizable_history() {
  const int op_count = *rc::gen::inRange(1, 40);
  std::map<int64_t, RegisterValue> registers;
  std::vector<RegisterOp> history;
  for (int i = 0; i < op_count; ++i) {
    RegisterOp op;
    op.process = static_cast<uint64_t>(i);
    op.key = *rc::gen::inRange<int64_t>(0, 3);
    op.kind = *rc::gen::element(RegisterOpKind::kRead, RegisterOpKind::kWrite, RegisterOpKind::kCas,
                                RegisterOpKind::kWrite);
    op.value = *rc::gen::inRange<int64_t>(0, 4);
    op.cas_expected = *rc::gen::inRange<int64_t>(0, 4);
    const int64_t linearized_at = 10 * i + 5;
    op.call_time = linearized_at - *rc::gen::inRange<int64_t>(0, 30);
    op.return_time = linearized_at + *rc::gen::inRange<int64_t>(0, 30);
    RegisterValue& state = registers[op.key];
    const bool happened = op.kind != RegisterOpKind::kWrite || *rc::gen::inRange(0, 8) != 0;
    op.outcome = kOk;
    if (op.kind == RegisterOpKind::kRead) {
      op.read_value = state;
    } else if (op.kind == RegisterOpKind::kCas && state != op.cas_expected) {
      op.outcome = kFail;
    } else if (happened) {
      state = op.value;
    }
    if (op.outcome == kOk && op.kind != RegisterOpKind::kRead && *rc::gen::inRange(0, 4) == 0) {
      op.outcome = kUnknown;
      if (*rc::gen::arbitrary<bool>()) op.return_time = kStillOpen;
    }
    if (!happened) op.outcome = kUnknown;
    history.push_back(op);
  }
  return history;
}

RC_GTEST_PROP(LinCheckerProperty, WidenedSequentialHistoryIsLinearizable, ()) {
  const std::vector<RegisterOp> history = generate_linearizable_history();
  const LinResult result = check_register_history(history);
  RC_ASSERT(result.verdict == kLinearizable);
}

// The definition itself, by brute force: try every op that nothing unplaced
// precedes, with every effect it may have had. Exponential; small histories only.
bool precedes(const RegisterOp& a, const RegisterOp& b) {
  return a.return_time <= b.call_time;
}

std::vector<RegisterValue> possible_states_after(const RegisterOp& op, RegisterValue state) {
  const bool unknown = op.outcome == kUnknown;
  std::vector<RegisterValue> after;
  switch (op.kind) {
    case RegisterOpKind::kRead:
      if (unknown || op.read_value == state) after.push_back(state);
      break;
    case RegisterOpKind::kWrite:
      after.push_back(op.value);
      if (unknown) after.push_back(state);
      break;
    case RegisterOpKind::kCas:
      if (op.outcome == kFail) {
        if (state != op.cas_expected) after.push_back(state);
        break;
      }
      if (state == op.cas_expected) after.push_back(op.value);
      if (unknown) after.push_back(state);
      break;
  }
  return after;
}

bool brute_force_linearizable(const std::vector<RegisterOp>& ops, std::vector<bool>& placed,
                              RegisterValue state) {
  if (std::all_of(placed.begin(), placed.end(), [](bool done) { return done; })) return true;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (placed[i]) continue;
    bool minimal = true;
    for (size_t j = 0; j < ops.size() && minimal; ++j) {
      minimal = placed[j] || j == i || !precedes(ops[j], ops[i]);
    }
    if (!minimal) continue;
    placed[i] = true;
    for (RegisterValue after : possible_states_after(ops[i], state)) {
      if (brute_force_linearizable(ops, placed, after)) return true;
    }
    placed[i] = false;
  }
  return false;
}

// Small single-key histories with values from a tiny range, so that
// concurrency, failed and indeterminate cas, and never-returned ops collide
// often. No op has zero length (the brute force has no tie rule for those).
std::vector<RegisterOp> generate_small_history() {
  const int op_count = *rc::gen::inRange(1, 8);
  std::vector<RegisterOp> history;
  for (int i = 0; i < op_count; ++i) {
    RegisterOp op;
    op.process = static_cast<uint64_t>(i);
    op.kind =
        *rc::gen::element(RegisterOpKind::kRead, RegisterOpKind::kWrite, RegisterOpKind::kCas);
    op.value = *rc::gen::inRange<int64_t>(0, 3);
    op.cas_expected = *rc::gen::inRange<int64_t>(0, 3);
    op.call_time = *rc::gen::inRange<int64_t>(0, 10);
    op.return_time = op.call_time + *rc::gen::inRange<int64_t>(1, 6);
    op.outcome = *rc::gen::element(kOk, kFail, kUnknown, kUnknown);
    if (op.kind == RegisterOpKind::kRead) {
      op.outcome = *rc::gen::element(kOk, kOk, kOk, kUnknown);
      const int64_t seen = *rc::gen::inRange<int64_t>(-1, 3);
      if (seen >= 0) op.read_value = seen;
    } else if (op.kind == RegisterOpKind::kWrite && op.outcome == kFail) {
      op.outcome = kOk;
    }
    if (op.outcome == kUnknown && op.kind != RegisterOpKind::kRead && *rc::gen::arbitrary<bool>()) {
      op.return_time = kStillOpen;
    }
    history.push_back(op);
  }
  return history;
}

RC_GTEST_PROP(LinCheckerProperty, AgreesWithBruteForceOnSmallHistories, ()) {
  const std::vector<RegisterOp> history = generate_small_history();
  std::vector<bool> placed(history.size(), false);
  const bool expected = brute_force_linearizable(history, placed, std::nullopt);
  const LinVerdict verdict = check_register_history(history).verdict;
  RC_ASSERT(verdict == (expected ? kLinearizable : kNotLinearizable));
}

RC_GTEST_PROP(LinCheckerProperty, ReadOfUnwrittenValueIsNotLinearizable, ()) {
  std::vector<RegisterOp> history = generate_linearizable_history();
  std::vector<size_t> completed_reads;
  for (size_t i = 0; i < history.size(); ++i) {
    if (history[i].kind == RegisterOpKind::kRead && history[i].outcome == kOk) {
      completed_reads.push_back(i);
    }
  }
  if (completed_reads.empty()) {
    history.push_back(read_op(1000, std::nullopt, 10'000, 10'001));
    completed_reads.push_back(history.size() - 1);
  }
  const size_t victim = *rc::gen::elementOf(completed_reads);
  history[victim].read_value = 1'000'000;  // the generator only writes 0..4
  const LinResult result = check_register_history(history);
  RC_ASSERT(result.verdict == kNotLinearizable);
  RC_ASSERT(result.failed_key == history[victim].key);
}

}  // namespace
}  // namespace warden::sim
