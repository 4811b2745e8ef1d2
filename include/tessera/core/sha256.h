// SHA-256 (FIPS 180-4), for content-addressed artifacts and data fingerprints. Incremental:
// Update() any number of times, then Finish() for the 64-character lowercase hex digest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tessera/core/status.h"

namespace tessera {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view text) { Update(text.data(), text.size()); }
  // The hex digest; the object must not be updated afterwards.
  std::string Finish();

 private:
  void Block(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string Sha256Hex(std::string_view data);
// The digest of a file's bytes, read in blocks.
Result<std::string> Sha256File(const std::string& path);

}  // namespace tessera
