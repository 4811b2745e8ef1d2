// BinnedDataset: the training matrix. Every feature value is replaced by its bin (BinMapper),
// stored row-major (all features of a row side by side) in 1 byte per cell when every feature
// has at most 256 bins and 2 bytes otherwise. Row-major suits histogram building over the rows
// of a tree node: one contiguous read per row. Labels, weights and group ids stay as numbers.
// Immutable once built; thread-safe to read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/core/uninitialized.h"
#include "tessera/data/bin_mapper.h"
#include "tessera/data/schema.h"

namespace tessera::data {

class BinnedDataset {
 public:
  BinnedDataset() = default;
  // A rows x mappers.size() matrix to be filled whole through mutable_cells() (its cells start
  // uninitialised).
  BinnedDataset(Schema schema, std::vector<size_t> feature_columns, std::vector<BinMapper> mappers, size_t rows);

  size_t num_rows() const { return num_rows_; }
  size_t num_features() const { return mappers_.size(); }
  // 1 (uint8 cells) or 2 (uint16 cells).
  int bytes_per_cell() const { return bytes_per_cell_; }
  uint32_t bin(size_t row, size_t feature) const {
    size_t i = row * mappers_.size() + feature;
    return bytes_per_cell_ == 1 ? cells_[i] : reinterpret_cast<const uint16_t*>(cells_.data())[i];
  }
  const uint8_t* cells() const { return cells_.data(); }
  uint8_t* mutable_cells() { return cells_.data(); }
  size_t cells_bytes() const { return cells_.size(); }

  const Schema& schema() const { return schema_; }
  // Schema column of each feature.
  const std::vector<size_t>& feature_columns() const { return feature_columns_; }
  const std::vector<BinMapper>& mappers() const { return mappers_; }
  const std::string& feature_name(size_t f) const { return schema_.column(feature_columns_[f]).name; }

  bool has_labels() const { return !labels_.empty(); }
  const std::vector<float>& labels() const { return labels_; }
  std::vector<float>& mutable_labels() { return labels_; }
  // Class names when the label column held text (label value = index into this list).
  const std::vector<std::string>& label_classes() const { return label_classes_; }
  void set_label_classes(std::vector<std::string> classes) { label_classes_ = std::move(classes); }
  const std::vector<float>& weights() const { return weights_; }
  std::vector<float>& mutable_weights() { return weights_; }
  const std::vector<int64_t>& groups() const { return groups_; }
  std::vector<int64_t>& mutable_groups() { return groups_; }

 private:
  Schema schema_;
  std::vector<size_t> feature_columns_;
  std::vector<BinMapper> mappers_;
  size_t num_rows_ = 0;
  int bytes_per_cell_ = 1;
  std::vector<uint8_t, UninitializedAllocator<uint8_t>> cells_;  // every cell is written by its builder
  std::vector<float> labels_, weights_;
  std::vector<int64_t> groups_;
  std::vector<std::string> label_classes_;
};

// Rows per bin of each feature (feature x bin).
std::vector<std::vector<uint64_t>> BinCounts(const BinnedDataset& ds);

// The rows of `parts` one after another (same schema and bins; labels and weights kept when
// every part has them).
BinnedDataset ConcatRows(std::vector<BinnedDataset> parts);

// Renumbers text-label classes to `classes` (which must include every class of `ds`): label k
// of ds.label_classes() becomes the index of that name in `classes`.
Status RenumberLabelClasses(BinnedDataset* ds, const std::vector<std::string>& classes);

// `ds` without the features `dropped` (indices, any order): their schema columns become ignored,
// so that a model trained on the result still reads tables that hold them. Labels, weights,
// groups and label classes are kept.
BinnedDataset WithoutFeatures(const BinnedDataset& ds, const std::vector<size_t>& dropped);

// The given rows of `ds` (in that order) as a data set of their own, without labels.
BinnedDataset SelectRows(const BinnedDataset& ds, const std::vector<size_t>& rows);

}  // namespace tessera::data
