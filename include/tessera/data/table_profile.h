// TableProfile: what one pass over a table learns about each column: counts, missing values,
// range and mean, a quantile sketch of the numbers and the category counts. It is the input to
// binning (BinMapper) and to `tessera describe`. Profiles of shards merge (Merge) in any grouping
// to the same counts and to sketches within their stated error. Observe() uses many threads but
// must be called by one thread at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/bin_mapper.h"
#include "tessera/data/quantile_sketch.h"
#include "tessera/data/table_reader.h"

namespace tessera::data {

struct ColumnProfile {
  uint64_t count = 0;    // non-missing values
  uint64_t missing = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0;
  QuantileSketch sketch{2048, 16384};  // numeric, boolean and datetime columns
  std::unordered_map<std::string, uint64_t, StringHash, std::equal_to<>> categories;  // categorical

  void ObserveNumbers(const std::vector<float>& values);
  void ObserveTexts(const std::vector<std::string_view>& values);
  // Adds `n` zeros at once (LibSVM rows read before this column was first seen).
  void AddZeros(uint64_t n);
  void Merge(const ColumnProfile& other);
  double mean() const { return count ? sum / static_cast<double>(count) : 0; }
  // Category counts sorted by count (descending), then name.
  std::vector<std::pair<std::string, uint64_t>> SortedCategories() const;
};

class TableProfile {
 public:
  explicit TableProfile(int threads = 0) : threads_(threads) {}
  // Folds one chunk in. Columns the chunk has beyond the profile's are added (LibSVM).
  void Observe(const TableChunk& chunk, const Schema& schema);
  void Merge(const TableProfile& other);

  // The profile as bytes (counts, sketch summaries, category counts), for other processes; the
  // profile read back merges as the original would.
  std::string Serialize() const;
  static Result<TableProfile> Deserialize(std::string_view bytes, int threads = 0);

  // Rows of the input, and of them the rows observed (fewer when a sampler was used).
  uint64_t rows() const { return rows_; }
  uint64_t observed_rows() const { return observed_rows_; }
  const std::vector<ColumnProfile>& columns() const { return columns_; }

 private:
  int threads_;
  uint64_t rows_ = 0, observed_rows_ = 0;
  std::vector<ColumnProfile> columns_;
};

// Reads the whole table once, reporting progress on stderr when asked. With a sampler, only the
// rows it keeps are parsed and observed; rows() still counts every row.
Result<TableProfile> ProfileTable(TableReader* reader, int threads, bool progress, const RowSampler* sampler = nullptr);

}  // namespace tessera::data
