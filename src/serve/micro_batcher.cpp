#include "tessera/serve/micro_batcher.h"

#include <cstring>

#include "tessera/serve/server_metrics.h"

namespace tessera::serve {

std::vector<std::shared_ptr<MicroBatcher::Pending>> MicroBatcher::TakeBatch() {
  std::vector<std::shared_ptr<Pending>> batch;
  size_t rows = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    const std::shared_ptr<Pending>& p = *it;
    const size_t n = p->rows->num_rows();
    if (!batch.empty() && (p->model != batch.front()->model || rows + n > max_rows_)) {
      ++it;  // another model's request, or no room: a later batch takes it
      continue;
    }
    batch.push_back(p);
    rows += n;
    it = queue_.erase(it);
    if (rows >= max_rows_) break;
  }
  return batch;
}

void MicroBatcher::RunBatch(const std::vector<std::shared_ptr<Pending>>& batch) {
  const ServedModel& model = *batch.front()->model;
  try {
    if (batch.size() == 1) {
      batch.front()->scores = model.model().gbdt()->PredictRaw(*batch.front()->rows, 1);
    } else {
      size_t total = 0;
      for (const auto& p : batch) total += p->rows->num_rows();
      // The rows side by side: cells are row-major, so each request's rows are one block.
      data::BinnedDataset all = model.inputs().NewRows(total);
      const size_t row_bytes = all.num_features() * all.bytes_per_cell();
      uint8_t* out = all.mutable_cells();
      for (const auto& p : batch) {
        const size_t bytes = p->rows->num_rows() * row_bytes;
        if (bytes > 0) std::memcpy(out, p->rows->cells(), bytes);
        out += bytes;
      }
      const std::vector<double> scores = model.model().gbdt()->PredictRaw(all, 1);
      const size_t k = static_cast<size_t>(model.model().num_outputs());
      size_t at = 0;
      for (const auto& p : batch) {
        const size_t n = p->rows->num_rows() * k;
        p->scores.assign(scores.begin() + static_cast<std::ptrdiff_t>(at),
                         scores.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
      }
    }
    if (metrics_) {
      size_t total = 0;
      for (const auto& p : batch) total += p->rows->num_rows();
      metrics_->RecordMicroBatch(batch.size(), total);
    }
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    for (const auto& p : batch) p->error = error;
  }
}

std::vector<double> MicroBatcher::PredictRaw(const ServedModel& model,
                                             const data::BinnedDataset& rows) {
  if (rows.num_rows() >= max_rows_) return model.model().gbdt()->PredictRaw(rows, 1);
  auto self = std::make_shared<Pending>();
  self->model = &model;
  self->rows = &rows;
  std::unique_lock lock(mutex_);
  queue_.push_back(self);
  if (leading_) self->wake.wait(lock, [&] { return self->done || self->lead; });
  if (!self->done) {
    // Lead: run batches while requests are queued (those that arrived during a batch form the
    // next one). Handing the lead to a waiting thread after each batch would put a thread
    // wake-up between every two batches, with the predictor idle meanwhile; but so that this
    // request is not held up forever under a steady stream, after kExtraBatches batches past its
    // own the lead goes to the oldest waiting request.
    leading_ = true;
    int extra = 0;
    while (!queue_.empty()) {
      if (self->done && ++extra > kExtraBatches) {
        std::shared_ptr<Pending> next = queue_.front();
        next->lead = true;
        lock.unlock();
        next->wake.notify_one();
        lock.lock();
        break;
      }
      const std::vector<std::shared_ptr<Pending>> batch = TakeBatch();
      lock.unlock();
      RunBatch(batch);
      lock.lock();
      for (const auto& p : batch) p->done = true;
      lock.unlock();
      for (const auto& p : batch)
        if (p != self) p->wake.notify_one();
      lock.lock();
    }
    if (queue_.empty() && !(extra > kExtraBatches)) leading_ = false;
  }
  lock.unlock();
  if (self->error) std::rethrow_exception(self->error);
  return std::move(self->scores);
}

}  // namespace tessera::serve
