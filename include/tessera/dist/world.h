// Joining the job's world: under mpirun (or with an explicit request) the MPI world of all
// ranks, else a world of one. The MPI implementation lives only in src/dist/mpi_collective.cpp,
// compiled when CMake finds MPI (TESSERA_MPI); nothing else includes mpi.h.
#pragma once

#include <memory>

#include "tessera/core/status.h"
#include "tessera/dist/collective.h"

namespace tessera::dist {

// Whether this binary was built with MPI.
bool MpiAvailable();
// Whether the process was started by an MPI launcher (mpirun / mpiexec set OMPI_COMM_WORLD_SIZE,
// PMI_SIZE or PMIX_RANK).
bool LaunchedByMpi();

// The world to train in: MPI's when launched by mpirun or when `require_mpi` (a singleton
// world of one when not launched by mpirun); else a LocalCollective. Launched by mpirun or
// required, but built without MPI, is a user error (the ranks would each train alone).
// MPI is initialised here and finalised when the returned object is destroyed; if it is
// destroyed while an exception unwinds (a rank failing on its own), the whole job is aborted
// so that no other rank waits for it for ever.
Result<std::unique_ptr<Collective>> JoinWorld(bool require_mpi);

// Ends the MPI world in order after an error that every rank agreed on (AgreeOnStatus), so that
// the job ends with the error instead of an abort. A no-op for a LocalCollective.
void LeaveWorldAfterAgreedError(Collective& world);

}  // namespace tessera::dist
