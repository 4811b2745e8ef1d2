// SHAP values of a linear model: with the model's standardized encoded columns z (whose training
// mean is 0), feature f's contribution to output k is the sum of coef[k][j] * z_j over the
// encoded columns j made from f (its value, missing indicator, one-hot or target and frequency
// columns), and the expected value is the intercept. This is the exact SHAP value of a linear
// model with independent features, the training data as background; a row's values add up to its
// raw score. Same layout as explain::ShapValues.
#pragma once

#include <vector>

#include "tessera/data/coded_rows.h"
#include "tessera/models/linear/linear_model.h"

namespace tessera::explain {

// rows x outputs x (features + 1), row-major: per row and output, one value per feature (in
// reference order) and then the expected value.
std::vector<double> LinearShapValues(const models::linear::LinearModel& model, const data::CodedRows& rows);

}  // namespace tessera::explain
