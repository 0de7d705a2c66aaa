// `warden cli -server HOST:PORT[,HOST:PORT...] [command args...]`: a
// ZooKeeper shell in the manner of zkCli.sh, for machines without Java. With
// a command it runs that one and exits; without, it reads commands from stdin
// line by line (with a prompt when stdin is a terminal). Output and error
// messages follow zkCli.sh's, so scripts written against it keep working.
// Run non-interactively, it exits 1 if any command failed (2: bad usage).
#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/acl.h"
#include "tools/cli_session.h"
#include "tools/commands.h"

namespace warden::tools {
namespace {

using store::ErrorCode;
using store::OpCode;

struct CliOptions {
  std::string servers;
  int32_t session_timeout_ms = 30000;
  std::vector<std::string> words;  // the command, if given on the command line
};

// A command's words after its name: positionals, -x flags and -v VERSION.
struct Args {
  std::vector<std::string> positional;
  std::string flags;
  int32_t version = -1;  // -1: any version, as ZooKeeper takes it
  bool has(char flag) const { return flags.find(flag) != std::string::npos; }
  const std::string& path() const { return positional.front(); }
};

struct Command {
  const char* name;
  const char* usage;  // what follows the name
  const char* flags;  // the letters accepted as -x
  bool takes_version;
  size_t min_positional;
  size_t max_positional;
  bool (*run)(CliSession& session, const Args& args);
};

// ---- Output --------------------------------------------------------------------

void out(const std::string& text) {
  print(stdout, text);
}
void err(const std::string& text) {
  print(stderr, text);
}

const char* keeper_code_text(ErrorCode code) {
  switch (code) {
    case ErrorCode::kSystemError:
      return "SystemError";
    case ErrorCode::kConnectionLoss:
      return "ConnectionLoss";
    case ErrorCode::kMarshallingError:
      return "MarshallingError";
    case ErrorCode::kUnimplemented:
      return "Unimplemented";
    case ErrorCode::kOperationTimeout:
      return "OperationTimeout";
    case ErrorCode::kSessionExpired:
      return "Session expired";
    case ErrorCode::kSessionMoved:
      return "Session moved";
    case ErrorCode::kRequestTimeout:
      return "Request timeout";
    default:
      return store::error_name(code);
  }
}

// zkCli.sh's message for a failed request on `path` (CliWrapperException,
// then KeeperException's own).
std::string error_message(ErrorCode code, const std::string& path) {
  switch (code) {
    case ErrorCode::kNoNode:
      return "Node does not exist: " + path;
    case ErrorCode::kNoChildrenForEphemerals:
      return "Ephemerals cannot have children: " + path;
    case ErrorCode::kNodeExists:
      return "Node already exists: " + path;
    case ErrorCode::kNotEmpty:
      return "Node not empty: " + path;
    case ErrorCode::kNotReadOnly:
      return "Not a read-only call: " + path;
    case ErrorCode::kInvalidAcl:
      return "Acl is not valid : " + path;
    case ErrorCode::kNoAuth:
      return "Insufficient permission : " + path;
    case ErrorCode::kBadArguments:
      return "Arguments are not valid : " + path;
    case ErrorCode::kBadVersion:
      return "version No is not valid : " + path;
    case ErrorCode::kQuotaExceeded:
      return "Quota has exceeded : " + path;
    default:
      return std::string("KeeperErrorCode = ") + keeper_code_text(code) + " for " + path;
  }
}

// Prints why `reply` failed, if it did.
bool succeeded(const net::Reply& reply, const std::string& path) {
  if (reply.header.err == ErrorCode::kOk) return true;
  err(error_message(reply.header.err, path) + "\n");
  return false;
}

std::string hex(int64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// As Java's Date.toString(), which zkCli prints.
std::string date_text(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  std::strftime(text, sizeof text, "%a %b %d %H:%M:%S %Z %Y", &local);
  return text;
}

std::string stat_text(const store::Stat& stat) {
  return "cZxid = " + hex(stat.czxid) + "\nctime = " + date_text(stat.ctime_ms) +
         "\nmZxid = " + hex(stat.mzxid) + "\nmtime = " + date_text(stat.mtime_ms) +
         "\npZxid = " + hex(stat.pzxid) + "\ncversion = " + std::to_string(stat.cversion) +
         "\ndataVersion = " + std::to_string(stat.version) +
         "\naclVersion = " + std::to_string(stat.aversion) +
         "\nephemeralOwner = " + hex(stat.ephemeral_owner) +
         "\ndataLength = " + std::to_string(stat.data_length) +
         "\nnumChildren = " + std::to_string(stat.num_children) + "\n";
}

std::string children_text(const std::vector<std::string>& children) {
  std::string text = "[";
  for (size_t i = 0; i < children.size(); ++i) text += (i ? ", " : "") + children[i];
  return text + "]\n";
}

// ---- Commands --------------------------------------------------------------------

bool run_ls(CliSession& session, const Args& args) {
  const net::Reply reply =
      session.call(OpCode::kGetChildren, net::GetChildrenRequest{args.path(), args.has('w')});
  if (!succeeded(reply, args.path())) return false;
  out(children_text(std::get<net::GetChildrenResponse>(reply.body).children));
  return true;
}

bool run_get(CliSession& session, const Args& args) {
  const net::Reply reply =
      session.call(OpCode::kGetData, net::GetDataRequest{args.path(), args.has('w')});
  if (!succeeded(reply, args.path())) return false;
  const auto& got = std::get<net::GetDataResponse>(reply.body);
  out(got.data + "\n" + (args.has('s') ? stat_text(got.stat) : ""));
  return true;
}

bool run_set(CliSession& session, const Args& args) {
  const net::Reply reply = session.call(
      OpCode::kSetData, net::SetDataRequest{args.path(), args.positional[1], args.version});
  if (!succeeded(reply, args.path())) return false;
  if (args.has('s')) out(stat_text(std::get<net::SetDataResponse>(reply.body).stat));
  return true;
}

bool run_create(CliSession& session, const Args& args) {
  const int32_t mode = (args.has('e') ? 1 : 0) + (args.has('s') ? 2 : 0);
  net::CreateRequest create{args.path(), args.positional.size() > 1 ? args.positional[1] : "",
                            store::open_acl(), static_cast<store::CreateMode>(mode)};
  const net::Reply reply = session.call(OpCode::kCreate, std::move(create));
  if (!succeeded(reply, args.path())) return false;
  out("Created " + std::get<net::CreateResponse>(reply.body).path + "\n");
  return true;
}

bool run_delete(CliSession& session, const Args& args) {
  return succeeded(session.call(OpCode::kDelete, net::DeleteRequest{args.path(), args.version}),
                   args.path());
}

bool run_stat(CliSession& session, const Args& args) {
  const net::Reply reply = session.call(OpCode::kExists, net::ExistsRequest{args.path(), false});
  if (!succeeded(reply, args.path())) return false;
  out(stat_text(std::get<net::ExistsResponse>(reply.body).stat));
  return true;
}

bool run_sync(CliSession& session, const Args& args) {
  if (!succeeded(session.call(OpCode::kSync, net::SyncRequest{args.path()}), args.path())) {
    return false;
  }
  out("Sync is OK\n");
  return true;
}

// Arms a data (or, for a node not there, an exists) watch and a child watch
// on the path, then waits for whichever fires first.
bool run_watch(CliSession& session, const Args& args) {
  const std::string& path = args.path();
  session.expect_event(path);
  net::Reply data = session.call(OpCode::kGetData, net::GetDataRequest{path, true});
  if (data.header.err == ErrorCode::kNoNode) {
    data = session.call(OpCode::kExists, net::ExistsRequest{path, true});
    if (data.header.err == ErrorCode::kNoNode) data.header.err = ErrorCode::kOk;
  } else if (data.header.err == ErrorCode::kOk) {
    const net::Reply children =
        session.call(OpCode::kGetChildren, net::GetChildrenRequest{path, true});
    // Deleted in between: the data watch fires for that.
    if (children.header.err != ErrorCode::kNoNode && !succeeded(children, path)) return false;
  }
  if (!succeeded(data, path)) return false;
  const std::optional<net::WatcherEvent> event = session.wait_for_event();
  if (!event) {
    err(error_message(ErrorCode::kSessionExpired, path) + "\n");
    return false;
  }
  out(event_text(*event) + "\n");
  return true;
}

bool run_help(CliSession&, const Args&);

constexpr Command kCommands[] = {
    {"ls", "[-w] path", "w", false, 1, 1, run_ls},
    {"get", "[-s] [-w] path", "sw", false, 1, 1, run_get},
    {"set", "[-s] [-v version] path data", "s", true, 2, 2, run_set},
    {"create", "[-e] [-s] path [data]", "es", false, 1, 2, run_create},
    {"delete", "[-v version] path", "", true, 1, 1, run_delete},
    {"stat", "path", "", false, 1, 1, run_stat},
    {"watch", "path", "", false, 1, 1, run_watch},
    {"sync", "path", "", false, 1, 1, run_sync},
    {"help", "", "", false, 0, 0, run_help},
    {"quit", "", "", false, 0, 0, nullptr},
};

std::string help_text() {
  std::string text = "warden cli -server host:port[,host:port...] cmd args\n";
  for (const Command& command : kCommands) {
    text += std::string("\t") + command.name + (*command.usage ? " " : "") + command.usage + "\n";
  }
  return text;
}

bool run_help(CliSession&, const Args&) {
  out(help_text());
  return true;
}

// ---- Parsing -----------------------------------------------------------------------

// Splits a line into words; '...' and "..." group words with spaces, as zkCli
// does.
std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::optional<std::string> word;
  char quote = 0;
  for (const char c : line) {
    if (quote != 0 && c == quote) {
      quote = 0;
    } else if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
      if (!word) word.emplace();
    } else if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (word) words.push_back(std::move(*word));
      word.reset();
    } else {
      if (!word) word.emplace();
      word->push_back(c);
    }
  }
  if (word) words.push_back(std::move(*word));
  return words;
}

