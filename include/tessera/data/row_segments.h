// Where the rows of one process's share of a table sit in the whole table: runs of consecutive
// rows (segments). Distributed training keys everything random about a row (hessian rounding,
// bagging) on its global row number, so that any split of the rows between processes draws the
// same numbers as one process would. Plain value; thread-safe to read.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tessera::data {

struct RowSegment {
  uint64_t local_begin = 0;   // first local row of the run
  uint64_t global_begin = 0;  // its row number in the whole table
  uint64_t count = 0;
};

class GlobalRows {
 public:
  // The identity: local row i is global row i (one process holds the whole table).
  GlobalRows() = default;
  // `segments` sorted by local_begin, covering local rows 0.. without gaps.
  explicit GlobalRows(std::vector<RowSegment> segments) : segments_(std::move(segments)) {}

  bool identity() const { return segments_.empty(); }
  const std::vector<RowSegment>& segments() const { return segments_; }

  // Calls f(local, global) for the local rows [begin, end), in order.
  template <typename F>
  void ForEach(uint64_t begin, uint64_t end, F&& f) const {
    if (segments_.empty()) {
      for (uint64_t i = begin; i < end; ++i) f(i, i);
      return;
    }
    auto it = std::upper_bound(segments_.begin(), segments_.end(), begin,
                               [](uint64_t row, const RowSegment& s) { return row < s.local_begin; });
    if (it != segments_.begin()) --it;
    for (uint64_t i = begin; i < end && it != segments_.end(); ++it) {
      const uint64_t seg_end = std::min(end, it->local_begin + it->count);
      for (; i < seg_end; ++i) f(i, it->global_begin + (i - it->local_begin));
    }
  }

 private:
  std::vector<RowSegment> segments_;
};

}  // namespace tessera::data
