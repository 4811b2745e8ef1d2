// Flags and output helpers shared by the subcommands. The CLI is a thin layer: it turns flags
// into library options, calls the library and prints; errors travel as Status up to main().
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/data/ingest.h"
#include "tessera/models/gbdt/booster.h"
#include "tessera/models/model.h"
#include "tessera/registry/tracking.h"

namespace tessera::cli {

// Thrown by subcommands to reach main() with a Status (the only place that exits).
struct StatusError {
  Status status;
};
// Thrown to end the program with a given exit code that is not an error (tessera gate: 3 = reject).
struct ExitRequest {
  int code;
};
inline void Check(const Status& st) {
  if (!st.ok()) throw StatusError{st};
}
template <typename T>
T Check(Result<T> r) {
  if (!r.ok()) throw StatusError{r.status()};
  return std::move(r).value();
}

// --label, --weight, --categorical, ..., --threads, --max-bin, --quiet: how to read a table.
struct IngestFlags {
  data::IngestOptions options;
  std::vector<std::string> inputs;
  std::string delimiter;
  double chunk_mb = 4;
  bool no_header = false, quiet = false;
  // Fills `options` from the parsed flags.
  data::IngestOptions Resolve() const;
};
// `inputs_flag` is "inputs" for a positional list or an option name such as "--data".
void AddIngestFlags(CLI::App* cmd, IngestFlags* flags, bool with_binning, const std::string& inputs_flag = "inputs");

// Reads "key = value" lines (LightGBM config style; '#' starts a comment) into `settings`.
void ReadConfigFile(const std::string& path, std::map<std::string, std::string>* settings);
// Splits "key=value" strings into `settings` (later ones win).
void ParseKeyValues(const std::vector<std::string>& items, std::map<std::string, std::string>* settings);

// A CSV field: quoted (with doubled quotes) when it holds a delimiter, quote or line break.
std::string CsvField(std::string_view text);
// Appends the shortest text that reads back as exactly `v`.
void AppendNumber(std::string* out, double v);

// The command line as typed (recorded with each tracked run).
void SetCommandLine(int argc, char** argv);
const std::string& CommandLine();

// --store DIR: the tracking store and registry ($TESSERA_STORE, else ./tessera-store).
void AddStoreFlag(CLI::App* cmd, std::string* store);
std::string StoreDir(const std::string& flag);

// --store and --no-track, for commands that record a run.
struct TrackingFlags {
  std::string store;
  std::vector<std::string> tags;  // key=value
  bool no_track = false;
};
void AddTrackingFlags(CLI::App* cmd, TrackingFlags* flags);
// Starts a run of `kind` for data `inputs` read with `schema`; nullptr with --no-track.
std::unique_ptr<registry::RunTracker> StartTracking(const TrackingFlags& flags, const std::string& kind,
                                                    const std::vector<std::string>& inputs, const data::Schema& schema,
                                                    const nlohmann::json& params);

// A model from a file path or a registry reference (models:/name@alias, models:/name/3).
// A tree model only: a model of another family is an error naming its family.
models::gbdt::GbdtModel LoadModelArg(const std::string& model, const std::string& store_flag);
// A model of any family (for the commands that accept every family: predict, eval).
models::Model LoadAnyModelArg(const std::string& model, const std::string& store_flag);

// Human-friendly byte counts ("27.4 MiB").
std::string FormatBytes(double bytes);
// Seconds since the given steady_clock start.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace tessera::cli
