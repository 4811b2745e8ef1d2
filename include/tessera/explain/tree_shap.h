// Exact path-dependent TreeSHAP (Lundberg, Erion and Lee, "Consistent individualized feature
// attribution for tree ensembles", 2018, Algorithm 2): the Shapley value of each feature for
// each row's raw score, where "feature unknown" means following both branches of its splits in
// proportion to the training cover of each side. O(trees x leaves x depth^2) per row. SHAP
// interaction values use the same recursion conditioned on each feature being known or unknown
// (as XGBoost's pred_interactions does).
//
// Layouts (as XGBoost's pred_contribs / pred_interactions): for each row and output, F + 1
// values, F features then the expected value (bias); interactions are (F + 1) x (F + 1) per row
// and output, with the bias row and column zero except bias x bias = expected value. For every
// row and output the values add up to the raw score (local accuracy).
#pragma once

#include <vector>

#include "tessera/data/binned_dataset.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::explain {

// Expected raw score per output: init score plus each tree's cover-weighted mean leaf value.
std::vector<double> ExpectedValues(const models::gbdt::GbdtModel& model);

// rows x outputs x (features + 1). `ds` must be read with the model's bins.
std::vector<double> ShapValues(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds, int threads = 0);

// rows x outputs x (features + 1) x (features + 1).
std::vector<double> ShapInteractionValues(const models::gbdt::GbdtModel& model, const data::BinnedDataset& ds,
                                          int threads = 0);

}  // namespace tessera::explain
