#include "tessera/data/binned_dataset.h"

#include <algorithm>
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

BinnedDataset WithoutFeatures(const BinnedDataset& ds, const std::vector<size_t>& dropped) {
  Schema schema = ds.schema();
  std::vector<size_t> kept, columns;
  std::vector<BinMapper> mappers;
  for (size_t f = 0; f < ds.num_features(); ++f) {
    if (std::find(dropped.begin(), dropped.end(), f) != dropped.end()) {
      schema.mutable_columns()[ds.feature_columns()[f]].role = ColumnRole::kIgnored;
      continue;
    }
    kept.push_back(f);
    columns.push_back(ds.feature_columns()[f]);
    mappers.push_back(ds.mappers()[f]);
  }
  BinnedDataset out(std::move(schema), std::move(columns), std::move(mappers), ds.num_rows());
  const size_t nf = kept.size();
  for (size_t r = 0; r < ds.num_rows(); ++r)
    for (size_t i = 0; i < nf; ++i) {
      const uint32_t bin = ds.bin(r, kept[i]);
      if (out.bytes_per_cell() == 1) out.mutable_cells()[r * nf + i] = static_cast<uint8_t>(bin);
      else reinterpret_cast<uint16_t*>(out.mutable_cells())[r * nf + i] = static_cast<uint16_t>(bin);
    }
  out.mutable_labels() = ds.labels();
  out.mutable_weights() = ds.weights();
  out.mutable_groups() = ds.groups();
  out.set_label_classes(ds.label_classes());
  return out;
}

BinnedDataset ConcatRows(std::vector<BinnedDataset> parts) {
  if (parts.size() == 1) return std::move(parts[0]);
  if (parts.empty()) return BinnedDataset();
  size_t rows = 0;
  bool labels = true, weights = true;
  for (const auto& p : parts) {
    rows += p.num_rows();
    labels &= p.has_labels() || p.num_rows() == 0;
    weights &= !p.weights().empty() || p.num_rows() == 0;
  }
  const BinnedDataset& first = parts[0];
  BinnedDataset out(first.schema(), first.feature_columns(), first.mappers(), rows);
  out.set_label_classes(first.label_classes());
  const size_t width = first.num_features() * static_cast<size_t>(first.bytes_per_cell());
  size_t at = 0;
  for (const auto& p : parts) {
    if (p.num_rows() > 0) std::memcpy(out.mutable_cells() + at * width, p.cells(), p.num_rows() * width);
    if (labels) out.mutable_labels().insert(out.mutable_labels().end(), p.labels().begin(), p.labels().end());
    if (weights) out.mutable_weights().insert(out.mutable_weights().end(), p.weights().begin(), p.weights().end());
    at += p.num_rows();
  }
  return out;
}

Status RenumberLabelClasses(BinnedDataset* ds, const std::vector<std::string>& classes) {
  const std::vector<std::string>& mine = ds->label_classes();
  std::vector<float> renumber(mine.size());
  for (size_t k = 0; k < mine.size(); ++k) {
    auto it = std::find(classes.begin(), classes.end(), mine[k]);
    if (it == classes.end()) return Status::Internal("label class '" + mine[k] + "' missing from the merged classes");
    renumber[k] = static_cast<float>(it - classes.begin());
  }
  for (float& y : ds->mutable_labels()) y = renumber[static_cast<size_t>(y)];
  ds->set_label_classes(classes);
  return Status::Ok();
}

}  // namespace tessera::data
