#include "tessera/data/bin_rows.h"

#include <charconv>
#include <cmath>

namespace tessera::data {

namespace {

template <typename Cell>
void BinInto(const BinnedDataset& reference, const float* values, size_t rows, Cell* cells) {
  const size_t nf = reference.num_features();
  for (size_t f = 0; f < nf; ++f) {
    const BinMapper& m = reference.mappers()[f];
    for (size_t r = 0; r < rows; ++r) {
      const float v = values[r * nf + f];
      uint32_t bin = BinMapper::kMissingBin;
      if (std::isnan(v)) {
        bin = BinMapper::kMissingBin;
      } else if (m.kind() == BinMapper::Kind::kCategorical) {
        char text[32];
        const auto end = std::to_chars(text, text + sizeof(text), v).ptr;
        bin = m.BinOfCategory(std::string_view(text, static_cast<size_t>(end - text)));
      } else {
        bin = m.BinOfValue(v);
      }
      cells[r * nf + f] = static_cast<Cell>(bin);
    }
  }
}

}  // namespace

BinnedDataset BinFloatRows(const BinnedDataset& reference, const float* values, size_t rows) {
  BinnedDataset ds(reference.schema(), reference.feature_columns(), reference.mappers(), rows);
  ds.set_label_classes(reference.label_classes());
  if (ds.bytes_per_cell() == 1) BinInto(reference, values, rows, ds.mutable_cells());
  else BinInto(reference, values, rows, reinterpret_cast<uint16_t*>(ds.mutable_cells()));
  return ds;
}

}  // namespace tessera::data
