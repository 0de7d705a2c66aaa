#include "sim/jepsen_log.h"

#include <cassert>
#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace warden::sim {
namespace {

constexpr std::string_view kOpLineMarker = "jepsen.util - ";

enum class EventType : uint8_t { kInvoke, kOk, kFail, kInfo };

// The value column: `nil`, an integer, `[from to]`, or `:timed-out`.
struct EventValue {
  enum class Form : uint8_t { kNil, kInteger, kPair, kTimedOut } form = Form::kNil;
  int64_t first = 0;   // the integer, or a pair's `from`
  int64_t second = 0;  // a pair's `to`
};

struct OpEvent {
  uint64_t process = 0;
  EventType type = EventType::kInvoke;
  RegisterOpKind kind = RegisterOpKind::kRead;
  EventValue value;
};

std::vector<std::string_view> split_on_whitespace(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (true) {
    pos = text.find_first_not_of(" \t\r", pos);
    if (pos == std::string_view::npos) return words;
    const size_t end = std::min(text.find_first_of(" \t\r", pos), text.size());
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
}

template <typename Integer>
bool parse_integer(std::string_view text, Integer* out) {
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, *out);
  return error == std::errc() && ptr == end && !text.empty();
}

std::optional<EventType> parse_event_type(std::string_view word) {
  if (word == ":invoke") return EventType::kInvoke;
  if (word == ":ok") return EventType::kOk;
  if (word == ":fail") return EventType::kFail;
  if (word == ":info") return EventType::kInfo;
  return std::nullopt;
}

std::optional<RegisterOpKind> parse_kind(std::string_view word) {
  if (word == ":read") return RegisterOpKind::kRead;
  if (word == ":write") return RegisterOpKind::kWrite;
  if (word == ":cas") return RegisterOpKind::kCas;
  return std::nullopt;
}

// `words` is the value column split on whitespace: one word, or two for a pair.
std::optional<EventValue> parse_value(const std::vector<std::string_view>& words) {
  using Form = EventValue::Form;
  EventValue value;
  if (words.size() == 1) {
    if (words[0] == "nil") {
      value.form = Form::kNil;
    } else if (words[0] == ":timed-out") {
      value.form = Form::kTimedOut;
    } else if (parse_integer(words[0], &value.first)) {
      value.form = Form::kInteger;
    } else {
      return std::nullopt;
    }
    return value;
  }
  if (words.size() != 2 || !words[0].starts_with('[') || !words[1].ends_with(']')) {
    return std::nullopt;
  }
  const std::string_view from = words[0].substr(1);
  const std::string_view to = words[1].substr(0, words[1].size() - 1);
  if (!parse_integer(from, &value.first) || !parse_integer(to, &value.second)) return std::nullopt;
  value.form = Form::kPair;
  return value;
}

// Parses the part of an op line after the marker; an empty string means success.
std::string parse_op_event(std::string_view text, OpEvent* event) {
  std::vector<std::string_view> words = split_on_whitespace(text);
  if (words.size() < 4) return "expected <process> <type> <f> <value>";
  if (!parse_integer(words[0], &event->process))
    return "bad process '" + std::string(words[0]) + "'";
  const std::optional<EventType> type = parse_event_type(words[1]);
  if (!type) return "unknown event type '" + std::string(words[1]) + "'";
  const std::optional<RegisterOpKind> kind = parse_kind(words[2]);
  if (!kind) return "unknown operation '" + std::string(words[2]) + "'";
  const std::optional<EventValue> value = parse_value({words.begin() + 3, words.end()});
  if (!value) return "bad value";
  event->type = *type;
  event->kind = *kind;
  event->value = *value;
  return "";
}

// Pairs invocations with their completions, one pending op per process.
class HistoryBuilder {
 public:
  // An empty string means the event was accepted.
  std::string add(const OpEvent& event, int64_t line_number) {
    if (event.type == EventType::kInvoke) return invoke(event, line_number);
    auto pending = pending_.find(event.process);
    if (pending == pending_.end()) return "completion without a pending invocation";
    const size_t index = pending->second;
    pending_.erase(pending);
    return complete(event, line_number, index);
  }