std::optional<int32_t> parse_version(const std::string& text) {
  try {
    size_t used = 0;
    const long value = std::stol(text, &used);
    if (used == text.size() && value >= INT32_MIN && value <= INT32_MAX) {
      return static_cast<int32_t>(value);
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Sorts a command's words into Args; "" if they fit the command, else why
// not. A word like "-x" that is no flag of the command is data.
std::string parse_args(const Command& command, const std::vector<std::string>& words, Args& args) {
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "-v" && command.takes_version) {
      const std::optional<int32_t> version =
          i + 1 < words.size() ? parse_version(words[++i]) : std::nullopt;
      if (!version) return "-v needs a version number";
      args.version = *version;
    } else if (word.size() == 2 && word[0] == '-' && std::strchr(command.flags, word[1])) {
      args.flags += word[1];
    } else {
      args.positional.push_back(word);
    }
  }
  if (args.positional.size() < command.min_positional ||
      args.positional.size() > command.max_positional) {
    return "wrong number of arguments";
  }
  if (!args.positional.empty() && !args.path().starts_with('/')) {
    return "Path must start with / character";
  }
  return "";
}

const Command* find_command(const std::string& name) {
  for (const Command& command : kCommands) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

// Runs one command line; false if it failed.
bool run_words(CliSession& session, const std::vector<std::string>& words) {
  const Command* command = find_command(words.front());
  if (command == nullptr) {
    err("Unknown command: " + words.front() + "\n" + help_text());
    return false;
  }
  if (command->run == nullptr) return true;  // quit: the loop's business
  Args args;
  const std::string problem = parse_args(*command, words, args);
  if (!problem.empty()) {
    err(problem + "\nUsage: " + command->name + " " + command->usage + "\n");
    return false;
  }
  if (command->run != run_help && session.open() != ErrorCode::kOk) {
    err("Could not connect: " + session.connect_error() + "\n");
    return false;
  }
  return command->run(session, args);
}

int read_commands(CliSession& session) {
  const bool interactive = isatty(STDIN_FILENO) != 0;
  // At once, as zkCli does, so that the prompt tells whether it worked.
  if (interactive && session.open() != ErrorCode::kOk) {
    err("Could not connect: " + session.connect_error() + "\n");
  }
  bool all_ok = true;
  int count = 0;
  std::string line;
  while (true) {
    if (interactive) out("[warden: " + session.state_text() + " " + std::to_string(count) + "] ");
    if (!std::getline(std::cin, line)) break;
    const std::vector<std::string> words = split_words(line);
    if (words.empty()) continue;
    if (words.front() == "quit") break;
    ++count;
    all_ok = run_words(session, words) && all_ok;
  }
  if (interactive) return 0;
  return all_ok ? 0 : 1;
}

int run_cli(const CliOptions& options) {
  std::string error;
  std::optional<std::vector<net::ZkEndpoint>> hosts =
      net::parse_connect_string(options.servers, &error);
  if (!hosts) {
    err("warden cli: -server " + options.servers + ": " + error + "\n");
    return 2;
  }
  CliSession session(std::move(*hosts), options.session_timeout_ms);
  if (options.words.empty()) return read_commands(session);
  return run_words(session, options.words) ? 0 : 1;
}

}  // namespace

std::vector<const char*> zkcli_style_arguments(int argc, char** argv) {
  std::vector<const char*> args(argv, argv + argc);
  if (argc < 2) return args;
  const std::string_view command = argv[1];
  for (size_t i = 2; i < args.size(); ++i) {
    const bool rewrite = command == "bench" || (command == "cli" && i == 2);
    if (rewrite && std::string_view(args[i]) == "-server") args[i] = "--server";
  }
  return args;
}

void add_cli_command(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand(
      "cli", "A ZooKeeper shell like zkCli.sh: run one command, or read commands from stdin");
  auto options = std::make_shared<CliOptions>();
  command->add_option("--server", options->servers, "host:port[,host:port...] (also -server)")
      ->required();
  command
      ->add_option("--session-timeout-ms", options->session_timeout_ms,
                   "Session timeout asked for, in ms")
      ->capture_default_str();
  // Everything from the command word on is the command's, "-e" and all.
  command->prefix_command();
  command->footer(
      "Commands: ls [-w] path | get [-s] [-w] path | set [-s] [-v version] path data |\n"
      "  create [-e] [-s] path [data] | delete [-v version] path | stat path | watch path |\n"
      "  sync path | help | quit");
  command->callback([command, exit_code, options] {
    options->words = command->remaining();
    *exit_code = run_cli(*options);
  });
}

}  // namespace warden::tools
