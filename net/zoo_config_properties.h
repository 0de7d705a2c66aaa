// The text format of java.util.Properties (Properties.load), which is what
// ZooKeeper reads zoo.cfg and its dynamic membership file with, so a file
// that ZooKeeper accepts splits into the same keys and values here.
//
// The rules, as Properties.load applies them:
//   - lines end at \n, \r\n or \r; a line whose first non-blank character is
//     '#' or '!' is a comment, and a line of blanks (space, tab, form feed) is
//     skipped;
//   - a line ending in an odd number of backslashes continues on the next
//     line, whose leading blanks are dropped (a comment line never continues);
//   - the key runs to the first unescaped '=', ':' or blank; blanks around the
//     separator are skipped, so "k=v", "k: v", "k v" and "k = v" all give k/v;
//   - \t \n \r \f and \uXXXX are escapes, and a backslash before any other
//     character stands for that character ("a\=b" is the key "a=b").
// The value keeps its trailing blanks, as in Java; ZooKeeper trims keys and
// values, and so does the zoo.cfg interpreter (net/zoo_config.h). Repeated keys
// are all returned, in file order; later ones win in ZooKeeper.
//
// Pure functions; called by net/zoo_config.cc and its tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden::net {

struct Property {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts
};

struct PropertiesResult {
  std::vector<Property> properties;
  std::string error;   // empty on success
  int error_line = 0;  // where the malformed entry starts
  bool ok() const { return error.empty(); }
};

// Splits `text` into entries. Fails only on a malformed \uXXXX escape, which
// Java rejects too. Bytes outside ASCII pass through unchanged (Java would read
// them as Latin-1; passing them through keeps UTF-8 paths intact).
PropertiesResult parse_java_properties(std::string_view text);

}  // namespace warden::net
