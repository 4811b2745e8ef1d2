#include "tessera/dist/world.h"

#include <cstdlib>

#if TESSERA_HAVE_MPI
#include "mpi_world.h"
#endif

namespace tessera::dist {

bool MpiAvailable() { return TESSERA_HAVE_MPI != 0; }

bool LaunchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (const char* v = std::getenv(name); v && *v) return true;
  return false;
}

Result<std::unique_ptr<Collective>> JoinWorld(bool require_mpi) {
  if (!require_mpi && !LaunchedByMpi()) return std::unique_ptr<Collective>(new LocalCollective());
#if TESSERA_HAVE_MPI
  return ConnectMpi();
#else
  return Status::UserError(std::string(LaunchedByMpi() ? "started by an MPI launcher" : "--distributed was given") +
                           ", but this tessera was built without MPI (configure with TESSERA_MPI=ON and Open MPI "
                           "installed: apt-get install libopenmpi-dev openmpi-bin)");
#endif
}

void LeaveWorldAfterAgreedError(Collective& world) {
#if TESSERA_HAVE_MPI
  FinalizeMpi(world);
#else
  (void)world;
#endif
}

}  // namespace tessera::dist
