#include "tessera/edge/quantized_predictor.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tessera/data/bin_rows.h"

namespace tessera::edge {

namespace {

int32_t Quantize(double v, int shift) { return static_cast<int32_t>(std::llround(std::ldexp(v, shift))); }

template <typename Cell>
void Walk(const std::vector<models::gbdt::Tree>& trees, const std::vector<std::vector<int32_t>>& leaves,
          const std::vector<int32_t>& init, const data::BinnedDataset& ds, std::vector<int32_t>* out) {
  const size_t k_outputs = init.size(), nf = ds.num_features();
  const Cell* cells = reinterpret_cast<const Cell*>(ds.cells());
  for (size_t r = 0; r < ds.num_rows(); ++r) {
    int32_t* o = out->data() + r * k_outputs;
    for (size_t k = 0; k < k_outputs; ++k) o[k] = init[k];
    for (size_t t = 0; t < trees.size(); ++t)
      o[t % k_outputs] += leaves[t][static_cast<size_t>(trees[t].LeafOf(cells + r * nf))];
  }
}

}  // namespace

Result<QuantizedModel> QuantizedModel::FromModel(const models::gbdt::GbdtModel& model) {
  const size_t k_outputs = static_cast<size_t>(model.num_outputs());
  const auto& trees = model.trees();
  // Per output: the largest |score| any row can reach, and how many rounded terms it adds.
  std::vector<double> bound(k_outputs, 0.0), terms(k_outputs, 1.0);
  for (size_t k = 0; k < k_outputs; ++k) bound[k] = std::abs(model.init_score()[k]);
  for (size_t t = 0; t < trees.size(); ++t) {
    double largest = 0;
    for (double v : trees[t].leaf_values()) largest = std::max(largest, std::abs(v));
    bound[t % k_outputs] += largest;
    terms[t % k_outputs] += 1;
  }
  // Rounding moves each term by at most 1/2: |sum| <= bound * 2^shift + terms / 2 <= INT32_MAX.
  constexpr double kLimit = std::numeric_limits<int32_t>::max();
  int shift = -1;
  for (int s = kMaxShift; s >= 0 && shift < 0; --s) {
    bool fits = true;
    for (size_t k = 0; k < k_outputs; ++k) fits &= std::ldexp(bound[k], s) + terms[k] / 2 <= kLimit;
    if (fits) shift = s;
  }
  if (shift < 0)
    return Status::UserError("cannot quantize the model to int32 fixed point: its scores can reach " +
                             std::to_string(*std::max_element(bound.begin(), bound.end())) +
                             ", more than int32 holds even without fraction bits");
  QuantizedModel q;
  q.shift_ = shift;
  q.num_outputs_ = model.num_outputs();
  for (double v : model.init_score()) q.init_.push_back(Quantize(v, shift));
  for (const auto& tree : trees) {
    std::vector<int32_t> leaves;
    for (double v : tree.leaf_values()) leaves.push_back(Quantize(v, shift));
    q.leaves_.push_back(std::move(leaves));
  }
  q.trees_ = trees;
  q.reference_ = data::BinnedDataset(model.reference().schema(), model.reference().feature_columns(),
                                     model.reference().mappers(), 0);
  return q;
}

double QuantizedModel::scale() const { return std::ldexp(1.0, shift_); }

std::vector<int32_t> QuantizedModel::PredictRaw(const data::BinnedDataset& ds) const {
  std::vector<int32_t> out(ds.num_rows() * init_.size());
  if (ds.bytes_per_cell() == 1) Walk<uint8_t>(trees_, leaves_, init_, ds, &out);
  else Walk<uint16_t>(trees_, leaves_, init_, ds, &out);
  return out;
}

std::vector<int32_t> QuantizedModel::PredictValues(const float* values, size_t rows) const {
  return PredictRaw(data::BinFloatRows(reference_, values, rows));
}

}  // namespace tessera::edge
