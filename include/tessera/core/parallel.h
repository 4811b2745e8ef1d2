// ParallelFor: splits [0, n) into contiguous blocks and runs them at once on a shared pool of
// worker threads (started once, so short loops do not pay for creating threads). Results must
// depend only on the index, never on the block split, so that any thread count gives the same
// answer (see DESIGN.md: deterministic reductions). Thread-safe: concurrent callers take turns;
// a ParallelFor inside a pool task runs inline.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace tessera {

// Number of threads to use when the user asks for `requested` (0 = all cores).
inline int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Runs task(0..tasks-1) on up to `threads` threads (the caller is one of them) and returns when
// all are done. Rethrows the first exception a task threw.
void RunTasks(size_t tasks, int threads, const std::function<void(size_t)>& task);

// Calls fn(begin, end, block) for contiguous blocks covering [0, n), one per thread. Blocks
// smaller than `min_block` are merged so tiny inputs do not pay for coordination.
template <typename Fn>
void ParallelFor(size_t n, int threads, Fn&& fn, size_t min_block = 1) {
  if (n == 0) return;
  size_t blocks = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(threads, 1)), (n + min_block - 1) / min_block));
  if (blocks == 1) {
    fn(size_t{0}, n, size_t{0});
    return;
  }
  RunTasks(blocks, static_cast<int>(blocks), [&](size_t b) { fn(n * b / blocks, n * (b + 1) / blocks, b); });
}

}  // namespace tessera
