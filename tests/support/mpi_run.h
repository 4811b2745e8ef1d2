// Runs the real tessera binary under Open MPI's mpirun for the distributed-training tests:
// N ranks on this machine (--oversubscribe: more ranks than cores; run as root allowed, as in CI
// containers). MPI tests need mpirun and a binary built with MPI (TESSERA_MPI); without them they
// skip, or fail under scripts/test (TESSERA_REQUIRE_TOOLS=1).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "required_tool.h"
#include "run_binary.h"

namespace tessera::testing {

inline bool HaveMpirun() {
  static const bool have = std::system("command -v mpirun > /dev/null 2>&1") == 0;
  return have;
}

// Runs `tessera args` on `ranks` ranks in `dir`. A job still running after `timeout_seconds` is
// ended (mpirun gets SIGTERM and passes it on to the ranks; SIGKILL 5 s later) and reported with
// exit code 124, so that a deadlock fails the test instead of hanging it (Open MPI busy-polls:
// a hung job would also hold every core).
inline RunResult MpiRunTessera(const TempDir& dir, int ranks, const std::string& args, int timeout_seconds = 60) {
  std::string out = dir.Path(".stdout"), err = dir.Path(".stderr");
  std::string cmd = "cd '" + dir.path().string() +
                    "' && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
                    "timeout -k 5 " + std::to_string(timeout_seconds) +
                    " mpirun --oversubscribe --bind-to none -np " + std::to_string(ranks) + " '" + std::string(TESSERA_BINARY) +
                    "' " + args + " > '" + out + "' 2> '" + err + "' < /dev/null";
  int status = std::system(cmd.c_str());
  return RunResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
}

}  // namespace tessera::testing

#define TESSERA_REQUIRE_MPI()                                                                                  \
  do {                                                                                                         \
    if (!::tessera::testing::HaveMpirun())                                                                     \
      TESSERA_MISSING_TOOL("mpirun not found (scripts/bootstrap installs openmpi-bin)");                       \
    if (!TESSERA_BUILT_WITH_MPI) TESSERA_MISSING_TOOL("tessera was built without MPI (TESSERA_MPI=OFF)");      \
  } while (0)
