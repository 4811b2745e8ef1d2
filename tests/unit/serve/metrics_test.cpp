// Prometheus text format, the server's metrics and the drift window.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tessera/serve/drift_monitor.h"
#include "tessera/serve/prometheus.h"
#include "tessera/serve/server_metrics.h"

namespace tessera::serve {
namespace {

TEST(Prometheus, HistogramRendersCumulativeBucketsSumAndCount) {
  Histogram h({0.1, 0.5, 1});
  for (double v : {0.05, 0.1, 0.3, 0.7, 2.0, std::nan("")}) h.Observe(v);
  std::string out;
  h.Render(&out, "lat", "route=\"/predict\"");
  EXPECT_EQ(out,
            "lat_bucket{route=\"/predict\",le=\"0.1\"} 2\n"
            "lat_bucket{route=\"/predict\",le=\"0.5\"} 3\n"
            "lat_bucket{route=\"/predict\",le=\"1\"} 4\n"
            "lat_bucket{route=\"/predict\",le=\"+Inf\"} 6\n"
            "lat_sum{route=\"/predict\"} 3.15\n"
            "lat_count{route=\"/predict\"} 6\n");
  std::string plain;
  Histogram({1}).Render(&plain, "rows", "");
  EXPECT_EQ(plain, "rows_bucket{le=\"1\"} 0\nrows_bucket{le=\"+Inf\"} 0\nrows_sum 0\nrows_count 0\n");
}

TEST(Prometheus, EscapesLabelValuesAndFormatsSpecialNumbers) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatSampleValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatSampleValue(NAN), "NaN");
  EXPECT_EQ(FormatSampleValue(0.1), "0.1");
  EXPECT_EQ(FormatSampleValue(1e21), "1e+21");
  EXPECT_EQ(FormatSampleValue(0.0005), "0.0005");
  std::string out;
  AppendHeader(&out, "x_total", "counter", "Things.");
  AppendSample(&out, "x_total", "", 3);
  EXPECT_EQ(out, "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n");
}

TEST(ServerMetrics, CountsRequestsByRouteAndStatus) {
  ServerMetrics m({0.5, 1});
  m.RecordRequest(Route::kPredict, 200, 0.0003);
  m.RecordRequest(Route::kPredict, 200, 0.002);
  m.RecordRequest(Route::kPredict, 422, 0.0001);
  m.RecordRequest(Route::kOther, 404, -1);  // counted, not timed
  m.RecordPredictions(2, {0.2, 0.9}, 1);
  const std::string text = m.Render(nullptr);
  EXPECT_NE(text.find("tessera_requests_total{route=\"/predict\",status=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tessera_requests_total{route=\"/predict\",status=\"422\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_requests_total{route=\"other\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_request_duration_seconds_count{route=\"/predict\"} 3\n"), std::string::npos);
  EXPECT_EQ(text.find("tessera_request_duration_seconds_count{route=\"other\"}"), std::string::npos);
  EXPECT_NE(text.find("tessera_batch_rows_bucket{le=\"2\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_prediction_score_bucket{le=\"0.5\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("tessera_prediction_score_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE tessera_request_duration_seconds histogram\n"), std::string::npos);
}

TEST(ServerMetrics, ClassifiesPathsIntoRoutes) {
  EXPECT_EQ(ClassifyRoute("/predict"), Route::kPredict);
  EXPECT_EQ(ClassifyRoute("/v2/models/churn"), Route::kModelMetadata);
  EXPECT_EQ(ClassifyRoute("/v2/models/churn/versions/3"), Route::kModelMetadata);
  EXPECT_EQ(ClassifyRoute("/v2/models/churn/infer"), Route::kInfer);
  EXPECT_EQ(ClassifyRoute("/v2/models/churn/versions/3/infer"), Route::kInfer);
  EXPECT_EQ(ClassifyRoute("/v2/models/churn/ready"), Route::kModelReady);
  EXPECT_EQ(ClassifyRoute("/v2/models//infer"), Route::kOther);
  EXPECT_EQ(ClassifyRoute("/v2/models/churn/explode"), Route::kOther);
  EXPECT_EQ(ClassifyRoute("/nothing"), Route::kOther);
}

TEST(DriftMonitor, PsiOverTheWindowMatchesTheHandComputedValue) {
  // One feature with bins {missing, 1, 2}: training 0 / 50 / 50. A window of 4 rows, 3 in bin 1
  // and 1 in bin 2: PSI = (0.75 - 0.5) ln(0.75 / 0.5) + (0.25 - 0.5) ln(0.25 / 0.5) = 0.25 ln 3.
  DriftMonitor drift({{0, 50, 50}}, 4);
  const data::Schema schema({data::Column{"x", data::ColumnType::kNumeric, data::ColumnRole::kFeature}});
  auto mapper = data::BinMapper::FromJson({{"kind", "numeric"}, {"num_bins", 3u}, {"thresholds", nlohmann::json::array({0.5})}});
  ASSERT_TRUE(mapper.ok()) << mapper.status().message();
  auto rows_of = [&](std::vector<uint8_t> bins) {
    data::BinnedDataset ds(schema, {0}, {*mapper}, bins.size());
    std::copy(bins.begin(), bins.end(), ds.mutable_cells());
    return ds;
  };
  EXPECT_EQ(drift.Compute().rows, 0u);
  EXPECT_TRUE(drift.Compute().psi.empty());
  drift.Observe(rows_of({2, 2, 2, 2}));  // pushed out by the rows below
  drift.Observe(rows_of({1, 1}));
  drift.Observe(rows_of({2, 1}));
  const DriftMonitor::Snapshot s = drift.Compute();
  EXPECT_EQ(s.rows, 4u);
  ASSERT_EQ(s.psi.size(), 1u);
  EXPECT_NEAR(s.psi[0], 0.25 * std::log(3.0), 1e-12);
  // The same distribution as training: PSI 0.
  drift.Observe(rows_of({1, 2, 1, 2, 1, 2}));
  EXPECT_NEAR(drift.Compute().psi[0], 0.0, 1e-12);
}

}  // namespace
}  // namespace tessera::serve
