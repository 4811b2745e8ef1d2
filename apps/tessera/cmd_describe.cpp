#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "tessera/core/parallel.h"
#include "tessera/data/describe.h"
#include "tessera/data/tsr_file.h"

namespace tessera::cli {

namespace {

std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::string Top(const nlohmann::json& top) {
  std::string out;
  for (const auto& t : top) {
    if (!out.empty()) out += ", ";
    std::string value = Cell(t[0]);
    if (value.size() > 18) value = value.substr(0, 17) + "~";
    out += value + " (" + Cell(t[1]) + ")";
  }
  return out;
}

void PrintTable(const nlohmann::json& d) {
  std::printf("%llu rows, %zu columns\n\n", d["rows"].get<unsigned long long>(), d["columns"].size());
  std::vector<std::vector<std::string>> rows = {{"column", "type", "role", "count", "missing", "min", "max", "mean", "distinct", "top values"}};
  for (const auto& c : d["columns"]) {
    std::string distinct = c.contains("distinct") ? Cell(c["distinct"]) : (c.contains("bins") ? Cell(c["bins"]) + " bins" : "");
    if (c.value("distinct_exact", true) == false) distinct = ">=" + distinct;
    rows.push_back({Cell(c["name"]), Cell(c["type"]), Cell(c["role"]), Cell(c.value("count", nlohmann::json())),
                    Cell(c.value("missing", nlohmann::json())), Cell(c.value("min", nlohmann::json())),
                    Cell(c.value("max", nlohmann::json())), Cell(c.value("mean", nlohmann::json())), distinct,
                    Top(c.value("top", nlohmann::json::array()))});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      std::string cell = r[i];
      bool right = i >= 3 && i <= 8;
      std::string pad(width[i] - cell.size(), ' ');
      line += (right ? pad + cell : cell + (i + 1 < r.size() ? pad : "")) + (i + 1 < r.size() ? "  " : "");
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

void RegisterDescribe(CLI::App* app) {
  auto flags = std::make_shared<IngestFlags>();
  auto json = std::make_shared<bool>(false);
  auto top = std::make_shared<size_t>(5);
  CLI::App* cmd = app->add_subcommand("describe", "Print the inferred schema and per-column statistics of a table");
  AddIngestFlags(cmd, flags.get(), false);
  cmd->add_flag("--json", *json, "Print JSON instead of a table");
  cmd->add_option("--top", *top, "How many most frequent values to show")->check(CLI::Range(0, 1000));
  cmd->callback([=] {
    auto options = flags->Resolve();
    options.schema.datetime_parts = false;  // the file's own columns, not the features derived from them
    auto files = Check(data::ExpandInputPaths(flags->inputs));
    nlohmann::json d;
    if (data::FormatFromPath(files[0]) == data::TableFormat::kTsr) {
      auto ds = Check(data::LoadTsr(files[0], options.read.threads));
      d = data::DescribeBinned(ds, *top);
    } else {
      auto reader = Check(data::OpenTable(files, options));
      auto profile = Check(data::ProfileTable(reader.get(), ResolveThreads(options.read.threads), options.progress));
      d = data::DescribeProfile(reader->schema(), profile, *top);
    }
    if (*json) std::printf("%s\n", d.dump(2).c_str());
    else PrintTable(d);
  });
}

}  // namespace tessera::cli
