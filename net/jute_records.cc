#include "net/jute_records.h"

#include <cassert>

namespace warden::net {

using store::OpCode;

std::optional<size_t> multi_op_alternative(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
    case OpCode::kCreate2:
    case OpCode::kCreateContainer:
      return kJuteAlternative<CreateRequest, MultiOpRecord>;
    case OpCode::kCreateTtl:
      return kJuteAlternative<CreateTtlRequest, MultiOpRecord>;
    case OpCode::kDelete:
      return kJuteAlternative<DeleteRequest, MultiOpRecord>;
    case OpCode::kSetData:
      return kJuteAlternative<SetDataRequest, MultiOpRecord>;
    case OpCode::kCheck:
      return kJuteAlternative<CheckVersionRequest, MultiOpRecord>;
    case OpCode::kGetChildren:
      return kJuteAlternative<GetChildrenRequest, MultiOpRecord>;
    case OpCode::kGetData:
      return kJuteAlternative<GetDataRequest, MultiOpRecord>;
    default:
      return std::nullopt;
  }
}

bool is_multi_read_op(OpCode type) {
  return type == OpCode::kGetChildren || type == OpCode::kGetData;
}

std::optional<size_t> multi_result_alternative(OpCode type) {
  switch (type) {
    case OpCode::kCreate:
      return kJuteAlternative<CreateResponse, MultiResultRecord>;
    case OpCode::kCreate2:
      return kJuteAlternative<Create2Response, MultiResultRecord>;
    case OpCode::kDelete:
    case OpCode::kCheck:
      return kJuteAlternative<std::monostate, MultiResultRecord>;
    case OpCode::kSetData:
      return kJuteAlternative<SetDataResponse, MultiResultRecord>;
    case OpCode::kGetChildren:
      return kJuteAlternative<GetChildrenResponse, MultiResultRecord>;
    case OpCode::kGetData:
      return kJuteAlternative<GetDataResponse, MultiResultRecord>;
    case OpCode::kError:
      return kJuteAlternative<ErrorResponse, MultiResultRecord>;
    default:
      return std::nullopt;
  }
}

namespace {

std::string type_name(OpCode type) {
  return std::to_string(static_cast<int32_t>(type));
}

// Reads headers and their records until the header marked done. Every pass
// consumes at least a header's 9 bytes, so a hostile list ends with the input.
template <class Item, class Alternative>
void read_multi_list(JuteReader& reader, std::vector<Item>& items, Alternative alternative,
                     const char* what) {
  items.clear();
  while (reader.ok()) {
    MultiHeader header;
    read_field(reader, header);
    if (!reader.ok() || header.done) return;
    const std::optional<size_t> index = alternative(header.type);
    if (!index) {
      reader.fail(std::string("invalid op type ") + type_name(header.type) + " in " + what);
      return;
    }
    Item& item = items.emplace_back();
    item.type = header.type;
    read_alternative(reader, item.record, *index);
  }
}

// The terminator both lists end with: type -1, done, err -1.
void write_multi_end(JuteWriter& writer) {
  write_field(writer, MultiHeader{});
}

}  // namespace

void read_field(JuteReader& reader, MultiRequest& multi) {
  read_multi_list(reader, multi.ops, multi_op_alternative, "multi request");
  if (!reader.ok()) {
    multi.ops.clear();
    return;
  }
  // ZooKeeper's MultiOperationRecord refuses a list of both kinds.
  for (const MultiOp& op : multi.ops) {
    if (is_multi_read_op(op.type) != is_multi_read_op(multi.ops.front().type)) {
      reader.fail("multi request mixes read and write ops");
      multi.ops.clear();
      return;
    }
  }
}

void write_field(JuteWriter& writer, const MultiRequest& multi) {
  for (const MultiOp& op : multi.ops) {
    // A record that does not match its type would decode as something else.
    assert(multi_op_alternative(op.type) == op.record.index());
    write_field(writer, MultiHeader{op.type, false, -1});
    write_field(writer, op.record);
  }
  write_multi_end(writer);
}

void read_field(JuteReader& reader, MultiResponse& multi) {
  // As ZooKeeper's client does, the header's err is not read: an error
  // result carries its code in the ErrorResponse that follows.
  read_multi_list(reader, multi.results, multi_result_alternative, "multi response");
  if (!reader.ok()) multi.results.clear();
}

void write_field(JuteWriter& writer, const MultiResponse& multi) {
  for (const MultiResult& result : multi.results) {
    assert(multi_result_alternative(result.type) == result.record.index());
    const auto* error = std::get_if<ErrorResponse>(&result.record);
    const int32_t err = error ? static_cast<int32_t>(error->err) : 0;
    write_field(writer, MultiHeader{result.type, false, err});
    write_field(writer, result.record);
  }
  write_multi_end(writer);
}

}  // namespace warden::net
