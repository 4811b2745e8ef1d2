// bench/registry's measurements: how long the tracking store takes to log 10,000 metric points
// the way training logs them (one point per metric per iteration, through RunTracker, which
// writes in batches), and to list and filter 1,000 runs. Prints key=value lines.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tessera/registry/tracking.h"

using namespace tessera;

namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "registry_bench: %s\n", r.status().message().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

void Must(const Status& st) {
  if (!st.ok()) {
    std::fprintf(stderr, "registry_bench: %s\n", st.message().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "registry-bench-store";
  std::filesystem::remove_all(dir);

  // 1. 10,000 metric points: 5,000 iterations x 2 metrics, logged as training does.
  auto start = std::chrono::steady_clock::now();
  {
    registry::RunInfo info;
    info.kind = "train";
    info.params = {{"num_iterations", 5000}};
    auto tracker = Must(registry::RunTracker::Start(Must(registry::Store::Open(dir)), info));
    for (int it = 1; it <= 5000; ++it) Must(tracker->Log(it, {{"valid_0 auc", 0.5 + it * 1e-5}, {"valid_0 logloss", 1.0 / it}}));
    Must(tracker->Finish({{"valid_0 auc", 0.55}}, {}));
  }
  const double log_seconds = Since(start);
  std::printf("registry op=log_metrics points=10000 seconds=%.4f points_per_s=%.0f\n", log_seconds, 10000 / log_seconds);

  // 2. 1,000 runs with params, tags and final metrics; then list all, and filter.
  auto store = Must(registry::Store::Open(dir));
  for (int r = 1; r < 1000; ++r) {
    registry::RunInfo info;
    info.kind = r % 4 == 0 ? "eval" : "train";
    info.params = {{"num_leaves", 15 + r % 50}, {"learning_rate", 0.05 + (r % 10) * 0.01}};
    info.tags = {{"team", r % 3 == 0 ? "risk" : "growth"}};
    const std::string id = Must(store->StartRun(info));
    Must(store->SetFinalMetrics(id, {{"auc", 0.6 + (r % 100) * 0.003}, {"logloss", 0.5}}));
    Must(store->FinishRun(id, "finished"));
  }
  auto time_list = [&](const char* name, const registry::RunFilter& filter) {
    double best = 1e9;
    size_t found = 0;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t = std::chrono::steady_clock::now();
      found = Must(store->ListRuns(filter)).size();
      best = std::min(best, Since(t));
    }
    std::printf("registry op=%s runs_in_store=1000 runs_found=%zu seconds=%.4f\n", name, found, best);
  };
  registry::RunFilter all;
  time_list("list_all", all);
  registry::RunFilter filtered;
  filtered.kind = "train";
  filtered.tags = {{"team", "risk"}};
  filtered.metric = "auc";
  filtered.metric_min = 0.75;
  time_list("list_filtered", filtered);
  std::filesystem::remove_all(dir);
  return 0;
}
