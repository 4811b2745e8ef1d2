// Probable target leakage: a feature that on its own predicts the label almost perfectly was
// most likely computed from the label (a "delay in minutes" next to "delayed > 15 min") or is
// not known when predicting. Each feature is scored by the best predictor that uses only its
// bins (the label's mean per bin): AUC for binary labels, accuracy for classes, R² otherwise.
#pragma once

#include <string>
#include <vector>

#include "tessera/data/binned_dataset.h"

namespace tessera::features {

struct LeakageWarning {
  std::string feature;
  std::string measure;  // "auc", "accuracy" or "r2"
  double value = 0;
};

// Features whose single-feature score reaches `threshold`, highest first. The default is 0.999:
// a strong honest feature (a tumour's size for its diagnosis) scores about 0.99.
// `objective` is the learner's: binary, multiclass or a regression objective.
std::vector<LeakageWarning> FindProbableLeakage(const data::BinnedDataset& ds, const std::string& objective,
                                                double threshold = 0.999);

}  // namespace tessera::features
