// InputSchema: what a served model accepts as input, derived from the model's reference (its
// training schema and bin mappers): the feature columns by name with their types and mappers,
// and the other columns of the training table (label, weight, ignored) that a request may carry
// and that are then skipped. Features derived from a datetime column (data/datetime_parts.h) are
// not given by requests: they are computed from that column's value. Built once per loaded model;
// immutable; thread-safe to read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tessera/data/binned_dataset.h"

namespace tessera::serve {

class InputSchema {
 public:
  // A column of the training schema that is not a feature (Lookup's answer for it).
  static constexpr int kSkippedColumn = -1;

  // `reference` (GbdtModel::reference()) must outlive this object.
  explicit InputSchema(const data::BinnedDataset& reference);

  // The feature index of the column called `name`, kSkippedColumn for a column of the training
  // table that is not a feature or a derived feature, nullopt for a name the model has never seen.
  std::optional<int> Lookup(std::string_view name) const;

  size_t num_features() const { return reference_->num_features(); }
  const std::string& feature_name(size_t f) const { return reference_->feature_name(f); }
  data::ColumnType feature_type(size_t f) const { return types_[f]; }
  const data::BinMapper& mapper(size_t f) const { return reference_->mappers()[f]; }
  const data::BinnedDataset& reference() const { return *reference_; }
  // True for a feature computed from a datetime feature (not given by requests).
  bool is_derived(size_t f) const { return derived_[f]; }
  // Features a request gives: those not derived.
  size_t num_given_features() const { return num_given_; }
  // The features derived from feature f with the part each holds (empty for most features).
  const std::vector<std::pair<size_t, data::DatetimePart>>& parts_of(size_t f) const { return parts_of_[f]; }
  // Derived features whose datetime column is not a feature: always missing.
  const std::vector<size_t>& orphan_parts() const { return orphan_parts_; }

  // "'f0', 'f1', ... and 8 more": the names of the features requests give, for error messages (at
  // most 12 named).
  std::string FeatureList() const;
  // A matrix of `rows` rows with the model's features, every cell to be written with SetBin.
  data::BinnedDataset NewRows(size_t rows) const;

 private:
  const data::BinnedDataset* reference_;
  std::vector<data::ColumnType> types_;
  std::vector<bool> derived_;
  std::vector<std::vector<std::pair<size_t, data::DatetimePart>>> parts_of_;
  std::vector<size_t> orphan_parts_;
  size_t num_given_ = 0;
  std::unordered_map<std::string, int, data::StringHash, std::equal_to<>> index_;
};

// Writes the bin of one cell of a matrix made by InputSchema::NewRows.
inline void SetBin(data::BinnedDataset* rows, size_t row, size_t feature, uint32_t bin) {
  const size_t i = row * rows->num_features() + feature;
  if (rows->bytes_per_cell() == 1) rows->mutable_cells()[i] = static_cast<uint8_t>(bin);
  else reinterpret_cast<uint16_t*>(rows->mutable_cells())[i] = static_cast<uint16_t>(bin);
}

}  // namespace tessera::serve
