#include "tessera/explain/linear_shap.h"

namespace tessera::explain {

std::vector<double> LinearShapValues(const models::linear::LinearModel& model, const data::CodedRows& rows) {
  const features::FeaturePipeline& pipeline = model.pipeline();
  const std::vector<double> z = pipeline.Transform(rows.values, rows.rows);
  const std::vector<size_t> input_of = pipeline.OutputInputs();
  const size_t p = pipeline.num_outputs(), k = static_cast<size_t>(model.num_outputs());
  const size_t width = pipeline.num_inputs() + 1;
  std::vector<double> out(rows.rows * k * width, 0.0);
  for (size_t i = 0; i < rows.rows; ++i)
    for (size_t c = 0; c < k; ++c) {
      double* v = out.data() + (i * k + c) * width;
      const double* w = model.coef().data() + c * p;
      for (size_t j = 0; j < p; ++j) v[input_of[j]] += w[j] * z[i * p + j];
      v[width - 1] = model.intercept()[c];
    }
  return out;
}

}  // namespace tessera::explain
