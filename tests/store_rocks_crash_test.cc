// kill -9 at random points: store_rocks_crash_writer writes synced batches
// and prints each index once write() has returned; after every kill, every
// printed index must be on disk intact, and the tree must hold exactly the
// records up to the applied position (tree change and applied position are
// one write).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "store/rocks_storage.h"
#include "tests/store_rocks_crash_contents.h"
#include "tests/store_rocks_test_util.h"

namespace warden::store {
namespace {

namespace crash = crash_contents;
using consensus::LogIndex;

constexpr int kRounds = 8;
constexpr int kMaxAcksPerRound = 300;
constexpr int kReadTimeoutMs = 30'000;  // only if the writer hangs

// Reads '\n'-terminated lines from a pipe.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // False at end of file, or if nothing arrives within the timeout.
  bool next(std::string* line) {
    while (true) {
      const size_t end = buffer_.find('\n');
      if (end != std::string::npos) {
        *line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return true;
      }
      pollfd readable{fd_, POLLIN, 0};
      if (::poll(&readable, 1, kReadTimeoutMs) <= 0) return false;
      char bytes[4096];
      const ssize_t got = ::read(fd_, bytes, sizeof bytes);
      if (got <= 0) return false;
      buffer_.append(bytes, static_cast<size_t>(got));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

// Starts the writer, waits for `kill_after_acks` acknowledgements, kills it
// with SIGKILL and returns every index it acknowledged.
std::vector<LogIndex> run_writer_and_kill(const std::string& dir, int kill_after_acks) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ::execl(WARDEN_ROCKS_CRASH_WRITER, WARDEN_ROCKS_CRASH_WRITER, dir.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  EXPECT_GT(pid, 0);
  ::close(pipe_fds[1]);
  LineReader reader(pipe_fds[0]);
  std::vector<LogIndex> acks;
  std::string line;
  while (static_cast<int>(acks.size()) < kill_after_acks && reader.next(&line)) {
    acks.push_back(std::stoull(line));
  }
  EXPECT_EQ(static_cast<int>(acks.size()), kill_after_acks) << "the writer stopped early";
  ::kill(pid, SIGKILL);
  while (reader.next(&line)) acks.push_back(std::stoull(line));  // printed before the kill
  int wait_status = 0;
  EXPECT_EQ(::waitpid(pid, &wait_status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL);
  ::close(pipe_fds[0]);
  return acks;
}

void expect_intact(const std::string& dir, LogIndex acknowledged_through) {
  std::unique_ptr<RocksStorage> storage;
  const StorageStatus opened = RocksStorage::open(crash::options(dir), &storage);
  ASSERT_TRUE(opened.is_ok()) << opened.to_string();
  const testing::Loaded loaded = testing::load_all(*storage);
  ASSERT_TRUE(loaded.status.is_ok()) << loaded.status.to_string();
  const RecoveredStorage& recovered = loaded.recovered;
  EXPECT_EQ(recovered.hard_state.epoch, 1u);
  EXPECT_GE(recovered.snapshot.index + recovered.entries.size(), acknowledged_through);
  for (const consensus::Entry& entry : recovered.entries) {
    ASSERT_EQ(entry.zxid, crash::zxid_for(entry.index));
    ASSERT_EQ(entry.data, crash::payload(entry.index)) << "index " << entry.index;
  }
  EXPECT_GE(recovered.applied.index, acknowledged_through);
  ASSERT_EQ(loaded.tree.size(), recovered.applied.index) << "tree and applied position disagree";
  for (LogIndex index = 1; index <= recovered.applied.index; ++index) {
    const auto record = loaded.tree.find(crash::tree_key(index));
    ASSERT_NE(record, loaded.tree.end()) << "tree record of index " << index << " missing";
    ASSERT_EQ(record->second, crash::payload(index));
  }
}

TEST(RocksCrash, EveryAcknowledgedWriteSurvivesKillNine) {
  testing::TempDir dir;
  const unsigned seed = std::random_device()();
  std::printf("crash test seed %u\n", seed);
  std::mt19937 random(seed);
  LogIndex acknowledged_through = 0;
  for (int round = 0; round < kRounds; ++round) {
    const int kill_after = std::uniform_int_distribution<int>(1, kMaxAcksPerRound)(random);
    const std::vector<LogIndex> acks = run_writer_and_kill(dir.path(), kill_after);
    ASSERT_FALSE(acks.empty());
    for (size_t i = 1; i < acks.size(); ++i) ASSERT_EQ(acks[i], acks[i - 1] + 1);
    ASSERT_GT(acks.front(), acknowledged_through);
    acknowledged_through = acks.back();
    std::printf("round %d: killed after %zu acks, acknowledged through %llu\n", round, acks.size(),
                static_cast<unsigned long long>(acknowledged_through));
    expect_intact(dir.path(), acknowledged_through);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace warden::store
