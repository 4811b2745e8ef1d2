#include "tessera/data/bin_mapper.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace tessera::data {

namespace {
// A threshold t with a <= t < b, preferring the midpoint so unseen values split evenly.
float Between(float a, float b) {
  // Below everything but -inf: the JSON of a model has no -inf, so -inf and the lowest float
  // share the first bin.
  if (std::isinf(a) && a < 0) return std::numeric_limits<float>::lowest();
  float mid = static_cast<float>((static_cast<double>(a) + static_cast<double>(b)) / 2);
  return (mid >= a && mid < b) ? mid : a;
}
}  // namespace

BinMapper BinMapper::FromSketch(const QuantileSketch& sketch, int max_bin) {
  return FromSummary(sketch.Summary(), max_bin);
}

BinMapper BinMapper::FromSummary(const std::vector<SketchEntry>& s, int max_bin) {
  BinMapper m;
  m.kind_ = Kind::kNumeric;
  const size_t value_bins = static_cast<size_t>(std::max(max_bin, 2) - 1);
  if (s.empty()) {
    m.num_bins_ = 2;  // missing + one bin for any value seen later
    return m;
  }
  if (s.size() <= value_bins) {
    // Few distinct values: one bin each.
    for (size_t i = 0; i + 1 < s.size(); ++i) m.thresholds_.push_back(Between(s[i].value, s[i + 1].value));
  } else {
    // Greedy equal-weight cuts: each next cut aims at an equal share of the weight not yet
    // binned, so a value heavier than a share takes a bin alone and the bins it would have used
    // go to the rest.
    auto at_or_below = [&](size_t idx) { return (s[idx].rmin + s[idx].rmax + s[idx].w) / 2; };
    const double total = s.back().rmax;
    double binned = 0;
    size_t next = 0;  // first entry not yet in a bin
    for (size_t rest = value_bins; rest > 1 && next + 1 < s.size(); --rest) {
      double target = binned + (total - binned) / static_cast<double>(rest);
      size_t cut = next;
      while (cut + 2 < s.size() && at_or_below(cut) < target) ++cut;
      if (cut > next && target - at_or_below(cut - 1) < at_or_below(cut) - target) --cut;
      m.thresholds_.push_back(Between(s[cut].value, s[cut + 1].value));
      binned = at_or_below(cut);
      next = cut + 1;
    }
    m.thresholds_.erase(std::unique(m.thresholds_.begin(), m.thresholds_.end()), m.thresholds_.end());
  }
  m.num_bins_ = static_cast<uint32_t>(m.thresholds_.size() + 2);
  return m;
}

BinMapper BinMapper::FromCategoryCounts(const std::vector<std::pair<std::string, uint64_t>>& counts,
                                        int max_bin, uint64_t min_count) {
  BinMapper m;
  m.kind_ = Kind::kCategorical;
  std::vector<std::pair<std::string, uint64_t>> sorted = counts;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  const size_t room = static_cast<size_t>(std::max(max_bin, 3) - 2);
  for (const auto& [name, count] : sorted) {
    if (m.categories_.size() == room || count < min_count) break;
    m.categories_.push_back(name);
  }
  m.num_bins_ = static_cast<uint32_t>(m.categories_.size() + 2);
  m.BuildIndex();
  return m;
}

void BinMapper::BuildIndex() {
  index_.clear();
  index_.reserve(categories_.size());
  for (size_t i = 0; i < categories_.size(); ++i) index_.emplace(categories_[i], static_cast<uint32_t>(i + 1));
}

float BinMapper::BinUpperBound(uint32_t bin) const {
  if (kind_ != Kind::kNumeric || bin == kMissingBin) return std::numeric_limits<float>::quiet_NaN();
  if (bin - 1 < thresholds_.size()) return thresholds_[bin - 1];
  return std::numeric_limits<float>::infinity();
}

nlohmann::json BinMapper::ToJson() const {
  nlohmann::json j;
  j["kind"] = kind_ == Kind::kNumeric ? "numeric" : "categorical";
  j["num_bins"] = num_bins_;
  if (kind_ == Kind::kNumeric) j["thresholds"] = thresholds_;
  else j["categories"] = categories_;
  return j;
}

Result<BinMapper> BinMapper::FromJson(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string() || !j.contains("num_bins") ||
      !j["num_bins"].is_number_unsigned())
    return Status::UserError("bin mapper: expected an object with 'kind' and 'num_bins'");
  BinMapper m;
  std::string kind = j["kind"];
  if (j["num_bins"].get<uint64_t>() > 65536 || j["num_bins"].get<uint64_t>() < 2)
    return Status::UserError("bin mapper: num_bins must be between 2 and 65536");
  m.num_bins_ = j["num_bins"].get<uint32_t>();
  if (kind == "numeric") {
    m.kind_ = Kind::kNumeric;
    if (!j.contains("thresholds") || !j["thresholds"].is_array())
      return Status::UserError("bin mapper: numeric needs a 'thresholds' array");
    for (const auto& t : j["thresholds"]) {
      if (!t.is_number()) return Status::UserError("bin mapper: thresholds must be numbers");
      m.thresholds_.push_back(t.get<float>());
    }
    if (!std::is_sorted(m.thresholds_.begin(), m.thresholds_.end()) || m.num_bins_ != m.thresholds_.size() + 2)
      return Status::UserError("bin mapper: thresholds must be sorted and number num_bins - 2");
  } else if (kind == "categorical") {
    m.kind_ = Kind::kCategorical;
    if (!j.contains("categories") || !j["categories"].is_array())
      return Status::UserError("bin mapper: categorical needs a 'categories' array");
    for (const auto& c : j["categories"]) {
      if (!c.is_string()) return Status::UserError("bin mapper: categories must be strings");
      m.categories_.push_back(c.get<std::string>());
    }
    if (m.num_bins_ != m.categories_.size() + 2)
      return Status::UserError("bin mapper: categorical num_bins must be the number of categories + 2");
    m.BuildIndex();
  } else {
    return Status::UserError("bin mapper: unknown kind '" + kind + "'");
  }
  if (m.num_bins_ > 65536) return Status::UserError("bin mapper: more than 65536 bins");
  return m;
}

}  // namespace tessera::data
