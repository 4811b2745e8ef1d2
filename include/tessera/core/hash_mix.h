// Mix64: splitmix64's finaliser, a well-mixed 64-bit hash of a 64-bit value. The building block
// of every keyed random draw (bagging, rounding, extra-trees thresholds) that must come out the
// same for any thread count and any split of the rows between ranks. Pure; thread-safe.
#pragma once

#include <cstdint>

namespace tessera {

constexpr uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace tessera
