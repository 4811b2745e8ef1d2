// A hyperparameter search space: named dimensions with ranges, a scale (linear or log), and a
// low-cost starting value (FLAML's idea: begin where training is cheap, grow only if it pays).
// Samplers work in the unit cube; a point decodes to parameter values.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tessera::automl {

struct Dimension {
  std::string name;
  double low = 0, high = 1;
  bool log_scale = false;
  bool integer = false;
  double start = 0;  // the low-cost starting value
};

using UnitPoint = std::vector<double>;  // one coordinate in [0, 1] per dimension

class SearchSpace {
 public:
  explicit SearchSpace(std::vector<Dimension> dims) : dims_(std::move(dims)) {}
  const std::vector<Dimension>& dims() const { return dims_; }
  size_t size() const { return dims_.size(); }
  // Parameter values of a unit point (integers rounded, inside their range).
  std::map<std::string, double> Decode(const UnitPoint& point) const;
  // The unit point of the starting values.
  UnitPoint Start() const;
  double ToUnit(size_t d, double value) const;

 private:
  std::vector<Dimension> dims_;
};

// The GBDT space (LightGBM names), for a training set of `rows` rows. The number of boosting
// rounds is not a dimension: it is the fidelity the scheduler grows, with early stopping. With
// `categorical` features, also cat_smooth and min_data_per_group.
SearchSpace GbdtSearchSpace(size_t rows, bool categorical = false);
// The random forest / extra trees space: leaves, the share of features each node tries, and the
// rows per leaf (and the categorical settings, as for GBDT). The number of trees is the
// fidelity, as rounds are for boosting.
SearchSpace ForestSearchSpace(size_t rows, bool categorical = false);
// The linear space (models/linear/params.h names): the penalty's strength and its L1 share and,
// when the table's largest categorical feature has `max_levels` > 2 levels, the most levels
// one-hot encoded, up to max_levels (at most 256; more get target + frequency encoding). A linear
// model has no fidelity: it is fitted once, to convergence. The start is the family's default, a
// ridge penalty (the cheapest solve).
SearchSpace LinearSearchSpace(size_t max_levels);

// Parameter values as the learner's key=value settings ("num_leaves" -> "37").
std::map<std::string, std::string> ToSettings(const std::map<std::string, double>& values, const SearchSpace& space);
// What a configuration trains, as text: numbers cut to two significant digits, and feature
// fractions as the features they keep of `num_features` (0.58 and 0.61 of 10 both keep 6, so
// with the same seed they grow the same trees). Equal keys are the same trial for the search.
std::string SettingsKey(const std::map<std::string, std::string>& settings, size_t num_features);

}  // namespace tessera::automl
