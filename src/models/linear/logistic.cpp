// Binary logistic and multinomial regression: the loss and its gradient over the rows (a
// deterministic block sum), minimised by OWL-QN (plain L-BFGS without an L1 share). Parameters
// are laid out per output: cols coefficients, then the intercept.
#include <algorithm>
#include <cmath>

#include "tessera/models/linear/owlqn.h"
#include "tessera/models/linear/solvers.h"

namespace tessera::models::linear {

namespace {

// log(1 + exp(z)) without overflow.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

}  // namespace

Result<LinearFit> FitLogistic(const DesignMatrix& x, std::span<const float> labels, int num_classes,
                              std::span<const float> weights, const SolverOptions& options) {
  const size_t n = x.rows, p = x.cols;
  if (n == 0) return Status::UserError("logistic regression: no training rows");
  if (num_classes < 2) return Status::UserError("logistic regression needs at least 2 classes, got " + std::to_string(num_classes));
  if (labels.size() != n || (!weights.empty() && weights.size() != n))
    return Status::Internal("logistic regression: labels or weights do not match the rows");
  for (size_t i = 0; i < n; ++i)
    if (!(labels[i] >= 0) || labels[i] >= static_cast<float>(num_classes) || labels[i] != std::floor(labels[i]))
      return Status::UserError("logistic regression: label " + std::to_string(labels[i]) + " of row " + std::to_string(i) +
                               " is not a class id in [0, " + std::to_string(num_classes - 1) + "]");
  double wsum = 0;
  for (size_t i = 0; i < n; ++i) wsum += weights.empty() ? 1.0 : weights[i];
  if (!(wsum > 0)) return Status::UserError("logistic regression: the weights sum to 0");
  const double wscale = static_cast<double>(n) / wsum;
  const double inv_n = 1.0 / static_cast<double>(n);
  const size_t k = num_classes == 2 ? 1 : static_cast<size_t>(num_classes);
  const size_t stride = p + 1;
  const double l2 = options.lambda * (1.0 - options.l1_ratio);

  auto objective = [&](const std::vector<double>& theta, std::vector<double>* grad) {
    std::vector<double> acc(k * stride + 1);  // gradient sums, then the loss sum
    BlockSum(n, options.threads, &acc, [&](size_t b, size_t e, double* out) {
      std::vector<double> z(k);
      for (size_t i = b; i < e; ++i) {
        const double* r = x.row(i);
        const double wi = weights.empty() ? 1.0 : weights[i] * wscale;
        const size_t yi = static_cast<size_t>(labels[i]);
        for (size_t c = 0; c < k; ++c) {
          const double* t = theta.data() + c * stride;
          double s = t[p];
          for (size_t j = 0; j < p; ++j) s += t[j] * r[j];
          z[c] = s;
        }
        if (k == 1) {
          const double y = yi == 1 ? 1.0 : 0.0;
          out[k * stride] += wi * (Softplus(z[0]) - y * z[0]);
          const double residual = wi * (1.0 / (1.0 + std::exp(-z[0])) - y);
          for (size_t j = 0; j < p; ++j) out[j] += residual * r[j];
          out[p] += residual;
        } else {
          const double zmax = *std::max_element(z.begin(), z.end());
          double sum = 0;
          for (size_t c = 0; c < k; ++c) sum += std::exp(z[c] - zmax);
          const double log_norm = zmax + std::log(sum);
          out[k * stride] += wi * (log_norm - z[yi]);
          for (size_t c = 0; c < k; ++c) {
            const double residual = wi * (std::exp(z[c] - log_norm) - (c == yi ? 1.0 : 0.0));
            double* g = out + c * stride;
            for (size_t j = 0; j < p; ++j) g[j] += residual * r[j];
            g[p] += residual;
          }
        }
      }
    });
    double value = acc[k * stride] * inv_n;
    for (size_t c = 0; c < k; ++c) {
      for (size_t j = 0; j <= p; ++j) {
        const size_t at = c * stride + j;
        (*grad)[at] = acc[at] * inv_n;
        if (j < p) {
          value += 0.5 * l2 * theta[at] * theta[at];
          (*grad)[at] += l2 * theta[at];
        }
      }
    }
    return value;
  };

  std::vector<double> l1;
  if (options.l1_ratio > 0) {
    l1.assign(k * stride, options.lambda * options.l1_ratio);
    for (size_t c = 0; c < k; ++c) l1[c * stride + p] = 0;  // intercepts are not penalised
  }
  std::vector<double> theta(k * stride, 0.0);
  OwlqnOptions qn;
  qn.max_iterations = options.max_iterations;
  qn.gradient_tolerance = options.tolerance;
  qn.should_stop = options.should_stop;
  const OwlqnResult r = MinimizeOwlqn(objective, l1, &theta, qn);

  LinearFit fit;
  fit.num_outputs = static_cast<int>(k);
  fit.iterations = r.iterations;
  fit.converged = r.converged;
  fit.coef.resize(k * p);
  fit.intercept.resize(k);
  for (size_t c = 0; c < k; ++c) {
    std::copy(theta.begin() + static_cast<std::ptrdiff_t>(c * stride), theta.begin() + static_cast<std::ptrdiff_t>(c * stride + p),
              fit.coef.begin() + static_cast<std::ptrdiff_t>(c * p));
    fit.intercept[c] = theta[c * stride + p];
  }
  if (k > 1) {  // softmax is unchanged by a shift of every intercept: report the centred ones
    double mean = 0;
    for (double b : fit.intercept) mean += b;
    mean /= static_cast<double>(k);
    for (double& b : fit.intercept) b -= mean;
  }
  return fit;
}

}  // namespace tessera::models::linear
