#include <sys/resource.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "tessera/data/tsr_file.h"

namespace tessera::cli {

namespace {

nlohmann::json Summary(const data::BinnedDataset& ds, const data::IngestOptions& o, double seconds) {
  nlohmann::json j;
  j["rows"] = ds.num_rows();
  j["features"] = ds.num_features();
  j["bytes_per_cell"] = ds.bytes_per_cell();
  j["binned_bytes"] = ds.cells_bytes();
  j["label"] = ds.has_labels() ? nlohmann::json(ds.schema().column(ds.schema().FindRole(data::ColumnRole::kLabel)).name)
                               : nlohmann::json(nullptr);
  if (!ds.label_classes().empty()) j["label_classes"] = ds.label_classes();
  j["weights"] = !ds.weights().empty();
  j["seconds"] = seconds;
  j["chunk_bytes"] = o.read.chunk_bytes;
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0) j["peak_rss_bytes"] = static_cast<uint64_t>(ru.ru_maxrss) * 1024;
  return j;
}

void PrintSummary(const nlohmann::json& j, bool json) {
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("rows            %llu\n", j["rows"].get<unsigned long long>());
  std::printf("features        %llu\n", j["features"].get<unsigned long long>());
  std::printf("label           %s\n", j["label"].is_null() ? "(none)" : j["label"].get<std::string>().c_str());
  std::printf("binned matrix   %s (%d byte per cell)\n", FormatBytes(j["binned_bytes"].get<double>()).c_str(),
              j["bytes_per_cell"].get<int>());
  std::printf("seconds         %.3f\n", j["seconds"].get<double>());
}

}  // namespace

void RegisterData(CLI::App* app) {
  CLI::App* data_cmd = app->add_subcommand("data", "Prepare data: build and inspect .tsr binned caches");
  data_cmd->require_subcommand(1);

  auto bin_flags = std::make_shared<IngestFlags>();
  auto output = std::make_shared<std::string>();
  auto bin_json = std::make_shared<bool>(false);
  CLI::App* bin = data_cmd->add_subcommand("bin", "Parse and bin input files into a .tsr cache that loads fast");
  AddIngestFlags(bin, bin_flags.get(), true);
  bin->add_option("-o,--output", *output, "Output .tsr file")->required();
  bin->add_flag("--json", *bin_json, "Print the summary as JSON");
  bin->callback([=] {
    auto options = bin_flags->Resolve();
    auto start = std::chrono::steady_clock::now();
    auto ds = Check(data::IngestBinned(bin_flags->inputs, options));
    Check(data::SaveTsr(ds, *output, options.read.threads));
    auto j = Summary(ds, options, SecondsSince(start));
    j["output"] = *output;
    PrintSummary(j, *bin_json);
  });

  auto info_flags = std::make_shared<IngestFlags>();
  auto info_json = std::make_shared<bool>(false);
  CLI::App* info = data_cmd->add_subcommand("info", "Load input files (or a .tsr cache) into a binned matrix and print its shape");
  AddIngestFlags(info, info_flags.get(), true);
  info->add_flag("--json", *info_json, "Print the summary as JSON");
  info->callback([=] {
    auto options = info_flags->Resolve();
    auto start = std::chrono::steady_clock::now();
    auto ds = Check(data::IngestBinned(info_flags->inputs, options));
    PrintSummary(Summary(ds, options, SecondsSince(start)), *info_json);
  });
}

}  // namespace tessera::cli
