// ZooKeeper's path rules (PathUtils.validatePath) and ACLs: digest ids as
// DigestAuthenticationProvider.generateDigest makes them, ip matching with
// prefixes, world:anyone, the auth scheme, fixupACL and getACL.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/acl.h"
#include "store/path.h"
#include "tests/store_tree_harness.h"

namespace warden::store {
namespace {

using tree_test::acl_entry;
using tree_test::create_op;
using tree_test::delete_op;
using tree_test::digest_auth;
using tree_test::set_acl_op;
using tree_test::set_data_op;
using tree_test::TreeHarness;

// --- Paths --------------------------------------------------------------------------

TEST(TreePath, ValidPaths) {
  const std::vector<std::string> valid = {
      "/",
      "/a",
      "/a/b",
      "/a/b/c",
      "/zookeeper",
      "/a.b",
      "/.a",
      "/a.",
      "/...",
      "/a/..b",
      "/a/b..",
      "/a b",
      "/-_:@!",
      "/\xc3\xbc",      // U+00FC
      "/\xc2\xa0",      // U+00A0, just past the C1 controls
      "/\xe2\x82\xac",  // U+20AC
      "/\xed\x9f\xbf",  // U+D7FF, just below the surrogates
      "/\xef\xa4\x80",  // U+F900, just past the private use area
      "/\xef\xbf\xaf",  // U+FFEF, just below the specials
      "/" + std::string(1000, 'x'),
  };
  for (const std::string& path : valid) {
    EXPECT_EQ(path_error(path), "") << testing::PrintToString(path);
  }
  // And the tree takes them.
  TreeHarness h;
  const SessionId s = h.open_session();
  for (const std::string& path : valid) {
    if (path == "/" || is_system_path(path)) continue;
    EXPECT_EQ(h.error(s, create_op(path)), ErrorCode::kOk) << testing::PrintToString(path);
  }
}

TEST(TreePath, InvalidPathsAndWhy) {
  struct Case {
    std::string path;
    std::string why;  // a word of path_error's message
  };
  const std::vector<Case> invalid = {
      {"", "length"},
      {"a", "start"},
      {"a/b", "start"},
      {"/a/", "end"},
      {"//a", "empty"},
      {"/a//b", "empty"},
      {"/a/./b", "relative"},
      {"/a/../b", "relative"},
      {"/.", "relative"},
      {"/a/..", "relative"},
      {std::string("/a\0b", 4), "null"},
      {std::string("/\0", 2), "null"},
      {"/\x01", "invalid character"},
      {"/a\x1f", "invalid character"},
      {"/\x7f", "invalid character"},
      {"/\xc2\x80", "invalid character"},          // U+0080
      {"/\xc2\x9f", "invalid character"},          // U+009F
      {"/\xed\xa0\x80", "invalid character"},      // U+D800
      {"/\xed\xbf\xbf", "invalid character"},      // U+DFFF
      {"/\xee\x80\x80", "invalid character"},      // U+E000
      {"/\xef\xa3\xbf", "invalid character"},      // U+F8FF
      {"/\xef\xbf\xb0", "invalid character"},      // U+FFF0
      {"/\xef\xbf\xbf", "invalid character"},      // U+FFFF
      {"/\xf0\x90\x80\x80", "invalid character"},  // U+10000
      {"/\xf4\x8f\xbf\xbf", "invalid character"},  // U+10FFFF
      {"/\xff", "UTF-8"},
      {"/\xf8\x88\x80\x80\x80", "UTF-8"},
      {"/\x80", "UTF-8"},
      {"/\xc3", "UTF-8"},
      {"/\xe2\x82", "UTF-8"},
      {"/\xe2\x82/x", "UTF-8"},
      {"/\xc0\xaf", "UTF-8"},      // overlong '/'
      {"/\xe0\x80\xaf", "UTF-8"},  // overlong '/'
  };
  for (const Case& c : invalid) {
    const std::string error = path_error(c.path);
    EXPECT_NE(error.find(c.why), std::string::npos)
        << testing::PrintToString(c.path) << " -> " << error;
    EXPECT_FALSE(is_valid_path(c.path)) << testing::PrintToString(c.path);
  }
}

TEST(TreePath, Arithmetic) {
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(parent_path("/a/b"), "/a");
  EXPECT_EQ(parent_path("/a/b/c"), "/a/b");
  EXPECT_EQ(base_name("/a"), "a");
  EXPECT_EQ(base_name("/a/bc"), "bc");
  EXPECT_EQ(child_path("/", "a"), "/a");
  EXPECT_EQ(child_path("/a", "b"), "/a/b");
  for (const char* path : {"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
    EXPECT_TRUE(is_system_path(path)) << path;
  }
  for (const char* path : {"/zookeeperx", "/zookeeper/other", "/a", "/zookeeper/quota/x"}) {
    EXPECT_FALSE(is_system_path(path)) << path;
  }
}

// --- Digest ids -----------------------------------------------------------------

TEST(TreeAcl, DigestIdIsGenerateDigest) {
  // Expected values computed outside Warden, once, with
  //   printf 'super:secret' | openssl sha1 -binary | base64
  // and likewise for the others. "super:admin" is also the example in
  // ZooKeeper's Administrator's Guide (-Dzookeeper.DigestAuthenticationProvider
  // .superDigest=super:xQJmxLMiHGwaqBvst5y6rkB6HQs=).
  EXPECT_EQ(digest_id("super:secret"), "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");
  EXPECT_EQ(digest_id("super:admin"), "super:xQJmxLMiHGwaqBvst5y6rkB6HQs=");
  EXPECT_EQ(digest_id("alice:pw"), "alice:V55/p2T0OpjQ+low3NVAH4aLvm0=");
  // The hash covers the whole "user:password"; the id keeps the user only up
  // to the first colon (split(":", 2)).
  EXPECT_EQ(digest_id("user:pa:ss"), "user:eGYxmOtrfaj/35Fq9lW7ol9psVU=");
}

// --- IP matching ----------------------------------------------------------------

TEST(TreeAcl, IpMatching) {
  struct Case {
    const char* pattern;
    const char* address;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"10.0.0.1", "10.0.0.1", true},
      {"10.0.0.1", "10.0.0.2", false},
      {"10.0.0.1/32", "10.0.0.1", true},
      {"10.0.0.0/8", "10.255.3.4", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"192.168.1.0/24", "192.168.1.77", true},
      {"192.168.1.0/24", "192.168.2.77", false},
      {"10.16.0.0/12", "10.31.255.255", true},  // a prefix not on a byte boundary
      {"10.16.0.0/12", "10.32.0.0", false},
      {"10.16.0.0/12", "10.15.255.255", false},
      {"10.1.2.3/12", "10.0.0.1", true},  // host bits of the pattern are ignored
      {"0.0.0.0/0", "203.0.113.9", true},
      {"::1", "::1", true},
      {"::1", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"fe80::/10", "febf::1", true},
      {"fe80::/10", "fec0::1", false},
      {"2001:db8::1/128", "2001:db8::1", true},
      {"::/0", "2001:db8::1", true},
      {"10.0.0.1", "::ffff:10.0.0.1", false},  // families do not mix
      {"::1", "127.0.0.1", false},
      {"10.0.0.0/33", "10.0.0.1", false},  // bad patterns match nothing
      {"::/129", "::1", false},
      {"10.0.0.0/-1", "10.0.0.1", false},
      {"not-an-ip", "10.0.0.1", false},
      {"10.0.0.1", "not-an-ip", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ip_matches(c.pattern, c.address), c.matches) << c.pattern << " vs " << c.address;
  }
}

TEST(TreeAcl, AclAllows) {
  const AuthContext nobody;
  const AuthContext alice = digest_auth("alice:pw");
  const AuthContext bob = digest_auth("bob:pw2");
  const AuthContext lan{{Id{"ip", "192.168.1.20"}}, false};
  const AuthContext super{{}, true};
  const Acl alice_rw = acl_entry(perm::kRead | perm::kWrite, "digest", digest_id("alice:pw"));
  const Acl lan_read = acl_entry(perm::kRead, "ip", "192.168.1.0/24");
  const AclList acl = {alice_rw, lan_read};

  EXPECT_TRUE(acl_allows(acl, perm::kRead, alice));
  EXPECT_TRUE(acl_allows(acl, perm::kWrite, alice));
  EXPECT_FALSE(acl_allows(acl, perm::kDelete, alice));
  EXPECT_FALSE(acl_allows(acl, perm::kRead, bob));
  EXPECT_TRUE(acl_allows(acl, perm::kRead, lan));
  EXPECT_FALSE(acl_allows(acl, perm::kWrite, lan));
  EXPECT_FALSE(acl_allows(acl, perm::kRead, nobody));
  EXPECT_TRUE(acl_allows(acl, perm::kAdmin, super));
  // One granted bit of several wanted is enough (getACL asks READ|ADMIN).
  EXPECT_TRUE(acl_allows(acl, perm::kRead | perm::kAdmin, lan));
  EXPECT_TRUE(acl_allows(open_acl(), perm::kAdmin, nobody));
  EXPECT_FALSE(acl_allows(read_only_acl(), perm::kWrite, nobody));
  EXPECT_TRUE(acl_allows({}, perm::kAll, nobody));  // an empty list grants everything
  // A digest id in the ACL must match exactly: a session's id with the same
  // user and a different hash does not.
  EXPECT_FALSE(acl_allows(acl, perm::kRead, digest_auth("alice:other")));
  // Perms 0 grants nothing even to world:anyone.
  EXPECT_FALSE(acl_allows({acl_entry(0, "world", "anyone")}, perm::kRead, nobody));
}

TEST(TreeAcl, ResolveAclExpandsAuthToTheCreatorsDigestIds) {
  const AuthContext two_users{{Id{"ip", "10.0.0.1"}, Id{"digest", digest_id("alice:pw")},
                               Id{"digest", digest_id("bob:pw2")}},
                              false};
  AclList resolved;
  ASSERT_TRUE(resolve_acl(
      {acl_entry(perm::kRead, "world", "anyone"), acl_entry(perm::kAll, "auth", "ignored")},
      two_users, resolved));
  EXPECT_EQ(resolved, (AclList{acl_entry(perm::kRead, "world", "anyone"),
                               acl_entry(perm::kAll, "digest", digest_id("alice:pw")),
                               acl_entry(perm::kAll, "digest", digest_id("bob:pw2"))}));

  EXPECT_FALSE(resolve_acl({acl_entry(perm::kAll, "auth", "")},
                           AuthContext{{Id{"ip", "10.0.0.1"}}, false}, resolved));
  EXPECT_FALSE(resolve_acl({}, two_users, resolved));
  ASSERT_TRUE(resolve_acl({acl_entry(perm::kAll, "ip", "10.0.0.0/8")}, {}, resolved));
  EXPECT_EQ(resolved, (AclList{acl_entry(perm::kAll, "ip", "10.0.0.0/8")}));
}

TEST(TreeAcl, ResolveAclDropsRepeatedEntries) {
  // fixupACL's removeDuplicates (ZOOKEEPER-1877): equal entries are kept once,
  // in first-seen order; entries that differ in perms are not equal.
  AclList resolved;
  const Acl world_all = acl_entry(perm::kAll, "world", "anyone");
  const Acl world_read = acl_entry(perm::kRead, "world", "anyone");
  const Acl ip = acl_entry(perm::kAll, "ip", "10.0.0.1");
  ASSERT_TRUE(resolve_acl({world_all, ip, world_all, world_read, ip}, {}, resolved));
  EXPECT_EQ(resolved, (AclList{world_all, ip, world_read}));
}

// --- ACLs through the pipeline ----------------------------------------------------

TEST(TreeAcl, AuthSchemeGivesTheNodeToItsCreator) {
  TreeHarness h;
  const SessionId alice = h.open_session(digest_auth("alice:pw"));
  const SessionId bob = h.open_session(digest_auth("bob:pw2"));
  const SessionId anonymous = h.open_session();
  const ApplyResult created = h.run(
      alice, create_op("/mine", "x", CreateMode::kPersistent, {acl_entry(perm::kAll, "auth", "")}));
  ASSERT_EQ(created.error, ErrorCode::kOk);
  EXPECT_EQ(h.state().tree().find("/mine")->acl(),
            (AclList{acl_entry(perm::kAll, "digest", "alice:V55/p2T0OpjQ+low3NVAH4aLvm0=")}));

  EXPECT_EQ(h.error(bob, set_data_op("/mine", "y")), ErrorCode::kNoAuth);
  EXPECT_EQ(h.error(anonymous, set_data_op("/mine", "y")), ErrorCode::kNoAuth);
  EXPECT_EQ(h.state().get_data("/mine", digest_auth("bob:pw2")).error, ErrorCode::kNoAuth);
  EXPECT_EQ(h.error(alice, set_data_op("/mine", "z")), ErrorCode::kOk);
  EXPECT_EQ(h.state().get_data("/mine", digest_auth("alice:pw")).data, "z");
  EXPECT_EQ(h.error(bob, create_op("/mine/kid")), ErrorCode::kNoAuth);
  EXPECT_EQ(h.error(alice, create_op("/mine/kid")), ErrorCode::kOk);
  EXPECT_EQ(h.error(bob, delete_op("/mine/kid")), ErrorCode::kNoAuth);
  EXPECT_EQ(h.error(alice, delete_op("/mine/kid")), ErrorCode::kOk);
  // setACL with auth, by someone with ADMIN, hands the node over.
  const SessionId super = h.open_session(AuthContext{{Id{"digest", digest_id("bob:pw2")}}, true});
  ASSERT_EQ(h.error(super, set_acl_op("/mine", {acl_entry(perm::kAll, "auth", "")})),
            ErrorCode::kOk);
  EXPECT_EQ(h.error(bob, set_data_op("/mine", "bob's")), ErrorCode::kOk);
  EXPECT_EQ(h.error(alice, set_data_op("/mine", "alice's")), ErrorCode::kNoAuth);
}

TEST(TreeAcl, IpAclGrantsBySubnet) {
  TreeHarness h;
  const SessionId inside = h.open_session(AuthContext{{Id{"ip", "10.1.2.3"}}, false});
  const SessionId outside = h.open_session(AuthContext{{Id{"ip", "11.1.2.3"}}, false});
  const SessionId inside_v6 = h.open_session(AuthContext{{Id{"ip", "2001:db8::7"}}, false});
  ASSERT_EQ(h.error(inside, create_op("/lan", "", CreateMode::kPersistent,
                                      {acl_entry(perm::kAll, "ip", "10.0.0.0/8"),
                                       acl_entry(perm::kAll, "ip", "2001:db8::/32")})),
            ErrorCode::kOk);
  EXPECT_EQ(h.error(inside, set_data_op("/lan", "a")), ErrorCode::kOk);
  EXPECT_EQ(h.error(inside_v6, set_data_op("/lan", "b")), ErrorCode::kOk);
  EXPECT_EQ(h.error(outside, set_data_op("/lan", "c")), ErrorCode::kNoAuth);
  EXPECT_EQ(h.stat("/lan").version, 2);
}

TEST(TreeAcl, RepeatedEntriesAreStoredOnce) {
  TreeHarness h;
  const SessionId s = h.open_session(digest_auth("alice:pw"));
  const Acl world_all = acl_entry(perm::kAll, "world", "anyone");
  ASSERT_EQ(h.error(s, create_op("/d", "", CreateMode::kPersistent, {world_all, world_all})),
            ErrorCode::kOk);
  EXPECT_EQ(h.state().tree().find("/d")->acl(), AclList{world_all});
  ASSERT_EQ(h.error(s, set_acl_op("/d", {world_all, world_all, world_all})), ErrorCode::kOk);
  EXPECT_EQ(h.state().tree().find("/d")->acl(), AclList{world_all});
}

TEST(TreeAcl, GetAclHidesDigestHashesFromReadersWithoutAdmin) {
  // FinalRequestProcessor: getACL needs READ or ADMIN; without ADMIN each
  // digest id is answered as "user:x".
  TreeHarness h;
  const SessionId s = h.open_session();
  const AclList acl = {acl_entry(perm::kRead, "world", "anyone"),
                       acl_entry(perm::kAll, "digest", digest_id("alice:pw")),
                       acl_entry(perm::kRead, "ip", "10.0.0.0/8")};
  ASSERT_EQ(h.error(s, create_op("/n", "", CreateMode::kPersistent, acl)), ErrorCode::kOk);

  const ReadResult as_admin = h.state().get_acl("/n", digest_auth("alice:pw"));
  ASSERT_EQ(as_admin.error, ErrorCode::kOk);
  EXPECT_EQ(as_admin.acl, acl);
  EXPECT_EQ(h.state().get_acl("/n", AuthContext{{}, true}).acl, acl);

  const ReadResult as_reader = h.state().get_acl("/n", AuthContext{});
  ASSERT_EQ(as_reader.error, ErrorCode::kOk);
  EXPECT_EQ(as_reader.acl, (AclList{acl_entry(perm::kRead, "world", "anyone"),
                                    acl_entry(perm::kAll, "digest", "alice:x"),
                                    acl_entry(perm::kRead, "ip", "10.0.0.0/8")}));
  EXPECT_EQ(as_reader.stat, h.stat("/n"));
}

}  // namespace
}  // namespace warden::store
