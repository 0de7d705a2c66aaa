#include "net/client_stats.h"

#include <algorithm>

namespace warden::net {

std::string_view close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::kClientGone:
      return "client_gone";
    case CloseReason::kBadFrame:
      return "bad_frame";
    case CloseReason::kMalformedRequest:
      return "malformed_request";
    case CloseReason::kUnknownRequestType:
      return "unknown_request_type";
    case CloseReason::kZxidAhead:
      return "zxid_ahead";
    case CloseReason::kSessionExpired:
      return "session_expired";
    case CloseReason::kSessionMoved:
      return "session_moved";
    case CloseReason::kSessionClosed:
      return "session_closed";
    case CloseReason::kSessionNotCreated:
      return "session_not_created";
    case CloseReason::kNoLeader:
      return "no_leader";
    case CloseReason::kAuthFailed:
      return "auth_failed";
    case CloseReason::kTooManyConnections:
      return "too_many_connections";
    case CloseReason::kCount:
      break;
  }
  return "unknown";
}

void LatencyStats::add(int64_t latency_ms) {
  latency_ms = std::max<int64_t>(latency_ms, 0);  // the wall clock may step back
  min_ms = count == 0 ? latency_ms : std::min(min_ms, latency_ms);
  max_ms = std::max(max_ms, latency_ms);
  total_ms += latency_ms;
  ++count;
}

std::string_view operation_short_name(store::OpCode op) {
  using store::OpCode;
  switch (op) {
    case OpCode::kNotification:
      return "NOTI";
    case OpCode::kCreate:
      return "CREA";
    case OpCode::kDelete:
      return "DELE";
    case OpCode::kExists:
      return "EXIS";
    case OpCode::kGetData:
      return "GETD";
    case OpCode::kSetData:
      return "SETD";
    case OpCode::kGetAcl:
      return "GETA";
    case OpCode::kSetAcl:
      return "SETA";
    case OpCode::kGetChildren:
      return "GETC";
    case OpCode::kSync:
      return "SYNC";
    case OpCode::kPing:
      return "PING";
    case OpCode::kGetChildren2:
      return "GETC";
    case OpCode::kCheck:
      return "CHEC";
    case OpCode::kMulti:
      return "MULT";
    case OpCode::kCreate2:
      return "CREA";
    case OpCode::kReconfig:
      return "RCFG";
    case OpCode::kCheckWatches:
      return "CHKW";
    case OpCode::kRemoveWatches:
      return "REMW";
    case OpCode::kCreateContainer:
      return "CCON";
    case OpCode::kDeleteContainer:
      return "DCON";
    case OpCode::kCreateTtl:
      return "CTTL";
    case OpCode::kMultiRead:
      return "MLTR";
    case OpCode::kAuth:
      return "AUTH";
    case OpCode::kSetWatches:
      return "SETW";
    case OpCode::kSasl:
      return "SASL";
    case OpCode::kGetEphemerals:
      return "GETE";
    case OpCode::kGetAllChildrenNumber:
      return "GETACN";
    case OpCode::kSetWatches2:
      return "STW2";
    case OpCode::kAddWatch:
      return "ADDW";
    case OpCode::kWhoAmI:
      return "HOMI";
    case OpCode::kCreateSession:
      return "SESS";
    case OpCode::kCloseSession:
      return "CLOS";
    case OpCode::kError:
      return "ERR";
  }
  return "NA";
}

}  // namespace warden::net
