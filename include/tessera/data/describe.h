// Describe: per-column statistics of a profiled table, as JSON that `tessera describe` prints as
// a table or as it is. Distinct counts are exact while the column's sketch is exact (few
// distinct values) and for categories; otherwise a lower bound flagged "distinct_exact": false.
#pragma once

#include <nlohmann/json.hpp>

#include "tessera/data/binned_dataset.h"
#include "tessera/data/table_profile.h"

namespace tessera::data {

// {"rows": N, "columns": [{"name", "type", "role", "count", "missing", "min", "max", "mean",
//  "distinct", "distinct_exact", "top": [[value, count], ...]}, ...]}
nlohmann::json DescribeProfile(const Schema& schema, const TableProfile& profile, size_t top_k = 5);
// The same shape for a .tsr cache: counts per bin instead of raw statistics.
nlohmann::json DescribeBinned(const BinnedDataset& ds, size_t top_k = 5);

}  // namespace tessera::data
