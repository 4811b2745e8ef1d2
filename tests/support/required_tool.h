// Tests that need a tool scripts/bootstrap installs (gcc, the ARM cross compilers and qemu,
// Chromium, python3-xgboost) skip where it is missing, so a developer without it can still run
// the rest; under scripts/test (TESSERA_REQUIRE_TOOLS=1, as in CI) a missing tool fails the test
// instead, so CI can never pass by skipping.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace tessera::testing {

inline bool ToolsRequired() {
  const char* v = std::getenv("TESSERA_REQUIRE_TOOLS");
  return v && *v && std::string(v) != "0";
}

inline bool HavePythonXgboost() {
  static const bool have = std::system("/usr/bin/python3 -c 'import xgboost' > /dev/null 2>&1") == 0;
  return have;
}

inline bool HavePythonSklearn() {
  static const bool have = std::system("/usr/bin/python3 -c 'import sklearn' > /dev/null 2>&1") == 0;
  return have;
}

}  // namespace tessera::testing

// Ends the test: skipped, or failed when tools are required. Use only in functions returning void.
#define TESSERA_MISSING_TOOL(reason)                                        \
  do {                                                                      \
    const std::string tessera_missing_ = (reason);                          \
    if (::tessera::testing::ToolsRequired()) {                              \
      GTEST_FAIL() << "missing tool (TESSERA_REQUIRE_TOOLS): " << tessera_missing_; \
    } else {                                                                \
      GTEST_SKIP() << tessera_missing_;                                     \
    }                                                                       \
  } while (0)

#define TESSERA_REQUIRE_XGBOOST()                                                                              \
  do {                                                                                                         \
    if (!::tessera::testing::HavePythonXgboost())                                                              \
      TESSERA_MISSING_TOOL("/usr/bin/python3 cannot import xgboost (scripts/bootstrap installs python3-xgboost)"); \
  } while (0)

#define TESSERA_REQUIRE_SKLEARN()                                                                              \
  do {                                                                                                         \
    if (!::tessera::testing::HavePythonSklearn())                                                              \
      TESSERA_MISSING_TOOL("/usr/bin/python3 cannot import sklearn (scripts/bootstrap installs python3-sklearn)"); \
  } while (0)
