// Helpers shared by the libFuzzer targets: invariant checks that abort (so libFuzzer keeps the
// input), compression of the fuzzer's bytes, and NaN-aware float comparison.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "tessera/data/byte_source.h"

namespace tessera::fuzz {

// Aborts with a message when an invariant fails; libFuzzer then saves the input as a crash.
#define FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                   \
      std::fprintf(stderr, "\n");                                                          \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

// With TESSERA_FUZZ_VERBOSE set, the targets print why an input was rejected (for reproducers).
inline void Note(const std::string& message) {
  static const bool verbose = std::getenv("TESSERA_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "tessera: %s\n", message.c_str());
}

// Same bits, or both NaN.
inline bool SameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

// A gzip member holding `in` (zlib's deflate with the gzip wrapper).
inline std::string Gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// One zstd frame holding `in`.
inline std::string Zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

// How the text readers' targets present the fuzzer's bytes (2 bits of the options byte):
// as they are, compressed by the harness (valid gzip/zstd, so the decoders' block boundaries are
// exercised with real text), or as they are but named .gz (the gzip decoder on arbitrary bytes).
struct Packed {
  std::string name_suffix;
  std::string bytes;
  data::Compression compression;
};
inline Packed Pack(unsigned mode, std::string_view text) {
  switch (mode & 3) {
    case 1:
      return {".gz", Gzip(text), data::Compression::kGzip};
    case 2:
      return {".zst", Zstd(text), data::Compression::kZstd};
    case 3:
      return {".gz", std::string(text), data::Compression::kGzip};
    default:
      return {"", std::string(text), data::Compression::kNone};
  }
}

}  // namespace tessera::fuzz
