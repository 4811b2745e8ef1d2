// Runs the real tessera binary under Open MPI's mpirun for the distributed-training tests:
// N ranks on this machine (--oversubscribe: more ranks than cores; run as root allowed, as in CI
// containers). MPI tests need mpirun and a binary built with MPI (TESSERA_MPI); without them they
// skip, or fail under scripts/test (TESSERA_REQUIRE_TOOLS=1).
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "required_tool.h"
#include "run_binary.h"

namespace tessera::testing {

inline bool HaveMpirun() {
  static const bool have = std::system("command -v mpirun > /dev/null 2>&1") == 0;
  return have;
}

// The shell command that runs `tessera args` on `ranks` ranks in `dir`, stdout and stderr to
// dir/.stdout and dir/.stderr. A job still running after `timeout_seconds` is ended (mpirun gets
// SIGTERM and passes it on to the ranks; SIGKILL 5 s later) with exit code 124, so that a
// deadlock fails the test instead of hanging it (Open MPI busy-polls: a hung job holds every core).
inline std::string MpiRunCommand(const TempDir& dir, int ranks, const std::string& args, int timeout_seconds = 60) {
  return "cd '" + dir.path().string() +
         "' && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
         "timeout -k 5 " + std::to_string(timeout_seconds) +
         " mpirun --oversubscribe --bind-to none -np " + std::to_string(ranks) + " '" + std::string(TESSERA_BINARY) + "' " +
         args + " > '" + dir.Path(".stdout") + "' 2> '" + dir.Path(".stderr") + "' < /dev/null";
}

inline RunResult MpiRunTessera(const TempDir& dir, int ranks, const std::string& args, int timeout_seconds = 60) {
  int status = std::system(MpiRunCommand(dir, ranks, args, timeout_seconds).c_str());
  return RunResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(dir.Path(".stdout")), ReadFile(dir.Path(".stderr"))};
}

// The pid of the tessera process that is rank `rank` of a job running in `dir` (its working
// directory; Open MPI puts OMPI_COMM_WORLD_RANK in each rank's environment), or -1.
inline pid_t FindRank(const TempDir& dir, int rank) {
  namespace fs = std::filesystem;
  const fs::path binary = fs::canonical(TESSERA_BINARY), where = fs::canonical(dir.path());
  const std::string want = std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (fs::read_symlink(entry.path() / "exe", ec) != binary || ec) continue;
    if (fs::read_symlink(entry.path() / "cwd", ec) != where || ec) continue;
    std::ifstream env(entry.path() / "environ", std::ios::binary);
    for (std::string var; std::getline(env, var, '\0');)
      if (var == want) return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

}  // namespace tessera::testing

#define TESSERA_REQUIRE_MPI()                                                                                  \
  do {                                                                                                         \
    if (!::tessera::testing::HaveMpirun())                                                                     \
      TESSERA_MISSING_TOOL("mpirun not found (scripts/bootstrap installs openmpi-bin)");                       \
    if (!TESSERA_BUILT_WITH_MPI) TESSERA_MISSING_TOOL("tessera was built without MPI (TESSERA_MPI=OFF)");      \
  } while (0)
