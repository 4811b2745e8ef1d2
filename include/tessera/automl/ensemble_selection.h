// Greedy ensemble selection (Caruana et al., 2004): start from nothing and repeatedly add, with
// replacement, the model whose addition gives the best validation loss of the averaged
// predictions; keep the best ensemble seen. Weights are how often each model was added, over the
// number of additions. Deterministic: ties go to the lower index.
#pragma once

#include <functional>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::automl {

struct EnsembleSelection {
  std::vector<double> weights;  // one per model, summing to 1
  double loss = 0;              // validation loss of the weighted average (lower is better)
};

// predictions[m][f]: model m's predictions (any additive scale: raw scores) on validation fold f.
// loss(f, averaged) is the loss on fold f of averaged predictions; folds count equally.
Result<EnsembleSelection> SelectEnsemble(const std::vector<std::vector<std::vector<double>>>& predictions,
                                         const std::function<Result<double>(size_t fold, const std::vector<double>&)>& loss,
                                         int additions);

}  // namespace tessera::automl
