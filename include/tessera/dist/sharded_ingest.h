// Sharded ingest: each rank reads only its parts of the input (dist/shard_plan.h) and all ranks
// end with the same schema and the same bin mappers. Rank 0 infers the schema from the first
// rows of the first file and broadcasts it; each rank profiles each of its parts on its own;
// the part profiles (quantile sketch summaries, category counts, row counts) are gathered and
// merged in part order, so the bins depend on how the input is cut into parts, never on how
// many ranks read them. Text label classes are unioned by name. Every step ends with the ranks
// agreeing on success (AgreeOnStatus): a rank that cannot read its share stops all of them with
// a message naming the rank and the cause. Collective calls: every rank calls these together.
#pragma once

#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/data/ingest.h"
#include "tessera/data/row_segments.h"
#include "tessera/dist/collective.h"

namespace tessera::dist {

struct ShardedData {
  data::BinnedDataset data;  // this rank's rows, binned with the bins all ranks share
  data::GlobalRows rows;     // where they sit in the whole table
  uint64_t total_rows = 0;   // rows of the whole table
};

// Training data: CSV/TSV part files, or one CSV split by bytes.
Result<ShardedData> IngestSharded(Collective& world, const std::vector<std::string>& inputs, const data::IngestOptions& options);

// New data (validation) read with the bins of `reference` (the training data), sharded the same
// way; a rank may hold no rows of it.
Result<ShardedData> IngestShardedWithReference(Collective& world, const std::vector<std::string>& inputs,
                                               const data::IngestOptions& options, const data::BinnedDataset& reference);

}  // namespace tessera::dist
