// The MPI world's entry points, for world.cpp (defined in mpi_collective.cpp, which is compiled
// only with TESSERA_MPI). Internal to src/dist.
#pragma once

#include <memory>

#include "tessera/core/status.h"
#include "tessera/dist/collective.h"

namespace tessera::dist {

// Initialises MPI (once) and returns the world of all ranks.
Result<std::unique_ptr<Collective>> ConnectMpi();
// Finalises MPI in order (a no-op unless `world` came from ConnectMpi).
void FinalizeMpi(Collective& world);

}  // namespace tessera::dist
