// Two-sample tests of whether new data still looks like the training data, on binned counts (the
// model's bins: training rows per bin are stored in the model file, new rows are binned with the
// same bins). Numeric features: Kolmogorov–Smirnov; categorical ones: chi-square.
#pragma once

#include <cstdint>
#include <span>

namespace tessera::metrics {

struct TestResult {
  double statistic = 0;
  double p_value = 1;
  double degrees_of_freedom = 0;  // chi-square only
};

// KS over the bins of an ordered feature: D = the largest gap between the two cumulative
// distributions at bin edges (the missing bin, bin 0, is left out: it has no place in the order).
// The p-value is the asymptotic Kolmogorov distribution at sqrt(n m / (n + m)) D. On binned
// values D is at most the raw values' D, so the test is conservative.
TestResult KolmogorovSmirnov(std::span<const uint64_t> reference, std::span<const uint64_t> actual);

// Pearson's chi-square of the new counts against the reference proportions (every bin, the
// missing one too). Bins expected to hold fewer than 5 rows are pooled into one. p = the upper
// tail of chi-square with (bins - 1) degrees of freedom.
TestResult ChiSquare(std::span<const uint64_t> reference, std::span<const uint64_t> actual);

// P(X > x) for X ~ chi-square(k), and the Kolmogorov distribution's P(K > x).
double ChiSquareSurvival(double x, double k);
double KolmogorovSurvival(double x);

}  // namespace tessera::metrics
