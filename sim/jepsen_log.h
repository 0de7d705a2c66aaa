// Reader for Jepsen register-test logs (the `INFO  jepsen.util - <process>
// <:invoke|:ok|:fail|:info> <:read|:write|:cas> <value>` lines), turning them
// into a register history for the linearizability checker. Used by `warden
// lincheck` and by the tests; the format is described in
// shared/testdata/jepsen-etcd/README.md.
//
// The history uses a single key (0) and the file's 1-based line numbers as
// call and return times. Lines that are not jepsen.util op lines are skipped.
// Never throws: malformed input comes back as an error naming the line.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/linearizability.h"

namespace warden::sim {

struct JepsenLogError {
  int64_t line_number = 0;  // 1-based; 0 when the problem is not tied to a line
  std::string line_text;
  std::string message;

  // "line 12: <message>: <line text>", or just the message without a line.
  std::string to_string() const;
};

struct JepsenLog {
  std::vector<RegisterOp> history;  // in invocation order; empty if error is set
  std::optional<JepsenLogError> error;

  bool ok() const { return !error.has_value(); }
};

// How each event maps onto the history:
//   :ok                 completes the op (kOk) at its line
//   :fail :cas          kFail: the compare did not match
//   :fail :read         kUnknown read completed at its line (it saw nothing)
//   :fail :write        dropped: it definitely did not take effect
//   :info, or no event  kUnknown, still open at the end (return kStillOpen)
JepsenLog parse_jepsen_log(std::istream& in);
JepsenLog parse_jepsen_log_text(std::string_view text);
// Also reports a file that cannot be opened or read as an error.
JepsenLog read_jepsen_log_file(const std::string& path);

}  // namespace warden::sim
