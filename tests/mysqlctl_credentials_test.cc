// mysqlctl/credentials: the [client] group of an option file, and the file
// refused unless only its owner, the user running Warden, can read it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "mysqlctl/credentials.h"

namespace warden::mysqlctl {
namespace {

Credentials parsed(const std::string& text) {
  Result<Credentials> credentials = parse_credentials(text);
  EXPECT_TRUE(credentials.ok()) << credentials.error();
  return credentials.ok() ? credentials.value() : Credentials{};
}

std::string parse_error(const std::string& text) {
  Result<Credentials> credentials = parse_credentials(text);
  EXPECT_FALSE(credentials.ok()) << text;
  return credentials.error();
}

TEST(ParseCredentials, ReadsUserAndPasswordOfTheClientGroup) {
  const Credentials credentials = parsed("[client]\nuser=warden\npassword=s3cret\n");
  EXPECT_EQ(credentials.user, "warden");
  EXPECT_EQ(credentials.password, "s3cret");
}

TEST(ParseCredentials, PasswordIsEmptyWhenAbsent) {
  const Credentials credentials = parsed("[client]\nuser=root\n");
  EXPECT_EQ(credentials.user, "root");
  EXPECT_EQ(credentials.password, "");
}

TEST(ParseCredentials, FollowsOptionFileSyntax) {
  const Credentials credentials = parsed(
      "# written by the operator\n"
      "; another comment\n"
      "\n"
      "[mysqld]\n"
      "user = mysql\n"
      "password = not-this-one\n"
      "[ CLIENT ]  # the group the client library reads\n"
      "  User = \"warden agent\"   \r\n"
      "port = 3307\n"
      "skip-ssl\n"
      "pass_word_is_not = x\n"
      "Password = 'p#ss word'  # trailing comment\n"
      "[mysql]\n"
      "user = someone-else\n");
  EXPECT_EQ(credentials.user, "warden agent");
  EXPECT_EQ(credentials.password, "p#ss word");
}

TEST(ParseCredentials, UnquotedHashStartsAComment) {
  EXPECT_EQ(parsed("[client]\nuser=u\npassword=abc#def\n").password, "abc");
}

TEST(ParseCredentials, ReplacesEscapes) {
  EXPECT_EQ(parsed("[client]\nuser=u\npassword=a\\sb\\tc\\\\d\\qf\n").password, "a b\tc\\d\\qf");
  EXPECT_EQ(parsed("[client]\nuser=u\npassword=\"x\\'y\"\n").password, "x'y");
  // Inside quotes a backslash protects the quote; outside, '#' still cuts.
  EXPECT_EQ(parsed("[client]\nuser=u\npassword=\"a\\\"#b\"\n").password, "a\"#b");
  EXPECT_EQ(parsed("[client]\nuser=u\npassword=a\\#b\n").password, "a\\");
}

TEST(ParseCredentials, LaterValueWins) {
  EXPECT_EQ(parsed("[client]\nuser=a\n[client]\nuser=b\n").user, "b");
}

TEST(ParseCredentials, RefusesMissingUser) {
  EXPECT_NE(parse_error("[client]\npassword=x\n").find("no user="), std::string::npos);
  EXPECT_NE(parse_error("[mysqld]\nuser=mysql\n").find("no user="), std::string::npos);
  EXPECT_NE(parse_error("[client]\nuser=\n").find("no user="), std::string::npos);
  EXPECT_NE(parse_error("").find("no user="), std::string::npos);
}

TEST(ParseCredentials, RefusesMalformedFilesWithTheLineNumber) {
  EXPECT_EQ(parse_error("user=root\n[client]\n"), "line 1: option before any [group] header");
  EXPECT_EQ(parse_error("[client\nuser=root\n"), "line 1: malformed group header");
  EXPECT_EQ(parse_error("[client]\nuser=root\npassword\n"), "line 3: password has no value");
  EXPECT_NE(
      parse_error("[client]\n!include /etc/mysql/other.cnf\nuser=x\n").find("line 2: !include"),
      std::string::npos);
}

TEST(ParseCredentials, ErrorsNeverQuoteThePassword) {
  const std::string error = parse_error("[client]\nuser=root\npassword='hunter2\n");
  EXPECT_EQ(error, "line 3: password has an unclosed quote");
  EXPECT_EQ(error.find("hunter2"), std::string::npos);
}

// A temporary directory per test, removed after it.
class CredentialsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "warden-credentials-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to a file in the directory with `mode`; its path.
  std::string write(const std::string& text, mode_t mode) {
    const std::string path = (dir_ / "client.cnf").string();
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  std::string read_error(const std::string& path) {
    Result<Credentials> credentials = read_credentials_file(path);
    EXPECT_FALSE(credentials.ok()) << path;
    return credentials.error();
  }

  std::filesystem::path dir_;
};

constexpr const char* kValid = "[client]\nuser=warden\npassword=s3cret\n";

TEST_F(CredentialsFile, AcceptsOwnerOnlyModes) {
  for (mode_t mode : {0600, 0400}) {
    Result<Credentials> credentials = read_credentials_file(write(kValid, mode));
    ASSERT_TRUE(credentials.ok()) << std::oct << mode << ": " << credentials.error();
    EXPECT_EQ(credentials.value().user, "warden");
    EXPECT_EQ(credentials.value().password, "s3cret");
  }
}

TEST_F(CredentialsFile, RefusesAFileOthersCanReadOrWrite) {
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602, 0660, 0666, 0444}) {
    const std::string path = write(kValid, mode);
    const std::string error = read_error(path);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(error.find(path), std::string::npos) << error;
    EXPECT_NE(error.find(std::string("has mode ") + octal), std::string::npos) << error;
    EXPECT_NE(error.find("users other than its owner may read or write it"), std::string::npos)
        << error;
    EXPECT_NE(error.find("must be 0600 or 0400"), std::string::npos) << error;
    EXPECT_EQ(error.find("s3cret"), std::string::npos) << error;
  }
}

