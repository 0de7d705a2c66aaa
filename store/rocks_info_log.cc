#include "store/rocks_info_log.h"

#include <sys/time.h>

#include <ctime>
#include <filesystem>

namespace warden::store {

std::shared_ptr<RocksInfoLog> RocksInfoLog::open(const std::string& dir, bool create_dir) {
  std::error_code ignored;
  if (create_dir) std::filesystem::create_directories(dir, ignored);
  const std::string path = dir + "/LOG";
  std::filesystem::rename(path, path + ".old", ignored);
  return std::shared_ptr<RocksInfoLog>(new RocksInfoLog(std::fopen(path.c_str(), "w")));
}

RocksInfoLog::~RocksInfoLog() {
  if (file_) std::fclose(file_);
}

void RocksInfoLog::Logv(const char* format, va_list ap) {
  if (!file_) return;
  timeval now{};
  ::gettimeofday(&now, nullptr);
  tm local{};
  ::localtime_r(&now.tv_sec, &local);
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%Y/%m/%d-%H:%M:%S", &local);
  // One locked stdio sequence per line, so lines from RocksDB's threads do
  // not interleave.
  ::flockfile(file_);
  std::fprintf(file_, "%s.%06ld ", stamp, static_cast<long>(now.tv_usec));
  std::vfprintf(file_, format, ap);
  std::fputc('\n', file_);
  std::fflush(file_);
  std::clearerr(file_);  // a full disk loses this line, not the ones after it
  ::funlockfile(file_);
}

}  // namespace warden::store
