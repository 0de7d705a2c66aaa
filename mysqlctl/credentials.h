// The MySQL account the agent probes and manages its server with, read from a
// credentials file that only its owner may read.
//
// The file is a MySQL option file holding a [client] group, the same file an
// operator can hand to the command-line client to check it
// (`mariadb --defaults-extra-file=FILE`):
//
//   [client]
//   user = warden
//   password = "s3cret # with a hash"
//
// Within [client] only `user` (required) and `password` (empty when absent)
// are read; other options of that group (host, port, socket, ...) are
// ignored, since the target comes from Warden's own configuration, and
// other groups are skipped whole. Values follow the option-file rules:
// surrounding spaces dropped, optionally single- or double-quoted, '#'
// starts a comment outside quotes, and the escapes \n \t \r \b \s \\ \" \'.
// `!include` and `!includedir` are refused: the mode check below would not
// cover the included files.
//
// The file holds a password, so it is refused unless it is a regular file
// owned by the process's effective user with mode 0600 or 0400: a file other
// users can read has leaked the password, and one they can write lets them
// choose the account.
//
// Called by `warden mysql` and the agent at start-up (reading the file is
// I/O, so this lives in warden_mysqlctl_mysql, not in the sans-IO layer);
// parse_credentials is pure and anyone may call it.
#pragma once

#include <string>
#include <string_view>

#include "mysqlctl/result.h"

namespace warden::mysqlctl {

struct Credentials {
  std::string user;
  std::string password;
};

// Reads and checks the credentials file at `path` (see above). The error
// names the file and what to do about it; it never contains the password.
Result<Credentials> read_credentials_file(const std::string& path);

// The [client] user and password of option-file text. Errors give the line
// number, never the line (it may hold the password).
Result<Credentials> parse_credentials(std::string_view text);

}  // namespace warden::mysqlctl
