// The register state machine: apply results, duplicate suppression, the state
// hash, and snapshots that carry the dedup table.
#include <gtest/gtest.h>

#include "sim/register_machine.h"

namespace warden::sim {
namespace {

RegisterCommand write(uint64_t client, uint64_t request, int64_t key, int64_t value) {
  return RegisterCommand{client, request, RegisterCommandKind::kWrite, key, value, 0};
}

RegisterCommand cas(uint64_t client, uint64_t request, int64_t key, int64_t from, int64_t to) {
  return RegisterCommand{client, request, RegisterCommandKind::kCas, key, to, from};
}

TEST(SimRegisterMachine, CommandsRoundTripThroughTheirEncoding) {
  const RegisterCommand command = cas(3, 9, -2, 5, 6);
  EXPECT_EQ(decode_register_command(encode_register_command(command)), command);
  EXPECT_FALSE(decode_register_command("garbage").has_value());
}

TEST(SimRegisterMachine, WritesAndCas) {
  RegisterMachine machine;
  EXPECT_FALSE(machine.read(1).has_value());
  EXPECT_EQ(machine.apply(cas(1, 1, 1, 0, 5)), ApplyOutcome::kCasMismatch);  // absent != 0
  EXPECT_EQ(machine.apply(write(1, 2, 1, 7)), ApplyOutcome::kOk);
  EXPECT_EQ(machine.apply(cas(1, 3, 1, 7, 8)), ApplyOutcome::kOk);
  EXPECT_EQ(machine.apply(cas(2, 1, 1, 7, 9)), ApplyOutcome::kCasMismatch);
  EXPECT_EQ(machine.read(1), 8);
}

TEST(SimRegisterMachine, DuplicatesAndStaleRequestsAreSkipped) {
  RegisterMachine machine;
  ASSERT_EQ(machine.apply(write(1, 5, 1, 10)), ApplyOutcome::kOk);
  const uint64_t hash = machine.state_hash();
  EXPECT_EQ(machine.apply(write(1, 5, 1, 10)), ApplyOutcome::kDuplicate);
  EXPECT_EQ(machine.apply(write(1, 4, 1, 11)), ApplyOutcome::kDuplicate);
  EXPECT_EQ(machine.read(1), 10);
  EXPECT_EQ(machine.state_hash(), hash);
  EXPECT_EQ(machine.apply(write(2, 5, 1, 12)), ApplyOutcome::kOk);  // another client
}

TEST(SimRegisterMachine, EqualHistoriesGiveEqualHashes) {
  RegisterMachine a, b;
  a.apply(write(1, 1, 1, 10));
  a.apply(write(2, 1, 2, 20));
  b.apply(write(2, 1, 2, 20));
  b.apply(write(1, 1, 1, 10));
  EXPECT_EQ(a.state_hash(), b.state_hash());
  b.apply(write(1, 2, 1, 11));
  EXPECT_NE(a.state_hash(), b.state_hash());
}

TEST(SimRegisterMachine, SnapshotRoundTripKeepsValuesDedupAndHash) {
  RegisterMachine machine;
  machine.apply(write(1, 1, 1, 10));
  machine.apply(cas(2, 3, 1, 10, 11));
  machine.apply(write(3, 1, 4, -4));
  RegisterMachine restored;
  ASSERT_TRUE(restored.restore(machine.serialize()));
  EXPECT_EQ(restored.state_hash(), machine.state_hash());
  EXPECT_EQ(restored.read(1), 11);
  EXPECT_EQ(restored.read(4), -4);
  EXPECT_EQ(restored.apply(cas(2, 3, 1, 11, 12)), ApplyOutcome::kDuplicate);
  EXPECT_FALSE(restored.restore("short"));
  EXPECT_EQ(restored.read(1), 11);  // a failed restore changes nothing
}

}  // namespace
}  // namespace warden::sim
