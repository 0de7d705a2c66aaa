// `warden lincheck FILE...`: checks Jepsen register logs for linearizability
// and prints one verdict line per file. Registered by tools/main.cc.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "sim/jepsen_log.h"
#include "sim/linearizability.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

// Exit codes: every file decided / some file unreadable or malformed / some
// file undecided within the step budget. An input error wins over undecided.
constexpr int kExitAllDecided = 0;
constexpr int kExitInputError = 1;
constexpr int kExitUndecided = 2;

struct LincheckOptions {
  std::vector<std::string> files;
  bool explain = false;
  uint64_t max_steps_per_key = sim::LinOptions{}.max_steps_per_key;
};

void print_indented(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::cout << "  " << std::string_view(text).substr(start, end - start) << "\n";
    start = end + 1;
  }
}

// Prints the file's verdict line and returns its exit code.
int check_file(const std::string& path, const LincheckOptions& options) {
  const sim::JepsenLog log = sim::read_jepsen_log_file(path);
  if (!log.ok()) {
    std::cout << path << " error\n";
    std::cerr << "warden lincheck: " << path << ": " << log.error->to_string() << "\n";
    return kExitInputError;
  }
  const sim::LinResult result = sim::check_register_history(
      log.history, sim::LinOptions{.max_steps_per_key = options.max_steps_per_key});
  std::cout << path << " " << sim::lin_verdict_name(result.verdict) << "\n";
  if (options.explain && result.verdict == sim::LinVerdict::kNotLinearizable) {
    print_indented(result.explanation);
  }
  return result.verdict == sim::LinVerdict::kGaveUp ? kExitUndecided : kExitAllDecided;
}

int run_lincheck(const LincheckOptions& options) {
  bool input_error = false;
  bool undecided = false;
  for (const std::string& path : options.files) {
    const int file_code = check_file(path, options);
    input_error = input_error || file_code == kExitInputError;
    undecided = undecided || file_code == kExitUndecided;
  }
  std::cout.flush();
  if (input_error) return kExitInputError;
  return undecided ? kExitUndecided : kExitAllDecided;
}

}  // namespace

void add_lincheck_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<LincheckOptions>();
  CLI::App* command = app.add_subcommand(
      "lincheck",
      "Check Jepsen register logs for linearizability. Prints `FILE linearizable`, "
      "`FILE not-linearizable` or `FILE unknown` (step budget exhausted) per file. Exit "
      "status: 0 if every file was decided, 1 on an unreadable or malformed file, 2 if some "
      "file was undecided.");
  command->add_option("files", options->files, "Jepsen log files")->required();
  command->add_flag("--explain", options->explain,
                    "Explain each non-linearizable verdict on the lines after it");
  command
      ->add_option("--max-steps", options->max_steps_per_key,
                   "Search steps allowed per key before answering `unknown`")
      ->capture_default_str();
  command->callback([options, exit_code] { *exit_code = run_lincheck(*options); });
}

}  // namespace warden::tools
