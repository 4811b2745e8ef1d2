#include "tessera/data/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace tessera::data {

QuantileSketch::QuantileSketch(size_t max_entries, size_t buffer_size)
    : max_entries_(std::max<size_t>(max_entries, 4)), buffer_size_(std::max<size_t>(buffer_size, 1)) {}

namespace {

// Order-preserving map from float to uint32 (negative values flipped), for radix sorting.
uint32_t SortKey(float v) {
  if (v == 0) v = 0.0f;  // -0 and +0 are one value
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
float FromSortKey(uint32_t k) {
  uint32_t u = (k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k;
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

// LSD radix sort of keys, 11 bits per pass (three passes cover 32 bits).
void RadixSort(std::vector<uint32_t>* keys) {
  std::vector<uint32_t> tmp(keys->size());
  uint32_t* src = keys->data();
  uint32_t* dst = tmp.data();
  const size_t n = keys->size();
  for (int shift = 0; shift < 32; shift += 11) {
    uint32_t counts[2048] = {};
    for (size_t i = 0; i < n; ++i) ++counts[(src[i] >> shift) & 2047];
    uint32_t sum = 0;
    for (uint32_t& c : counts) {
      uint32_t x = c;
      c = sum;
      sum += x;
    }
    for (size_t i = 0; i < n; ++i) dst[counts[(src[i] >> shift) & 2047]++] = src[i];
    std::swap(src, dst);
  }
  if (src != keys->data()) std::memcpy(keys->data(), src, n * sizeof(uint32_t));
}

}  // namespace

void QuantileSketch::FlushBuffer() {
  if (!buffer_.empty()) {
    std::vector<uint32_t> keys(buffer_.size());
    for (size_t i = 0; i < buffer_.size(); ++i) keys[i] = SortKey(buffer_[i]);
    buffer_.clear();
    RadixSort(&keys);
    std::vector<SketchEntry> exact;
    double below = 0;
    for (size_t i = 0; i < keys.size();) {
      uint32_t k = keys[i];
      size_t j = i;
      while (j < keys.size() && keys[j] == k) ++j;
      double w = static_cast<double>(j - i);
      exact.push_back({FromSortKey(k), below, below + w, w});
      below += w;
      i = j;
    }
    AddToLevels(std::move(exact));
  }
  if (!weighted_.empty()) {
    std::sort(weighted_.begin(), weighted_.end(), [](const Weighted& a, const Weighted& b) { return a.value < b.value; });
    std::vector<SketchEntry> exact;
    double below = 0;
    for (size_t i = 0; i < weighted_.size();) {
      float v = weighted_[i].value;
      double w = 0;
      for (; i < weighted_.size() && weighted_[i].value == v; ++i) w += weighted_[i].weight;
      exact.push_back({v, below, below + w, w});
      below += w;
    }
    weighted_.clear();
    AddToLevels(std::move(exact));
  }
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
  total += static_cast<double>(buffer_.size());
  for (const auto& b : weighted_) total += b.weight;
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

void QuantileSketch::WriteTo(ByteWriter* out) const {
  const std::vector<SketchEntry> s = Summary();
  out->Put<uint8_t>(pruned_ ? 1 : 0);
  out->Put<uint64_t>(s.size());
  // Field by field: the struct's padding must not reach the bytes (equal summaries, equal bytes).
  for (const SketchEntry& e : s) out->Put(e.value), out->Put(e.rmin), out->Put(e.rmax), out->Put(e.w);
}

Result<QuantileSketch> QuantileSketch::ReadFrom(ByteReader* in, size_t max_entries, size_t buffer_size) {
  QuantileSketch sketch(max_entries, buffer_size);
  TESSERA_ASSIGN_OR_RETURN(uint8_t pruned, in->Get<uint8_t>());
  TESSERA_ASSIGN_OR_RETURN(uint64_t n, in->Get<uint64_t>());
  constexpr size_t kEntryBytes = sizeof(float) + 3 * sizeof(double);
  TESSERA_RETURN_IF_ERROR(in->CheckRoom(n, kEntryBytes));
  std::vector<SketchEntry> entries;
  entries.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    SketchEntry e;
    TESSERA_ASSIGN_OR_RETURN(e.value, in->Get<float>());
    TESSERA_ASSIGN_OR_RETURN(e.rmin, in->Get<double>());
    TESSERA_ASSIGN_OR_RETURN(e.rmax, in->Get<double>());
    TESSERA_ASSIGN_OR_RETURN(e.w, in->Get<double>());
    if (!entries.empty() && !(entries.back().value < e.value)) return Status::Internal("sketch entries out of order");
    entries.push_back(e);
  }
  sketch.pruned_ = pruned != 0;
  if (!entries.empty()) sketch.AddToLevels(std::move(entries));
  return sketch;
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
