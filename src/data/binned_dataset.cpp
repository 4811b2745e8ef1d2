#include "tessera/data/binned_dataset.h"

namespace tessera::data {

BinnedDataset::BinnedDataset(Schema schema, std::vector<size_t> feature_columns, std::vector<BinMapper> mappers,
                             size_t rows)
    : schema_(std::move(schema)),
      feature_columns_(std::move(feature_columns)),
      mappers_(std::move(mappers)),
      num_rows_(rows) {
  bytes_per_cell_ = 1;
  for (const auto& m : mappers_)
    if (m.num_bins() > 256) bytes_per_cell_ = 2;
  cells_.resize(rows * mappers_.size() * static_cast<size_t>(bytes_per_cell_));
}

}  // namespace tessera::data
