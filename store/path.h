// ZooKeeper's path rules (PathUtils.validatePath) and path arithmetic.
// A valid path is absolute, has no empty, "." or ".." element, no trailing
// slash (except "/" itself), no NUL, and no character ZooKeeper forbids
// (U+0001-U+001F, U+007F-U+009F, U+D800-U+F8FF, U+FFF0-U+FFFF, and anything
// outside the Basic Multilingual Plane, which Java sees as surrogates).
// Paths are UTF-8 on the wire; malformed UTF-8 is invalid.
//
// Pure functions, used by the prep step, the wire codec and clients.
#pragma once

#include <string>
#include <string_view>

namespace warden::store {

// Empty if `path` is valid, else why not (for logs and error messages).
std::string path_error(std::string_view path);
inline bool is_valid_path(std::string_view path) {
  return path_error(path).empty();
}

// "/a/b" -> "/a"; "/a" -> "/". Requires a valid path other than "/".
std::string_view parent_path(std::string_view path);
// "/a/b" -> "b". Requires a valid path other than "/".
std::string_view base_name(std::string_view path);
// parent "/" + "b" -> "/b"; "/a" + "b" -> "/a/b".
std::string child_path(std::string_view parent, std::string_view name);

// The ten-digit, zero-padded suffix ZooKeeper appends to sequential nodes
// (String.format("%010d", counter), so negative counters keep their sign).
std::string sequence_suffix(int32_t counter);

// Nodes that exist from the start and can never be deleted.
bool is_system_path(std::string_view path);

}  // namespace warden::store
