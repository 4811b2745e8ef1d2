// Fixed-point sums: doubles rounded to a common power-of-two grid and added as 64-bit integers,
// so that the total does not depend on the order of addition — nor on how the terms are split
// between threads or machines, provided all of them use the same grid (chosen from the largest
// |term| and the number of terms over all of them). Pure functions; thread-safe.
#pragma once

#include <cmath>
#include <cstdint>

namespace tessera {

// The largest power of two s such that `terms` values of magnitude <= max_abs, times s, add up
// to at most 2^62 (1 when max_abs is 0).
inline double FixedPointScale(double max_abs, uint64_t terms) {
  const double total = max_abs * static_cast<double>(terms > 0 ? terms : 1);
  return total > 0 ? std::exp2(std::floor(62 - std::log2(total))) : 1.0;
}

// v on the grid of `scale`, rounded to nearest.
inline int64_t ToFixedPoint(double v, double scale) {
  const double x = v * scale;
  return static_cast<int64_t>(x >= 0 ? x + 0.5 : x - 0.5);
}

}  // namespace tessera
