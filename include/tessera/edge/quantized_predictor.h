// QuantizedModel: a boosted model's integer-only predictor, the reference for the C code that
// `tessera export --format c --quantize` writes. Inputs are bins (data::BinMapper), trees are
// walked on bins exactly as GbdtModel does, and leaf values are fixed-point int32: round(value *
// 2^shift), with one shift per model chosen so that no sum of |init score| and one leaf per tree
// can leave int32 (so adding in any order never overflows). Raw score ~ sum / 2^shift.
// Immutable once built; thread-safe to read.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/binned_dataset.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::edge {

class QuantizedModel {
 public:
  // The largest shift used (leaf values so small that more bits add nothing are rare).
  static constexpr int kMaxShift = 60;

  // Fails (user error) when the leaf values are too large for int32 fixed point even at shift 0.
  static Result<QuantizedModel> FromModel(const models::gbdt::GbdtModel& model);

  int shift() const { return shift_; }
  // 2^shift: raw score = quantized score / scale().
  double scale() const;
  int num_outputs() const { return num_outputs_; }
  // Per output: round(init_score * 2^shift).
  const std::vector<int32_t>& init() const { return init_; }
  // Per tree (iteration-major, tree t adds to output t % num_outputs): round(leaf * 2^shift).
  const std::vector<std::vector<int32_t>>& leaves() const { return leaves_; }

  // Quantized raw scores (row-major rows x outputs) for every row of `ds`, which must have been
  // binned with the model's bin mappers (reference()).
  std::vector<int32_t> PredictRaw(const data::BinnedDataset& ds) const;
  // The same for `rows` rows of raw values in model feature order, binned as data::BinFloatRows.
  std::vector<int32_t> PredictValues(const float* values, size_t rows) const;

 private:
  int shift_ = 0;
  int num_outputs_ = 1;
  std::vector<int32_t> init_;
  std::vector<std::vector<int32_t>> leaves_;
  std::vector<models::gbdt::Tree> trees_;
  data::BinnedDataset reference_;
};

}  // namespace tessera::edge
