// Synthetic tables for benchmarks and tests: a HIGGS-like physics table (21 "low-level" kinematic
// columns and 7 "high-level" invariant masses derived from them, label from a nonlinear score with
// interactions), optionally with categorical columns and missing values. Deterministic: the same
// options give the same bytes for any thread count (each row draws from its own seeded stream).
#pragma once

#include <cstdint>
#include <string>

#include "tessera/core/status.h"

namespace tessera::data {

struct SyntheticOptions {
  uint64_t rows = 100000;
  uint64_t seed = 42;
  bool regression = false;     // label is the score plus noise instead of a 0/1 draw
  int categoricals = 0;        // extra categorical columns cat0.. (cardinality 8, 64, 512, ...)
  double missing_rate = 0.0;   // chance that a feature cell is left empty
  int threads = 0;
};

// Writes the table as CSV (header first, label last) to `path` atomically.
Status WriteSyntheticCsv(const SyntheticOptions& options, const std::string& path);

}  // namespace tessera::data
