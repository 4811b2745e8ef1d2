// MicroBatcher: many threads predicting through it at once, for two models at the same time (as
// around a hot reload), get exactly the scores the model gives their rows alone; every request is
// counted once in the batch histogram; a request as large as a batch is predicted by itself.
#include "tessera/serve/micro_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "synthetic_binned.h"
#include "tessera/models/gbdt/params.h"
#include "tessera/serve/server_metrics.h"

namespace tessera::serve {
namespace {

using testing::TempDir;

std::shared_ptr<const ServedModel> Serve(const data::BinnedDataset& train, const std::string& trees,
                                         const std::string& version) {
  models::gbdt::GbdtParams p;
  EXPECT_TRUE(
      models::gbdt::ApplyGbdtParams({{"num_iterations", trees}, {"num_leaves", "15"}}, &p).ok());
  auto model = models::gbdt::TrainGbdt(train, p);
  EXPECT_TRUE(model.ok());
  auto served = ServedModel::Create(models::Model(std::move(model).value()), {"m", version, version}, 100);
  EXPECT_TRUE(served.ok()) << served.status().message();
  return std::move(served).value();
}

// Rows [first, first + n) of `all` as a request matrix of `model`.
data::BinnedDataset Rows(const ServedModel& model, const data::BinnedDataset& all, size_t first,
                         size_t n) {
  data::BinnedDataset rows = model.inputs().NewRows(n);
  for (size_t r = 0; r < n; ++r)
    for (size_t f = 0; f < all.num_features(); ++f) SetBin(&rows, r, f, all.bin(first + r, f));
  return rows;
}

double Sample(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

TEST(MicroBatcher, ConcurrentRequestsForTwoModelsGetTheirOwnScores) {
  TempDir dir;
  const data::BinnedDataset data = testing::SyntheticBinned(dir, 1500, 5);
  const auto a = Serve(data, "300", "1"), b = Serve(data, "400", "2");  // slow enough to overlap
  const std::vector<double> truth_a = a->model().gbdt()->PredictRaw(data, 1), truth_b = b->model().gbdt()->PredictRaw(data, 1);
  ASSERT_NE(truth_a, truth_b);

  ServerMetrics metrics({0.5, 1});
  MicroBatcher batcher(16, &metrics);
  constexpr int kThreads = 8, kRequests = 300;
  std::atomic<int> wrong{0}, requests{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const ServedModel& model = t % 2 ? *b : *a;
      const std::vector<double>& truth = t % 2 ? truth_b : truth_a;
      for (int i = 0; i < kRequests; ++i) {
        const size_t n = 1 + static_cast<size_t>(i + t) % 3;
        const size_t first =
            (static_cast<size_t>(t) * 131 + static_cast<size_t>(i) * 17) % (data.num_rows() - n);
        const std::vector<double> got = batcher.PredictRaw(model, Rows(model, data, first, n));
        ++requests;
        bool same = got.size() == n;
        for (size_t r = 0; same && r < n; ++r) same = got[r] == truth[first + r];
        if (!same) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  const std::string text = metrics.Render(nullptr);
  EXPECT_EQ(Sample(text, "tessera_micro_batch_requests_sum"), kThreads * kRequests) << text;
  EXPECT_LT(Sample(text, "tessera_micro_batch_requests_count"), kThreads * kRequests)
      << "no two requests were ever predicted together";
  std::printf("micro-batching: %d requests in %.0f batches\n", kThreads * kRequests,
              Sample(text, "tessera_micro_batch_requests_count"));

  // As many rows as a batch holds: predicted alone, not counted as a batch.
  const std::vector<double> big = batcher.PredictRaw(*a, Rows(*a, data, 100, 16));
  EXPECT_EQ(big, std::vector<double>(truth_a.begin() + 100, truth_a.begin() + 116));
  EXPECT_EQ(Sample(metrics.Render(nullptr), "tessera_micro_batch_requests_sum"),
            kThreads * kRequests);
}

}  // namespace
}  // namespace tessera::serve
