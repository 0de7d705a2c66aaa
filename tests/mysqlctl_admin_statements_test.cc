// mysqlctl/mysql_admin: the statement text the actions send, where a host,
// user or password becomes part of SQL. The actions themselves run against
// real MariaDB in tests/mysql/admin_test.py.
#include <gtest/gtest.h>

#include <string>

#include "mysqlctl/mysql_admin.h"

namespace warden::mysqlctl {
namespace {

std::string literal(std::string_view text, bool backslash_escapes = true) {
  Result<std::string> quoted = sql_string_literal(text, backslash_escapes);
  EXPECT_TRUE(quoted.ok()) << quoted.error();
  return quoted.ok() ? quoted.value() : "";
}

ReplicationSource source(std::string password = "repl-password") {
  return ReplicationSource{.host = "10.0.0.2",
                           .port = 3307,
                           .account = Credentials{.user = "repl", .password = std::move(password)}};
}

TEST(SqlStringLiteral, QuotesPlainText) {
  EXPECT_EQ(literal("repl"), "'repl'");
  EXPECT_EQ(literal(""), "''");
  EXPECT_EQ(literal("pass word#1;--"), "'pass word#1;--'");
}

TEST(SqlStringLiteral, DoublesQuotesInEitherSqlMode) {
  EXPECT_EQ(literal("it's"), "'it''s'");
  EXPECT_EQ(literal("it's", false), "'it''s'");
  EXPECT_EQ(literal("'; DROP TABLE t; --"), "'''; DROP TABLE t; --'");
}

TEST(SqlStringLiteral, EscapesBackslashesOnlyWhereTheyAreEscapes) {
  EXPECT_EQ(literal("a\\b"), "'a\\\\b'");
  // A trailing backslash must not escape the closing quote.
  EXPECT_EQ(literal("end\\"), "'end\\\\'");
  EXPECT_EQ(literal("\\'"), "'\\\\'''");
  // Under NO_BACKSLASH_ESCAPES a backslash is itself.
  EXPECT_EQ(literal("a\\b", false), "'a\\b'");
  EXPECT_EQ(literal("end\\", false), "'end\\'");
}

TEST(SqlStringLiteral, KeepsOtherBytesAsTheyAre) {
  EXPECT_EQ(literal("line\nbreak\ttab"), "'line\nbreak\ttab'");
  EXPECT_EQ(literal("p\xc3\xa4ss"), "'p\xc3\xa4ss'");
}

TEST(SqlStringLiteral, RefusesNul) {
  const Result<std::string> quoted = sql_string_literal(std::string("a\0b", 3), true);
  ASSERT_FALSE(quoted.ok());
  EXPECT_EQ(quoted.error(), "contains a NUL byte");
}

TEST(ChangeSourceStatement, MariaDBReplicatesBySlavePosAndRetriesEverySecond) {
  const Result<std::string> statement =
      change_source_statement(Flavour::kMariaDB, source(), true, false);
  ASSERT_TRUE(statement.ok()) << statement.error();
  EXPECT_EQ(statement.value(),
            "CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3307, MASTER_USER='repl', "
            "MASTER_PASSWORD='repl-password', MASTER_USE_GTID=slave_pos, "
            "MASTER_CONNECT_RETRY=1");
}

TEST(ChangeSourceStatement, MariaDBDemotesAFormerPrimary) {
  const Result<std::string> statement =
      change_source_statement(Flavour::kMariaDB, source(), true, true);
  ASSERT_TRUE(statement.ok()) << statement.error();
  EXPECT_TRUE(statement.value().ends_with(
      "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_DEMOTE_TO_SLAVE=1"))
      << statement.value();
}

TEST(ChangeSourceStatement, MySQLUsesAutoPositionAndNeedsNoDemotion) {
  const Result<std::string> statement =
      change_source_statement(Flavour::kMySQL, source(), true, false);
  ASSERT_TRUE(statement.ok()) << statement.error();
  EXPECT_EQ(statement.value(),
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.2', SOURCE_PORT=3307, "
            "SOURCE_USER='repl', SOURCE_PASSWORD='repl-password', SOURCE_AUTO_POSITION=1, "
            "SOURCE_CONNECT_RETRY=1");
  EXPECT_FALSE(change_source_statement(Flavour::kMySQL, source(), true, true).ok());
}

TEST(ChangeSourceStatement, QuotesThePassword) {
  const Result<std::string> statement =
      change_source_statement(Flavour::kMariaDB, source("it's a \\ test"), true, false);
  ASSERT_TRUE(statement.ok()) << statement.error();
  EXPECT_NE(statement.value().find("MASTER_PASSWORD='it''s a \\\\ test', "), std::string::npos)
      << statement.value();
}

TEST(ChangeSourceStatement, RefusesWhatCannotBeASource) {
  ReplicationSource no_host = source();
  no_host.host.clear();
  EXPECT_EQ(change_source_statement(Flavour::kMariaDB, no_host, true, false).error(),
            "the source host is empty");
  ReplicationSource no_port = source();
  no_port.port = 0;
  EXPECT_EQ(change_source_statement(Flavour::kMariaDB, no_port, true, false).error(),
            "the source port is 0");
  ReplicationSource no_user = source();
  no_user.account.user.clear();
  EXPECT_EQ(change_source_statement(Flavour::kMariaDB, no_user, true, false).error(),
            "the replication user is empty");
}

TEST(ChangeSourceStatement, ErrorsNameTheFieldNeverThePassword) {
  const std::string password("sec\0ret", 7);
  const Result<std::string> statement =
      change_source_statement(Flavour::kMariaDB, source(password), true, false);
  ASSERT_FALSE(statement.ok());
  EXPECT_EQ(statement.error(), "the replication password contains a NUL byte");
}

}  // namespace
}  // namespace warden::mysqlctl
