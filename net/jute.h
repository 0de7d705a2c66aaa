// Jute, the binary record encoding of ZooKeeper's client protocol, and the
// machinery every record codec here is built from.
//
// Wire forms (all big-endian): int = 4 bytes, long = 8, bool = 1 byte (any
// non-zero byte reads as true, as Java's readBoolean does); buffer and ustring
// = int length then the bytes, -1 meaning null; vector = int count then the
// elements, -1 meaning null; a record = its fields in order, nothing around
// them. Warden keeps no null data, so null reads as empty and empty is what
// gets written.
//
// JuteReader never reads past its input: a short or malformed input turns it
// failed (with a message naming the offset), and a declared length or count
// is checked against the bytes left before anything is allocated. A record
// that is just its fields in order declares them once (jute_fields() below)
// and gets both directions from that list, so the two cannot disagree.
//
// Sans-IO. Used by jute_records.h, jute_frame.h, jute_messages.h, the client
// server in net/ and Warden's own client.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace warden::net {

// ZooKeeper's default jute.maxbuffer (0xfffff): the largest frame a server
// accepts, and the default limit of FrameDecoder.
inline constexpr int32_t kDefaultMaxBuffer = 0xfffff;

class JuteReader {
 public:
  // The reader keeps a view of `in`: the bytes must outlive it.
  explicit JuteReader(std::string_view in) : in_(in) {}
  explicit JuteReader(std::string&&) = delete;  // would dangle at once

  // After a failure every read returns 0/false/empty and consumes nothing.
  int32_t int32();
  int64_t int64();
  bool boolean();
  // buffer and ustring share one wire form. The bytes of a ustring are not
  // checked for UTF-8: ZooKeeper's reader does not reject bad sequences
  // either, and paths are validated where they are used.
  std::string buffer();
  // A vector's element count (null reads as 0). Fails if the count is below
  // -1 or if `min_element_size` bytes per element would not fit in what is
  // left, so a forged count cannot make the caller allocate.
  size_t vector_count(size_t min_element_size);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t offset() const { return offset_; }
  // 0 once failed, so loops over "what is left" stop.
  size_t remaining() const { return ok() ? in_.size() - offset_ : 0; }
  // The first failure is the one reported.
  void fail(std::string message);

 private:
  uint64_t fixed(size_t size, const char* what);
  std::string_view in_;
  size_t offset_ = 0;
  std::string error_;
};

class JuteWriter {
 public:
  explicit JuteWriter(std::string& out) : out_(out) {}
  void int32(int32_t v) { put(static_cast<uint32_t>(v), 4); }
  void int64(int64_t v) { put(static_cast<uint64_t>(v), 8); }
  void boolean(bool v) { out_.push_back(v ? 1 : 0); }
  void buffer(std::string_view v);
  void vector_count(size_t count);

 private:
  void put(uint64_t v, size_t size);
  std::string& out_;
};

// The value a decode produced, or why the bytes were not one.
template <class T>
class Decoded {
 public:
  Decoded(T value) : value_(std::move(value)) {}  // NOLINT: implicit, so decoders can return a T
  static Decoded failure(std::string error) {
    Decoded decoded;
    decoded.error_ = error.empty() ? "malformed input" : std::move(error);
    return decoded;
  }
  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  const std::string& error() const { return error_; }

 private:
  Decoded() = default;
  std::optional<T> value_;
  std::string error_;
};

// ---- Records as field lists ----------------------------------------------
//
// A record type R says which members it has on the wire, in order, with
//   static constexpr auto jute_fields() { return std::tuple{&R::a, &R::b}; }
// Types this module cannot change (store::Stat, store::Acl, store::Id)
// specialize JuteFields instead. Member types may be int32_t, int64_t, bool,
// std::string, enums over int32_t, std::vector of any of these or of records,
// other records, and std::optional<bool> as a last field that old peers omit
// (read only if bytes are left, written only if set).

template <class T>
struct JuteFields {};

template <class T>
concept HasJuteFields = requires {
  T::jute_fields();
};

template <HasJuteFields T>
struct JuteFields<T> {
  static constexpr auto list() { return T::jute_fields(); }
};

template <class T>
concept JuteRecord = requires {
  JuteFields<T>::list();
};

template <class T>
concept JuteEnum = std::is_enum_v<T> && std::is_same_v<std::underlying_type_t<T>, int32_t>;

template <class T>
struct IsJuteVector : std::false_type {};
template <class T>
struct IsJuteVector<std::vector<T>> : std::true_type {};

template <class M>
struct JuteMemberType;
template <class C, class V>
struct JuteMemberType<V C::*> {
  using type = V;
};

