#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "tessera/data/synthetic.h"

namespace tessera::cli {

void RegisterGen(CLI::App* app) {
  auto opts = std::make_shared<data::SyntheticOptions>();
  auto out = std::make_shared<std::string>();
  auto task = std::make_shared<std::string>("binary");
  CLI::App* cmd = app->add_subcommand("gen", "Write a synthetic HIGGS-like table (28 numeric features) as CSV");
  cmd->add_option("-o,--output", *out, "Output CSV file")->required();
  cmd->add_option("--rows", opts->rows, "Number of rows")->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  cmd->add_option("--seed", opts->seed, "Random seed");
  cmd->add_option("--task", *task, "binary or regression")->check(CLI::IsMember({"binary", "regression"}));
  cmd->add_option("--categoricals", opts->categoricals, "Extra categorical columns (0-8)")->check(CLI::Range(0, 8));
  cmd->add_option("--missing", opts->missing_rate, "Share of feature cells left empty")->check(CLI::Range(0.0, 0.99));
  cmd->add_option("--threads", opts->threads, "Threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->callback([=] {
    opts->regression = *task == "regression";
    auto start = std::chrono::steady_clock::now();
    Check(data::WriteSyntheticCsv(*opts, *out));
    std::fprintf(stderr, "gen: wrote %llu rows to %s in %.2fs\n", static_cast<unsigned long long>(opts->rows),
                 out->c_str(), SecondsSince(start));
  });
}

}  // namespace tessera::cli
