// tessera import: turn an XGBoost JSON or LightGBM text model into a Tessera model file, which
// then predicts, explains, exports and serves like a trained one. The translation lives in
// src/interop; this file reads flags, writes the model atomically and prints a summary.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "tessera/interop/import.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

namespace {

struct ImportFlags {
  std::string from, input, output;
  bool json = false, quiet = false;
};

void RunImport(const ImportFlags& f) {
  auto format = interop::ParseForeignFormat(f.from);
  if (!format)
    throw StatusError{Status::UserError("--from takes xgboost or lightgbm, got '" + f.from + "'")};
  auto start = std::chrono::steady_clock::now();
  auto model = Check(interop::ImportModelFile(f.input, *format));
  Check(models::SaveModel(model, f.output));
  const auto& ref = model.reference();
  size_t categorical = 0;
  for (const auto& m : ref.mappers())
    categorical += m.kind() == data::BinMapper::Kind::kCategorical;
  nlohmann::json summary = {{"from", std::string(interop::ToString(*format))},
                            {"input", f.input},
                            {"output", f.output},
                            {"objective", model.params().objective},
                            {"outputs", model.num_outputs()},
                            {"trees", model.trees().size()},
                            {"iterations", model.num_iterations()},
                            {"features", ref.num_features()},
                            {"categorical_features", categorical},
                            {"seconds", SecondsSince(start)}};
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else if (!f.quiet) {
    std::fprintf(stderr, "import: %s model %s -> %s: %zu trees, %zu features, objective %s\n",
                 summary["from"].get<std::string>().c_str(), f.input.c_str(), f.output.c_str(),
                 model.trees().size(), ref.num_features(), model.params().objective.c_str());
  }
}

}  // namespace

void RegisterImport(CLI::App* app) {
  auto f = std::make_shared<ImportFlags>();
  CLI::App* cmd = app->add_subcommand(
      "import", "Import an XGBoost JSON or LightGBM text model as a Tessera model");
  cmd->add_option(
         "--from", f->from,
         "Format of the input: xgboost (Booster.save_model('m.json')) or lightgbm (model.txt)")
      ->required();
  cmd->add_option("input", f->input, "The model file to import")->required();
  cmd->add_option("-o,--output", f->output, "Tessera model file to write")->required();
  cmd->add_flag("--json", f->json, "Print a summary as JSON on stdout");
  cmd->add_flag("--quiet,-q", f->quiet, "No summary on stderr");
  cmd->callback([f] { RunImport(*f); });
}

}  // namespace tessera::cli
