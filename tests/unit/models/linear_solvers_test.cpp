// The linear solvers against scikit-learn on the same (standardized) data: ElasticNet for
// squared loss (Ridge with alpha = lambda * n for pure L2), LogisticRegression (lbfgs for L2, saga for L1 and elastic-net; multinomial for
// three classes) for the logistic family, with C = 1 / (lambda * n). Coefficients and
// intercepts must agree to 1e-4. Also: thread count does not change a bit of the fit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

#include "tessera/models/linear/owlqn.h"
#include "tessera/models/linear/solvers.h"
#include "test_files.h"

namespace tessera::models::linear {
namespace {

constexpr const char* kScript = R"PY(
import sys, json, warnings, numpy as np
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
warnings.filterwarnings("ignore")
d = np.loadtxt(sys.argv[1], delimiter=",")
spec = json.loads(sys.argv[2])
X, y = d[:, 1:], d[:, 0]
n = X.shape[0]
lam, r = spec["lambda"], spec["l1_ratio"]
if spec["kind"] == "regression":
    # Pure L2: Ridge(alpha = lambda * n) is the same objective (ElasticNet's CD is slow without L1).
    m = (Ridge(alpha=lam * n, tol=1e-14) if r == 0 else ElasticNet(alpha=lam, l1_ratio=r, tol=1e-12, max_iter=1000000)).fit(X, y)
    coef, b = np.atleast_2d(m.coef_), np.atleast_1d(m.intercept_)
else:
    C = 1.0 / (lam * n)
    if r == 0:
        m = LogisticRegression(penalty="l2", C=C, solver="lbfgs", tol=1e-12, max_iter=100000)
    else:
        m = LogisticRegression(penalty="l1" if r == 1 else "elasticnet", l1_ratio=None if r == 1 else r, C=C,
                               solver="saga", tol=1e-13, max_iter=1000000)
    m.fit(X, y.astype(int))
    coef, b = m.coef_, m.intercept_
    if coef.shape[0] > 1:
        b = b - b.mean()
for row, bi in zip(coef, b):
    print(" ".join(repr(float(v)) for v in row), repr(float(bi)))
)PY";

struct Data {
  DesignMatrix x;
  std::vector<float> y;
};

// Correlated standardized columns; y from a sparse linear rule (+ noise, or drawn as classes).
Data MakeData(size_t n, size_t p, int classes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  Data d;
  d.x.rows = n, d.x.cols = p;
  d.x.values.resize(n * p);
  for (size_t i = 0; i < n; ++i) {
    double common = g(rng);
    for (size_t j = 0; j < p; ++j) d.x.values[i * p + j] = 0.5 * common + g(rng);
  }
  for (size_t j = 0; j < p; ++j) {  // standardize as StandardScaler does
    double m = 0, v = 0;
    for (size_t i = 0; i < n; ++i) m += d.x.values[i * p + j];
    m /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) v += std::pow(d.x.values[i * p + j] - m, 2);
    const double s = std::sqrt(v / static_cast<double>(n));
    for (size_t i = 0; i < n; ++i) d.x.values[i * p + j] = (d.x.values[i * p + j] - m) / s;
  }
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t i = 0; i < n; ++i) {
    const double* r = d.x.row(i);
    const double s0 = 1.5 * r[0] - 2.0 * r[1] + 0.3 * r[2], s1 = -r[0] + 0.8 * r[3], s2 = 0.5 * r[4] - 0.2;
    if (classes == 0) {
      d.y.push_back(static_cast<float>(3 + s0 + 0.5 * g(rng)));
    } else if (classes == 2) {
      d.y.push_back(u(rng) < 1 / (1 + std::exp(-s0)) ? 1.0f : 0.0f);
    } else {
      const double e0 = std::exp(s0), e1 = std::exp(s1), e2 = std::exp(s2), t = u(rng) * (e0 + e1 + e2);
      d.y.push_back(t < e0 ? 0.0f : (t < e0 + e1 ? 1.0f : 2.0f));
    }
  }
  return d;
}

