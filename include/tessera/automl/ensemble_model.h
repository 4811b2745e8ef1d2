// The model of an ensemble that ensemble selection chose: its tree members blended into one tree
// model (their trees, leaves scaled by the weights), and linear members beside it in a blend
// (models::Model::Blend). An ensemble of trees alone stays one tree model, which every command
// (export to C included) takes.
#pragma once

#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/model.h"

namespace tessera::automl {

// members[m] (gbdt or linear) weighted by weights[m]; they read the same features.
Result<models::Model> EnsembleModel(const std::vector<models::Model>& members, const std::vector<double>& weights);

}  // namespace tessera::automl
