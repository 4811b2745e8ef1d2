#include "cli_common.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>

#include "tessera/data/table_reader.h"
#include "tessera/models/model_file.h"

namespace tessera::cli {

void AddIngestFlags(CLI::App* cmd, IngestFlags* f, bool with_binning, const std::string& inputs_flag) {
  auto& s = f->options.schema;
  cmd->add_option(inputs_flag, f->inputs, "Input files: CSV/TSV (.gz/.zst), LibSVM (.svm), a directory or glob of part files, or a .tsr cache")
      ->required();
  cmd->add_option("--label", s.label, "Label column");
  cmd->add_option("--weight", s.weight, "Sample weight column");
  cmd->add_option("--group", s.group, "Group (query id) column");
  cmd->add_option("--categorical", s.categorical, "Treat these columns as categorical (comma-separated)")->delimiter(',');
  cmd->add_option("--numeric", s.numeric, "Treat these columns as numeric (comma-separated)")->delimiter(',');
  cmd->add_option("--datetime", s.datetime, "Parse these columns as ISO-8601 datetimes (comma-separated)")->delimiter(',');
  cmd->add_option("--ignore", s.ignore, "Drop these columns (comma-separated)")->delimiter(',');
  cmd->add_flag("--no-datetime-parts{false}", s.datetime_parts,
                "Training: a datetime column is one feature (seconds since 1970), without its year, month, day, "
                "weekday, hour and is_weekend features");
  cmd->add_option("--delimiter", f->delimiter, "Field delimiter (default: detected; 'tab' for tab)");
  cmd->add_flag("--no-header", f->no_header, "The first line is data, not column names");
  cmd->add_option("--threads", f->options.read.threads, "Threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--chunk-mb", f->chunk_mb, "Megabytes of text parsed per chunk")->check(CLI::Range(0.01, 4096.0));
  cmd->add_flag("--quiet,-q", f->quiet, "No progress on stderr");
  cmd->add_option("--max-features", f->options.read.max_features, "LibSVM: most features accepted (rows are stored densely)")
      ->check(CLI::Range(size_t{1}, size_t{10000000}));
  if (with_binning) {
    cmd->add_option("--max-bin", f->options.max_bin, "Most bins per feature, the missing bin included")
        ->check(CLI::Range(2, 65535));
    cmd->add_option("--min-category-count", f->options.min_category_count,
                    "Categories seen fewer times share the rare bucket");
    cmd->add_option("--bin-sample-rows", f->options.bin_sample_rows,
                    "Rows sampled (deterministically) to choose bin edges; 0 = all rows");
  }
}

data::IngestOptions IngestFlags::Resolve() const {
  data::IngestOptions o = options;
  o.read.header = !no_header;
  o.read.chunk_bytes = static_cast<size_t>(chunk_mb * 1024 * 1024);
  if (delimiter == "tab" || delimiter == "\\t") o.read.delimiter = '\t';
  else if (delimiter.size() == 1) o.read.delimiter = delimiter[0];
  else if (!delimiter.empty()) throw StatusError{Status::UserError("--delimiter takes one character or 'tab', got '" + delimiter + "'")};
  o.progress = !quiet;
  return o;
}

void ReadConfigFile(const std::string& path, std::map<std::string, std::string>* settings) {
  std::ifstream in(path);
  if (!in) throw StatusError{Status::UserError(path + ": cannot open config file")};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    line = trim(line);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      throw StatusError{Status::AtLocation(path, static_cast<uint64_t>(number), 1, "expected key = value")};
    (*settings)[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
}

void ParseKeyValues(const std::vector<std::string>& items, std::map<std::string, std::string>* settings) {
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw StatusError{Status::UserError("--param takes key=value, got '" + item + "'")};
    (*settings)[item.substr(0, eq)] = item.substr(eq + 1);
  }
}

std::string FormatBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",;\t\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void AppendNumber(std::string* out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

namespace {
std::string& CommandLineText() {
  static std::string text;
  return text;
}
}  // namespace

void SetCommandLine(int argc, char** argv) {
  std::string& text = CommandLineText();
  text = "tessera";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" \t\"'\\$") == std::string::npos;
    text += " " + (plain ? arg : "'" + arg + "'");
  }
}

const std::string& CommandLine() { return CommandLineText(); }

void AddStoreFlag(CLI::App* cmd, std::string* store) {
  cmd->add_option("--store", *store, "Tracking store and model registry (default: $TESSERA_STORE or ./tessera-store)");
}

std::string StoreDir(const std::string& flag) { return flag.empty() ? registry::Store::DefaultDir() : flag; }

void AddTrackingFlags(CLI::App* cmd, TrackingFlags* flags) {
  AddStoreFlag(cmd, &flags->store);
  cmd->add_flag("--no-track", flags->no_track, "Do not record this run in the store");
  cmd->add_option("--tag", flags->tags, "Tag of the recorded run, key=value; repeatable");
}

std::unique_ptr<registry::RunTracker> StartTracking(const TrackingFlags& flags, const std::string& kind,
                                                    const std::vector<std::string>& inputs, const data::Schema& schema,
                                                    const nlohmann::json& params) {
  if (flags.no_track) return nullptr;
  registry::RunInfo info;
  info.kind = kind;
  info.command = CommandLine();
  info.params = params;
  ParseKeyValues(flags.tags, &info.tags);
  const auto files = Check(data::ExpandInputPaths(inputs));
  info.data_fingerprint = Check(registry::DataFingerprint(files, schema.ToJson().dump()));
  auto store = Check(registry::Store::Open(StoreDir(flags.store)));
  return Check(registry::RunTracker::Start(std::move(store), info));
}

models::gbdt::GbdtModel LoadModelArg(const std::string& model, const std::string& store_flag) {
  if (!registry::Store::IsModelRef(model)) return Check(models::LoadModel(model));
  auto store = Check(registry::Store::Open(StoreDir(store_flag)));
  const auto version = Check(store->ResolveRef(model));
  const std::string path = Check(store->VerifiedArtifactPath(version.artifact));
  return Check(models::LoadModel(path));
}

models::Model LoadAnyModelArg(const std::string& model, const std::string& store_flag) {
  if (!registry::Store::IsModelRef(model)) return Check(models::LoadAnyModel(model));
  auto store = Check(registry::Store::Open(StoreDir(store_flag)));
  const auto version = Check(store->ResolveRef(model));
  const std::string path = Check(store->VerifiedArtifactPath(version.artifact));
  return Check(models::LoadAnyModel(path));
}

}  // namespace tessera::cli