// The fewest bytes a value of type T takes on the wire (custom records: 1).
template <class T>
constexpr size_t jute_min_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (std::is_same_v<T, int32_t> || JuteEnum<T>) {
    return 4;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return 8;
  } else if constexpr (std::is_same_v<T, std::string> || IsJuteVector<T>::value) {
    return 4;
  } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
    return 0;
  } else if constexpr (JuteRecord<T>) {
    return std::apply(
        [](auto... member) {
          return (size_t{0} + ... +
                  jute_min_size<typename JuteMemberType<decltype(member)>::type>());
        },
        JuteFields<T>::list());
  } else {
    return 1;
  }
}

// Reading one field. Calls inside templates are unqualified so that overloads
// for records declared later (found by argument-dependent lookup in this
// namespace) take part.
inline void read_field(JuteReader& reader, int32_t& v) {
  v = reader.int32();
}
inline void read_field(JuteReader& reader, int64_t& v) {
  v = reader.int64();
}
inline void read_field(JuteReader& reader, bool& v) {
  v = reader.boolean();
}
inline void read_field(JuteReader& reader, std::string& v) {
  v = reader.buffer();
}
inline void read_field(JuteReader&, std::monostate&) {}
inline void read_field(JuteReader& reader, std::optional<bool>& v) {
  if (reader.remaining() == 0) {
    v.reset();
  } else {
    v = reader.boolean();
  }
}
template <JuteEnum E>
void read_field(JuteReader& reader, E& v) {
  v = static_cast<E>(reader.int32());
}
template <class T>
void read_field(JuteReader& reader, std::vector<T>& v) {
  const size_t count = reader.vector_count(jute_min_size<T>());
  v.clear();
  v.reserve(count);  // bounded by the bytes left: vector_count checked it
  for (size_t i = 0; i < count && reader.ok(); ++i) read_field(reader, v.emplace_back());
  if (!reader.ok()) v.clear();
}
template <JuteRecord T>
void read_field(JuteReader& reader, T& record) {
  std::apply([&](auto... member) { (read_field(reader, record.*member), ...); },
             JuteFields<T>::list());
}

inline void write_field(JuteWriter& writer, int32_t v) {
  writer.int32(v);
}
inline void write_field(JuteWriter& writer, int64_t v) {
  writer.int64(v);
}
inline void write_field(JuteWriter& writer, bool v) {
  writer.boolean(v);
}
inline void write_field(JuteWriter& writer, std::string_view v) {
  writer.buffer(v);
}
inline void write_field(JuteWriter& writer, const std::string& v) {
  writer.buffer(v);
}
inline void write_field(JuteWriter&, std::monostate) {}
inline void write_field(JuteWriter& writer, const std::optional<bool>& v) {
  if (v) writer.boolean(*v);
}
template <JuteEnum E>
void write_field(JuteWriter& writer, E v) {
  writer.int32(static_cast<int32_t>(v));
}
template <class T>
void write_field(JuteWriter& writer, const std::vector<T>& v) {
  writer.vector_count(v.size());
  for (const T& element : v) write_field(writer, element);
}
template <JuteRecord T>
void write_field(JuteWriter& writer, const T& record) {
  std::apply([&](auto... member) { (write_field(writer, record.*member), ...); },
             JuteFields<T>::list());
}
// A variant writes the alternative it holds (std::monostate: nothing).
template <class... Ts>
void write_field(JuteWriter& writer, const std::variant<Ts...>& v) {
  std::visit([&](const auto& alternative) { write_field(writer, alternative); }, v);
}

// ---- Variants chosen by a type code -----------------------------------------

// The index of T among the alternatives of variant V.
template <class T, class V>
struct JuteAlternative;
template <class T, class... Ts>
struct JuteAlternative<T, std::variant<Ts...>> {
  static constexpr size_t index = [] {
    constexpr bool same[] = {std::is_same_v<T, Ts>...};
    for (size_t i = 0; i < sizeof...(Ts); ++i) {
      if (same[i]) return i;
    }
    return sizeof...(Ts);
  }();
  static_assert(index < sizeof...(Ts), "not an alternative of the variant");
};
template <class T, class V>
inline constexpr size_t kJuteAlternative = JuteAlternative<T, V>::index;

// Makes `v` hold its alternative number `index` and reads that from `reader`.
template <class... Ts>
void read_alternative(JuteReader& reader, std::variant<Ts...>& v, size_t index) {
  assert(index < sizeof...(Ts));
  // One arm per alternative, each void, so no value is computed and dropped.
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((I == index ? read_field(reader, v.template emplace<I>()) : void()), ...);
  }
  (std::index_sequence_for<Ts...>{});
}

// ---- Whole records ------------------------------------------------------------

template <class T>
std::string encode(const T& record) {
  std::string out;
  JuteWriter writer(out);
  write_field(writer, record);
  return out;
}

// Decodes a T from the start of `bytes`. Bytes after the record are ignored,
// as ZooKeeper ignores them (see ConnectRequest's optional last field).
template <class T>
Decoded<T> decode(std::string_view bytes) {
  JuteReader reader(bytes);
  T record{};
  read_field(reader, record);
  if (!reader.ok()) return Decoded<T>::failure(reader.error());
  return record;
}

}  // namespace warden::net
