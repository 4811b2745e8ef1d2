// MicroBatcher: coalesces the predictions of concurrent requests into one batch predict per
// model (`tessera serve --micro-batch-rows N`). Opportunistic, with no timer (flat combining): a
// request that finds no batch running becomes the leader and predicts at once; requests arriving
// while a batch runs queue up and wait, and the leader predicts them together (up to max_rows
// per batch) until the queue is empty. So an idle server adds no latency, and batches grow only
// when requests really overlap. Requests queued for different models (around a hot reload) are
// predicted by their own model. Each caller gets exactly its own rows' scores.
//
// Thread-safe: any number of request threads call Predict at once; one batch runs at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "tessera/serve/served_model.h"

namespace tessera::serve {

class ServerMetrics;

class MicroBatcher {
 public:
  // `max_rows` >= 1: most rows in one batch (a request with more rows is predicted alone).
  // `metrics` (may be null) records each batch's size.
  MicroBatcher(size_t max_rows, ServerMetrics* metrics) : max_rows_(max_rows), metrics_(metrics) {}

  // The raw scores of `rows` (rows x outputs) by `model` (a tree model), as its PredictRaw.
  std::vector<double> PredictRaw(const ServedModel& model, const data::BinnedDataset& rows);

 private:
  struct Pending {
    const ServedModel* model;
    const data::BinnedDataset* rows;
    std::vector<double> scores;
    std::exception_ptr error;
    bool done = false, lead = false;
    std::condition_variable wake;
  };
  // Takes queued requests for one batch (FIFO, same model as the first, at most max_rows_ rows
  // unless the first alone has more). Under mutex_.
  std::vector<std::shared_ptr<Pending>> TakeBatch();
  // Predicts a batch and fills each request's scores (or error). Without the lock.
  void RunBatch(const std::vector<std::shared_ptr<Pending>>& batch);

  static constexpr int kExtraBatches = 8;  // batches a leader runs for others after its own
  const size_t max_rows_;
  ServerMetrics* metrics_;
  std::mutex mutex_;
  // Shared with the leader, which wakes a request after releasing the lock (a thread woken
  // while the lock is held would only block on it again) and so must keep it alive until then.
  std::deque<std::shared_ptr<Pending>> queue_;
  bool leading_ = false;  // a thread is running batches
};

}  // namespace tessera::serve
