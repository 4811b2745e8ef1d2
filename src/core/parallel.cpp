#include "tessera/core/parallel.h"

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <mutex>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tessera {

namespace {

thread_local bool tls_in_pool_task = false;

// Spins (for up to ~50 µs) until done() holds; returns whether it did. Batches often follow each
// other within microseconds, and waking a thread through the kernel takes longer than that.
template <typename Done>
bool SpinUntil(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  for (int i = 0;; ++i) {
    if (done()) return true;
#if defined(__SSE2__)
    _mm_pause();
#endif
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return false;
  }
}

// Workers sleep until a batch is posted, then claim task indices from a shared counter.
class ThreadPool {
 public:
  static ThreadPool& Instance() {
    static ThreadPool pool;
    return pool;
  }

  void Run(size_t tasks, int threads, const std::function<void(size_t)>& task) {
    std::lock_guard run_lock(run_mutex_);  // one batch at a time
    EnsureWorkers(static_cast<size_t>(threads) - 1);
    std::vector<std::exception_ptr> errors(tasks);
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      errors_ = &errors;
      total_ = tasks;
      next_.store(0);
      pending_ = tasks;
      helpers_wanted_ = static_cast<size_t>(threads) - 1;
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    Work();
    SpinUntil([&] { return pending_.load() == 0 && active_.load() == 0; });
    {
      std::unique_lock lock(mutex_);
      done_.wait(lock, [&] { return pending_ == 0 && active_ == 0; });
      task_ = nullptr;
    }
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

 private:
  void EnsureWorkers(size_t n) {
    while (workers_.size() < n) workers_.emplace_back([this] { WorkerLoop(); });
  }

  // Claims and runs tasks of the current batch until none are left.
  void Work() {
    for (;;) {
      size_t i = next_.fetch_add(1);
      if (i >= total_) return;
      tls_in_pool_task = true;
      try {
        (*task_)(i);
      } catch (...) {
        (*errors_)[i] = std::current_exception();
      }
      tls_in_pool_task = false;
      std::lock_guard lock(mutex_);
      if (--pending_ == 0) done_.notify_all();
    }
  }

  void WorkerLoop() {
    uint64_t seen = 0;
    for (;;) {
      SpinUntil([&] { return generation_.load() != seen; });
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && helpers_wanted_ > 0); });
        if (stop_) return;
        seen = generation_;
        --helpers_wanted_;
        ++active_;
      }
      Work();
      {
        std::lock_guard lock(mutex_);
        if (--active_ == 0 && pending_ == 0) done_.notify_all();
      }
    }
  }

  std::mutex run_mutex_, mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(size_t)>* task_ = nullptr;
  std::vector<std::exception_ptr>* errors_ = nullptr;
  std::atomic<size_t> next_{0};
  size_t total_ = 0, helpers_wanted_ = 0;
  // Changed under mutex_, but also read without it while spinning.
  std::atomic<size_t> pending_{0}, active_{0};
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
};

}  // namespace

void RunTasks(size_t tasks, int threads, const std::function<void(size_t)>& task) {
  if (tasks == 0) return;
  if (tasks == 1 || threads <= 1 || tls_in_pool_task) {
    for (size_t i = 0; i < tasks; ++i) task(i);
    return;
  }
  ThreadPool::Instance().Run(tasks, std::min<int>(threads, static_cast<int>(tasks)), task);
}

}  // namespace tessera
