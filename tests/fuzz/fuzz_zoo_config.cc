// libFuzzer target: net::parse_zoo_config on arbitrary text, as `warden
// serve --config` hands it a zoo.cfg, its myid file and its dynamic
// membership file. The input is those three texts separated by NUL bytes (a
// missing part is a missing file). Any text may be refused, with a message;
// none may crash, and an accepted one must hold what ZooConfig promises its
// users (servers sorted by id, this server among them, a cluster id) and
// render as the `conf` four-letter word.
//
// Run by tests/fuzz/run.sh (CI: .ci/run); built with -DWARDEN_FUZZ=ON.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/zoo_config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace warden::net;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  size_t count = 0;
  while (count < 3) {
    const size_t nul = count < 2 ? rest.find('\0') : std::string_view::npos;
    parts[count++] = rest.substr(0, nul);
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  ZooConfigFiles files;
  if (count > 1) files.myid = std::string(parts[1]);
  if (count > 2) files.dynamic_config = std::string(parts[2]);

  (void)zoo_config_file_paths(parts[0]);
  const ConfigResult result = parse_zoo_config(parts[0], "zoo.cfg", files);
  if (!result.ok()) {
    WARDEN_FUZZ_CHECK(!result.error.empty());
    return 0;
  }
  const ZooConfig& config = *result.config;
  WARDEN_FUZZ_CHECK(!config.servers.empty());
  for (size_t i = 1; i < config.servers.size(); ++i) {
    WARDEN_FUZZ_CHECK(config.servers[i - 1].id < config.servers[i].id);
  }
  WARDEN_FUZZ_CHECK(config.me().id == config.my_id);
  WARDEN_FUZZ_CHECK(config.cluster_id != 0);
  WARDEN_FUZZ_CHECK(config.min_session_timeout_ms <= config.max_session_timeout_ms);
  WARDEN_FUZZ_CHECK(!config.data_dir.empty());
  WARDEN_FUZZ_CHECK(derive_cluster_id(config.servers) != 0);
  WARDEN_FUZZ_CHECK(!render_conf(config, ConfRuntime{}).empty());
  return 0;
}
