#include "tessera/models/gbdt/objective.h"

#include <algorithm>
#include <cmath>

namespace tessera::models::gbdt {

namespace {

double WeightOf(std::span<const float> w, size_t i) { return w.empty() ? 1.0 : w[i]; }

double WeightedMean(std::span<const float> labels, std::span<const float> weights) {
  double sum = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) sum += WeightOf(weights, i) * labels[i], total += WeightOf(weights, i);
  return total > 0 ? sum / total : 0;
}

// Sums for a weighted mean: w * y and w (a float times a float: exact in a double).
void MeanTerms(float label, float weight, double* terms) {
  terms[0] = static_cast<double>(weight) * label;
  terms[1] = weight;
}
double MeanOfSums(std::span<const double> sums) { return sums[1] > 0 ? sums[0] / sums[1] : 0; }

double WeightedMedian(std::span<const float> labels, std::span<const float> weights) {
  std::vector<std::pair<float, double>> v(labels.size());
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) v[i] = {labels[i], WeightOf(weights, i)}, total += v[i].second;
  std::sort(v.begin(), v.end());
  double acc = 0;
  for (const auto& [y, w] : v)
    if ((acc += w) >= total / 2) return y;
  return v.empty() ? 0 : v.back().first;
}

class BinaryLogloss final : public Objective {
 public:
  std::string name() const override { return "binary"; }
  Status CheckLabels(std::span<const float> labels) const override {
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] != 0 && labels[i] != 1)
        return Status::UserError("objective=binary needs labels 0 or 1; row " + std::to_string(i + 1) + " has " +
                                 std::to_string(labels[i]));
    return Status::Ok();
  }
  std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const override {
    double p = std::clamp(WeightedMean(labels, weights), 1e-15, 1 - 1e-15);
    return {std::log(p / (1 - p))};
  }
  size_t num_label_sums() const override { return 2; }
  void LabelSumTerms(float label, float weight, double* terms) const override { MeanTerms(label, weight, terms); }
  std::vector<double> InitScoreFromSums(std::span<const double> sums) const override {
    double p = std::clamp(MeanOfSums(sums), 1e-15, 1 - 1e-15);
    return {std::log(p / (1 - p))};
  }
  void Gradients(std::span<const float> labels, std::span<const float> weights, std::span<const double> scores,
                 size_t begin, size_t end, double* grad, double* hess) const override {
    for (size_t i = begin; i < end; ++i) {
      double p = 1 / (1 + std::exp(-scores[i])), w = WeightOf(weights, i);
      grad[i] = (p - labels[i]) * w;
      hess[i] = std::max(p * (1 - p), 1e-16) * w;
    }
  }
  void Transform(std::span<double> scores) const override {
    for (double& s : scores) s = 1 / (1 + std::exp(-s));
  }
  std::string default_metric() const override { return "logloss"; }
};

class Multiclass final : public Objective {
 public:
  explicit Multiclass(int classes) : classes_(classes) {}
  std::string name() const override { return "multiclass"; }
  int num_outputs() const override { return classes_; }
  Status CheckLabels(std::span<const float> labels) const override {
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || labels[i] >= classes_ || labels[i] != std::floor(labels[i]))
        return Status::UserError("objective=multiclass with num_class=" + std::to_string(classes_) +
                                 " needs class ids 0.." + std::to_string(classes_ - 1) + "; row " + std::to_string(i + 1) +
                                 " has " + std::to_string(labels[i]));
    return Status::Ok();
  }
  std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const override {
    std::vector<double> freq(classes_, 0);
    double total = 0;
    for (size_t i = 0; i < labels.size(); ++i) freq[static_cast<size_t>(labels[i])] += WeightOf(weights, i), total += WeightOf(weights, i);
    std::vector<double> init(classes_);
    for (int k = 0; k < classes_; ++k) init[k] = std::log(std::max(freq[k] / std::max(total, 1e-300), 1e-15));
    return init;
  }
  // One sum per class (the weight of its rows), then the total weight.
  size_t num_label_sums() const override { return static_cast<size_t>(classes_) + 1; }
  void LabelSumTerms(float label, float weight, double* terms) const override {
    for (int k = 0; k <= classes_; ++k) terms[k] = 0;
    terms[static_cast<size_t>(label)] = weight;
    terms[classes_] = weight;
  }
  std::vector<double> InitScoreFromSums(std::span<const double> sums) const override {
    std::vector<double> init(classes_);
    const double total = sums[static_cast<size_t>(classes_)];
    for (int k = 0; k < classes_; ++k) init[k] = std::log(std::max(sums[static_cast<size_t>(k)] / std::max(total, 1e-300), 1e-15));
    return init;
  }
  void Gradients(std::span<const float> labels, std::span<const float> weights, std::span<const double> scores,
                 size_t begin, size_t end, double* grad, double* hess) const override {
    const size_t k = static_cast<size_t>(classes_);
    const double factor = static_cast<double>(k) / static_cast<double>(k - 1);
    std::vector<double> p(k);
    for (size_t i = begin; i < end; ++i) {
      const double* s = scores.data() + i * k;
      double m = *std::max_element(s, s + k), sum = 0;
      for (size_t c = 0; c < k; ++c) sum += (p[c] = std::exp(s[c] - m));
      double w = WeightOf(weights, i);
      for (size_t c = 0; c < k; ++c) {
        double pc = p[c] / sum;
        grad[i * k + c] = (pc - (static_cast<size_t>(labels[i]) == c ? 1.0 : 0.0)) * w;
        hess[i * k + c] = std::max(factor * pc * (1 - pc), 1e-16) * w;
      }
    }
  }
  void Transform(std::span<double> scores) const override {
    const size_t k = static_cast<size_t>(classes_);
    for (size_t i = 0; i + k <= scores.size(); i += k) {
      double m = *std::max_element(scores.begin() + i, scores.begin() + i + k), sum = 0;
      for (size_t c = 0; c < k; ++c) sum += (scores[i + c] = std::exp(scores[i + c] - m));
      for (size_t c = 0; c < k; ++c) scores[i + c] /= sum;
    }
  }
  std::string default_metric() const override { return "multi_logloss"; }

 private:
  int classes_;
};

