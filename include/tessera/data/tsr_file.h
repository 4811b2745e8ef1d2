// The .tsr binary cache: a BinnedDataset on disk, so that a table parsed once loads in a blink.
//
// Layout: a 16-byte head ("TSRCACHE", u32 format version, u32 zero), then zstd frames (each
// with zstd's content checksum) of the cell matrix, labels, weights and group ids, then a JSON
// footer (schema, bin mappers, row count and every block's offset and sizes), then a 32-byte trailer (u64 footer
// offset, u64 footer length, u32 footer CRC-32, u32 format version, "TSREND\0\0"). The footer at
// the end lets the writer stream blocks without holding them. Every byte is checked on load; a
// foreign, truncated, corrupt or newer file is rejected with its byte offset. Integers are
// little-endian.
#pragma once

#include <string>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"

namespace tessera::data {

constexpr uint32_t kTsrFormatVersion = 1;

// Writes `ds` to `path` atomically (temp file, fsync, rename).
Status SaveTsr(const BinnedDataset& ds, const std::string& path, int threads = 0);
// Loads and verifies a cache file.
Result<BinnedDataset> LoadTsr(const std::string& path, int threads = 0);
// Same, from bytes in memory (tests and the fuzzer); `name` is used in messages.
Result<BinnedDataset> LoadTsrFromMemory(const std::string& name, const std::string& bytes, int threads = 0);

}  // namespace tessera::data
