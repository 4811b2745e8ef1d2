#include "tessera/serve/input_schema.h"

namespace tessera::serve {

InputSchema::InputSchema(const data::BinnedDataset& reference) : reference_(&reference) {
  const data::Schema& schema = reference.schema();
  for (const auto& column : schema.columns()) index_.emplace(column.name, kSkippedColumn);
  for (size_t f = 0; f < reference.num_features(); ++f) {
    const data::Column& column = schema.column(reference.feature_columns()[f]);
    types_.push_back(column.type);
    derived_.push_back(column.derived.has_value());
    if (!column.derived) index_[column.name] = static_cast<int>(f), ++num_given_;
  }
  parts_of_.resize(reference.num_features());
  for (size_t f = 0; f < reference.num_features(); ++f) {
    const data::Column& column = schema.column(reference.feature_columns()[f]);
    if (!column.derived) continue;
    auto source = Lookup(column.derived->source);
    if (source && *source >= 0) parts_of_[static_cast<size_t>(*source)].emplace_back(f, column.derived->part);
    else orphan_parts_.push_back(f);
  }
}

std::optional<int> InputSchema::Lookup(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::string InputSchema::FeatureList() const {
  constexpr size_t kNamed = 12;
  std::string out;
  size_t named = 0, given = 0;
  for (size_t f = 0; f < num_features(); ++f) {
    if (derived_[f]) continue;
    if (++given <= kNamed) out += (named++ ? ", '" : "'") + feature_name(f) + "'";
  }
  if (given > kNamed) out += " and " + std::to_string(given - kNamed) + " more";
  return out;
}

data::BinnedDataset InputSchema::NewRows(size_t rows) const {
  data::BinnedDataset ds(reference_->schema(), reference_->feature_columns(), reference_->mappers(), rows);
  ds.set_label_classes(reference_->label_classes());
  return ds;
}

}  // namespace tessera::serve
