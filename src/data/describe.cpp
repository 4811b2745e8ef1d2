#include "tessera/data/describe.h"

#include <algorithm>
#include <cmath>

namespace tessera::data {

namespace {
nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
}  // namespace

nlohmann::json DescribeProfile(const Schema& schema, const TableProfile& profile, size_t top_k) {
  nlohmann::json cols = nlohmann::json::array();
  for (size_t c = 0; c < schema.size(); ++c) {
    const Column& col = schema.column(c);
    nlohmann::json j = {{"name", col.name}, {"type", ToString(col.type)}, {"role", ToString(col.role)}};
    if (col.role == ColumnRole::kIgnored || c >= profile.columns().size()) {
      cols.push_back(j);
      continue;
    }
    const ColumnProfile& p = profile.columns()[c];
    j["count"] = p.count;
    j["missing"] = p.missing;
    nlohmann::json top = nlohmann::json::array();
    if (col.type == ColumnType::kCategorical) {
      j["distinct"] = p.categories.size();
      j["distinct_exact"] = true;
      auto sorted = p.SortedCategories();
      for (size_t i = 0; i < sorted.size() && i < top_k; ++i) top.push_back({sorted[i].first, sorted[i].second});
    } else {
      j["min"] = p.count ? Number(p.min) : nlohmann::json(nullptr);
      j["max"] = p.count ? Number(p.max) : nlohmann::json(nullptr);
      j["mean"] = p.count ? Number(p.mean()) : nlohmann::json(nullptr);
      if (col.type == ColumnType::kDatetime && p.count) {
        for (const char* k : {"min", "max", "mean"})
          if (j[k].is_number()) j[k] = FormatDatetime(j[k].get<double>());
      }
      bool exact = p.sketch.Exact();
      auto summary = p.sketch.Summary();
      j["distinct"] = summary.size();
      j["distinct_exact"] = exact;
      if (exact) {
        std::sort(summary.begin(), summary.end(), [](const SketchEntry& a, const SketchEntry& b) {
          return a.w != b.w ? a.w > b.w : a.value < b.value;
        });
        for (size_t i = 0; i < summary.size() && i < top_k; ++i)
          top.push_back({summary[i].value, static_cast<uint64_t>(summary[i].w)});
      } else if (p.count) {
        j["p50"] = Number(p.sketch.Query(0.5));
      }
    }
    j["top"] = top;
    cols.push_back(j);
  }
  return {{"rows", profile.rows()}, {"columns", cols}};
}

nlohmann::json DescribeBinned(const BinnedDataset& ds, size_t top_k) {
  nlohmann::json cols = nlohmann::json::array();
  for (size_t f = 0; f < ds.num_features(); ++f) {
    const BinMapper& m = ds.mappers()[f];
    const Column& col = ds.schema().column(ds.feature_columns()[f]);
    std::vector<uint64_t> counts(m.num_bins(), 0);
    for (size_t r = 0; r < ds.num_rows(); ++r) ++counts[ds.bin(r, f)];
    nlohmann::json j = {{"name", col.name}, {"type", ToString(col.type)}, {"role", "feature"}};
    j["count"] = ds.num_rows() - counts[BinMapper::kMissingBin];
    j["missing"] = counts[BinMapper::kMissingBin];
    j["bins"] = m.num_bins();
    std::vector<uint32_t> order(m.num_bins());
    for (uint32_t b = 0; b < order.size(); ++b) order[b] = b;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return counts[a] != counts[b] ? counts[a] > counts[b] : a < b; });
    nlohmann::json top = nlohmann::json::array();
    for (size_t i = 0; i < order.size() && top.size() < top_k; ++i) {
      uint32_t b = order[i];
      if (b == BinMapper::kMissingBin || counts[b] == 0) continue;
      std::string label = m.kind() == BinMapper::Kind::kCategorical
                              ? (b == m.rare_bin() ? "(rare)" : m.categories()[b - 1])
                              : "bin " + std::to_string(b);
      top.push_back({label, counts[b]});
    }
    j["top"] = top;
    cols.push_back(j);
  }
  return {{"rows", ds.num_rows()}, {"columns", cols}};
}

}  // namespace tessera::data