TEST_F(CredentialsFile, RefusesOtherOwnerOnlyModesToo) {
  for (mode_t mode : {0700, 0500, 0200, 04600}) {
    const std::string error = read_error(write(kValid, mode));
    EXPECT_NE(error.find("must be 0600 or 0400"), std::string::npos) << std::oct << mode << error;
  }
}

TEST_F(CredentialsFile, RefusesAFileOwnedBySomeoneElse) {
  std::string path;
  uid_t owner = 0;
  if (::geteuid() == 0) {
    owner = 65534;  // nobody
    path = write(kValid, 0600);
    ASSERT_EQ(::chown(path.c_str(), owner, static_cast<gid_t>(-1)), 0);
  } else {
    path = "/etc/passwd";  // owned by root, readable by all
  }
  const std::string error = read_error(path);
  EXPECT_NE(error.find("is owned by uid " + std::to_string(owner)), std::string::npos) << error;
  EXPECT_NE(error.find("not by uid " + std::to_string(::geteuid())), std::string::npos) << error;
}

TEST_F(CredentialsFile, ReportsMissingFilesDirectoriesAndBadContent) {
  EXPECT_NE(read_error((dir_ / "absent.cnf").string()).find("cannot open credentials file"),
            std::string::npos);
  EXPECT_NE(read_error(dir_.string()).find("is not a regular file"), std::string::npos);
  const std::string path = write("[client]\npassword=x\n", 0600);
  EXPECT_EQ(read_error(path), "credentials file " + path + ": no user= in a [client] group");
}

TEST_F(CredentialsFile, RefusesAHugeFile) {
  const std::string error = read_error(write(std::string(100'000, '#'), 0600));
  EXPECT_NE(error.find("is larger than"), std::string::npos) << error;
}

}  // namespace
}  // namespace warden::mysqlctl
