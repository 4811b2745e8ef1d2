#include "tessera/features/unusable_features.h"

#include <algorithm>
#include <cmath>

namespace tessera::features {

namespace {

constexpr uint64_t kMinDistinctIds = 50;
constexpr size_t kMinIdRows = 100;
constexpr double kMonotoneShare = 0.99;

std::string Count(uint64_t n) { return std::to_string(n); }

// A categorical feature with more than half of its non-missing rows distinct: "" if not.
std::string IdLikeCategories(const data::BinMapper& m, const std::vector<uint64_t>& counts) {
  const size_t rare = m.num_bins() - 1;
  uint64_t rows = 0, listed = 0, most = 0;
  for (size_t b = 1; b < rare; ++b) {
    rows += counts[b];
    listed += counts[b] > 0;
    most = std::max(most, counts[b]);
  }
  const uint64_t rare_rows = counts[rare];
  rows += rare_rows;
  // Rare categories are each at most as frequent as the most frequent listed one.
  const uint64_t distinct = listed + (rare_rows == 0 ? 0 : most == 0 ? 1 : (rare_rows + most - 1) / most);
  if (distinct < kMinDistinctIds || 2 * distinct <= rows) return "";
  return "ID-like: at least " + Count(distinct) + " distinct values in " + Count(rows) + " rows";
}

// A numeric feature that numbers the rows: "" if not.
std::string IdLikeNumbers(const data::BinnedDataset& ds, size_t f, const std::vector<uint64_t>& counts) {
  const data::BinMapper& m = ds.mappers()[f];
  const size_t n = ds.num_rows();
  const auto& t = m.thresholds();
  if (n < kMinIdRows || counts[data::BinMapper::kMissingBin] > 0 || t.size() < 2) return "";
  for (double edge : t)
    if (std::floor(2 * edge) != 2 * edge) return "";  // not an integer column
  // Distinct integers in (t.front(), t.back()] number at most its length.
  uint64_t inner_rows = 0;
  for (size_t b = 2; b <= t.size(); ++b) inner_rows += counts[b];
  if (static_cast<double>(inner_rows) > std::floor(t.back() - t.front()) + 1) return "";
  size_t rising = 0, falling = 0;
  for (size_t r = 1; r < n; ++r) {
    const uint32_t a = ds.bin(r - 1, f), b = ds.bin(r, f);
    rising += a <= b;
    falling += a >= b;
  }
  const double pairs = static_cast<double>(n - 1);
  if (std::max(rising, falling) < kMonotoneShare * pairs) return "";
  return "ID-like: distinct integers " + std::string(rising >= falling ? "rising" : "falling") + " with the row order";
}

}  // namespace

std::vector<UnusableFeature> FindUnusableFeatures(const data::BinnedDataset& ds, int keep) {
  std::vector<UnusableFeature> out;
  if (ds.num_rows() == 0) return out;
  const auto counts = data::BinCounts(ds);
  for (size_t f = 0; f < ds.num_features(); ++f) {
    if (static_cast<int>(f) == keep) continue;
    const size_t used = static_cast<size_t>(std::count_if(counts[f].begin(), counts[f].end(), [](uint64_t c) { return c > 0; }));
    std::string reason;
    if (used <= 1) reason = "constant";
    else if (ds.mappers()[f].kind() == data::BinMapper::Kind::kCategorical) reason = IdLikeCategories(ds.mappers()[f], counts[f]);
    else reason = IdLikeNumbers(ds, f, counts[f]);
    if (!reason.empty()) out.push_back({f, ds.feature_name(f), std::move(reason)});
  }
  return out;
}

}  // namespace tessera::features
