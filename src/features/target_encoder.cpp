#include "tessera/features/target_encoder.h"

#include <algorithm>
#include <map>

namespace tessera::features {

namespace {

struct Stats {
  double count = 0;
  std::vector<double> sums;
};

uint32_t CodeOf(float v) { return v >= 0 ? static_cast<uint32_t>(v) : 0; }

}  // namespace

int TargetEncoder::FoldOf(uint64_t row, const TargetEncodingOptions& options) {
  uint64_t z = (row + 1) * 0x9E3779B97F4A7C15ull ^ (options.seed * 0xD1B54A32D192ED03ull + 0x5851F42D4C957F2Dull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<int>(z % static_cast<uint64_t>(options.folds));
}

TargetEncoder TargetEncoder::FitOutOfFold(ColumnView codes, std::span<const double> targets, size_t width,
                                          const TargetEncodingOptions& options, OutputBlock oof) {
  const size_t n = codes.rows;
  const size_t k = static_cast<size_t>(options.folds);
  // Per fold: per code, count and target sums; and per fold, the overall sums.
  std::vector<std::map<uint32_t, Stats>> by_fold(k);
  std::vector<Stats> fold_total(k, Stats{0, std::vector<double>(width, 0.0)});
  std::vector<int> fold(n);
  for (size_t i = 0; i < n; ++i) {
    fold[i] = FoldOf(i, options);
    Stats& s = by_fold[static_cast<size_t>(fold[i])][CodeOf(codes[i])];
    if (s.sums.empty()) s.sums.assign(width, 0.0);
    s.count += 1;
    fold_total[static_cast<size_t>(fold[i])].count += 1;
    for (size_t t = 0; t < width; ++t) {
      s.sums[t] += targets[i * width + t];
      fold_total[static_cast<size_t>(fold[i])].sums[t] += targets[i * width + t];
    }
  }
  // All rows: the encoder for prediction.
  std::map<uint32_t, Stats> all;
  Stats total{0, std::vector<double>(width, 0.0)};
  for (size_t f = 0; f < k; ++f) {
    for (const auto& [code, s] : by_fold[f]) {
      Stats& a = all[code];
      if (a.sums.empty()) a.sums.assign(width, 0.0);
      a.count += s.count;
      for (size_t t = 0; t < width; ++t) a.sums[t] += s.sums[t];
    }
    total.count += fold_total[f].count;
    for (size_t t = 0; t < width; ++t) total.sums[t] += fold_total[f].sums[t];
  }
  TargetEncoder e;
  e.smoothing_ = options.smoothing;
  e.folds_ = options.folds;
  e.seed_ = options.seed;
  e.prior_.assign(width, 0.0);
  if (total.count > 0)
    for (size_t t = 0; t < width; ++t) e.prior_[t] = total.sums[t] / total.count;
  for (const auto& [code, s] : all) {
    e.codes_.push_back(code);
    std::vector<double> enc(width);
    for (size_t t = 0; t < width; ++t) enc[t] = (s.sums[t] + options.smoothing * e.prior_[t]) / (s.count + options.smoothing);
    e.encoding_.push_back(std::move(enc));
  }
  // Out of fold: the statistics of the other folds, summed fold by fold (never "all minus own",
  // whose rounding would still depend on the row's own label).
  for (size_t f = 0; f < k; ++f) {
    std::map<uint32_t, Stats> rest;
    Stats rest_total{0, std::vector<double>(width, 0.0)};
    for (size_t g = 0; g < k; ++g) {
      if (g == f) continue;
      for (const auto& [code, s] : by_fold[g]) {
        Stats& a = rest[code];
        if (a.sums.empty()) a.sums.assign(width, 0.0);
        a.count += s.count;
        for (size_t t = 0; t < width; ++t) a.sums[t] += s.sums[t];
      }
      rest_total.count += fold_total[g].count;
      for (size_t t = 0; t < width; ++t) rest_total.sums[t] += fold_total[g].sums[t];
    }
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<size_t>(fold[i]) != f) continue;
      auto it = rest.find(CodeOf(codes[i]));
      for (size_t t = 0; t < width; ++t) {
        const double prior = rest_total.count > 0 ? rest_total.sums[t] / rest_total.count : e.prior_[t];
        const double count = it == rest.end() ? 0.0 : it->second.count;
        const double sum = it == rest.end() ? 0.0 : it->second.sums[t];
        const double denom = count + options.smoothing;
        oof.at(i, t) = denom > 0 ? (sum + options.smoothing * prior) / denom : prior;
      }
    }
  }
  return e;
}

std::vector<std::string> TargetEncoder::OutputNames(const std::string& input, const std::vector<std::string>& target_names) const {
  std::vector<std::string> names;
  for (size_t t = 0; t < prior_.size(); ++t)
    names.push_back(input + ":target" + (prior_.size() > 1 ? "=" + (t < target_names.size() ? target_names[t] : std::to_string(t)) : ""));
  return names;
}

void TargetEncoder::Transform(ColumnView codes, OutputBlock out) const {
  const size_t width = prior_.size();
  for (size_t i = 0; i < codes.rows; ++i) {
    const uint32_t code = CodeOf(codes[i]);
    auto it = std::lower_bound(codes_.begin(), codes_.end(), code);
    const bool seen = it != codes_.end() && *it == code;
    const std::vector<double>& enc = seen ? encoding_[static_cast<size_t>(it - codes_.begin())] : prior_;
    for (size_t t = 0; t < width; ++t) out.at(i, t) = enc[t];
  }
}

nlohmann::json TargetEncoder::ToJson() const {
  return {{"transform", "target"}, {"folds", folds_},     {"seed", seed_},         {"smoothing", smoothing_},
          {"prior", prior_},       {"codes", codes_},     {"encoding", encoding_}};
}

Result<TargetEncoder> TargetEncoder::FromJson(const nlohmann::json& j) {
  TargetEncoder e;
  e.folds_ = j.at("folds").get<int>();
  e.seed_ = j.at("seed").get<uint64_t>();
  e.smoothing_ = j.at("smoothing").get<double>();
  e.prior_ = j.at("prior").get<std::vector<double>>();
  e.codes_ = j.at("codes").get<std::vector<uint32_t>>();
  e.encoding_ = j.at("encoding").get<std::vector<std::vector<double>>>();
  if (e.prior_.empty()) return Status::UserError("target: the prior needs at least one value");
  if (e.codes_.size() != e.encoding_.size()) return Status::UserError("target: one encoding per code expected");
  if (!std::is_sorted(e.codes_.begin(), e.codes_.end())) return Status::UserError("target: codes must be sorted");
  for (const auto& enc : e.encoding_)
    if (enc.size() != e.prior_.size()) return Status::UserError("target: every encoding needs one value per target column");
  return e;
}

}  // namespace tessera::features
