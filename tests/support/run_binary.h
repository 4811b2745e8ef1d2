// Runs the real tessera binary for integration tests and captures exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "test_files.h"

namespace tessera::testing {

struct RunResult {
  int exit_code;
  std::string out, err;
};

inline RunResult RunTessera(const TempDir& dir, const std::string& args) {
  std::string out = dir.Path(".stdout"), err = dir.Path(".stderr");
  std::string cmd = "cd '" + dir.path().string() + "' && '" + std::string(TESSERA_BINARY) + "' " + args + " > '" + out +
                    "' 2> '" + err + "' < /dev/null";
  int status = std::system(cmd.c_str());
  RunResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
  return r;
}

}  // namespace tessera::testing
