// The browser bundles of Vega, Vega-Lite and vega-embed (exact versions pinned in
// third_party/npm/package.json) compiled into the library, so that a report can inline them and
// open offline from one file. Thread-safety: read-only static data, safe from any thread.
//
// Why compiled in rather than read at run time from an installed path: the `tessera` binary must
// write a working report wherever it runs — from the build directory in CI, after an install, or
// copied to another machine — with no search path to get wrong and no way to pair a binary with
// other library versions than the ones it was tested with. The cost is ~0.85 MB of binary size.
// The arrays are generated at build time by cmake/embed_vega.cmake from node_modules/.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace tessera::report {

struct VegaLibrary {
  const char* package;        // npm package name, e.g. "vega-lite"
  const char* version;        // installed (= pinned) version, e.g. "6.5.0"
  const char* path;           // bundle inside node_modules, e.g. "vega-lite/build/vega-lite.min.js"
  const unsigned char* data;  // the minified UMD bundle, byte for byte
  size_t size;

  std::string_view source() const { return {reinterpret_cast<const char*>(data), size}; }
};

// vega, vega-lite, vega-embed: the order in which they must be loaded (each needs the previous).
std::span<const VegaLibrary> VegaLibraries();

}  // namespace tessera::report
