// Metrics against scikit-learn: random labels and predictions are written to a file, Debian's
// python3-sklearn computes its values, and ours must agree to 1e-9.
#include "tessera/metrics/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "test_files.h"

namespace tessera::metrics {
namespace {

constexpr const char* kScript = R"PY(
import sys, numpy as np
from sklearn import metrics as m
d = np.loadtxt(sys.argv[1], delimiter=",")
y, s, w = d[:, 0], d[:, 1], d[:, 2]
yr, pr = d[:, 3], d[:, 4]
ym, pm = d[:, 5].astype(int), d[:, 6:9]
for weights in (None, w):
    print(m.roc_auc_score(y, s, sample_weight=weights))
    print(m.log_loss(y, s, sample_weight=weights))
    print(1 - m.accuracy_score(y, s > 0.5, sample_weight=weights))
    print(m.mean_squared_error(yr, pr, sample_weight=weights) ** 0.5)
    print(m.mean_absolute_error(yr, pr, sample_weight=weights))
    print(m.r2_score(yr, pr, sample_weight=weights))
    print(m.log_loss(ym, pm, sample_weight=weights, labels=[0, 1, 2]))
    print(1 - m.accuracy_score(ym, pm.argmax(axis=1), sample_weight=weights))
)PY";

TEST(Metrics, MatchScikitLearn) {
  tessera::testing::TempDir dir;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  const size_t n = 2000;
  std::vector<float> y(n), w(n), yr(n), ym(n);
  std::vector<double> s(n), pr(n), pm(n * 3);
  std::ostringstream csv;
  csv.precision(17);
  for (size_t i = 0; i < n; ++i) {
    y[i] = u(rng) < 0.4 ? 1.0f : 0.0f;
    s[i] = std::round((0.3 * y[i] + 0.7 * u(rng)) * 50) / 50;  // ties on purpose
    w[i] = static_cast<float>(0.5 + 2 * u(rng));
    yr[i] = static_cast<float>(10 * u(rng));
    pr[i] = yr[i] + 2 * (u(rng) - 0.5);
    ym[i] = static_cast<float>(static_cast<int>(3 * u(rng)));
    double a = u(rng) + (ym[i] == 0), b = u(rng) + (ym[i] == 1), c = u(rng) + (ym[i] == 2);
    pm[3 * i] = a / (a + b + c), pm[3 * i + 1] = b / (a + b + c), pm[3 * i + 2] = c / (a + b + c);
    csv << y[i] << "," << s[i] << "," << w[i] << "," << yr[i] << "," << pr[i] << "," << ym[i] << "," << pm[3 * i] << ","
        << pm[3 * i + 1] << "," << pm[3 * i + 2] << "\n";
  }
  std::string data = dir.Write("d.csv", csv.str());
  std::string script = dir.Write("m.py", kScript);
  std::string cmd = "/usr/bin/python3 " + script + " " + data;
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::vector<double> expected;
  double v;
  while (std::fscanf(pipe, "%lf", &v) == 1) expected.push_back(v);
  ASSERT_EQ(pclose(pipe), 0) << "python3 with scikit-learn is needed (scripts/bootstrap installs it)";
  ASSERT_EQ(expected.size(), 16u);
  for (int weighted = 0; weighted < 2; ++weighted) {
    std::span<const float> ws = weighted ? std::span<const float>(w) : std::span<const float>();
    const double* e = expected.data() + 8 * weighted;
    EXPECT_NEAR(Auc(y, s, ws), e[0], 1e-9);
    EXPECT_NEAR(LogLoss(y, s, ws), e[1], 1e-9);
    EXPECT_NEAR(BinaryError(y, s, ws), e[2], 1e-9);
    EXPECT_NEAR(Rmse(yr, pr, ws), e[3], 1e-9);
    EXPECT_NEAR(Mae(yr, pr, ws), e[4], 1e-9);
    EXPECT_NEAR(R2(yr, pr, ws), e[5], 1e-9);
    EXPECT_NEAR(MultiLogLoss(ym, pm, 3, ws), e[6], 1e-9);
    EXPECT_NEAR(MultiError(ym, pm, 3, ws), e[7], 1e-9);
  }
}

TEST(Metrics, NamesAndDirections) {
  EXPECT_EQ(CanonicalMetricName("binary_logloss"), "logloss");
  EXPECT_EQ(CanonicalMetricName("l2_root"), "rmse");
  EXPECT_FALSE(CanonicalMetricName("accuracy_of_vibes").has_value());
  EXPECT_TRUE(HigherIsBetter("auc"));
  EXPECT_FALSE(HigherIsBetter("logloss"));
  std::vector<float> one_class = {1, 1};
  std::vector<double> scores = {0.2, 0.8};
  EXPECT_TRUE(std::isnan(Auc(one_class, scores)));
}

}  // namespace
}  // namespace tessera::metrics

namespace tessera::metrics {
namespace {

TEST(Psi, ZeroForTheSameSharesAndAsComputedByHand) {
  const std::vector<uint64_t> a = {10, 20, 30, 40}, b = {1, 2, 3, 4};
  EXPECT_NEAR(Psi(a, b), 0.0, 1e-15);
  const std::vector<uint64_t> e = {50, 50}, x = {20, 80};
  // (0.2 - 0.5) ln(0.2 / 0.5) + (0.8 - 0.5) ln(0.8 / 0.5)
  EXPECT_NEAR(Psi(e, x), -0.3 * std::log(0.4) + 0.3 * std::log(1.6), 1e-12);
  // An empty bin counts as half a row, so the index stays finite.
  const std::vector<uint64_t> gone = {100, 0};
  EXPECT_TRUE(std::isfinite(Psi(e, gone)));
  EXPECT_GT(Psi(e, gone), 1.0);
}

}  // namespace
}  // namespace tessera::metrics

namespace tessera::metrics {
namespace {

TEST(Psi, GroupedKeepsMissingApartAndMergesIntoDeciles) {
  // 101 bins: missing + 100 equal fine bins; the sample has the same shares but lumpy counts.
  std::vector<uint64_t> expected(101, 100), actual(101, 0);
  expected[0] = 500;
  actual[0] = 50;
  for (size_t b = 1; b < 101; ++b) actual[b] = b % 2 ? 16 : 4;  // noisy per bin, even per decile
  EXPECT_GT(Psi(expected, actual), 0.3);
  EXPECT_LT(GroupedPsi(expected, actual), 0.01);
  // A real shift (all rows in the top decile) stays large.
  std::vector<uint64_t> shifted(101, 0);
  for (size_t b = 91; b < 101; ++b) shifted[b] = 100;
  EXPECT_GT(GroupedPsi(expected, shifted), 1.0);
}

}  // namespace
}  // namespace tessera::metrics
