// Pipelines: one YAML file declares the steps from data to deployment, each a tessera command
// with its arguments, parameters and the files it writes:
//
//   name: churn
//   store: store                    # optional: the tracking store the steps use
//   steps:
//     - name: train
//       run: train                  # the command ("models register" for two words)
//       args: {data: train.csv, label: churned, o: out/model.json}   # --data train.csv ... -o ...
//       params: {num_leaves: 31}    # -p num_leaves=31
//       outputs: [out/model.json]   # what the step writes
//     - name: gate
//       run: gate
//       args: {candidate: out/model.json, champion: "models:/churn@champion", data: holdout.csv}
//
// Paths are relative to the YAML file's folder. Each step is cached, as DVC does, by a key: the
// hash of its definition and of the current content of every file or folder its arguments name
// (other than its own outputs) and of every model a models:/ reference resolves to. A step
// whose key matches its last successful run and whose outputs are still as it left them is
// skipped; so a changed parameter reruns that step and the steps whose inputs it changes.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tessera/core/status.h"

namespace tessera::pipeline {

struct Step {
  std::string name;
  std::vector<std::string> command;                        // {"train"}, {"models", "register"}
  std::vector<std::pair<std::string, std::string>> args;   // flag -> value ("" for a bare flag)
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> params; // -p key=value
  std::vector<std::string> outputs;
  int line = 0;                                            // where it starts in the YAML file
};

struct Pipeline {
  std::string name, store;
  std::string dir;  // the YAML file's folder: steps run there
  std::vector<Step> steps;
};

Result<Pipeline> LoadPipeline(const std::string& path);

// The command line arguments of a step (after the program name).
std::vector<std::string> StepArguments(const Step& step);

// The step's cache key. `resolve_ref` maps a models:/ reference to what it points at now.
Result<std::string> StepKey(const Pipeline& pipeline, const Step& step,
                            const std::function<Result<std::string>(const std::string&)>& resolve_ref);

// The last successful run of a step: its key and the hashes of its outputs.
struct StepRecord {
  std::string key;
  std::map<std::string, std::string> outputs;
};
std::string RecordPath(const Pipeline& pipeline, const Step& step);
Result<StepRecord> ReadRecord(const Pipeline& pipeline, const Step& step);  // an empty key when none
Status WriteRecord(const Pipeline& pipeline, const Step& step, const StepRecord& record);
// Hash of a file, or of a folder's files (names and contents, in name order); "" when absent.
std::string ContentHash(const std::string& path);

}  // namespace tessera::pipeline
