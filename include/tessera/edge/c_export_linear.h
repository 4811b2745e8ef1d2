// C code generation for linear models: the fitted feature pipeline (imputation and missing
// indicators, one-hot, target and frequency encoding as lookup tables by category code,
// standardization) and the coefficients become portable C99 with the same interface as the tree
// export (<prefix>_predict, <prefix>_predict_raw, <PREFIX>_NUM_FEATURES, ...; see c_export.h):
// raw values in, missing as NaN, categorical values as numeric codes, computing what
// LinearModel::PredictValues computes. No allocation, no mutable globals. Stateless; thread-safe.
#pragma once

#include "tessera/core/status.h"
#include "tessera/edge/c_export.h"
#include "tessera/models/linear/linear_model.h"

namespace tessera::edge {

// User errors: --quantize (trees only), a bad prefix. Categories that are not numbers in shortest
// form cannot be given as a float and so are left out of the code tables (noted in `notes`).
Result<CExport> GenerateLinearC(const models::linear::LinearModel& model, const CExportOptions& options);

}  // namespace tessera::edge