  // Ops still pending stay open: kUnknown with return kStillOpen.
  std::vector<RegisterOp> finish() && {
    std::vector<RegisterOp> history;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!dropped_[i]) history.push_back(ops_[i]);
    }
    return history;
  }

 private:
  using Form = EventValue::Form;

  std::string invoke(const OpEvent& event, int64_t line_number) {
    if (pending_.contains(event.process)) return "process invokes while its last op is pending";
    RegisterOp op;
    op.process = event.process;
    op.kind = event.kind;
    op.outcome = RegisterOutcome::kUnknown;
    op.call_time = line_number;
    op.return_time = kStillOpen;
    if (event.kind == RegisterOpKind::kWrite) {
      if (event.value.form != Form::kInteger) return "a write needs an integer value";
      op.value = event.value.first;
    } else if (event.kind == RegisterOpKind::kCas) {
      if (event.value.form != Form::kPair) return "a cas needs a [from to] value";
      op.cas_expected = event.value.first;
      op.value = event.value.second;
    }
    pending_[event.process] = ops_.size();
    ops_.push_back(op);
    dropped_.push_back(false);
    return "";
  }

  std::string complete(const OpEvent& event, int64_t line_number, size_t index) {
    RegisterOp& op = ops_[index];
    if (event.kind != op.kind) return "completion names a different operation than its invocation";
    switch (event.type) {
      case EventType::kInvoke:
        assert(false && "invocations are handled by invoke()");
        return "internal error";
      case EventType::kInfo:
        return "";  // stays kUnknown and open
      case EventType::kFail:
        return fail(line_number, index);
      case EventType::kOk:
        break;
    }
    if (op.kind == RegisterOpKind::kRead) {
      if (event.value.form == Form::kNil) {
        op.read_value = std::nullopt;
      } else if (event.value.form == Form::kInteger) {
        op.read_value = event.value.first;
      } else {
        return "a completed read needs nil or an integer";
      }
    } else if (!same_argument(event.value, op)) {
      return "completion value differs from the invocation's";
    }
    op.outcome = RegisterOutcome::kOk;
    op.return_time = line_number;
    return "";
  }

  std::string fail(int64_t line_number, size_t index) {
    RegisterOp& op = ops_[index];
    op.return_time = line_number;
    switch (op.kind) {
      case RegisterOpKind::kCas:
        op.outcome = RegisterOutcome::kFail;
        break;
      case RegisterOpKind::kRead:
        op.outcome = RegisterOutcome::kUnknown;
        break;
      case RegisterOpKind::kWrite:
        dropped_[index] = true;
        break;
    }
    return "";
  }

  static bool same_argument(const EventValue& value, const RegisterOp& op) {
    if (op.kind == RegisterOpKind::kWrite) {
      return value.form == Form::kInteger && value.first == op.value;
    }
    return value.form == Form::kPair && value.first == op.cas_expected && value.second == op.value;
  }

  std::vector<RegisterOp> ops_;
  std::vector<bool> dropped_;                     // definitely failed writes: no effect, left out
  std::unordered_map<uint64_t, size_t> pending_;  // process -> index in ops_
};

JepsenLog failure(int64_t line_number, std::string_view line_text, std::string message) {
  JepsenLog log;
  log.error = JepsenLogError{line_number, std::string(line_text), std::move(message)};
  return log;
}

}  // namespace

std::string JepsenLogError::to_string() const {
  if (line_number == 0) return message;
  return "line " + std::to_string(line_number) + ": " + message + ": " + line_text;
}

JepsenLog parse_jepsen_log(std::istream& in) {
  HistoryBuilder builder;
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    const size_t marker = line.find(kOpLineMarker);
    if (marker == std::string::npos) continue;
    OpEvent event;
    std::string problem =
        parse_op_event(std::string_view(line).substr(marker + kOpLineMarker.size()), &event);
    if (problem.empty()) problem = builder.add(event, line_number);
    if (!problem.empty()) return failure(line_number, line, std::move(problem));
  }
  if (in.bad()) return failure(0, "", "read error");
  return JepsenLog{std::move(builder).finish(), std::nullopt};
}

JepsenLog parse_jepsen_log_text(std::string_view text) {
  std::istringstream in{std::string(text)};
  return parse_jepsen_log(in);
}

JepsenLog read_jepsen_log_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return failure(0, "", "cannot open " + path);
  return parse_jepsen_log(in);
}

}  // namespace warden::sim
