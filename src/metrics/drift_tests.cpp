#include "tessera/metrics/drift_tests.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tessera::metrics {

namespace {

// The regularized lower incomplete gamma P(a, x) by its series (x < a + 1), the upper Q(a, x)
// by Lentz's continued fraction otherwise (Numerical Recipes' split).
double LowerGammaSeries(double a, double x) {
  double term = 1.0 / a, sum = term;
  for (int n = 1; n < 1000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::abs(term) < std::abs(sum) * 1e-15) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

double UpperGammaFraction(double a, double x) {
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < 1e-15) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double ChiSquareSurvival(double x, double k) {
  if (!(x > 0)) return 1;
  const double a = k / 2, half = x / 2;
  return half < a + 1 ? 1 - LowerGammaSeries(a, half) : UpperGammaFraction(a, half);
}

double KolmogorovSurvival(double x) {
  if (x <= 0) return 1;
  if (x < 0.2) return 1;  // the series below converges slowly there; the value is 1 to 1e-20
  double sum = 0;
  for (int j = 1; j < 200; ++j) {
    const double term = 2 * ((j % 2) ? 1 : -1) * std::exp(-2.0 * j * j * x * x);
    sum += term;
    if (std::abs(term) < 1e-17) break;
  }
  return std::clamp(sum, 0.0, 1.0);
}

TestResult KolmogorovSmirnov(std::span<const uint64_t> reference, std::span<const uint64_t> actual) {
  TestResult r;
  const size_t bins = std::min(reference.size(), actual.size());
  double n = 0, m = 0;
  for (size_t b = 1; b < bins; ++b) n += static_cast<double>(reference[b]), m += static_cast<double>(actual[b]);
  if (n == 0 || m == 0) return r;
  double cr = 0, ca = 0;
  for (size_t b = 1; b < bins; ++b) {
    cr += static_cast<double>(reference[b]) / n;
    ca += static_cast<double>(actual[b]) / m;
    r.statistic = std::max(r.statistic, std::abs(cr - ca));
  }
  r.p_value = KolmogorovSurvival(std::sqrt(n * m / (n + m)) * r.statistic);
  return r;
}

TestResult ChiSquare(std::span<const uint64_t> reference, std::span<const uint64_t> actual) {
  TestResult r;
  const size_t bins = std::min(reference.size(), actual.size());
  const double n = std::accumulate(reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(bins), 0.0);
  const double m = std::accumulate(actual.begin(), actual.begin() + static_cast<std::ptrdiff_t>(bins), 0.0);
  if (n == 0 || m == 0) return r;
  double pooled_expected = 0, pooled_observed = 0;
  bool pooled = false;
  size_t cells = 0;
  for (size_t b = 0; b < bins; ++b) {
    const double expected = m * static_cast<double>(reference[b]) / n;
    const double observed = static_cast<double>(actual[b]);
    if (expected < 5) {
      pooled_expected += expected, pooled_observed += observed;
      pooled |= expected > 0 || observed > 0;
      continue;
    }
    r.statistic += (observed - expected) * (observed - expected) / expected;
    ++cells;
  }
  if (pooled) {
    // Rows in bins the training data never had make the pooled cell's expectation tiny: floor it
    // at half a row, so that they count as strong evidence rather than an infinity.
    const double expected = std::max(pooled_expected, 0.5);
    r.statistic += (pooled_observed - expected) * (pooled_observed - expected) / expected;
    ++cells;
  }
  if (cells < 2) return TestResult{};
  r.degrees_of_freedom = static_cast<double>(cells - 1);
  r.p_value = ChiSquareSurvival(r.statistic, r.degrees_of_freedom);
  return r;
}

}  // namespace tessera::metrics
