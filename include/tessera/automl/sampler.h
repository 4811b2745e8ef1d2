// Where the search looks next, in the unit cube of a SearchSpace, in the spirit of FLAML's
// BlendSearch: the first trial is the low-cost start (other proposals made before any result
// are random); then proposals alternate between a local
// search around the best point so far (CFO: a step in a random direction, then the opposite
// direction, onwards after a success, the step halving after repeated failures) and a global one (TPE: Parzen estimators
// of the good and the other points, the candidate with the best density ratio). Deterministic
// for a seed: the same history gives the same proposals.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "tessera/automl/search_space.h"

namespace tessera::automl {

struct Observation {
  UnitPoint point;
  double loss;  // lower is better (the sampler never sees a metric's direction)
};

class BlendSampler {
 public:
  BlendSampler(const SearchSpace& space, uint64_t seed);
  // The next point to try, given every observation so far (in the order they were made).
  UnitPoint Propose(const std::vector<Observation>& history);
  // Which strategy made the last proposal: "start", "local", "tpe" or "random".
  const char* last_strategy() const { return last_strategy_; }

 private:
  UnitPoint Local(const std::vector<Observation>& history);
  UnitPoint Tpe(const std::vector<Observation>& history);
  UnitPoint Random();

  const SearchSpace& space_;
  std::mt19937_64 rng_;
  size_t proposals_ = 0;
  const char* last_strategy_ = "start";
  // Local search state: the incumbent, the current direction and whether its opposite is next.
  size_t incumbent_ = 0;
  double best_loss_ = 0;
  bool have_incumbent_ = false;
  std::vector<double> direction_;
  // What the next local step does: a new direction, the opposite of a failed one, or onwards
  // along one that just found a better point (going back would only repeat the old incumbent).
  enum class Next { kNewDirection, kOpposite, kOnwards } next_ = Next::kNewDirection;
  double step_ = 0;
  size_t failures_ = 0;
  size_t seen_ = 0;  // observations already taken into the local state
};

}  // namespace tessera::automl
