// Ingest: turns input files (CSV/TSV, LibSVM, compressed or not, one file, a directory or a glob
// of part files, or a .tsr cache) into a BinnedDataset. Text is read twice, chunk by chunk: the
// first pass counts the rows and profiles a deterministic sample of them (quantile sketches,
// category counts; like LightGBM's bin_construct_sample_cnt, but every row of the sample goes
// through a mergeable sketch), skipping the parse of the other rows; the second pass parses every
// row and bins it straight into a matrix allocated once at its final size. Memory stays at the
// binned matrix plus a chunk however large the files are.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/table_profile.h"
#include "tessera/data/table_reader.h"

namespace tessera::data {

struct IngestOptions {
  ReadOptions read;
  SchemaOptions schema;
  int max_bin = kDefaultMaxBin;
  uint64_t min_category_count = 1;  // rarer categories go to the rare bucket
  uint64_t bin_sample_rows = 200000;  // rows sampled to choose bins; 0 = every row
  uint64_t seed = 0;                  // seed of the row sample
  bool progress = false;            // progress lines on stderr
};

// Opens the inputs as a table with the user's schema overrides applied.
Result<std::unique_ptr<TableReader>> OpenTable(const std::vector<std::string>& inputs, const IngestOptions& options);

// The row sampler of the first pass for a table of about `estimated_rows` rows: every row, or a
// power-of-two share holding between bin_sample_rows and twice that many.
RowSampler BinSampler(const IngestOptions& options, double estimated_rows);

// The second pass on its own: parses every row of `reader` and bins it into `out` (allocated with
// exactly the reader's row count), with labels, weights and group ids. Text labels take the ids
// of `label_classes` when given, else ids by name of the classes met.
Status BinAllRows(TableReader* reader, BinnedDataset* out, int threads, bool progress,
                  const std::vector<std::string>* label_classes);

// Bin mappers for the feature columns of a profiled table (schema order).
std::vector<BinMapper> BuildBinMappers(const Schema& schema, const TableProfile& profile, const IngestOptions& options);

// Reads the inputs into a binned training matrix (a .tsr cache is loaded as it is).
Result<BinnedDataset> IngestBinned(const std::vector<std::string>& inputs, const IngestOptions& options);

// Opens new data for reading against `reference` as IngestWithReference does (columns matched by
// name, taking the reference's types and roles); `feature_columns` receives the input column of
// each reference feature.
Result<std::unique_ptr<TableReader>> OpenTableWithReference(const std::vector<std::string>& inputs, const IngestOptions& options,
                                                            const BinnedDataset& reference, bool need_labels,
                                                            std::vector<size_t>* feature_columns);

// Reads new data (validation, test, rows to predict) with the bins, column types and label
// classes of `reference` (the training data or a model's), matching columns by name: features
// the reference has must be present; other columns are ignored. Labels are read when present
// and required when `need_labels`.
Result<BinnedDataset> IngestWithReference(const std::vector<std::string>& inputs, const IngestOptions& options,
                                          const BinnedDataset& reference, bool need_labels);

}  // namespace tessera::data
