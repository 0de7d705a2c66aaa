// mysqlctl::Result — a value or the reason there is none. The sans-IO layer of
// mysqlctl/ (GTID parsing, member records, failover planning) reports bad
// input with it instead of exceptions: its input comes from MySQL and from
// the namespace, where malformed text is an expected event, not a bug.
//
// Anyone may use it; it holds no state beyond the value or the message.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace warden::mysqlctl {

template <class T>
class Result {
 public:
  static Result success(T value) {
    Result result;
    result.value_ = std::move(value);
    return result;
  }
  // `why` is shown to operators as is, so it should name the bad input.
  static Result failure(std::string why) {
    assert(!why.empty());
    Result result;
    result.error_ = std::move(why);
    return result;
  }

  bool ok() const { return value_.has_value(); }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  // Empty when ok().
  const std::string& error() const { return error_; }

 private:
  Result() = default;
  std::optional<T> value_;
  std::string error_;
};

}  // namespace warden::mysqlctl
