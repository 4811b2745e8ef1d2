// QuantileSketch: a deterministic, mergeable summary of a weighted stream of numbers that answers
// "which value sits at rank r?" within a rank error it states itself (RankError()).
//
// It keeps sorted entries (value, rmin, rmax, w): a lower bound on the weight strictly below the
// value, an upper bound on the weight at or below it, and the weight equal to it. Merging two
// summaries combines these bounds exactly; pruning keeps at most `max_entries`. Inserts are
// buffered and folded in with a binary counter of levels, so the error grows with log(n), not n.
// Merge(a, b) of sketches of two halves answers within the stated error of the whole, which is
// what lets shards on different machines agree on bin edges. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tessera/core/byte_codec.h"
#include "tessera/core/status.h"

namespace tessera::data {

struct SketchEntry {
  float value;
  double rmin;  // weight strictly below `value` is at least this
  double rmax;  // weight at or below `value` is at most this
  double w;     // weight equal to `value` is at least this
};

class QuantileSketch {
 public:
  explicit QuantileSketch(size_t max_entries = 2048, size_t buffer_size = 1 << 16);

  // Adds a value with a weight (> 0). NaN must not be pushed.
  void Push(float value) {
    buffer_.push_back(value);
    if (buffer_.size() >= buffer_size_) FlushBuffer();
  }
  void Push(float value, double weight) {
    weighted_.push_back({value, weight});
    if (weighted_.size() >= buffer_size_) FlushBuffer();
  }
  // Folds `other` into this sketch (other is left unchanged).
  void Merge(const QuantileSketch& other);

  // The merged, pruned summary of everything pushed so far.
  std::vector<SketchEntry> Summary() const;
  // Total weight pushed.
  double TotalWeight() const;
  // Value whose rank is closest to q * TotalWeight(), q in [0, 1]. NaN when empty.
  float Query(double q) const;
  // Upper bound on |true rank of Query(q) - q * TotalWeight()|, in weight units.
  double RankError() const;
  // True while no entry was ever pruned: Summary() then lists every distinct value with its count.
  bool Exact() const;
  size_t max_entries() const { return max_entries_; }

  // The summary (and whether it was ever pruned) as bytes, for other processes; ReadFrom makes
  // a sketch holding exactly that summary, which merges as the original would.
  void WriteTo(ByteWriter* out) const;
  static Result<QuantileSketch> ReadFrom(ByteReader* in, size_t max_entries = 2048, size_t buffer_size = 1 << 16);

  // Static helpers on summaries (sorted by value).
  static std::vector<SketchEntry> Combine(const std::vector<SketchEntry>& a, const std::vector<SketchEntry>& b);
  static std::vector<SketchEntry> Prune(const std::vector<SketchEntry>& s, size_t max_entries);
  static double RankErrorOf(const std::vector<SketchEntry>& s);
  static float QueryOf(const std::vector<SketchEntry>& s, double rank);

 private:
  struct Weighted {
    float value;
    double weight;
  };
  void FlushBuffer();
  std::vector<SketchEntry> CombinedLevels() const;
  void AddToLevels(std::vector<SketchEntry> summary);

  size_t max_entries_, buffer_size_;
  std::vector<float> buffer_;        // unit-weight values (the common case), radix-sorted
  std::vector<Weighted> weighted_;   // values pushed with a weight
  std::vector<std::vector<SketchEntry>> levels_;  // levels_[i] is empty or summarizes 2^i buffers
  bool pruned_ = false;
};

}  // namespace tessera::data
