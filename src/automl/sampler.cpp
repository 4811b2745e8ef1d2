#include "tessera/automl/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tessera::automl {

namespace {

constexpr size_t kTpeStartup = 6;     // random points before TPE models the losses
constexpr size_t kTpeCandidates = 24;
constexpr double kTpeGamma = 0.25;    // the best quarter are "good"

// log density of a Parzen estimator on [0, 1]: Gaussians at the points, plus a uniform prior.
double LogDensity(double x, const std::vector<double>& centers, double bandwidth) {
  double sum = 1.0;  // the prior's weight (uniform density 1 on [0, 1])
  for (double c : centers) {
    const double z = (x - c) / bandwidth;
    sum += std::exp(-0.5 * z * z) / (bandwidth * std::sqrt(2 * M_PI));
  }
  return std::log(sum / static_cast<double>(centers.size() + 1));
}

}  // namespace

BlendSampler::BlendSampler(const SearchSpace& space, uint64_t seed)
    : space_(space), rng_(seed * 0x9E3779B97F4A7C15ull + 17), step_(0.1 * std::sqrt(static_cast<double>(space.size()))) {}

UnitPoint BlendSampler::Random() {
  std::uniform_real_distribution<double> u(0, 1);
  UnitPoint p(space_.size());
  for (auto& x : p) x = u(rng_);
  return p;
}

UnitPoint BlendSampler::Propose(const std::vector<Observation>& history) {
  ++proposals_;
  if (proposals_ == 1) {
    last_strategy_ = "start";
    return space_.Start();
  }
  // More proposals before any result (the rest of the first wave) explore.
  if (history.empty()) {
    last_strategy_ = "random";
    return Random();
  }
  // Odd proposals search locally, even ones globally.
  if (proposals_ % 2 == 0) {
    last_strategy_ = "local";
    return Local(history);
  }
  if (history.size() < kTpeStartup) {
    last_strategy_ = "random";
    return Random();
  }
  last_strategy_ = "tpe";
  return Tpe(history);
}

UnitPoint BlendSampler::Local(const std::vector<Observation>& history) {
  // Take in what happened since the last proposal: a better point becomes the incumbent (and
  // the direction that found it is kept); otherwise count a failure.
  bool improved = false;
  for (; seen_ < history.size(); ++seen_) {
    if (!have_incumbent_ || history[seen_].loss < best_loss_) {
      improved = have_incumbent_;
      incumbent_ = seen_, best_loss_ = history[seen_].loss, have_incumbent_ = true;
      if (improved) failures_ = 0;
    } else {
      ++failures_;
    }
  }
  if (failures_ >= 2 * space_.size()) step_ = std::max(0.01, step_ / 2), failures_ = 0;
  if (improved && !direction_.empty()) next_ = Next::kOnwards;
  if (next_ == Next::kNewDirection || direction_.empty()) {
    std::normal_distribution<double> g(0, 1);
    direction_.assign(space_.size(), 0);
    double norm = 0;
    for (auto& d : direction_) d = g(rng_), norm += d * d;
    norm = std::sqrt(std::max(norm, 1e-12));
    for (auto& d : direction_) d /= norm;
    next_ = Next::kOpposite;
  } else if (next_ == Next::kOpposite) {
    for (auto& d : direction_) d = -d;
    next_ = Next::kNewDirection;
  } else {
    next_ = Next::kNewDirection;  // onwards once; a failure there starts a new direction
  }
  UnitPoint p = history[incumbent_].point;
  for (size_t d = 0; d < p.size(); ++d) p[d] = std::clamp(p[d] + step_ * direction_[d], 0.0, 1.0);
  return p;
}

UnitPoint BlendSampler::Tpe(const std::vector<Observation>& history) {
  std::vector<size_t> order(history.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return history[a].loss < history[b].loss; });
  const size_t n_good = std::max<size_t>(1, static_cast<size_t>(kTpeGamma * static_cast<double>(history.size())));
  const size_t dims = space_.size();
  std::vector<std::vector<double>> good(dims), bad(dims);
  for (size_t i = 0; i < order.size(); ++i)
    for (size_t d = 0; d < dims; ++d) (i < n_good ? good : bad)[d].push_back(history[order[i]].point[d]);
  auto bandwidth = [](size_t n) { return std::max(0.05, 0.5 * std::pow(static_cast<double>(n), -0.2)); };
  const double bw_good = bandwidth(n_good), bw_bad = bandwidth(history.size() - n_good);
  std::normal_distribution<double> g(0, 1);
  std::uniform_int_distribution<size_t> pick(0, n_good);  // n_good = the prior
  UnitPoint best;
  double best_score = -INFINITY;
  for (size_t c = 0; c < kTpeCandidates; ++c) {
    UnitPoint x(dims);
    double score = 0;
    for (size_t d = 0; d < dims; ++d) {
      const size_t k = pick(rng_);
      x[d] = k == n_good ? std::uniform_real_distribution<double>(0, 1)(rng_)
                         : std::clamp(good[d][k] + bw_good * g(rng_), 0.0, 1.0);
      score += LogDensity(x[d], good[d], bw_good) - LogDensity(x[d], bad[d], bw_bad);
    }
    if (score > best_score) best_score = score, best = std::move(x);
  }
  return best;
}

}  // namespace tessera::automl
