#include "net/asio/process_facts.h"

#include <pwd.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace warden::net {

namespace fs = std::filesystem;

std::vector<std::pair<std::string, std::string>> process_environment(const ZooConfig& config) {
  std::vector<std::pair<std::string, std::string>> env;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) env.emplace_back("host.name", host);
  utsname system{};
  if (uname(&system) == 0) {
    env.emplace_back("os.name", system.sysname);
    env.emplace_back("os.arch", system.machine);
    env.emplace_back("os.version", system.release);
  }
  if (const passwd* user = getpwuid(geteuid())) {
    env.emplace_back("user.name", user->pw_name);
    env.emplace_back("user.home", user->pw_dir);
  }
  std::error_code error;
  const fs::path cwd = fs::current_path(error);
  if (!error) env.emplace_back("user.dir", cwd.string());
  env.emplace_back("process.id", std::to_string(getpid()));
  env.emplace_back("warden.data.dir", config.data_dir);
  env.emplace_back("warden.data.log.dir",
                   config.data_log_dir.empty() ? config.data_dir : config.data_log_dir);
  return env;
}

int64_t open_file_descriptors() {
  std::error_code error;
  int64_t count = 0;
  for (fs::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return error ? -1 : count;
}

int64_t max_file_descriptors() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  return static_cast<int64_t>(limit.rlim_cur);
}

uint64_t directory_bytes(const std::string& dir) {
  std::error_code error;
  uint64_t bytes = 0;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const uintmax_t size = it->file_size(size_error);
      if (!size_error) bytes += size;
    }
  }
  return bytes;
}

}  // namespace warden::net
