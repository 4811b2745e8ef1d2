// The raw values of some rows of a table, for showing them to people (reports, explanations):
// the binned matrix keeps only bins, so the rows are read again from the files.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/ingest.h"

namespace tessera::data {

struct RawRows {
  // rows.size() x columns.size(): each value as text ("" = missing) and as a number (NaN when
  // missing or not numeric). Datetimes are shown in ISO form and counted in seconds.
  std::vector<std::string> text;
  std::vector<double> numbers;
};

// Reads rows `rows` (0-based, any order, each at most once) of the columns named `columns` in one
// pass over `inputs`. A row past the end or a column the table lacks is an error.
Result<RawRows> ReadRawRows(const std::vector<std::string>& inputs, const IngestOptions& options,
                            const std::vector<std::string>& columns, const std::vector<size_t>& rows);

}  // namespace tessera::data
