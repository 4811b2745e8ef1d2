// InputSchema: what a served model accepts as input, derived from the model's reference (its
// training schema and bin mappers): the feature columns by name with their types and mappers,
// and the other columns of the training table (label, weight, ignored) that a request may carry
// and that are then skipped. Built once per loaded model; immutable; thread-safe to read.
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
  // table that is not a feature, nullopt for a name the model has never seen.
  std::optional<int> Lookup(std::string_view name) const;

  size_t num_features() const { return reference_->num_features(); }
  const std::string& feature_name(size_t f) const { return reference_->feature_name(f); }
  data::ColumnType feature_type(size_t f) const { return types_[f]; }
  const data::BinMapper& mapper(size_t f) const { return reference_->mappers()[f]; }
  const data::BinnedDataset& reference() const { return *reference_; }

  // "'f0', 'f1', ... and 8 more": the feature names for error messages (at most 12 named).
  std::string FeatureList() const;
  // A matrix of `rows` rows with the model's features, every cell to be written with SetBin.
  data::BinnedDataset NewRows(size_t rows) const;

 private:
  const data::BinnedDataset* reference_;
  std::vector<data::ColumnType> types_;
  std::unordered_map<std::string, int, data::StringHash, std::equal_to<>> index_;
};

// Writes the bin of one cell of a matrix made by InputSchema::NewRows.
inline void SetBin(data::BinnedDataset* rows, size_t row, size_t feature, uint32_t bin) {
  const size_t i = row * rows->num_features() + feature;
  if (rows->bytes_per_cell() == 1) rows->mutable_cells()[i] = static_cast<uint8_t>(bin);
  else reinterpret_cast<uint16_t*>(rows->mutable_cells())[i] = static_cast<uint16_t>(bin);
}

}  // namespace tessera::serve