// Regression losses whose hessian is the row weight and whose link is the identity; a subclass
// gives the gradient of the loss at residual d = score - label (per unit weight).
class IdentityLinkRegression : public Objective {
 public:
  Status CheckLabels(std::span<const float>) const override { return Status::Ok(); }
  void Gradients(std::span<const float> labels, std::span<const float> weights, std::span<const double> scores,
                 size_t begin, size_t end, double* grad, double* hess) const override {
    for (size_t i = begin; i < end; ++i) {
      double w = WeightOf(weights, i);
      grad[i] = Slope(scores[i] - labels[i]) * w;
      hess[i] = w;
    }
  }
  void Transform(std::span<double>) const override {}

 protected:
  virtual double Slope(double residual) const = 0;
};

class RegressionL2 final : public IdentityLinkRegression {
 public:
  std::string name() const override { return "regression"; }
  std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const override {
    return {WeightedMean(labels, weights)};
  }
  size_t num_label_sums() const override { return 2; }
  void LabelSumTerms(float label, float weight, double* terms) const override { MeanTerms(label, weight, terms); }
  std::vector<double> InitScoreFromSums(std::span<const double> sums) const override { return {MeanOfSums(sums)}; }
  std::string default_metric() const override { return "rmse"; }

 protected:
  double Slope(double d) const override { return d; }
};

class RegressionL1 final : public IdentityLinkRegression {
 public:
  std::string name() const override { return "l1"; }
  std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const override {
    return {WeightedMedian(labels, weights)};
  }
  std::string default_metric() const override { return "mae"; }
  // The L1-optimal leaf value is the (weighted) median of the residuals of its rows.
  std::optional<double> RenewLeaf(std::span<const uint32_t> rows, std::span<const float> labels,
                                  std::span<const float> weights, std::span<const double> scores) const override {
    if (rows.empty()) return std::nullopt;
    std::vector<std::pair<double, double>> residuals(rows.size());
    double total = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      uint32_t r = rows[i];
      residuals[i] = {labels[r] - scores[r], WeightOf(weights, r)};
      total += residuals[i].second;
    }
    std::sort(residuals.begin(), residuals.end());
    double acc = 0;
    for (const auto& [value, w] : residuals)
      if ((acc += w) >= total / 2) return value;
    return residuals.back().first;
  }

 protected:
  double Slope(double d) const override { return d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0); }
};

class Huber final : public IdentityLinkRegression {
 public:
  explicit Huber(double delta) : delta_(delta) {}
  std::string name() const override { return "huber"; }
  std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const override {
    return {WeightedMedian(labels, weights)};
  }
  std::string default_metric() const override { return "mae"; }

 protected:
  double Slope(double d) const override { return std::clamp(d, -delta_, delta_); }

 private:
  double delta_;
};

class Poisson final : public Objective {
 public:
  explicit Poisson(double max_delta_step) : max_delta_step_(max_delta_step) {}
  std::string name() const override { return "poisson"; }
  Status CheckLabels(std::span<const float> labels) const override {
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0)
        return Status::UserError("objective=poisson needs counts >= 0; row " + std::to_string(i + 1) + " has " +
                                 std::to_string(labels[i]));
    return Status::Ok();
  }
  std::vector<double> InitScore(std::span<const float> labels, std::span<const float> weights) const override {
    return {std::log(std::max(WeightedMean(labels, weights), 1e-15))};
  }
  size_t num_label_sums() const override { return 2; }
  void LabelSumTerms(float label, float weight, double* terms) const override { MeanTerms(label, weight, terms); }
  std::vector<double> InitScoreFromSums(std::span<const double> sums) const override {
    return {std::log(std::max(MeanOfSums(sums), 1e-15))};
  }
  void Gradients(std::span<const float> labels, std::span<const float> weights, std::span<const double> scores,
                 size_t begin, size_t end, double* grad, double* hess) const override {
    for (size_t i = begin; i < end; ++i) {
      double w = WeightOf(weights, i);
      grad[i] = (std::exp(scores[i]) - labels[i]) * w;
      hess[i] = std::exp(scores[i] + max_delta_step_) * w;  // LightGBM's safeguard against huge steps
    }
  }
  void Transform(std::span<double> scores) const override {
    for (double& s : scores) s = std::exp(s);
  }
  std::string default_metric() const override { return "rmse"; }

 private:
  double max_delta_step_;
};

}  // namespace

Result<std::unique_ptr<Objective>> Objective::Create(const GbdtParams& p) {
  if (p.objective == "binary") return std::unique_ptr<Objective>(new BinaryLogloss());
  if (p.objective == "multiclass") return std::unique_ptr<Objective>(new Multiclass(p.num_class));
  if (p.objective == "regression") return std::unique_ptr<Objective>(new RegressionL2());
  if (p.objective == "l1") return std::unique_ptr<Objective>(new RegressionL1());
  if (p.objective == "huber") return std::unique_ptr<Objective>(new Huber(p.huber_delta));
  if (p.objective == "poisson") return std::unique_ptr<Objective>(new Poisson(p.poisson_max_delta_step));
  return Status::UserError("unknown objective '" + p.objective + "'");
}

}  // namespace tessera::models::gbdt
