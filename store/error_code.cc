#include "store/error_code.h"

namespace warden::store {

const char* error_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk:
      return "OK";
    case ErrorCode::kSystemError:
      return "SYSTEMERROR";
    case ErrorCode::kRuntimeInconsistency:
      return "RUNTIMEINCONSISTENCY";
    case ErrorCode::kDataInconsistency:
      return "DATAINCONSISTENCY";
    case ErrorCode::kConnectionLoss:
      return "CONNECTIONLOSS";
    case ErrorCode::kMarshallingError:
      return "MARSHALLINGERROR";
    case ErrorCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case ErrorCode::kOperationTimeout:
      return "OPERATIONTIMEOUT";
    case ErrorCode::kBadArguments:
      return "BADARGUMENTS";
    case ErrorCode::kUnknownSession:
      return "UNKNOWNSESSION";
    case ErrorCode::kNewConfigNoQuorum:
      return "NEWCONFIGNOQUORUM";
    case ErrorCode::kReconfigInProgress:
      return "RECONFIGINPROGRESS";
    case ErrorCode::kApiError:
      return "APIERROR";
    case ErrorCode::kNoNode:
      return "NONODE";
    case ErrorCode::kNoAuth:
      return "NOAUTH";
    case ErrorCode::kBadVersion:
      return "BADVERSION";
    case ErrorCode::kNoChildrenForEphemerals:
      return "NOCHILDRENFOREPHEMERALS";
    case ErrorCode::kNodeExists:
      return "NODEEXISTS";
    case ErrorCode::kNotEmpty:
      return "NOTEMPTY";
    case ErrorCode::kSessionExpired:
      return "SESSIONEXPIRED";
    case ErrorCode::kInvalidCallback:
      return "INVALIDCALLBACK";
    case ErrorCode::kInvalidAcl:
      return "INVALIDACL";
    case ErrorCode::kAuthFailed:
      return "AUTHFAILED";
    case ErrorCode::kSessionMoved:
      return "SESSIONMOVED";
    case ErrorCode::kNotReadOnly:
      return "NOTREADONLY";
    case ErrorCode::kEphemeralOnLocalSession:
      return "EPHEMERALONLOCALSESSION";
    case ErrorCode::kNoWatcher:
      return "NOWATCHER";
    case ErrorCode::kRequestTimeout:
      return "REQUESTTIMEOUT";
    case ErrorCode::kReconfigDisabled:
      return "RECONFIGDISABLED";
    case ErrorCode::kSessionClosedRequireSaslAuth:
      return "SESSIONCLOSEDREQUIRESASLAUTH";
    case ErrorCode::kQuotaExceeded:
      return "QUOTAEXCEEDED";
    case ErrorCode::kThrottledOp:
      return "THROTTLEDOP";
  }
  return "UNKNOWN";
}

}  // namespace warden::store
