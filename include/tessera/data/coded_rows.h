// Coded rows: the raw values of a table's features, one float per feature in a reference's
// feature order, for models that need values rather than bins (the linear family). Numeric,
// boolean and datetime features keep their value (NaN = missing); a categorical feature's value is
// its code in the reference's BinMapper: 0 missing, 1..m the categories, m+1 the rare bucket
// (rare or never-seen categories). Memory: rows x features floats.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/ingest.h"

namespace tessera::data {

struct CodedRows {
  size_t rows = 0, cols = 0;
  std::vector<float> values;  // rows x cols, row-major
};

// Reads the feature values of `inputs` (CSV or LibSVM, as IngestWithReference reads them: columns
// matched by name) in file order.
Result<CodedRows> ReadCodedRows(const std::vector<std::string>& inputs, const IngestOptions& options,
                                const BinnedDataset& reference);

// Codes rows held in memory as numbers, as a model's PredictValues takes them (see
// data::BinFloatRows: a categorical value stands for the category written as that number).
CodedRows CodeFloatRows(const BinnedDataset& reference, const float* values, size_t rows);

// The given rows of `rows`, in that order (each below rows.rows).
CodedRows SelectCodedRows(const CodedRows& rows, const std::vector<size_t>& which);

}  // namespace tessera::data
