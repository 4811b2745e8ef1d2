// C code generation: turns a boosted model into a pair of portable C99 files (model.h, model.c)
// for devices. The generated code has no dynamic allocation and no mutable global state (every
// table is static const), needs <stdint.h> only, and <math.h> only for the link function (exp)
// and infinite thresholds. It computes exactly what GbdtModel::PredictValues computes: raw values
// in, missing as NaN, categorical values as numeric codes. `--quantize` code takes bins and walks
// the trees with integers only (see QuantizedModel). What cannot be compiled (text categories,
// unknown objectives) is refused with a message naming it. docs/edge.md describes the API.
// Stateless functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/status.h"
#include "tessera/models/gbdt/booster.h"

namespace tessera::edge {

// How trees become code: nested if/else per tree, one table of nodes walked by a loop tree by
// tree, or one table walked ten trees at a time without branches (lockstep).
enum class CLayout { kAuto, kBranches, kArrays, kLockstep };
std::string_view ToString(CLayout layout);
// "auto", "branches", "arrays", "lockstep"
std::optional<CLayout> CLayoutFromString(std::string_view name);

struct CExportOptions {
  bool quantize = false;            // int16 bins in, int32 fixed-point scores out, no floats
  // kAuto: lockstep; quantized, branches above 300 trees (unless a tree is too deep to nest).
  CLayout layout = CLayout::kAuto;
  std::string prefix = "tessera";   // names: <prefix>_predict, <PREFIX>_NUM_FEATURES, ...
  std::string model_name;           // shown in the files' head comment (e.g. the model file)
};

struct CExport {
  std::string header;  // model.h
  std::string source;  // model.c (includes "model.h")
  CLayout layout = CLayout::kBranches;  // the layout used
  int score_shift = -1;                 // quantized: raw score = out / 2^score_shift
  bool needs_libm = false;              // model.c calls exp() (link with -lm)
  // The external functions, and for every generated function the generated functions it calls
  // (for bounding stack use from per-function frame sizes).
  std::vector<std::string> entry_points;
  std::map<std::string, std::vector<std::string>> calls;
  std::vector<std::string> notes;  // things the user should know (features not compiled, ...)
  // Quantized: the macro that leaves the float binning out (the integer predictor alone).
  std::string no_binning_macro;
};

// Generates the C files for `model`. User errors: an objective without a known link, a
// categorical feature used by the trees whose categories are not all numbers in shortest form,
// a bad prefix, more bins than int16 holds (quantize), trees too deep for nested branches when
// kBranches is asked for.
Result<CExport> GenerateC(const models::gbdt::GbdtModel& model, const CExportOptions& options);

// Helpers, public for tests.
// A C string literal (with the quotes) holding exactly `bytes`: quotes, backslashes, '?'
// (trigraphs), control and non-ASCII bytes escaped.
std::string CStringLiteral(std::string_view bytes);
// The float whose shortest text is `category` ("3", "-0.5", "1e+20"), or nothing when there is
// none ("3.0", "03", "Paris"): the category a float value stands for (see data::BinFloatRows).
std::optional<float> CategoryAsFloat(std::string_view category);
// Literals that read back as exactly `v` ("0.5f", "3.0f", "-HUGE_VALF"; "0.1", "-2.0").
std::string CFloatLiteral(float v);
std::string CDoubleLiteral(double v);

}  // namespace tessera::edge
