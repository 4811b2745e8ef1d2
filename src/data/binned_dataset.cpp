#include "tessera/data/binned_dataset.h"

#include <cstring>

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

std::vector<std::vector<uint64_t>> BinCounts(const BinnedDataset& ds) {
  const size_t nf = ds.num_features();
  std::vector<std::vector<uint64_t>> counts(nf);
  for (size_t f = 0; f < nf; ++f) counts[f].assign(ds.mappers()[f].num_bins(), 0);
  for (size_t r = 0; r < ds.num_rows(); ++r)
    for (size_t f = 0; f < nf; ++f) ++counts[f][ds.bin(r, f)];
  return counts;
}

BinnedDataset SelectRows(const BinnedDataset& ds, const std::vector<size_t>& rows) {
  BinnedDataset out(ds.schema(), ds.feature_columns(), ds.mappers(), rows.size());
  out.set_label_classes(ds.label_classes());
  const size_t width = ds.num_features() * static_cast<size_t>(ds.bytes_per_cell());
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(out.mutable_cells() + i * width, ds.cells() + rows[i] * width, width);
  return out;
}

}  // namespace tessera::data
