// tessera: the command-line front door. Each subcommand lives in its own cmd_*.cpp file.
// Exit codes: 0 success, 1 user error (bad flags or input), 2 internal error, 3 a gate rejected.
#include <malloc.h>

#include <cstdio>
#include <exception>

#include "cli_common.h"
#include "commands.h"

int main(int argc, char** argv) {
  // Big buffers (chunks, matrices) straight from mmap and back to the system when freed: glibc's
  // adaptive threshold would otherwise keep freed chunk buffers resident in its heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  tessera::cli::SetCommandLine(argc, argv);
  CLI::App app{"Tessera: machine learning on big tabular data, from ingest to the edge."};
  app.set_version_flag("--version", std::string("tessera ") + TESSERA_VERSION);
  app.require_subcommand(1);
  tessera::cli::RegisterDescribe(&app);
  tessera::cli::RegisterData(&app);
  tessera::cli::RegisterGen(&app);
  tessera::cli::RegisterTrain(&app);
  tessera::cli::RegisterPredict(&app);
  tessera::cli::RegisterExplain(&app);
  tessera::cli::RegisterImport(&app);
  tessera::cli::RegisterRegistry(&app);
  tessera::cli::RegisterGate(&app);
  tessera::cli::RegisterPipeline(&app);
  tessera::cli::RegisterExport(&app);
  tessera::cli::RegisterEdge(&app);
  tessera::cli::RegisterAutoMl(&app);
  tessera::cli::RegisterServe(&app);
  tessera::cli::RegisterMonitor(&app);
  tessera::cli::RegisterUi(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  } catch (const tessera::cli::ExitRequest& e) {
    return e.code;
  } catch (const tessera::cli::StatusError& e) {
    std::fprintf(stderr, "tessera: error: %s\n", e.status.message().c_str());
    return e.status.kind() == tessera::ErrorKind::kUser ? 1 : 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tessera: error: out of memory\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tessera: internal error: %s\n", e.what());
    return 2;
  }
  return 0;
}
