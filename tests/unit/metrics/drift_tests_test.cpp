// Drift statistics against scipy 1.10.1's values (stats.chi2.sf, stats.kstwobign.sf,
// stats.chisquare), computed once and written here.
#include "tessera/metrics/drift_tests.h"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::metrics {
namespace {

TEST(DriftTests, SurvivalFunctionsMatchScipy) {
  EXPECT_NEAR(ChiSquareSurvival(3.0, 2), 0.22313016014842982, 1e-12);
  EXPECT_NEAR(ChiSquareSurvival(10.5, 7), 0.1619644930794282, 1e-12);
  EXPECT_NEAR(ChiSquareSurvival(0.3, 1), 0.583882420770365, 1e-12);
  EXPECT_NEAR(ChiSquareSurvival(150.0, 100), 0.0009039320423540184, 1e-14);
  EXPECT_NEAR(KolmogorovSurvival(0.5), 0.9639452436648751, 1e-12);
  EXPECT_NEAR(KolmogorovSurvival(1.0), 0.26999967167735456, 1e-12);
  EXPECT_NEAR(KolmogorovSurvival(1.36), 0.049485876755377876, 1e-12);
  EXPECT_NEAR(KolmogorovSurvival(2.5), 7.453306344157342e-06, 1e-15);
}

TEST(DriftTests, KolmogorovSmirnovOnBinsLeavesOutTheMissingBin) {
  const std::vector<uint64_t> reference = {0, 100, 200, 300, 400}, actual = {5, 50, 50, 50, 50};
  const TestResult r = KolmogorovSmirnov(reference, actual);
  EXPECT_NEAR(r.statistic, 0.2, 1e-12);
  EXPECT_NEAR(r.p_value, 3.239193584625237e-06, 1e-15);
  EXPECT_EQ(KolmogorovSmirnov(reference, reference).statistic, 0);
  EXPECT_EQ(KolmogorovSmirnov(reference, reference).p_value, 1);
}

TEST(DriftTests, ChiSquareAgainstTheReferenceProportions) {
  const std::vector<uint64_t> reference = {10, 300, 300, 400}, actual = {4, 80, 130, 90};
  const TestResult r = ChiSquare(reference, actual);
  EXPECT_NEAR(r.statistic, 26.63103070175439, 1e-9);
  EXPECT_EQ(r.degrees_of_freedom, 3);
  EXPECT_NEAR(r.p_value, 7.034840882261e-06, 1e-12);
  // A category the training data never had is strong evidence, not an infinity.
  const TestResult unseen = ChiSquare(std::vector<uint64_t>{0, 500, 500}, std::vector<uint64_t>{50, 500, 500});
  EXPECT_GT(unseen.statistic, 1000);
  EXPECT_LT(unseen.p_value, 1e-10);
}

}  // namespace
}  // namespace tessera::metrics
