// Code size and stack use of generated C: compiles model.c with the machine's C compiler
// (-O2 -c -fstack-usage), reads text/data/bss bytes with `size` and each function's frame from
// the .su file, and bounds each entry point's stack by the deepest chain of generated calls
// (CExport::calls; frames of inlined functions are already in their callers'). Library calls
// (exp) are not counted. Runs processes in a temporary directory it removes; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tessera/edge/c_export.h"

namespace tessera::edge {

struct CodeSize {
  bool measured = false;
  std::string reason;    // why not measured: no compiler, or the compiler's error
  std::string compiler;  // the compiler used
  std::string command;   // the compile command
  uint64_t text = 0, data = 0, bss = 0;  // as `size` prints them (text includes read-only data)
  // Quantized code compiled again with CExport::no_binning_macro: the integer predictor alone.
  bool has_predictor_only = false;
  uint64_t predictor_text = 0, predictor_data = 0, predictor_bss = 0;
  // Per entry point: its stack use at most, in bytes.
  std::vector<std::pair<std::string, uint64_t>> stack;
  bool stack_static = true;  // false when a frame is dynamic (then the bound is not one)
};

// Compiles `source` (its model.h in `include_dir`) with `compiler`, or with the first of cc, gcc,
// clang on PATH when empty. A cross compiler "<triplet>-gcc" is paired with "<triplet>-size" when
// there is one. Never fails: what went wrong is in `reason`.
CodeSize MeasureCodeSize(const std::string& source, const std::string& include_dir, const CExport& code,
                         const std::string& compiler = "");

}  // namespace tessera::edge
