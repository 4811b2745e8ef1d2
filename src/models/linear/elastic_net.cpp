// Elastic-net regression by coordinate descent on the Gram matrix: with centred inputs and target
// (which makes the unpenalised intercept exact), one pass over the rows builds G = X'WX / n and
// c = X'Wy / n, after which a sweep costs cols^2 whatever the row count. Without an L1 share
// (ridge) the solution is exact in one Cholesky solve of (G + lambda I) beta = c.
#include <algorithm>
#include <cmath>

#include "tessera/models/linear/solvers.h"

namespace tessera::models::linear {

namespace {

double SoftThreshold(double z, double t) { return z > t ? z - t : (z < -t ? z + t : 0.0); }

// Ridge in closed form: solves (G + l2 I) beta = c by Cholesky (G + l2 I is positive definite for
// l2 > 0). False when the factorisation breaks down (l2 = 0 with collinear columns).
bool SolveRidge(const std::vector<double>& gram, const std::vector<double>& c, size_t p, double l2, std::vector<double>* beta) {
  std::vector<double> l(p * p, 0.0);
  for (size_t j = 0; j < p; ++j) {
    for (size_t i = 0; i <= j; ++i) {
      double s = gram[j * p + i] + (i == j ? l2 : 0.0);
      for (size_t t = 0; t < i; ++t) s -= l[j * p + t] * l[i * p + t];
      if (i == j) {
        if (!(s > 1e-12 * std::max(1.0, gram[j * p + j] + l2))) return false;
        l[j * p + j] = std::sqrt(s);
      } else {
        l[j * p + i] = s / l[i * p + i];
      }
    }
  }
  std::vector<double> z(p);
  for (size_t j = 0; j < p; ++j) {
    double s = c[j];
    for (size_t t = 0; t < j; ++t) s -= l[j * p + t] * z[t];
    z[j] = s / l[j * p + j];
  }
  beta->assign(p, 0.0);
  for (size_t j = p; j-- > 0;) {
    double s = z[j];
    for (size_t t = j + 1; t < p; ++t) s -= l[t * p + j] * (*beta)[t];
    (*beta)[j] = s / l[j * p + j];
  }
  return true;
}

}  // namespace

Result<LinearFit> FitElasticNet(const DesignMatrix& x, std::span<const float> y, std::span<const float> weights,
                                const SolverOptions& options) {
  const size_t n = x.rows, p = x.cols;
  if (n == 0) return Status::UserError("linear regression: no training rows");
  if (y.size() != n || (!weights.empty() && weights.size() != n))
    return Status::Internal("linear regression: labels or weights do not match the rows");
  double wsum = 0;
  for (size_t i = 0; i < n; ++i) wsum += weights.empty() ? 1.0 : weights[i];
  if (!(wsum > 0)) return Status::UserError("linear regression: the weights sum to 0");
  const double wscale = static_cast<double>(n) / wsum;  // weights to mean 1
  auto w = [&](size_t i) { return weights.empty() ? 1.0 : weights[i] * wscale; };

  // Weighted means of the columns and the target.
  std::vector<double> sums(p + 1);
  BlockSum(n, options.threads, &sums, [&](size_t b, size_t e, double* acc) {
    for (size_t i = b; i < e; ++i) {
      const double wi = w(i);
      const double* r = x.row(i);
      for (size_t j = 0; j < p; ++j) acc[j] += wi * r[j];
      acc[p] += wi * y[i];
    }
  });
  std::vector<double> mean(p);
  for (size_t j = 0; j < p; ++j) mean[j] = sums[j] / static_cast<double>(n);
  const double y_mean = sums[p] / static_cast<double>(n);
  // Gram (upper triangle, then mirrored) and X'y of the centred data, over n.
  const size_t tri = p * (p + 1) / 2;
  std::vector<double> moments(tri + p);
  BlockSum(n, options.threads, &moments, [&](size_t b, size_t e, double* acc) {
    std::vector<double> c(p);
    for (size_t i = b; i < e; ++i) {
      const double wi = w(i);
      const double* r = x.row(i);
      for (size_t j = 0; j < p; ++j) c[j] = r[j] - mean[j];
      const double yc = y[i] - y_mean;
      size_t k = 0;
      for (size_t j = 0; j < p; ++j) {
        const double wc = wi * c[j];
        for (size_t l = j; l < p; ++l) acc[k++] += wc * c[l];
        acc[tri + j] += wc * yc;
      }
    }
  });
  std::vector<double> gram(p * p), xy(p);
  {
    size_t k = 0;
    for (size_t j = 0; j < p; ++j)
      for (size_t l = j; l < p; ++l, ++k) gram[j * p + l] = gram[l * p + j] = moments[k] / static_cast<double>(n);
    for (size_t j = 0; j < p; ++j) xy[j] = moments[tri + j] / static_cast<double>(n);
  }
  const double l1 = options.lambda * options.l1_ratio;
  const double l2 = options.lambda * (1.0 - options.l1_ratio);
  std::vector<double> beta(p, 0.0), gb(p, 0.0);  // gb = G beta
  LinearFit fit;
  if (l1 == 0 && l2 > 0 && SolveRidge(gram, xy, p, l2, &beta)) {  // pure L2: exact in one step
    fit.iterations = 1;
    fit.converged = true;
  }
  for (int sweep = 0; !fit.converged && sweep < options.max_iterations; ++sweep) {
    if (options.should_stop && options.should_stop()) break;
    double max_change = 0, max_beta = 0;
    for (size_t j = 0; j < p; ++j) {
      const double gjj = gram[j * p + j];
      if (gjj <= 0) continue;  // a constant column: its coefficient stays 0
      const double rho = xy[j] - gb[j] + gjj * beta[j];
      const double updated = SoftThreshold(rho, l1) / (gjj + l2);
      const double delta = updated - beta[j];
      if (delta != 0) {
        for (size_t l = 0; l < p; ++l) gb[l] += delta * gram[l * p + j];
        beta[j] = updated;
      }
      max_change = std::max(max_change, std::fabs(delta));
      max_beta = std::max(max_beta, std::fabs(updated));
    }
    fit.iterations = sweep + 1;
    if (max_change <= options.tolerance * std::max(1.0, max_beta)) {
      fit.converged = true;
      break;
    }
  }
  fit.coef = beta;
  double b = y_mean;
  for (size_t j = 0; j < p; ++j) b -= mean[j] * beta[j];
  fit.intercept = {b};
  return fit;
}

}  // namespace tessera::models::linear
