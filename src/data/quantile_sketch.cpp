#include "tessera/data/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessera::data {

QuantileSketch::QuantileSketch(size_t max_entries, size_t buffer_size)
    : max_entries_(std::max<size_t>(max_entries, 4)), buffer_size_(std::max<size_t>(buffer_size, 1)) {}

void QuantileSketch::FlushBuffer() {
  if (buffer_.empty()) return;
  std::sort(buffer_.begin(), buffer_.end(), [](const Weighted& a, const Weighted& b) { return a.value < b.value; });
  std::vector<SketchEntry> exact;
  double below = 0;
  for (size_t i = 0; i < buffer_.size();) {
    float v = buffer_[i].value;
    double w = 0;
    for (; i < buffer_.size() && buffer_[i].value == v; ++i) w += buffer_[i].weight;
    exact.push_back({v, below, below + w, w});
    below += w;
  }
  buffer_.clear();
  AddToLevels(std::move(exact));
}

void QuantileSketch::AddToLevels(std::vector<SketchEntry> summary) {
  if (summary.size() > max_entries_) {
    summary = Prune(summary, max_entries_);
    pruned_ = true;
  }
  for (size_t level = 0;; ++level) {
    if (level == levels_.size()) levels_.emplace_back();
    if (levels_[level].empty()) {
      levels_[level] = std::move(summary);
      return;
    }
    std::vector<SketchEntry> combined = Combine(levels_[level], summary);
    levels_[level].clear();
    if (combined.size() > max_entries_) {
      combined = Prune(combined, max_entries_);
      pruned_ = true;
    }
    summary = std::move(combined);
  }
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  FlushBuffer();
  std::vector<SketchEntry> theirs = other.Summary();
  if (other.pruned_) pruned_ = true;
  if (!theirs.empty()) AddToLevels(std::move(theirs));
}

std::vector<SketchEntry> QuantileSketch::CombinedLevels() const {
  // Folds pending values into a copy so that const queries see everything pushed.
  QuantileSketch copy = *this;
  copy.FlushBuffer();
  std::vector<SketchEntry> out;
  for (const auto& level : copy.levels_) {
    if (level.empty()) continue;
    out = out.empty() ? level : Combine(out, level);
  }
  return out;
}

std::vector<SketchEntry> QuantileSketch::Summary() const {
  std::vector<SketchEntry> out = CombinedLevels();
  return out.size() > max_entries_ ? Prune(out, max_entries_) : out;
}

double QuantileSketch::TotalWeight() const {
  double total = 0;
  for (const auto& b : buffer_) total += b.weight;
  for (const auto& level : levels_)
    if (!level.empty()) total += level.back().rmax;
  return total;
}

bool QuantileSketch::Exact() const { return !pruned_ && CombinedLevels().size() <= max_entries_; }

float QuantileSketch::Query(double q) const {
  auto s = Summary();
  if (s.empty()) return std::numeric_limits<float>::quiet_NaN();
  return QueryOf(s, std::clamp(q, 0.0, 1.0) * s.back().rmax);
}

double QuantileSketch::RankError() const { return RankErrorOf(Summary()); }

std::vector<SketchEntry> QuantileSketch::Combine(const std::vector<SketchEntry>& a,
                                                 const std::vector<SketchEntry>& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  std::vector<SketchEntry> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  double a_below = 0, b_below = 0;  // lower bounds on the weight of each side consumed so far
  while (i < a.size() && j < b.size()) {
    const SketchEntry& x = a[i];
    const SketchEntry& y = b[j];
    if (x.value == y.value) {
      out.push_back({x.value, x.rmin + y.rmin, x.rmax + y.rmax, x.w + y.w});
      a_below = x.rmin + x.w;
      b_below = y.rmin + y.w;
      ++i, ++j;
    } else if (x.value < y.value) {
      // B's weight at or below x is at most B's weight strictly below y.
      out.push_back({x.value, x.rmin + b_below, x.rmax + (y.rmax - y.w), x.w});
      a_below = x.rmin + x.w;
      ++i;
    } else {
      out.push_back({y.value, y.rmin + a_below, y.rmax + (x.rmax - x.w), y.w});
      b_below = y.rmin + y.w;
      ++j;
    }
  }
  for (; i < a.size(); ++i) out.push_back({a[i].value, a[i].rmin + b_below, a[i].rmax + b.back().rmax, a[i].w});
  for (; j < b.size(); ++j) out.push_back({b[j].value, b[j].rmin + a_below, b[j].rmax + a.back().rmax, b[j].w});
  return out;
}

std::vector<SketchEntry> QuantileSketch::Prune(const std::vector<SketchEntry>& s, size_t max_entries) {
  if (s.size() <= max_entries) return s;
  // Keep the first and last entries, and for each of the evenly spaced target ranks between them
  // the entry whose rank interval midpoint is nearest.
  std::vector<SketchEntry> out;
  out.reserve(max_entries);
  out.push_back(s.front());
  const double total = s.back().rmax;
  const size_t targets = max_entries - 1;
  size_t i = 1, last_kept = 0;
  for (size_t k = 1; k < targets; ++k) {
    double target = total * static_cast<double>(k) / static_cast<double>(targets);
    auto mid = [&](size_t idx) { return (s[idx].rmin + s[idx].rmax) / 2; };
    while (i + 1 < s.size() - 1 && mid(i + 1) <= target) ++i;
    size_t pick = i;
    if (i + 1 < s.size() - 1 && std::abs(mid(i + 1) - target) < std::abs(mid(i) - target)) pick = i + 1;
    if (pick != last_kept && pick < s.size() - 1) {
      out.push_back(s[pick]);
      last_kept = pick;
    }
  }
  out.push_back(s.back());
  return out;
}

double QuantileSketch::RankErrorOf(const std::vector<SketchEntry>& s) {
  double err = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    double lo = s[i].rmin + s[i].w, hi = s[i].rmax - s[i].w;
    err = std::max(err, hi - lo);
    if (i + 1 < s.size()) err = std::max(err, ((s[i + 1].rmax - s[i + 1].w) - lo) / 2);
  }
  return err;
}

float QuantileSketch::QueryOf(const std::vector<SketchEntry>& s, double rank) {
  // Distance from `rank` to the interval the entry's true rank surely overlaps; pick the nearest.
  float best = s.front().value;
  double best_d = std::numeric_limits<double>::infinity();
  for (const auto& e : s) {
    double lo = e.rmin + e.w, hi = e.rmax - e.w;
    double d = std::max({0.0, rank - lo, hi - rank});
    if (d < best_d) best_d = d, best = e.value;
  }
  return best;
}

}  // namespace tessera::data
