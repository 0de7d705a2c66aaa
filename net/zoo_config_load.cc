// The file-reading edge of zoo.cfg loading: everything else is sans-IO.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "net/zoo_config.h"

namespace warden::net {
namespace {

// The whole file, or nullopt when there is no regular file at `path` (a
// directory named myid counts as missing, as ZooKeeper's isFile() check does).
std::optional<std::string> read_if_file(const std::string& path, std::string& error) {
  std::error_code code;
  if (!std::filesystem::is_regular_file(path, code)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

}  // namespace

ConfigResult load_zoo_config(const std::string& path) {
  std::string error;
  const std::optional<std::string> text = read_if_file(path, error);
  if (!text) {
    return {std::nullopt, error.empty() ? path + ": no such file" : error};
  }
  const ZooConfigFilePaths paths = zoo_config_file_paths(*text);
  ZooConfigFiles files;
  if (!paths.myid.empty()) files.myid = read_if_file(paths.myid, error);
  if (!paths.dynamic_config.empty()) {
    files.dynamic_config = read_if_file(paths.dynamic_config, error);
  }
  if (!error.empty()) return {std::nullopt, error};
  return parse_zoo_config(*text, path, files);
}

}  // namespace warden::net
