// SHAP values of a model of any family: TreeSHAP for trees, the linear model's exact values for
// a linear one, and for a blend the weighted sum of its members' (SHAP values add up over a sum
// of models, so a blend's are as exact as its members'). Same layout as explain::ShapValues.
#pragma once

#include <vector>

#include "tessera/data/binned_dataset.h"
#include "tessera/data/coded_rows.h"
#include "tessera/models/model.h"

namespace tessera::explain {

// rows x outputs x (features + 1), row-major. `bins` and `values` are the same rows binned and
// coded; a family reads the form it needs (models::Model::ReadsBins, ReadsValues).
std::vector<double> ModelShapValues(const models::Model& model, const data::BinnedDataset& bins,
                                    const data::CodedRows& values, int threads = 0);

// The expected raw score per output (the SHAP values' base).
std::vector<double> ModelExpectedValues(const models::Model& model);

}  // namespace tessera::explain
