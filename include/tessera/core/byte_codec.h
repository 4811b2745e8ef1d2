// ByteWriter / ByteReader: a plain binary encoding (native little-endian numbers, length-prefixed
// strings) for summaries that processes exchange (quantile sketches, profiles). Not a file
// format: both ends run the same build. The reader checks every length against what is left and
// reports a cut-short or malformed buffer as an error. Plain values; not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "tessera/core/status.h"

namespace tessera {

class ByteWriter {
 public:
  template <typename T>
  void Put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    bytes_.append(s);
  }
  const std::string& bytes() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  // `what` names the buffer in error messages.
  ByteReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}
  template <typename T>
  Result<T> Get() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (bytes_.size() - at_ < sizeof(T)) return CutShort();
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }
  Result<std::string> GetString() {
    TESSERA_ASSIGN_OR_RETURN(uint64_t n, Get<uint64_t>());
    if (bytes_.size() - at_ < n) return CutShort();
    std::string s(bytes_.substr(at_, n));
    at_ += n;
    return s;
  }
  // Checks that n more items of `item_bytes` each can be in what is left (before allocating them).
  Status CheckRoom(uint64_t n, size_t item_bytes) const {
    if (item_bytes > 0 && n > (bytes_.size() - at_) / item_bytes) return CutShort();
    return Status::Ok();
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  Status CutShort() const { return Status::Internal(what_ + ": buffer cut short at byte " + std::to_string(at_)); }
  std::string_view bytes_;
  size_t at_ = 0;
  std::string what_;
};

}  // namespace tessera
