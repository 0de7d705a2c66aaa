#include "mysqlctl/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

namespace warden::mysqlctl {
namespace {

// A credentials file is a few lines; a large one is a wrong path, and
// reading it whole would only cost memory.
constexpr size_t kMaxCredentialsBytes = 64 * 1024;

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Option names compare case-insensitively, with '-' and '_' the same, as the
// MySQL client library reads them.
std::string option_name(std::string_view name) {
  std::string normalized;
  for (char c : name) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    normalized.push_back(c);
  }
  return normalized;
}

// The value part of `name = value`, as the client library's option-file
// reader takes it: cut at the first '#' outside quotes, trimmed, one pair of
// matching surrounding quotes removed, then backslash escapes replaced
// (unknown escapes are kept with their backslash).
std::optional<std::string> option_value(std::string_view raw) {
  // As the library does it, a backslash protects a quote only inside
  // quotes, and '#' outside quotes ends the value even after a backslash.
  char open_quote = 0;
  bool escaped = false;
  size_t end = 0;
  for (; end < raw.size(); ++end) {
    const char c = raw[end];
    if ((c == '"' || c == '\'') && !escaped) {
      if (open_quote == 0) {
        open_quote = c;
      } else if (open_quote == c) {
        open_quote = 0;
      }
    } else if (open_quote == 0 && c == '#') {
      break;
    }
    escaped = open_quote != 0 && c == '\\' && !escaped;
  }
  if (open_quote != 0) return std::nullopt;
  std::string_view value = trim(raw.substr(0, end));
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  std::string unescaped;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      unescaped.push_back(value[i]);
      continue;
    }
    const char escape = value[++i];
    switch (escape) {
      case 'n':
        unescaped.push_back('\n');
        break;
      case 't':
        unescaped.push_back('\t');
        break;
      case 'r':
        unescaped.push_back('\r');
        break;
      case 'b':
        unescaped.push_back('\b');
        break;
      case 's':
        unescaped.push_back(' ');
        break;
      case '\\':
      case '"':
      case '\'':
        unescaped.push_back(escape);
        break;
      default:
        unescaped.push_back('\\');
        unescaped.push_back(escape);
    }
  }
  return unescaped;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

Result<Credentials> parse_credentials(std::string_view text) {
  Credentials credentials;
  bool have_user = false;
  bool in_any_group = false;
  bool in_client = false;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    const std::string_view line =
        trim(newline == std::string_view::npos ? text : text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    const std::string where = "line " + std::to_string(line_number) + ": ";

    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '!') {
      return Result<Credentials>::failure(
          where +
          "!include and !includedir are not supported (the included files' modes would "
          "go unchecked)");
    }
    if (line.front() == '[') {
      const size_t close = line.find(']');
      const std::string_view after =
          close == std::string_view::npos ? std::string_view() : trim(line.substr(close + 1));
      if (close == std::string_view::npos || !(after.empty() || after.front() == '#')) {
        return Result<Credentials>::failure(where + "malformed group header");
      }
      in_any_group = true;
      in_client = option_name(trim(line.substr(1, close - 1))) == "client";
      continue;
    }
    if (!in_any_group) {
      return Result<Credentials>::failure(where + "option before any [group] header");
    }
    if (!in_client) continue;

    const size_t equals = line.find('=');
    const std::string name =
        option_name(trim(equals == std::string_view::npos ? line : line.substr(0, equals)));
    if (name != "user" && name != "password") continue;
    if (equals == std::string_view::npos) {
      // The command-line client would prompt for a bare `password`; there is
      // nobody to prompt.
      return Result<Credentials>::failure(where + name + " has no value");
    }
    std::optional<std::string> value = option_value(line.substr(equals + 1));
    if (!value) return Result<Credentials>::failure(where + name + " has an unclosed quote");
    if (name == "user") {
      credentials.user = std::move(*value);
      have_user = true;
    } else {
      credentials.password = std::move(*value);
    }
  }
  if (!have_user || credentials.user.empty()) {
    return Result<Credentials>::failure("no user= in a [client] group");
  }
  return Result<Credentials>::success(std::move(credentials));
}

Result<Credentials> read_credentials_file(const std::string& path) {
  const std::string what = "credentials file " + path;
  // The checks are made on the opened descriptor, so the file read is the
  // file checked even if the path is swapped meanwhile.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return Result<Credentials>::failure("cannot open " + what + ": " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return Result<Credentials>::failure("cannot stat " + what + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return Result<Credentials>::failure(what + " is not a regular file");
  }
  const uid_t own_uid = ::geteuid();
  if (info.st_uid != own_uid) {
    return Result<Credentials>::failure(what + " is owned by uid " + std::to_string(info.st_uid) +
                                        ", not by uid " + std::to_string(own_uid) +
                                        " that Warden runs as; refusing it (chown it to uid " +
                                        std::to_string(own_uid) + ")");
  }
  const mode_t mode = info.st_mode & 07777;
  if (mode != 0600 && mode != 0400) {
    const bool shared = (mode & 077) != 0;
    return Result<Credentials>::failure(
        what + " has mode " + octal_mode(mode) +
        (shared ? ", so users other than its owner may read or write it" : "") +
        "; refusing it: the mode must be 0600 or 0400 (chmod 600 " + path + ")");
  }

  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Result<Credentials>::failure("cannot read " + what + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > kMaxCredentialsBytes) {
      return Result<Credentials>::failure(what + " is larger than " +
                                          std::to_string(kMaxCredentialsBytes) + " bytes");
    }
  }
  Result<Credentials> credentials = parse_credentials(text);
  if (!credentials.ok()) return Result<Credentials>::failure(what + ": " + credentials.error());
  return credentials;
}

}  // namespace warden::mysqlctl
