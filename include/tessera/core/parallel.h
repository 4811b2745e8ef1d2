// ParallelFor: splits [0, n) into contiguous blocks, one per thread, and runs them at once.
// Results must depend only on the index, never on the block split, so that any thread count
// gives the same answer (see DESIGN.md: deterministic reductions).
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace tessera {

// Number of threads to use when the user asks for `requested` (0 = all cores).
inline int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls fn(begin, end, block) for `threads` contiguous blocks covering [0, n). Blocks smaller
// than `min_block` are merged so tiny inputs do not pay for thread start-up.
template <typename Fn>
void ParallelFor(size_t n, int threads, Fn&& fn, size_t min_block = 1) {
  if (n == 0) return;
  size_t blocks = std::max<size_t>(1, std::min<size_t>(threads, (n + min_block - 1) / min_block));
  if (blocks == 1) {
    fn(size_t{0}, n, size_t{0});
    return;
  }
  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors(blocks);
  workers.reserve(blocks - 1);
  auto run = [&](size_t b) {
    size_t begin = n * b / blocks, end = n * (b + 1) / blocks;
    try {
      fn(begin, end, b);
    } catch (...) {
      errors[b] = std::current_exception();
    }
  };
  for (size_t b = 1; b < blocks; ++b) workers.emplace_back(run, b);
  run(0);
  for (auto& w : workers) w.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace tessera
