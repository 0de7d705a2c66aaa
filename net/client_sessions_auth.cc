// ClientSessions: who a connection is. addauth (ZooKeeper's
// DigestAuthenticationProvider and IPAuthenticationProvider, the two a
// server has by default) and whoAmI. Every connection starts as ip:<its
// address>; each successful digest addauth adds digest:user:base64(sha1).
#include <algorithm>

#include "net/client_sessions.h"

namespace warden::net {

namespace {

void add_id(store::AuthContext& auth, store::Id id) {
  if (std::find(auth.ids.begin(), auth.ids.end(), id) == auth.ids.end()) {
    auth.ids.push_back(std::move(id));
  }
}

}  // namespace

void ClientSessions::handle_auth(Connection& c, int32_t xid, const AuthPacket& packet) {
  if (packet.scheme == "digest") {
    const std::string id = store::digest_id(packet.auth);
    if (config_.super_digest && id == *config_.super_digest) {
      c.auth.is_super = true;
      add_id(c.auth, store::Id{"super", ""});
    }
    add_id(c.auth, store::Id{"digest", id});
  } else if (packet.scheme != "ip") {  // ip: the address the connection already holds
    send_frame(c, encode_frame(ReplyHeader{xid, 0, store::ErrorCode::kAuthFailed}));
    close_connection(c, CloseReason::kAuthFailed,
                     "no provider for scheme \"" + packet.scheme + "\"");
    return;
  }
  send_frame(c, encode_frame(ReplyHeader{xid, 0, store::ErrorCode::kOk}));
}

// AuthUtil.getClientInfos: a digest id shows its user name, others their id.
WhoAmIResponse ClientSessions::who_am_i(const store::AuthContext& auth) const {
  WhoAmIResponse response;
  for (const store::Id& id : auth.ids) {
    const std::string user = id.scheme == "digest" ? id.id.substr(0, id.id.find(':')) : id.id;
    response.client_info.push_back(ClientInfo{id.scheme, user});
  }
  return response;
}

}  // namespace warden::net
