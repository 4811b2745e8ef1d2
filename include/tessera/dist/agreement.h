// Agreement between ranks: on whether a step succeeded everywhere (so that a rank that fails on
// its own input stops every rank at the next synchronisation point, with the same message
// naming the rank and the cause), and typed helpers over Collective's byte gather.
// Collective calls: every rank must call these in the same order.
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/dist/collective.h"

namespace tessera::dist {

// Every rank passes its own outcome; every rank gets the same answer: OK when all succeeded,
// else an error whose message names each failing rank and its message ("rank 2: data.csv:7:3:
// ..."), a user error unless some rank's error was internal. A failure of the collective itself
// is returned as an internal error.
Status AgreeOnStatus(Collective& world, const Status& local);

// Every rank's values, in rank order.
template <typename T>
Result<std::vector<std::vector<T>>> AllGatherValues(Collective& world, std::span<const T> values) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  TESSERA_ASSIGN_OR_RETURN(std::vector<std::string> all, world.AllGather(bytes));
  std::vector<std::vector<T>> out(all.size());
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].size() % sizeof(T) != 0) return Status::Internal("gathered buffer of rank " + std::to_string(r) + " is cut short");
    out[r].resize(all[r].size() / sizeof(T));
    if (!out[r].empty()) std::memcpy(out[r].data(), all[r].data(), all[r].size());
  }
  return out;
}

}  // namespace tessera::dist