// scikit-learn's coefficients: one line per output, the intercept last.
std::vector<std::vector<double>> SklearnFit(const Data& d, const std::string& kind, double lambda, double l1_ratio) {
  tessera::testing::TempDir dir;
  std::ostringstream csv;
  csv.precision(17);
  for (size_t i = 0; i < d.x.rows; ++i) {
    csv << d.y[i];
    for (size_t j = 0; j < d.x.cols; ++j) csv << "," << d.x.row(i)[j];
    csv << "\n";
  }
  const std::string data = dir.Write("d.csv", csv.str());
  const std::string script = dir.Write("fit.py", kScript);
  std::ostringstream spec;
  spec.precision(17);
  spec << "{\"kind\": \"" << kind << "\", \"lambda\": " << lambda << ", \"l1_ratio\": " << l1_ratio << "}";
  const std::string cmd = "/usr/bin/python3 '" + script + "' '" + data + "' '" + spec.str() + "'";
  FILE* pipe = popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::vector<std::vector<double>> out;
  char line[65536];
  while (pipe && std::fgets(line, sizeof line, pipe)) {
    std::istringstream in(line);
    std::vector<double> row;
    double v;
    while (in >> v) row.push_back(v);
    out.push_back(row);
  }
  EXPECT_EQ(pipe ? pclose(pipe) : -1, 0) << "python3 with scikit-learn is needed (scripts/bootstrap installs it)";
  return out;
}

void ExpectSameAsSklearn(const LinearFit& fit, const std::vector<std::vector<double>>& expected, size_t p) {
  ASSERT_EQ(expected.size(), static_cast<size_t>(fit.num_outputs));
  for (size_t c = 0; c < expected.size(); ++c) {
    ASSERT_EQ(expected[c].size(), p + 1);
    for (size_t j = 0; j < p; ++j) EXPECT_NEAR(fit.coef[c * p + j], expected[c][j], 1e-4) << "output " << c << " coef " << j;
    EXPECT_NEAR(fit.intercept[c], expected[c][p], 1e-4) << "output " << c << " intercept";
  }
}

SolverOptions Options(double lambda, double l1_ratio) {
  SolverOptions o;
  o.lambda = lambda, o.l1_ratio = l1_ratio;
  o.max_iterations = 100000;
  o.tolerance = 1e-12;
  return o;
}

TEST(LinearSolvers, ElasticNetMatchesScikitLearn) {
  const Data d = MakeData(500, 6, 0, 1);
  for (double r : {0.0, 0.5, 1.0}) {
    SCOPED_TRACE("l1_ratio " + std::to_string(r));
    auto fit = FitElasticNet(d.x, d.y, {}, Options(0.05, r));
    ASSERT_TRUE(fit.ok()) << fit.status().message();
    EXPECT_TRUE(fit->converged);
    ExpectSameAsSklearn(*fit, SklearnFit(d, "regression", 0.05, r), d.x.cols);
  }
  // A strong L1 penalty zeroes the noise columns exactly.
  auto sparse = FitElasticNet(d.x, d.y, {}, Options(0.3, 1.0));
  ASSERT_TRUE(sparse.ok());
  EXPECT_EQ(sparse->coef[5], 0.0);
  EXPECT_NE(sparse->coef[0], 0.0);
}

TEST(LinearSolvers, BinaryLogisticL2MatchesScikitLearn) {
  const Data d = MakeData(600, 5, 2, 2);
  for (double lambda : {1e-3, 0.05}) {
    SCOPED_TRACE("lambda " + std::to_string(lambda));
    auto fit = FitLogistic(d.x, d.y, 2, {}, Options(lambda, 0));
    ASSERT_TRUE(fit.ok()) << fit.status().message();
    EXPECT_TRUE(fit->converged);
    ExpectSameAsSklearn(*fit, SklearnFit(d, "binary", lambda, 0), d.x.cols);
  }
}

