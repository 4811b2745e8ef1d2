// libFuzzer target for the .tsr cache loader (LoadTsrFromMemory).
//
// Input: byte 0 picks a repair mode, the rest is the file. The footer carries a CRC-32 and every
// block is a zstd frame with a content checksum, which random mutations almost never keep right,
// so most mutants would stop at the first checksum. The harness can repair them first, letting
// the fuzzer reach the footer's JSON checks, the allocations sized by the footer, the blocks and
// the cell checks:
//   byte 0 % 3 == 0  the bytes as they are
//   byte 0 % 3 == 1  the footer CRC in the trailer recomputed
//   byte 0 % 3 == 2  every block's stored bytes taken as its content and framed afresh, the
//                    footer re-serialised with the new sizes, the trailer rewritten
//
// Oracles, besides ASan/UBSan: a dataset that loads is consistent (sizes, feature columns, every
// cell a bin its feature has).
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_util.h"
#include "tessera/data/tsr_file.h"

namespace {

using namespace tessera;
using namespace tessera::data;

constexpr size_t kHead = 16, kTrailer = 32;

uint64_t GetLE(const std::string& s, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}
void PutLE(std::string* s, size_t at, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) (*s)[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint32_t Crc(const void* p, size_t n) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), static_cast<const Bytef*>(p), static_cast<uInt>(n)));
}

// The footer's position, when the trailer names one inside the file.
bool FooterSpan(const std::string& f, uint64_t* offset, uint64_t* len) {
  if (f.size() < kHead + kTrailer) return false;
  *offset = GetLE(f, f.size() - kTrailer, 8);
  *len = GetLE(f, f.size() - kTrailer + 8, 8);
  return *offset >= kHead && *len <= f.size() - kHead - kTrailer &&
         *offset <= f.size() - kTrailer - *len;
}

void FixFooterCrc(std::string* f) {
  uint64_t offset, len;
  if (!FooterSpan(*f, &offset, &len)) return;
  PutLE(f, f->size() - kTrailer + 16, Crc(f->data() + offset, len), 4);
}

// Rewrites every block as a fresh zstd frame (with checksum) whose content is the block's stored
// bytes, so that mutations of those bytes reach the loader as mutated cells, labels and weights.
void ReframeBlocks(std::string* f) {
  uint64_t offset, len;
  if (!FooterSpan(*f, &offset, &len)) return;
  nlohmann::json j =
      nlohmann::json::parse(f->begin() + static_cast<long>(offset),
                            f->begin() + static_cast<long>(offset + len), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sections") || !j["sections"].is_array())
    return;
  std::string out = f->substr(0, kHead);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  for (auto& s : j["sections"]) {
    if (!s.is_object() || !s.contains("blocks") || !s["blocks"].is_array()) continue;
    uint64_t section_raw = 0;
    for (auto& b : s["blocks"]) {
      if (!b.is_object()) continue;
      auto field = [&](const char* k) {
        return b.contains(k) && b[k].is_number_unsigned() ? b[k].get<uint64_t>() : ~uint64_t{0};
      };
      uint64_t at = field("offset"), comp = field("comp");
      if (at > offset || comp > offset - at || comp == 0 || comp > (4u << 20)) continue;
      std::string frame(ZSTD_compressBound(comp), '\0');
      size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), f->data() + at, comp);
      if (ZSTD_isError(n)) continue;
      b["offset"] = out.size();
      b["comp"] = n;
      b["raw"] = comp;
      section_raw += comp;
      out.append(frame.data(), n);
    }
    s["raw_bytes"] = section_raw;
  }
  ZSTD_freeCCtx(cctx);
  std::string footer = j.dump();
  const uint64_t footer_offset = out.size();
  out += footer + f->substr(f->size() - kTrailer);
  PutLE(&out, out.size() - kTrailer, footer_offset, 8);
  PutLE(&out, out.size() - kTrailer + 8, footer.size(), 8);
  PutLE(&out, out.size() - kTrailer + 16, Crc(footer.data(), footer.size()), 4);
  *f = std::move(out);
}

void CheckDataset(const BinnedDataset& ds) {
  const size_t rows = ds.num_rows(), nf = ds.num_features();
  FUZZ_CHECK(ds.bytes_per_cell() == 1 || ds.bytes_per_cell() == 2, "bytes_per_cell %d",
             ds.bytes_per_cell());
  FUZZ_CHECK(ds.cells_bytes() == rows * nf * static_cast<size_t>(ds.bytes_per_cell()),
             "cells_bytes");
  FUZZ_CHECK(ds.feature_columns().size() == nf, "one feature column per mapper");
  for (size_t c : ds.feature_columns())
    FUZZ_CHECK(c < ds.schema().size(), "feature column out of range");
  FUZZ_CHECK(ds.labels().empty() || ds.labels().size() == rows, "labels size");
  FUZZ_CHECK(ds.weights().empty() || ds.weights().size() == rows, "weights size");
  FUZZ_CHECK(ds.groups().empty() || ds.groups().size() == rows, "groups size");
  for (size_t f = 0; f < nf; ++f) {
    const BinMapper& m = ds.mappers()[f];
    FUZZ_CHECK(m.num_bins() >= 2 && m.num_bins() <= 65536, "num_bins %u", m.num_bins());
    if (m.kind() == BinMapper::Kind::kNumeric)
      FUZZ_CHECK(m.thresholds().size() + 2 == m.num_bins(), "thresholds");
    else
      FUZZ_CHECK(m.categories().size() + 2 == m.num_bins(), "categories");
    (void)ds.feature_name(f);
  }
  for (size_t r = 0; nf > 0 && r < rows; ++r)
    for (size_t f = 0; f < nf; ++f)
      FUZZ_CHECK(ds.bin(r, f) < ds.mappers()[f].num_bins(), "cell out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const unsigned mode = data[0] % 3;
  std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 1) FixFooterCrc(&file);
  if (mode == 2) ReframeBlocks(&file);
  auto ds = LoadTsrFromMemory("fuzz.tsr", file, 1);
  if (!ds.ok()) {
    fuzz::Note(ds.status().message());
    FUZZ_CHECK(!ds.status().message().empty(), "error without a message");
    FUZZ_CHECK(ds.status().kind() == ErrorKind::kUser, "a bad file is an internal error: %s",
               ds.status().message().c_str());
    return 0;
  }
  CheckDataset(*ds);
  return 0;
}
