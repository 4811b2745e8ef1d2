// tessera train --family linear: reads the data twice (bins for the model's reference, then the
// raw values), fits the feature pipeline and a penalised linear model, scores the validation
// sets and writes the model file. Single process (no --distributed, --init-model or checkpoints).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli_common.h"

namespace tessera::cli {

struct LinearTrainArgs {
  IngestFlags data;
  std::vector<std::string> valid;
  std::string output;
  std::map<std::string, std::string> settings;  // key=value parameters (linear/params.h)
  bool json = false;
  TrackingFlags tracking;
};

void RunTrainLinear(const LinearTrainArgs& args);

}  // namespace tessera::cli
