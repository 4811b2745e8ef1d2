// A weighted blend of tree models trained on the same bins: one model whose raw score is the
// weighted sum of the members' raw scores (each member's leaves and init score scaled by its
// weight). It is an ordinary GbdtModel, so prediction, SHAP, export and serving need nothing new.
// Used by AutoML's ensemble selection, which picks weights that sum to 1.
#pragma once

#include <utility>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::models::gbdt {

struct BlendMember {
  const GbdtModel* model = nullptr;
  double weight = 0;
};

// The members must share the objective, the number of outputs and the features; the blend takes
// the first member's parameters, schema and drift reference, and records every member's weight
// and parameters under training "ensemble".
Result<GbdtModel> BlendModels(const std::vector<BlendMember>& members);

}  // namespace tessera::models::gbdt
