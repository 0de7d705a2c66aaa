#include "net/zoo_config_properties.h"

#include <cstdint>
#include <optional>

namespace warden::net {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\f';
}

// One entry's text with its continuations joined (still escaped).
struct LogicalLine {
  std::string text;
  int line = 0;
};

// Cuts `text` into natural lines: the content and where the next one starts.
class NaturalLines {
 public:
  explicit NaturalLines(std::string_view text) : text_(text) {}

  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    size_t end = pos_;
    while (end < text_.size() && text_[end] != '\n' && text_[end] != '\r') ++end;
    line = text_.substr(pos_, end - pos_);
    pos_ = end;
    if (pos_ < text_.size()) {
      // \r\n is one break; a lone \r or \n is one too.
      const bool carriage_return = text_[pos_] == '\r';
      ++pos_;
      if (carriage_return && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    }
    ++number_;
    return true;
  }
  int number() const { return number_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int number_ = 0;
};

std::string_view skip_blanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_blank(s[i])) ++i;
  return s.substr(i);
}

// True if `s` ends in an odd number of backslashes: the last one escapes the
// line break, so the entry continues on the next line.
bool continues(std::string_view s) {
  size_t count = 0;
  while (count < s.size() && s[s.size() - 1 - count] == '\\') ++count;
  return count % 2 == 1;
}

std::vector<LogicalLine> logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  NaturalLines lines(text);
  std::string_view raw;
  bool continuing = false;
  while (lines.next(raw)) {
    std::string_view body = skip_blanks(raw);
    if (!continuing) {
      if (body.empty() || body.front() == '#' || body.front() == '!') continue;
      out.push_back({std::string(), lines.number()});
    }
    std::string& joined = out.back().text;
    joined.append(body);
    // An empty continuation line ends the entry, as in Java.
    continuing = !body.empty() && continues(joined);
    if (continuing) joined.pop_back();
  }
  return out;
}

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::optional<uint32_t> hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) return std::nullopt;
  uint32_t value = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = value * 16 + digit;
  }
  return value;
}

// Java strings are UTF-16, so a character outside the BMP arrives as a
// \uD8xx\uDCxx pair; a lone surrogate has no UTF-8 form and becomes U+FFFD.
// `high` holds a high surrogate waiting for its pair, 0 when none.
void append_utf16_unit(std::string& out, uint32_t unit, uint32_t& high) {
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    if (high != 0) append_utf8(out, 0xFFFD);
    high = unit;
    return;
  }
  if (unit >= 0xDC00 && unit <= 0xDFFF && high != 0) {
    append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00));
    high = 0;
    return;
  }
  if (high != 0) append_utf8(out, 0xFFFD);
  high = 0;
  append_utf8(out, unit >= 0xD800 && unit <= 0xDFFF ? 0xFFFD : unit);
}

// Properties.loadConvert: resolves the escapes. Empty optional on a
// malformed \uXXXX.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  uint32_t high = 0;  // a high surrogate waiting for its pair
  const auto drop_lone_high = [&] {
    if (high != 0) append_utf8(out, 0xFFFD);
    high = 0;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      drop_lone_high();
      out.push_back(s[i]);
      continue;
    }
    const char escaped = s[++i];
    if (escaped == 'u') {
      const std::optional<uint32_t> unit = hex4(s, i + 1);
      if (!unit) return std::nullopt;
      append_utf16_unit(out, *unit, high);
      i += 4;
      continue;
    }
    drop_lone_high();
    switch (escaped) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'f':
        out.push_back('\f');
        break;
      default:
        out.push_back(escaped);
        break;
    }
  }
  drop_lone_high();
  return out;
}

// Where the key ends: the first '=', ':' or blank not escaped by a backslash.
size_t key_end(std::string_view line) {
  bool escaped = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (!escaped && (c == '=' || c == ':' || is_blank(c))) return i;
    escaped = c == '\\' && !escaped;
  }
  return line.size();
}

// Where the value starts: past blanks, at most one '=' or ':', and blanks.
size_t value_start(std::string_view line, size_t after_key) {
  size_t i = after_key;
  bool separator_seen = false;
  while (i < line.size()) {
    const char c = line[i];
    if (is_blank(c)) {
      ++i;
    } else if (!separator_seen && (c == '=' || c == ':')) {
      separator_seen = true;
      ++i;
    } else {
      break;
    }
  }
  return i;
}

}  // namespace

PropertiesResult parse_java_properties(std::string_view text) {
  PropertiesResult result;
  for (const LogicalLine& logical : logical_lines(text)) {
    const std::string_view line = logical.text;
    const size_t end = key_end(line);
    std::optional<std::string> key = unescape(line.substr(0, end));
    std::optional<std::string> value = unescape(line.substr(value_start(line, end)));
    if (!key || !value) {
      result.error = "malformed \\uXXXX escape";
      result.error_line = logical.line;
      result.properties.clear();
      return result;
    }
    result.properties.push_back({std::move(*key), std::move(*value), logical.line});
  }
  return result;
}

}  // namespace warden::net
