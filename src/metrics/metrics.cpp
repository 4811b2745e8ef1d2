#include "tessera/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tessera::metrics {

namespace {

double WeightOf(std::span<const float> weights, size_t i) { return weights.empty() ? 1.0 : weights[i]; }

double Clip(double p) { return std::clamp(p, 1e-15, 1.0 - 1e-15); }

}  // namespace

double Auc(std::span<const float> labels, std::span<const double> scores, std::span<const float> weights) {
  const size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Walk scores upwards; a group of tied scores adds half its positive-negative pairs.
  double negatives_below = 0, area = 0, positives = 0, negatives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    double pos = 0, neg = 0;
    while (j < n && scores[order[j]] == scores[order[i]]) {
      double w = WeightOf(weights, order[j]);
      (labels[order[j]] > 0.5f ? pos : neg) += w;
      ++j;
    }
    area += pos * (negatives_below + neg / 2);
    negatives_below += neg;
    positives += pos;
    negatives += neg;
    i = j;
  }
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return area / (positives * negatives);
}

double LogLoss(std::span<const float> labels, std::span<const double> probs, std::span<const float> weights) {
  double sum = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double p = Clip(probs[i]), w = WeightOf(weights, i);
    sum += -w * (labels[i] > 0.5f ? std::log(p) : std::log(1 - p));
    total += w;
  }
  return sum / total;
}

double BinaryError(std::span<const float> labels, std::span<const double> probs, std::span<const float> weights) {
  double wrong = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double w = WeightOf(weights, i);
    wrong += w * ((probs[i] > 0.5) != (labels[i] > 0.5f));
    total += w;
  }
  return wrong / total;
}

double Rmse(std::span<const float> labels, std::span<const double> preds, std::span<const float> weights) {
  double sum = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double d = preds[i] - labels[i], w = WeightOf(weights, i);
    sum += w * d * d;
    total += w;
  }
  return std::sqrt(sum / total);
}

double Mae(std::span<const float> labels, std::span<const double> preds, std::span<const float> weights) {
  double sum = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double w = WeightOf(weights, i);
    sum += w * std::abs(preds[i] - labels[i]);
    total += w;
  }
  return sum / total;
}

double R2(std::span<const float> labels, std::span<const double> preds, std::span<const float> weights) {
  double total = 0, mean = 0;
  for (size_t i = 0; i < labels.size(); ++i) total += WeightOf(weights, i), mean += WeightOf(weights, i) * labels[i];
  mean /= total;
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double w = WeightOf(weights, i);
    ss_res += w * (labels[i] - preds[i]) * (labels[i] - preds[i]);
    ss_tot += w * (labels[i] - mean) * (labels[i] - mean);
  }
  return ss_tot == 0 ? (ss_res == 0 ? 1.0 : 0.0) : 1 - ss_res / ss_tot;
}

double MultiLogLoss(std::span<const float> labels, std::span<const double> probs, size_t classes,
                    std::span<const float> weights) {
  double sum = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    // sklearn renormalises each row after clipping.
    double row_sum = 0;
    for (size_t k = 0; k < classes; ++k) row_sum += Clip(probs[i * classes + k]);
    size_t y = static_cast<size_t>(labels[i]);
    double p = Clip(probs[i * classes + y]) / row_sum, w = WeightOf(weights, i);
    sum += -w * std::log(p);
    total += w;
  }
  return sum / total;
}

double MultiError(std::span<const float> labels, std::span<const double> probs, size_t classes,
                  std::span<const float> weights) {
  double wrong = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double* row = probs.data() + i * classes;
    size_t best = static_cast<size_t>(std::max_element(row, row + classes) - row);
    double w = WeightOf(weights, i);
    wrong += w * (best != static_cast<size_t>(labels[i]));
    total += w;
  }
  return wrong / total;
}

bool HigherIsBetter(std::string_view metric) { return metric == "auc" || metric == "r2"; }

std::optional<std::string> CanonicalMetricName(std::string_view name) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"auc", "auc"},          {"logloss", "logloss"},   {"binary_logloss", "logloss"}, {"error", "error"},
      {"binary_error", "error"}, {"rmse", "rmse"},       {"l2_root", "rmse"},           {"mae", "mae"},
      {"l1", "mae"},           {"r2", "r2"},             {"multi_logloss", "multi_logloss"},
      {"mlogloss", "multi_logloss"}, {"multi_error", "multi_error"}, {"merror", "multi_error"}};
  for (const auto& [alias, canonical] : kNames)
    if (name == alias) return std::string(canonical);
  return std::nullopt;
}

double Psi(std::span<const uint64_t> expected, std::span<const uint64_t> actual) {
  double te = 0, ta = 0;
  for (uint64_t c : expected) te += static_cast<double>(c);
  for (uint64_t c : actual) ta += static_cast<double>(c);
  if (te == 0 || ta == 0) return std::numeric_limits<double>::quiet_NaN();
  double psi = 0;
  for (size_t b = 0; b < std::min(expected.size(), actual.size()); ++b) {
    const double e = std::max(static_cast<double>(expected[b]), 0.5) / te;
    const double a = std::max(static_cast<double>(actual[b]), 0.5) / ta;
    if (expected[b] == 0 && actual[b] == 0) continue;
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

double GroupedPsi(std::span<const uint64_t> expected, std::span<const uint64_t> actual, size_t groups) {
  const size_t bins = std::min(expected.size(), actual.size());
  if (bins == 0) return std::numeric_limits<double>::quiet_NaN();
  double total = 0;
  for (size_t b = 1; b < bins; ++b) total += static_cast<double>(expected[b]);
  std::vector<uint64_t> e = {expected[0]}, a = {actual[0]};
  double cumulative = 0;
  size_t group = 0;
  for (size_t b = 1; b < bins; ++b) {
    if (e.size() == 1 || group < static_cast<size_t>(cumulative / std::max(total, 1.0) * static_cast<double>(groups))) {
      e.push_back(0), a.push_back(0);
      group = static_cast<size_t>(cumulative / std::max(total, 1.0) * static_cast<double>(groups));
    }
    e.back() += expected[b];
    a.back() += actual[b];
    cumulative += static_cast<double>(expected[b]);
  }
  return Psi(e, a);
}

Result<double> Evaluate(std::string_view raw_name, std::span<const float> y, std::span<const double> p, size_t outputs,
                        std::span<const float> w) {
  const auto name = CanonicalMetricName(raw_name);
  if (!name) return Status::UserError("unknown metric '" + std::string(raw_name) + "'");
  if (*name == "multi_logloss" || *name == "multi_error") {
    if (outputs < 2) return Status::UserError(*name + " needs a multiclass model");
    return *name == "multi_logloss" ? MultiLogLoss(y, p, outputs, w) : MultiError(y, p, outputs, w);
  }
  if (outputs != 1) return Status::UserError(*name + " needs a single-output model");
  if (*name == "auc") return Auc(y, p, w);
  if (*name == "logloss") return LogLoss(y, p, w);
  if (*name == "error") return BinaryError(y, p, w);
  if (*name == "rmse") return Rmse(y, p, w);
  if (*name == "mae") return Mae(y, p, w);
  return R2(y, p, w);
}

}  // namespace tessera::metrics
