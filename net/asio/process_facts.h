// Facts about this process and its host that the server commands report:
// envi's environment lines, open and allowed file descriptors (mntr), and
// the bytes under a directory (dirs). They read the operating system, so
// they live with the runtime; called by NodeServer on its thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "net/zoo_config.h"

namespace warden::net {

// host.name, os.name, os.arch, os.version, user.name, user.home, user.dir,
// process.id and the directories, in that order (after zookeeper.version,
// which the envi command adds itself).
std::vector<std::pair<std::string, std::string>> process_environment(const ZooConfig& config);

// -1 when the system does not say.
int64_t open_file_descriptors();
int64_t max_file_descriptors();

// Bytes of the regular files under `dir`, recursively; 0 if it cannot be read.
uint64_t directory_bytes(const std::string& dir);

}  // namespace warden::net
