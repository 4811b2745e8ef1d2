// The dense, row-major matrix of double-precision inputs that the linear solvers fit on (the
// output of a fitted feature pipeline), and a deterministic parallel sum over its rows: rows are
// cut into fixed blocks whatever the thread count, and the blocks' partial sums are added in
// block order, so every thread count gives the same bits. Plain value type.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace tessera::models::linear {

struct DesignMatrix {
  size_t rows = 0, cols = 0;
  std::vector<double> values;  // rows x cols, row-major
  const double* row(size_t r) const { return values.data() + r * cols; }
  double* mutable_row(size_t r) { return values.data() + r * cols; }
};

// Rows per block of a deterministic row sum.
constexpr size_t kRowBlock = 4096;

// out = sum over the blocks [b, e) of [0, rows) of the vector (size out->size()) that
// `partial(b, e, acc)` adds into `acc` (zeroed first), added in block order.
void BlockSum(size_t rows, int threads, std::vector<double>* out,
              const std::function<void(size_t begin, size_t end, double* acc)>& partial);

}  // namespace tessera::models::linear
