// ModelHolder: the model being served, swapped whole by a hot reload. Requests take a
// std::shared_ptr copy with Get() and use it to the end, so a swap never changes a model under a
// request in flight and the old model is freed when its last request finishes. Thread-safe
// (std::atomic<std::shared_ptr>).
#pragma once

#include <atomic>
#include <memory>

#include "tessera/serve/served_model.h"

namespace tessera::serve {

class ModelHolder {
 public:
  // The current model; null before the first one is set.
  std::shared_ptr<const ServedModel> Get() const { return current_.load(std::memory_order_acquire); }
  void Set(std::shared_ptr<const ServedModel> model) { current_.store(std::move(model), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const ServedModel>> current_;
};

}  // namespace tessera::serve
