// The raw feature values the linear family fits on (data::ReadCodedRows), read for a table that
// has already been ingested as bins: the training command and AutoML read them the same way, with
// the same checks. Stateless.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/coded_rows.h"
#include "tessera/data/ingest.h"

namespace tessera::models::linear {

// The coded rows of `inputs` against `train` (IngestBinned of the same inputs and options). A
// .tsr cache is refused (it holds bins, not values), as is an input whose row count changed
// between the two reads.
Result<data::CodedRows> ReadTrainingRows(const std::vector<std::string>& inputs, const data::IngestOptions& options,
                                         const data::BinnedDataset& train);

// Ok when every input is a format the linear family can read values from; else the error naming
// the .tsr cache (which holds bins, not values).
Status RequireRawValues(const std::vector<std::string>& inputs);

}  // namespace tessera::models::linear
