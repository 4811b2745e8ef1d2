#include "tessera/models/linear/design_matrix.h"

#include <algorithm>

#include "tessera/core/parallel.h"

namespace tessera::models::linear {

void BlockSum(size_t rows, int threads, std::vector<double>* out,
              const std::function<void(size_t begin, size_t end, double* acc)>& partial) {
  const size_t width = out->size();
  const size_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  std::fill(out->begin(), out->end(), 0.0);
  if (blocks == 0) return;
  std::vector<double> parts(blocks * width, 0.0);
  RunTasks(blocks, std::max(1, std::min<int>(ResolveThreads(threads), static_cast<int>(blocks))), [&](size_t b) {
    partial(b * kRowBlock, std::min(rows, (b + 1) * kRowBlock), parts.data() + b * width);
  });
  for (size_t b = 0; b < blocks; ++b)
    for (size_t j = 0; j < width; ++j) (*out)[j] += parts[b * width + j];
}

}  // namespace tessera::models::linear