TEST(LinearSolvers, BinaryLogisticL1AndElasticNetMatchScikitLearn) {
  const Data d = MakeData(400, 5, 2, 3);
  for (double r : {1.0, 0.5}) {
    SCOPED_TRACE("l1_ratio " + std::to_string(r));
    auto fit = FitLogistic(d.x, d.y, 2, {}, Options(0.02, r));
    ASSERT_TRUE(fit.ok()) << fit.status().message();
    ExpectSameAsSklearn(*fit, SklearnFit(d, "binary", 0.02, r), d.x.cols);
  }
}

TEST(LinearSolvers, MultinomialMatchesScikitLearn) {
  const Data d = MakeData(600, 5, 3, 4);
  auto fit = FitLogistic(d.x, d.y, 3, {}, Options(0.01, 0));
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  EXPECT_TRUE(fit->converged);
  EXPECT_EQ(fit->num_outputs, 3);
  ExpectSameAsSklearn(*fit, SklearnFit(d, "multiclass", 0.01, 0), d.x.cols);
}

TEST(LinearSolvers, SameBitsForAnyThreadCount) {
  const Data d = MakeData(3 * kRowBlock + 17, 4, 3, 5);  // several row blocks
  SolverOptions one = Options(0.01, 0.3), four = one;
  one.threads = 1, four.threads = 4;
  auto a = FitLogistic(d.x, d.y, 3, {}, one), b = FitLogistic(d.x, d.y, 3, {}, four);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->coef, b->coef);
  EXPECT_EQ(a->intercept, b->intercept);
}

TEST(LinearSolvers, WeightsActAsRepeatedRows) {
  // A weight of 2 is the row twice (weights are scaled to mean 1, so n is the weighted count).
  Data d = MakeData(200, 3, 2, 6);
  Data twice = d;
  std::vector<float> w(d.x.rows, 1.0f);
  for (size_t i = 0; i < 50; ++i) {
    w[i] = 2;
    twice.x.values.insert(twice.x.values.end(), d.x.row(i), d.x.row(i) + d.x.cols);
    twice.y.push_back(d.y[i]);
  }
  twice.x.rows += 50;
  // lambda scales with 1/n: the weighted fit has n = 200 rows of total weight 250.
  SolverOptions o = Options(0.01, 0);
  auto weighted = FitLogistic(d.x, d.y, 2, w, o);
  auto repeated = FitLogistic(twice.x, twice.y, 2, {}, o);
  ASSERT_TRUE(weighted.ok() && repeated.ok());
  for (size_t j = 0; j < 3; ++j) EXPECT_NEAR(weighted->coef[j], repeated->coef[j], 1e-8);
  EXPECT_NEAR(weighted->intercept[0], repeated->intercept[0], 1e-8);
}

TEST(LinearSolvers, RejectsBadLabels) {
  Data d = MakeData(50, 2, 2, 7);
  d.y[3] = 2;
  auto fit = FitLogistic(d.x, d.y, 2, {}, Options(0.01, 0));
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("row 3"), std::string::npos) << fit.status().message();
}

TEST(Owlqn, SolvesLassoInOneDimension) {
  // f(x) = (x - 3)^2 / 2 with l1 = 1: the minimiser is 2; with l1 = 4 it is 0.
  auto f = [](const std::vector<double>& x, std::vector<double>* g) {
    (*g)[0] = x[0] - 3;
    return 0.5 * (x[0] - 3) * (x[0] - 3);
  };
  std::vector<double> x = {0};
  OwlqnResult r = MinimizeOwlqn(f, {1.0}, &x, {});
  EXPECT_TRUE(r.converged);
  EXPECT_NEAR(x[0], 2.0, 1e-8);
  x = {0};
  MinimizeOwlqn(f, {4.0}, &x, {});
  EXPECT_EQ(x[0], 0.0);
}

}  // namespace
}  // namespace tessera::models::linear
