// The fits of the linear family on a design matrix (already encoded and standardized):
//   - squared loss with an elastic-net penalty, by cyclic coordinate descent on the weighted Gram
//     matrix (the objective of scikit-learn's ElasticNet; pure L2 by a Cholesky solve),
//   - logistic (binary) and multinomial (softmax) loss with an L2, L1 or elastic-net penalty, by
//     L-BFGS (L2) or OWL-QN (any L1 share).
// Objective, with weights w_i scaled to mean 1 (all 1 when unweighted), n rows, lambda >= 0 and
// l1_ratio r in [0, 1]; intercepts are never penalised:
//   (1/n) sum_i w_i loss_i + lambda * (r * |beta|_1 + (1 - r) / 2 * |beta|_2^2)
// with loss = (y - x.beta - b)^2 / 2 for regression and the negative log-likelihood otherwise.
// scikit-learn: ElasticNet(alpha = lambda, l1_ratio = r); LogisticRegression(C = 1 / (lambda * n))
// (penalty 'l2', 'l1' or 'elasticnet' with that l1_ratio; multinomial for more than 2 classes).
// Every fit gives the same bits for any thread count.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/linear/design_matrix.h"

namespace tessera::models::linear {

struct SolverOptions {
  double lambda = 1e-4;
  double l1_ratio = 0;
  int max_iterations = 1000;  // coordinate-descent sweeps or quasi-Newton iterations
  double tolerance = 1e-7;    // CD: largest coefficient change in a sweep; QN: largest |pseudo-gradient|
  int threads = 0;
  // Asked before every sweep or iteration; true ends the fit at the current coefficients (a time
  // budget), reported as not converged.
  std::function<bool()> should_stop;
};

struct LinearFit {
  int num_outputs = 1;
  std::vector<double> coef;       // num_outputs x cols, row-major
  std::vector<double> intercept;  // num_outputs
  int iterations = 0;
  bool converged = false;
};

// Regression. `weights` is empty or one value >= 0 per row.
Result<LinearFit> FitElasticNet(const DesignMatrix& x, std::span<const float> y, std::span<const float> weights,
                                const SolverOptions& options);

// Classification: labels are class ids 0..num_classes-1. Two classes fit one output (the logit of
// class 1); more fit one output per class (softmax; intercepts centred to sum 0).
Result<LinearFit> FitLogistic(const DesignMatrix& x, std::span<const float> labels, int num_classes,
                              std::span<const float> weights, const SolverOptions& options);

}  // namespace tessera::models::linear
